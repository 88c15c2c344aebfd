// The plugins every guild VM gets.
//
// Threading: the registry returned is immutable and may be shared between threads.
#pragma once

#include <memory>

#include "plugins/plugin.h"

namespace tw::plugins {

// task and json.
std::shared_ptr<const PluginRegistry> standardPlugins();

}  // namespace tw::plugins
