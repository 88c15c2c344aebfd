-- expect: runtime_error
-- message: readonly
return function()
  setmetatable(math, {__index = function() return 0 end})
end
