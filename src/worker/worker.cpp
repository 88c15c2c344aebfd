#include "worker/worker.h"

#include <boost/asio/post.hpp>

#include <pthread.h>
#include <sched.h>

#include <chrono>
#include <cstring>

#include "common/log.h"
#include "limits/interrupt.h"
#include "metrics/metrics.h"
#include "storage/async_storage.h"
#include "worker/storage_kv.h"

namespace tw::worker {

namespace {
std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

vm::TemplateSource toSource(storage::StoredTemplate&& stored) {
  vm::TemplateSource t;
  t.name = std::move(stored.spec.name);
  t.files = std::move(stored.spec.files);
  t.events.assign(stored.spec.events.begin(), stored.spec.events.end());
  t.capabilities.assign(stored.spec.capabilities.begin(), stored.spec.capabilities.end());
  t.paused = stored.spec.paused;
  return t;
}
}  // namespace

// A guild's VM on this worker, and the work waiting for it while its templates load.
struct Worker::Entry {
  std::unique_ptr<StorageKvStore> kv;  // declared first: outlives the VM
  std::unique_ptr<vm::GuildVm> vm;
  bool loading = true;
  std::uint64_t generation = 0;
  std::vector<std::pair<VmAction, Failure>> waiting;
  std::int64_t createdAtMs = 0;
  std::int64_t lastUsedAtMs = 0;
  std::uint64_t droppedCounted = 0;  // the VM's dropped completions already added to the metric
  std::size_t countedBytes = 0;      // this entry's share of totalBytes_
  bool countedBusy = false;          // this entry's share of totalBusy_

  // A VM that broke (memory limit, fault) and runs nothing any more: to be replaced.
  bool brokenAndIdle() const { return vm && vm->broken() && vm->idle(); }
};

Worker::Worker(WorkerOptions options)
    : options_(std::move(options)),
      guard_(boost::asio::make_work_guard(io_)),
      thread_("tw-worker-" + std::to_string(options_.id), options_.stackBytes, [this] { run(); }) {}

Worker::~Worker() { stop(); }

void Worker::post(std::function<void()> action) { boost::asio::post(io_, std::move(action)); }

void Worker::housekeep() {
  // Handlers finish inside the VMs, out of the worker's sight: refresh the figures (idle() for draining,
  // memory for metrics) and destroy VMs that broke and have since gone idle, even when no action arrives.
  housekeeping_.expires_after(kHousekeepingPeriod);
  // Only VMs that were busy when last accounted can have changed: an idle VM runs nothing (so its memory
  // stays put) and cannot break. Scanning just those keeps the pass cheap with 10 000 resident VMs.
  housekeeping_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    const std::vector<GuildId> active(active_.begin(), active_.end());
    for (GuildId g : active) {
      auto it = vms_.find(g);
      if (it == vms_.end()) continue;
      Entry& e = *it->second;
      if (e.brokenAndIdle()) {
        destroy(g, "the guild VM broke (memory limit or fault)");
      } else {
        account(g, e);
      }
    }
    publishFigures();
    housekeep();
  });
}

void Worker::run() {
  if (options_.batchScheduling) {
    sched_param none{};
    if (int err = pthread_setschedparam(pthread_self(), SCHED_BATCH, &none); err != 0) {
      TW_LOG_WARN("worker {}: SCHED_BATCH refused ({}); the thread keeps the default policy", options_.id,
                  std::strerror(err));
    }
  }
  limits::ExecutionWatch::current().setTickMicros(options_.tickMicros);
  housekeep();
  for (;;) {
    try {
      io_.run();
      break;  // out of work: wound down by stop(), its VMs destroyed
    } catch (const std::exception& e) {
      // A failure outside any guild's action: this worker's own state is in doubt. Start its VMs afresh.
      TW_LOG_ERROR("worker {}: unexpected failure in its loop: {}; destroying its {} VMs", options_.id, e.what(),
                   vms_.size());
      if (options_.metrics.faults != nullptr) options_.metrics.faults->inc();
      destroyAll("the worker recovered from a fault");
    }
  }
}

void Worker::stop() {
  if (stopped_.exchange(true)) return;
  // Not io_.stop(): a storage call in flight holds this loop's executor (tracked work) and posts its completion
  // to it from a storage thread. Destroying io_ under that thread is a use-after-free, so the loop is wound
  // down and left to run out of work instead; the completions then find their VMs gone and do nothing.
  boost::asio::post(io_, [this] { windDown(); });
  thread_.join();
}

void Worker::windDown() {
  stopping_ = true;
  guard_.reset();  // first: should a destroy below throw, run()'s fault path still ends once out of work
  housekeeping_.cancel();
  destroyAll("the service is shutting down");
}

void Worker::destroyAll(const char* why) {
  std::vector<GuildId> guilds;  // destroy() erases from vms_: collect first
  for (auto& [guild, entry] : vms_) guilds.push_back(guild);
  for (GuildId g : guilds) destroy(g, why);
}

void Worker::withVm(GuildId guild, VmAction action, Failure failed) {
  if (stopping_) {
    failed(makeError(ErrorKind::kUnavailable, "the worker is stopping"));
    return;
  }
  if (auto found = vms_.find(guild); found != vms_.end() && found->second->brokenAndIdle()) {
    // Broken since the last housekeeping pass: replace it now rather than answer with an error. The guild
    // stays placed here (no onGuildLeft): the new VM is created just below.
    destroy(guild, "the guild VM broke (memory limit or fault)", /*guildLeaves=*/false);
  }
  auto& slot = vms_[guild];
  if (!slot) {
    slot = std::make_unique<Entry>();
    slot->createdAtMs = nowMs();
    slot->generation = ++generations_;  // tells this VM's completions from those of a VM it replaced
    load(guild, *slot);
  }
  Entry& entry = *slot;
  entry.lastUsedAtMs = nowMs();
  if (entry.loading) {
    entry.waiting.emplace_back(std::move(action), std::move(failed));
    return;
  }
  try {
    action(*entry.vm);
  } catch (const std::exception& e) {
    fault(guild, e.what());
    failed(makeError(ErrorKind::kInternal, "internal error while handling the guild's request"));
    return;
  }
  afterWork(guild);
}

void Worker::load(GuildId guild, Entry& entry) {
  const std::uint64_t generation = entry.generation;
  options_.storage->submit(
      io_.get_executor(), [guild](storage::Storage& s) { return s.loadGuildTemplates(guild); },
      [this, guild, generation](Result<storage::GuildTemplates> loaded) {
        auto it = vms_.find(guild);
        if (it == vms_.end() || it->second->generation != generation || !it->second->loading) return;
        Entry& e = *it->second;
        auto waiting = std::move(e.waiting);
        e.waiting.clear();
        auto failAll = [&](const Error& error) {
          vms_.erase(it);
          for (auto& [action, failed] : waiting) failed(error);
          if (options_.onGuildLeft) options_.onGuildLeft(*this, guild);
        };
        if (!loaded.ok()) {
          TW_LOG_WARN("guild {}: cannot load its templates: {}", guild.value, loaded.error().message);
          return failAll(loaded.error());
        }
        e.kv = std::make_unique<StorageKvStore>(guild, *options_.storage, io_.get_executor());
        auto created = vm::GuildVm::create(guild, options_.vmConfig, options_.plugins, io_, e.kv.get());
        if (!created.ok()) {
          TW_LOG_ERROR("guild {}: cannot create its VM: {}", guild.value, created.error().message);
          return failAll(makeError(ErrorKind::kInternal, "cannot create the guild's VM"));
        }
        e.vm = std::move(created).value();
        e.vm->setFaultHandler([this, guild, generation](const std::string& what) {
          // Raised inside the VM's own event handling: destroy it once the current handler returns, unless
          // it is gone by then (a fresh VM in its place has done nothing wrong).
          post([this, guild, generation, what] {
            auto at = vms_.find(guild);
            if (at != vms_.end() && at->second->generation == generation) fault(guild, what);
          });
        });
        resident_.fetch_add(1, std::memory_order_relaxed);
        if (options_.metrics.vmsCreated != nullptr) options_.metrics.vmsCreated->inc();
        std::vector<vm::TemplateSource> sources;
        for (auto& t : loaded.value().templates) sources.push_back(toSource(std::move(t)));
        e.loading = false;
        e.vm->loadTemplates(std::move(sources), [guild](std::vector<vm::TemplateOutcome> outcomes) {
          for (const auto& o : outcomes) {
            if (!o.ok) {
              TW_LOG_WARN("guild {}: template '{}' failed to load ({}): {}", guild.value, o.templateName,
                          kindName(o.error.kind), o.error.message);
            }
          }
        });
        // The VM queues what arrives while its templates run their init chunks.
        for (std::size_t i = 0; i < waiting.size(); ++i) {
          try {
            waiting[i].first(*e.vm);
          } catch (const std::exception& ex) {
            fault(guild, ex.what());  // destroys the VM: what waited behind this action cannot run on it
            waiting[i].second(makeError(ErrorKind::kInternal, "internal error while handling the guild's request"));
            for (std::size_t j = i + 1; j < waiting.size(); ++j) {
              waiting[j].second(makeError(ErrorKind::kUnavailable, "the guild's VM was destroyed by an internal fault"));
            }
            return;
          }
        }
        afterWork(guild);
      });
}

void Worker::afterWork(GuildId guild) {
  auto it = vms_.find(guild);
  if (it != vms_.end() && it->second->brokenAndIdle()) {
    destroy(guild, "the guild VM broke (memory limit or fault)");
  } else if (it != vms_.end()) {
    if (it->second->vm) it->second->vm->collectAfterWork();
    account(guild, *it->second);  // only this guild: a scan of every VM per event costs O(VMs) (0.6 ms at 10 000)
  }
  publishFigures();
}

void Worker::destroy(GuildId guild, const char* why, bool guildLeaves) {
  auto it = vms_.find(guild);
  if (it == vms_.end()) return;
  std::unique_ptr<Entry> entry = std::move(it->second);
  vms_.erase(it);
  const bool hadVm = entry->vm != nullptr;
  auto waiting = std::move(entry->waiting);
  totalBytes_ -= entry->countedBytes;
  if (entry->countedBusy) {
    --totalBusy_;
    active_.erase(guild);
  }
  if (hadVm) {
    countDropped(*entry, entry->vm->stats().droppedCompletions);
    TW_LOG_INFO("guild {}: destroying its VM on worker {}: {}", guild.value, options_.id, why);
    entry->vm.reset();  // kills its tasks: their callers get errors
    resident_.fetch_sub(1, std::memory_order_relaxed);
    if (options_.metrics.vmsDestroyed != nullptr) options_.metrics.vmsDestroyed->inc();
  }
  entry.reset();
  for (auto& [action, failed] : waiting) failed(makeError(ErrorKind::kUnavailable, why));
  publishFigures();
  if (guildLeaves && options_.onGuildLeft) options_.onGuildLeft(*this, guild);
}

void Worker::fault(GuildId guild, const std::string& what) {
  TW_LOG_ERROR("guild {}: fault on worker {}: {}", guild.value, options_.id, what);
  if (options_.metrics.faults != nullptr) options_.metrics.faults->inc();
  destroy(guild, "an internal fault");
}

void Worker::countDropped(Entry& entry, std::uint64_t dropped) {
  if (dropped > entry.droppedCounted && options_.metrics.droppedCompletions != nullptr) {
    options_.metrics.droppedCompletions->inc(dropped - entry.droppedCounted);
  }
  entry.droppedCounted = dropped;
}

void Worker::account(GuildId guild, Entry& entry) {
  const vm::VmStats stats = entry.vm ? entry.vm->stats() : vm::VmStats{};
  const std::size_t bytes = stats.memoryBytes;
  const bool busy = entry.vm && !entry.vm->idle();
  totalBytes_ = totalBytes_ - entry.countedBytes + bytes;
  if (busy != entry.countedBusy) {
    if (busy) {
      ++totalBusy_;
      active_.insert(guild);
    } else {
      --totalBusy_;
      active_.erase(guild);
    }
  }
  entry.countedBytes = bytes;
  entry.countedBusy = busy;
  if (entry.vm) countDropped(entry, stats.droppedCompletions);
}

void Worker::publishFigures() {
  memoryBytes_.store(totalBytes_, std::memory_order_relaxed);
  busyVms_.store(totalBusy_, std::memory_order_relaxed);
}

bool Worker::destroyVm(GuildId guild, const char* why) {
  const bool resident = vms_.count(guild) != 0;
  destroy(guild, why);
  return resident;
}

namespace {
VmSnapshot snapshotOf(GuildId guild, int worker, const vm::GuildVm* vm, bool loading, std::int64_t created,
                      std::int64_t lastUsed) {
  VmSnapshot s;
  s.guild = guild;
  s.worker = worker;
  s.createdAtMs = created;
  s.lastUsedAtMs = lastUsed;
  if (vm != nullptr) s.stats = vm->stats();
  s.state = loading ? "loading" : (vm != nullptr && vm->broken() ? "broken" : "ready");
  return s;
}
}  // namespace

std::vector<VmSnapshot> Worker::snapshot() const {
  std::vector<VmSnapshot> out;
  for (auto& [guild, e] : vms_) {
    out.push_back(snapshotOf(guild, options_.id, e->vm.get(), e->loading, e->createdAtMs, e->lastUsedAtMs));
  }
  return out;
}

std::optional<VmSnapshot> Worker::snapshot(GuildId guild) const {
  auto it = vms_.find(guild);
  if (it == vms_.end()) return std::nullopt;
  const Entry& e = *it->second;
  return snapshotOf(guild, options_.id, e.vm.get(), e.loading, e.createdAtMs, e.lastUsedAtMs);
}

}  // namespace tw::worker
