#include "sandbox/lua_api.h"

#include <cinttypes>
#include <cstdio>

namespace tw::sandbox {

Status protectedCall(lua_State* L, lua_CFunction fn, void* ud, int nresults, int nargs) {
  const int base = lua_gettop(L) - nargs;
  if (!lua_checkstack(L, 3)) {
    lua_settop(L, base);
    return makeError(ErrorKind::kInternal, "Lua stack exhausted");
  }
  lua_pushcfunction(L, fn);  // light C functions and light userdata never allocate
  lua_pushlightuserdata(L, ud);
  lua_rotate(L, base + 1, 2);  // fn, ud, args...
  const int status = lua_pcall(L, nargs + 1, nresults, 0);
  if (status == LUA_OK) return {};
  std::string message = errorMessage(L, -1);
  lua_settop(L, base);
  return makeError(status == LUA_ERRMEM ? ErrorKind::kMemoryLimit : ErrorKind::kRuntimeError,
                   std::move(message));
}

std::string errorMessage(lua_State* L, int index) {
  constexpr std::size_t kMaxMessage = 4096;
  switch (lua_type(L, index)) {
    case LUA_TSTRING: {
      std::size_t len = 0;
      const char* s = lua_tolstring(L, index, &len);  // a string already: no conversion, no allocation
      if (len > kMaxMessage) return std::string(s, kMaxMessage) + "...";
      return std::string(s, len);
    }
    case LUA_TNUMBER: {
      char buf[64];
      if (lua_isinteger(L, index)) {
        std::snprintf(buf, sizeof buf, "%" PRId64, static_cast<std::int64_t>(lua_tointeger(L, index)));
      } else {
        std::snprintf(buf, sizeof buf, "%.14g", lua_tonumber(L, index));
      }
      return buf;
    }
    case LUA_TNIL: return "nil";
    default: return std::string("(error object is a ") + lua_typename(L, lua_type(L, index)) + " value)";
  }
}

}  // namespace tw::sandbox
