#include "dispatch/strategy.h"

#include <algorithm>

#include "common/log.h"

namespace tw::dispatch {

Result<StrategyKind> parseStrategyKind(std::string_view name) {
  if (name == "thread-pool") return StrategyKind::kThreadPool;
  if (name == "thread-per-guild") return StrategyKind::kThreadPerGuild;
  return makeError(ErrorKind::kBadInput, "unknown strategy '" + std::string(name) +
                                             "' (expected thread-pool or thread-per-guild)");
}

std::string_view strategyName(StrategyKind kind) {
  return kind == StrategyKind::kThreadPool ? "thread-pool" : "thread-per-guild";
}

Strategy::Strategy(StrategyKind kind, std::size_t workers, worker::WorkerOptions workerTemplate)
    : kind_(kind), maxWorkers_(std::max<std::size_t>(workers, 1)), template_(std::move(workerTemplate)) {
  if (kind_ == StrategyKind::kThreadPool) {
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i < maxWorkers_; ++i) {
      pool_.push_back(makeWorker(nextWorkerId_++));
      load_[pool_.back().get()] = 0;
    }
  }
}

Strategy::~Strategy() { stop(); }

std::shared_ptr<worker::Worker> Strategy::makeWorker(int id) {
  worker::WorkerOptions options = template_;
  options.id = id;
  options.onGuildLeft = [this](worker::Worker& from, GuildId guild) { onGuildLeft(from, guild); };
  return std::make_shared<worker::Worker>(std::move(options));
}

void Strategy::postPlaced(GuildId guild, Placement& placement, WorkerAction action) {
  ++placement.pending;
  std::shared_ptr<worker::Worker> w = placement.worker;
  w->post([this, guild, w, action = std::move(action)] {
    {
      std::lock_guard lock(mu_);
      auto it = placed_.find(guild);
      if (it != placed_.end()) --it->second.pending;
    }
    action(*w);
    // The action may have left nothing behind (a failed load, a destroy): the guild may leave.
    if (!w->hosts(guild)) onGuildLeft(*w, guild);
  });
}

Status Strategy::post(GuildId guild, WorkerAction action) {
  std::vector<std::shared_ptr<worker::Worker>> toStop;
  Status result;
  {
    std::lock_guard lock(mu_);
    toStop.swap(retired_);
    if (stopped_) return makeError(ErrorKind::kUnavailable, "the service is shutting down");
    auto it = placed_.find(guild);
    if (it == placed_.end()) {
      std::shared_ptr<worker::Worker> chosen;
      if (kind_ == StrategyKind::kThreadPool) {
        chosen = *std::min_element(pool_.begin(), pool_.end(),
                                   [&](const auto& a, const auto& b) { return load_[a.get()] < load_[b.get()]; });
      } else if (placed_.size() >= maxWorkers_) {
        result = makeError(ErrorKind::kUnavailable, "thread-per-guild: every one of the " + std::to_string(maxWorkers_) +
                                                        " guild threads is in use");
      } else {
        chosen = makeWorker(nextWorkerId_++);
      }
      if (chosen) {
        ++load_[chosen.get()];
        it = placed_.emplace(guild, Placement{chosen, 0}).first;
      }
    }
    if (it != placed_.end()) postPlaced(guild, it->second, std::move(action));
  }
  for (auto& w : toStop) w->stop();  // joined outside the lock, never from its own thread
  return result;
}

bool Strategy::postIfPlaced(GuildId guild, WorkerAction action) {
  std::lock_guard lock(mu_);
  auto it = placed_.find(guild);
  if (it == placed_.end()) return false;
  postPlaced(guild, it->second, std::move(action));
  return true;
}

void Strategy::onGuildLeft(worker::Worker& from, GuildId guild) {
  std::lock_guard lock(mu_);
  auto it = placed_.find(guild);
  // A late report (the guild left `from`, and has since been placed on another worker) changes nothing;
  // asking the other worker whether it hosts the guild would read its state from the wrong thread.
  if (it == placed_.end() || it->second.worker.get() != &from) return;
  if (it->second.pending != 0 || from.hosts(guild)) return;
  std::shared_ptr<worker::Worker> w = std::move(it->second.worker);
  placed_.erase(it);
  if (kind_ == StrategyKind::kThreadPool) {
    --load_[w.get()];
  } else {
    load_.erase(w.get());
    retired_.push_back(std::move(w));  // its thread is the caller: stopped later from another thread
  }
}

std::vector<std::shared_ptr<worker::Worker>> Strategy::workers() const {
  std::lock_guard lock(mu_);
  if (kind_ == StrategyKind::kThreadPool) return pool_;
  std::vector<std::shared_ptr<worker::Worker>> out;
  for (const auto& [guild, placement] : placed_) out.push_back(placement.worker);
  return out;
}

std::size_t Strategy::placedGuilds() const {
  std::lock_guard lock(mu_);
  return placed_.size();
}

void Strategy::stop() {
  std::vector<std::shared_ptr<worker::Worker>> all;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    all = pool_;
    for (auto& [guild, placement] : placed_) all.push_back(placement.worker);
    for (auto& w : retired_) all.push_back(w);
    retired_.clear();
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  for (auto& w : all) w->stop();
}

}  // namespace tw::dispatch
