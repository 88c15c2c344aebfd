// The runtime helpers lowered code calls, as Lua 5.4 source (see luau.h and README.md for the contract).
#include "luau/luau.h"

namespace tw::luau {
namespace {

// Helpers raise their own errors at level 3 (error -> helper -> the author's line), so messages name
// the .luau line that called them. They never tail-call on a path that can raise, which would shift the
// level.
constexpr std::string_view kPrelude = R"lua(-- Runtime helpers for Lua 5.4 code lowered from Luau (template-worker, src/luau/prelude.cpp).
local type, rawget, rawequal, select, error, tonumber, next = type, rawget, rawequal, select, error, tonumber, next
local lua_tostring = tostring
local getmetatable_raw = debug.getmetatable
local mtype, mfloor, mhuge = math.type, math.floor, math.huge
local sformat, ssub, srep, smatch = string.format, string.sub, string.rep, string.match
local tconcat = table.concat

local kExact = 9007199254740992 -- 2^53
local kSafeFactor = 94906265 -- products of two integers below this stay below 2^53
local kMinNormal = 2.2250738585072014e-308
local kSciFormat = {}
for p = 0, 16 do kSciFormat[p] = "%." .. p .. "e" end

-- A 16-digit candidate one unit away from s (the correctly rounded one): at powers of two the interval
-- of decimals that read back as n is lopsided, so the nearest 16 digits may miss while a neighbour hits.
local function neighbor16(n, s)
  local sign, d1, rest, exp = smatch(s, "^(-?)(%d)%.(%d+)e([-+]%d+)$")
  local m = tonumber(d1 .. rest)
  local e = tonumber(exp)
  local a = n < 0 and -n or n
  local approx = tonumber(s)
  if approx < 0 then approx = -approx end
  if approx < a then m = m + 1 else m = m - 1 end
  if m >= 10000000000000000 then
    m = m // 10
    e = e + 1
  elseif m < 1000000000000000 then
    m = m * 10 + 9
    e = e - 1
  end
  local ds = sformat("%d", m)
  local candidate = sign .. ssub(ds, 1, 1) .. "." .. ssub(ds, 2) .. sformat("e%+03d", e)
  if tonumber(candidate) == n then return candidate end
  return nil
end

-- Luau's number format: shortest round-trip digits; fixed notation when the decimal point is within
-- [-5, 21] digits of the first digit, else d.ddde+XX; "-0", "inf", "-inf", "nan".
local function num2str(n)
  if n ~= n then return "nan" end
  if mtype(n) == "integer" then
    if n >= -kExact and n <= kExact then return sformat("%d", n) end
    n = n + 0.0
  end
  if n == mhuge then return "inf" end
  if n == -mhuge then return "-inf" end
  if n == 0 then
    if 1 / n < 0 then return "-0" end
    return "0"
  end
  if n == mfloor(n) and n >= -kExact and n <= kExact then return sformat("%d", n) end
  local s
  if n > -kMinNormal and n < kMinNormal then
    -- Subnormals carry fewer digits: search upwards for the shortest text that reads back.
    for p = 0, 16 do
      s = sformat(kSciFormat[p], n)
      if tonumber(s) == n then break end
    end
  else
    -- Normal doubles: the correctly rounded 15 digits read back whenever anything that short does.
    s = sformat("%.14e", n)
    if tonumber(s) ~= n then
      s = sformat("%.15e", n)
      if tonumber(s) ~= n then s = neighbor16(n, s) or sformat("%.16e", n) end
    end
  end
  local sign, d1, rest, exp = smatch(s, "^(-?)(%d)%.?(%d*)e([-+]%d+)$")
  local digits = smatch(d1 .. rest, "^(%d-)0*$")
  local nd = #digits
  local dot = tonumber(exp) + 1
  if dot >= -5 and dot <= 21 then
    if dot <= 0 then return sign .. "0." .. srep("0", -dot) .. digits end
    if dot >= nd then return sign .. digits .. srep("0", dot - nd) end
    return sign .. ssub(digits, 1, dot) .. "." .. ssub(digits, dot + 1)
  end
  local x = dot - 1
  local mantissa = digits
  if nd > 1 then mantissa = ssub(digits, 1, 1) .. "." .. ssub(digits, 2) end
  if x < 0 then return sign .. mantissa .. sformat("e-%02d", -x) end
  return sign .. mantissa .. sformat("e+%02d", x)
end

-- Luau's tostring; `level` is the error level of the author's code as seen from here.
local function tostringAt(v, level)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return num2str(v) end
  local mt = getmetatable_raw(v)
  if mt ~= nil then
    local f = rawget(mt, "__tostring")
    if f ~= nil then
      local r = f(v)
      local tr = type(r)
      if tr == "string" then return r end
      if tr == "number" then return num2str(r) end
      error("'__tostring' must return a string", level)
    end
  end
  if t == "table" or t == "function" or t == "userdata" or t == "thread" then
    local s = lua_tostring(v)
    local address = smatch(s, "0x(%x+)$")
    if address then return t .. ": 0x" .. srep("0", 16 - #address) .. address end
    return s
  end
  return lua_tostring(v)
end

local function tostr(v)
  local s = tostringAt(v, 3)
  return s
end

-- `a{x}b{y}c` with several expressions: all were evaluated (as arguments) before any is converted.
local function interp(...)
  local n = select("#", ...)
  local parts = { ... }
  for i = 2, n, 2 do
    local v = parts[i]
    if type(v) ~= "string" then parts[i] = tostringAt(v, 3) end
  end
  return tconcat(parts, "", 1, n)
end

-- Operand of `..`: numbers become Luau text; everything else passes through (so __concat still runs).
local function str(v)
  if type(v) == "number" then return num2str(v) end
  return v
end

-- Generalized iteration: __iter, then __call (classic iterator objects), then plain tables like pairs.
local function iter(f, s, c)
  if type(f) == "function" then return f, s, c end
  local mt = getmetatable_raw(f)
  if mt ~= nil then
    local it = rawget(mt, "__iter")
    if it ~= nil then
      local f2, s2, c2 = it(f)
      if f2 == nil then error("attempt to call a nil value (the iterator returned by __iter)", 2) end
      return f2, s2, c2
    end
    if rawget(mt, "__call") ~= nil then return f, s, c end
  end
  if type(f) == "table" then return next, f, nil end
  error("attempt to iterate over a " .. type(f) .. " value", 2)
end

-- Arithmetic that Lua 5.4 integers would get wrong: Luau has only doubles.
local function coerce(v)
  if type(v) == "string" then
    local n = tonumber(v)
    if n ~= nil then return n + 0.0 end
  end
  return v
end

local function hasMeta(v, event)
  local t = type(v)
  if t ~= "table" and t ~= "userdata" then return false end
  local mt = getmetatable_raw(v)
  return mt ~= nil and rawget(mt, event) ~= nil
end

local function arithError(op, a, b)
  local ta, tb = type(a), type(b)
  if ta == tb then error("attempt to perform arithmetic (" .. op .. ") on " .. ta, 3) end
  error("attempt to perform arithmetic (" .. op .. ") on " .. ta .. " and " .. tb, 3)
end

local function mul(a, b)
  local ta, tb = mtype(a), mtype(b)
  if ta == "integer" and tb == "integer" then
    if a ~= 0 and b ~= 0 and a > -kSafeFactor and a < kSafeFactor and b > -kSafeFactor and b < kSafeFactor then
      return a * b
    end
    return (a + 0.0) * b -- no wraparound; 0 * -1 is -0
  elseif ta and tb then
    return a * b
  end
  local x, y = coerce(a), coerce(b)
  if mtype(x) and mtype(y) then return (x * 1.0) * y end -- * 1.0 keeps -0 (+ 0.0 would not)
  if hasMeta(a, "__mul") or hasMeta(b, "__mul") then return a * b end
  arithError("mul", a, b)
end

local function idiv(a, b)
  local ta, tb = mtype(a), mtype(b)
  if ta == "integer" and tb == "integer" then
    if b > 0 or (b < 0 and a ~= 0) then return a // b end
    return (a + 0.0) // b -- x // 0 is inf, -inf or nan; 0 // -n is -0
  elseif ta and tb then
    return a // b
  end
  local x, y = coerce(a), coerce(b)
  if mtype(x) and mtype(y) then return (x * 1.0) // y end
  if hasMeta(a, "__idiv") or hasMeta(b, "__idiv") then return a // b end
  arithError("idiv", a, b)
end

local function mod(a, b)
  local ta, tb = mtype(a), mtype(b)
  if ta == "integer" and tb == "integer" and b ~= 0 then
    return a % b
  elseif ta and tb then
    return a - (a / b) // 1 * b -- Luau: a - floor(a / b) * b
  end
  local x, y = coerce(a), coerce(b)
  if mtype(x) and mtype(y) then return x - (x / y) // 1 * y end
  if hasMeta(a, "__mod") or hasMeta(b, "__mod") then return a % b end
  arithError("mod", a, b)
end

local function neg(a)
  local ta = mtype(a)
  if ta == "integer" then
    if a == 0 then return -0.0 end
    return -a
  elseif ta then
    return -a
  end
  local x = coerce(a)
  if mtype(x) then return -x end
  if hasMeta(a, "__unm") then return -a end
  arithError("unm", a, a)
end

-- if-then-else expressions: nil and false travel boxed through `c and box(v) or w`.
local kNil, kFalse = {}, {}
local function box(v)
  if v then return v end
  if v == nil then return kNil end
  return kFalse
end
local function unbox(v)
  if rawequal(v, kNil) then return nil end
  if rawequal(v, kFalse) then return false end
  return v
end

-- obj:goto(...) (a Lua keyword as a method name): evaluates obj once.
local function mcall(o, k, ...)
  return o[k](o, ...)
end

-- The VM may provide C versions of the hottest helpers (src/luau/runtime/natives.cpp) as `__native` in
-- this chunk's environment: same values and messages, lower cost. Under plain lua5.4 it is absent.
local native = __native
if native ~= nil then
  str, tostr, interp, num2str = native.str, native.tostr, native.interp, native.num2str
  mul, idiv, mod, neg = native.mul, native.idiv, native.mod, native.neg
end

return {
  str = str,
  tostr = tostr,
  interp = interp,
  iter = iter,
  mul = mul,
  idiv = idiv,
  mod = mod,
  neg = neg,
  box = box,
  unbox = unbox,
  mcall = mcall,
  -- For the Luau standard library (tostring, print, string.format("%s")):
  tostring = tostr,
  num2str = num2str,
}
)lua";

}  // namespace

std::string_view runtimePrelude() { return kPrelude; }

}  // namespace tw::luau
