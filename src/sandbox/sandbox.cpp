#include "sandbox/sandbox.h"

#include <lua.hpp>

#include <cstdarg>

#include "sandbox/libs.h"
#include "sandbox/lua_api.h"

namespace tw::sandbox {

namespace {

// Registry keys: addresses of these variables.
char kSharedGlobalsKey;
char kReadOnlySetKey;
char kEnvMetatableKey;
char kConfigKey;

int readOnlyNewIndex(lua_State* L) { return luaL_error(L, "%s", kReadOnlyMessage); }

// __pairs of a read-only proxy: iterates the original without handing it out.
int readOnlyNext(lua_State* L) {
  lua_settop(L, 2);
  if (lua_next(L, lua_upvalueindex(1)) != 0) return 2;
  lua_pushnil(L);
  return 1;
}
// __pairs (and Luau's __iter) of a read-only table: iterates the target without handing it out.
int readOnlyPairs(lua_State* L) {
  if (!pushReadOnlyTarget(L, 1)) return luaL_error(L, "not a read-only table");
  lua_pushcclosure(L, readOnlyNext, 1);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}
int readOnlyLen(lua_State* L) {
  if (!pushReadOnlyTarget(L, 1)) return luaL_error(L, "not a read-only table");
  lua_pushinteger(L, static_cast<lua_Integer>(lua_rawlen(L, -1)));
  return 1;
}

// Registers `proxy` (at index) as read-only with `target` (on top, popped).
void registerReadOnly(lua_State* L, int proxy) {
  proxy = lua_absindex(L, proxy);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kReadOnlySetKey);
  lua_pushvalue(L, proxy);
  lua_pushvalue(L, -3);
  lua_rawset(L, -3);
  lua_pop(L, 2);
}

// Copies the named fields of the table at `from` into the table at the top of the stack.
void copyFields(lua_State* L, int from, const char* const* names) {
  from = lua_absindex(L, from);
  for (; *names != nullptr; ++names) {
    lua_getfield(L, from, *names);
    lua_setfield(L, -2, *names);
  }
}

// Takes the library table at the top, makes it read-only and stores it in the shared globals (at `globals`).
void installLibrary(lua_State* L, int globals, const char* name) {
  makeReadOnly(L);
  lua_setfield(L, globals, name);
}

int installAll(lua_State* L) {
  const auto* config = static_cast<const SandboxConfig*>(lua_touserdata(L, 1));
  lua_pushlightuserdata(L, const_cast<SandboxConfig*>(config));
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kConfigKey);

  lua_newtable(L);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kReadOnlySetKey);

  lua_createtable(L, 0, 40);  // the shared globals
  const int globals = lua_gettop(L);
  lua_pushvalue(L, globals);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kSharedGlobalsKey);

  // Base library: the stock functions that are safe as they are, then ours.
  luaL_requiref(L, "_G", luaopen_base, 0);
  static const char* const kStockBase[] = {"assert", "error", "getmetatable", "ipairs", "next", "pairs",
                                           "pcall", "rawequal", "rawget", "rawlen", "select", "tonumber",
                                           "tostring", "type", "_VERSION", nullptr};
  lua_pushvalue(L, globals);
  copyFields(L, -2, kStockBase);
  lua_pop(L, 2);
  // The real global table held the stock base library; nothing can reach it any more. Empty it.
  lua_newtable(L);
  lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
  openBaseExtras(L, globals);

  luaL_requiref(
      L, "string", [](lua_State* S) { return stdlib::openString(S, &sandboxConfig(S).stdlib); }, 0);
  // The string metatable: methods come from the real string table; the metatable itself is locked.
  lua_createtable(L, 0, 2);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "__index");
  lua_pushstring(L, kLockedMetatable);
  lua_setfield(L, -2, "__metatable");
  lua_pushliteral(L, "");
  lua_pushvalue(L, -2);
  lua_setmetatable(L, -2);
  lua_pop(L, 2);
  installLibrary(L, globals, "string");

  luaL_requiref(
      L, "table", [](lua_State* S) { return stdlib::openTable(S, &sandboxConfig(S).stdlib); }, 0);
  installLibrary(L, globals, "table");

  luaL_requiref(L, "math", luaopen_math, 0);
  installLibrary(L, globals, "math");

  luaL_requiref(L, "utf8", luaopen_utf8, 0);
  installLibrary(L, globals, "utf8");

  luaL_requiref(L, "coroutine", openCoroutine, 0);
  installLibrary(L, globals, "coroutine");

  luaL_requiref(L, "os", luaopen_os, 0);
  lua_createtable(L, 0, 4);
  static const char* const kOs[] = {"time", "clock", "date", "difftime", nullptr};
  copyFields(L, -2, kOs);
  lua_remove(L, -2);
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "os");  // registry._LOADED.os: the subset only
  installLibrary(L, globals, "os");

  // registry._LOADED (unreachable from templates) names library functions in error messages
  // ("bad argument #1 to 'string.rep'"). It must not keep the host's global table.
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_pushnil(L);
  lua_setfield(L, -2, "_G");
  lua_pop(L, 1);

  // The shared metatable of template environments.
  lua_createtable(L, 0, 2);
  lua_pushvalue(L, globals);
  lua_setfield(L, -2, "__index");
  lua_pushstring(L, kLockedMetatable);
  lua_setfield(L, -2, "__metatable");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kEnvMetatableKey);
  return 0;
}

}  // namespace

int raiseHostError(lua_State* L, ErrorKind kind, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  luaL_where(L, 1);
  lua_pushvfstring(L, fmt, args);
  va_end(args);
  lua_concat(L, 2);
  ThreadOwner* owner = threadOwner(L);
  if (owner != nullptr && owner->host != nullptr) owner->host->noteHostError(L, kind);
  return lua_error(L);
}

bool hasCapability(const ThreadOwner& owner, std::string_view capability) {
  const auto colon = capability.find(':');
  for (const std::string& held : owner.capabilities) {
    if (held == capability || held == "*") return true;
    if (colon != std::string_view::npos && held.size() == colon + 2 && held.back() == '*' &&
        capability.compare(0, colon + 1, held, 0, colon + 1) == 0) {
      return true;
    }
  }
  return false;
}

Status installSandbox(lua_State* L, const SandboxConfig* config) {
  return protectedCall(L, installAll, const_cast<SandboxConfig*>(config));
}

const SandboxConfig& sandboxConfig(lua_State* L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kConfigKey);
  const auto* config = static_cast<const SandboxConfig*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return *config;
}

void pushSharedGlobals(lua_State* L) { lua_rawgetp(L, LUA_REGISTRYINDEX, &kSharedGlobalsKey); }

void makeReadOnly(lua_State* L) {
  const int original = lua_gettop(L);
  lua_newtable(L);  // the proxy
  lua_createtable(L, 0, 6);
  lua_pushvalue(L, original);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, readOnlyNewIndex);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, readOnlyPairs);
  lua_setfield(L, -2, "__pairs");
  lua_pushcfunction(L, readOnlyPairs);
  lua_setfield(L, -2, "__iter");
  lua_pushcfunction(L, readOnlyLen);
  lua_setfield(L, -2, "__len");
  lua_pushstring(L, kLockedMetatable);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  lua_pushvalue(L, original);
  registerReadOnly(L, -2);
  lua_replace(L, original);
}

void freezeInPlace(lua_State* L, int index) {
  const int t = lua_absindex(L, index);
  if (isReadOnly(L, t)) return;
  lua_newtable(L);  // the target
  const int target = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, t) != 0) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, target);
  }
  lua_pushnil(L);
  while (lua_next(L, t) != 0) {  // clearing fields during a traversal is allowed
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_pushnil(L);
    lua_rawset(L, t);
  }
  // The proxy's metatable: the original metamethods, with reads going to the target.
  lua_createtable(L, 0, 8);
  const int meta = lua_gettop(L);
  if (lua_getmetatable(L, t)) {
    const int original = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, original) != 0) {
      lua_pushvalue(L, -2);
      lua_insert(L, -2);
      lua_rawset(L, meta);
    }
    lua_pushliteral(L, "__metatable");
    if (lua_rawget(L, original) == LUA_TNIL) {  // getmetatable() keeps answering the original metatable
      lua_pop(L, 1);
      lua_pushvalue(L, original);
    }
    lua_setfield(L, meta, "__metatable");
    lua_pushvalue(L, original);
    lua_setmetatable(L, target);  // lookups that miss the target follow the original __index
    lua_pop(L, 1);
  } else {
    lua_pushboolean(L, 0);
    lua_setfield(L, meta, "__metatable");
  }
  lua_pushvalue(L, target);
  lua_setfield(L, meta, "__index");
  lua_pushcfunction(L, readOnlyNewIndex);
  lua_setfield(L, meta, "__newindex");
  static const char* const kDefaults[] = {"__pairs", "__iter", "__len"};
  static const lua_CFunction kDefaultFns[] = {readOnlyPairs, readOnlyPairs, readOnlyLen};
  for (int i = 0; i < 3; ++i) {
    if (lua_getfield(L, meta, kDefaults[i]) == LUA_TNIL) {
      lua_pushcfunction(L, kDefaultFns[i]);
      lua_setfield(L, meta, kDefaults[i]);
    }
    lua_pop(L, 1);
  }
  lua_setmetatable(L, t);  // pops meta
  registerReadOnly(L, t);  // pops target
}

bool isReadOnly(lua_State* L, int index) {
  if (lua_type(L, index) != LUA_TTABLE || !lua_getmetatable(L, index)) return false;
  lua_pop(L, 1);
  index = lua_absindex(L, index);
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &kReadOnlySetKey) != LUA_TTABLE) {  // not a sandboxed state
    lua_pop(L, 1);
    return false;
  }
  lua_pushvalue(L, index);
  const bool result = lua_rawget(L, -2) != LUA_TNIL;
  lua_pop(L, 2);
  return result;
}

bool pushReadOnlyTarget(lua_State* L, int index) {
  if (lua_type(L, index) != LUA_TTABLE || !lua_getmetatable(L, index)) return false;
  lua_pop(L, 1);
  index = lua_absindex(L, index);
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &kReadOnlySetKey) != LUA_TTABLE) {  // not a sandboxed state
    lua_pop(L, 1);
    return false;
  }
  lua_pushvalue(L, index);
  if (lua_rawget(L, -2) == LUA_TNIL) {
    lua_pop(L, 2);
    return false;
  }
  lua_remove(L, -2);
  return true;
}

void pushNewEnvironment(lua_State* L) {
  lua_createtable(L, 0, 4);
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "_G");
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kEnvMetatableKey);
  lua_setmetatable(L, -2);
}

}  // namespace tw::sandbox
