-- expect: limit_exceeded
-- message: too many coroutines
return function()
  local keep = {}
  for i = 1, 1e6 do keep[i] = coroutine.create(function() end) end
end
