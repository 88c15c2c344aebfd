// Config: the settings of a template-worker node, from defaults, a TOML file, environment variables and
// command-line flags (each overriding the one before), validated once into an immutable value.
//
// File layout (every key optional; docs/operations.md lists them with their defaults):
//   [server]   listen, bearer_token, http_threads, max_body_bytes, return_wait_ms, drain_timeout_ms
//   [runtime]  strategy, workers, memory_limit_bytes, execution_timeout_ms, worker_stack_bytes, time_slice_us,
//              worker_scheduling, max_coroutines, max_timers
//   [storage]  data_dir, database, durability
//   [log]      level
//   [testing]  fault_injection
// Environment: TW_LISTEN, TW_BEARER_TOKEN, TW_DATA_DIR, TW_DATABASE, TW_STRATEGY, TW_WORKERS, TW_LOG_LEVEL.
//
// Threading: a value type; load() is thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/result.h"

namespace tw::config {

struct Config {
  // [server]
  std::string listenAddress = "127.0.0.1";
  std::uint16_t listenPort = 8080;
  std::string bearerToken;  // required when listening beyond loopback
  int httpThreads = 2;
  std::size_t maxBodyBytes = std::size_t{1} << 20;
  std::int64_t returnWaitMs = 60'000;       // the seed's MAX_TEMPLATES_RETURN_WAIT_TIME
  std::int64_t drainTimeoutMs = 30'000;     // SIGTERM: how long running handlers may take to finish
  // [runtime]
  std::string strategy = "thread-pool";
  std::size_t workers = 0;  // thread-pool: 0 = one per core; thread-per-guild: the bound (0 = 64)
  std::size_t memoryLimitBytes = std::size_t{20} << 20;   // MAX_TEMPLATE_MEMORY_USAGE
  std::int64_t executionTimeoutMs = 600'000;               // MAX_TEMPLATES_EXECUTION_TIME
  std::size_t workerStackBytes = std::size_t{20} << 20;   // MAX_VM_THREAD_STACK_SIZE
  std::int64_t timeSliceMicros = 2000;
  std::string workerScheduling = "batch";  // or "normal": the Linux scheduling policy of worker threads
  std::int64_t maxCoroutines = 1000;
  std::int64_t maxTimers = 1000;
  // [storage]
  std::string dataDir = "data";
  std::string database;  // default: <data_dir>/template-worker.db
  std::string durability = "power-loss";  // or "process-crash"
  // [log]
  std::string logLevel = "info";
  // [testing]
  bool faultInjection = false;
};

// Flags given on the command line (only those set override).
struct Overrides {
  std::optional<std::string> listen;  // HOST:PORT
  std::optional<std::string> dataDir;
  std::optional<std::string> strategy;
  std::optional<std::size_t> workers;
  std::optional<std::string> logLevel;
};

// Builds the config: defaults, then `file` (when given), then `env`, then `flags`; then validates.
// Errors (kBadInput) name the file, the key and what is wrong.
Result<Config> load(const std::optional<std::string>& file, const std::map<std::string, std::string>& env,
                    const Overrides& flags);

// The environment variables load() reads, from the process environment.
std::map<std::string, std::string> processEnvironment();

// Parses "HOST:PORT" (IPv4, "localhost", or [IPv6]:PORT).
Status parseListen(const std::string& text, std::string* host, std::uint16_t* port);

}  // namespace tw::config
