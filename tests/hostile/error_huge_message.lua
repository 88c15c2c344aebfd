-- expect: runtime_error
return function()
  error(("x"):rep(1000000))
end
