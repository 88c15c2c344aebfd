// GuildVm: the one Lua VM of a guild. It holds all of the guild's templates, each in its own environment,
// persists across events, and runs everything through its Scheduler on the worker's event loop.
//
// Life: create() builds the sandbox and plugins; loadTemplates() compiles the templates and runs each entry
// chunk once (its locals persist); dispatch() runs the handlers of one event, one coroutine per template.
// A VM that went over its memory cap or met an internal fault is broken(): its owner destroys it once the
// current work ends, and the next event gets a fresh VM.
//
// Threading: owned by one worker thread; create, use and destroy it on the thread that runs `io`.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/ids.h"
#include "common/result.h"
#include "events/json_lua.h"
#include "plugins/kv/kv.h"
#include "plugins/plugin.h"
#include "sandbox/sandbox.h"
#include "vm/scheduler.h"
#include "vm/template.h"

struct lua_State;

namespace tw::limits {
class MemoryBudget;
}
namespace tw::luau {
class LoweringCache;
}

namespace tw::vm {

struct VmConfig {
  std::size_t memoryLimitBytes = std::size_t{20} << 20;      // Default: 20 MiB (the seed's limit)
  std::chrono::milliseconds executionTimeout{10 * 60 * 1000};  // Default: 10 minutes
  sandbox::SandboxConfig sandbox;
  SchedulerLimits scheduler;
  events::JsonLimits json;
  std::size_t maxTemplateFiles = 64;
  std::size_t maxTemplateBytes = std::size_t{1} << 20;  // all files of one template
  std::size_t maxTemplates = 100;                         // per guild
  // Lowered Luau, shared by every VM of the process (thread-safe). Null: every load lowers.
  std::shared_ptr<luau::LoweringCache> luauCache;
};

struct VmStats {
  std::size_t memoryBytes = 0;
  std::size_t peakMemoryBytes = 0;
  std::size_t templates = 0;
  std::size_t tasks = 0;
  std::int64_t coroutines = 0;
  bool broken = false;
  std::uint64_t droppedCompletions = 0;  // plugin completions that arrived for a task already gone
};

// Which templates an event goes to.
enum class Audience {
  kSubscribed,  // unpaused templates subscribed to the event's name (the service)
  kAll,         // every template (`template-worker run`)
};

struct DispatchOptions {
  Audience audience = Audience::kSubscribed;
  // Report only once every thread the handlers started has ended too (their errors in taskErrors).
  bool waitForBackground = false;
  // When > 0: report after this long at the latest; handlers still running are reported as kStillRunning
  // and go on up to the execution limit. Default: 0 (wait for the handlers).
  std::chrono::milliseconds returnWait{0};
};

class GuildVm final : private sandbox::SandboxHost {
 public:
  using Done = std::function<void(std::vector<TemplateOutcome>)>;

  // `kv` (may be null: kv calls raise) serves ctx.kv; it must outlive the VM.
  static Result<std::unique_ptr<GuildVm>> create(GuildId guild, std::shared_ptr<const VmConfig> config,
                                                 std::shared_ptr<const plugins::PluginRegistry> plugins,
                                                 boost::asio::io_context& io, plugins::KvStore* kv = nullptr);
  ~GuildVm() override;
  GuildVm(const GuildVm&) = delete;
  GuildVm& operator=(const GuildVm&) = delete;

  // Compiles the templates and runs each entry chunk. `done` gets one outcome per template, in order.
  // Events dispatched meanwhile wait until loading has ended.
  void loadTemplates(std::vector<TemplateSource> templates, Done done);

  // Runs the handlers of one event. `done` gets one outcome per template that received the event.
  void dispatch(std::string eventName, std::string dataJson, DispatchOptions options, Done done);

  // Runs ad-hoc code (Lua, or Luau when `luau`) as a chunk called with `ctx`, in an environment of its own that
  // persists per capability set (like a REPL). `done` gets one outcome, named "exec".
  void exec(std::string code, bool luau, std::vector<std::string> capabilities, DispatchOptions options, Done done);

  // Called (on the VM's thread) when host code run from the VM's own event handling fails; the VM is then
  // broken and its owner should destroy it. Without a handler such failures propagate out of the loop.
  void setFaultHandler(std::function<void(const std::string&)> handler);
  // For fault injection (tests, chaos drills): the flag the `fault` plugin sets. See plugins/fault.
  bool* faultFlag() { return &faultInjected_; }

  GuildId guild() const { return guild_; }
  bool broken() const;
  // True when nothing runs or waits in this VM.
  bool idle() const { return scheduler_->taskCount() == 0 && pending_.empty(); }
  // Worker thread, with no Lua running: when idle, one young collection frees what the last event left (the
  // handler's coroutine, the event's tables) while it is still in cache, instead of letting thousands of
  // VMs each hold their garbage until their own next collection.
  void collectAfterWork();
  VmStats stats() const;

 private:
  struct TemplateSlot;
  struct DispatchState;

  GuildVm(GuildId guild, std::shared_ptr<const VmConfig> config, boost::asio::io_context& io);
  Status init(const plugins::PluginRegistry& plugins, plugins::KvStore* kv);
  std::shared_ptr<DispatchState> newDispatch(std::size_t count, const std::string& eventName, DispatchOptions options,
                                             Done done);
  TemplateSlot& execSlot(const std::vector<std::string>& capabilities, bool luau);
  void loadOne(TemplateSlot& slot, const std::shared_ptr<Run>& run, std::function<void(TemplateOutcome)> done);
  void startHandler(TemplateSlot& slot, std::size_t index, const std::string& eventName,
                    const std::string& dataJson, const std::shared_ptr<DispatchState>& state);
  void complete(const std::shared_ptr<DispatchState>& state, std::size_t index, TemplateOutcome outcome);
  TemplateOutcome outcomeOf(const TemplateSlot& slot, lua_State* co, int status, int nres, ErrorKind kind);
  void noteFailure(ErrorKind kind);
  bool runAlive(std::uint64_t runId) const;
  const char* runEventName(std::uint64_t runId) const;

  // sandbox::SandboxHost
  void print(lua_State* L, std::string_view line) noexcept override;
  bool adoptSchedulerYield(lua_State* co) noexcept override;
  bool ownedByScheduler(lua_State* co) noexcept override;
  bool eventAlive(std::uint64_t eventId) noexcept override;
  void noteHostError(lua_State* L, ErrorKind kind) noexcept override;

  GuildId guild_;
  std::shared_ptr<const VmConfig> config_;
  boost::asio::io_context& io_;
  std::unique_ptr<limits::MemoryBudget> budget_;
  lua_State* L_ = nullptr;
  std::unique_ptr<Scheduler> scheduler_;
  std::vector<std::unique_ptr<TemplateSlot>> templates_;
  std::map<std::string, std::unique_ptr<TemplateSlot>> execSlots_;  // by capability set
  std::vector<std::function<void()>> pending_;  // dispatches waiting for templates to load
  std::unordered_map<std::uint64_t, std::weak_ptr<Run>> liveRuns_;  // events whose `ctx` is still valid
  int loading_ = 0;
  bool faulted_ = false;
  bool faultInjected_ = false;
  char guildIdText_[24] = {};
};

}  // namespace tw::vm
