-- expect: ok
-- Binary chunks are refused however they are offered.
return function()
  assert(string.dump == nil)
  local f, err = load("\27Lua\84\0\25\147\13\10\26\10\4\8\8")
  assert(f == nil and err:find("binary"), err)
  assert(not pcall(load, "return 1", "x", "b"))
  assert(not pcall(load, function() return "\27Lua" end))
  return true
end
