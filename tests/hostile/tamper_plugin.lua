-- expect: runtime_error
-- message: readonly
return function()
  task.spawn = function() end
end
