// The `template-worker run` contract other tooling relies on: the JSON on stdout and the exit codes, tested by
// running the real binary.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "support/vm_harness.h"

namespace tw::testing {
namespace {

namespace fs = std::filesystem;

struct CliRun {
  int exitCode = -1;
  std::string out;
};

CliRun runCli(const std::string& args) {
  const std::string cmd = std::string(TW_BINARY) + " --log-level off " + args + " 2>/dev/null";
  CliRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tw-cli-test-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  fs::path dir_;
};

TEST_F(CliTest, PrintsOneResultPerTemplate) {
  const std::string a = write("a.lua", "return function(event) return {name = event.name, n = event.data.n} end");
  const std::string b = write("b.lua", "return function() error('boom', 0) end");
  const std::string data = write("data.json", R"({"n": 5})");
  CliRun r = runCli("run " + a + " " + b + " --event PING --data " + data);
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_EQ(r.out,
            R"({"results":[{"template":"a","ok":true,"value":{"n":5,"name":"PING"}},)"
            R"({"template":"b","ok":false,"error":{"kind":"runtime_error","message":"boom"}}]})"
            "\n");
}

TEST_F(CliTest, DirectoryTemplateWithManifestAndModules) {
  write("t/init.lua", "local u = require('util') return function() return u.answer end");
  write("t/util.lua", "return {answer = 42}");
  write("t/template.toml", "events = [\"Test\"]\ncapabilities = []\n");
  CliRun r = runCli("run " + (dir_ / "t").string());
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_EQ(r.out, R"({"results":[{"template":"t","ok":true,"value":42}]})"
                   "\n");
}

TEST_F(CliTest, LimitsComeFromTheFlags) {
  const std::string spin = write("spin.lua", "return function() while true do end end");
  const std::string mem = write("mem.lua", "return function() local t = {} for i = 1, 1e9 do t[i] = i end end");
  const std::string syntax = write("syntax.lua", "return function(");
  CliRun r = runCli("run " + spin + " " + mem + " " + syntax + " --timeout-ms 200 --memory-limit 4000000");
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_NE(r.out.find(R"({"template":"spin","ok":false,"error":{"kind":"timeout")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"({"template":"mem","ok":false,"error":{"kind":"memory_limit")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"({"template":"syntax","ok":false,"error":{"kind":"syntax_error")"), std::string::npos)
      << r.out;
}

TEST_F(CliTest, EventFileTakesTheBodyShape) {
  const std::string a = write("a.lua", "return function(event) return event.data.content end");
  CliRun r = runCli("run " + a + " --event-file " + (sourceDir() / "bench" / "fixtures" / "message_create.json").string());
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_NE(r.out.find("!lockdown #general"), std::string::npos) << r.out;
}

TEST_F(CliTest, BadUsageAndBadInputExitWithTwo) {
  const std::string a = write("a.lua", "return function() return 1 end");
  EXPECT_EQ(runCli("run").exitCode, 2);
  EXPECT_EQ(runCli("run " + (dir_ / "missing.lua").string()).exitCode, 2);
  EXPECT_EQ(runCli("run " + a + " --guild abc").exitCode, 2);
  EXPECT_EQ(runCli("run " + a + " --data " + write("bad.json", "{nope")).exitCode, 2);
  EXPECT_EQ(runCli("run " + a + " --data " + (dir_ / "none.json").string()).exitCode, 2);
  EXPECT_EQ(runCli("run " + a + " --timeout-ms notanumber").exitCode, 2);
  EXPECT_EQ(runCli("run " + write("t.txt", "x")).exitCode, 2);
  EXPECT_EQ(runCli("frobnicate").exitCode, 2);
  EXPECT_EQ(runCli("run " + a).out, R"({"results":[{"template":"a","ok":true,"value":1}]})"
                                    "\n");
}

}  // namespace
}  // namespace tw::testing
