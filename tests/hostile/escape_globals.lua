-- expect: ok
-- No path from a template to the host's globals or dangerous libraries.
return function()
  assert(io == nil and debug == nil and package == nil and dofile == nil and loadfile == nil)
  assert(load("return io or debug or package or os.execute")() == nil)
  assert(getmetatable("") == "The metatable is locked")
  assert(getmetatable(_G) == "The metatable is locked")
  assert(rawget(_G, "string") == nil)
  return true
end
