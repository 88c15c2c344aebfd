-- expect: limit_exceeded
-- timeout-ms: 30000
-- message: too many coroutines
return function()
  local keep = {}
  for i = 1, 1e6 do keep[i] = coroutine.create(function() end) end
end
