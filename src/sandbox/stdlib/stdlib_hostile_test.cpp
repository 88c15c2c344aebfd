// Hostile inputs: pathological patterns, huge sizes, misbehaving comparators, and long C loops killed at
// the run's deadline (tw::limits::ExecutionWatch), plus table.sort's slice yields.

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <string>

#include "limits/interrupt.h"
#include "limits/memory.h"
#include "sandbox/stdlib/stdlib_test_util.h"

namespace tw::sandbox::stdlib::testing {
namespace {

#ifdef TW_SANITIZER_BUILD
constexpr const char* kBigRep = "return ('x'):rep(2^28)";  // ASan's allocator takes ~1 s for 1 GiB
#else
constexpr const char* kBigRep = "return ('x'):rep(2^30)";
#endif

// Runs `code` and expects an error containing `fragment`. (Without the budget these calls run for minutes:
// CTest's timeout catches that; speed itself is measured in stdlib_bench, not asserted here.)
void expectBudgetError(TestVm& vm, const std::string& code, const std::string& fragment) {
  const std::string err = vm.run(code);
  EXPECT_NE(err.find(fragment), std::string::npos) << "code: " << code << "\nerror: " << err;
}

TEST(StdlibHostileTest, CatastrophicPatternsStopAtTheStepBudget) {
  TestVm vm(Libs::kOurs);
  const std::string budget = "pattern too complex (step budget exceeded)";
  ASSERT_EQ(vm.run("s = ('a'):rep(1e5) p = ('('):rep(1e5)"), "");
  expectBudgetError(vm, "return s:find('a*b')", budget);  // stock: 46 s
  expectBudgetError(vm, "return s:match('.-.-.-b')", budget);
  expectBudgetError(vm, "return s:match('a-a-a-b')", budget);
  expectBudgetError(vm, "return s:gsub('a*b', '')", budget);
  expectBudgetError(vm, "for x in s:gmatch('a*b') do end", budget);
  expectBudgetError(vm, "return p:find('%b()')", budget);
  expectBudgetError(vm, "return s:find('(a*)%1b')", budget);
  expectBudgetError(vm, "return s:find('.-b')", budget);
  expectBudgetError(vm, "return s:match(('a*'):rep(30) .. 'b')", budget);
  // Plain search is linear: no budget needed even for a needle that almost matches everywhere.
  EXPECT_EQ(vm.run("local big = ('a'):rep(4e6) assert(big:find(('a'):rep(1e5) .. 'b', 1, true) == nil) "
                   "assert(big:find(('a'):rep(1e5), 1, true) == 1) assert((big .. 'b'):find('aab', 1, true))"),
            "");
}

TEST(StdlibHostileTest, OrdinaryLargeWorkloadsStayWithinTheBudget) {
  TestVm vm(Libs::kOurs);
  EXPECT_EQ(vm.run(R"lua(
    local words = {}
    for i = 1, 200000 do words[i] = "word" .. i end
    local text = table.concat(words, " ")              -- ~2.3 MB
    local n = select(2, text:gsub("%w+", "%0"))
    assert(n == 200000, n)
    local count = 0
    for w in text:gmatch("(%a+)(%d+)") do count = count + 1 end
    assert(count == 200000)
    assert(text:find("word199999", 1, true))
    assert(text:match("^(.-)%s") == "word1")
    assert(select(2, text:gsub("%s+", "")) == 199999)
    assert(text:find("%d+$") ~= nil)
    -- backs off over every word (~15 steps a byte): within the per-byte allowance
    local big = text:rep(4)                              -- ~9 MB
    assert(select(2, big:gsub("(%w+)=(%w+)", "%2=%1")) == 0)
  )lua"),
            "");
}

TEST(StdlibHostileTest, BudgetIsConfigurable) {
  StdlibLimits limits;
  limits.patternStepBudget = 5000;
  limits.patternStepsPerByte = 0;
  TestVm vm(Libs::kOurs, &limits);
  EXPECT_EQ(vm.run("assert(('x'):rep(30):find('x+y') == nil)"), "");  // ~1000 steps
  expectBudgetError(vm, "return ('x'):rep(1000):find('x*y')", "step budget exceeded");
}

TEST(StdlibHostileTest, RepOfNothingReturnsAtOnce) {
  TestVm vm(Libs::kOurs);
  EXPECT_EQ(vm.run(R"lua(
    assert((""):rep(1e18) == "")
    assert((""):rep(math.maxinteger, "") == "")
    assert(("x"):rep(0, "y") == "")
  )lua"),
            "");
}

TEST(StdlibHostileTest, HugeResultsAreRefusedBeforeAllocating) {
  TestVm vm(Libs::kOurs);
  expectBudgetError(vm, "return ('x'):rep(2^40)", "resulting string too large");
  expectBudgetError(vm, "return ('xy'):rep(2^62, 'z')", "resulting string too large");
  expectBudgetError(vm, "return ('x'):rep(math.maxinteger, ('y'):rep(100))", "resulting string too large");
  StdlibLimits small;
  small.maxStringBytes = 1 << 20;
  TestVm capped(Libs::kOurs, &small);
  expectBudgetError(capped, "return ('x'):rep(2^20 + 1)", "resulting string too large");
  EXPECT_EQ(capped.run("assert(#('x'):rep(2^20) == 2^20)"), "");
  expectBudgetError(capped, "return ('x'):rep(2^19):gsub('x', 'xxx')", "resulting string too large");
  expectBudgetError(capped, "return table.concat(setmetatable({}, {__index = type}), '', 1, 1e12)",
                   "resulting string too large");
}

TEST(StdlibHostileTest, TheMemoryCapStopsLargeResults) {
  tw::limits::MemoryBudget budget(16 << 20, nullptr);
  TestVm vm(Libs::kOurs, nullptr, &budget);
  expectBudgetError(vm, "return ('x'):rep(100e6)", "not enough memory");
  expectBudgetError(vm, "return table.concat(setmetatable({}, {__index = type}), '', 1, 1e12)",
                   "not enough memory");
  EXPECT_EQ(vm.run("assert(#('x'):rep(1e6) == 1e6)"), "");
}

TEST(StdlibHostileTest, StockFormatAndPackAreBoundedByTheirInputAndTheMemoryCap) {
  tw::limits::MemoryBudget budget(16 << 20, nullptr);
  TestVm vm(Libs::kOurs, nullptr, &budget);
  expectBudgetError(vm, "return string.pack('c999999999', '')", "not enough memory");
  expectBudgetError(vm, "return string.pack(('Xi16'):rep(1000) .. 'c999999999', '')", "not enough memory");
  expectBudgetError(vm, "return string.packsize(('c214748364'):rep(100))", "format result too large");
  expectBudgetError(vm, "return string.unpack(('i16'):rep(1e5), 'abc')", "data string too short");
  expectBudgetError(vm, "return string.unpack(('b'):rep(1e6), ('x'):rep(1e6))", "too many results");
  expectBudgetError(vm, "return string.format('%100d', 1)", "invalid conversion");
  expectBudgetError(vm, "local s = ('x'):rep(4e6) return string.format(('%s'):rep(10), s, s, s, s, s, s, s, s, s, s)",
                   "not enough memory");
  EXPECT_EQ(vm.run("assert(#string.format('%99.99f', -1e308) == 410)"), "");
}

TEST(StdlibHostileTest, SortComparatorMayYieldInsideACoroutine) {
  // Deviation from stock (which raises "attempt to yield across a C-call boundary"): the comparator is
  // called with lua_callk, so a yield inside it suspends the sort, which continues on resume.
  TestVm vm(Libs::kOurs);
  EXPECT_EQ(vm.run(R"lua(
    local t = {} for i = 1, 200 do t[i] = (i * 37) % 101 end
    local yields = 0
    local co = coroutine.wrap(function()
      table.sort(t, function(a, b) coroutine.yield() return a < b end)
      return "done"
    end)
    while co() ~= "done" do yields = yields + 1 end
    assert(yields > 200)
    for i = 2, #t do assert(t[i - 1] <= t[i]) end
    -- the table changing between resumes does not crash the sort
    local u = {} for i = 1, 100 do u[i] = i end
    local co2 = coroutine.create(function() table.sort(u, function(a, b) coroutine.yield() return (a or 0) > (b or 0) end) end)
    for _ = 1, 10 do coroutine.resume(co2) end
    for i = 1, 100 do u[i] = nil end
    repeat local ok = coroutine.resume(co2) until coroutine.status(co2) == "dead"
  )lua"),
            "");
}

TEST(StdlibHostileTest, GmatchIteratorIsSafeToCallAgainAfterAnError) {
  StdlibLimits limits;
  limits.patternStepBudget = 100000;
  limits.patternStepsPerByte = 0;
  TestVm vm(Libs::kOurs, &limits);
  EXPECT_EQ(vm.run(R"lua(
    local s = ("a"):rep(2000)
    local it = s:gmatch("a*b")
    for _ = 1, 5 do
      local ok, err = pcall(it)
      assert(not ok and err:find("step budget exceeded", 1, true), err)
    end
    local deep = ("x"):rep(300):gmatch(("x?"):rep(250))
    for _ = 1, 5 do
      local ok, err = pcall(deep)
      assert(not ok and err:find("pattern too complex", 1, true), err)
    end
    -- an iterator whose callback errors keeps its position and goes on afterwards
    local words = ("one two three"):gmatch("%a+")
    assert(words() == "one")
    assert(not pcall(string.rep, "x", -1, {}))
    assert(words() == "two" and words() == "three" and words() == nil and words() == nil)
  )lua"),
            "");
}

TEST(StdlibHostileTest, DeepPatternsAreBounded) {
  TestVm vm(Libs::kOurs);
  expectBudgetError(vm, "return ('a'):rep(1000):match(('a?'):rep(100000))", "pattern too complex");
  expectBudgetError(vm, "return ('a'):rep(1000):match(('(a)'):rep(100))", "too many captures");
  expectBudgetError(vm, "return ('a'):rep(1000):match(('a-'):rep(1000) .. 'b')", "pattern too complex");
  EXPECT_EQ(vm.run("assert(('x'):rep(190):match(('x?'):rep(190)) == ('x'):rep(190))"), "");
}

TEST(StdlibHostileTest, SortSurvivesInconsistentComparators) {
  TestVm vm(Libs::kOurs);
  EXPECT_EQ(vm.run(R"lua(
    math.randomseed(42)
    local function fresh(n) local t = {} for i = 1, n do t[i] = math.random(1, 50) end return t end
    local comparators = {
      function() return true end,
      function() return false end,
      function() return math.random() < 0.5 end,
      function(a, b) return a <= b end,
      function(a, b) return a >= b end,
    }
    for _, cmp in ipairs(comparators) do
      for _, n in ipairs({2, 3, 4, 10, 100, 1000}) do
        local t = fresh(n)
        local ok, err = pcall(table.sort, t, cmp)
        assert(ok or err:find("invalid order function for sorting", 1, true), err)
        -- the table still holds n values (a permutation, perhaps with changed order)
        for i = 1, n do assert(type(t[i]) == "number", i) end
      end
    end
    -- a comparator that mutates the table under sort
    local t = fresh(500)
    pcall(table.sort, t, function(a, b) t[math.random(1, 600)] = math.random(1, 10) return a < b end)
    local t2 = fresh(500)
    pcall(table.sort, t2, function(a, b) t2[math.random(1, 500)] = nil return (a or 0) < (b or 0) end)
    -- a comparator that errors
    local ok, err = pcall(table.sort, fresh(100), function() error("boom") end)
    assert(not ok and err:find("boom"))
    -- a __lt metamethod that lies
    local mt = {__lt = function() return math.random() < 0.5 end}
    local objs = {} for i = 1, 300 do objs[i] = setmetatable({}, mt) end
    pcall(table.sort, objs)
  )lua"),
            "");
}

// --- Deadline kills and slice yields, the way the scheduler runs coroutines ----------------------------

struct RunResult {
  int status = LUA_OK;
  std::string error;
  int sliceYields = 0;
  tw::limits::Interrupt lastInterrupt = tw::limits::Interrupt::kNone;
};

// Runs `code` in a fresh coroutine until it finishes, errors or is killed; slice yields are resumed.
RunResult runUnderDeadline(TestVm& vm, const std::string& code, double deadlineSeconds) {
  lua_State* L = vm.state();
  lua_State* co = lua_newthread(L);
  RunResult r;
  if (luaL_loadbuffer(co, code.data(), code.size(), "=deadline") != LUA_OK) {
    r.status = LUA_ERRSYNTAX;
    r.error = lua_tostring(co, -1);
    lua_settop(L, 0);
    return r;
  }
  auto& watch = tw::limits::ExecutionWatch::current();
  const std::int64_t deadline =
      tw::limits::monotonicNanos() + static_cast<std::int64_t>(deadlineSeconds * 1e9);
  for (;;) {
    watch.beginRun(co, deadline);
    int nres = 0;
    r.status = lua_resume(co, L, 0, &nres);
    r.lastInterrupt = watch.endRun();
    if (r.status == LUA_YIELD && watch.takeSliceYield(co)) {
      ++r.sliceYields;
      continue;
    }
    break;
  }
  if (r.status != LUA_OK && r.status != LUA_YIELD) {
    const char* msg = lua_tostring(co, -1);
    r.error = msg != nullptr ? msg : "(non-string error)";
  }
  lua_settop(L, 0);
  return r;
}

void expectKilled(TestVm& vm, const std::string& code) {
  const double deadline = 0.05;
  const RunResult r = runUnderDeadline(vm, code, deadline);
  EXPECT_EQ(r.status, LUA_ERRRUN) << code;
  EXPECT_EQ(r.error, tw::limits::kKillMessage) << code;
  EXPECT_EQ(r.lastInterrupt, tw::limits::Interrupt::kKill) << code;
}

class StdlibDeadlineTest : public ::testing::Test {
 protected:
  void SetUp() override { tw::limits::ExecutionWatch::current().setTickMicros(1000); }
  void TearDown() override { tw::limits::ExecutionWatch::current().setTickMicros(2000); }
};

TEST_F(StdlibDeadlineTest, LongCLoopsAreKilledAtTheDeadline) {
  StdlibLimits limits;
  limits.patternStepBudget = ~std::uint64_t{0};  // only the deadline stops the matcher
  limits.patternStepsPerByte = 0;
  limits.maxStringBytes = std::size_t{4} << 30;
  TestVm vm(Libs::kOurs, &limits);
  ASSERT_EQ(vm.run("big = {} for i = 1, 1e6 do big[i] = (i * 7919) % 1000003 end"), "");
  // concat: __index = type is a C function returning "table", so no Lua code runs at all.
  expectKilled(vm, "return table.concat(setmetatable({}, {__index = type}), '', 1, 1e12)");
  expectKilled(vm, "return ('a'):rep(1e5):find('a*b')");
  expectKilled(vm, "for x in ('a'):rep(1e5):gmatch('.-b') do end");
  expectKilled(vm, kBigRep);
  expectKilled(vm, "local t = {} for i = 1, #big do t[i] = big[i] end table.sort(t) table.sort(t) "
                   "table.sort(t, function(a, b) return a > b end)");
  expectKilled(vm, "local t = setmetatable({}, {__len = function() return 1e15 end}) table.insert(t, 1, 'x')");
  expectKilled(vm, "table.move(setmetatable({}, {__index = type}), 1, 1e15, 1, {})");
  expectKilled(vm, "return ('ab'):rep(5e6):gsub('%w', '%0%0') ");
}

TEST_F(StdlibDeadlineTest, SortYieldsAtTheEndOfATimeSlice) {
  TestVm vm(Libs::kOurs);
  ASSERT_EQ(vm.run("big = {} for i = 1, 3e5 do big[i] = (i * 7919) % 300007 end"), "");
  const std::string check =
      " for i = 2, #t do if t[i - 1] > t[i] then error('unsorted at ' .. i) end end return #t";
  // Default comparator: the sort's own state machine yields (lua_yieldk) and continues on resume.
  RunResult r = runUnderDeadline(vm, "local t = table.move(big, 1, #big, 1, {}) table.sort(t)" + check, 30);
  EXPECT_EQ(r.status, LUA_OK) << r.error;
  EXPECT_GT(r.sliceYields, 0);
  // Lua comparator: the count hook yields inside it; lua_callk continues the sort on resume.
  r = runUnderDeadline(
      vm, "local t = table.move(big, 1, #big, 1, {}) table.sort(t, function(a, b) return a < b end)" + check, 30);
  EXPECT_EQ(r.status, LUA_OK) << r.error;
  EXPECT_GT(r.sliceYields, 0);
  // Under pcall inside the coroutine the yields still reach the scheduler.
  r = runUnderDeadline(vm, "local t = table.move(big, 1, #big, 1, {}) assert(pcall(table.sort, t))" + check, 30);
  EXPECT_EQ(r.status, LUA_OK) << r.error;
  EXPECT_GT(r.sliceYields, 0);
}

TEST_F(StdlibDeadlineTest, SortOnTheMainThreadDoesNotYield) {
  TestVm vm(Libs::kOurs);
  EXPECT_EQ(vm.run("local t = {} for i = 1, 2e5 do t[i] = -i end table.sort(t) assert(t[1] == -200000)"), "");
}

}  // namespace
}  // namespace tw::sandbox::stdlib::testing
