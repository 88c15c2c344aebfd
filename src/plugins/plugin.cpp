#include "plugins/plugin.h"

#include "sandbox/lua_api.h"
#include "sandbox/sandbox.h"

namespace tw::plugins {

namespace {

// Upvalues: 1 = the plugin function (light C function), 2 = capability, 3 = "plugin.function" name.
int capabilityGate(lua_State* L) {
  const char* capability = lua_tostring(L, lua_upvalueindex(2));
  requireCapability(L, capability, lua_tostring(L, lua_upvalueindex(3)));
  const lua_CFunction fn = lua_tocfunction(L, lua_upvalueindex(1));
  return fn(L);
}

struct InstallArgs {
  const PluginRegistry* registry;
};

int installAll(lua_State* L) {
  const auto* args = static_cast<const InstallArgs*>(lua_touserdata(L, 1));
  sandbox::pushSharedGlobals(L);
  const int globals = lua_gettop(L);
  for (const PluginSpec& spec : args->registry->plugins()) {
    lua_createtable(L, 0, static_cast<int>(spec.functions.size()));
    for (const PluginFunction& f : spec.functions) {
      if (f.capability == nullptr) {
        lua_pushcfunction(L, f.fn);
      } else {
        lua_pushcfunction(L, f.fn);
        lua_pushstring(L, f.capability);
        lua_pushfstring(L, "%s.%s", spec.name.c_str(), f.name);
        lua_pushcclosure(L, capabilityGate, 3);
      }
      lua_setfield(L, -2, f.name);
    }
    if (spec.extend != nullptr) {
      lua_pushcfunction(L, spec.extend);
      lua_pushvalue(L, -2);
      lua_call(L, 1, 0);
    }
    sandbox::makeReadOnly(L);
    lua_setfield(L, globals, spec.name.c_str());
  }
  return 0;
}

}  // namespace

Status PluginRegistry::install(lua_State* L) const {
  InstallArgs args{this};
  return sandbox::protectedCall(L, installAll, &args);
}

void requireCapability(lua_State* L, const char* capability, const char* what) {
  sandbox::ThreadOwner* owner = sandbox::threadOwner(L);
  if (owner != nullptr && sandbox::hasCapability(*owner, capability)) return;
  sandbox::raiseHostError(L, ErrorKind::kCapabilityDenied,
                          "capability '%s' is required to call %s (template '%s' does not have it)", capability,
                          what, owner != nullptr ? owner->templateName.c_str() : "?");
}

}  // namespace tw::plugins
