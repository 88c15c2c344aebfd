// The `fault` plugin, for fault-injection drills and tests only (the service installs it when the
// `fault_injection` setting is on; never by default): fault.crash() makes the host fail with an internal
// error right after the calling code yields or returns, as a bug in the host would. The worker must
// destroy the guild's VM, log and count the fault, and keep serving every other guild.
//
// Threading: runs on the VM's thread.
#pragma once

#include <lua.hpp>

#include "plugins/plugin.h"

namespace tw::plugins {

// The flag of L's VM that fault.crash() sets (see GuildVm::faultFlag). Call inside a protected call.
void setFaultFlag(lua_State* L, bool* flag);

PluginSpec faultPlugin();

}  // namespace tw::plugins
