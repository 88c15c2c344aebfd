-- expect: runtime_error
-- message: attempt to index a nil value
-- The string metatable cannot be reached to be changed.
return function()
  getmetatable("").__index.upper = function() return "pwned" end
end
