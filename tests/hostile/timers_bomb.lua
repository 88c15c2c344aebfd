-- expect: limit_exceeded
-- message: too many
return function()
  for i = 1, 1e6 do task.delay(100, function() end) end
end
