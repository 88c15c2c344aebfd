-- expect: runtime_error
-- message: overflow
return function()
  local function f() local ok, e = pcall(f); error(e, 0) end
  f()
end
