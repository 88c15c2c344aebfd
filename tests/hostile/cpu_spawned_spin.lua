-- expect: ok
-- A spawned thread that spins is killed at the deadline; the handler's own result stands.
return function()
  task.defer(function() while true do end end)
  return true
end
