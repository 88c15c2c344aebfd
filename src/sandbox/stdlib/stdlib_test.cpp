// Conformance of our string/table libraries: differential tests against the stock Lua 5.4.4 libraries
// (same chunk, same serialised results or error messages) and Lua-written assertion suites.

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "sandbox/stdlib/stdlib_test_util.h"

namespace tw::sandbox::stdlib::testing {
namespace {

// Lua source text for the string s: a quoted literal with every non-alphanumeric byte escaped.
std::string luaQuote(const std::string& s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      out += ch;
    } else {
      out += "\\" + std::to_string(c);
      out += "\\z";  // ends the decimal escape so a following digit is not swallowed
    }
  }
  return out + "\"";
}

std::vector<std::string> loadCaseList(const std::string& file) {
  TestVm vm(Libs::kStock);
  lua_State* L = vm.state();
  const std::string code = readTestFile(file);
  std::vector<std::string> cases;
  if (luaL_loadbuffer(L, code.data(), code.size(), file.c_str()) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
    ADD_FAILURE() << lua_tostring(L, -1);
    return cases;
  }
  const auto n = static_cast<lua_Integer>(lua_rawlen(L, -1));
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L, -1, i);
    std::size_t len = 0;
    const char* s = lua_tolstring(L, -1, &len);
    cases.emplace_back(s, len);
    lua_pop(L, 1);
  }
  return cases;
}

void expectSameAsStock(const std::vector<std::string>& cases) {
  TestVm stock(Libs::kStock);
  TestVm ours(Libs::kOurs);
  int differences = 0;
  for (const std::string& code : cases) {
    const std::string expected = stock.check(code);
    const std::string actual = ours.check(code);
    EXPECT_EQ(actual, expected) << "case: " << code;
    if (actual != expected && ++differences > 20) break;
  }
}

TEST(StdlibDifferentialTest, HandWrittenCasesMatchStock) {
  const std::vector<std::string> cases = loadCaseList("diff_cases.lua");
  ASSERT_GT(cases.size(), 200u);
  expectSameAsStock(cases);
}

// Random patterns (valid and malformed) over small subjects, through find/match/gmatch/gsub.
TEST(StdlibDifferentialTest, GeneratedPatternCasesMatchStock) {
  std::mt19937 rng(20240601);
  const std::vector<std::string> atoms = {
      "a", "b", "c", ".", "%a", "%d", "%s", "%w", "%p", "%A", "[ab]", "[^a]", "[a-c]", "[%d%s]", "[]]",
      "[^]a]", "%(", "%b()", "%bab", "%f[%w]", "%f[%W]", "%f[a]", "(", ")", "()", "%1", "%2", "^", "$", "%.",
      "%%", "x", "(a)", "(%a+)", "(.-)", "[", "%", "%z", "\\0"};
  const std::vector<std::string> quantifiers = {"", "", "", "*", "+", "-", "?"};
  const std::string alphabet = "aabbc()1 x.%[]";
  auto pick = [&rng](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  const std::vector<std::string> repls = {
      "\"<%0>\"", "\"%1-%1\"", "\"x\"", "\"%%\"", "\"%2\"", "{a = \"A\", b = false, ab = 1}",
      "function(...) return select('#', ...) .. tostring((...)) end", "function() return nil end", "\"%\""};
  std::vector<std::string> cases;
  for (int n = 0; n < 4000; ++n) {
    std::string pattern;
    const std::size_t items = 1 + pick(6);
    for (std::size_t i = 0; i < items; ++i) {
      const std::string& atom = atoms[pick(atoms.size())];
      pattern += atom;
      const bool single = atom.size() == 1 ? (atom != "(" && atom != ")" && atom != "^" && atom != "$")
                                           : (atom[0] == '[' || (atom[0] == '%' && atom.size() == 2 &&
                                                                  atom[1] != '1' && atom[1] != '2'));
      if (single) pattern += quantifiers[pick(quantifiers.size())];
    }
    if (pattern.find("\\0") != std::string::npos) {
      std::string p2;
      for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern.compare(i, 2, "\\0") == 0) {
          p2 += '\0';
          ++i;
        } else {
          p2 += pattern[i];
        }
      }
      pattern = p2;
    }
    std::string subject;
    const std::size_t len = pick(13);
    for (std::size_t i = 0; i < len; ++i) subject += (pick(20) == 0) ? '\0' : alphabet[pick(alphabet.size())];
    const std::string s = luaQuote(subject);
    const std::string p = luaQuote(pattern);
    const int init = static_cast<int>(pick(20)) - 5;
    switch (pick(6)) {
      case 0: cases.push_back("return string.find(" + s + ", " + p + ")"); break;
      case 1: cases.push_back("return string.find(" + s + ", " + p + ", " + std::to_string(init) + ")"); break;
      case 2: cases.push_back("return string.match(" + s + ", " + p + ", " + std::to_string(init) + ")"); break;
      case 3:
        cases.push_back("local t = {} for a, b in string.gmatch(" + s + ", " + p + ", " + std::to_string(init) +
                        ") do t[#t + 1] = tostring(a) .. '|' .. tostring(b) if #t > 50 then break end end "
                        "return t");
        break;
      default:
        cases.push_back("return string.gsub(" + s + ", " + p + ", " + repls[pick(repls.size())] +
                        (pick(3) == 0 ? ", " + std::to_string(init) : std::string()) + ")");
        break;
    }
  }
  expectSameAsStock(cases);
}

// Random table operations on arrays and on proxies with metamethods.
TEST(StdlibDifferentialTest, GeneratedTableCasesMatchStock) {
  std::mt19937 rng(777);
  auto num = [&rng](int lo, int hi) { return std::to_string(std::uniform_int_distribution<int>(lo, hi)(rng)); };
  std::vector<std::string> cases;
  for (int n = 0; n < 600; ++n) {
    const std::string size = num(0, 8);
    std::string setup = "local t = {} for i = 1, " + size + " do t[i] = i * 10 end ";
    if (n % 3 == 0) {
      setup += "local log = {} t = setmetatable({}, {__index = function(_, k) log[#log + 1] = 'g' .. tostring(k) "
               "return k <= " + size + " and k * 10 or nil end, __newindex = function(_, k, v) log[#log + 1] = "
               "'s' .. tostring(k) .. '=' .. tostring(v) end, __len = function() return " + size + " end}) ";
    } else {
      setup += "local log = {} ";
    }
    std::string op;
    switch (n % 6) {
      case 0: op = "table.insert(t, " + num(-1, 10) + ", 'v')"; break;
      case 1: op = "local r = table.remove(t, " + num(-1, 10) + ") log[#log + 1] = tostring(r)"; break;
      case 2: op = "log[#log + 1] = table.concat(t, ',', " + num(-1, 10) + ", " + num(-1, 10) + ")"; break;
      case 3: op = "log[#log + 1] = select('#', table.unpack(t, " + num(-1, 10) + ", " + num(-1, 10) + "))"; break;
      case 4: op = "table.move(t, " + num(-1, 6) + ", " + num(-1, 8) + ", " + num(-1, 8) + ")"; break;
      default: op = "table.insert(t, 'w')"; break;
    }
    cases.push_back(setup + op + " local out = {} for i = 1, 12 do out[i] = tostring(rawget(t, i)) end "
                    "return log, out");
  }
  expectSameAsStock(cases);
}

// Sorting distinct values has one right answer, whatever the algorithm: compare with stock.
TEST(StdlibDifferentialTest, GeneratedSortCasesMatchStock) {
  std::mt19937 rng(4242);
  std::vector<std::string> cases;
  const std::vector<std::string> comparators = {"", ", function(a, b) return a > b end",
                                                ", function(a, b) return a < b end"};
  for (int n = 0; n < 300; ++n) {
    const int size = std::uniform_int_distribution<int>(0, n < 200 ? 40 : 3000)(rng);
    const std::string seed = std::to_string(rng() % 100000);
    const std::string& cmp = comparators[static_cast<std::size_t>(n) % comparators.size()];
    std::string fill = "local t = {} for i = 1, " + std::to_string(size) + " do t[i] = i end "
                       "local r = " + seed + " for i = #t, 2, -1 do r = (r * 1103515245 + 12345) % 2147483648 "
                       "local j = r % i + 1 t[i], t[j] = t[j], t[i] end ";
    if (n % 4 == 1) fill += "for i = 1, #t do t[i] = ('k%05d'):format(t[i]) end ";
    if (n % 4 == 2) fill += "for i = 1, #t do t[i] = t[i] / 7 end ";
    if (n % 4 == 3) {  // through a proxy with __index/__newindex/__len
      fill += "local store = t t = setmetatable({}, {__index = store, __newindex = store, "
              "__len = function() return #store end}) ";
    }
    cases.push_back(fill + "table.sort(t" + cmp + ") local out = {} for i = 1, #t do out[i] = t[i] end "
                    "return table.concat(out, ',')");
  }
  // Shapes that stress pivot choice (numbers, so duplicates are indistinguishable and results unique).
  const std::vector<std::string> shapes = {"i", "-i", "7", "i % 17", "(i <= n / 2) and i or (n - i + 1)",
                                           "(i % 2 == 0) and i or -i", "(i * i) % 1009", "n - (i % 100) * 40"};
  for (const std::string& shape : shapes) {
    for (const char* cmp : {"", ", function(a, b) return a > b end"}) {
      cases.push_back("local n = 3000 local t = {} for i = 1, n do t[i] = " + shape + " end table.sort(t" + cmp +
                      ") return table.concat(t, ',')");
    }
  }
  expectSameAsStock(cases);
}

TEST(StdlibConformanceTest, StringSuite) {
  TestVm vm(Libs::kOurs);
  EXPECT_EQ(vm.run(readTestFile("string.lua"), "@string.lua"), "");
}

TEST(StdlibConformanceTest, TableSuite) {
  TestVm vm(Libs::kOurs);
  EXPECT_EQ(vm.run(readTestFile("table.lua"), "@table.lua"), "");
}

TEST(StdlibConformanceTest, StockPassesTheSameSuites) {
  // Keeps the Lua suites honest: they describe stock Lua behaviour, not ours.
  TestVm vm(Libs::kStock);
  EXPECT_EQ(vm.run(readTestFile("string.lua"), "@string.lua"), "");
  EXPECT_EQ(vm.run(readTestFile("table.lua"), "@table.lua"), "");
}

TEST(StdlibApiTest, HasExactlyTheDocumentedFunctions) {
  TestVm vm(Libs::kOurs);
  EXPECT_EQ(vm.run(R"lua(
    local names = {}
    for k, v in pairs(string) do assert(type(v) == "function") names[#names + 1] = k end
    table.sort(names)
    assert(table.concat(names, " ") ==
      "byte char find format gmatch gsub len lower match pack packsize rep reverse sub unpack upper",
      table.concat(names, " "))
    assert(string.dump == nil)
    names = {}
    for k in pairs(table) do names[#names + 1] = k end
    table.sort(names)
    assert(table.concat(names, " ") == "concat insert move pack remove sort unpack")
  )lua"),
            "");
}

TEST(StdlibApiTest, OpeningLeavesGlobalsAndStringMetatableAlone) {
  lua_State* L = luaL_newstate();
  ASSERT_NE(L, nullptr);
  StdlibLimits limits;
  limits.patternStepBudget = 1000;
  struct Args {
    const StdlibLimits* limits;
  } args{&limits};
  lua_pushcfunction(L, [](lua_State* S) -> int {
    const auto* a = static_cast<const Args*>(lua_touserdata(S, 1));
    openString(S, a->limits);
    openTable(S, a->limits);
    return 2;
  });
  lua_pushlightuserdata(L, &args);
  ASSERT_EQ(lua_pcall(L, 1, 2, 0), LUA_OK);
  EXPECT_EQ(lua_type(L, -1), LUA_TTABLE);
  EXPECT_EQ(lua_type(L, -2), LUA_TTABLE);
  lua_pushliteral(L, "");
  EXPECT_EQ(lua_getmetatable(L, -1), 0);  // no string metatable was set
  EXPECT_EQ(lua_getglobal(L, "string"), LUA_TNIL);
  EXPECT_EQ(lua_getglobal(L, "table"), LUA_TNIL);
  lua_close(L);
}

}  // namespace
}  // namespace tw::sandbox::stdlib::testing
