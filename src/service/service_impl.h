// The Service of one template-worker node: SQLite storage behind the storage executor, a VM distribution
// strategy with its workers, and metrics.
//
// Threading: thread-safe (see service.h). Destroy it from a thread that is not one of its workers.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/result.h"
#include "dispatch/strategy.h"
#include "metrics/metrics.h"
#include "service/service.h"
#include "storage/storage.h"
#include "vm/guild_vm.h"

namespace tw::service {

struct ServiceConfig {
  // Storage: the SQLite file `databasePath`, or `dataDir`/template-worker.db when it is empty.
  std::string dataDir = "data";
  std::string databasePath;
  storage::Durability durability = storage::Durability::kPowerLoss;
  std::size_t storageThreads = 2;

  dispatch::StrategyKind strategy = dispatch::StrategyKind::kThreadPool;
  std::size_t workers = 0;          // thread-pool: its workers (0 = one per core); thread-per-guild: the bound
  std::size_t workerStackBytes = std::size_t{20} << 20;
  std::int64_t timeSliceMicros = 2000;
  bool workerBatchScheduling = true;  // worker threads under SCHED_BATCH (see WorkerOptions)

  vm::VmConfig vm;
  ServiceLimits limits;
  bool faultInjection = false;  // installs the `fault` plugin (tests and drills only)
};

class ServiceImpl;

Result<std::unique_ptr<ServiceImpl>> makeService(ServiceConfig config);

class ServiceImpl final : public Service {
 public:
  ~ServiceImpl() override;

  void putTemplate(GuildId guild, storage::Template spec, Callback<storage::StoredTemplate> done) override;
  void getTemplate(GuildId guild, std::string name, Callback<storage::StoredTemplate> done) override;
  void listTemplates(GuildId guild, Callback<std::vector<storage::TemplateSummary>> done) override;
  void deleteTemplate(GuildId guild, std::string name, Callback<storage::Revision> done) override;
  void dispatch(GuildId guild, events::Event event, Callback<DispatchReply> done) override;
  void dispatchInBackground(GuildId guild, events::Event event, Callback<bool> done) override;
  void exec(GuildId guild, ExecRequest request, Callback<vm::TemplateOutcome> done) override;
  void listVms(Callback<std::vector<VmInfo>> done) override;
  void getVm(GuildId guild, Callback<VmInfo> done) override;
  void destroyVm(GuildId guild, Callback<bool> done) override;
  std::string metricsText() override;
  bool healthy() const override;
  const ServiceLimits& limits() const override { return config_.limits; }

  // Stops taking new events (healthy() turns false), waits up to `timeout` for running handlers to end, then
  // stops the workers and the storage executor. Idempotent.
  void drain(std::chrono::milliseconds timeout);

  metrics::Registry& metrics() { return *metrics_; }
  const ServiceConfig& config() const { return config_; }

 private:
  struct Impl;
  explicit ServiceImpl(ServiceConfig config);
  Status start();

  ServiceConfig config_;
  std::unique_ptr<metrics::Registry> metrics_;
  std::unique_ptr<Impl> impl_;
  friend Result<std::unique_ptr<ServiceImpl>> makeService(ServiceConfig config);
};

}  // namespace tw::service
