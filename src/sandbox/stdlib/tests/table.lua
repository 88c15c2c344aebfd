-- Assertions on the table library, from the Lua 5.4 reference manual (§6.6). Runs with ours and stock.
local function eq(a, b, msg)
  if a ~= b then error((msg or "") .. ": expected " .. tostring(b) .. ", got " .. tostring(a), 2) end
end
local function errs(pat, f, ...)
  local ok, msg = pcall(f, ...)
  assert(not ok, "expected an error matching " .. pat)
  assert(string.find(msg, pat, 1, true), "error '" .. tostring(msg) .. "' lacks '" .. pat .. "'")
end

-- concat
eq(table.concat({1, 2, 3}, ", "), "1, 2, 3")
eq(table.concat({"a", "b", "c"}, "", 2, 3), "bc")
eq(table.concat({}, "x"), "")
errs("invalid value (table) at index 2 in table for 'concat'", table.concat, {1, {}, 3})

-- insert / remove
local t = {1, 2, 3}
table.insert(t, 4) table.insert(t, 1, 0)
eq(table.concat(t, ","), "0,1,2,3,4")
errs("position out of bounds", table.insert, t, 7, 1)
errs("wrong number of arguments to 'insert'", table.insert, t, 1, 2, 3)
eq(table.remove(t), 4) eq(table.remove(t, 1), 0) eq(table.concat(t, ","), "1,2,3")
eq(table.remove({}), nil)
errs("position out of bounds", table.remove, {1, 2}, 5)

-- pack / unpack
local p = table.pack(1, nil, 3)
eq(p.n, 3) eq(p[3], 3)
eq(select("#", table.unpack({1, 2, 3}, 2)), 2)
eq(select("#", table.unpack({}, 1, 0)), 0)
errs("too many results to unpack", table.unpack, {}, 1, 1e8)
errs("too many results to unpack", table.unpack, {}, math.mininteger, math.maxinteger)

-- move
local a = {1, 2, 3, 4, 5}
table.move(a, 1, 3, 3)
eq(table.concat(a, ","), "1,2,1,2,3")
local b = table.move({1, 2, 3}, 1, 3, 1, {})
eq(table.concat(b, ","), "1,2,3")
errs("too many elements to move", table.move, {}, -1, math.maxinteger, 1)
errs("destination wrap around", table.move, {1, 2}, 1, 2, math.maxinteger)

-- sort
local s = {}
for i = 1, 500 do s[i] = (i * 7919) % 503 end
table.sort(s)
for i = 2, 500 do assert(s[i - 1] <= s[i]) end
table.sort(s, function(x, y) return x > y end)
for i = 2, 500 do assert(s[i - 1] >= s[i]) end
local names = {"bob", "alice", "carol"}
table.sort(names)
eq(table.concat(names, ","), "alice,bob,carol")
errs("attempt to compare", table.sort, {1, "x", 2})
errs("array too big", table.sort, setmetatable({}, {__len = function() return math.maxinteger end}))
-- an inconsistent comparator may raise "invalid order function for sorting", but never crashes
for _ = 1, 20 do
  local r = {}
  for i = 1, 200 do r[i] = i % 7 end
  pcall(table.sort, r, function() return true end)
  pcall(table.sort, r, function(x, y) return x <= y end)
end
local ok, msg = pcall(table.sort, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, function() return true end)
assert(not ok and msg:find("invalid order function for sorting", 1, true), msg)

-- metamethods are respected: a proxy table backed by another one
local store = {5, 3, 9, 1}
local proxy = setmetatable({}, {
  __index = function(_, k) return store[k] end,
  __newindex = function(_, k, v) store[k] = v end,
  __len = function() return #store end,
})
table.sort(proxy)
eq(table.concat(store, ","), "1,3,5,9")
table.insert(proxy, 2, 2)
eq(table.concat(store, ","), "1,2,3,5,9")
eq(table.remove(proxy, 1), 1)
eq(table.concat(proxy, ","), "2,3,5,9")
eq(select("#", table.unpack(proxy)), 4)
