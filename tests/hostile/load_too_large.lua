-- expect: ok
return function()
  local f, err = load(("--"):rep(600000))
  return f == nil and err:find("too large") ~= nil
end
