-- expect: runtime_error
-- message: read-only
return function()
  task.spawn = function() end
end
