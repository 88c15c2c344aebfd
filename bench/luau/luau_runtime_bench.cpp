// Lowered Luau against hand-written Lua 5.4 doing the same work, in one VM built as the guild VM builds one
// (memory budget, sandbox, standard plugins, the Luau runtime). Each workload is a pair: Luau source lowered
// by the front-end and run in a Luau template environment, and the Lua a Lua author would write, run in a
// Lua template environment. Each benchmark alternates the two in one loop and reports their CPU time per
// operation and the ratio luau/lua (goal: <= 1.1).
//
// Run: ./luau_runtime_bench   (add --benchmark_filter=Interp to narrow; --benchmark_repetitions=5 to
// see the spread). Thread CPU time is measured, so neighbours on a shared machine matter less.
#include <benchmark/benchmark.h>

#include <lua.hpp>

#include <ctime>
#include <memory>
#include <stdexcept>
#include <string>

#include "limits/memory.h"
#include "limits/stack_arena.h"
#include "luau/luau.h"
#include "luau/runtime/runtime.h"
#include "plugins/standard.h"
#include "sandbox/lua_api.h"
#include "sandbox/sandbox.h"

namespace {

double threadSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

class NullHost final : public tw::sandbox::SandboxHost {
 public:
  void print(lua_State*, std::string_view) noexcept override {}
  bool adoptSchedulerYield(lua_State*) noexcept override { return false; }
  bool ownedByScheduler(lua_State*) noexcept override { return false; }
  bool eventAlive(std::uint64_t) noexcept override { return true; }
  void noteHostError(lua_State*, tw::ErrorKind) noexcept override {}
};

// A guild-like VM holding two functions: the lowered Luau one and the Lua one. Each chunk returns a
// function(n) that does n units of work.
class Pair {
 public:
  Pair(const char* luau, const char* lua) : budget_(std::size_t{64} << 20, &tw::limits::StackArena::process()) {
    L_ = lua_newstate(tw::limits::MemoryBudget::allocate, &budget_);
    tw::sandbox::setThreadOwner(L_, &owner_);
    budget_.enableStackArena();
    check(tw::sandbox::installSandbox(L_, &config_));
    check(tw::plugins::standardPlugins()->install(L_));
    owner_.host = &host_;
    check(tw::sandbox::protect(L_, [this](lua_State* S) {
      tw::luau::installRuntime(S, &cache_);
      tw::luau::pushNewEnvironment(S);
      owner_.envRef = luaL_ref(S, LUA_REGISTRYINDEX);
      return 0;
    }));
    lua_gc(L_, LUA_GCGEN, 0, 0);
    auto lowered = cache_.lower(luau, "bench.luau");
    if (!lowered.ok()) throw std::runtime_error(lowered.error().message);
    luauRef_ = load(*lowered.value(), "@bench.luau", true);
    luaRef_ = load(lua, "@bench.lua", false);
  }
  ~Pair() { lua_close(L_); }
  Pair(const Pair&) = delete;
  Pair& operator=(const Pair&) = delete;

  double runLuau(lua_Integer n) { return run(luauRef_, n); }
  double runLua(lua_Integer n) { return run(luaRef_, n); }
  // The results of one run of each, as text, to check that the two do the same work.
  std::string results(lua_Integer n) { return resultText(luauRef_, n) + " | " + resultText(luaRef_, n); }

 private:
  static void check(const tw::Status& s) {
    if (!s.ok()) throw std::runtime_error(s.error().message);
  }

  int load(const std::string& text, const char* name, bool luauEnv) {
    if (luaL_loadbufferx(L_, text.data(), text.size(), name, "t") != LUA_OK) {
      throw std::runtime_error(lua_tostring(L_, -1));
    }
    if (luauEnv) {
      lua_rawgeti(L_, LUA_REGISTRYINDEX, owner_.envRef);
    } else {
      check(tw::sandbox::protect(L_, [](lua_State* S) {
        tw::sandbox::pushNewEnvironment(S);
        return 1;
      }, 1));
    }
    lua_setupvalue(L_, -2, 1);
    if (lua_pcall(L_, 0, 1, 0) != LUA_OK) throw std::runtime_error(lua_tostring(L_, -1));
    return luaL_ref(L_, LUA_REGISTRYINDEX);
  }

  double run(int ref, lua_Integer n) {
    lua_rawgeti(L_, LUA_REGISTRYINDEX, ref);
    lua_pushinteger(L_, n);
    const double t0 = threadSeconds();
    if (lua_pcall(L_, 1, 1, 0) != LUA_OK) throw std::runtime_error(lua_tostring(L_, -1));
    const double t1 = threadSeconds();
    lua_pop(L_, 1);
    return t1 - t0;
  }

  std::string resultText(int ref, lua_Integer n) {
    lua_rawgeti(L_, LUA_REGISTRYINDEX, ref);
    lua_pushinteger(L_, n);
    if (lua_pcall(L_, 1, 1, 0) != LUA_OK) throw std::runtime_error(lua_tostring(L_, -1));
    std::string text = luaL_tolstring(L_, -1, nullptr);
    lua_pop(L_, 2);
    return text;
  }

  tw::sandbox::SandboxConfig config_;
  tw::limits::MemoryBudget budget_;
  lua_State* L_ = nullptr;
  tw::luau::LoweringCache cache_;
  NullHost host_;
  tw::sandbox::ThreadOwner owner_;
  int luauRef_ = LUA_NOREF;
  int luaRef_ = LUA_NOREF;
};

void runPair(benchmark::State& state, const char* luau, const char* lua, lua_Integer n) {
  Pair pair(luau, lua);
  state.SetLabel(pair.results(8));
  pair.runLuau(n);  // warm up both
  pair.runLua(n);
  double luauSeconds = 0;
  double luaSeconds = 0;
  for (auto _ : state) {
    luauSeconds += pair.runLuau(n);
    luaSeconds += pair.runLua(n);
  }
  const double ops = static_cast<double>(state.iterations()) * static_cast<double>(n);
  state.counters["luau_ns"] = luauSeconds / ops * 1e9;
  state.counters["lua_ns"] = luaSeconds / ops * 1e9;
  state.counters["ratio"] = luauSeconds / luaSeconds;
}

// Generalized iteration over a table with string keys, against pairs().
void BM_IterateMap(benchmark::State& state) {
  runPair(state,
          R"lua(local t = {}
for i = 1, 1000 do t["k" .. i] = i end
return function(n)
  local s = 0
  for _ = 1, n // 1000 do
    for k, v in t do s += v end
  end
  return s
end)lua",
          R"lua(local t = {}
for i = 1, 1000 do t["k" .. i] = i end
return function(n)
  local s = 0
  for _ = 1, n // 1000 do
    for k, v in pairs(t) do s = s + v end
  end
  return s
end)lua",
          1'000'000);
}
BENCHMARK(BM_IterateMap)->Unit(benchmark::kMillisecond);

// Generalized iteration over an array, against ipairs().
void BM_IterateArray(benchmark::State& state) {
  runPair(state,
          R"lua(local t = {}
for i = 1, 1000 do t[i] = i end
return function(n)
  local s = 0
  for _ = 1, n // 1000 do
    for i, v in t do s += v end
  end
  return s
end)lua",
          R"lua(local t = {}
for i = 1, 1000 do t[i] = i end
return function(n)
  local s = 0
  for _ = 1, n // 1000 do
    for i, v in ipairs(t) do s = s + v end
  end
  return s
end)lua",
          1'000'000);
}
BENCHMARK(BM_IterateArray)->Unit(benchmark::kMillisecond);

// Compound assignment on locals, fields and computed keys.
void BM_CompoundAssignment(benchmark::State& state) {
  runPair(state,
          R"lua(return function(n)
  local stats = { count = 0, total = 0 }
  local buckets = { 0, 0, 0, 0, 0, 0, 0, 0 }
  local s = 0
  for i = 1, n do
    stats.count += 1
    stats.total += i
    buckets[i % 8 + 1] += 1
    s -= 1
  end
  return stats.count + stats.total + buckets[1] + s
end)lua",
          R"lua(return function(n)
  local stats = { count = 0, total = 0 }
  local buckets = { 0, 0, 0, 0, 0, 0, 0, 0 }
  local s = 0
  for i = 1, n do
    stats.count = stats.count + 1
    stats.total = stats.total + i
    local k = i % 8 + 1
    buckets[k] = buckets[k] + 1
    s = s - 1
  end
  return stats.count + stats.total + buckets[1] + s
end)lua",
          1'000'000);
}
BENCHMARK(BM_CompoundAssignment)->Unit(benchmark::kMillisecond);

// String interpolation of a string, an integral number and a fraction, against `..`.
void BM_Interpolation(benchmark::State& state) {
  runPair(state,
          R"lua(return function(n)
  local name, count, ratio = "alice", 42, 0.25
  local total = 0
  for i = 1, n do
    local s = `{name} has {count} points ({ratio} of the max)`
    total += #s
  end
  return total
end)lua",
          R"lua(return function(n)
  local name, count, ratio = "alice", 42, 0.25
  local total = 0
  for i = 1, n do
    local s = name .. " has " .. count .. " points (" .. ratio .. " of the max)"
    total = total + #s
  end
  return total
end)lua",
          200'000);
}
BENCHMARK(BM_Interpolation)->Unit(benchmark::kMillisecond);

// continue in a numeric loop, against the if-not form a Lua author writes.
void BM_Continue(benchmark::State& state) {
  runPair(state,
          R"lua(return function(n)
  local s = 0
  for i = 1, n do
    if i % 3 == 0 then continue end
    s += i
  end
  return s
end)lua",
          R"lua(return function(n)
  local s = 0
  for i = 1, n do
    if i % 3 ~= 0 then
      s = s + i
    end
  end
  return s
end)lua",
          1'000'000);
}
BENCHMARK(BM_Continue)->Unit(benchmark::kMillisecond);

// A number-heavy loop: an oscillator integrated in doubles (products of variables, division, sqrt). It
// is undamped, so the values stay normal doubles (a damped one decays into subnormals, which are slow for
// reasons that have nothing to do with the lowering).
void BM_NumberLoop(benchmark::State& state) {
  runPair(state,
          R"lua(return function(n)
  local x, v, dt = 0.0, 10.0, 0.016
  local energy = 0.0
  for i = 1, n do
    local a = -x * 4.0
    v += a * dt
    x += v * dt
    energy += math.sqrt(x * x + v * v) / 2
  end
  return energy
end)lua",
          R"lua(return function(n)
  local x, v, dt = 0.0, 10.0, 0.016
  local energy = 0.0
  for i = 1, n do
    local a = -x * 4.0
    v = v + a * dt
    x = x + v * dt
    energy = energy + math.sqrt(x * x + v * v) / 2
  end
  return energy
end)lua",
          1'000'000);
}
BENCHMARK(BM_NumberLoop)->Unit(benchmark::kMillisecond);

// Integer-valued arithmetic: a rolling hash (products and modulo of variables).
void BM_NumberHash(benchmark::State& state) {
  runPair(state,
          R"lua(return function(n)
  local h, m = 7, 1000003
  for i = 1, n do
    h = (h * 31 + i) % m
  end
  return h
end)lua",
          R"lua(return function(n)
  local h, m = 7, 1000003
  for i = 1, n do
    h = (h * 31 + i) % m
  end
  return h
end)lua",
          1'000'000);
}
BENCHMARK(BM_NumberHash)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
