// The base functions the sandbox cannot take from the stock library as they are.
#include <lua.hpp>

#include <cstring>

#include "limits/interrupt.h"
#include "sandbox/libs.h"
#include "sandbox/lua_api.h"

namespace tw::sandbox {

namespace {

// print(...): one line to the host log, never to stdout. Arguments are converted as tostring() does.
int basePrint(lua_State* L) {
  const int n = lua_gettop(L);
  const std::size_t maxBytes = sandboxConfig(L).maxPrintBytes;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  std::size_t total = 0;
  for (int i = 1; i <= n && total < maxBytes; ++i) {
    std::size_t len = 0;
    const char* s = luaL_tolstring(L, i, &len);  // may call __tostring: this is the script's own code
    if (i > 1) {
      luaL_addchar(&b, '\t');
      ++total;
    }
    const std::size_t take = len < maxBytes - total ? len : maxBytes - total;
    luaL_addlstring(&b, s, take);
    total += take;
    lua_pop(L, 1);
  }
  luaL_pushresult(&b);
  std::size_t len = 0;
  const char* line = lua_tolstring(L, -1, &len);
  ThreadOwner* owner = threadOwner(L);
  if (owner != nullptr && owner->host != nullptr) owner->host->print(L, std::string_view(line, len));
  return 0;
}

// load(chunk [, chunkname [, mode [, env]]]): text chunks only, size-capped; the chunk's _ENV is `env` when
// given, else the calling template's environment (never the host's globals).
int baseLoad(lua_State* L) {
  std::size_t len = 0;
  if (lua_type(L, 1) != LUA_TSTRING) {
    return luaL_error(L, "load: only source text (a string) can be loaded in the sandbox");
  }
  const char* chunk = lua_tolstring(L, 1, &len);
  const char* name = luaL_optstring(L, 2, "=(load)");
  const char* mode = luaL_optstring(L, 3, "t");
  if (std::strchr(mode, 't') == nullptr) return luaL_error(L, "load: binary chunks are not allowed");
  if (len > sandboxConfig(L).maxChunkBytes) {
    luaL_pushfail(L);
    lua_pushfstring(L, "chunk too large (%I bytes, limit %I)", static_cast<lua_Integer>(len),
                    static_cast<lua_Integer>(sandboxConfig(L).maxChunkBytes));
    return 2;
  }
  const bool hasEnv = !lua_isnone(L, 4);
  if (luaL_loadbufferx(L, chunk, len, name, "t") != LUA_OK) {
    luaL_pushfail(L);
    lua_insert(L, -2);
    return 2;
  }
  if (hasEnv) {
    lua_pushvalue(L, 4);
  } else {
    const ThreadOwner* owner = threadOwner(L);
    if (owner == nullptr) return luaL_error(L, "load: no template environment");
    lua_rawgeti(L, LUA_REGISTRYINDEX, owner->envRef);
  }
  if (lua_setupvalue(L, -2, 1) == nullptr) lua_pop(L, 1);
  return 1;
}

// setmetatable(t, mt): as stock, but read-only tables stay read-only and finalizers are refused: a __gc
// runs with hooks disabled, so a looping finalizer could never be stopped.
int baseSetMetatable(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  const int t = lua_type(L, 2);
  luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
  if (isReadOnly(L, 1)) return luaL_error(L, "%s", kReadOnlyMessage);
  if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL) return luaL_error(L, "cannot change a protected metatable");
  if (t == LUA_TTABLE) {
    lua_pushliteral(L, "__gc");
    if (lua_rawget(L, 2) != LUA_TNIL) {
      return luaL_error(L, "__gc metamethods are not allowed in templates (finalizers cannot be interrupted)");
    }
    lua_pop(L, 1);
  }
  lua_settop(L, 2);
  lua_setmetatable(L, 1);
  return 1;
}

int baseRawSet(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  luaL_checkany(L, 3);
  if (isReadOnly(L, 1)) return luaL_error(L, "%s", kReadOnlyMessage);
  lua_settop(L, 3);
  lua_rawset(L, 1);
  return 1;
}

// collectgarbage("count") only: the rest would let a template stall its worker or change GC tuning.
int baseCollectGarbage(lua_State* L) {
  const char* opt = luaL_optstring(L, 1, "collect");
  if (std::strcmp(opt, "count") != 0) {
    return luaL_error(L, "collectgarbage: only \"count\" is allowed in templates");
  }
  const int kb = lua_gc(L, LUA_GCCOUNT);
  const int bytes = lua_gc(L, LUA_GCCOUNTB);
  lua_pushnumber(L, static_cast<lua_Number>(kb) + static_cast<lua_Number>(bytes) / 1024.0);
  return 1;
}

// The message handler xpcall installs around the script's handler. An error raised by the count hook (a
// kill) calls the message handler while Lua has hooks disabled, so a script handler that loops could never
// be stopped: once the running code is being killed, the script's handler is skipped.
int xpcallHandler(lua_State* L) {
  if (limits::detail::t_interrupt == static_cast<int>(limits::Interrupt::kKill)) return 1;
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

int finishXpcall(lua_State* L, int status, lua_KContext extra) {
  if (status != LUA_OK && status != LUA_YIELD) {
    lua_pushboolean(L, 0);
    lua_pushvalue(L, -2);
    return 2;  // false, error object
  }
  return lua_gettop(L) - static_cast<int>(extra);  // true (pushed below the function) and the results
}

// xpcall(f, msgh, ...): Lua 5.4's semantics, with the message handler wrapped (see xpcallHandler).
int baseXpcall(lua_State* L) {
  const int n = lua_gettop(L);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_pushvalue(L, 2);
  lua_pushcclosure(L, xpcallHandler, 1);
  lua_replace(L, 2);
  lua_pushboolean(L, 1);  // the first result
  lua_pushvalue(L, 1);    // the function
  lua_rotate(L, 3, 2);    // below the function's arguments
  const int status = lua_pcallk(L, n - 2, LUA_MULTRET, 2, 2, finishXpcall);
  return finishXpcall(L, status, 2);
}

}  // namespace

void openBaseExtras(lua_State* L, int globals) {
  static const luaL_Reg kFuncs[] = {{"print", basePrint},
                                    {"load", baseLoad},
                                    {"setmetatable", baseSetMetatable},
                                    {"rawset", baseRawSet},
                                    {"collectgarbage", baseCollectGarbage},
                                    {"xpcall", baseXpcall},
                                    {nullptr, nullptr}};
  lua_pushvalue(L, globals);
  luaL_setfuncs(L, kFuncs, 0);
  lua_pop(L, 1);
}

}  // namespace tw::sandbox
