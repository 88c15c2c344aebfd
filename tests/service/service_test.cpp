// The service through its real parts: a SQLite file in a temporary data directory, real worker threads, the
// storage executor. One parameterised suite runs against every VM distribution strategy.
#include <gtest/gtest.h>
#include <sched.h>
#include <sqlite3.h>

#include <algorithm>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <future>
#include <thread>

#include "service/service_impl.h"
#include "support/vm_harness.h"

namespace tw::testing {
namespace {

namespace fs = std::filesystem;
using service::ServiceImpl;

constexpr GuildId kGuildA{1090011223344556600ULL};
constexpr GuildId kGuildB{1090011223344556601ULL};

// Waits for a service callback (they run on worker or storage threads).
template <typename T, typename Call>
Result<T> await(Call call) {
  std::promise<Result<T>> promise;
  auto future = promise.get_future();
  call([&promise](Result<T> r) { promise.set_value(std::move(r)); });
  if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    return makeError(ErrorKind::kInternal, "no answer within 30 s");
  }
  return future.get();
}

storage::Template makeSpec(std::string name, std::string init, std::vector<std::string> events = {"MESSAGE_CREATE"},
                           std::vector<std::string> caps = {}) {
  storage::Template t;
  t.name = std::move(name);
  t.files.emplace("init.lua", std::move(init));
  t.events.insert(events.begin(), events.end());
  t.capabilities.insert(caps.begin(), caps.end());
  return t;
}

events::Event event(std::string name = "MESSAGE_CREATE", std::string data = R"({"content":"hi"})") {
  return events::Event{std::move(name), std::move(data)};
}

class ServiceTest : public ::testing::TestWithParam<dispatch::StrategyKind> {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    dir_ = fs::temp_directory_path() / ("tw-service-test-" + std::to_string(getpid()) + "-" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    config_.dataDir = dir_.string();
    config_.strategy = GetParam();
    config_.workers = 2;
    config_.vm.memoryLimitBytes = 8u << 20;
    config_.vm.executionTimeout = std::chrono::seconds(5);
    config_.durability = storage::Durability::kProcessCrash;
    start();
  }
  void TearDown() override {
    service_.reset();
    fs::remove_all(dir_);
  }
  void start() {
    auto made = service::makeService(config_);
    ASSERT_TRUE(made.ok()) << made.error().message;
    service_ = std::move(made).value();
  }
  void restart() {
    service_.reset();
    start();
  }

  Result<storage::StoredTemplate> put(GuildId g, storage::Template t) {
    return await<storage::StoredTemplate>([&](auto cb) { service_->putTemplate(g, std::move(t), cb); });
  }
  std::vector<vm::TemplateOutcome> dispatch(GuildId g, events::Event e = event()) {
    auto r = await<service::DispatchReply>([&](auto cb) { service_->dispatch(g, std::move(e), cb); });
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? std::move(r).value().outcomes : std::vector<vm::TemplateOutcome>{};
  }
  Result<vm::TemplateOutcome> exec(GuildId g, std::string code, std::vector<std::string> caps = {}) {
    return await<vm::TemplateOutcome>([&](auto cb) {
      service_->exec(g, service::ExecRequest{std::move(code), "lua", std::move(caps)}, cb);
    });
  }

  fs::path dir_;
  service::ServiceConfig config_;
  std::unique_ptr<ServiceImpl> service_;
};

TEST_P(ServiceTest, DispatchesToSubscribedTemplatesAndKeepsStateBetweenEvents) {
  ASSERT_TRUE(put(kGuildA, makeSpec("counter", "local n = 0 return function(e) n = n + 1 return {n = n, c = e.data.content} end")).ok());
  ASSERT_TRUE(put(kGuildA, makeSpec("other", "return function() return 'other' end", {"GUILD_CREATE"})).ok());
  auto first = dispatch(kGuildA);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_TRUE(first[0].ok) << first[0].error.message;
  EXPECT_EQ(first[0].valueJson, R"({"c":"hi","n":1})");
  auto second = dispatch(kGuildA);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].valueJson, R"({"c":"hi","n":2})");
  EXPECT_TRUE(dispatch(kGuildB).empty());  // another guild has no templates
}

TEST_P(ServiceTest, PausedTemplatesReceiveNothing) {
  auto spec = makeSpec("paused", "return function() return 1 end");
  spec.paused = true;
  ASSERT_TRUE(put(kGuildA, spec).ok());
  EXPECT_TRUE(dispatch(kGuildA).empty());
}

TEST_P(ServiceTest, SyntaxErrorsAreRejectedWithTheCompilersMessage) {
  auto r = put(kGuildA, makeSpec("bad", "return function(\n  if then end"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kSyntaxError);
  EXPECT_NE(r.error().message.find("init.lua:2:"), std::string::npos) << r.error().message;
  auto list = await<std::vector<storage::TemplateSummary>>([&](auto cb) { service_->listTemplates(kGuildA, cb); });
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

TEST_P(ServiceTest, ChangingTemplatesReloadsTheVm) {
  ASSERT_TRUE(put(kGuildA, makeSpec("t", "local n = 0 return function() n = n + 1 return n end")).ok());
  EXPECT_EQ(dispatch(kGuildA).at(0).valueJson, "1");
  EXPECT_EQ(dispatch(kGuildA).at(0).valueJson, "2");
  ASSERT_TRUE(put(kGuildA, makeSpec("t", "local n = 100 return function() n = n + 1 return n end")).ok());
  EXPECT_EQ(dispatch(kGuildA).at(0).valueJson, "101");
  auto deleted = await<storage::Revision>([&](auto cb) { service_->deleteTemplate(kGuildA, "t", cb); });
  ASSERT_TRUE(deleted.ok());
  EXPECT_TRUE(dispatch(kGuildA).empty());
}

TEST_P(ServiceTest, KvWritesSurviveARestart) {
  const char* writer = R"(return function(e, ctx)
    ctx.kv:set("greeting", {text = "hello", n = 3})
    ctx.kv:scope("other"):set("greeting", "elsewhere")
    return ctx.kv:get("greeting").text
  end)";
  ASSERT_TRUE(put(kGuildA, makeSpec("writer", writer, {"WRITE"}, {"kv:read", "kv:write"})).ok());
  auto wrote = dispatch(kGuildA, event("WRITE"));
  ASSERT_EQ(wrote.size(), 1u);
  ASSERT_TRUE(wrote[0].ok) << wrote[0].error.message;
  EXPECT_EQ(wrote[0].valueJson, "\"hello\"");
  restart();
  const char* reader = R"(return function(e, ctx)
    local v = ctx.kv:get("greeting")
    local all = ctx.kv:list("gree")
    return {n = v.n, other = ctx.kv:scope("other"):get("greeting"), listed = #all, missing = ctx.kv:get("nope")}
  end)";
  ASSERT_TRUE(put(kGuildA, makeSpec("reader", reader, {"READ"}, {"kv:read"})).ok());
  auto read = dispatch(kGuildA, event("READ"));
  ASSERT_EQ(read.size(), 1u);
  ASSERT_TRUE(read[0].ok) << read[0].error.message;
  EXPECT_EQ(read[0].valueJson, R"({"listed":1,"n":3,"other":"elsewhere"})");
  // Another guild sees none of it.
  ASSERT_TRUE(put(kGuildB, makeSpec("reader", reader, {"READ"}, {"kv:read"})).ok());
  auto other = dispatch(kGuildB, event("READ"));
  ASSERT_EQ(other.size(), 1u);
  EXPECT_FALSE(other[0].ok);  // v is nil: indexing it raises
}

TEST_P(ServiceTest, MissingCapabilitiesAreDenied) {
  ASSERT_TRUE(put(kGuildA, makeSpec("nocap", "return function(e, ctx) ctx.kv:set('k', 1) end")).ok());
  auto r = dispatch(kGuildA);
  ASSERT_EQ(r.size(), 1u);
  ASSERT_FALSE(r[0].ok);
  EXPECT_EQ(r[0].error.kind, ErrorKind::kCapabilityDenied);
  EXPECT_NE(r[0].error.message.find("kv:write"), std::string::npos) << r[0].error.message;
  // Caught and re-raised, it keeps its kind.
  ASSERT_TRUE(put(kGuildA, makeSpec("nocap", "return function(e, ctx) local ok, err = pcall(ctx.kv.get, ctx.kv, 'k') error(err, 0) end")).ok());
  auto again = dispatch(kGuildA);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].error.kind, ErrorKind::kCapabilityDenied) << again[0].error.message;
}

TEST_P(ServiceTest, ExecRunsInTheGuildsVmLikeARepl) {
  auto r = exec(kGuildA, "return 1 + 1");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->ok);
  EXPECT_EQ(r->valueJson, "2");
  ASSERT_TRUE(exec(kGuildA, "counter = 41").ok());
  EXPECT_EQ(exec(kGuildA, "counter = counter + 1 return counter")->valueJson, "42");
  auto syntax = exec(kGuildA, "return +");
  ASSERT_TRUE(syntax.ok());
  EXPECT_EQ(syntax->error.kind, ErrorKind::kSyntaxError);
  auto denied = exec(kGuildA, "local ctx = ... return ctx.kv:get('x')");
  EXPECT_EQ(denied->error.kind, ErrorKind::kCapabilityDenied);
  auto allowed = exec(kGuildA, "local ctx = ... ctx.kv:set('x', 5) return ctx.kv:get('x')", {"kv:read", "kv:write"});
  EXPECT_EQ(allowed->valueJson, "5") << allowed->error.message;
}

TEST_P(ServiceTest, VmsCanBeListedDestroyedAndRecreated) {
  ASSERT_TRUE(put(kGuildA, makeSpec("t", "local n = 0 return function() n = n + 1 return n end")).ok());
  EXPECT_EQ(dispatch(kGuildA).at(0).valueJson, "1");
  auto vms = await<std::vector<service::VmInfo>>([&](auto cb) { service_->listVms(cb); });
  ASSERT_TRUE(vms.ok());
  ASSERT_EQ(vms->size(), 1u);
  EXPECT_EQ(vms->at(0).guild, kGuildA);
  EXPECT_EQ(vms->at(0).state, "ready");
  EXPECT_EQ(vms->at(0).templates, 1u);
  EXPECT_GT(vms->at(0).memoryBytes, 0u);
  auto one = await<service::VmInfo>([&](auto cb) { service_->getVm(kGuildA, cb); });
  EXPECT_TRUE(one.ok());
  EXPECT_EQ(await<service::VmInfo>([&](auto cb) { service_->getVm(kGuildB, cb); }).error().kind, ErrorKind::kNotFound);
  auto destroyed = await<bool>([&](auto cb) { service_->destroyVm(kGuildA, cb); });
  ASSERT_TRUE(destroyed.ok());
  EXPECT_TRUE(destroyed.value());
  EXPECT_TRUE(await<std::vector<service::VmInfo>>([&](auto cb) { service_->listVms(cb); })->empty());
  EXPECT_FALSE(await<bool>([&](auto cb) { service_->destroyVm(kGuildA, cb); }).value());
  EXPECT_EQ(dispatch(kGuildA).at(0).valueJson, "1");  // a fresh VM
}

TEST_P(ServiceTest, ABrokenVmIsReplacedAndOtherGuildsNoticeNothing) {
  ASSERT_TRUE(put(kGuildA, makeSpec("bomb", "return function() local t = {} for i = 1, 1e9 do t[i] = i end end")).ok());
  ASSERT_TRUE(put(kGuildB, makeSpec("calm", "local n = 0 return function() n = n + 1 return n end")).ok());
  EXPECT_EQ(dispatch(kGuildB).at(0).valueJson, "1");
  auto bombed = dispatch(kGuildA);
  ASSERT_EQ(bombed.size(), 1u);
  EXPECT_EQ(bombed[0].error.kind, ErrorKind::kMemoryLimit);
  EXPECT_EQ(dispatch(kGuildB).at(0).valueJson, "2");  // B's VM and its state are intact
  ASSERT_TRUE(put(kGuildA, makeSpec("bomb", "return function() return 'fine' end")).ok());
  EXPECT_EQ(dispatch(kGuildA).at(0).valueJson, "\"fine\"");
}

TEST_P(ServiceTest, AVmThatBreaksInTheBackgroundIsDestroyedWithoutAnotherEvent) {
  // The handler returns at once; the task it spawned then runs into the memory cap. Nothing else reaches the
  // guild, yet its broken VM must not stay resident (the worker's housekeeping destroys it once idle).
  const char* init = R"(return function()
    task.spawn(function() task.wait(0.05) local t = {} for i = 1, 1e9 do t[i] = i end end)
    return 'returned'
  end)";
  ASSERT_TRUE(put(kGuildA, makeSpec("late-bomb", init)).ok());
  ASSERT_EQ(dispatch(kGuildA).at(0).valueJson, "\"returned\"");
  auto residentA = [&] {
    auto vms = await<std::vector<service::VmInfo>>([&](auto cb) { service_->listVms(cb); });
    EXPECT_TRUE(vms.ok());
    if (!vms.ok()) return false;
    return std::any_of(vms.value().begin(), vms.value().end(), [](const auto& v) { return v.guild == kGuildA; });
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (residentA() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_FALSE(residentA());
  EXPECT_EQ(dispatch(kGuildA).at(0).valueJson, "\"returned\"");  // a fresh VM serves the next event
}

TEST_P(ServiceTest, TheEventAfterAMemoryErrorGetsAFreshVmAtOnce) {
  // The handler pauses once (so the VM breaks outside the action that started it), then runs out of memory.
  // The very next event, long before any housekeeping pass, must run in a fresh VM, not fail as internal.
  const char* init = R"(local n = 0
  return function(e)
    n = n + 1
    if e.data.content == 'bomb' then task.wait(0.01) local t = {} for i = 1, 1e9 do t[i] = i end end
    return n
  end)";
  ASSERT_TRUE(put(kGuildA, makeSpec("t", init)).ok());
  EXPECT_EQ(dispatch(kGuildA).at(0).valueJson, "1");
  for (int round = 0; round < 3; ++round) {
    auto bombed = dispatch(kGuildA, event("MESSAGE_CREATE", R"({"content":"bomb"})"));
    ASSERT_EQ(bombed.size(), 1u);
    EXPECT_EQ(bombed[0].error.kind, ErrorKind::kMemoryLimit) << bombed[0].error.message;
    auto next = dispatch(kGuildA);
    ASSERT_EQ(next.size(), 1u);
    EXPECT_TRUE(next[0].ok) << kindName(next[0].error.kind) << ": " << next[0].error.message;
    EXPECT_EQ(next[0].valueJson, "1");  // a fresh VM: its counter starts again
  }
}

TEST_P(ServiceTest, ACorruptStoredKvValueIsAnInternalErrorNotAMemoryError) {
  ASSERT_TRUE(put(kGuildA, makeSpec("reader", "return function(e, ctx) return ctx.kv:get('k') end", {"MESSAGE_CREATE"},
                                    {"kv:read"})).ok());
  // Damage the row behind the service's back, through SQLite itself (WAL lets a second connection write).
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "template-worker.db").c_str(), &db), SQLITE_OK);
  const std::string sql = "INSERT INTO kv (guild_id, scope, key, value, size_bytes) VALUES (" +
                          std::to_string(static_cast<std::int64_t>(kGuildA.value)) + ", '', 'k', '{not json', 9)";
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  const std::string message = err != nullptr ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
  auto r = dispatch(kGuildA);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r[0].ok);
  EXPECT_EQ(r[0].error.kind, ErrorKind::kInternal) << r[0].error.message;
  EXPECT_NE(r[0].error.message.find("not valid JSON"), std::string::npos) << r[0].error.message;
}

TEST_P(ServiceTest, HandlersPastTheReturnWaitAreReportedStillRunning) {
  service_.reset();
  config_.limits.returnWaitMs = 100;
  start();
  ASSERT_TRUE(put(kGuildA, makeSpec("slow", "return function() task.wait(0.5) return 'late' end")).ok());
  ASSERT_TRUE(put(kGuildA, makeSpec("quick", "return function() return 'now' end")).ok());
  auto r = dispatch(kGuildA);
  ASSERT_EQ(r.size(), 2u);
  const auto& quick = r[0].templateName == "quick" ? r[0] : r[1];
  const auto& slow = r[0].templateName == "slow" ? r[0] : r[1];
  EXPECT_EQ(quick.valueJson, "\"now\"");
  EXPECT_EQ(slow.error.kind, ErrorKind::kStillRunning);
}

TEST_P(ServiceTest, ManyGuildsFromManyThreads) {
  service_.reset();
  config_.workers = GetParam() == dispatch::StrategyKind::kThreadPool ? 2 : 8;  // thread-per-guild: its bound
  start();
  for (std::uint64_t g = 1; g <= 8; ++g) {
    ASSERT_TRUE(put(GuildId{g}, makeSpec("t", "local n = 0 return function() n = n + 1 task.wait() return n end")).ok());
  }
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const GuildId g{static_cast<std::uint64_t>(1 + (t * 10 + i) % 8)};
        auto r = await<service::DispatchReply>([&](auto cb) { service_->dispatch(g, event(), cb); });
        if (r.ok() && r->outcomes.size() == 1 && r->outcomes[0].ok) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 40);
}

TEST_P(ServiceTest, DestroysRacingDispatchesOfOneGuildLoseNothing) {
  // Each destroy makes the guild leave its worker; under thread-per-guild the next dispatch places it on a
  // new worker while the old one may still be reporting the departure, or still be waiting for a template
  // load. Every dispatch must be answered, by a VM or by the destroy that beat it; under TSan no worker may
  // read another worker's state, nor be freed while a storage thread still holds its loop.
  ASSERT_TRUE(put(kGuildA, makeSpec("t", "local n = 0 return function() n = n + 1 return n end")).ok());
  std::atomic<bool> done{false};
  std::thread destroyer([&] {
    while (!done.load()) {
      auto r = await<bool>([&](auto cb) { service_->destroyVm(kGuildA, cb); });
      EXPECT_TRUE(r.ok());
    }
  });
  int ran = 0;
  int cutShort = 0;
  for (int i = 0; i < 200; ++i) {
    auto r = await<service::DispatchReply>([&](auto cb) { service_->dispatch(kGuildA, event(), cb); });
    if (r.ok()) {
      ASSERT_EQ(r->outcomes.size(), 1u);
      if (r->outcomes[0].ok) {
        ++ran;
      } else {
        EXPECT_EQ(r->outcomes[0].error.kind, ErrorKind::kUnavailable) << r->outcomes[0].error.message;
        ++cutShort;
      }
    } else {
      EXPECT_EQ(r.error().kind, ErrorKind::kUnavailable) << r.error().message;
      ++cutShort;
    }
  }
  done = true;
  destroyer.join();
  EXPECT_EQ(ran + cutShort, 200);
  ASSERT_TRUE(await<bool>([&](auto cb) { service_->destroyVm(kGuildA, cb); }).ok());
  EXPECT_EQ(dispatch(kGuildA).at(0).valueJson, "1");  // a fresh VM, and only one
  auto vms = await<std::vector<service::VmInfo>>([&](auto cb) { service_->listVms(cb); });
  ASSERT_TRUE(vms.ok());
  EXPECT_EQ(vms->size(), 1u);
}

// The scheduling policy of this process's threads named `name` (from /proc: field 41 of each task's stat).
std::vector<int> policiesOfThreadsNamed(const std::string& name) {
  std::vector<int> policies;
  for (const auto& task : fs::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string threadName;
    std::getline(comm, threadName);
    if (threadName != name) continue;
    std::ifstream statFile(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(statFile)), std::istreambuf_iterator<char>());
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));  // after "pid (comm) "
    std::string field;
    int index = 3;  // the state is field 3
    while (index <= 41 && fields >> field) ++index;
    if (index == 42) policies.push_back(std::stoi(field));
  }
  return policies;
}

TEST_P(ServiceTest, WorkerThreadsRunUnderBatchSchedulingUnlessTurnedOff) {
  ASSERT_TRUE(put(kGuildA, makeSpec("t", "return function() return 1 end")).ok());
  ASSERT_EQ(dispatch(kGuildA).at(0).valueJson, "1");  // thread-per-guild starts its worker now
  auto policies = policiesOfThreadsNamed("tw-worker-0");
  ASSERT_EQ(policies.size(), 1u);
  EXPECT_EQ(policies[0], SCHED_BATCH);
  service_.reset();
  config_.workerBatchScheduling = false;
  start();
  ASSERT_EQ(dispatch(kGuildA).at(0).valueJson, "1");
  policies = policiesOfThreadsNamed("tw-worker-0");
  ASSERT_EQ(policies.size(), 1u);
  EXPECT_EQ(policies[0], SCHED_OTHER);
}

INSTANTIATE_TEST_SUITE_P(Strategies, ServiceTest,
                         ::testing::Values(dispatch::StrategyKind::kThreadPool, dispatch::StrategyKind::kThreadPerGuild),
                         [](const auto& param) {
                           return param.param == dispatch::StrategyKind::kThreadPool ? std::string("ThreadPool")
                                                                                     : std::string("ThreadPerGuild");
                         });

// Faults and strategy-specific behaviour.
class ServiceFaultTest : public ServiceTest {};

TEST_P(ServiceFaultTest, AFaultDestroysOnlyTheAffectedGuildsVm) {
  service_.reset();
  config_.faultInjection = true;
  // Under thread-pool both guilds share the one worker; thread-per-guild gives each its own.
  config_.workers = GetParam() == dispatch::StrategyKind::kThreadPool ? 1 : 4;
  start();
  ASSERT_TRUE(put(kGuildA, makeSpec("crash", "return function() fault.crash() return 'unreachable' end", {"MESSAGE_CREATE"}, {"fault:inject"})).ok());
  ASSERT_TRUE(put(kGuildB, makeSpec("calm", "local n = 0 return function() n = n + 1 return n end")).ok());
  EXPECT_EQ(dispatch(kGuildB).at(0).valueJson, "1");
  auto crashed = dispatch(kGuildA);
  ASSERT_EQ(crashed.size(), 1u);
  EXPECT_FALSE(crashed[0].ok);
  EXPECT_EQ(crashed[0].error.kind, ErrorKind::kInternal);
  EXPECT_EQ(dispatch(kGuildB).at(0).valueJson, "2");
  EXPECT_NE(service_->metricsText().find("tw_faults_total 1\n"), std::string::npos) << service_->metricsText();
  // Without the capability the plugin refuses.
  ASSERT_TRUE(put(kGuildA, makeSpec("crash", "return function() fault.crash() end")).ok());
  EXPECT_EQ(dispatch(kGuildA).at(0).error.kind, ErrorKind::kCapabilityDenied);
}

INSTANTIATE_TEST_SUITE_P(Strategies, ServiceFaultTest,
                         ::testing::Values(dispatch::StrategyKind::kThreadPool, dispatch::StrategyKind::kThreadPerGuild),
                         [](const auto& param) {
                           return param.param == dispatch::StrategyKind::kThreadPool ? std::string("ThreadPool")
                                                                                     : std::string("ThreadPerGuild");
                         });

TEST(ThreadPerGuildTest, RefusesClearlyPastItsBound) {
  const fs::path dir = fs::temp_directory_path() / ("tw-tpg-" + std::to_string(getpid()));
  fs::remove_all(dir);
  service::ServiceConfig config;
  config.dataDir = dir.string();
  config.strategy = dispatch::StrategyKind::kThreadPerGuild;
  config.workers = 2;
  auto made = service::makeService(config);
  ASSERT_TRUE(made.ok());
  auto svc = std::move(made).value();
  for (std::uint64_t g = 1; g <= 2; ++g) {
    auto r = await<service::DispatchReply>([&](auto cb) { svc->dispatch(GuildId{g}, event(), cb); });
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  auto third = await<service::DispatchReply>([&](auto cb) { svc->dispatch(GuildId{3}, event(), cb); });
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().kind, ErrorKind::kUnavailable);
  EXPECT_NE(third.error().message.find("thread-per-guild"), std::string::npos);
  // Once a guild leaves, its thread is free again.
  ASSERT_TRUE(await<bool>([&](auto cb) { svc->destroyVm(GuildId{1}, cb); }).value());
  auto retry = await<service::DispatchReply>([&](auto cb) { svc->dispatch(GuildId{3}, event(), cb); });
  EXPECT_TRUE(retry.ok()) << retry.error().message;
  svc.reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tw::testing
