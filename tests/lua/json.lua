-- The json plugin.
local check = require("check")

return function()
  return check.run {
    {"round trips", function()
      local v = json.decode('{"a":[1,2,{"b":null}],"s":"\\u00e9","f":1.5,"t":true,"e":[],"o":{}}')
      check.eq(v.a[2], 2); check.eq(v.a[3].b, json.null); check.eq(v.s, "é"); check.eq(v.f, 1.5)
      check.eq(json.encode(v.e), "[]"); check.eq(json.encode(v.o), "{}")
      check.eq(json.encode({1, 2, 3}), "[1,2,3]")
      check.eq(json.encode({b = 1, a = "x"}), '{"a":"x","b":1}')
      check.eq(json.encode(json.null), "null")
      check.eq(tostring(json.null), "null")
    end},
    {"errors", function()
      check.fails(function() json.decode("{") end, "json")
      check.fails(function() json.encode(print) end, "function")
      local t = {}; t.self = t
      check.fails(function() json.encode(t) end)
      check.fails(function() json.encode(0/0) end)
    end},
  }
end
