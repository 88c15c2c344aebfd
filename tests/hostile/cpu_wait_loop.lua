-- expect: timeout
-- A handler that never ends but yields all the time is killed by its deadline timer.
return function()
  while true do task.wait() end
end
