-- expect: runtime_error
-- message: waiting in the task scheduler
return function()
  local th = task.spawn(function() task.wait(10) end)
  assert(coroutine.resume(th))
end
