-- expect: timeout
-- Inside a metamethod called from C (no yield possible there): still killed.
return function()
  local t = setmetatable({}, {__lt = function() while true do end end})
  table.sort({t, t, t})
end
