-- expect: runtime_error
-- message: C stack overflow
return function()
  local function f() local co = coroutine.wrap(f); return co() end
  return f()
end
