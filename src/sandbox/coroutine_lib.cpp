// Our coroutine library. It differs from the stock one where limits need it:
//   - every resumed coroutine joins the running chain of the thread's ExecutionWatch, so a deadline kills a
//     template spinning inside nested coroutines, and a time-slice yield of an inner coroutine is passed up
//     to the scheduler (lua_yieldk) and continued transparently: the script never sees it;
//   - a coroutine that yields to the scheduler (task.wait inside a coroutine) is handed to the scheduler and
//     resume() returns true at once, as in Roblox;
//   - creation is bounded (live coroutines per VM), and coroutine.close nesting is bounded (Lua 5.4.4 does not
//     count it against its C-stack limit).
#include <lua.hpp>

#include "limits/interrupt.h"
#include "limits/memory.h"
#include "sandbox/libs.h"
#include "sandbox/lua_api.h"

namespace tw::sandbox {

namespace {

using limits::ExecutionWatch;

enum class CoStatus { kRunning, kSuspended, kNormal, kDead };

CoStatus statusOf(lua_State* L, lua_State* co) {
  if (L == co) return CoStatus::kRunning;
  switch (lua_status(co)) {
    case LUA_YIELD: return CoStatus::kSuspended;
    case LUA_OK: {
      lua_Debug ar;
      if (lua_getstack(co, 0, &ar)) return CoStatus::kNormal;  // it has frames: it resumed another one
      if (lua_gettop(co) == 0) return CoStatus::kDead;
      return CoStatus::kSuspended;  // not started yet
    }
    default: return CoStatus::kDead;
  }
}

const char* statusName(CoStatus s) {
  switch (s) {
    case CoStatus::kRunning: return "running";
    case CoStatus::kSuspended: return "suspended";
    case CoStatus::kNormal: return "normal";
    case CoStatus::kDead: return "dead";
  }
  return "dead";
}

lua_State* checkCoroutine(lua_State* L, int arg) {
  lua_State* co = lua_tothread(L, arg);
  luaL_argexpected(L, co != nullptr, arg, "coroutine");
  return co;
}

// Nesting of coroutine.close per thread (a close runs __close handlers, which may close more coroutines).
thread_local int t_closeDepth = 0;

// Closes `co` (runs its pending __close handlers) as part of the running chain. Leaves the status.
int closeThread(lua_State* L, lua_State* co) {
  if (t_closeDepth >= sandboxConfig(L).maxCloseNesting) {
    return raiseHostError(L, ErrorKind::kLimitExceeded, "coroutine.close nested too deeply (limit %d)",
                          sandboxConfig(L).maxCloseNesting);
  }
  ++t_closeDepth;
  ExecutionWatch& watch = ExecutionWatch::current();
  watch.pushNested(co);
  const int status = lua_resetthread(co);
  watch.popNested();
  --t_closeDepth;
  return status;
}

enum : lua_KContext { kModeResume = 0, kModeWrap = 1 };

int resumeStep(lua_State* L, lua_State* co, int nargs, lua_KContext mode);

// Continuation after a slice yield passed up to the scheduler: resume the inner coroutine again.
int resumeContinue(lua_State* L, int /*status*/, lua_KContext mode) {
  lua_State* co = mode == kModeWrap ? lua_tothread(L, lua_upvalueindex(1)) : lua_tothread(L, 1);
  return resumeStep(L, co, 0, mode);
}

// Resumes `co` with `nargs` values already moved onto it and produces the results of resume()/wrap().
int resumeStep(lua_State* L, lua_State* co, int nargs, lua_KContext mode) {
  ExecutionWatch& watch = ExecutionWatch::current();
  for (;;) {
    int nres = 0;
    watch.pushNested(co);
    const int status = lua_resume(co, L, nargs, &nres);
    watch.popNested();
    nargs = 0;
    if (status == LUA_YIELD && watch.takeSliceYield(co)) {
      if (lua_isyieldable(L)) {
        // Our own slice is over too: hand the time back to the scheduler, then resume `co` again.
        lua_settop(L, mode == kModeWrap ? 0 : 1);
        watch.noteSliceYield(L);
        return lua_yieldk(L, 0, mode, resumeContinue);
      }
      continue;  // we cannot yield from here: give `co` the rest of the slice
    }
    if (status == LUA_YIELD) {
      ThreadOwner* owner = threadOwner(co);
      if (owner != nullptr && owner->host != nullptr && owner->host->adoptSchedulerYield(co)) {
        // task.wait and friends: the scheduler resumes `co` later; to the caller it simply yielded.
        if (mode == kModeWrap) return 0;
        lua_pushboolean(L, 1);
        return 1;
      }
    }
    if (status == LUA_OK || status == LUA_YIELD) {
      if (!lua_checkstack(L, nres + 1)) {
        lua_pop(co, nres);
        return luaL_error(L, "too many results to resume");
      }
      const int base = lua_gettop(L);
      if (mode == kModeResume) lua_pushboolean(L, 1);
      lua_xmove(co, L, nres);
      return lua_gettop(L) - base;
    }
    // The coroutine raised an error.
    lua_xmove(co, L, 1);
    if (mode == kModeResume) {
      lua_pushboolean(L, 0);
      lua_insert(L, -2);
      return 2;
    }
    // wrap: close the dead coroutine's pending variables, then propagate the error.
    const int closeStatus = closeThread(L, co);
    if (closeStatus != LUA_OK && closeStatus != LUA_YIELD) {
      lua_pop(L, 1);
      lua_xmove(co, L, 1);
    }
    if (status != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING) {
      luaL_where(L, 1);
      lua_insert(L, -2);
      lua_concat(L, 2);
    }
    return lua_error(L);
  }
}

// Checks that `co` can be resumed and moves `nargs` values from the top of L onto it. Returns the number of
// values moved, or null with the reason when `co` cannot be resumed.
const char* prepareResume(lua_State* L, lua_State* co, int nargs, int* moved) {
  const CoStatus status = statusOf(L, co);
  if (status == CoStatus::kDead) return "cannot resume dead coroutine";
  if (status != CoStatus::kSuspended) return "cannot resume non-suspended coroutine";
  ThreadOwner* owner = threadOwner(co);
  if (owner != nullptr && owner->host != nullptr && owner->host->ownedByScheduler(co)) {
    return "cannot resume a coroutine that is waiting in the task scheduler";
  }
  if (!lua_checkstack(co, nargs + 1)) return "too many arguments to resume";
  lua_xmove(L, co, nargs);
  *moved = nargs;
  return nullptr;
}

// Creates a coroutine for the function at the top of L, bound to the caller's template.
lua_State* newCoroutine(lua_State* L) {
  void* ud = nullptr;
  lua_getallocf(L, &ud);
  const auto* budget = static_cast<const limits::MemoryBudget*>(ud);
  const std::int64_t limit = sandboxConfig(L).maxCoroutines;
  if (budget->liveThreads() >= limit) {
    lua_gc(L, LUA_GCCOLLECT);  // dead coroutines may be waiting for the collector
    if (budget->liveThreads() >= limit) {
      raiseHostError(L, ErrorKind::kLimitExceeded, "too many coroutines (limit %I)",
                     static_cast<lua_Integer>(limit));
    }
  }
  lua_State* co = lua_newthread(L);
  setThreadOwner(co, threadOwner(L));
  lua_rotate(L, -2, 1);  // thread below the function
  lua_xmove(L, co, 1);
  return co;
}

int coCreate(lua_State* L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 1);
  newCoroutine(L);
  return 1;
}

int coResume(lua_State* L) {
  lua_State* co = checkCoroutine(L, 1);
  int nargs = 0;
  if (const char* refused = prepareResume(L, co, lua_gettop(L) - 1, &nargs)) {
    lua_pushboolean(L, 0);
    lua_pushstring(L, refused);
    return 2;
  }
  return resumeStep(L, co, nargs, kModeResume);
}

int coWrapCall(lua_State* L) {
  lua_State* co = lua_tothread(L, lua_upvalueindex(1));
  int nargs = 0;
  if (const char* refused = prepareResume(L, co, lua_gettop(L), &nargs)) return luaL_error(L, "%s", refused);
  return resumeStep(L, co, nargs, kModeWrap);
}

int coWrap(lua_State* L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 1);
  newCoroutine(L);
  lua_pushcclosure(L, coWrapCall, 1);
  return 1;
}

int coYield(lua_State* L) { return lua_yield(L, lua_gettop(L)); }

int coStatus(lua_State* L) {
  lua_State* co = checkCoroutine(L, 1);
  lua_pushstring(L, statusName(statusOf(L, co)));
  return 1;
}

int coRunning(lua_State* L) {
  const int isMain = lua_pushthread(L);
  lua_pushboolean(L, isMain);
  return 2;
}

int coIsYieldable(lua_State* L) {
  lua_State* co = lua_isnone(L, 1) ? L : checkCoroutine(L, 1);
  lua_pushboolean(L, lua_isyieldable(co));
  return 1;
}

int coClose(lua_State* L) {
  lua_State* co = checkCoroutine(L, 1);
  const CoStatus status = statusOf(L, co);
  if (status != CoStatus::kDead && status != CoStatus::kSuspended) {
    return luaL_error(L, "cannot close a %s coroutine", statusName(status));
  }
  ThreadOwner* owner = threadOwner(co);
  if (owner != nullptr && owner->host != nullptr && owner->host->ownedByScheduler(co)) {
    return luaL_error(L, "cannot close a coroutine that is waiting in the task scheduler (use task.cancel)");
  }
  const int closeStatus = closeThread(L, co);
  if (closeStatus == LUA_OK) {
    lua_pushboolean(L, 1);
    return 1;
  }
  lua_pushboolean(L, 0);
  lua_xmove(co, L, 1);
  return 2;
}

}  // namespace

int openCoroutine(lua_State* L) {
  static const luaL_Reg kFuncs[] = {{"create", coCreate},   {"resume", coResume},   {"yield", coYield},
                                    {"status", coStatus},   {"wrap", coWrap},       {"running", coRunning},
                                    {"isyieldable", coIsYieldable}, {"close", coClose}, {nullptr, nullptr}};
  luaL_newlib(L, kFuncs);
  return 1;
}

}  // namespace tw::sandbox
