-- expect: runtime_error
-- message: function
return function() return {f = print} end
