-- expect: ok
-- A chunk from load() sees the template's globals, never the host's.
return function()
  local f = load("x = 1; return _G, _ENV, require")
  local g, env, req = f()
  assert(g == _G and env == _G and req == require)
  return true
end
