// The `json` plugin: json.encode, json.decode, json.null, json.array, json.isarray (see events/json_lua.h).
// No capability is needed.
//
// Threading: as plugins/plugin.h.
#pragma once

#include "plugins/plugin.h"

namespace tw::plugins {

PluginSpec jsonPlugin();

}  // namespace tw::plugins
