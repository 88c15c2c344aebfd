-- expect: limit_exceeded
-- message: cannot be sent as JSON
return function()
  local t = {}
  local n = t
  for _ = 1, 10000 do n.x = {}; n = n.x end
  return t
end
