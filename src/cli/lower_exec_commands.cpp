#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/runtime.h"
#include "cli/template_dir.h"
#include "common/thread.h"
#include "luau/luau.h"
#include "plugins/standard.h"
#include "vm/guild_vm.h"

namespace tw::cli {

int lowerCommand(const std::string& file) {
  auto text = readFile(file, 64u << 20);
  if (!text.ok()) {
    std::cerr << "template-worker lower: " << text.error().message << "\n";
    return kExitUsage;
  }
  const std::string name = std::filesystem::path(file).filename().string();
  auto lowered = luau::lower(*text, name);
  if (!lowered.ok()) {
    std::cerr << lowered.error().message << "\n";
    return kExitUsage;
  }
  std::fwrite(lowered->data(), 1, lowered->size(), stdout);
  return kExitOk;
}

int execCommand(const ExecOptions& options) {
  const bool luau = options.file.ends_with(".luau");
  if (!luau && !options.file.ends_with(".lua")) {
    std::cerr << "template-worker exec: the file must end in .lua or .luau\n";
    return kExitUsage;
  }
  auto code = readFile(options.file, 16u << 20);
  if (!code.ok()) {
    std::cerr << "template-worker exec: " << code.error().message << "\n";
    return kExitUsage;
  }
  auto config = std::make_shared<vm::VmConfig>();
  if (options.memoryLimit) config->memoryLimitBytes = *options.memoryLimit;
  if (options.timeoutMs) config->executionTimeout = std::chrono::milliseconds(*options.timeoutMs);
  config->luauCache = std::make_shared<luau::LoweringCache>();
  int exitCode = kExitOk;
  std::string output;
  Thread worker("tw-exec", kWorkerStackBytes, [&] {
    boost::asio::io_context io;
    auto vmOr = vm::GuildVm::create(GuildId{1}, config, plugins::standardPlugins(), io);
    if (!vmOr.ok()) {
      std::cerr << "template-worker exec: cannot create the guild VM: " << vmOr.error().message << "\n";
      exitCode = kExitInternal;
      return;
    }
    auto vm = std::move(vmOr).value();
    std::vector<vm::TemplateOutcome> results;
    vm->exec(std::move(code).value(), luau, {}, vm::DispatchOptions{vm::Audience::kAll, true},
             [&](std::vector<vm::TemplateOutcome> outcomes) { results = std::move(outcomes); });
    io.run();
    if (results.empty()) {
      exitCode = kExitInternal;
      return;
    }
    output = outcomeJson(results[0], false) + "\n";
  });
  worker.join();
  if (exitCode == kExitOk) std::fwrite(output.data(), 1, output.size(), stdout);
  return exitCode;
}

}  // namespace tw::cli
