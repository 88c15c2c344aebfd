-- expect: runtime_error
-- message: read-only
return function()
  string.format = function() return "pwned" end
end
