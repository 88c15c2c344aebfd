// vm_bench: the guild VM's figures of issue 3, each beside a baseline measured in the same run.
//
//   creation      GuildVm::create + loadTemplates(one small template) + destroy, p50/p99 per iteration,
//                 against a bare luaL_newstate + luaL_openlibs + lua_close
//   dispatch      the MESSAGE_CREATE fixture's data (JSON text) through GuildVm::dispatch to one trivial
//                 handler and its result back as JSON, against a bare lua_pcall of a trivial function and a
//                 bare state doing the same decode + call + encode with no sandbox or scheduler; then the
//                 same round-robin over 1 and 10 000 VMs (bare states), each past its first events: what
//                 cold caches cost a worker with many resident guilds, isolated or not
//   limits        a pure-Lua loop as a template handler (ExecutionWatch ticking every 2 ms, slices yielding
//                 to the event loop) against the same loop in a bare lua_State with no hook and no timer
//   fairness      p99 latency of guild B's events while guild A, on the same io_context, runs a CPU-bound
//                 loop; against the same events with A idle
//   idle RSS      `vm_bench --idle-rss [--count=N]`: one fresh child process per measurement, creating N idle
//                 guild VMs with one small template, or N bare states with a library subset; RSS delta / N
//                 (plus two diagnostic children that collect garbage right after loading)
//
// After the Google Benchmark table, a summary prints each figure with its baseline, the ratio and the goal
// (medians when --benchmark_repetitions is given). README.md beside bench/CMakeLists.txt says how to read
// them. The fixture is found through TW_SOURCE_DIR (default: the source tree this was built from).
//
// Threading: every benchmark drives its VMs on its own thread's io_context, the way a worker does; the
// fairness benchmark adds a thread that only posts events to that io_context, like the HTTP side.
#include <benchmark/benchmark.h>
#include <lua.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "events/event.h"
#include "events/json_lua.h"
#include "limits/interrupt.h"
#include "limits/stack_arena.h"
#include "plugins/standard.h"
#include "vm/guild_vm.h"

namespace {

using Clock = std::chrono::steady_clock;
using tw::GuildId;
using tw::limits::ExecutionWatch;
using tw::vm::GuildVm;
using tw::vm::TemplateOutcome;
using tw::vm::TemplateSource;

// ---------------------------------------------------------------------------------------------------------
// Shared set-up

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "vm_bench: %s\n", message.c_str());
  std::exit(1);
}

std::string sourceDir() {
  const char* dir = std::getenv("TW_SOURCE_DIR");
  return dir != nullptr ? dir : TW_SOURCE_DIR_DEFAULT;
}

// The `data` text of the shared MESSAGE_CREATE fixture, split from its body once.
const std::string& fixtureData() {
  static const std::string data = [] {
    const std::string path = sourceDir() + "/bench/fixtures/message_create.json";
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    auto event = tw::events::parseEvent(ss.str());
    if (!event.ok()) die("cannot read the fixture " + path + ": " + event.error().message);
    return std::move(event).value().dataJson;
  }();
  return data;
}

constexpr GuildId kGuildA{1090011223344556600ULL};
constexpr GuildId kGuildB{1090011223344556601ULL};

// The service's defaults: 20 MiB per VM, 10 minutes per event.
std::shared_ptr<const tw::vm::VmConfig> serviceConfig() {
  static const auto config = std::make_shared<const tw::vm::VmConfig>();
  return config;
}

// Built once and shared by every VM, as a worker does.
std::shared_ptr<const tw::plugins::PluginRegistry> plugins() {
  static const auto registry = tw::plugins::standardPlugins();
  return registry;
}

// The small template of the creation, dispatch, fairness and idle figures: a little state kept between
// events and one trivial handler that returns a small table.
constexpr const char* kSmallTemplate = R"lua(
local seen = 0
return {
  MESSAGE_CREATE = function(event, ctx)
    seen = seen + 1
    return { ok = true, id = event.data.id, seen = seen }
  end,
}
)lua";

// The pure-Lua loop of the limits figure. The same function runs in the bare state and in the template.
constexpr const char* kLoopFunction = R"lua(
local function loop(n)
  local x = 0
  for i = 1, n do x = x + i % 7 end
  return x
end
)lua";
constexpr std::int64_t kLoopIterations = 50'000'000;

TemplateSource makeTemplate(std::string name, std::string init, std::vector<std::string> events) {
  TemplateSource t;
  t.name = std::move(name);
  t.files.emplace("init.lua", std::move(init));
  t.events = std::move(events);
  return t;
}

TemplateSource smallTemplate() { return makeTemplate("small", kSmallTemplate, {"MESSAGE_CREATE"}); }

TemplateSource loopTemplate() {
  return makeTemplate("loop", std::string(kLoopFunction) + "return function(event) return loop(event.data.n) end",
                      {"LOOP"});
}

// Runs the io_context until `done` is true (the completion may already have run synchronously).
void runUntil(boost::asio::io_context& io, const bool& done) {
  if (done) return;
  io.restart();
  while (!done && io.run_one() != 0) {
  }
  if (!done) die("the io_context ran out of work before the VM completed");
}

std::unique_ptr<GuildVm> newVm(boost::asio::io_context& io, GuildId guild, std::vector<TemplateSource> templates) {
  auto created = GuildVm::create(guild, serviceConfig(), plugins(), io);
  if (!created.ok()) die("GuildVm::create: " + created.error().message);
  std::unique_ptr<GuildVm> vm = std::move(created).value();
  bool done = false;
  std::string failure;
  vm->loadTemplates(std::move(templates), [&](std::vector<TemplateOutcome> outcomes) {
    for (const auto& o : outcomes) {
      if (!o.ok) failure += o.templateName + ": " + o.error.message + "; ";
    }
    done = true;
  });
  runUntil(io, done);
  if (!failure.empty()) die("loading templates: " + failure);
  return vm;
}

// Dispatches one event and runs the loop until its outcome is back. Returns the first template's outcome.
TemplateOutcome dispatchAndWait(boost::asio::io_context& io, GuildVm& vm, const char* name, std::string data) {
  bool done = false;
  TemplateOutcome first;
  vm.dispatch(name, std::move(data), {}, [&](std::vector<TemplateOutcome> outcomes) {
    if (!outcomes.empty()) first = std::move(outcomes.front());
    done = true;
  });
  runUntil(io, done);
  return first;
}

// The bare baselines must run with no tick signal at all: stop this thread's ExecutionWatch timer (it stops
// by itself only after 64 idle ticks) until the next GuildVm run arms it again.
void stopWatchTimer() {
  ExecutionWatch& watch = ExecutionWatch::current();
  watch.setTickMicros(watch.tickMicros());
}

// Per-iteration wall times, for percentiles that Google Benchmark does not compute within one run.
class Samples {
 public:
  explicit Samples(std::size_t reserve) { ns_.reserve(reserve); }
  void add(Clock::duration d) { ns_.push_back(static_cast<double>(std::chrono::nanoseconds(d).count())); }
  double percentile(double p) {
    if (ns_.empty()) return 0;
    const auto k = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(ns_.size()))) - 1;
    const auto at = ns_.begin() + static_cast<std::ptrdiff_t>(std::min(k, ns_.size() - 1));
    std::nth_element(ns_.begin(), at, ns_.end());
    return *at;
  }
  std::size_t size() const { return ns_.size(); }

 private:
  std::vector<double> ns_;
};

void reportPercentiles(benchmark::State& state, Samples& samples, double unitNs, const char* unit) {
  state.counters[std::string("p50_") + unit] = samples.percentile(50) / unitNs;
  state.counters[std::string("p99_") + unit] = samples.percentile(99) / unitNs;
  state.counters[std::string("max_") + unit] = samples.percentile(100) / unitNs;
}

// A bare state with every stock library (the baselines).
lua_State* newBareState() {
  lua_State* L = luaL_newstate();
  if (L == nullptr) die("luaL_newstate failed");
  luaL_openlibs(L);
  return L;
}

// Runs `source` in L and leaves its `nresults` results on the stack.
void runChunk(lua_State* L, const std::string& source, int nresults) {
  if (luaL_loadbufferx(L, source.data(), source.size(), "=bench", "t") != LUA_OK ||
      lua_pcall(L, 0, nresults, 0) != LUA_OK) {
    die(std::string("bare chunk failed: ") + lua_tostring(L, -1));
  }
}

// Diagnostics of the idle-memory finding (README.md): a registry with one more plugin whose set-up records
// each new VM's main thread, so that the bench can run Lua's collector on a VM that is idle, on its owning
// thread, as a proposed fix in the runtime would.
lua_State* g_lastMainThread = nullptr;

int recordMainThread(lua_State* L) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
  g_lastMainThread = lua_tothread(L, -1);
  lua_pop(L, 1);
  return 0;
}

std::shared_ptr<const tw::plugins::PluginRegistry> probePlugins() {
  static const auto registry = [] {
    auto r = std::make_shared<tw::plugins::PluginRegistry>(*plugins());
    r->add(tw::plugins::PluginSpec{"benchprobe", {}, recordMainThread});
    return std::shared_ptr<const tw::plugins::PluginRegistry>(std::move(r));
  }();
  return registry;
}

enum class Collect { kNone = 0, kStep = 1, kFull = 2 };

// LUA_GCSTEP with no extra work is a young collection in generational mode.
void collect(lua_State* L, Collect how) {
  if (how == Collect::kStep) lua_gc(L, LUA_GCSTEP, 0);
  if (how == Collect::kFull) lua_gc(L, LUA_GCCOLLECT);
}

// ---------------------------------------------------------------------------------------------------------
// 1. Creation: sandboxed VM + one small template, against a bare state with all stock libraries.

void BM_Create_Baseline_BareState(benchmark::State& state) {
  stopWatchTimer();
  Samples samples(1 << 16);
  for (auto _ : state) {
    const auto t0 = Clock::now();
    lua_State* L = luaL_newstate();
    luaL_openlibs(L);
    lua_close(L);
    samples.add(Clock::now() - t0);
  }
  reportPercentiles(state, samples, 1e3, "us");
}
BENCHMARK(BM_Create_Baseline_BareState)->Unit(benchmark::kMicrosecond);

// create + destroy only: the sandbox and plugins, without a template (splits the figure below).
void BM_Create_GuildVm_NoTemplate(benchmark::State& state) {
  boost::asio::io_context io;
  const auto config = serviceConfig();
  const auto registry = plugins();
  Samples samples(1 << 16);
  for (auto _ : state) {
    const auto t0 = Clock::now();
    auto created = GuildVm::create(kGuildA, config, registry, io);
    if (!created.ok()) {
      state.SkipWithError(created.error().message.c_str());
      break;
    }
    std::move(created).value().reset();
    samples.add(Clock::now() - t0);
  }
  reportPercentiles(state, samples, 1e3, "us");
}
BENCHMARK(BM_Create_GuildVm_NoTemplate)->Unit(benchmark::kMicrosecond);

// The figure: GuildVm::create + loadTemplates(small) + destroy.
void BM_Create_GuildVm_SmallTemplate(benchmark::State& state) {
  boost::asio::io_context io;
  const auto config = serviceConfig();
  const auto registry = plugins();
  const TemplateSource source = smallTemplate();
  Samples samples(1 << 16);
  for (auto _ : state) {
    const auto t0 = Clock::now();
    auto created = GuildVm::create(kGuildA, config, registry, io);
    if (!created.ok()) {
      state.SkipWithError(created.error().message.c_str());
      break;
    }
    std::unique_ptr<GuildVm> vm = std::move(created).value();
    bool done = false;
    bool ok = false;
    vm->loadTemplates({source}, [&](std::vector<TemplateOutcome> outcomes) {
      ok = outcomes.size() == 1 && outcomes[0].ok;
      done = true;
    });
    runUntil(io, done);
    vm.reset();
    samples.add(Clock::now() - t0);
    if (!ok) {
      state.SkipWithError("the small template did not load");
      break;
    }
  }
  reportPercentiles(state, samples, 1e3, "us");
}
BENCHMARK(BM_Create_GuildVm_SmallTemplate)->Unit(benchmark::kMicrosecond);

// Diagnostic: the figure above plus a collection right after loading (arg: 1 young step, 2 full), the cost of
// the fix README.md proposes for idle VMs keeping their dead loader coroutine (and its stack slot).
void BM_Create_GuildVm_SmallTemplate_ThenCollect(benchmark::State& state) {
  boost::asio::io_context io;
  const auto config = serviceConfig();
  const auto registry = probePlugins();
  const TemplateSource source = smallTemplate();
  const auto how = static_cast<Collect>(state.range(0));
  Samples samples(1 << 16);
  std::int64_t leftCoroutines = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    auto created = GuildVm::create(kGuildA, config, registry, io);
    if (!created.ok()) {
      state.SkipWithError(created.error().message.c_str());
      break;
    }
    std::unique_ptr<GuildVm> vm = std::move(created).value();
    bool done = false;
    vm->loadTemplates({source}, [&](std::vector<TemplateOutcome>) { done = true; });
    runUntil(io, done);
    collect(g_lastMainThread, how);
    leftCoroutines += vm->stats().coroutines;
    vm.reset();
    samples.add(Clock::now() - t0);
  }
  reportPercentiles(state, samples, 1e3, "us");
  state.counters["coroutines_left"] = static_cast<double>(leftCoroutines) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Create_GuildVm_SmallTemplate_ThenCollect)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);

// ---------------------------------------------------------------------------------------------------------
// 2. Dispatch of the MESSAGE_CREATE fixture to a trivial handler: JSON text in, JSON result out.

// Floor: a protected call of a trivial Lua function in a bare state.
void BM_Dispatch_Baseline_BarePcall(benchmark::State& state) {
  stopWatchTimer();
  lua_State* L = newBareState();
  runChunk(L, "return function(event, ctx) end", 1);
  for (auto _ : state) {
    lua_pushvalue(L, 1);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) die("pcall failed");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  lua_close(L);
}
BENCHMARK(BM_Dispatch_Baseline_BarePcall);

// A bare state with every stock library and the small template's MESSAGE_CREATE handler at stack slot 1.
lua_State* newBareHandlerState() {
  lua_State* L = newBareState();
  runChunk(L, kSmallTemplate, 1);
  lua_getfield(L, 1, "MESSAGE_CREATE");
  lua_replace(L, 1);  // 1: the handler
  return L;
}

// One event through a state from newBareHandlerState: pushJson + build {name, data} + pcall + encodeValue.
// Leaves only the handler on the stack.
void bareDispatch(lua_State* L, const std::string& data, std::string& out) {
  const std::string text = data;  // the VM receives its own copy too
  if (!tw::events::pushJson(L, text).ok()) die("pushJson failed");  // 2: data
  lua_pushvalue(L, 1);
  lua_createtable(L, 0, 2);
  lua_pushliteral(L, "MESSAGE_CREATE");
  lua_setfield(L, -2, "name");
  lua_pushvalue(L, 2);
  lua_setfield(L, -2, "data");
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) die("handler failed");
  if (!tw::events::encodeValue(L, -1, out).ok()) die("encodeValue failed");
  benchmark::DoNotOptimize(out.data());
  lua_settop(L, 1);
}

// Context: the same JSON work and the same handler in a bare state, without sandbox, coroutine, scheduler,
// ctx or outcome bookkeeping.
void BM_Dispatch_Baseline_BareJson(benchmark::State& state) {
  stopWatchTimer();
  lua_State* L = newBareHandlerState();
  const std::string& data = fixtureData();
  std::string out;
  for (auto _ : state) bareDispatch(L, data, out);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["heap_kb"] = lua_gc(L, LUA_GCCOUNT);
  lua_close(L);
}
BENCHMARK(BM_Dispatch_Baseline_BareJson);

// The figure: GuildVm::dispatch as the worker calls it (subscribed audience, result when the handler ends).
void BM_Dispatch_GuildVm(benchmark::State& state) {
  boost::asio::io_context io;
  auto vm = newVm(io, kGuildA, {smallTemplate()});
  const std::string& data = fixtureData();
  {
    const TemplateOutcome check = dispatchAndWait(io, *vm, "MESSAGE_CREATE", data);
    if (!check.ok || check.valueJson.find("\"ok\":true") == std::string::npos) {
      state.SkipWithError(("unexpected outcome: " + check.valueJson + " " + check.error.message).c_str());
      return;
    }
  }
  bool done = false;
  bool ok = false;
  for (auto _ : state) {
    done = false;
    vm->dispatch("MESSAGE_CREATE", data, {}, [&](std::vector<TemplateOutcome> outcomes) {
      ok = outcomes.size() == 1 && outcomes[0].ok;
      benchmark::DoNotOptimize(outcomes[0].valueJson.data());
      done = true;
    });
    runUntil(io, done);
    if (!ok) {
      state.SkipWithError("a dispatch failed");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["heap_kb"] = static_cast<double>(vm->stats().memoryBytes) / 1024.0;
}
BENCHMARK(BM_Dispatch_GuildVm);

// The same two paths over N VMs (N bare states), each event going to the next one round-robin, as a worker
// with N resident guilds sees them: every VM's memory is cold by the time its turn comes. The ours/baseline
// ratio at N = 10 000 is the cost of the isolation beyond the cache misses that any per-guild state has.
// GuildVm side: the worker's young collection after each event included (Worker::afterWork).
void BM_Dispatch_Baseline_BareJson_RoundRobin(benchmark::State& state) {
  stopWatchTimer();
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<lua_State*> states;
  for (std::size_t i = 0; i < n; ++i) {
    lua_State* L = newBareHandlerState();
    lua_gc(L, LUA_GCGEN, 0, 0);  // as GuildVm runs
    states.push_back(L);
  }
  const std::string& data = fixtureData();
  std::string out;
  auto one = [&](lua_State* L) {
    bareDispatch(L, data, out);
    lua_gc(L, LUA_GCSTEP, 0);  // the worker's young collection after each event
  };
  for (int round = 0; round < 3; ++round) {  // every state past its first events (string table, GC ages)
    for (lua_State* L : states) one(L);
  }
  std::size_t next = 0;
  for (auto _ : state) {
    one(states[next]);
    next = next + 1 == n ? 0 : next + 1;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  for (lua_State* L : states) lua_close(L);
}
BENCHMARK(BM_Dispatch_Baseline_BareJson_RoundRobin)->Arg(1)->Arg(10000);

void BM_Dispatch_GuildVm_RoundRobin(benchmark::State& state) {
  boost::asio::io_context io;
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<std::unique_ptr<GuildVm>> vms;
  for (std::size_t i = 0; i < n; ++i) vms.push_back(newVm(io, GuildId{kGuildA.value + i}, {smallTemplate()}));
  const std::string& data = fixtureData();
  auto one = [&](GuildVm& vm) {
    bool done = false;
    bool ok = false;
    vm.dispatch("MESSAGE_CREATE", data, {}, [&](std::vector<TemplateOutcome> outcomes) {
      ok = outcomes.size() == 1 && outcomes[0].ok;
      benchmark::DoNotOptimize(outcomes[0].valueJson.data());
      done = true;
    });
    runUntil(io, done);
    vm.collectAfterWork();
    return ok;
  };
  for (int round = 0; round < 3; ++round) {
    for (auto& vm : vms) {
      if (!one(*vm)) die("a dispatch failed");
    }
  }
  std::size_t next = 0;
  for (auto _ : state) {
    if (!one(*vms[next])) {
      state.SkipWithError("a dispatch failed");
      break;
    }
    next = next + 1 == n ? 0 : next + 1;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_Dispatch_GuildVm_RoundRobin)->Arg(1)->Arg(10000);

// ---------------------------------------------------------------------------------------------------------
// 3. Limit enforcement: a pure-Lua loop with and without limits.

std::string loopData() { return "{\"n\":" + std::to_string(kLoopIterations) + "}"; }

// Baseline: a bare lua_State, no hook, no timer.
void BM_Loop_Baseline_Bare(benchmark::State& state) {
  stopWatchTimer();
  lua_State* L = newBareState();
  runChunk(L, std::string(kLoopFunction) + "return loop", 1);
  for (auto _ : state) {
    lua_pushvalue(L, 1);
    lua_pushinteger(L, kLoopIterations);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) die("loop failed");
    benchmark::DoNotOptimize(lua_tointeger(L, -1));
    lua_settop(L, 1);
  }
  lua_close(L);
}
BENCHMARK(BM_Loop_Baseline_Bare)->Unit(benchmark::kMillisecond);

void emptyHook(lua_State* /*L*/, lua_Debug* /*ar*/) {}

// Context (DESIGN.md): the same loop with a count hook that is always set, the design we do not use.
void BM_Loop_AlwaysOnCountHook(benchmark::State& state) {
  stopWatchTimer();
  lua_State* L = newBareState();
  runChunk(L, std::string(kLoopFunction) + "return loop", 1);
  lua_sethook(L, emptyHook, LUA_MASKCOUNT, 1000);
  for (auto _ : state) {
    lua_pushvalue(L, 1);
    lua_pushinteger(L, kLoopIterations);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) die("loop failed");
    benchmark::DoNotOptimize(lua_tointeger(L, -1));
    lua_settop(L, 1);
  }
  lua_close(L);
}
BENCHMARK(BM_Loop_AlwaysOnCountHook)->Unit(benchmark::kMillisecond);

// The figure: the loop as a template handler, with the worker's ExecutionWatch ticking (arg: tick in µs;
// 2000 is the default) and every slice yielding back to the event loop.
void BM_Loop_GuildVm(benchmark::State& state) {
  ExecutionWatch& watch = ExecutionWatch::current();
  const std::int64_t savedTick = watch.tickMicros();
  watch.setTickMicros(state.range(0));
  boost::asio::io_context io;
  auto vm = newVm(io, kGuildA, {loopTemplate()});
  const std::string data = loopData();
  const std::uint64_t ticks0 = watch.ticks();
  const std::uint64_t slices0 = watch.sliceYields();
  for (auto _ : state) {
    const TemplateOutcome o = dispatchAndWait(io, *vm, "LOOP", data);
    if (!o.ok) {
      state.SkipWithError(("loop failed: " + o.error.message).c_str());
      break;
    }
  }
  const auto iterations = static_cast<double>(state.iterations());
  state.counters["ticks_per_run"] = static_cast<double>(watch.ticks() - ticks0) / iterations;
  state.counters["slices_per_run"] = static_cast<double>(watch.sliceYields() - slices0) / iterations;
  vm.reset();
  watch.setTickMicros(savedTick);
}
BENCHMARK(BM_Loop_GuildVm)->Arg(2000)->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------------------------------------------------
// 4. Fairness: guild B's latency while guild A spins on the same io_context.
//
// A poster thread plays the HTTP side: every `kPostInterval` it posts one of B's MESSAGE_CREATE events to
// the worker's io_context, stamped with the time of posting; the latency is from that stamp to B's outcome.
// A's handler is the pure-Lua loop (kFairnessLoop iterations, a few hundred ms) or, for the baseline, absent.

constexpr auto kPostInterval = std::chrono::microseconds(1000);
constexpr std::int64_t kFairnessLoop = 100'000'000;
constexpr int kIdleEvents = 300;

// Context for the fairness figure: a spinner whose time goes into C library calls instead of Lua code. Each
// string.find below runs until the pattern step budget stops it (StdlibLimits: ~0.1 s); the count hook
// cannot end a slice inside a C function, so guild B waits for each call to end.
constexpr const char* kPatternSpinner = R"lua(
local subject = string.rep("a", 20000)
return function(event)
  local calls = 0
  for _ = 1, event.data.n do
    pcall(string.find, subject, ".-b")
    calls = calls + 1
  end
  return calls
end
)lua";
constexpr std::int64_t kPatternCalls = 5;

enum class Spinner { kNone, kLuaLoop, kCPattern };

void runFairness(benchmark::State& state, Spinner spinner) {
  const bool withSpinner = spinner != Spinner::kNone;
  boost::asio::io_context io;
  auto vmA = newVm(io, kGuildA,
                   {spinner == Spinner::kCPattern ? makeTemplate("pattern", kPatternSpinner, {"LOOP"}) : loopTemplate()});
  const std::int64_t spinArg = spinner == Spinner::kCPattern ? kPatternCalls : kFairnessLoop;
  auto vmB = newVm(io, kGuildB, {smallTemplate()});
  const std::string& data = fixtureData();
  Samples samples(1 << 14);
  double spinMs = 0;
  int failures = 0;
  for (auto _ : state) {
    auto guard = boost::asio::make_work_guard(io);
    std::atomic<bool> stop{false};
    int sent = 0;
    int received = 0;
    const auto start = Clock::now();
    if (withSpinner) {
      vmA->dispatch("LOOP", "{\"n\":" + std::to_string(spinArg) + "}", {},
                    [&](std::vector<TemplateOutcome> outcomes) {
                      if (outcomes.empty() || !outcomes[0].ok) ++failures;
                      spinMs += std::chrono::duration<double, std::milli>(Clock::now() - start).count();
                      stop = true;
                    });
    }
    std::thread poster([&] {
      auto next = Clock::now();
      int posted = 0;
      while (!stop.load() && (withSpinner || posted < kIdleEvents)) {
        const auto stamp = Clock::now();
        boost::asio::post(io, [&, stamp] {
          ++sent;
          vmB->dispatch("MESSAGE_CREATE", data, {}, [&, stamp](std::vector<TemplateOutcome> outcomes) {
            if (outcomes.empty() || !outcomes[0].ok) ++failures;
            samples.add(Clock::now() - stamp);
            ++received;
          });
        });
        ++posted;
        next += kPostInterval;
        std::this_thread::sleep_until(next);
      }
      boost::asio::post(io, [&] { guard.reset(); });
    });
    io.restart();
    io.run();
    poster.join();
    if (received != sent) failures += sent - received;
  }
  if (failures != 0) state.SkipWithError("some events failed or never completed");
  reportPercentiles(state, samples, 1e6, "ms");
  state.counters["events"] = static_cast<double>(samples.size());
  if (withSpinner) state.counters["spin_ms"] = spinMs / static_cast<double>(state.iterations());
}

void BM_Fairness_Baseline_AIdle(benchmark::State& state) { runFairness(state, Spinner::kNone); }
BENCHMARK(BM_Fairness_Baseline_AIdle)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Fairness_ASpinning(benchmark::State& state) { runFairness(state, Spinner::kLuaLoop); }
BENCHMARK(BM_Fairness_ASpinning)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Fairness_ASpinningInPatterns(benchmark::State& state) { runFairness(state, Spinner::kCPattern); }
BENCHMARK(BM_Fairness_ASpinningInPatterns)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---------------------------------------------------------------------------------------------------------
// Summary: each figure beside its baseline, the ratio and the goal.

class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  SummaryReporter() : ConsoleReporter(isatty(STDOUT_FILENO) != 0 ? OO_ColorTabular : OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      repetitions_ = std::max<std::int64_t>(repetitions_, run.repetitions);
      Figures& f = byName_[run.run_name.function_name + (run.run_name.args.empty() ? "" : "/" + run.run_name.args)];
      Sample s;
      const double iterations = static_cast<double>(std::max<benchmark::IterationCount>(run.iterations, 1));
      s.realSeconds = run.real_accumulated_time / iterations;
      s.cpuSeconds = run.cpu_accumulated_time / iterations;
      for (const auto& [name, counter] : run.counters) s.counters[name] = counter.value;
      if (run.run_type == Run::RT_Iteration) {
        f.runs.push_back(std::move(s));
      } else if (run.aggregate_name == "median") {
        f.median = std::move(s);
        f.hasMedian = true;
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    printSummary();
  }

 private:
  struct Sample {
    double realSeconds = 0;  // per iteration
    double cpuSeconds = 0;   // per iteration, this thread's CPU time (what preemption does not inflate)
    std::map<std::string, double> counters;
  };
  struct Figures {
    std::vector<Sample> runs;
    Sample median;
    bool hasMedian = false;
  };

  static double medianOf(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

  // Median over repetitions of a counter, or of the CPU seconds per iteration ("cpu") or the wall seconds per
  // iteration ("real"); NAN when absent.
  double value(const std::string& name, const std::string& counter) const {
    auto it = byName_.find(name);
    if (it == byName_.end()) return NAN;
    const Figures& f = it->second;
    std::vector<double> v;
    for (const Sample& s : f.runs) {
      if (counter == "cpu" || counter == "real") {
        v.push_back(counter == "cpu" ? s.cpuSeconds : s.realSeconds);
      } else if (auto c = s.counters.find(counter); c != s.counters.end()) {
        v.push_back(c->second);
      }
    }
    if (!v.empty()) return medianOf(std::move(v));
    if (!f.hasMedian) return NAN;
    if (counter == "cpu" || counter == "real") return counter == "cpu" ? f.median.cpuSeconds : f.median.realSeconds;
    auto c = f.median.counters.find(counter);
    return c == f.median.counters.end() ? NAN : c->second;
  }

  enum class Verdict { kMet, kNotMet, kInfo };
  static Verdict goal(bool met) { return met ? Verdict::kMet : Verdict::kNotMet; }

  // One line: the figure, its baseline, figure/baseline, the goal and whether it is met.
  static void row(const char* figure, double v, const char* unit, double base, const char* baseName,
                  const char* goalText, Verdict verdict) {
    if (std::isnan(v)) return;
    char ratio[32] = "-";
    if (!std::isnan(base) && base > 0) std::snprintf(ratio, sizeof ratio, "%.2fx", v / base);
    char baseText[64] = "-";
    if (!std::isnan(base)) std::snprintf(baseText, sizeof baseText, "%.4g (%s)", base, baseName);
    const char* verdictText = verdict == Verdict::kMet ? "met" : verdict == Verdict::kNotMet ? "NOT MET" : "";
    std::printf("  %-40s %10.4g %-6s %-34s %-8s %-11s %s\n", figure, v, unit, baseText, ratio, goalText, verdictText);
  }

  void printSummary() const {
    std::printf("\nvm_bench summary: medians over %lld repetition(s); ratio = figure / baseline, both from this run\n",
                static_cast<long long>(repetitions_));
    std::printf("  %-40s %10s %-6s %-34s %-8s %-11s %s\n", "figure", "value", "unit", "baseline", "ratio", "goal", "");

    const std::string create = "BM_Create_GuildVm_SmallTemplate";
    const std::string bare = "BM_Create_Baseline_BareState";
    const double p50 = value(create, "p50_us");
    row("create+load+destroy, p50 wall", p50, "us", value(bare, "p50_us"), "bare newstate+openlibs", "<= 100 us",
        goal(p50 <= 100));
    row("create+load+destroy, p99 wall", value(create, "p99_us"), "us", value(bare, "p99_us"), "bare", "",
        Verdict::kInfo);
    row("create+load+destroy, mean CPU", value(create, "cpu") * 1e6, "us", value(bare, "cpu") * 1e6, "bare", "",
        Verdict::kInfo);
    row("  create+destroy (no template), p50", value("BM_Create_GuildVm_NoTemplate", "p50_us"), "us",
        value(bare, "p50_us"), "bare", "", Verdict::kInfo);

    const double vmCpu = value("BM_Dispatch_GuildVm", "cpu");
    const double vmReal = value("BM_Dispatch_GuildVm", "real");
    const double pcallCpu = value("BM_Dispatch_Baseline_BarePcall", "cpu");
    const double jsonCpu = value("BM_Dispatch_Baseline_BareJson", "cpu");
    row("dispatch, events/s per thread (CPU)", 1 / vmCpu, "ev/s", 1 / jsonCpu, "bare decode+call+encode", ">= 100000",
        goal(1 / vmCpu >= 100000));
    row("dispatch, events/s per thread (wall)", 1 / vmReal, "ev/s", NAN, "", ">= 100000", goal(1 / vmReal >= 100000));
    row("dispatch, CPU per event", vmCpu * 1e6, "us", pcallCpu * 1e6, "bare pcall", "", Verdict::kInfo);
    row("dispatch, CPU per event", vmCpu * 1e6, "us", jsonCpu * 1e6, "bare decode+call+encode", "", Verdict::kInfo);
    row("  round-robin, 1 VM: CPU per event", value("BM_Dispatch_GuildVm_RoundRobin/1", "cpu") * 1e6, "us",
        value("BM_Dispatch_Baseline_BareJson_RoundRobin/1", "cpu") * 1e6, "1 bare state, same work", "",
        Verdict::kInfo);
    row("  round-robin, 10 000 VMs: CPU/event", value("BM_Dispatch_GuildVm_RoundRobin/10000", "cpu") * 1e6, "us",
        value("BM_Dispatch_Baseline_BareJson_RoundRobin/10000", "cpu") * 1e6, "10 000 bare states", "",
        Verdict::kInfo);

    const double loopCpu = value("BM_Loop_GuildVm/2000", "cpu");
    const double bareCpu = value("BM_Loop_Baseline_Bare", "cpu");
    row("loop, limits on (2 ms tick), CPU", loopCpu * 1e3, "ms", bareCpu * 1e3, "bare, no hook/timer", "<= 1.05x",
        goal(loopCpu / bareCpu <= 1.05));
    row("loop, limits on (2 ms tick), wall", value("BM_Loop_GuildVm/2000", "real") * 1e3, "ms",
        value("BM_Loop_Baseline_Bare", "real") * 1e3, "bare", "<= 1.05x",
        goal(value("BM_Loop_GuildVm/2000", "real") / value("BM_Loop_Baseline_Bare", "real") <= 1.05));
    row("  always-on count hook (not used), CPU", value("BM_Loop_AlwaysOnCountHook", "cpu") * 1e3, "ms",
        bareCpu * 1e3, "bare", "", Verdict::kInfo);

    const double fairP99 = value("BM_Fairness_ASpinning", "p99_ms");
    row("guild B latency while A spins, p99", fairP99, "ms", value("BM_Fairness_Baseline_AIdle", "p99_ms"), "A idle",
        "<= 10 ms", goal(fairP99 <= 10));
    row("guild B latency while A spins, max", value("BM_Fairness_ASpinning", "max_ms"), "ms",
        value("BM_Fairness_Baseline_AIdle", "max_ms"), "A idle", "", Verdict::kInfo);
    row("  ...while A spins in string.find, p99", value("BM_Fairness_ASpinningInPatterns", "p99_ms"), "ms",
        value("BM_Fairness_Baseline_AIdle", "p99_ms"), "A idle", "(context)", Verdict::kInfo);
    std::printf("  idle bytes per VM: `vm_bench --idle-rss` (one fresh process per measurement)\n");
    std::fflush(stdout);
  }

  std::int64_t repetitions_ = 1;
  std::map<std::string, Figures> byName_;
};

// ---------------------------------------------------------------------------------------------------------
// Idle RSS: one child process per measurement, so that nothing else has touched the heap.

struct ProcMemory {
  std::int64_t rssBytes = 0;
  std::int64_t pageTableBytes = 0;
};

ProcMemory procMemory() {
  ProcMemory m;
  {
    std::ifstream statm("/proc/self/statm");
    std::int64_t size = 0;
    std::int64_t resident = 0;
    statm >> size >> resident;
    m.rssBytes = resident * sysconf(_SC_PAGESIZE);
  }
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmPTE:", 0) == 0) m.pageTableBytes = std::atoll(line.c_str() + 6) * 1024;
  }
  return m;
}

// The sandbox's library set, stock: base, string, table, math, utf8, coroutine, os.
void openLibrarySubset(lua_State* L) {
  static const luaL_Reg kLibs[] = {{LUA_GNAME, luaopen_base},          {LUA_STRLIBNAME, luaopen_string},
                                   {LUA_TABLIBNAME, luaopen_table},    {LUA_MATHLIBNAME, luaopen_math},
                                   {LUA_UTF8LIBNAME, luaopen_utf8},    {LUA_COLIBNAME, luaopen_coroutine},
                                   {LUA_OSLIBNAME, luaopen_os},        {nullptr, nullptr}};
  for (const luaL_Reg* lib = kLibs; lib->func != nullptr; ++lib) {
    luaL_requiref(L, lib->name, lib->func, 1);
    lua_pop(L, 1);
  }
}

// Prints one line of key=value figures for the parent. Modes: "bare" (stock states), "vm" (the figure),
// "vm-step" and "vm-gc" (diagnostics: a young or full collection right after loading).
int idleChild(const std::string& mode, std::int64_t count) {
  const auto t0 = Clock::now();
  const bool isVm = mode.rfind("vm", 0) == 0;
  const Collect how = mode == "vm-step" ? Collect::kStep : mode == "vm-gc" ? Collect::kFull : Collect::kNone;
  boost::asio::io_context io;
  std::vector<std::unique_ptr<GuildVm>> vms;
  std::vector<lua_State*> states;
  const TemplateSource source = smallTemplate();
  const auto registry = how == Collect::kNone ? plugins() : probePlugins();
  auto create = [&](GuildId guild) {
    auto created = GuildVm::create(guild, serviceConfig(), registry, io);
    if (!created.ok()) die("GuildVm::create: " + created.error().message);
    std::unique_ptr<GuildVm> vm = std::move(created).value();
    bool done = false;
    bool ok = false;
    vm->loadTemplates({source}, [&](std::vector<TemplateOutcome> outcomes) {
      ok = outcomes.size() == 1 && outcomes[0].ok;
      done = true;
    });
    runUntil(io, done);
    if (!ok) die("the small template did not load");
    if (how != Collect::kNone) collect(g_lastMainThread, how);  // idle, on its owning thread
    return vm;
  };
  if (isVm) create(kGuildA).reset();  // first-use set-up (watch timer, arena chunk) outside the delta
  const ProcMemory before = procMemory();
  double heapBytes = 0;
  double coroutines = 0;
  Samples createTimes(static_cast<std::size_t>(count));  // create + load while the earlier VMs stay alive
  if (isVm) {
    vms.reserve(static_cast<std::size_t>(count));
    for (std::int64_t i = 0; i < count; ++i) {
      const auto c0 = Clock::now();
      vms.push_back(create(GuildId{kGuildA.value + static_cast<std::uint64_t>(i)}));
      createTimes.add(Clock::now() - c0);
    }
    for (const auto& vm : vms) {
      heapBytes += static_cast<double>(vm->stats().memoryBytes);
      coroutines += static_cast<double>(vm->stats().coroutines);
    }
  } else {
    states.reserve(static_cast<std::size_t>(count));
    for (std::int64_t i = 0; i < count; ++i) {
      const auto c0 = Clock::now();
      lua_State* L = luaL_newstate();
      if (L == nullptr) die("luaL_newstate failed");
      openLibrarySubset(L);
      states.push_back(L);
      createTimes.add(Clock::now() - c0);
    }
    for (lua_State* L : states) heapBytes += lua_gc(L, LUA_GCCOUNT) * 1024.0 + lua_gc(L, LUA_GCCOUNTB);
  }
  const ProcMemory after = procMemory();
  const double n = static_cast<double>(count);
  const double reserveBytes = isVm ? static_cast<double>(vms.capacity() * sizeof(vms[0]))
                                           : static_cast<double>(states.capacity() * sizeof(states[0]));
  std::printf("rss_per_vm=%.0f heap_per_vm=%.0f pte_per_vm=%.0f arena_slots=%zu seconds=%.2f vector_per_vm=%.0f "
              "coroutines_per_vm=%.2f create_p50_us=%.1f create_p99_us=%.1f\n",
              static_cast<double>(after.rssBytes - before.rssBytes) / n, heapBytes / n,
              static_cast<double>(after.pageTableBytes - before.pageTableBytes) / n,
              tw::limits::StackArena::process().slotsInUse(),
              std::chrono::duration<double>(Clock::now() - t0).count(), reserveBytes / n, coroutines / n,
              createTimes.percentile(50) / 1e3, createTimes.percentile(99) / 1e3);
  std::fflush(stdout);
  std::_Exit(0);  // the figures are out: skip destroying 100 000 VMs
}

// Runs this executable as `--idle-rss-child=MODE --count=N` and parses its key=value line.
std::map<std::string, double> runIdleChild(const std::string& self, const std::string& mode, std::int64_t count) {
  int fds[2];
  if (pipe(fds) != 0) die("pipe failed");
  const pid_t pid = fork();
  if (pid < 0) die("fork failed");
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::string modeArg = "--idle-rss-child=" + mode;
    std::string countArg = "--count=" + std::to_string(count);
    char* args[] = {const_cast<char*>(self.c_str()), modeArg.data(), countArg.data(), nullptr};
    execv(self.c_str(), args);
    std::_Exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[512];
  ssize_t n = 0;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("the idle child (" + mode + ") failed");
  std::map<std::string, double> figures;
  std::istringstream in(out);
  std::string pair;
  while (in >> pair) {
    const auto eq = pair.find('=');
    if (eq != std::string::npos) figures[pair.substr(0, eq)] = std::atof(pair.c_str() + eq + 1);
  }
  return figures;
}

int idleRss(std::int64_t count) {
  char self[4096];
  const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) die("cannot find this executable");
  self[len] = '\0';
  std::printf("idle RSS: %" PRId64 " of each, one fresh process each (RSS delta / count)\n", count);
  auto bare = runIdleChild(self, "bare", count);
  auto vm = runIdleChild(self, "vm", count);
  auto stepped = runIdleChild(self, "vm-step", count);
  auto collected = runIdleChild(self, "vm-gc", count);
  auto line = [](const char* what, std::map<std::string, double>& f) {
    std::printf("  %-44s rss %6.0f B (%4.1f KiB)  lua heap %6.0f B  page tables %5.0f B  coroutines %.2f\n",
                what, f["rss_per_vm"], f["rss_per_vm"] / 1024, f["heap_per_vm"], f["pte_per_vm"],
                f["coroutines_per_vm"]);
    if (f["create_p50_us"] > 0) {
      std::printf("  %-44s creation while the others stay alive: p50 %.1f us, p99 %.1f us\n", "",
                  f["create_p50_us"], f["create_p99_us"]);
    }
  };
  line("bare state, base/string/table/math/utf8/co/os", bare);
  line("GuildVm + one small template, idle", vm);
  line("  the same, a young GC after loading (diag.)", stepped);
  line("  the same, a full GC after loading (diag.)", collected);
  const double perVm = vm["rss_per_vm"];
  std::printf("  idle bytes per GuildVm: %.0f B = %.1f KiB (goal <= 48 KiB: %s); baseline %.0f B; ratio %.2fx\n",
              perVm, perVm / 1024, perVm <= 48 * 1024 ? "met" : "NOT MET", bare["rss_per_vm"],
              perVm / bare["rss_per_vm"]);
  std::printf("  outside the Lua heap (malloc overhead, C++ objects, stack pages): %.0f B per VM; "
              "page tables (not in RSS): %.0f B per VM\n",
              perVm - vm["heap_per_vm"], vm["pte_per_vm"]);
  return 0;
}

std::int64_t countArg(int argc, char** argv, std::int64_t fallback) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--count=", 8) == 0) return std::max<std::int64_t>(1, std::atoll(argv[i] + 8));
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  constexpr std::int64_t kIdleCount = 100'000;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.rfind("--idle-rss-child=", 0) == 0) {
      return idleChild(std::string(arg.substr(17)), countArg(argc, argv, kIdleCount));
    }
    if (arg == "--idle-rss") return idleRss(countArg(argc, argv, kIdleCount));
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  fixtureData();  // fail early when the fixture is missing
  SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
