#include "service/service_impl.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

#include "common/log.h"
#include "common/thread.h"
#include "luau/luau.h"
#include "plugins/fault/fault.h"
#include "plugins/standard.h"
#include "storage/async_storage.h"
#include "worker/worker.h"

namespace tw::service {

namespace {

vm::TemplateSource toSource(const storage::Template& spec) {
  vm::TemplateSource t;
  t.name = spec.name;
  t.files = spec.files;
  t.events.assign(spec.events.begin(), spec.events.end());
  t.capabilities.assign(spec.capabilities.begin(), spec.capabilities.end());
  t.paused = spec.paused;
  return t;
}

// A callback that runs at most once: a fault may end a request both through its VM's teardown (which
// reports the handlers as failed) and through the worker's error path; the first answer wins.
template <typename T>
std::shared_ptr<Callback<T>> once(Callback<T> done) {
  auto called = std::make_shared<std::atomic<bool>>(false);
  return std::make_shared<Callback<T>>([called, done = std::move(done)](Result<T> r) {
    if (!called->exchange(true)) done(std::move(r));
  });
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

struct ServiceImpl::Impl {
  std::unique_ptr<storage::Storage> storage;
  std::unique_ptr<storage::AsyncStorage> async;
  std::unique_ptr<dispatch::Strategy> strategy;
  // A loop of its own for completions of control-plane storage calls (templates).
  boost::asio::io_context control;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> controlGuard;
  Thread controlThread;
  std::atomic<bool> draining{false};
  std::atomic<bool> stopped{false};

  metrics::Counter* dispatches = nullptr;
  metrics::Counter* execs = nullptr;
  metrics::Counter* templateChanges = nullptr;
  metrics::Counter* refused = nullptr;
  metrics::Histogram* dispatchSeconds = nullptr;
  metrics::Family<metrics::Counter>* outcomes = nullptr;
  metrics::Family<metrics::Gauge>* workerMemory = nullptr;
  worker::WorkerMetrics workerMetrics;

  void countOutcomes(const std::vector<vm::TemplateOutcome>& list) const {
    for (const auto& o : list) outcomes->with(o.ok ? "ok" : std::string(kindName(o.error.kind))).inc();
  }
};

Result<std::unique_ptr<ServiceImpl>> makeService(ServiceConfig config) {
  std::unique_ptr<ServiceImpl> service(new ServiceImpl(std::move(config)));
  if (Status s = service->start(); !s.ok()) return std::move(s).error();
  return service;
}

ServiceImpl::ServiceImpl(ServiceConfig config)
    : config_(std::move(config)), metrics_(std::make_unique<metrics::Registry>()), impl_(std::make_unique<Impl>()) {}

Status ServiceImpl::start() {
  Impl& d = *impl_;
  storage::StorageConfig sc;
  sc.backend = storage::BackendKind::kSqlite;
  sc.location = config_.databasePath;
  sc.dataDir = config_.dataDir;
  sc.durability = config_.durability;
  auto opened = storage::openStorage(sc);
  if (!opened.ok()) return std::move(opened).error();
  d.storage = std::move(opened).value();
  d.async = std::make_unique<storage::AsyncStorage>(*d.storage,
                                                    storage::AsyncStorageOptions{config_.storageThreads, 4096});

  metrics::Registry& m = *metrics_;
  d.dispatches = &m.counter("tw_dispatches_total", "Events dispatched to guild VMs.");
  d.execs = &m.counter("tw_execs_total", "Ad-hoc code executions.");
  d.templateChanges = &m.counter("tw_template_changes_total", "Template puts and deletes.");
  d.refused = &m.counter("tw_refused_total", "Requests refused (draining, no worker free, storage full).");
  d.dispatchSeconds = &m.histogram("tw_dispatch_seconds", "Time from accepting an event to its results.",
                                   metrics::Registry::latencyBuckets());
  d.outcomes = &m.counterFamily("tw_template_outcomes_total", "Template results by outcome (ok or error kind).",
                                "kind");
  d.workerMetrics.vmsCreated = &m.counter("tw_vms_created_total", "Guild VMs created.");
  d.workerMetrics.vmsDestroyed = &m.counter("tw_vms_destroyed_total", "Guild VMs destroyed.");
  d.workerMetrics.faults = &m.counter("tw_faults_total", "Internal faults contained by destroying a guild VM.");
  d.workerMetrics.droppedCompletions =
      &m.counter("tw_dropped_completions_total", "Plugin completions that arrived for a task already gone.");
  d.workerMemory = &m.gaugeFamily("tw_worker_memory_bytes", "Lua memory of the VMs on each worker.", "worker");

  auto plugins = std::make_shared<plugins::PluginRegistry>(*plugins::standardPlugins());
  if (config_.faultInjection) plugins->add(plugins::faultPlugin());

  std::size_t workers = config_.workers;
  if (workers == 0) {
    workers = config_.strategy == dispatch::StrategyKind::kThreadPool
                  ? std::max(1u, std::thread::hardware_concurrency())
                  : 64;
  }
  worker::WorkerOptions wo;
  wo.stackBytes = config_.workerStackBytes;
  wo.tickMicros = config_.timeSliceMicros;
  wo.batchScheduling = config_.workerBatchScheduling;
  vm::VmConfig vmConfig = config_.vm;
  if (!vmConfig.luauCache) vmConfig.luauCache = std::make_shared<luau::LoweringCache>();
  wo.vmConfig = std::make_shared<const vm::VmConfig>(std::move(vmConfig));
  wo.plugins = std::move(plugins);
  wo.storage = d.async.get();
  wo.metrics = d.workerMetrics;
  d.strategy = std::make_unique<dispatch::Strategy>(config_.strategy, workers, std::move(wo));

  m.callbackGauge("tw_resident_vms", "Guild VMs resident in memory.", [this] {
    std::size_t n = 0;
    for (const auto& w : impl_->strategy->workers()) n += w->residentVms();
    return static_cast<double>(n);
  });
  m.callbackGauge("tw_workers", "Worker threads running.",
                  [this] { return static_cast<double>(impl_->strategy->workers().size()); });
  m.callbackGauge("tw_storage_pending", "Storage calls queued or running.",
                  [this] { return static_cast<double>(impl_->async->pending()); });
  m.callbackGauge("tw_storage_rejected", "Storage calls refused because the queue was full (since start).",
                  [this] { return static_cast<double>(impl_->async->rejected()); });
  m.callbackGauge("tw_draining", "1 while the node drains before stopping.",
                  [this] { return impl_->draining.load() ? 1.0 : 0.0; });

  d.controlGuard = std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
      boost::asio::make_work_guard(d.control));
  d.controlThread = Thread("tw-control", 1 << 20, [this] { impl_->control.run(); });
  TW_LOG_INFO("service started: strategy {}, {} workers, storage {}", dispatch::strategyName(config_.strategy),
              workers, config_.databasePath.empty() ? (std::filesystem::path(config_.dataDir) / "template-worker.db").string()
                                                    : config_.databasePath);
  return {};
}

ServiceImpl::~ServiceImpl() { drain(std::chrono::milliseconds(0)); }

void ServiceImpl::drain(std::chrono::milliseconds timeout) {
  Impl& d = *impl_;
  if (d.stopped.exchange(true)) return;
  d.draining = true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    bool idle = true;
    for (const auto& w : d.strategy->workers()) idle = idle && w->idle();
    if (idle) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  d.async->shutdown();  // before the workers' loops go: completions are posted to them
  d.strategy->stop();
  d.controlGuard.reset();
  d.control.stop();
  d.controlThread.join();
}

bool ServiceImpl::healthy() const { return !impl_->draining.load(); }

std::string ServiceImpl::metricsText() {
  for (const auto& w : impl_->strategy->workers()) {
    impl_->workerMemory->with(std::to_string(w->id())).set(static_cast<std::int64_t>(w->memoryBytes()));
  }
  return metrics_->render();
}

// ---------------------------------------------------------------------------------------------------------
// Templates

void ServiceImpl::putTemplate(GuildId guild, storage::Template spec, Callback<storage::StoredTemplate> done) {
  if (Status v = storage::validateTemplate(spec, impl_->storage->limits()); !v.ok()) return done(std::move(v).error());
  if (Status s = vm::checkSyntax(toSource(spec)); !s.ok()) return done(std::move(s).error());
  impl_->async->submit(
      impl_->control.get_executor(), [guild, spec = std::move(spec)](storage::Storage& s) { return s.putTemplate(guild, spec); },
      [this, guild, done = std::move(done)](Result<storage::StoredTemplate> stored) {
        if (stored.ok()) {
          impl_->templateChanges->inc();
          impl_->strategy->postIfPlaced(guild, [guild](worker::Worker& w) {
            w.destroyVm(guild, "its templates changed");
          });
        }
        done(std::move(stored));
      });
}

void ServiceImpl::getTemplate(GuildId guild, std::string name, Callback<storage::StoredTemplate> done) {
  impl_->async->submit(
      impl_->control.get_executor(), [guild, name = std::move(name)](storage::Storage& s) { return s.getTemplate(guild, name); },
      std::move(done));
}

void ServiceImpl::listTemplates(GuildId guild, Callback<std::vector<storage::TemplateSummary>> done) {
  impl_->async->submit(impl_->control.get_executor(), [guild](storage::Storage& s) { return s.listTemplates(guild); },
                       std::move(done));
}

void ServiceImpl::deleteTemplate(GuildId guild, std::string name, Callback<storage::Revision> done) {
  impl_->async->submit(
      impl_->control.get_executor(),
      [guild, name = std::move(name)](storage::Storage& s) { return s.deleteTemplate(guild, name); },
      [this, guild, done = std::move(done)](Result<storage::Revision> revision) {
        if (revision.ok()) {
          impl_->templateChanges->inc();
          impl_->strategy->postIfPlaced(guild, [guild](worker::Worker& w) {
            w.destroyVm(guild, "its templates changed");
          });
        }
        done(std::move(revision));
      });
}

// ---------------------------------------------------------------------------------------------------------
// Events and exec

void ServiceImpl::dispatch(GuildId guild, events::Event event, Callback<DispatchReply> done) {
  Impl& d = *impl_;
  if (d.draining) {
    d.refused->inc();
    return done(makeError(ErrorKind::kUnavailable, "the node is shutting down"));
  }
  d.dispatches->inc();
  const auto start = std::chrono::steady_clock::now();
  const auto returnWait = std::chrono::milliseconds(config_.limits.returnWaitMs);
  auto shared = once(std::move(done));
  Status posted = d.strategy->post(guild, [this, guild, event = std::move(event), shared, start, returnWait](worker::Worker& w) mutable {
    // The action may wait in the worker until the guild's templates are loaded: it owns its event.
    w.withVm(
        guild,
        [this, event = std::move(event), shared, start, returnWait](vm::GuildVm& vm) mutable {
          vm.dispatch(std::move(event.name), std::move(event.dataJson),
                      vm::DispatchOptions{vm::Audience::kSubscribed, false, returnWait},
                      [this, shared, start](std::vector<vm::TemplateOutcome> outcomes) {
                        impl_->dispatchSeconds->observe(secondsSince(start));
                        impl_->countOutcomes(outcomes);
                        (*shared)(DispatchReply{std::move(outcomes)});
                      });
        },
        [shared](Error e) { (*shared)(std::move(e)); });
  });
  if (!posted.ok()) {
    d.refused->inc();
    (*shared)(std::move(posted).error());
  }
}

void ServiceImpl::dispatchInBackground(GuildId guild, events::Event event, Callback<bool> done) {
  Impl& d = *impl_;
  if (d.draining) {
    d.refused->inc();
    return done(makeError(ErrorKind::kUnavailable, "the node is shutting down"));
  }
  d.dispatches->inc();
  const auto start = std::chrono::steady_clock::now();
  Status posted = d.strategy->post(guild, [this, guild, event = std::move(event), start](worker::Worker& w) mutable {
    w.withVm(
        guild,
        [this, event = std::move(event), guild, start](vm::GuildVm& vm) mutable {
          vm.dispatch(std::move(event.name), std::move(event.dataJson), vm::DispatchOptions{},
                      [this, guild, start](std::vector<vm::TemplateOutcome> outcomes) {
                        impl_->dispatchSeconds->observe(secondsSince(start));
                        impl_->countOutcomes(outcomes);
                        for (const auto& o : outcomes) {
                          if (!o.ok) {
                            TW_LOG_INFO("guild {}: template '{}' ({}): {}", guild.value, o.templateName,
                                        kindName(o.error.kind), o.error.message);
                          }
                        }
                      });
        },
        [guild](const Error& e) { TW_LOG_WARN("guild {}: background event dropped: {}", guild.value, e.message); });
  });
  if (!posted.ok()) {
    d.refused->inc();
    return done(std::move(posted).error());
  }
  done(true);
}

void ServiceImpl::exec(GuildId guild, ExecRequest request, Callback<vm::TemplateOutcome> done) {
  Impl& d = *impl_;
  if (d.draining) return done(makeError(ErrorKind::kUnavailable, "the node is shutting down"));
  if (request.language != "lua" && request.language != "luau") {
    return done(makeError(ErrorKind::kBadInput, "language must be \"lua\" or \"luau\""));
  }
  d.execs->inc();
  const auto returnWait = std::chrono::milliseconds(config_.limits.returnWaitMs);
  auto shared = once(std::move(done));
  Status posted = d.strategy->post(guild, [this, guild, request = std::move(request), shared, returnWait](worker::Worker& w) mutable {
    w.withVm(
        guild,
        [this, request = std::move(request), shared, returnWait](vm::GuildVm& vm) mutable {
          vm.exec(std::move(request.code), request.language == "luau", std::move(request.capabilities),
                  vm::DispatchOptions{vm::Audience::kAll, false, returnWait},
                  [this, shared](std::vector<vm::TemplateOutcome> outcomes) {
                    impl_->countOutcomes(outcomes);
                    (*shared)(std::move(outcomes.at(0)));
                  });
        },
        [shared](Error e) { (*shared)(std::move(e)); });
  });
  if (!posted.ok()) (*shared)(std::move(posted).error());
}

// ---------------------------------------------------------------------------------------------------------
// VMs

namespace {
VmInfo toInfo(const worker::VmSnapshot& s) {
  VmInfo info;
  info.guild = s.guild;
  info.worker = s.worker;
  info.state = s.state;
  info.memoryBytes = s.stats.memoryBytes;
  info.templates = s.stats.templates;
  info.tasks = s.stats.tasks;
  info.createdAtMs = s.createdAtMs;
  info.lastUsedAtMs = s.lastUsedAtMs;
  return info;
}
}  // namespace

void ServiceImpl::listVms(Callback<std::vector<VmInfo>> done) {
  auto workers = impl_->strategy->workers();
  if (workers.empty()) return done(std::vector<VmInfo>{});
  struct Gather {
    std::mutex mu;
    std::vector<VmInfo> vms;
    std::size_t remaining;
    Callback<std::vector<VmInfo>> done;
  };
  auto gather = std::make_shared<Gather>();
  gather->remaining = workers.size();
  gather->done = std::move(done);
  // One part per worker. A worker can stop between workers() and running our action (thread-per-guild retires
  // a worker whose guild left): its queue is then destroyed unrun, and the part's destructor answers for it.
  struct Part {
    std::shared_ptr<Gather> gather;
    std::vector<VmInfo> vms;
    explicit Part(std::shared_ptr<Gather> g) : gather(std::move(g)) {}
    Part(const Part&) = delete;
    Part& operator=(const Part&) = delete;
    ~Part() {
      std::lock_guard lock(gather->mu);
      for (auto& v : vms) gather->vms.push_back(std::move(v));
      if (--gather->remaining == 0) {
        std::sort(gather->vms.begin(), gather->vms.end(),
                  [](const VmInfo& a, const VmInfo& b) { return a.guild.value < b.guild.value; });
        gather->done(std::move(gather->vms));
      }
    }
  };
  for (const auto& w : workers) {
    // A raw pointer: the action runs on that worker, so it is alive then; a shared_ptr here would keep a
    // stopped worker (and with it this unrun action) alive forever.
    worker::Worker* raw = w.get();
    auto part = std::make_shared<Part>(gather);
    w->post([raw, part]() mutable {
      for (const auto& s : raw->snapshot()) part->vms.push_back(toInfo(s));
      part.reset();  // answers now, not when the handler object is destroyed
    });
  }
}

void ServiceImpl::getVm(GuildId guild, Callback<VmInfo> done) {
  auto shared = once(std::move(done));
  const bool placed = impl_->strategy->postIfPlaced(guild, [guild, shared](worker::Worker& w) {
    auto s = w.snapshot(guild);
    if (!s) return (*shared)(makeError(ErrorKind::kNotFound, "no VM is resident for this guild"));
    (*shared)(toInfo(*s));
  });
  if (!placed) (*shared)(makeError(ErrorKind::kNotFound, "no VM is resident for this guild"));
}

void ServiceImpl::destroyVm(GuildId guild, Callback<bool> done) {
  auto shared = once(std::move(done));
  const bool placed = impl_->strategy->postIfPlaced(guild, [guild, shared](worker::Worker& w) {
    (*shared)(w.destroyVm(guild, "destroyed on request"));
  });
  if (!placed) (*shared)(false);
}

}  // namespace tw::service
