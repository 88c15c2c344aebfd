// The hostile-input suite: every file in tests/hostile is a template that attacks the runtime (escapes,
// tampering, memory/CPU/stack bombs, C functions that hooks cannot interrupt, coroutine abuse, hostile error
// and result values...). A header says what must happen:
//   -- expect: <error kind> | ok        the template's result
//   -- message: <text>                  a substring of the error message (optional)
//   -- value: <json>                    the exact JSON result when ok (default: true)
//   -- memory: <bytes>                  the VM's memory cap (default: the harness's 8 MiB)
//   -- timeout-ms: <n>                  the execution limit (default: the harness's 300 ms)
// Each case runs in a fresh guild VM beside a canary template; afterwards the host must still work: the
// canary answers in the same VM, or in a fresh one when the case broke its VM.
#include <gtest/gtest.h>

#include <boost/asio/post.hpp>

#include <filesystem>
#include <sstream>

#include "limits/interrupt.h"
#include "plugins/standard.h"
#include "support/vm_harness.h"

namespace tw::testing {
namespace {

namespace fs = std::filesystem;

struct Expectation {
  std::string kind = "ok";
  std::string message;
  std::string value = "true";
  std::size_t memoryBytes = 0;  // 0: the harness default
  std::int64_t timeoutMs = 0;   // 0: the harness default
};

Expectation parseHeader(const std::string& source) {
  Expectation e;
  std::istringstream in(source);
  std::string line;
  while (std::getline(in, line) && line.rfind("--", 0) == 0) {
    auto field = [&](const char* name) -> std::optional<std::string> {
      const std::string prefix = std::string("-- ") + name + ": ";
      if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
      return std::nullopt;
    };
    if (auto v = field("expect")) e.kind = *v;
    if (auto v = field("message")) e.message = *v;
    if (auto v = field("value")) e.value = *v;
    if (auto v = field("memory")) e.memoryBytes = std::stoull(*v);
    if (auto v = field("timeout-ms")) e.timeoutMs = std::stoll(*v);
  }
  return e;
}

std::vector<std::string> hostileCases() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(sourceDir() / "tests" / "hostile")) {
    if (entry.path().extension() == ".lua") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

constexpr const char* kCanary = "return function() return 'alive' end";

class HostileTest : public ::testing::TestWithParam<std::string> {};

TEST_P(HostileTest, EndsSafely) {
  const std::string source = readText(sourceDir() / "tests" / "hostile" / (GetParam() + ".lua"));
  const Expectation expect = parseHeader(source);
  auto config = testConfig();
  if (expect.memoryBytes != 0) config->memoryLimitBytes = expect.memoryBytes;
  if (expect.timeoutMs != 0) config->executionTimeout = std::chrono::milliseconds(expect.timeoutMs);
  VmHarness harness(config);
  auto loaded = harness.load({makeTemplate("case", source), makeTemplate("canary", kCanary)});
  ASSERT_EQ(loaded.size(), 2u);
  ASSERT_TRUE(loaded[0].ok) << loaded[0].error.message;

  auto results = harness.dispatch();
  ASSERT_EQ(results.size(), 2u);
  const vm::TemplateOutcome& outcome = results[0];
  if (expect.kind == "ok") {
    EXPECT_TRUE(outcome.ok) << kindName(outcome.error.kind) << ": " << outcome.error.message;
    EXPECT_EQ(outcome.valueJson, expect.value);
  } else {
    ASSERT_FALSE(outcome.ok) << "value: " << outcome.valueJson;
    EXPECT_EQ(kindName(outcome.error.kind), expect.kind) << outcome.error.message;
    EXPECT_NE(outcome.error.message.find(expect.message), std::string::npos) << outcome.error.message;
  }

  // The host is still usable.
  if (!harness.vm().broken()) {
    EXPECT_TRUE(results[1].ok) << "the canary beside the case: " << results[1].error.message;
    auto again = harness.dispatch();
    ASSERT_EQ(again.size(), 2u);
    EXPECT_TRUE(again[1].ok) << again[1].error.message;
    EXPECT_EQ(again[1].valueJson, "\"alive\"");
  } else {
    harness.recreate();
    auto reloaded = harness.load({makeTemplate("canary", kCanary)});
    ASSERT_TRUE(reloaded[0].ok);
    auto fresh = harness.dispatch();
    ASSERT_EQ(fresh.size(), 1u);
    EXPECT_TRUE(fresh[0].ok) << fresh[0].error.message;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, HostileTest, ::testing::ValuesIn(hostileCases()),
                         [](const auto& param) { return param.param; });

// A CPU bomb made of many coroutines must not buy its guild more of the worker than one. Guild A keeps four
// handlers spinning on the loop; an event for guild B is posted to the loop the way a worker receives one.
// B must wait for about one of A's time slices, not one per coroutine of A.
std::unique_ptr<vm::GuildVm> loadedVm(boost::asio::io_context& io, std::uint64_t guild,
                                      std::shared_ptr<vm::VmConfig> config, const char* init) {
  auto created = vm::GuildVm::create(GuildId{guild}, config, plugins::standardPlugins(), io);
  EXPECT_TRUE(created.ok());
  if (!created.ok()) return nullptr;
  std::unique_ptr<vm::GuildVm> vm = std::move(created).value();
  bool loaded = false;
  vm::TemplateSource t = makeTemplate("t", init);
  t.events = {"Test"};
  vm->loadTemplates({std::move(t)}, [&](std::vector<vm::TemplateOutcome> outcomes) {
    EXPECT_TRUE(outcomes.size() == 1 && outcomes[0].ok);
    loaded = true;
  });
  while (!loaded && io.run_one() != 0) {
  }
  return vm;
}

TEST(FairnessTest, AGuildsManySpinningCoroutinesShareOneTurn) {
  boost::asio::io_context io;
  auto config = std::make_shared<vm::VmConfig>(*testConfig());
  config->executionTimeout = std::chrono::seconds(60);
  auto a = loadedVm(io, 1090011223344556601ULL, config, "return function() while true do end end");
  auto b = loadedVm(io, 1090011223344556602ULL, config, "return function() return 'b' end");
  ASSERT_TRUE(a && b);
  for (int i = 0; i < 4; ++i) a->dispatch("Test", "{}", {}, [](std::vector<vm::TemplateOutcome>) {});
  limits::ExecutionWatch& watch = limits::ExecutionWatch::current();
  const std::uint64_t start = watch.sliceYields();
  while (watch.sliceYields() < start + 8) io.run_one();  // all four are spinning, slice after slice

  for (int round = 0; round < 5; ++round) {
    const std::uint64_t before = watch.sliceYields();
    bool done = false;
    std::string value;
    boost::asio::post(io, [&] {
      b->dispatch("Test", "{}", {}, [&](std::vector<vm::TemplateOutcome> outcomes) {
        value = outcomes.size() == 1 ? outcomes[0].valueJson : "";
        done = true;
      });
    });
    while (!done) io.run_one();
    EXPECT_EQ(value, "\"b\"");
    // One slice of A's turn that was queued ahead of B's event; a second one if a tick fell in between.
    EXPECT_LE(watch.sliceYields() - before, 2u) << "round " << round;
  }
  a.reset();  // kills A's handlers
}

}  // namespace
}  // namespace tw::testing
