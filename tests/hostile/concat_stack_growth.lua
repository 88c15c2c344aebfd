-- expect: ok
-- timeout-ms: 30000
-- Debian's Lua 5.4.4 crashed here: a __concat metamethod that grows the stack during a 3-operand concat.
-- The metamethod is added after setmetatable, and the growth is deep.
return function()
  local mt = {}
  local t = setmetatable({}, mt)
  mt.__concat = function(a, b)
    local function grow(n) if n > 0 then return 1 + grow(n - 1) end return 0 end
    grow(50000)
    return "r"
  end
  for _ = 1, 20 do assert("a" .. t .. "b" .. "c" .. t .. "d" == "ar") end
  return true
end
