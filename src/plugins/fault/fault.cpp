#include "plugins/fault/fault.h"

namespace tw::plugins {

namespace {

char kFlagKey;

int faultCrash(lua_State* L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kFlagKey);
  auto* flag = static_cast<bool*>(lua_touserdata(L, -1));
  if (flag == nullptr) return luaL_error(L, "fault injection is not available");
  *flag = true;
  if (lua_isyieldable(L)) return lua_yield(L, 0);  // hand control back to the host now
  return 0;
}

}  // namespace

void setFaultFlag(lua_State* L, bool* flag) {
  lua_pushlightuserdata(L, flag);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kFlagKey);
}

PluginSpec faultPlugin() { return PluginSpec{"fault", {{"crash", faultCrash, "fault:inject"}}, nullptr}; }

}  // namespace tw::plugins
