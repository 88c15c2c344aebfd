-- expect: runtime_error
-- message: readonly
return function()
  rawset(table, "insert", print)
end
