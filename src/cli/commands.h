// The template-worker subcommands. Each returns the process exit code:
//   0  the command completed (whatever the templates did)
//   1  internal failure
//   2  bad usage, or unreadable or invalid input (with a message on stderr)
//
// Threading: called from main().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tw::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInternal = 1;
inline constexpr int kExitUsage = 2;

struct RunOptions {
  std::vector<std::string> paths;
  std::string event = "Test";
  std::optional<std::string> dataFile;
  std::optional<std::string> eventFile;  // a body {"name": ..., "data": ...}; replaces --event and --data
  std::string guild = "1";
  std::optional<std::uint64_t> memoryLimit;
  std::optional<std::int64_t> timeoutMs;
};

struct ServeOptions {
  std::optional<std::string> configFile;
  std::optional<std::string> listen;
  std::optional<std::string> dataDir;
  std::optional<std::string> strategy;
  std::optional<std::size_t> workers;
  std::optional<std::string> logLevel;
};

// template-worker serve: the HTTP service, until SIGTERM/SIGINT (then it drains and exits 0).
int serveCommand(const ServeOptions& options);

// template-worker lower FILE.luau: the Lua 5.4 text on stdout (exit 0) or the syntax error on stderr (2).
int lowerCommand(const std::string& file);

struct ExecOptions {
  std::string file;  // .lua or .luau
  std::optional<std::uint64_t> memoryLimit;
  std::optional<std::int64_t> timeoutMs;
};

// template-worker exec FILE: runs FILE as ad-hoc code (a coroutine, called with ctx) in a fresh sandboxed
// guild VM and prints one result object {"ok":true,"value":...} or {"ok":false,"error":{...}}.
int execCommand(const ExecOptions& options);

// template-worker run PATH... : loads the templates into one guild VM, dispatches one event to all of them,
// waits for everything they started, and prints {"results":[...]} on stdout.
int runCommand(const RunOptions& options);

}  // namespace tw::cli
