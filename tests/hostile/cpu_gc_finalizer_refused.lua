-- expect: runtime_error
-- message: __gc
-- Finalizers run with hooks off, so a looping one could never be stopped: they are refused.
return function()
  setmetatable({}, {__gc = function() while true do end end})
end
