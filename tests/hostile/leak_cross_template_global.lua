-- expect: ok
-- Writing a "global" only changes this template's environment.
return function()
  string = nil
  table = {}
  print = error
  return true
end
