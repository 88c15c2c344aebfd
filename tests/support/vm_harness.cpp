#include "support/vm_harness.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "plugins/standard.h"

namespace tw::testing {

std::shared_ptr<vm::VmConfig> testConfig() {
  auto config = std::make_shared<vm::VmConfig>();
  config->memoryLimitBytes = 8u << 20;
  config->executionTimeout = std::chrono::milliseconds(300);
  return config;
}

vm::TemplateSource makeTemplate(std::string name, std::string init,
                                std::vector<std::pair<std::string, std::string>> files,
                                std::vector<std::string> capabilities) {
  vm::TemplateSource t;
  t.name = std::move(name);
  t.files.emplace("init.lua", std::move(init));
  for (auto& [path, text] : files) t.files.emplace(std::move(path), std::move(text));
  t.capabilities = std::move(capabilities);
  return t;
}

std::filesystem::path sourceDir() {
  const char* dir = std::getenv("TW_SOURCE_DIR");
  if (dir != nullptr) return dir;
  return TW_SOURCE_DIR_DEFAULT;
}

std::string readText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

VmHarness::VmHarness(std::shared_ptr<vm::VmConfig> config) : config_(std::move(config)) { recreate(); }

VmHarness::~VmHarness() { vm_.reset(); }

void VmHarness::recreate() {
  vm_.reset();
  auto created = vm::GuildVm::create(GuildId{1090011223344556600ULL}, config_, plugins::standardPlugins(), io_);
  if (!created.ok()) throw std::runtime_error("cannot create a VM: " + created.error().message);
  vm_ = std::move(created).value();
}

std::vector<vm::TemplateOutcome> VmHarness::load(std::vector<vm::TemplateSource> templates) {
  std::vector<vm::TemplateOutcome> result;
  vm_->loadTemplates(std::move(templates), [&](std::vector<vm::TemplateOutcome> o) { result = std::move(o); });
  io_.restart();
  io_.run();
  return result;
}

std::vector<vm::TemplateOutcome> VmHarness::dispatch(const std::string& event, const std::string& data,
                                                     vm::Audience audience) {
  std::vector<vm::TemplateOutcome> result;
  bool done = false;
  vm_->dispatch(event, data, vm::DispatchOptions{audience, true}, [&](std::vector<vm::TemplateOutcome> o) {
    result = std::move(o);
    done = true;
  });
  io_.restart();
  io_.run();
  if (!done) throw std::runtime_error("the dispatch never completed");
  return result;
}

}  // namespace tw::testing
