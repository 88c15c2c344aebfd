// template-worker: runs guild-owned Lua templates.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "cli/commands.h"
#include "common/log.h"

int main(int argc, char** argv) {
  CLI::App app{"template-worker: runs guild-owned Lua templates in sandboxed, persistent VMs"};
  app.require_subcommand(1);
  std::string logLevel = "info";
  app.add_option("--log-level", logLevel, "trace, debug, info, warn, error, off")->capture_default_str();

  tw::cli::ServeOptions serve;
  CLI::App* serveCmd = app.add_subcommand("serve", "Run the HTTP service (until SIGTERM; then drain and exit)");
  serveCmd->add_option("--config", serve.configFile, "TOML config file (see docs/operations.md)");
  serveCmd->add_option("--listen", serve.listen, "HOST:PORT to listen on (default 127.0.0.1:8080)");
  serveCmd->add_option("--data-dir", serve.dataDir, "Directory of the SQLite database (default ./data)");
  serveCmd->add_option("--strategy", serve.strategy, "thread-pool (default) or thread-per-guild");
  serveCmd->add_option("--workers", serve.workers, "Worker threads (thread-pool; default one per core) or the "
                                                   "thread-per-guild bound");

  std::string lowerFile;
  CLI::App* lowerCmd = app.add_subcommand("lower", "Print the Lua 5.4 text a Luau file lowers to");
  lowerCmd->add_option("file", lowerFile, "A .luau file")->required();

  tw::cli::ExecOptions exec;
  CLI::App* execCmd = app.add_subcommand("exec", "Run a .lua or .luau file as ad-hoc code in a fresh guild VM");
  execCmd->add_option("file", exec.file, "The code")->required();
  execCmd->add_option("--memory-limit", exec.memoryLimit, "Memory cap of the VM in bytes (default: 20 MiB)");
  execCmd->add_option("--timeout-ms", exec.timeoutMs, "Execution time limit in milliseconds (default: 10 minutes)");

  tw::cli::RunOptions run;
  CLI::App* runCmd = app.add_subcommand("run", "Load templates into one guild VM and dispatch one event to all of them");
  runCmd->add_option("paths", run.paths, "Template directories or .lua files")->required();
  runCmd->add_option("--event", run.event, "Event name")->capture_default_str();
  runCmd->add_option("--data", run.dataFile, "JSON file with the event's data (default: {})");
  runCmd->add_option("--event-file", run.eventFile, "JSON file with a whole event {\"name\": ..., \"data\": ...}")
      ->excludes("--event")
      ->excludes("--data");
  runCmd->add_option("--guild", run.guild, "Guild id (a decimal snowflake)")->capture_default_str();
  runCmd->add_option("--memory-limit", run.memoryLimit, "Memory cap of the guild VM in bytes (default: 20 MiB)");
  runCmd->add_option("--timeout-ms", run.timeoutMs, "Execution time limit in milliseconds (default: 10 minutes)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);  // prints help or the error
    return rc == 0 ? 0 : tw::cli::kExitUsage;
  }
  try {
    if (*serveCmd) {
      if (app.get_option("--log-level")->count() > 0) serve.logLevel = logLevel;
      return tw::cli::serveCommand(serve);
    }
    tw::log::init(logLevel);
    if (*runCmd) return tw::cli::runCommand(run);
    if (*lowerCmd) return tw::cli::lowerCommand(lowerFile);
    if (*execCmd) return tw::cli::execCommand(exec);
  } catch (const std::exception& e) {
    std::cerr << "template-worker: internal error: " << e.what() << "\n";
    return tw::cli::kExitInternal;
  }
  return tw::cli::kExitUsage;
}
