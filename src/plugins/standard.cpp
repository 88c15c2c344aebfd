#include "plugins/standard.h"

#include "plugins/json/json_plugin.h"
#include "plugins/task/task.h"

namespace tw::plugins {

std::shared_ptr<const PluginRegistry> standardPlugins() {
  auto registry = std::make_shared<PluginRegistry>();
  registry->add(taskPlugin());
  registry->add(jsonPlugin());
  return registry;
}

}  // namespace tw::plugins
