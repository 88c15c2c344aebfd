-- expect: memory_limit
-- timeout-ms: 30000
-- A memory error caught by pcall still marks the VM: the result says memory_limit.
return function()
  local keep = {}
  for _ = 1, 3 do
    pcall(function() for i = 1, 1e9 do keep[#keep + 1] = {} end end)
  end
  error("ignored memory errors")
end
