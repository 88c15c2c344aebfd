#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/runtime.h"
#include "cli/template_dir.h"
#include "common/ids.h"
#include "common/json_text.h"
#include "common/log.h"
#include "common/thread.h"
#include "luau/luau.h"
#include "events/event.h"
#include "plugins/standard.h"
#include "vm/guild_vm.h"

namespace tw::cli {

std::string outcomeJson(const vm::TemplateOutcome& o, bool withTemplate) {
  std::string out = "{";
  if (withTemplate) {
    out += "\"template\":";
    appendJsonString(out, o.templateName);
    out += ",";
  }
  if (o.ok) {
    out += "\"ok\":true,\"value\":";
    out += o.valueJson;
  } else {
    out += "\"ok\":false,\"error\":{\"kind\":";
    appendJsonString(out, kindName(o.error.kind));
    out += ",\"message\":";
    appendJsonString(out, o.error.message);
    out += "}";
  }
  if (!o.taskErrors.empty()) {
    out += ",\"task_errors\":[";
    for (std::size_t i = 0; i < o.taskErrors.size(); ++i) {
      if (i > 0) out += ",";
      out += "{\"kind\":";
      appendJsonString(out, kindName(o.taskErrors[i].kind));
      out += ",\"message\":";
      appendJsonString(out, o.taskErrors[i].message);
      out += "}";
    }
    out += "]";
  }
  out += "}";
  return out;
}

int runCommand(const RunOptions& options) {
  auto guild = parseGuildId(options.guild);
  if (!guild) {
    std::cerr << "template-worker run: --guild must be a decimal snowflake\n";
    return kExitUsage;
  }
  if (options.event.empty() || options.event.size() > events::kMaxEventNameLength) {
    std::cerr << "template-worker run: invalid event name '" << options.event << "'\n";
    return kExitUsage;
  }
  std::string eventName = options.event;
  std::string data = "{}";
  if (options.eventFile) {
    auto text = readFile(*options.eventFile, 8u << 20);
    if (!text.ok()) {
      std::cerr << "template-worker run: " << text.error().message << "\n";
      return kExitUsage;
    }
    auto event = events::parseEvent(*text);
    if (!event.ok()) {
      std::cerr << "template-worker run: " << *options.eventFile << ": " << event.error().message << "\n";
      return kExitUsage;
    }
    eventName = std::move(event->name);
    data = std::move(event->dataJson);
  } else if (options.dataFile) {
    auto text = readFile(*options.dataFile, 8u << 20);
    if (!text.ok()) {
      std::cerr << "template-worker run: " << text.error().message << "\n";
      return kExitUsage;
    }
    if (Status v = events::validateJson(*text); !v.ok()) {
      std::cerr << "template-worker run: " << *options.dataFile << ": " << v.error().message << "\n";
      return kExitUsage;
    }
    data = std::move(text).value();
  }
  std::vector<vm::TemplateSource> templates;
  for (const std::string& path : options.paths) {
    auto t = readTemplate(path);
    if (!t.ok()) {
      std::cerr << "template-worker run: " << t.error().message << "\n";
      return kExitUsage;
    }
    templates.push_back(std::move(t).value());
  }

  auto config = std::make_shared<vm::VmConfig>();
  if (options.memoryLimit) config->memoryLimitBytes = *options.memoryLimit;
  if (options.timeoutMs) config->executionTimeout = std::chrono::milliseconds(*options.timeoutMs);
  config->luauCache = std::make_shared<luau::LoweringCache>();

  int exitCode = kExitOk;
  std::string output;
  // Lua runs on a thread with the worker stack size, like in the service.
  Thread worker("tw-run", kWorkerStackBytes, [&] {
    boost::asio::io_context io;
    auto vmOr = vm::GuildVm::create(*guild, config, plugins::standardPlugins(), io);
    if (!vmOr.ok()) {
      std::cerr << "template-worker run: cannot create the guild VM: " << vmOr.error().message << "\n";
      exitCode = kExitInternal;
      return;
    }
    std::unique_ptr<vm::GuildVm> vm = std::move(vmOr).value();
    std::vector<vm::TemplateOutcome> results;
    vm->loadTemplates(std::move(templates), [](std::vector<vm::TemplateOutcome>) {});
    vm->dispatch(eventName, data, vm::DispatchOptions{vm::Audience::kAll, true},
                 [&](std::vector<vm::TemplateOutcome> outcomes) { results = std::move(outcomes); });
    io.run();
    output = "{\"results\":[";
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (i > 0) output += ",";
      output += outcomeJson(results[i], true);
    }
    output += "]}\n";
  });
  worker.join();
  if (exitCode == kExitOk) std::fwrite(output.data(), 1, output.size(), stdout);
  return exitCode;
}

}  // namespace tw::cli
