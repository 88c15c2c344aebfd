// Luau's base functions (the ones that differ from the Lua flavour's; the rest is inherited through the
// Luau shared globals' __index). Read-only tables (library proxies and frozen tables) are seen through by
// next, pairs, ipairs, rawget, rawlen and getmetatable, as Luau's frozen tables are plain tables.
#include <cerrno>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "luau/runtime/internal.h"
#include "sandbox/libs.h"
#include "sandbox/sandbox.h"

namespace tw::luau::rt {

namespace {

// If the table at `idx` is read-only, replaces it (on this function's own stack) by its target.
void seeThrough(lua_State* L, int idx) {
  if (sandbox::pushReadOnlyTarget(L, idx)) lua_replace(L, idx);
}

int baseType(lua_State* L) {
  checkAny(L, 1);
  lua_pushstring(L, typeName(L, 1));
  return 1;
}

int baseTypeof(lua_State* L) {
  checkAny(L, 1);
  lua_pushstring(L, objectTypeName(L, 1));
  return 1;
}

int baseTostring(lua_State* L) {
  checkAny(L, 1);
  pushToString(L, 1, nullptr);
  return 1;
}

// print(...): one line to the host log, each argument converted as tostring() does, cut at the sandbox's
// maxPrintBytes.
int basePrint(lua_State* L) {
  const int n = lua_gettop(L);
  const std::size_t maxBytes = sandbox::sandboxConfig(L).maxPrintBytes;
  std::size_t total = 0;
  int parts = 0;
  for (int i = 1; i <= n && total < maxBytes; ++i) {
    luaL_checkstack(L, 3, "too many arguments to print");
    if (i > 1) {
      lua_pushliteral(L, "\t");
      ++parts;
      ++total;
    }
    std::size_t len = 0;
    const char* s = pushToString(L, i, &len);
    if (len > maxBytes - total) {
      len = maxBytes - total;
      lua_pushlstring(L, s, len);
      lua_remove(L, -2);
    }
    total += len;
    ++parts;
  }
  if (parts == 0) {
    lua_pushliteral(L, "");
  } else {
    lua_concat(L, parts);
  }
  std::size_t len = 0;
  const char* line = lua_tolstring(L, -1, &len);
  sandbox::ThreadOwner* owner = sandbox::threadOwner(L);
  if (owner != nullptr && owner->host != nullptr) owner->host->print(L, std::string_view(line, len));
  return 0;
}

// Luau's string -> number conversion (luaO_str2d): strtod, so "0x1F", "1e3", "inf" and "nan" are numbers,
// with surrounding whitespace allowed.
bool stringToNumber(const char* s, double* out) {
  char* end = nullptr;
  errno = 0;
  *out = std::strtod(s, &end);
  if (end == s) return false;
  while (*end != '\0' && std::isspace(static_cast<unsigned char>(*end))) ++end;
  return *end == '\0';
}

int baseTonumber(lua_State* L) {
  const int base = optInt(L, 2, 10);
  if (base == 10) {
    const int t = lua_type(L, 1);
    if (t == LUA_TNUMBER) {
      lua_settop(L, 1);
      return 1;
    }
    if (t == LUA_TSTRING) {
      double d = 0;
      if (stringToNumber(lua_tostring(L, 1), &d)) {
        pushNumber(L, d);
        return 1;
      }
    } else {
      checkAny(L, 1);
    }
  } else {
    const char* s = checkString(L, 1, nullptr);
    argCheck(L, 2 <= base && base <= 36, 2, "base out of range");
    char* end = nullptr;
    const unsigned long long n = std::strtoull(s, &end, base);
    if (end != s) {
      while (*end != '\0' && std::isspace(static_cast<unsigned char>(*end))) ++end;
      if (*end == '\0') {
        pushNumber(L, static_cast<double>(n));
        return 1;
      }
    }
  }
  lua_pushnil(L);
  return 1;
}

int baseNext(lua_State* L) {
  checkTable(L, 1);
  lua_settop(L, 2);
  seeThrough(L, 1);
  if (lua_next(L, 1) != 0) return 2;
  lua_pushnil(L);
  return 1;
}

int basePairs(lua_State* L) {
  checkTable(L, 1);
  lua_pushvalue(L, lua_upvalueindex(2));  // Luau's next (sees through read-only tables)
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

int ipairsNext(lua_State* L) {
  const int i = checkInt(L, 2) + 1;
  checkTable(L, 1);
  seeThrough(L, 1);
  lua_pushinteger(L, i);
  return lua_rawgeti(L, 1, i) == LUA_TNIL ? 0 : 2;
}

int baseIpairs(lua_State* L) {
  checkTable(L, 1);
  lua_pushvalue(L, lua_upvalueindex(2));  // ipairsNext
  lua_pushvalue(L, 1);
  lua_pushinteger(L, 0);
  return 3;
}

int baseRawget(lua_State* L) {
  checkTable(L, 1);
  checkAny(L, 2);
  lua_settop(L, 2);
  seeThrough(L, 1);
  lua_rawget(L, 1);
  return 1;
}

int baseRawset(lua_State* L) {
  checkTable(L, 1);
  checkAny(L, 2);
  checkAny(L, 3);
  if (sandbox::isReadOnly(L, 1)) return luaL_error(L, "%s", sandbox::kReadOnlyMessage);
  lua_settop(L, 3);
  lua_rawset(L, 1);
  return 1;
}

int baseRawlen(lua_State* L) {
  const int t = lua_type(L, 1);
  argCheck(L, t == LUA_TTABLE || t == LUA_TSTRING, 1, "table or string expected");
  if (t == LUA_TTABLE) seeThrough(L, 1);
  pushNumber(L, static_cast<lua_Integer>(lua_rawlen(L, 1)));
  return 1;
}

int baseRawequal(lua_State* L) {
  checkAny(L, 1);
  checkAny(L, 2);
  lua_pushboolean(L, lua_rawequal(L, 1, 2));
  return 1;
}

// getmetatable: the __metatable field if the metatable has one, else the metatable. A read-only table
// answers for what it stands for: a frozen table its own metatable (nil if it had none), a library nil.
int baseGetmetatable(lua_State* L) {
  checkAny(L, 1);
  lua_settop(L, 1);
  if (sandbox::pushReadOnlyTarget(L, 1)) {
    if (lua_getmetatable(L, -1) == 0) {
      lua_pushnil(L);
      return 1;
    }
  } else if (lua_getmetatable(L, 1) == 0) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushliteral(L, "__metatable");
  if (lua_rawget(L, -2) == LUA_TNIL) lua_pop(L, 1);
  return 1;
}

int baseSelect(lua_State* L) {
  const int n = lua_gettop(L);
  if (lua_type(L, 1) == LUA_TSTRING && *lua_tostring(L, 1) == '#') {
    lua_pushinteger(L, n - 1);
    return 1;
  }
  int i = checkInt(L, 1);
  if (i < 0) {
    i = n + i;
  } else if (i > n) {
    i = n;
  }
  argCheck(L, 1 <= i, 1, "index out of range");
  return n - i;
}

// assert(v [, message]): as Luau, the message is a string and the error carries the caller's position.
int baseAssert(lua_State* L) {
  checkAny(L, 1);
  if (!lua_toboolean(L, 1)) {
    const char* message = optString(L, 2, "assertion failed!", nullptr);
    return luaL_error(L, "%s", message);
  }
  return lua_gettop(L);
}

int baseNewproxy(lua_State* L) {
  const int t = lua_type(L, 1);
  if (t != LUA_TNONE && t != LUA_TNIL && t != LUA_TBOOLEAN) typeError(L, 1, "nil or boolean");
  const bool withMetatable = lua_toboolean(L, 1) != 0;
  lua_newuserdatauv(L, 0, 1);
  lua_pushlightuserdata(L, &kProxyTag);
  lua_setiuservalue(L, -2, 1);
  if (withMetatable) {
    lua_newtable(L);
    lua_setmetatable(L, -2);
  }
  return 1;
}

int baseGcinfo(lua_State* L) {
  const int kb = lua_gc(L, LUA_GCCOUNT);
  const int bytes = lua_gc(L, LUA_GCCOUNTB);
  lua_pushnumber(L, static_cast<lua_Number>(kb) + static_cast<lua_Number>(bytes) / 1024.0);
  return 1;
}

}  // namespace

int loadstring(lua_State* L);  // env.cpp
int getfenv(lua_State* L);     // env.cpp
int setfenv(lua_State* L);     // env.cpp

void openBase(lua_State* L, int globals) {
  globals = lua_absindex(L, globals);
  static const LibFunction kFunctions[] = {
      {"assert", baseAssert},     {"collectgarbage", collectGarbage},
      {"gcinfo", baseGcinfo},     {"getfenv", getfenv},
      {"getmetatable", baseGetmetatable},
      {"loadstring", loadstring}, {"newproxy", baseNewproxy},
      {"print", basePrint},       {"rawequal", baseRawequal},
      {"rawget", baseRawget},     {"rawlen", baseRawlen},
      {"rawset", baseRawset},     {"select", baseSelect},
      {"setfenv", setfenv},       {"tonumber", baseTonumber},
      {"tostring", baseTostring}, {"type", baseType},
      {"typeof", baseTypeof},     {nullptr, nullptr},
  };
  lua_pushvalue(L, globals);
  setFunctions(L, kFunctions);

  pushFunction(L, "next", baseNext);
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "next");
  lua_pushliteral(L, "pairs");
  lua_insert(L, -2);
  lua_pushcclosure(L, basePairs, 2);  // upvalues: name, next
  lua_setfield(L, -2, "pairs");

  lua_pushliteral(L, "ipairs");
  pushFunction(L, "ipairs", ipairsNext);
  lua_pushcclosure(L, baseIpairs, 2);  // upvalues: name, the iterator
  lua_setfield(L, -2, "ipairs");

  lua_pushliteral(L, "Luau");
  lua_setfield(L, -2, "_VERSION");
  lua_pop(L, 1);
}

}  // namespace tw::luau::rt
