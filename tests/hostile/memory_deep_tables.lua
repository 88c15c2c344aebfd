-- expect: memory_limit
-- timeout-ms: 30000
return function()
  local root = {}
  local node = root
  for _ = 1, 1e9 do node.next = {pad = {1, 2, 3, 4}}; node = node.next end
end
