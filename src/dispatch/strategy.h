// VM distribution strategies: which worker a guild's VM lives on.
//
//   thread-pool       (default) N workers; a new guild goes to the worker with the fewest guilds and stays
//                     there while it has a VM or queued work on it.
//   thread-per-guild  (legacy) the same machinery with one guild per worker: a worker is started for a new
//                     guild and stopped when the guild leaves; bounded, and refused clearly past the bound.
//
// A placement lasts from the first acquire() until the worker reports the guild left (no VM and no queued
// work there): an action posted to a worker always finds the guild still placed on that worker, so a guild
// never has two VMs.
//
// Threading: thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/ids.h"
#include "common/result.h"
#include "worker/worker.h"

namespace tw::dispatch {

enum class StrategyKind { kThreadPool, kThreadPerGuild };

Result<StrategyKind> parseStrategyKind(std::string_view name);
std::string_view strategyName(StrategyKind kind);

class Strategy {
 public:
  // Builds workers from `workerTemplate` (its id and onGuildLeft are set per worker).
  // thread-pool: `workers` workers at once. thread-per-guild: up to `workers` workers, one per guild.
  Strategy(StrategyKind kind, std::size_t workers, worker::WorkerOptions workerTemplate);
  ~Strategy();  // stops every worker
  Strategy(const Strategy&) = delete;
  Strategy& operator=(const Strategy&) = delete;

  StrategyKind kind() const { return kind_; }

  using WorkerAction = std::function<void(worker::Worker&)>;  // runs on the worker thread

  // Runs `action` on the guild's worker, placing the guild first when needed. kUnavailable when no worker
  // can take the guild (then `action` is dropped).
  Status post(GuildId guild, WorkerAction action);
  // Runs `action` on the guild's worker if the guild is placed; false (action dropped) otherwise.
  bool postIfPlaced(GuildId guild, WorkerAction action);

  // Every worker right now (workers of thread-per-guild may stop after the call).
  std::vector<std::shared_ptr<worker::Worker>> workers() const;
  std::size_t placedGuilds() const;

  // Stops every worker (their VMs are destroyed on their threads).
  void stop();

 private:
  struct Placement {
    std::shared_ptr<worker::Worker> worker;
    std::size_t pending = 0;  // actions posted but not yet started on the worker
  };
  void onGuildLeft(worker::Worker& from, GuildId guild);  // on from's thread
  void postPlaced(GuildId guild, Placement& placement, WorkerAction action);  // REQUIRES: mu_ held
  std::shared_ptr<worker::Worker> makeWorker(int id);  // REQUIRES: mu_ held

  StrategyKind kind_;
  std::size_t maxWorkers_;
  worker::WorkerOptions template_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<worker::Worker>> pool_;           // guarded by mu_ (thread-pool)
  std::unordered_map<GuildId, Placement> placed_;               // guarded by mu_
  std::unordered_map<const worker::Worker*, std::size_t> load_;  // guarded by mu_: guilds per worker
  int nextWorkerId_ = 0;                                         // guarded by mu_
  std::vector<std::shared_ptr<worker::Worker>> retired_;         // guarded by mu_: stopped later (t-p-g)
  bool stopped_ = false;                                         // guarded by mu_
};

}  // namespace tw::dispatch
