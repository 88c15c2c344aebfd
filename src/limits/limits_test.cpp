#include <gtest/gtest.h>
#include <lua.hpp>

#include <cstring>

#include "limits/interrupt.h"
#include "limits/memory.h"
#include "limits/stack_arena.h"

namespace tw::limits {
namespace {

TEST(StackArenaTest, SlotsAreReusedAndGrowInPlace) {
  StackArena arena;
  void* a = arena.allocate(720);
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(arena.owns(a));
  EXPECT_TRUE(arena.resize(a, 720, 8 << 20));
  std::memset(a, 0xab, 8 << 20);  // the whole grown block is usable
  EXPECT_FALSE(arena.resize(a, 8 << 20, StackArena::kSlotBytes + 1));
  EXPECT_EQ(arena.slotsInUse(), 1u);
  arena.release(a, 8 << 20);
  EXPECT_EQ(arena.slotsInUse(), 0u);
  void* b = arena.allocate(720);
  EXPECT_EQ(a, b);  // LIFO reuse keeps the hot page
  int onStack = 0;
  EXPECT_FALSE(arena.owns(&onStack));
  arena.release(b, 720);
}

TEST(MemoryBudgetTest, RefusesGrowthPastTheCapButNeverAShrink) {
  MemoryBudget budget(64 * 1024, nullptr);
  void* p = MemoryBudget::allocate(&budget, nullptr, 0, 60 * 1024);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(MemoryBudget::allocate(&budget, nullptr, 0, 8 * 1024), nullptr);
  EXPECT_TRUE(budget.limitHit());
  void* q = MemoryBudget::allocate(&budget, p, 60 * 1024, 1024);  // shrink always succeeds
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(budget.used(), 1024u);
  {
    MemoryBudget::HostScope host(budget);  // the host may go a little past the cap
    void* r = MemoryBudget::allocate(&budget, nullptr, 0, 70 * 1024);
    ASSERT_NE(r, nullptr);
    MemoryBudget::allocate(&budget, r, 70 * 1024, 0);
  }
  MemoryBudget::allocate(&budget, q, 1024, 0);
  EXPECT_EQ(budget.used(), 0u);
}

TEST(MemoryBudgetTest, CoroutineStacksLiveInTheArenaAndNeverMove) {
  StackArena arena;
  MemoryBudget budget(32 << 20, &arena);
  lua_State* L = lua_newstate(MemoryBudget::allocate, &budget);
  ASSERT_NE(L, nullptr);
  budget.enableStackArena();
  lua_State* co = lua_newthread(L);
  EXPECT_EQ(budget.liveThreads(), 1);
  EXPECT_EQ(arena.slotsInUse(), 1u);
  // Deep recursion grows the coroutine's stack many times; it must stay in its slot.
  ASSERT_EQ(luaL_loadstring(co, "local function g(n) if n > 0 then return 1 + g(n - 1) end return 0 end "
                                "return g(100000)"),
            LUA_OK);
  int nres = 0;
  ASSERT_EQ(lua_resume(co, L, 0, &nres), LUA_OK);
  EXPECT_EQ(lua_tointeger(co, -1), 100000);
  lua_pop(L, 1);
  lua_gc(L, LUA_GCCOLLECT);
  EXPECT_EQ(budget.liveThreads(), 0);
  EXPECT_EQ(arena.slotsInUse(), 0u);
  lua_close(L);
  EXPECT_EQ(budget.used(), 0u);
}

// A state with the stock libraries and a coroutine holding `code` compiled, ready to resume.
struct LoadedCoroutine {
  explicit LoadedCoroutine(const char* code) : L(luaL_newstate()) {
    luaL_openlibs(L);
    co = lua_newthread(L);
    loaded = luaL_loadstring(co, code) == LUA_OK;
  }
  ~LoadedCoroutine() { lua_close(L); }
  LoadedCoroutine(const LoadedCoroutine&) = delete;
  LoadedCoroutine& operator=(const LoadedCoroutine&) = delete;

  lua_State* L;
  lua_State* co = nullptr;
  bool loaded = false;
};

// A Lua loop that never returns is killed by the watch, and pcall cannot hold it.
TEST(ExecutionWatchTest, KillsASpinningCoroutineThatCatchesErrors) {
  LoadedCoroutine c("while true do pcall(function() while true do end end) end");
  ASSERT_TRUE(c.loaded);
  auto& watch = ExecutionWatch::current();
  watch.beginRun(c.co, monotonicNanos() + 30'000'000);  // 30 ms
  int nres = 0;
  int status = lua_resume(c.co, c.L, 0, &nres);
  while (status == LUA_YIELD) {  // time slices end in yields until the deadline kills it
    ASSERT_TRUE(watch.takeSliceYield(c.co));
    status = lua_resume(c.co, c.L, 0, &nres);
  }
  EXPECT_EQ(watch.endRun(), Interrupt::kKill);
  EXPECT_EQ(status, LUA_ERRRUN);
  EXPECT_STREQ(lua_tostring(c.co, -1), kKillMessage);
}

// The kill comes at the deadline, not at the first tick after it. With a 60 s tick and a 10 ms deadline no
// periodic tick falls inside this run: the loop (far more than 10 ms of work, far less than 60 s) is killed
// only if the timer was brought forward to the deadline; otherwise it finishes and returns.
TEST(ExecutionWatchTest, KillsAtTheDeadlineNotAtTheNextTick) {
  LoadedCoroutine c("for i = 1, 2e8 do end return 'finished'");
  ASSERT_TRUE(c.loaded);
  auto& watch = ExecutionWatch::current();
  const std::int64_t tick = watch.tickMicros();
  watch.setTickMicros(60'000'000);
  watch.beginRun(c.co, monotonicNanos() + 10'000'000);
  int nres = 0;
  int status = lua_resume(c.co, c.L, 0, &nres);
  while (status == LUA_YIELD) status = lua_resume(c.co, c.L, 0, &nres);
  EXPECT_EQ(watch.endRun(), Interrupt::kKill);
  EXPECT_EQ(status, LUA_ERRRUN);
  EXPECT_STREQ(lua_tostring(c.co, -1), kKillMessage);
  watch.setTickMicros(tick);
}

}  // namespace
}  // namespace tw::limits
