-- expect: runtime_error
-- message: readonly
return function()
  table.insert(os, "x")
end
