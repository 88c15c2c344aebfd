// utf8 and os: Lua 5.4's functions behind Luau's argument conventions (pushWrapped), with Luau's
// utf8.charpattern (Lua 5.3's, which Luau kept: lead bytes up to 0xF4).
#include <iterator>

#include "luau/runtime/internal.h"

namespace tw::luau::rt {

namespace {

struct Wrapped {
  const char* name;
  WrapSpec spec;
};

void wrapAll(lua_State* L, int from, const Wrapped* functions, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    const Wrapped& w = functions[i];
    lua_getfield(L, from, w.name);
    pushWrapped(L, w.name, -1, w.spec);
    lua_setfield(L, -3, w.name);
    lua_pop(L, 1);
  }
}

}  // namespace

int openUtf8(lua_State* L, int luaUtf8) {
  luaUtf8 = lua_absindex(L, luaUtf8);
  static constexpr Wrapped kFunctions[] = {
      {"char", {~0u, 0, -1}},          {"codepoint", {0b110, 0b1, 3}}, {"codes", {0, 0b1, 1}},
      {"len", {0b110, 0b1, 3}},        {"offset", {0b110, 0b1, 3}},
  };
  lua_createtable(L, 0, 6);
  wrapAll(L, luaUtf8, kFunctions, std::size(kFunctions));
  static constexpr char kCharPattern[] = "[\0-\x7F\xC2-\xF4][\x80-\xBF]*";
  lua_pushlstring(L, kCharPattern, sizeof kCharPattern - 1);
  lua_setfield(L, -2, "charpattern");
  return 1;
}

int openOs(lua_State* L, int luaOs) {
  luaOs = lua_absindex(L, luaOs);
  static constexpr Wrapped kFunctions[] = {
      {"clock", {0, 0, 0}}, {"date", {0, 0b1, 2}}, {"difftime", {0, 0, 2}}, {"time", {0, 0, 1}},
  };
  lua_createtable(L, 0, 4);
  wrapAll(L, luaOs, kFunctions, std::size(kFunctions));
  return 1;
}

}  // namespace tw::luau::rt
