-- expect: runtime_error
-- message: cannot be sent as JSON
return function()
  local t = {}
  t.self = t
  return t
end
