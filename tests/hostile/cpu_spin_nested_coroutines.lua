-- expect: timeout
-- 50 nested coroutines, the innermost spins under pcall: every one of them is killed.
return function()
  local function nest(n)
    if n == 0 then while true do pcall(function() while true do end end) end end
    local co = coroutine.create(nest)
    while true do coroutine.resume(co, n - 1) end
  end
  nest(50)
end
