// Syntax coverage: every Luau form is accepted (and its lowering is valid Lua 5.4), every syntax error
// names file:line:column and what was expected, and hostile sources fail cleanly and quickly.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "luau/luau.h"
#include "luau/test_util.h"

namespace tw::luau {
namespace {

using testing::luacAccepts;

struct Accepted {
  const char* name;
  const char* source;
};

// One snippet per syntax form.
const Accepted kAccepted[] = {
    {"plain Lua 5.1", "local a, b = 1, 2\nfunction g(...) return select('#', ...) end\nwhile a < 3 do a = a + 1 end\n"
                      "repeat a = a - 1 until a == 0\nfor i = 1, 3, 1 do end\nfor k, v in pairs({}) do end\n"
                      "do local x = #'abc' .. 'x' end\nif a then elseif b then else end\nlocal t = {1, 2; x = 3, [4] = 5,}\n"
                      "local m = t.x; local n = t['x']; g(); g'str'; g{1}; g[[long]]"},
    {"method definitions and calls", "local obj = {}\nfunction obj.a.b:method(x) return self, x end\nobj:method(1)\n"},
    {"parameter and return types", "local function f(a: number, b: string?, ...: any): (number, string) return a, b end"},
    {"generic functions", "local function id<T>(x: T): T return x end\nfunction M.map<K, V>(t: {[K]: V}): {V} return {} end"},
    {"generic packs", "local function pack<T...>(...: T...): T... return ... end"},
    {"local and for annotations", "local x: number, y: {string} = 1, {}\nfor i: number = 1, 2 do end\n"
                                  "for k: string, v: number in pairs({}) do end"},
    {"type alias", "type Point = { x: number, y: number }\nexport type Pair<A, B> = { first: A, second: B }"},
    {"type alias defaults", "type A<T, U = string> = (T) -> U\ntype B<T... = ...number> = (T...) -> ()\n"
                            "type C<T = number, U... = (string, number)> = { f: (U...) -> T }"},
    {"type functions", "type function keys(t)\n  return t\nend\nexport type function other(x) return x end"},
    {"function types", "type F = (number, string) -> boolean\ntype G = (errorCode: number, text: string) -> ()\n"
                       "type H = <T>(T) -> T\ntype I = (...number) -> ...string\ntype J = () -> () -> number"},
    {"table types", "type T = { x: number, [string]: any, read y: number, write z: string; }\ntype U = {number}\n"
                    "type V = { [\"key with space\"]: boolean }\ntype W = { read: number, write: string }"},
    {"unions, intersections, optionals", "type U = number | string | nil\ntype I = A & B\ntype O = number??\n"
                                         "type L = | 'a' | 'b'\ntype M = & A & B\ntype P = (number | string)?"},
    {"singletons", "type S = \"on\" | 'off' | true | false"},
    {"typeof", "local x = 1\ntype X = typeof(x)\ntype Y = typeof(setmetatable({}, {}))"},
    {"qualified generic types", "local M = {}\nlocal a: M.Point<number, (string) -> ()> = nil :: any"},
    {"type arguments with packs", "type A = Foo<(number, string), ...boolean, T...>\ntype B = Foo<()>\ntype C = Foo<>"},
    {"greater-equal after a type", "local t: {number}= {}\nlocal u: Array<number>= {}"},
    {"casts", "local x = (y :: any).z\nlocal n = f() :: number\nlocal s = (x :: string):upper()"},
    {"explicit instantiation", "local a = f<<number>>\nf<<number, string>>()\nlocal b = t.f<<T>>()\n"
                               "local c = t:m<<T>>(1)\nlocal d = t['f']<<{number}>>()"},
    {"continue statement", "for i = 1, 3 do if i == 2 then continue end end\nwhile true do continue end"},
    {"continue as an identifier", "local continue = 1\ncontinue = 5\ncontinue()\ncontinue.x = 1\n"
                                  "local t = {continue = 1}\nprint(t.continue)"},
    {"type and export as identifiers", "local type = 1\ntype = 2\nprint(type(3))\nlocal export = {}\nexport.type = 1\n"
                                       "export = 4"},
    {"compound assignment", "local a = 1\na += 1; a -= 1; a *= 2; a /= 2; a //= 1; a %= 7; a ^= 2\nlocal s = ''\ns ..= 'x'\n"
                            "t.x += 1; t[1] -= 1"},
    {"if expressions", "local a = if x then 1 else 2\nlocal b = if x then 1 elseif y then 2 elseif z then 3 else 4\n"
                       "local c = (if x then y else z) + 1\nlocal d = if if x then y else z then 1 else 2"},
    {"interpolated strings", "local a = `plain`\nlocal b = `x = {x}, y = {y}`\nlocal c = `{ {1, 2} }`\n"
                             "local d = `\\{not} \\` \\u{48} {`inner {x}`}`\nlocal e = `{x}{y}{z}`"},
    {"generalized iteration", "for k, v in {1, 2} do end\nfor k in t do end\nfor a, b, c in f, s, c do end"},
    {"number literals", "local a = 0b1010\nlocal b = 0B11\nlocal c = 1_000_000\nlocal d = 0xFF_FF\nlocal e = 0x_ff\n"
                        "local f = 0b_0101\nlocal g = 1e10\nlocal h = .5\nlocal i = 5.\nlocal j = 1E-3\nlocal k = 3.14_15"},
    {"string escapes", "local a = '\\x41\\u{1F600}\\65\\a\\b\\f\\n\\r\\t\\v\\\\\\'\\\"'\nlocal b = 'a\\z\n    b'\n"
                       "local c = 'line\\\nnext'\nlocal d = '\\q'"},
    {"long strings and comments", "local a = [==[ ]] ]=] ]==]\n--[[ comment ]] local b = 1\n--[=[\nmulti\n]=]\n-- line"},
    {"attributes", "@native function f() end\n@native local function g() end\n@checked @deprecated function h() end\n"
                   "local k = @native function() end"},
    {"bracketed attributes", "@[deprecated{ use = 'g', reason = \"old\" }] function f() end\n"
                             "@[native, deprecated(\"x\", 1, true, nil)] local function g() end\n@[deprecated 'x'] function h() end"},
    {"floor division", "local a = 7 // 2\nlocal b = a // 0.5"},
    {"goto and _ENV as names", "local goto = 1\nlocal _ENV = 2\ngoto = goto + _ENV\nt.goto = 1\nlocal u = {goto = 1}\n"
                               "function t.goto() end\nfunction t:goto() end\nt:goto()"},
    {"semicolons", ";;local a = 1;;; local b = 2;"},
    {"shebang and BOM", "#!/usr/bin/env luau\nlocal a = 1"},
    {"varargs", "local function f(...) local a, b = ... return ..., select('#', ...) end\nprint(...)"},
    {"call right after a multi-line string", "local s = f [[\nabc\n]](1)\nlocal u = f '\\\nx'(2)"},
};

TEST(LuauParserTest, AcceptsEverySyntaxForm) {
  for (const Accepted& c : kAccepted) {
    SCOPED_TRACE(c.name);
    SyntaxError where;
    Result<std::string> out = lower(c.source, "init.luau", {}, &where);
    ASSERT_TRUE(out.ok()) << out.error().message;
    std::string diagnostics;
    EXPECT_TRUE(luacAccepts(out.value(), &diagnostics)) << diagnostics << "\n" << out.value();
  }
}

TEST(LuauParserTest, BomIsSkipped) {
  Result<std::string> out = lower("\xEF\xBB\xBFlocal a = 1", "init.luau");
  ASSERT_TRUE(out.ok()) << out.error().message;
}

struct Rejected {
  const char* source;
  std::uint32_t line;
  std::uint32_t column;
  const char* message;  // a substring of the message
};

const Rejected kRejected[] = {
    {"if x x end", 1, 6, "expected 'then' near 'x'"},
    {"while x end", 1, 9, "expected 'do' near 'end'"},
    {"for i = 1 do end", 1, 11, "expected ','"},
    {"for a b in t do end", 1, 7, "expected 'in' or '=' in the for loop near 'b'"},
    {"local function f()\n  if x then\nend", 3, 4, "expected 'end' (to close 'function' at line 1) near <eof>"},
    {"local t = (1", 1, 13, "expected ')' near <eof>"},
    {"local t = {a = 1 b = 2}", 1, 18, "expected '}' near 'b'"},
    {"local x = 1 +", 1, 14, "unexpected symbol near <eof>"},
    {"x", 1, 2, "expected an assignment or a function call"},
    {"f() = 1", 1, 5, "unexpected symbol near '='"},
    {"(a) = 1", 1, 5, "only variables and fields can be assigned to"},
    {"f() += 1", 1, 5, "unexpected symbol"},
    {"local x = \"abc", 1, 11, "unfinished string near '\"abc'"},
    {"local x = 'abc\ndef'", 1, 11, "unfinished string"},
    {"local s = [[abc", 1, 11, "unfinished long string (starting at line 1)"},
    {"--[==[ abc\n\n", 1, 1, "unfinished long comment (starting at line 1)"},
    {"local s = [=x", 1, 11, "invalid long string delimiter"},
    {"local s = `abc", 1, 11, "unfinished interpolated string"},
    {"local s = `a{x", 1, 15, "malformed interpolated string: expected '}'"},
    {"local s = `a{}`", 1, 14, "expected an expression inside '{}'"},
    {"local s = `{{x}}`", 1, 12, "double braces are not permitted within interpolated strings; did you mean '\\{'?"},
    {"print`x`", 1, 6, "an interpolated string must be wrapped in parentheses to be a call argument"},
    {"local x = 1.2.3", 1, 11, "malformed number near '1.2.3'"},
    {"local x = 0x", 1, 11, "malformed number"},
    {"local x = 0b102", 1, 11, "malformed number"},
    {"local x = 1e", 1, 11, "malformed number"},
    {"local x = 3and", 1, 11, "malformed number"},
    {"local x = 0x1p4", 1, 11, "malformed number"},
    {"local s = '\\x4'", 1, 12, "invalid escape sequence '\\x'"},
    {"local s = '\\u{110000}'", 1, 12, "invalid escape sequence '\\u{...}'"},
    {"local s = '\\u{}'", 1, 12, "invalid escape sequence '\\u{...}'"},
    {"local s = '\\u48'", 1, 12, "invalid escape sequence '\\u'"},
    {"local s = '\\300'", 1, 12, "decimal escape too large"},
    {"local function f() return ... end", 1, 27, "cannot use '...' outside a vararg function"},
    {"break", 1, 1, "'break' outside a loop"},
    {"continue", 1, 1, "'continue' outside a loop"},
    {"for i = 1, 2 do local f = function() continue end end", 1, 38, "'continue' outside a loop"},
    {"return 1 print(2)", 1, 10, "'return' must be the last statement of its block"},
    {"while true do break print(1) end", 1, 21, "'break' must be the last statement of its block"},
    {"while true do continue print(1) end", 1, 24, "'continue' must be the last statement of its block"},
    {"local a = f\n(g)()", 2, 1, "ambiguous syntax"},
    {"repeat\n  if x then continue end\n  local a = 5\nuntil a > 0", 4, 1,
     "local 'a' (line 3) is used in the repeat..until condition but the 'continue' on line 2 can skip its declaration"},
    {"if a != b then end", 1, 6, "unexpected '!='; did you mean '~='?"},
    {"local x = a && b", 1, 13, "unexpected '&&'; did you mean 'and'?"},
    {"local x = a || b", 1, 13, "unexpected '||'; did you mean 'or'?"},
    {"local x = !y", 1, 11, "unexpected '!'; did you mean 'not'?"},
    {"local x: = 1", 1, 10, "expected a type near '='"},
    {"local x: function = 1", 1, 10, "'function' is not a type"},
    {"type T = `x`", 1, 10, "interpolated strings cannot be used as types"},
    {"type T = A | B & C", 1, 19, "mixing union and intersection types"},
    {"type T = ()", 1, 12, "expected '->' after '()'"},
    {"type F = (a: number)", 1, 21, "expected '->'"},
    {"type T<U... , V> = U", 1, 16, "generic types must come before generic type packs"},
    {"type T", 1, 7, "expected '=' in the type alias"},
    {"local function f(): -> number end", 1, 21, "expected a type"},
    {"local function f() -> number end", 1, 20, "function return types are written after ':'"},
    {"local x = if a then b", 1, 22, "expected 'else' in the if-then-else expression"},
    {"local x = if a b else c", 1, 16, "expected 'then'"},
    {"@native local x = 1", 1, 9, "expected 'function' or 'local function' after attributes"},
    {"@ native function f() end", 1, 1, "expected an attribute name after '@'"},
    {"@[native function f() end", 1, 10, "expected ']'"},
    {"local x = @native 5", 1, 19, "expected 'function' after attributes"},
    {"local \xC3\xA9 = 1", 1, 7, "unexpected Unicode character U+00E9 outside a string"},
    {"local x = \xFF", 1, 11, "invalid UTF-8 sequence"},
    {"local x = \xE2\x82", 1, 11, "invalid UTF-8 sequence"},
    {"local t = {}\nt.end = 1", 2, 3, "expected a name for the field near 'end'"},
    {"x += ", 1, 6, "unexpected symbol near <eof>"},
    {"local a <const> = 1", 1, 9, "unexpected symbol near '<'"},
    {"goto label", 1, 6, "expected an assignment or a function call near 'label'"},
    {"end", 1, 1, "expected <eof> near 'end'"},
    {"local s = '\\", 1, 12, "unfinished string"},
    {"local x = t[1", 1, 14, "expected ']' near <eof>"},
    {"local 1 = 2", 1, 7, "expected a name for the local variable near '1'"},
    {"function 1() end", 1, 10, "expected a name for the function near '1'"},
    {"local x = t:m", 1, 14, "expected function arguments near <eof>"},
    {"local x = f`a`", 1, 12, "an interpolated string must be wrapped in parentheses to be a call argument"},
    {"type F = (a: number): number", 1, 21, "return types in function types are written after '->' instead of ':'"},
    {"local x: T... = 1", 1, 11, "a type pack is not allowed here"},
    {"type A<T... = number> = T", 1, 15, "expected a type pack as the default of a generic type pack"},
    {"@[deprecated(x)] function f() end", 1, 14, "expected a literal in the attribute arguments"},
    {"local t = {[1] 2}", 1, 16, "expected '=' in the table field"},
    {"for i = 1, 2 do end end", 1, 21, "expected <eof> near 'end'"},
};

TEST(LuauParserTest, RejectsWithPositionAndExpectation) {
  for (const Rejected& c : kRejected) {
    SCOPED_TRACE(c.source);
    SyntaxError where;
    Result<std::string> out = lower(c.source, "init.luau", {}, &where);
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.error().kind, ErrorKind::kSyntaxError);
    EXPECT_EQ(where.file, "init.luau");
    EXPECT_EQ(where.line, c.line) << where.toString();
    EXPECT_EQ(where.column, c.column) << where.toString();
    EXPECT_NE(where.message.find(c.message), std::string::npos) << where.toString();
    EXPECT_EQ(out.error().message, where.toString());
  }
}

TEST(LuauParserTest, OutputDeeperThanLuaCanLoadIsRejected) {
  // Within the parser's budget but, with the helpers around each level, deeper than Lua's parser takes.
  std::string src = "local a, b\nreturn ";
  for (int i = 0; i < 70; ++i) src += "(if a then false else ";
  src += "b";
  for (int i = 0; i < 70; ++i) src += ")";
  SyntaxError where;
  Result<std::string> out = lower(src, "init.luau", {}, &where);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(where.line, 2u);
  EXPECT_NE(where.message.find("too many nested syntax levels for Lua 5.4 once lowered (the limit is 180)"),
            std::string::npos)
      << where.toString();
}

TEST(LuauParserTest, ErrorMessageFormat) {
  SyntaxError where;
  Result<std::string> out = lower("local a = 1\nlocal b = 2\nif a == b x = 1 end", "init.luau", {}, &where);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "init.luau:3:11: expected 'then' near 'x'");
}

TEST(LuauParserTest, ColumnsCountCodePoints) {
  SyntaxError where;
  Result<std::string> out = lower("local s = '\xC3\xA9\xC3\xA9' = 1", "m.luau", {}, &where);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(where.toString(), "m.luau:1:16: unexpected symbol near '='");
}

TEST(LuauParserTest, StringsMayHoldAnyBytes) {
  // Luau does not validate string contents; the output escapes what is not UTF-8.
  Result<std::string> out = lower("local s = '\xFF\xC3\xA9\x01'\nreturn s", "init.luau");
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_NE(out.value().find("\\xFF\xC3\xA9\\001"), std::string::npos) << out.value();
}

// ---- Hostile sources: clear errors, bounded time, memory and recursion. ----

// Time bounds catch quadratic behaviour, not speed: sanitizer builds run unoptimized and instrumented.
#ifdef TW_SANITIZER_BUILD
constexpr int kSlowdown = 10;
#else
constexpr int kSlowdown = 1;
#endif

std::string repeat(std::string_view unit, std::size_t n) {
  std::string s;
  s.reserve(unit.size() * n);
  for (std::size_t i = 0; i < n; ++i) s += unit;
  return s;
}

void expectDepthError(const std::string& source, const char* what) {
  SCOPED_TRACE(what);
  auto start = std::chrono::steady_clock::now();
  SyntaxError where;
  Result<std::string> out = lower(source, "init.luau", {}, &where);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(out.ok());
  EXPECT_NE(where.message.find("too many nested syntax levels"), std::string::npos) << where.toString();
  EXPECT_LT(elapsed, std::chrono::seconds(2 * kSlowdown));
}

TEST(LuauParserTest, DeepNestingIsRejected) {
  constexpr std::size_t kDeep = 100000;
  expectDepthError("local x = " + repeat("(", kDeep) + "1" + repeat(")", kDeep), "parentheses");
  expectDepthError("local x = " + repeat("{", kDeep) + repeat("}", kDeep), "tables");
  expectDepthError(repeat("do ", kDeep) + repeat("end ", kDeep), "blocks");
  expectDepthError("local x = " + repeat("function() return ", kDeep) + "1" + repeat(" end", kDeep), "functions");
  expectDepthError("local x = " + repeat("- ", kDeep) + "1", "unary minus");
  expectDepthError("local x = " + repeat("not ", kDeep) + "1", "not");
  expectDepthError("local x = " + repeat("a .. ", kDeep) + "a", "concatenation");
  expectDepthError("local x = " + repeat("a + ", kDeep) + "a", "addition chain");
  expectDepthError("local x = " + repeat("if a then b else ", kDeep) + "c", "if expressions");
  expectDepthError("local x = a" + repeat(".b", kDeep), "field chain");
  expectDepthError("local x = f" + repeat("()", kDeep), "call chain");
  expectDepthError("local x: " + repeat("{", kDeep) + "number" + repeat("}", kDeep), "table types");
  expectDepthError("local x: " + repeat("(", kDeep) + "number" + repeat(")", kDeep), "parenthesized types");
  expectDepthError("local x = `" + repeat("{`", kDeep) + repeat("`}", kDeep) + "`", "interpolations");
  expectDepthError("local x = a" + repeat("[a", kDeep) + repeat("]", kDeep), "indexing");
}

TEST(LuauParserTest, NestingWithinTheLimitCompilesInLua) {
  // The deepest nesting accepted for each construct must still load in Lua 5.4 (200 C levels).
  struct Case {
    const char* open;
    const char* inner;
    const char* close;
    const char* suffix;
  };
  const Case cases[] = {
      {"(", "1", ")", ""},
      {"{", "", "}", ""},
      {"if a then ", "1", "", " else 2"},
      {"f(", "1", ")", ""},
      {"(1 .. ", "x", ")", ""},
      {"-(", "x", ")", ""},
      {"`{", "x", "}`", ""},
      {"(a * ", "b", ")", ""},
      {"(if a then false else ", "b", ")", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.open);
    // Find the deepest accepted nesting by bisection, then check Lua loads it.
    std::size_t lo = 1;
    std::size_t hi = 400;
    std::string best;
    while (lo < hi) {
      std::size_t mid = (lo + hi + 1) / 2;
      std::string src = "local a, b, x, f\nreturn " + repeat(c.open, mid) + c.inner + repeat(std::string(c.close) + c.suffix, mid);
      Result<std::string> out = lower(src, "init.luau");
      if (out.ok()) {
        lo = mid;
        best = out.value();
      } else {
        hi = mid - 1;
      }
    }
    ASSERT_FALSE(best.empty());
    EXPECT_GE(lo, 40u) << "nesting limit is too low";
    std::string diagnostics;
    EXPECT_TRUE(luacAccepts(best, &diagnostics)) << "depth " << lo << ": " << diagnostics;
  }
  // Statement nesting.
  std::size_t accepted = 0;
  std::string deepest;
  for (std::size_t depth = 10; depth <= 400; depth += 10) {
    Result<std::string> out = lower(repeat("do ", depth) + "local x = 1 " + repeat("end ", depth), "init.luau");
    if (!out.ok()) break;
    accepted = depth;
    deepest = out.value();
  }
  EXPECT_GE(accepted, 100u);
  EXPECT_TRUE(luacAccepts(deepest));
}

TEST(LuauParserTest, TooLargeSourceIsRejected) {
  Options options;
  options.maxSourceBytes = 1000;
  SyntaxError where;
  Result<std::string> out = lower(std::string(1001, ' '), "big.luau", options, &where);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "big.luau:1:1: source is too large (1001 bytes; the limit is 1000)");
  // The default limit turns a 10 MB line away before any work.
  Result<std::string> huge = lower("local s = '" + std::string(10 << 20, 'x') + "'", "big.luau");
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.error().message.find("source is too large"), std::string::npos);
}

TEST(LuauParserTest, LongLinesAreLinear) {
  // A 10 MB line under a raised limit: a string, and a long line of statements.
  Options options;
  options.maxSourceBytes = 16 << 20;
  auto start = std::chrono::steady_clock::now();
  std::string text = "local s = '" + std::string(10 << 20, 'x') + "' return #s";
  Result<std::string> out = lower(text, "init.luau", options);
  ASSERT_TRUE(out.ok());
  EXPECT_LT(out.value().size(), text.size() + 200);
  std::string statements = "local a = 0 " + repeat("a += 1 ", (10 << 20) / 7);
  Result<std::string> out2 = lower(statements, "init.luau", options);
  ASSERT_TRUE(out2.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10 * kSlowdown));
}

TEST(LuauParserTest, HostileStringsAndBytes) {
  SyntaxError where;
  // An unterminated long string of several megabytes.
  Result<std::string> a = lower("local s = [==[" + std::string(3 << 20, 'x'), "init.luau", {}, &where);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(where.toString(), "init.luau:1:11: unfinished long string (starting at line 1)");
  // NUL bytes anywhere.
  Result<std::string> b = lower(std::string("local a = 1\nlocal b = '\0'", 24), "init.luau", {}, &where);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(where.toString(), "init.luau:2:12: unexpected NUL byte (write \\0 inside a string)");
  // Invalid UTF-8 in code.
  Result<std::string> c = lower("local a = 1\n\x80\x80", "init.luau", {}, &where);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(where.toString(), "init.luau:2:1: invalid UTF-8 sequence");
  // Random bytes never crash or hang.
  static constexpr std::string_view kAlphabet = "(){}[]`'\"=+-*/%^#.,;:<>~@ \nab12xz\\";
  std::uint64_t state = 12345;
  for (int round = 0; round < 300; ++round) {
    std::string junk;
    for (int i = 0; i < 400; ++i) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      junk += kAlphabet[(state >> 33) % kAlphabet.size()];
    }
    (void)lower(junk, "fuzz.luau");
  }
}

// ---- Lines: the output keeps every token on its source line. ----

TEST(LuauParserTest, OutputNeverHasMoreLinesThanTheSource) {
  const char* source =
      "type T = {\n  x: number,\n}\nlocal s = [[\nline 2\nline 3]] .. `a{\n  1\n}`\nlocal n = if s\n  then 1\n  else 2\n"
      "for k, v in {\n  1,\n} do\n  if v then continue end\nend\nreturn n";
  std::string lua = testing::lowerOrFail(source);
  auto lines = [](const std::string& s) { return 1 + std::count(s.begin(), s.end(), '\n'); };
  EXPECT_LE(lines(lua), lines(source));
  EXPECT_TRUE(luacAccepts(lua));
}

}  // namespace
}  // namespace tw::luau
