-- expect: ok
return function()
  assert(not pcall(function() getmetatable(json.null).__tostring = nil end))
  assert(not pcall(setmetatable, json.null, {}))
  assert(tostring(json.null) == "null")
  return true
end
