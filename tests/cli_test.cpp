// The `template-worker run` contract other tooling relies on: the JSON on stdout and the exit codes, tested by
// running the real binary.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

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

// --- Luau: `run` on .luau templates, `lower`, `exec` ---

// Stderr of a run, through a file (runCli drops it).
std::string runCliStderr(const std::string& args, const fs::path& errFile, int* exitCode) {
  const std::string cmd = std::string(TW_BINARY) + " --log-level off " + args + " >/dev/null 2>" + errFile.string();
  const int status = std::system(cmd.c_str());
  *exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(errFile);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Every Luau-written suite of tests/luau, run by the real binary as a directory template (init.luau, the suite
// and its helper lib/check.luau, loaded with require-by-string): one result, ok, "<suite>: N cases ok".
TEST_F(CliTest, LuauSuitesPassThroughRun) {
  const fs::path suites = sourceDir() / "tests" / "luau";
  const std::string check = [&] {
    std::ifstream in(suites / "lib" / "check.luau");
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }();
  ASSERT_FALSE(check.empty());
  int count = 0;
  for (const auto& entry : fs::directory_iterator(suites)) {
    if (entry.path().extension() != ".luau") continue;
    const std::string name = entry.path().stem().string();
    std::ifstream in(entry.path());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // The suite keeps its file name (the debug suite checks the source names it sees); init.luau requires it.
    write("suites/" + name + "/init.luau", "return require(\"./" + name + "\")\n");
    write("suites/" + name + "/" + name + ".luau", text);
    write("suites/" + name + "/lib/check.luau", check);
    CliRun r = runCli("run " + (dir_ / "suites" / name).string() + " --timeout-ms 60000");
    EXPECT_EQ(r.exitCode, 0) << name;
    EXPECT_NE(r.out.find(R"("ok":true,"value":")"), std::string::npos) << name << ": " << r.out;
    EXPECT_NE(r.out.find(" cases ok\"}]}"), std::string::npos) << name << ": " << r.out;
    ++count;
  }
  EXPECT_GE(count, 10);
}

TEST_F(CliTest, LowerPrintsLuaThatLuacAcceptsOrTheSyntaxError) {
  const std::string good = write("good.luau", R"(type P = {x: number}
local function f(p: P): number
  local n = 0
  for i = 1, 3 do
    if i == 2 then continue end
    n += p.x * i
  end
  return n
end
return `{f({x = 2})}`
)");
  CliRun r = runCli("lower " + good);
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_EQ(r.out.find("type P"), std::string::npos) << r.out;  // types are erased
  const std::string lowered = write("good.lua", r.out);
  EXPECT_EQ(std::system(("luac5.4 -p " + lowered + " 2>/dev/null").c_str()), 0) << r.out;
  // Each statement stays on its source line: the interpolation of line 10 is on the output's line 10.
  std::size_t line = 1;
  std::size_t at = 0;
  while (line < 10 && (at = r.out.find('\n', at)) != std::string::npos) {
    ++at;
    ++line;
  }
  ASSERT_EQ(line, 10u) << r.out;
  EXPECT_EQ(r.out.compare(at, 6, "return"), 0) << r.out;

  const std::string bad = write("bad.luau", "local x = 1\nif x == 1 x = 2 end\n");
  int code = -1;
  const std::string err = runCliStderr("lower " + bad, dir_ / "err.txt", &code);
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find("bad.luau:2:"), std::string::npos) << err;
  EXPECT_NE(err.find("expected 'then'"), std::string::npos) << err;
  EXPECT_EQ(runCli("lower " + (dir_ / "missing.luau").string()).exitCode, 2);
}

TEST_F(CliTest, ExecRunsLuaOrLuauAsAdHocCode) {
  const std::string luau = write("x.luau", R"(local t = {}
for i = 1, 3 do t[i] = i * 1.5 end
local s = 0
for _, v in t do s += v end
local waited = task.wait(0.01)
return { sum = s, text = `{s // 1} {10 / 4}`, waited = waited >= 0.01, kind = typeof(buffer.create(1)) }
)");
  CliRun r = runCli("exec " + luau);
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_EQ(r.out, R"({"ok":true,"value":{"kind":"buffer","sum":9,"text":"9 2.5","waited":true}})"
                   "\n");

  const std::string lua = write("y.lua", "return math.type(3) .. ' ' .. (7 // 2)");
  r = runCli("exec " + lua);
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_EQ(r.out, R"({"ok":true,"value":"integer 3"})"
                   "\n");

  r = runCli("exec " + write("spin.luau", "while true do end") + " --timeout-ms 100");
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_NE(r.out.find(R"({"ok":false,"error":{"kind":"timeout")"), std::string::npos) << r.out;
  r = runCli("exec " + write("mem.luau", "local t = {} for i = 1, 1e8 do t[i] = i end") + " --memory-limit 4000000");
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_NE(r.out.find(R"({"ok":false,"error":{"kind":"memory_limit")"), std::string::npos) << r.out;
  r = runCli("exec " + write("syn.luau", "local = 1"));
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_NE(r.out.find(R"({"ok":false,"error":{"kind":"syntax_error","message":"exec.luau:1:7: expected)"), std::string::npos)
      << r.out;
  EXPECT_EQ(runCli("exec").exitCode, 2);
  EXPECT_EQ(runCli("exec " + (dir_ / "none.luau").string()).exitCode, 2);
}

}  // namespace
}  // namespace tw::testing
