-- expect: runtime_error
-- message: read-only
return function()
  rawset(table, "insert", print)
end
