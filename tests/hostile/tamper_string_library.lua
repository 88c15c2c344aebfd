-- expect: runtime_error
-- message: readonly
return function()
  string.format = function() return "pwned" end
end
