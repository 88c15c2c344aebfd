-- expect: ok
-- value: {"a":1}
-- The result is read raw: __index, __pairs and __len are never called.
return function()
  return setmetatable({a = 1}, {
    __index = function() while true do end end,
    __pairs = function() while true do end end,
    __len = function() while true do end end,
  })
end
