// Semantics of the lowering, checked by running the output in the real lua5.4 interpreter with the
// prelude loaded (see test_util.cpp for the harness that plays the VM's part).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include "luau/luau.h"
#include "luau/numfmt.h"
#include "luau/test_util.h"

namespace tw::luau {
namespace {

using testing::LuaRun;
using testing::luacAccepts;
using testing::lowerOrFail;
using testing::runLowered;
using testing::runLuau;

void expectOutput(const std::string& source, const std::string& expected) {
  SCOPED_TRACE(source);
  std::string lua = lowerOrFail(source);
  std::string diagnostics;
  EXPECT_TRUE(luacAccepts(lua, &diagnostics)) << diagnostics;
  LuaRun run = runLowered(lua);
  EXPECT_EQ(run.exitCode, 0) << run.output << "\n--- lowered:\n" << lua;
  EXPECT_EQ(run.output, expected) << "--- lowered:\n" << lua;
}

// ---- Numbers ----

TEST(LuauNumberFormatTest, MatchesLuauTostring) {
  // What Luau's tostring prints for these doubles.
  const std::pair<double, const char*> cases[] = {
      {5, "5"},
      {0.1, "0.1"},
      {0.1 + 0.2, "0.30000000000000004"},
      {-0.0, "-0"},
      {0.0, "0"},
      {1e100, "1e+100"},
      {INFINITY, "inf"},
      {-INFINITY, "-inf"},
      {NAN, "nan"},
      {-NAN, "nan"},
      {9007199254740992.0, "9007199254740992"},
      {9223372036854775808.0, "9223372036854776000"},
      {1e21, "1e+21"},
      {1e20, "100000000000000000000"},
      {1e-5, "0.00001"},
      {1e-6, "0.000001"},
      {1e-7, "1e-07"},
      {123.456, "123.456"},
      {-1.5e-10, "-1.5e-10"},
      {1e15, "1000000000000000"},
      {1180591620717411303424.0, "1.1805916207174113e+21"},
      {5e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {2.5, "2.5"},
      {-3, "-3"},
      {1e-100, "1e-100"},
      {123456789012.5, "123456789012.5"},
  };
  for (const auto& [value, text] : cases) EXPECT_EQ(luauNumberToString(value), text) << value;
}

TEST(LuauNumberFormatTest, PreludeAgreesWithTheCppFormatter) {
  // Random doubles across the whole range (plus integers and powers of two) through the prelude's
  // num2str, compared with the C++ shortest-round-trip formatter.
  std::mt19937_64 rng(42);
  std::string source = "local H = __luau\nlocal out = {}\n";
  std::vector<double> values;
  for (int i = 0; i < 3000; ++i) {
    std::uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (std::isnan(d)) continue;
    values.push_back(d);
  }
  for (int e = -1074; e <= 1023; e += 7) values.push_back(std::ldexp(1.0, e));
  for (int i = 0; i < 500; ++i) values.push_back(static_cast<double>(rng() % 100000) / 100.0);
  std::string lua = "local num2str = __luau.num2str\nlocal out = {}\n";
  std::string expected;
  for (double d : values) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%a", d);  // exact hexadecimal float literal
    lua += "out[#out + 1] = num2str(" + std::string(buf) + ")\n";
    expected += luauNumberToString(d) + "\n";
  }
  lua += "io.write(table.concat(out, '\\n'), '\\n')\n";
  LuaRun run = runLowered(lua);
  ASSERT_EQ(run.exitCode, 0) << run.output;
  EXPECT_EQ(run.output, expected);
}

TEST(LuauLoweringTest, NumbersPrintAsLuauWritesThem) {
  expectOutput(
      "print(5, 0.1, 0.1 + 0.2, -0, 1e100, 1/0, -1/0, 0/0, 2^53, 2^63, 1e21, 1e20, 1e-5, 1e-7, 123.456, -1.5e-10)\n"
      "print(10 / 2, 7 // 2, -7 // 2, 1 // 0, -1 // 0, 0 // 0, 5 % 0, -4 % 2, 5.5 % 2, 5 % -3, -5 % 3)\n"
      "local x = 0.1 + 0.2\n"
      "print(`{x} {10 / 2} {-0} {1/0}`, 'n=' .. x, x .. '', tostring(10 / 2), 5 .. '', 2^53 .. '')\n",
      "5\t0.1\t0.30000000000000004\t-0\t1e+100\tinf\t-inf\tnan\t9007199254740992\t9223372036854776000\t1e+21\t"
      "100000000000000000000\t0.00001\t1e-07\t123.456\t-1.5e-10\n"
      "5\t3\t-4\tinf\t-inf\tnan\tnan\t0\t1.5\t-1\t1\n"
      "0.30000000000000004 5 -0 inf\tn=0.30000000000000004\t0.30000000000000004\t5\t5\t9007199254740992\n");
}

TEST(LuauLoweringTest, IntegersFromLuaNeverShow) {
  // #, loop counters, next/ipairs keys and Lua's math.floor produce integers; Luau sees doubles.
  expectOutput(
      "local t = {10, 20, 30}\n"
      "local n = #t\n"
      "print(n // 0, n % 0, -(n - 3), n / 2, 0 // -n, (n - 3) * -1)\n"
      "for i = 0, 1 do print(-i, i // 0, 1 // i, i % 2, i / 2) end\n"
      "for i, v in ipairs(t) do if i == 1 then print(i * v, -i, i // 4, i % 0) end end\n"
      "local f = math.floor(3.7)\n"
      "print(f // 0, -(f - 3), f * 0.5)\n"
      "local q = math.floor(2^62)\n"
      "print(q * q, q * 4)\n",
      "inf\tnan\t-0\t1.5\t-0\t-0\n"
      "-0\tnan\tinf\t0\t0\n"
      "-1\tinf\t1\t1\t0.5\n"
      "10\t-1\t0\tnan\n"
      "inf\t-0\t1.5\n"
      "2.1267647932558654e+37\t18446744073709552000\n");
}

TEST(LuauLoweringTest, IntegerProductsDoNotWrap) {
  // 3^41 by repeated multiplication of Lua integers: Luau's doubles round past 2^53 and never wrap.
  double expected = 3;
  for (int i = 0; i < 40; ++i) expected *= 3;
  expectOutput("local n = #'abc'\nlocal p = n\nfor _ = 1, 40 do p = p * n end\nprint(p)\n",
               luauNumberToString(expected) + "\n");
}

TEST(LuauLoweringTest, LiteralsKeepTheirDoubleValue) {
  expectOutput(
      "print(9007199254740993, 9007199254740993 == 9007199254740992, 0xFFFFFFFFFFFFFFFF, 0x7FFFFFFFFFFFFFFF)\n"
      "print(0b1010, 1_000_000, 0x_FF, .5, 5., 1e999, 0xFFFFFFFFFFFFFFFFFF)\n"
      "print(-0 == 0, 1 / -0, 3 // 1, 2^-1)\n",
      "9007199254740992\ttrue\t18446744073709552000\t9223372036854776000\n"
      "10\t1000000\t255\t0.5\t5\tinf\t18446744073709552000\n"
      "true\t-inf\t3\t0.5\n");
}

TEST(LuauLoweringTest, SignOfZeroOnlyWhereItShows) {
  // In comparisons and keys Lua's native % and unary minus are used (the sign of a zero cannot show);
  // elsewhere the helpers give Luau's -0 and 0.
  expectOutput(
      "local z = -4\n"
      "local n = #'ab' - 2\n"
      "local t = {[0] = 'zero'}\n"
      "print(z % 2, z % 2 == 0, t[z % 2], -n, -n == 0, t[-n], z % 3 < 0, (-n) < 0)\n"
      "local odd = 0\n"
      "for i = -5, 5 do if i % 2 == 1 then odd += 1 end end\n"
      "print(odd, 7.5 % 2 == 1.5, (-7) % 3 == 2)\n",
      "0\ttrue\tzero\t-0\ttrue\tzero\tfalse\tfalse\n"
      "6\ttrue\ttrue\n");
}

TEST(LuauLoweringTest, ArithmeticWithStringsAndMetamethods) {
  expectOutput(
      "print('10' * '3', '7' // '0', '7' % '2', -'2')\n"
      "local V = {}\n"
      "V.__mul = function(a, b) return 'mul' end\n"
      "V.__mod = function(a, b) return 'mod' end\n"
      "V.__idiv = function(a, b) return 'idiv' end\n"
      "V.__unm = function(a) return 'unm' end\n"
      "local v = setmetatable({}, V)\n"
      "print(v * v, v % 2, v // v, -v, 3 * v)\n",
      "30\tinf\t1\t-2\n"
      "mul\tmod\tidiv\tunm\tmul\n");
}

// ---- continue ----

TEST(LuauLoweringTest, ContinueInRepeatUntilWithLaterLocals) {
  expectOutput(
      "local i = 0\n"
      "local out = {}\n"
      "repeat\n"
      "  i += 1\n"
      "  local skip = i % 2 == 0\n"
      "  if skip then continue end\n"
      "  local later = i * 10\n"
      "  table.insert(out, tostring(later))\n"
      "until i >= 6 and not skip\n"
      "print(table.concat(out, ','))\n",
      "10,30,50,70\n");
}

TEST(LuauLoweringTest, ContinueInEveryLoop) {
  expectOutput(
      "local out = {}\n"
      "local function add(x) table.insert(out, tostring(x)) end\n"
      "for i = 1, 5 do\n"
      "  if i % 2 == 0 then continue end\n"
      "  local sq = i * i\n"
      "  add(sq)\n"
      "end\n"
      "for k, v in {'a', 'b', 'c'} do\n"
      "  if v == 'b' then continue end\n"
      "  local label = `{k}{v}`\n"
      "  add(label)\n"
      "end\n"
      "local n = 0\n"
      "while n < 5 do\n"
      "  n += 1\n"
      "  do\n"
      "    if n == 3 then continue end\n"
      "  end\n"
      "  local copy = n\n"
      "  add(copy)\n"
      "end\n"
      "for i = 1, 3 do\n"
      "  for j = 1, 3 do\n"
      "    if j == 2 then continue end\n"
      "    add(i * 10 + j)\n"
      "  end\n"
      "  if i == 2 then continue end\n"
      "end\n"
      "local function f()\n"
      "  for i = 1, 3 do\n"
      "    if i == 1 then continue end\n"
      "    return i\n"
      "  end\n"
      "end\n"
      "add(f())\n"
      "print(table.concat(out, ' '))\n",
      "1 9 25 1a 3c 1 2 4 5 11 13 21 23 31 33 2\n");
}

TEST(LuauLoweringTest, ContinueWithoutBreakIsABreakOutOfARepeat) {
  // No break of its own: the body sits in `repeat ... until true` and continue is a break (one jump in
  // Lua 5.4 instead of two). With a break of its own, the loop keeps the goto and its label.
  std::string lua = lowerOrFail("for i = 1, 3 do\n  if i == 2 then continue end\n  print(i)\nend\n");
  EXPECT_NE(lua.find("repeat"), std::string::npos) << lua;
  EXPECT_NE(lua.find("until true"), std::string::npos) << lua;
  EXPECT_EQ(lua.find("goto"), std::string::npos) << lua;
  std::string withBreak = lowerOrFail("for i = 1, 3 do\n  if i == 2 then continue end\n  if i == 3 then break end\nend\n");
  EXPECT_NE(withBreak.find("goto"), std::string::npos) << withBreak;
  expectOutput(
      "for i = 1, 6 do\n"
      "  if i % 2 == 0 then continue end\n"
      "  if i == 5 then break end\n"
      "  print(i)\n"
      "end\n"
      "local n = 0\n"
      "while n < 6 do\n"
      "  n += 1\n"
      "  if n == 2 then continue end\n"
      "  for j = 1, 3 do\n"
      "    if j == 2 then break end\n"  // the inner loop's own break
      "    print(n, j)\n"
      "  end\n"
      "  if n >= 4 then return end\n"
      "end\n",
      "1\n3\n1\t1\n3\t1\n4\t1\n");
}

TEST(LuauLoweringTest, DoubleLocalsGetNativeArithmetic) {
  // Locals that only ever hold doubles need no helper for *, // or unary minus, and `x = a % m` is
  // computed in place; anything that may hold an integer keeps the helpers.
  std::string lua = lowerOrFail(
      "local x, v, dt = 0, 10, 0.016\n"
      "for i = 1, 10 do\n"
      "  local a = -x * 4\n"
      "  v += a * dt\n"
      "  x += v * dt\n"
      "end\n"
      "local h, m = 7, 1000003\n"
      "for i = 1, 10 do h = (h * 31 + i) % m end\n"
      "print(x * v, -x, x // dt, h)\n");
  EXPECT_EQ(lua.find("__luau_mul"), std::string::npos) << lua;
  EXPECT_EQ(lua.find("__luau_neg"), std::string::npos) << lua;
  EXPECT_EQ(lua.find("__luau_idiv"), std::string::npos) << lua;
  EXPECT_EQ(lua.find("__luau_mod"), std::string::npos) << lua;
  expectOutput(
      "local x = 1.0\n"
      "local function f() x = #'' end\n"  // an integer 0, from a closure
      "f()\n"
      "local y = -1\n"
      "local function g() y = -#'a' end\n"
      "g()\n"
      "print(x * y, -x)\n"
      "for i = 0, 0 do print(-i) end\n"
      "local h, m = 0.5, 0\n"
      "h = (h + 1) % m\n"
      "local z = 0.0\n"
      "print(h, -z, 7.5 // z)\n",
      "-0\t-0\n-0\nnan\t-0\tinf\n");
}

TEST(LuauLoweringTest, ContinueAsAnIdentifier) {
  expectOutput(
      "local continue = function(x) return x + 1 end\n"
      "print(continue(1))\n"
      "local t = {continue = 5}\n"
      "t.continue += 1\n"
      "print(t.continue)\n",
      "2\n6\n");
}

// ---- Compound assignment ----

TEST(LuauLoweringTest, CompoundAssignmentEvaluatesTargetsOnce) {
  expectOutput(
      "local calls = 0\n"
      "local t = {5}\n"
      "local function k() calls += 1 return 1 end\n"
      "t[k()] += 1\n"
      "print(t[1], calls)\n"
      "local a = {b = {c = 'x'}}\n"
      "local reads = 0\n"
      "local proxy = setmetatable({}, {__index = function(_, key) reads += 1 return a[key] end})\n"
      "proxy.b.c ..= 'y'\n"
      "print(a.b.c, reads)\n"
      "local log = {}\n"
      "local store = {}\n"
      "local m = setmetatable({}, {\n"
      "  __index = function(_, key) table.insert(log, 'get ' .. key) return store[key] or 0 end,\n"
      "  __newindex = function(_, key, v) table.insert(log, 'set ' .. key) store[key] = v end,\n"
      "})\n"
      "m.x += 2\n"
      "m['y'] *= 3\n"
      "print(table.concat(log, ', '), store.x, store.y)\n"
      "local order = {}\n"
      "local function obj() table.insert(order, 'obj') return t end\n"
      "local function key() table.insert(order, 'key') return 1 end\n"
      "local function val() table.insert(order, 'val') return 10 end\n"
      "obj()[key()] -= val()\n"
      "print(table.concat(order, ' '), t[1])\n",
      "6\t1\n"
      "xy\t1\n"
      "get x, set x, get y, set y\t2\t0\n"
      "obj key val\t-4\n");
}

TEST(LuauLoweringTest, CompoundAssignmentOperators) {
  expectOutput(
      "local a = 10\n"
      "a += 5; a -= 3 - 1; a *= 2; a /= 4; a //= 2; a %= 4; a ^= 3\n"
      "local s = 'n'\n"
      "s ..= 1 .. 2\n"
      "local b = 7\n"
      "b *= b\n"
      "b //= 0\n"
      "print(a, s, b)\n",
      "27\tn12\tinf\n");
}

// ---- Generalized iteration ----

TEST(LuauLoweringTest, GeneralizedIteration) {
  expectOutput(
      "local obj = setmetatable({items = {'a', 'b'}}, {__iter = function(o) return next, o.items end, __metatable = 'locked'})\n"
      "for k, v in obj do print(k, v) end\n"
      "for k, v in {10, 20} do print(k, v) end\n"
      "for k, v in pairs({x = 1}) do print(k, v) end\n"
      "for i, v in ipairs({'p'}) do print(i, v) end\n"
      "for w in string.gmatch('a b', '%a') do print(w) end\n"
      "local calls = 0\n"
      "local gen = setmetatable({}, {__call = function(self, s, c) calls += 1 if c < 2 then return c + 1 end return nil end})\n"
      "for i in gen, nil, 0 do print('call', i) end\n"
      "local counted = 0\n"
      "for _, v in next, {1, 2, 3} do counted += v end\n"
      "print(counted)\n",
      "1\ta\n2\tb\n1\t10\n2\t20\nx\t1\n1\tp\na\nb\ncall\t1\ncall\t2\n6\n");
}

TEST(LuauLoweringTest, IteratingANonTableFailsOnTheAuthorsLine) {
  LuaRun run = runLuau("local x = 1\n\nfor k in nil do end\n");
  EXPECT_EQ(run.exitCode, 1);
  EXPECT_NE(run.output.find("init.luau:3: attempt to iterate over a nil value"), std::string::npos) << run.output;
}

// ---- Interpolation and if-expressions ----

TEST(LuauLoweringTest, InterpolationUsesTostringInLuauOrder) {
  expectOutput(
      "local v = setmetatable({}, {__tostring = function() return 'V!' end})\n"
      "print(`value: {v} {1/2} {nil} {true} {'s'}`)\n"
      "local log = {}\n"
      "local a = setmetatable({}, {__tostring = function() table.insert(log, 'A') return 'a' end})\n"
      "local function f() table.insert(log, 'f') return 1 end\n"
      "local s = `{a}{f()}`\n"
      "print(s, table.concat(log, ','))\n"
      "local function two() return 'x', 'y' end\n"
      "print(`{two()}|{two()}`, `[{two()}]`)\n"
      "print(`nested {`inner {1 + 1}`} \\{braces\\} \\` {'{'} {({1, 2})[2]}`)\n"
      "print(`{ ({1})[1] }`, `\\u{48}i`, `multi {\n  'line'\n}`)\n",
      "value: V! 0.5 nil true s\n"
      "a1\tf,A\n"
      "x|x\t[x]\n"
      "nested inner 2 {braces} ` { 2\n"
      "1\tHi\tmulti line\n");
}

TEST(LuauLoweringTest, InterpolationRejectsNonStringTostring) {
  LuaRun run = runLuau("local v = setmetatable({}, {__tostring = function() return {} end})\n\nlocal s = `{v}`\n");
  EXPECT_EQ(run.exitCode, 1);
  EXPECT_NE(run.output.find("init.luau:3: '__tostring' must return a string"), std::string::npos) << run.output;
}

TEST(LuauLoweringTest, IfExpressions) {
  expectOutput(
      "local function pick(x) return if x then false else nil end\n"
      "print(pick(true), pick(false))\n"
      "local evaluated = {}\n"
      "local function mark(s, v) table.insert(evaluated, s) return v end\n"
      "local r = if mark('c1', false) then mark('a', 1) elseif mark('c2', true) then mark('b', false) else mark('c', 3)\n"
      "print(r, table.concat(evaluated, ' '))\n"
      "local n = 5\n"
      "print(if n > 3 then 'big' else 'small', if n > 9 then 'big' elseif n > 4 then 'mid' else 'small')\n"
      "print((if n then 2 else 3) * 10, if n or false then 'or' else 'no', if if n then nil else 1 then 'a' else 'b')\n"
      "local t = { if n then nil else 1, 2 }\n"
      "print(t[1], t[2], #`{if n then 'x' else 'y'}`)\n"
      "local x = 5\n"
      "do local x = if x then x + 1 else nil; print(x) end\n"
      "local function multi() return 1, 2 end\n"
      "local function r(c) return if c then multi() else nil end\n"
      "local y = 1\n"
      "y = if y > 5 then 1 else nil\n"
      "print(select('#', r(true)), select('#', r(false)), y)\n",
      "false\tnil\n"
      "false\tc1 c2 b\n"
      "big\tmid\n"
      "20\tor\tb\n"
      "nil\t2\t1\n"
      "6\n"
      "1\t1\tnil\n");
}

// ---- Names ----

TEST(LuauLoweringTest, LuaKeywordsAndReservedNamesAreRenamed) {
  expectOutput(
      "local goto = 5\n"
      "print(goto)\n"
      "local t = {goto = 1}\n"
      "t.goto += 1\n"
      "function t.goto2() return t.goto end\n"
      "function t.goto() return 'fn' end\n"
      "function t:method() return self == t end\n"
      "t.obj = {}\n"
      "function t.obj:goto(x) return x end\n"
      "print(t.goto(), t.goto2 and 'ok', t:method(), t.obj:goto(7))\n"
      "local _ENV = 'shadow'\n"
      "print(_ENV, type(print))\n"
      "local __luau = 3\n"
      "local __luau_str = 4\n"
      "print(__luau + __luau_str, `{__luau}`)\n",
      "5\nfn\tok\ttrue\t7\nshadow\tfunction\n7\t3\n");
}

// ---- Lines ----

TEST(LuauLoweringTest, RuntimeErrorsNameTheAuthorsLine) {
  struct Case {
    const char* source;
    const char* where;
  };
  const Case cases[] = {
      {"local a = 1\nlocal b: number? = nil\nlocal c = {\n  x = 1,\n  y = a +\n    b,\n}\n", "init.luau:5: attempt to perform arithmetic"},
      {"type T = {\n  x: number,\n}\nlocal s = [[\n\n]]\nlocal x = s * nil\n", "init.luau:7: attempt to perform arithmetic (mul)"},
      {"local t = nil\nlocal n = 1\nn += 2\nt.x += 1\n", "init.luau:4: attempt to index a nil value"},
      {"local f\nlocal s = `a{\n  1\n}b`\nlocal v = if s\n  then f()\n  else 2\n", "init.luau:6: attempt to call a nil value"},
      {"for i = 1, 2 do\n  if i == 1 then continue end\n  error('boom')\nend\n", "init.luau:3: boom"},
      {"local x = -(\n  nil\n)\n", "init.luau:1: attempt to perform arithmetic (unm) on nil"},
      {"local a = 1 % {}\n", "init.luau:1: attempt to perform arithmetic (mod) on number and table"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.source);
    LuaRun run = runLuau(c.source);
    EXPECT_EQ(run.exitCode, 1) << run.output;
    EXPECT_NE(run.output.find(c.where), std::string::npos) << run.output;
  }
}

TEST(LuauLoweringTest, TracebacksNameTheAuthorsLines) {
  LuaRun run = runLuau(
      "--!strict\n"
      "type Handler = (string) -> ()\n"
      "\n"
      "local function inner(x: string)\n"
      "  error(`bad {x}`)\n"
      "end\n"
      "\n"
      "local function outer(h: Handler)\n"
      "  h('input')\n"
      "end\n"
      "\n"
      "outer(inner)\n",
      "templates/mod.luau");
  EXPECT_EQ(run.exitCode, 1);
  EXPECT_NE(run.output.find("templates/mod.luau:5: bad input"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("templates/mod.luau:9: in"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("templates/mod.luau:12: in main chunk"), std::string::npos) << run.output;
}

TEST(LuauLoweringTest, StatementsStayOnTheirLines) {
  // Every statement reports its own line through debug.getinfo.
  std::string source =
      "local lines = {}\n"
      "local function here() table.insert(lines, debug.getinfo(2, 'l').currentline) end\n"
      "type A = {\n"
      "  x: number,\n"
      "}\n"
      "here()\n"
      "local s = [[\n"
      "two\n"
      "]] here()\n"
      "local n = 0\n"
      "n += 1 here()\n"
      "for i = 1, 1 do\n"
      "  if i == 2 then continue end\n"
      "  here()\n"
      "end\n"
      "repeat\n"
      "  if n == 0 then continue end\n"
      "  here()\n"
      "until true\n"
      "local v = if n > 0\n"
      "  then `{\n"
      "    n\n"
      "  }`\n"
      "  else nil\n"
      "here()\n"
      "print(table.concat(lines, ' '))\n";
  expectOutput(source, "6 9 11 14 18 25\n");
}

TEST(LuauLoweringTest, PreludeHasItsOwnErrorsWhereUnavoidable) {
  // Sanity: lowered chunks load the helpers they use on line 1 and nothing else.
  std::string lua = lowerOrFail("local a = 1\nprint(a)\n");
  EXPECT_EQ(lua.find("__luau"), std::string::npos) << lua;
  std::string lua2 = lowerOrFail("local a = `{1}`\nfor k in a do end\n");
  EXPECT_EQ(lua2.substr(0, 6), "local ");
  EXPECT_LT(lua2.find("__luau_iter"), lua2.find('\n'));
}

}  // namespace
}  // namespace tw::luau
