-- expect: memory_limit
-- timeout-ms: 30000
return function()
  local s = "x"
  while true do s = s .. s end
end
