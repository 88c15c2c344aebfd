-- expect: runtime_error
-- message: read-only
return function()
  table.insert(os, "x")
end
