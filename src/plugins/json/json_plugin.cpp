#include "plugins/json/json_plugin.h"

#include <lua.hpp>

#include "events/json_lua.h"

namespace tw::plugins {

namespace {

// Fills the plugin table (argument 1) with the codec's functions and json.null.
int extendJson(lua_State* L) {
  events::openJson(L, nullptr);
  lua_pushnil(L);
  while (lua_next(L, 2) != 0) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, 1);
  }
  return 0;
}

}  // namespace

PluginSpec jsonPlugin() { return PluginSpec{"json", {}, extendJson}; }

}  // namespace tw::plugins
