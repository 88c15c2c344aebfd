// Worker: one OS thread (20 MiB stack by default) with its own event loop and mailbox (the seed's
// ThreadEntry). It owns the guild VMs placed on it; a lua_State is only ever touched by its worker thread.
//
// Everything reaches a worker as an action posted to its mailbox (post()); completions of storage calls and
// plugin I/O come back through the same loop. An action that throws, or a fault a VM reports, destroys that
// guild's VM (the next event gets a fresh one) and is logged and counted; the worker keeps serving. If the
// loop itself fails outside any guild, every VM of the worker is destroyed.
//
// Threading: post() and the thread-safe accessors may be called from any thread; everything else (the
// methods marked "worker thread") runs on the worker's own thread.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/ids.h"
#include "common/result.h"
#include "common/thread.h"
#include "plugins/kv/kv.h"
#include "plugins/plugin.h"
#include "vm/guild_vm.h"

namespace tw::storage {
class AsyncStorage;
}
namespace tw::metrics {
class Registry;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
}  // namespace tw::metrics

namespace tw::worker {

class Worker;

// What a worker reports about one of its VMs.
struct VmSnapshot {
  GuildId guild;
  int worker = 0;
  std::string state;  // loading, ready, broken
  vm::VmStats stats;
  std::int64_t createdAtMs = 0;
  std::int64_t lastUsedAtMs = 0;
};

// Metrics every worker updates (shared, thread-safe).
struct WorkerMetrics {
  metrics::Counter* vmsCreated = nullptr;
  metrics::Counter* vmsDestroyed = nullptr;
  metrics::Counter* faults = nullptr;
  metrics::Counter* droppedCompletions = nullptr;  // plugin completions for tasks already gone
};

struct WorkerOptions {
  int id = 0;
  std::size_t stackBytes = std::size_t{20} << 20;
  std::int64_t tickMicros = 2000;  // the time slice
  // Run the thread under SCHED_BATCH: an action posted to it (or a storage completion) then does not preempt
  // the thread that posted it on a shared CPU; the worker takes its mailbox in batches at the next scheduling
  // point instead of one context switch per action. Latency between guilds on one worker is unaffected (that
  // is the time slice's job).
  bool batchScheduling = true;
  std::shared_ptr<const vm::VmConfig> vmConfig;
  std::shared_ptr<const plugins::PluginRegistry> plugins;
  storage::AsyncStorage* storage = nullptr;  // templates and kv; outlives the worker
  WorkerMetrics metrics;
  // Called on the worker thread when a guild has no VM and no queued work left here (the strategy may
  // then place it elsewhere). Passes the reporting worker: by the time the report is handled the guild may
  // already be placed on another one, whose state only that worker's thread may read.
  std::function<void(Worker&, GuildId)> onGuildLeft;
};

class Worker {
 public:
  using VmAction = std::function<void(vm::GuildVm&)>;
  using Failure = std::function<void(Error)>;

  explicit Worker(WorkerOptions options);
  ~Worker();  // stop()
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  int id() const { return options_.id; }

  // Runs `action` on the worker thread (the mailbox). Thread-safe.
  void post(std::function<void()> action);

  // Worker thread: runs `action` with the guild's VM, creating it (loading the guild's templates from storage)
  // when it is not resident; `failed` runs instead when that is impossible.
  void withVm(GuildId guild, VmAction action, Failure failed);
  // Worker thread: destroys the guild's VM, if resident (its running work ends with an error).
  bool destroyVm(GuildId guild, const char* why);
  // Worker thread: snapshots of the VMs on this worker.
  std::vector<VmSnapshot> snapshot() const;
  std::optional<VmSnapshot> snapshot(GuildId guild) const;
  // Worker thread: true when the guild has a VM (or one loading) here.
  bool hosts(GuildId guild) const { return vms_.count(guild) != 0; }

  // Thread-safe figures.
  std::size_t residentVms() const { return resident_.load(std::memory_order_relaxed); }
  std::size_t memoryBytes() const { return memoryBytes_.load(std::memory_order_relaxed); }
  // True when no VM has work running or waiting (for draining).
  bool idle() const { return busyVms_.load(std::memory_order_relaxed) == 0; }

  // Winds the loop down and joins the thread: the VMs are destroyed on the worker thread, new actions are
  // refused, and the loop runs until the storage calls still holding its executor have delivered. Call it
  // from another thread. Idempotent.
  void stop();

 private:
  struct Entry;

  void run();                                     // worker thread
  void load(GuildId guild, Entry& entry);         // worker thread
  // Worker thread. guildLeaves: tell the strategy the guild may be placed elsewhere now.
  void destroy(GuildId guild, const char* why, bool guildLeaves = true);
  void destroyAll(const char* why);               // worker thread: every VM here
  void fault(GuildId guild, const std::string& what);  // worker thread
  void account(GuildId guild, Entry& entry);      // worker thread: updates the totals with one VM's figures
  void publishFigures();                          // worker thread: totals -> the thread-safe figures
  // Worker thread: adds the VM's dropped completions (its running total `dropped`) not yet counted.
  void countDropped(Entry& entry, std::uint64_t dropped);
  void afterWork(GuildId guild);                  // worker thread: tidy up after an action or completion
  void housekeep();                               // worker thread: the periodic refresh, re-armed each time
  void windDown();                                // worker thread: the first step of stop()

  static constexpr std::chrono::milliseconds kHousekeepingPeriod{100};

  WorkerOptions options_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  boost::asio::steady_timer housekeeping_{io_};
  std::unordered_map<GuildId, std::unique_ptr<Entry>> vms_;  // worker thread only
  std::uint64_t generations_ = 0;                             // worker thread only
  std::size_t totalBytes_ = 0;                                // worker thread only: sum of countedBytes
  std::size_t totalBusy_ = 0;                                 // worker thread only: entries countedBusy
  std::unordered_set<GuildId> active_;                        // worker thread only: the countedBusy guilds
  std::atomic<std::size_t> resident_{0};
  std::atomic<std::size_t> memoryBytes_{0};
  std::atomic<std::size_t> busyVms_{0};
  bool stopping_ = false;                                     // worker thread only: set by windDown
  std::atomic<bool> stopped_{false};
  Thread thread_;
};

}  // namespace tw::worker
