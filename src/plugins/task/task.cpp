#include "plugins/task/task.h"

#include <cmath>

#include "sandbox/lua_api.h"
#include "sandbox/sandbox.h"

namespace tw::plugins {

namespace {

char kSchedulerKey;

TaskScheduler* scheduler(lua_State* L) {
  TaskScheduler* s = taskScheduler(L);
  if (s == nullptr) luaL_error(L, "the task library is not available here");
  return s;
}

// The thread a task function works on: the thread given at `arg`, or a new coroutine for the function at
// `arg`. The values after `arg` are moved onto it. Pushes the thread onto L and returns it with *nargs.
lua_State* threadFor(lua_State* L, int arg, int* nargs) {
  const int top = lua_gettop(L);
  *nargs = top - arg;
  lua_State* co = nullptr;
  if (lua_type(L, arg) == LUA_TTHREAD) {
    co = lua_tothread(L, arg);
    if (co == L) luaL_error(L, "cannot schedule the running thread");
    if (lua_status(co) != LUA_YIELD && !(lua_status(co) == LUA_OK && lua_gettop(co) > 0)) {
      luaL_error(L, "cannot resume a dead or running thread");
    }
    lua_pushvalue(L, arg);  // result
  } else {
    luaL_checktype(L, arg, LUA_TFUNCTION);
    // Built through coroutine.create so the thread counts against the VM's coroutine limit.
    sandbox::pushSharedGlobals(L);
    lua_getfield(L, -1, "coroutine");
    lua_getfield(L, -1, "create");
    lua_pushvalue(L, arg);
    lua_call(L, 1, 1);
    co = lua_tothread(L, -1);
    lua_replace(L, -3);
    lua_pop(L, 1);  // the thread stays on top
  }
  if (!lua_checkstack(co, *nargs + 1)) luaL_error(L, "too many arguments");
  for (int i = arg + 1; i <= top; ++i) lua_pushvalue(L, i);
  lua_xmove(L, co, *nargs);
  return co;
}

double checkSeconds(lua_State* L, int arg, double fallback) {
  const double s = luaL_optnumber(L, arg, fallback);
  if (std::isnan(s)) luaL_argerror(L, arg, "seconds must be a number");
  if (s < 0) return 0;
  return s;
}

int taskSpawn(lua_State* L) {
  int nargs = 0;
  lua_State* co = threadFor(L, 1, &nargs);
  TaskError error;
  if (!scheduler(L)->spawn(L, co, nargs, &error)) return sandbox::raiseHostError(L, error.kind, "task.spawn: %s", error.message);
  return 1;
}

int taskDefer(lua_State* L) {
  int nargs = 0;
  lua_State* co = threadFor(L, 1, &nargs);
  TaskError error;
  if (!scheduler(L)->schedule(L, co, nargs, 0, &error)) return sandbox::raiseHostError(L, error.kind, "task.defer: %s", error.message);
  return 1;
}

int taskDelay(lua_State* L) {
  const double seconds = checkSeconds(L, 1, 0);
  int nargs = 0;
  lua_State* co = threadFor(L, 2, &nargs);
  TaskError error;
  if (!scheduler(L)->schedule(L, co, nargs, seconds, &error)) return sandbox::raiseHostError(L, error.kind, "task.delay: %s", error.message);
  return 1;
}

int taskWait(lua_State* L) {
  const double seconds = checkSeconds(L, 1, 0);
  if (!lua_isyieldable(L)) return luaL_error(L, "task.wait: cannot wait here (not in a yieldable thread)");
  TaskError error;
  if (!scheduler(L)->requestWait(L, seconds, &error)) return sandbox::raiseHostError(L, error.kind, "task.wait: %s", error.message);
  return lua_yield(L, 0);
}

int taskCancel(lua_State* L) {
  lua_State* co = lua_tothread(L, 1);
  luaL_argexpected(L, co != nullptr, 1, "thread");
  if (co == L || !scheduler(L)->cancel(L, co)) return luaL_error(L, "task.cancel: cannot cancel a running thread");
  // Like coroutine.close: pending to-be-closed variables of the thread are closed.
  const int status = lua_status(co);
  lua_Debug ar;
  const bool suspended = status == LUA_YIELD || (status == LUA_OK && !lua_getstack(co, 0, &ar) && lua_gettop(co) > 0);
  if (suspended) {
    sandbox::pushSharedGlobals(L);
    lua_getfield(L, -1, "coroutine");
    lua_getfield(L, -1, "close");
    lua_pushvalue(L, 1);
    lua_call(L, 1, 0);
  }
  return 0;
}

}  // namespace

TaskScheduler* taskScheduler(lua_State* L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kSchedulerKey);
  auto* s = static_cast<TaskScheduler*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return s;
}

void setTaskScheduler(lua_State* L, TaskScheduler* s) {
  lua_pushlightuserdata(L, s);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kSchedulerKey);
}

PluginSpec taskPlugin() {
  return PluginSpec{"task",
                    {{"spawn", taskSpawn},
                     {"defer", taskDefer},
                     {"delay", taskDelay},
                     {"wait", taskWait},
                     {"cancel", taskCancel}},
                    nullptr};
}

}  // namespace tw::plugins
