#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config/config.h"

namespace tw::config {
namespace {

namespace fs = std::filesystem;

std::string writeFile(const std::string& text) {
  static int n = 0;
  const fs::path p = fs::temp_directory_path() / ("tw-config-" + std::to_string(getpid()) + "-" + std::to_string(++n) + ".toml");
  std::ofstream(p) << text;
  return p.string();
}

TEST(ConfigTest, DefaultsAreTheSeedsLimits) {
  auto c = load(std::nullopt, {}, {});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->listenAddress, "127.0.0.1");
  EXPECT_EQ(c->listenPort, 8080);
  EXPECT_EQ(c->memoryLimitBytes, 20u << 20);
  EXPECT_EQ(c->workerStackBytes, 20u << 20);
  EXPECT_EQ(c->executionTimeoutMs, 600'000);
  EXPECT_EQ(c->returnWaitMs, 60'000);
  EXPECT_EQ(c->strategy, "thread-pool");
  EXPECT_EQ(c->workerScheduling, "batch");
}

TEST(ConfigTest, FlagsOverrideEnvironmentOverridesFile) {
  const std::string file = writeFile(R"(
[server]
listen = "127.0.0.1:9000"
return_wait_ms = 5000
[runtime]
strategy = "thread-per-guild"
workers = 3
[storage]
data_dir = "/tmp/from-file"
)");
  auto fromFile = load(file, {}, {});
  ASSERT_TRUE(fromFile.ok()) << fromFile.error().message;
  EXPECT_EQ(fromFile->listenPort, 9000);
  EXPECT_EQ(fromFile->returnWaitMs, 5000);
  EXPECT_EQ(fromFile->strategy, "thread-per-guild");
  EXPECT_EQ(fromFile->workers, 3u);

  auto withEnv = load(file, {{"TW_DATA_DIR", "/tmp/from-env"}, {"TW_WORKERS", "5"}}, {});
  ASSERT_TRUE(withEnv.ok());
  EXPECT_EQ(withEnv->dataDir, "/tmp/from-env");
  EXPECT_EQ(withEnv->workers, 5u);

  Overrides flags;
  flags.dataDir = "/tmp/from-flag";
  flags.listen = "0.0.0.0:7000";
  flags.strategy = "thread-pool";
  auto withFlags = load(file, {{"TW_DATA_DIR", "/tmp/from-env"}}, flags);
  ASSERT_TRUE(withFlags.ok());
  EXPECT_EQ(withFlags->dataDir, "/tmp/from-flag");
  EXPECT_EQ(withFlags->listenAddress, "0.0.0.0");
  EXPECT_EQ(withFlags->listenPort, 7000);
  EXPECT_EQ(withFlags->strategy, "thread-pool");
}

TEST(ConfigTest, MistakesAreClearErrors) {
  auto typo = load(writeFile("[server]\nlisen = \"x\"\n"), {}, {});
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.error().message.find("unknown setting 'server.lisen'"), std::string::npos) << typo.error().message;
  auto section = load(writeFile("[srever]\n"), {}, {});
  EXPECT_NE(section.error().message.find("unknown section [srever]"), std::string::npos);
  auto type = load(writeFile("[runtime]\nworkers = \"two\"\n"), {}, {});
  EXPECT_NE(type.error().message.find("runtime].workers: must be an integer"), std::string::npos) << type.error().message;
  auto syntax = load(writeFile("[server\n"), {}, {});
  ASSERT_FALSE(syntax.ok());
  EXPECT_NE(syntax.error().message.find(":1:"), std::string::npos) << syntax.error().message;
  auto strategy = load(std::nullopt, {{"TW_STRATEGY", "process-pool-please"}}, {});
  EXPECT_NE(strategy.error().message.find("not a strategy"), std::string::npos);
  auto scheduling = load(writeFile("[runtime]\nworker_scheduling = \"fifo\"\n"), {}, {});
  ASSERT_FALSE(scheduling.ok());
  EXPECT_NE(scheduling.error().message.find("runtime.worker_scheduling: must be \"batch\" or \"normal\""),
            std::string::npos)
      << scheduling.error().message;
  auto normal = load(writeFile("[runtime]\nworker_scheduling = \"normal\"\n"), {}, {});
  ASSERT_TRUE(normal.ok()) << normal.error().message;
  EXPECT_EQ(normal->workerScheduling, "normal");
  Overrides badListen;
  badListen.listen = "localhost:99999";
  EXPECT_FALSE(load(std::nullopt, {}, badListen).ok());
  EXPECT_FALSE(load(std::string("/nonexistent/tw.toml"), {}, {}).ok());
}

}  // namespace
}  // namespace tw::config
