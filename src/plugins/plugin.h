// Plugins: read-only Lua modules exposed to templates as globals (task, json, kv, ...).
//
// A plugin is a name and a list of functions; a function may declare the capability it needs. The registry
// installs each plugin into a VM's shared globals as a read-only table; a function with a capability is
// wrapped in a gate that checks the calling template's capabilities first and, when the capability is
// missing, raises an error that names it (result kind `capability_denied`).
//
// Threading: PluginSpec and PluginRegistry are immutable once built and shared between threads
// (shared_ptr<const PluginRegistry>). install() runs on the thread that owns the lua_State.
#pragma once

#include <lua.hpp>

#include <string>
#include <vector>

#include "common/result.h"

namespace tw::plugins {

struct PluginFunction {
  const char* name;
  lua_CFunction fn;            // called in the gate's frame: it must not use upvalues
  const char* capability = nullptr;  // e.g. "kv:read"; null when none is needed
};

struct PluginSpec {
  std::string name;  // the global name
  std::vector<PluginFunction> functions;
  // Optional: called with the plugin table on top of the stack, to add other members (e.g. json.null).
  lua_CFunction extend = nullptr;
};

class PluginRegistry {
 public:
  void add(PluginSpec spec) { plugins_.push_back(std::move(spec)); }
  const std::vector<PluginSpec>& plugins() const { return plugins_; }

  // Installs every plugin into the shared globals of L as read-only tables. Runs protected.
  Status install(lua_State* L) const;

 private:
  std::vector<PluginSpec> plugins_;
};

// For plugin code that checks a capability itself (e.g. per method): raises the capability error unless
// the template running on L holds `capability`.
void requireCapability(lua_State* L, const char* capability, const char* what);

}  // namespace tw::plugins
