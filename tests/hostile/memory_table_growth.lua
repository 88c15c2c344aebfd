-- expect: memory_limit
-- timeout-ms: 30000
return function()
  local t = {}
  for i = 1, 1e9 do t[i] = i end
end
