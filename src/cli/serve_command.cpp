#include <pthread.h>
#include <signal.h>

#include <iostream>

#include "api/http_server.h"
#include "cli/commands.h"
#include "common/log.h"
#include "config/config.h"
#include "dispatch/strategy.h"
#include "service/service_impl.h"

namespace tw::cli {

namespace {

service::ServiceConfig serviceConfig(const config::Config& c) {
  service::ServiceConfig s;
  s.dataDir = c.dataDir;
  s.databasePath = c.database;
  s.durability = c.durability == "process-crash" ? storage::Durability::kProcessCrash : storage::Durability::kPowerLoss;
  s.strategy = c.strategy == "thread-per-guild" ? dispatch::StrategyKind::kThreadPerGuild
                                                : dispatch::StrategyKind::kThreadPool;
  s.workers = c.workers;
  s.workerStackBytes = c.workerStackBytes;
  s.timeSliceMicros = c.timeSliceMicros;
  s.workerBatchScheduling = c.workerScheduling == "batch";
  s.vm.memoryLimitBytes = c.memoryLimitBytes;
  s.vm.executionTimeout = std::chrono::milliseconds(c.executionTimeoutMs);
  s.vm.sandbox.maxCoroutines = c.maxCoroutines;
  s.vm.scheduler.maxPendingTimers = c.maxTimers;
  s.limits.maxBodyBytes = c.maxBodyBytes;
  s.limits.returnWaitMs = c.returnWaitMs;
  s.faultInjection = c.faultInjection;
  return s;
}

}  // namespace

int serveCommand(const ServeOptions& options) {
  config::Overrides flags;
  flags.listen = options.listen;
  flags.dataDir = options.dataDir;
  flags.strategy = options.strategy;
  flags.workers = options.workers;
  flags.logLevel = options.logLevel;
  auto loaded = config::load(options.configFile, config::processEnvironment(), flags);
  if (!loaded.ok()) {
    std::cerr << "template-worker serve: " << loaded.error().message << "\n";
    return kExitUsage;
  }
  const config::Config& c = loaded.value();
  log::init(c.logLevel);

  // SIGTERM and SIGINT are taken by this thread with sigwait; every thread started below inherits the mask.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGTERM);
  sigaddset(&stopSignals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

  auto made = service::makeService(serviceConfig(c));
  if (!made.ok()) {
    std::cerr << "template-worker serve: " << made.error().message << "\n";
    return made.error().kind == ErrorKind::kBadInput ? kExitUsage : kExitInternal;
  }
  std::unique_ptr<service::ServiceImpl> service = std::move(made).value();

  api::HttpConfig http;
  http.address = c.listenAddress;
  http.port = c.listenPort;
  http.ioThreads = c.httpThreads;
  http.bearerToken = c.bearerToken;
  api::HttpServer server(http, *service);
  if (Status s = server.start(); !s.ok()) {
    std::cerr << "template-worker serve: " << s.error().message << "\n";
    return s.error().kind == ErrorKind::kBadInput ? kExitUsage : kExitInternal;
  }
  TW_LOG_INFO("listening on http://{}:{} (strategy {}, data in {})", c.listenAddress, server.port(), c.strategy,
              c.database.empty() ? c.dataDir : c.database);

  int signal = 0;
  sigwait(&stopSignals, &signal);
  TW_LOG_INFO("received {}: draining (up to {} ms)", signal == SIGTERM ? "SIGTERM" : "SIGINT", c.drainTimeoutMs);
  server.stop();  // no new requests; requests in flight get their answers
  service->drain(std::chrono::milliseconds(c.drainTimeoutMs));
  TW_LOG_INFO("stopped");
  return kExitOk;
}

}  // namespace tw::cli
