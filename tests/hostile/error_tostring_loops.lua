-- expect: runtime_error
-- message: error object is a table value
-- The host never calls metamethods of error values.
return function()
  error(setmetatable({}, {__tostring = function() while true do end end, __index = function() error("no") end}))
end
