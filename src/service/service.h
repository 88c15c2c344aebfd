// Service: what the HTTP API (and tests) can ask of a template-worker node. It ties storage, the VM
// distribution strategy and its workers, and metrics together; the API layer only maps HTTP to these calls.
//
// Every call completes through its callback exactly once, on a worker or storage thread: post back to your
// own executor before touching your own state. Results are values: Error kinds map to HTTP statuses
// (kBadInput 400, kSyntaxError 422, kNotFound 404, kLimitExceeded 413/429, kUnavailable 503, kInternal 500).
//
// Threading: thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/result.h"
#include "events/event.h"
#include "storage/storage.h"
#include "vm/template.h"

namespace tw::service {

template <typename T>
using Callback = std::function<void(Result<T>)>;

struct ExecRequest {
  std::string code;
  std::string language = "lua";           // "lua" or "luau"
  std::vector<std::string> capabilities;  // what the code may do, e.g. {"kv:read"}
};

struct DispatchReply {
  // One outcome per template that received the event. An outcome of kind kStillRunning means the handler
  // was still running when the return wait ended; it goes on, up to the execution limit.
  std::vector<vm::TemplateOutcome> outcomes;
};

struct VmInfo {
  GuildId guild;
  int worker = 0;
  std::string state;  // "loading", "ready", "broken"
  std::size_t memoryBytes = 0;
  std::size_t templates = 0;
  std::size_t tasks = 0;  // coroutines running or waiting
  std::int64_t createdAtMs = 0;   // milliseconds since the Unix epoch
  std::int64_t lastUsedAtMs = 0;
};

struct ServiceLimits {
  std::size_t maxBodyBytes = std::size_t{1} << 20;  // request bodies. Default: 1 MiB
  std::int64_t returnWaitMs = 60'000;               // the seed's MAX_TEMPLATES_RETURN_WAIT_TIME
};

class Service {
 public:
  virtual ~Service() = default;

  // Templates. putTemplate compiles every file first: a syntax error is kSyntaxError with the compiler's
  // message, and nothing is stored. A change reloads the guild's VM.
  virtual void putTemplate(GuildId guild, storage::Template spec, Callback<storage::StoredTemplate> done) = 0;
  virtual void getTemplate(GuildId guild, std::string name, Callback<storage::StoredTemplate> done) = 0;
  virtual void listTemplates(GuildId guild, Callback<std::vector<storage::TemplateSummary>> done) = 0;
  virtual void deleteTemplate(GuildId guild, std::string name, Callback<storage::Revision> done) = 0;

  // Runs the handlers of every unpaused template subscribed to the event. Completes when they are done, or
  // when the return wait ends (the rest reported as kStillRunning).
  virtual void dispatch(GuildId guild, events::Event event, Callback<DispatchReply> done) = 0;
  // Accepts the event and runs it in the background (?wait=false). Completes once it is queued.
  virtual void dispatchInBackground(GuildId guild, events::Event event, Callback<bool> done) = 0;
  // Runs ad-hoc code in the guild's VM, in an environment of its own (persistent per capability set, like a
  // REPL): one outcome, with templateName "exec".
  virtual void exec(GuildId guild, ExecRequest request, Callback<vm::TemplateOutcome> done) = 0;

  virtual void listVms(Callback<std::vector<VmInfo>> done) = 0;
  virtual void getVm(GuildId guild, Callback<VmInfo> done) = 0;       // kNotFound when none is resident
  virtual void destroyVm(GuildId guild, Callback<bool> done) = 0;     // false when none was resident

  // Prometheus text.
  virtual std::string metricsText() = 0;
  // False once the node is draining (SIGTERM) or broken.
  virtual bool healthy() const = 0;
  virtual const ServiceLimits& limits() const = 0;
};

}  // namespace tw::service
