-- expect: runtime_error
-- message: attempt to index
-- Error messages that name a very long a.b.b.b... chain stay cheap.
return function()
  local src = "local a = {} return a" .. (".b"):rep(20000) .. ".c"
  return load(src)()
end
