-- expect: runtime_error
-- message: stack overflow
return function()
  local t = setmetatable({}, {})
  getmetatable(t).__index = function(s, k) return s[k] end
  return t.x
end
