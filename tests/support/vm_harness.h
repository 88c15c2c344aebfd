// VmHarness: one guild VM on an event loop driven by the test's own thread, for tests that load templates
// and dispatch events through the real runtime.
//
// Threading: use from one thread.
#pragma once

#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "vm/guild_vm.h"

namespace tw::testing {

// Small limits so that bombs end quickly: 8 MiB of memory, 300 ms of execution time.
std::shared_ptr<vm::VmConfig> testConfig();

// A template from source text: `init` is init.lua; `files` adds other files.
vm::TemplateSource makeTemplate(std::string name, std::string init,
                                std::vector<std::pair<std::string, std::string>> files = {},
                                std::vector<std::string> capabilities = {});

// The repository's root (TW_SOURCE_DIR, set by CTest).
std::filesystem::path sourceDir();
std::string readText(const std::filesystem::path& path);

class VmHarness {
 public:
  explicit VmHarness(std::shared_ptr<vm::VmConfig> config = testConfig());
  ~VmHarness();

  std::vector<vm::TemplateOutcome> load(std::vector<vm::TemplateSource> templates);
  // Dispatches to every template and waits for everything the handlers started.
  std::vector<vm::TemplateOutcome> dispatch(const std::string& event = "Test", const std::string& data = "{}",
                                            vm::Audience audience = vm::Audience::kAll);
  vm::GuildVm& vm() { return *vm_; }
  boost::asio::io_context& io() { return io_; }
  // Destroys the VM and creates a fresh one (what the worker does with a broken VM).
  void recreate();

 private:
  std::shared_ptr<vm::VmConfig> config_;
  boost::asio::io_context io_;
  std::unique_ptr<vm::GuildVm> vm_;
};

}  // namespace tw::testing
