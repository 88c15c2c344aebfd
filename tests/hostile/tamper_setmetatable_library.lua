-- expect: runtime_error
-- message: read-only
return function()
  setmetatable(math, {__index = function() return 0 end})
end
