// collectgarbage("count" | "collect").
//
// "collect" is a full collection done in small incremental steps (lua_gc LUA_GCSTEP), so it cannot stall
// the worker: between steps it polls the deadline (a kill raises) and, when the time slice is over and the
// coroutine may yield, it yields exactly as the count hook does (ExecutionWatch::noteSliceYield), so the
// scheduler requeues it and the script never sees the yield; the continuation carries on stepping.
//
// Lua 5.4's generational mode (the guild VM's default) has no incremental steps: a step there is a whole
// minor or major collection. So the collection switches the VM to incremental mode, runs its cycles, and
// switches back to generational mode at the end. Switching back marks the live heap once, atomically (the
// cost of one of the VM's own major collections). Several collections may interleave (each yields): each
// one keeps incremental mode while it steps, and whichever finishes while kGcRestoreKey is set restores
// generational mode; one that is killed mid-way leaves the VM in incremental mode until the next
// collection ends.
#include <cstring>

#include "luau/runtime/internal.h"

namespace tw::luau::rt {

namespace {

// Work per step, in KB of allocation debt (see lua_gc LUA_GCSTEP). A step of 16 KB of debt takes a few
// tens of microseconds here, so polls and yields come often.
constexpr int kStepKb = 16;

void setRestore(lua_State* L, bool restore) {
  lua_pushboolean(L, restore ? 1 : 0);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kGcRestoreKey);
}

bool restorePending(lua_State* L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kGcRestoreKey);
  const bool restore = lua_toboolean(L, -1) != 0;
  lua_pop(L, 1);
  return restore;
}

int collectSteps(lua_State* L, lua_KContext cyclesLeft);

int collectContinue(lua_State* L, int /*status*/, lua_KContext cyclesLeft) { return collectSteps(L, cyclesLeft); }

// Steps until `cyclesLeft` collection cycles have ended.
int collectSteps(lua_State* L, lua_KContext cyclesLeft) {
  for (;;) {
    // Another collection may have restored generational mode while this one was yielded.
    const int previous = lua_gc(L, LUA_GCINC, 0, 0, 0);
    if (previous == -1) return 0;  // the collector is not available (inside a finalizer): nothing to do
    if (previous == LUA_GCGEN) {
      setRestore(L, true);
      cyclesLeft = 1;  // entering incremental mode starts from a clean cycle
    }
    const int cycleEnded = lua_gc(L, LUA_GCSTEP, kStepKb);
    limits::pollInterrupt(L);
    if (cycleEnded == 1 && --cyclesLeft <= 0) break;
    if (limits::detail::t_interrupt == static_cast<int>(limits::Interrupt::kSlice) && lua_isyieldable(L)) {
      limits::ExecutionWatch::current().noteSliceYield(L);
      return lua_yieldk(L, 0, cyclesLeft, collectContinue);
    }
  }
  if (restorePending(L)) {
    setRestore(L, false);
    lua_gc(L, LUA_GCGEN, 0, 0);
  }
  return 0;
}

}  // namespace

int collectGarbage(lua_State* L) {
  const char* option = optString(L, 1, "collect", nullptr);
  if (std::strcmp(option, "count") == 0) {
    const int kb = lua_gc(L, LUA_GCCOUNT);
    const int bytes = lua_gc(L, LUA_GCCOUNTB);
    lua_pushnumber(L, static_cast<lua_Number>(kb) + static_cast<lua_Number>(bytes) / 1024.0);
    return 1;
  }
  if (std::strcmp(option, "collect") == 0) {
    lua_settop(L, 0);
    // In incremental mode the current cycle may have marked objects that died since: finish it, then run
    // one full cycle. Coming from generational mode one full cycle is enough (see collectSteps).
    return collectSteps(L, 2);
  }
  return luaL_error(L, "collectgarbage must be called with 'count' or 'collect'");
}

}  // namespace tw::luau::rt
