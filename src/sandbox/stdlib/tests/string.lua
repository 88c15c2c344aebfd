-- Assertions on the string library, from the Lua 5.4 reference manual (§6.4). Runs with ours and stock.
local function eq(a, b, msg)
  if a ~= b then error((msg or "") .. ": expected " .. tostring(b) .. ", got " .. tostring(a), 2) end
end
local function errs(pat, f, ...)
  local ok, msg = pcall(f, ...)
  assert(not ok, "expected an error matching " .. pat)
  assert(string.find(msg, pat, 1, true), "error '" .. tostring(msg) .. "' lacks '" .. pat .. "'")
end

-- len / sub / byte / char
eq(#"", 0) eq(("\0\0"):len(), 2)
eq(("hello"):sub(2, -2), "ell") eq(("hello"):sub(-2), "lo") eq(("hello"):sub(0), "hello")
eq(("hello"):sub(4, 2), "") eq(("hello"):sub(math.mininteger, -4), "he")
eq(select("#", ("abc"):byte(1, -1)), 3) eq(("A"):byte(), 65) eq(select("#", (""):byte()), 0)
eq(string.char(104, 105), "hi") errs("value out of range", string.char, 256)
eq(("MiXeD"):upper(), "MIXED") eq(("MiXeD"):lower(), "mixed") eq(("abc"):reverse(), "cba")

-- rep
eq(("ab"):rep(3, "-"), "ab-ab-ab") eq(("ab"):rep(0), "") eq(("x"):rep(-5), "")
errs("resulting string too large", string.rep, "x", math.maxinteger)
-- results larger than the copy chunk (1 MiB), with units that do not divide it
for _, case in ipairs({{"abc", 700000, "de"}, {"abc", 400000, ""}, {"x", 3000000, "yz"}, {("q"):rep(3000000), 2, "r"}}) do
  local s, n, sep = case[1], case[2], case[3]
  local r = s:rep(n, sep)
  eq(#r, #s * n + #sep * (n - 1))
  local unit = #s + #sep
  for _, k in ipairs({0, 1, n // 3, n // 2 + 1, n - 2, n - 1}) do  -- sampled copies, 0-based
    if k >= 0 and k < n then
      assert(r:sub(k * unit + 1, k * unit + #s) == s, "copy " .. k)
      if k < n - 1 then assert(r:sub(k * unit + #s + 1, (k + 1) * unit) == sep, "separator " .. k) end
    end
  end
end
if STDLIB_OURS then  -- stock Lua loops for ages or tries to allocate terabytes here
  eq((""):rep(1e18), "")
  errs("resulting string too large", string.rep, "x", 2^40 // 1, "yy")
end

-- find (manual examples and edge cases)
eq(("hello world"):find("wor"), 7)
eq(select(2, ("hello world"):find("wor")), 9)
eq(("a+b"):find("+", 1, true), 2)
eq(("hello"):find("l", 1, true), 3)
eq(("hello"):find("", 6), 6) eq(("hello"):find("", 7), nil)
local s, e, c1, c2 = ("key = value"):find("(%w+)%s*=%s*(%w+)")
eq(s, 1) eq(e, 11) eq(c1, "key") eq(c2, "value")

-- match / patterns
eq(("  x  "):match("^%s*(.-)%s*$"), "x")
eq(("hello"):match("()ll()"), 3)
eq(select(2, ("hello"):match("()ll()")), 5)
eq(("THE (quick) fox"):match("%((%a+)%)"), "quick")
eq(("f(a(b)c)"):match("%b()"), "(a(b)c)")
eq(("THE (quick) fox"):match("%f[%a]%a+", 5), "quick")
eq(("abcabc"):match("(abc)%1"), "abc")
eq(("x=1"):match("^(%w+)=(%d+)$"), "x")
eq(("[]"):match("[]]"), "]")
eq(("a-b"):match("[%-]"), "-")
eq(("2024"):match("^%d%d%d%d$"), "2024")
errs("malformed pattern (ends with '%')", string.match, "x", "%")
errs("malformed pattern (missing ']')", string.match, "x", "[a")
errs("missing '[' after '%f' in pattern", string.match, "x", "%fa")
errs("malformed pattern (missing arguments to '%b')", string.match, "x", "%b(")
errs("unfinished capture", string.match, "x", "(x")
errs("invalid pattern capture", string.match, "x", "x)")
errs("too many captures", string.match, ("x"):rep(40), ("(x)"):rep(40))
errs("pattern too complex", string.match, ("x"):rep(300), ("x?"):rep(250))

-- gmatch
local words = {}
for w in ("one two three"):gmatch("%a+") do words[#words + 1] = w end
eq(table.concat(words, ","), "one,two,three")
local kv = {}
for k, v in ("a=1, b=2"):gmatch("(%w+)=(%w+)") do kv[k] = tonumber(v) end
eq(kv.a, 1) eq(kv.b, 2)
local n = 0
for _ in ("abc"):gmatch("") do n = n + 1 end
eq(n, 4)
n = 0
for _ in ("hello"):gmatch("l", 4) do n = n + 1 end
eq(n, 1)

-- gsub (manual examples)
eq(("hello world"):gsub("(%w+)", "%1 %1"), "hello hello world world")
eq(("hello world"):gsub("%w+", "%0 %0", 1), "hello hello world")
eq(("hello world from Lua"):gsub("(%w+)%s*(%w+)", "%2 %1"), "world hello Lua from")
eq(("$name-$version.tar.gz"):gsub("%$(%w+)", {name = "lua", version = "5.4"}), "lua-5.4.tar.gz")
eq(("4+5 = $return 4+5$"):gsub("%$(.-)%$", function(code) return load(code)() end), "4+5 = 9")
eq(select(2, ("abc"):gsub("", "-")), 4)
eq(("abc"):gsub("", "-"), "-a-b-c-")
eq(("abc"):gsub("%w", {a = false}), "abc")
eq(("abc"):gsub("%w", function() end), "abc")
errs("invalid replacement value (a table)", string.gsub, "abc", "%w", function() return {} end)
errs("invalid use of '%' in replacement string", string.gsub, "abc", "%w", "%x")
errs("invalid capture index %2", string.gsub, "abc", "(%w)", "%2")

-- format / pack are stock, but must be present and work
eq(string.format("%5.1f|%-3d|%s", 3.14159, 7, "x"), "  3.1|7  |x")
eq(string.unpack("<i4", string.pack("<i4", -7)), -7)
eq(string.packsize("i4i8"), 12)  -- no alignment unless "!" asks for it

-- methods through the string metatable
eq(("%d items"):format(3), "3 items")
eq(("x"):rep(3), "xxx")
