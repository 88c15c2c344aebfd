// installRuntime(): builds the Luau shared globals of a VM (see runtime.h and README.md).
#include "luau/runtime/runtime.h"

#include <lua.hpp>

#include <string_view>

#include "luau/luau.h"
#include "luau/runtime/internal.h"
#include "sandbox/sandbox.h"

namespace tw::luau {

namespace {

using rt::kEnvMetatableKey;
using rt::kSharedGlobalsKey;

// tostring for the prelude's private environment: the text of a value that has no __tostring, in Luau's
// form ("buffer: 0x...", 16 hex digits). The prelude handles __tostring itself.
int preludeRawTostring(lua_State* L) {
  luaL_checkany(L, 1);
  rt::pushRawToString(L, 1, nullptr);
  return 1;
}

// Pushes the read-only library `name` of the Lua shared globals' target table (the real functions).
void pushLuaLibrary(lua_State* L, int luaGlobals, const char* name) {
  lua_getfield(L, luaGlobals, name);
  if (!sandbox::pushReadOnlyTarget(L, -1)) luaL_error(L, "the Lua flavour has no '%s' library", name);
  lua_remove(L, -2);
}

// Copies `luaGlobals[from][key]` into the table on top as `key`.
void copyField(lua_State* L, int from, const char* key) {
  lua_getfield(L, from, key);
  lua_setfield(L, -2, key);
}

}  // namespace

namespace rt {

void pushPreludeEnvironment(lua_State* L, int luaGlobals, int luauGlobals, bool natives) {
  luaGlobals = lua_absindex(L, luaGlobals);
  luauGlobals = lua_absindex(L, luauGlobals);
  lua_createtable(L, 0, 16);
  const int env = lua_gettop(L);
  for (const char* name : {"rawget", "rawequal", "select", "error", "tonumber", "next"}) {
    lua_getfield(L, luaGlobals, name);
    lua_setfield(L, env, name);
  }
  lua_getfield(L, luauGlobals, "type");  // Luau's type(): "buffer" for buffers
  lua_setfield(L, env, "type");
  lua_pushcfunction(L, preludeRawTostring);
  lua_setfield(L, env, "tostring");
  if (natives) {
    openNatives(L);  // C versions of the hottest helpers, which the prelude takes when present
    lua_setfield(L, env, "__native");
  }

  lua_pushcfunction(L, luaopen_debug);  // a fresh stock debug table; only getmetatable is kept
  lua_call(L, 0, 1);
  const int debug = lua_gettop(L);
  lua_createtable(L, 0, 1);
  copyField(L, debug, "getmetatable");
  lua_setfield(L, env, "debug");
  lua_pop(L, 1);

  pushLuaLibrary(L, luaGlobals, "math");
  const int math = lua_gettop(L);
  lua_createtable(L, 0, 3);
  for (const char* name : {"type", "floor", "huge"}) copyField(L, math, name);
  lua_setfield(L, env, "math");
  lua_pop(L, 1);

  pushLuaLibrary(L, luaGlobals, "string");
  const int string = lua_gettop(L);
  lua_createtable(L, 0, 4);
  for (const char* name : {"format", "sub", "rep", "match"}) copyField(L, string, name);
  lua_setfield(L, env, "string");
  lua_pop(L, 1);

  pushLuaLibrary(L, luaGlobals, "table");
  const int table = lua_gettop(L);
  lua_createtable(L, 0, 1);
  copyField(L, table, "concat");
  lua_setfield(L, env, "table");
  lua_pop(L, 1);
}

void pushPrelude(lua_State* L, int env) {
  env = lua_absindex(L, env);
  const std::string_view text = runtimePrelude();
  if (luaL_loadbufferx(L, text.data(), text.size(), "=luau-prelude", "t") != LUA_OK) lua_error(L);
  lua_pushvalue(L, env);
  lua_setupvalue(L, -2, 1);
  lua_call(L, 0, 1);
  if (lua_type(L, -1) != LUA_TTABLE) luaL_error(L, "the Luau prelude did not return its helper table");
}

}  // namespace rt

namespace {

// Takes the library table on top, makes it read-only and stores it as `name` in the table at `globals`.
void installLibrary(lua_State* L, int globals, const char* name) {
  sandbox::makeReadOnly(L);
  lua_setfield(L, globals, name);
}

void newWeakKeyedTable(lua_State* L, const void* key) {
  lua_newtable(L);
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, key);
}

}  // namespace

bool runtimeInstalled(lua_State* L) {
  const bool installed = lua_rawgetp(L, LUA_REGISTRYINDEX, &kSharedGlobalsKey) == LUA_TTABLE;
  lua_pop(L, 1);
  return installed;
}

void pushSharedGlobals(lua_State* L) { lua_rawgetp(L, LUA_REGISTRYINDEX, &kSharedGlobalsKey); }

void pushNewEnvironment(lua_State* L) {
  lua_createtable(L, 0, 4);
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "_G");
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kEnvMetatableKey);
  lua_setmetatable(L, -2);
}

void installRuntime(lua_State* L, LoweringCache* cache) {
  if (runtimeInstalled(L)) return;
  luaL_checkstack(L, 24, "installing the Luau runtime");
  const int base = lua_gettop(L);

  sandbox::pushSharedGlobals(L);
  const int luaGlobals = lua_gettop(L);

  // The Luau shared globals: Luau's definitions, falling back to the Lua flavour's (plugins, require...).
  lua_createtable(L, 0, 48);
  const int globals = lua_gettop(L);
  lua_createtable(L, 0, 2);
  lua_pushvalue(L, luaGlobals);
  lua_setfield(L, -2, "__index");
  lua_pushstring(L, sandbox::kLockedMetatable);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, globals);

  // Per-VM state of the libraries.
  lua_pushlightuserdata(L, cache);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &rt::kCacheKey);
  newWeakKeyedTable(L, &rt::kEnvOwnersKey);
  newWeakKeyedTable(L, &rt::kFunctionEnvKey);
  lua_pushboolean(L, 0);  // created now so that collectgarbage's updates never allocate
  lua_rawsetp(L, LUA_REGISTRYINDEX, &rt::kGcRestoreKey);
  static constexpr std::string_view kCellFactory = "local e = ... return function() return e end";
  if (luaL_loadbufferx(L, kCellFactory.data(), kCellFactory.size(), "=luau-setfenv", "t") != LUA_OK) lua_error(L);
  lua_pushnil(L);  // it reads no globals: no environment at all
  lua_setupvalue(L, -2, 1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &rt::kEnvCellFactoryKey);

  // Base functions.
  rt::openBase(L, globals);
  lua_getfield(L, luaGlobals, "setmetatable");  // the sandbox's (read-only tables, no __gc) in Luau's words
  rt::pushWrapped(L, "setmetatable", -1, rt::WrapSpec{0, 0, 2});
  lua_setfield(L, globals, "setmetatable");
  lua_pop(L, 1);

  // Libraries.
  pushLuaLibrary(L, luaGlobals, "string");
  rt::addStringMethods(L, -1);  // `split` for method calls (the shared string metatable)
  rt::openString(L, -1);
  installLibrary(L, globals, "string");
  lua_pop(L, 1);

  pushLuaLibrary(L, luaGlobals, "table");
  rt::openTable(L, -1);
  lua_getfield(L, -1, "unpack");
  lua_setfield(L, globals, "unpack");
  installLibrary(L, globals, "table");
  lua_pop(L, 1);

  pushLuaLibrary(L, luaGlobals, "utf8");
  rt::openUtf8(L, -1);
  installLibrary(L, globals, "utf8");
  lua_pop(L, 1);

  pushLuaLibrary(L, luaGlobals, "os");
  rt::openOs(L, -1);
  installLibrary(L, globals, "os");
  lua_pop(L, 1);

  rt::openMath(L);
  installLibrary(L, globals, "math");
  rt::openBit32(L);
  installLibrary(L, globals, "bit32");
  rt::openBuffer(L);
  installLibrary(L, globals, "buffer");
  rt::openDebug(L);
  installLibrary(L, globals, "debug");

  // The front-end's helpers, reachable by lowered code as `__luau`.
  rt::pushPreludeEnvironment(L, luaGlobals, globals, true);
  rt::pushPrelude(L, -1);
  sandbox::makeReadOnly(L);
  lua_remove(L, -2);
  static_assert(kHelperGlobal == "__luau");
  lua_setfield(L, globals, "__luau");

  // The metatable of every Luau template environment.
  lua_createtable(L, 0, 2);
  lua_pushvalue(L, globals);
  lua_setfield(L, -2, "__index");
  lua_pushstring(L, sandbox::kLockedMetatable);
  lua_setfield(L, -2, "__metatable");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kEnvMetatableKey);

  // Last: from here on runtimeInstalled() is true.
  lua_pushvalue(L, globals);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kSharedGlobalsKey);
  lua_settop(L, base);
}

}  // namespace tw::luau
