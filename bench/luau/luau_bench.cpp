// Benchmarks for src/luau.
//
// Compile: lowering throughput (MB/s of Luau source) on >= 512 KB of Luau (the corpus repeated), and Lua
// 5.4's own compiler (luaL_loadbufferx) on the lowered text of the same program; LowerVsLuaCompile
// reports their ratio (goal <= 0.5, must be <= 1.0).
// Runtime: what the number lowering costs when the program runs (integer vs float loop counters,
// helpers for *, %, //, unary minus, and concatenation operands).
#include <benchmark/benchmark.h>

#include <lua.hpp>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "luau/luau.h"

namespace {

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The corpus, each file in its own do-block (so returns stay last in their block), repeated past 512 KB.
const std::string& benchSource() {
  static const std::string source = [] {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::recursive_directory_iterator(TW_LUAU_CORPUS_DIR)) {
      if (e.is_regular_file() && e.path().extension() == ".luau") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    std::string one;
    for (const auto& f : files) one += "do\n" + readFile(f) + "\nend\n";
    std::string all;
    while (all.size() < 512 * 1024) all += one;
    return all;
  }();
  return source;
}

const std::string& benchLowered() {
  static const std::string lowered = [] {
    auto r = tw::luau::lower(benchSource(), "bench.luau");
    if (!r.ok()) throw std::runtime_error(r.error().message);
    return r.value();
  }();
  return lowered;
}

void luaCompile(lua_State* L, const std::string& text) {
  if (luaL_loadbufferx(L, text.data(), text.size(), "=bench", "t") != LUA_OK) {
    throw std::runtime_error(lua_tostring(L, -1));
  }
  lua_pop(L, 1);
}

void BM_Lower(benchmark::State& state) {
  const std::string& src = benchSource();
  for (auto _ : state) {
    auto r = tw::luau::lower(src, "bench.luau");
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * src.size()));
  state.counters["source_KB"] = static_cast<double>(src.size()) / 1024;
}
BENCHMARK(BM_Lower)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

void BM_LuaCompileLowered(benchmark::State& state) {
  const std::string& lua = benchLowered();
  lua_State* L = luaL_newstate();
  for (auto _ : state) luaCompile(L, lua);
  lua_close(L);
  // Bytes of the Luau program, so MB/s compares with BM_Lower.
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * benchSource().size()));
  state.counters["lowered_KB"] = static_cast<double>(lua.size()) / 1024;
}
BENCHMARK(BM_LuaCompileLowered)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

// CPU time of this thread: the machine is shared, so wall time would measure the neighbours.
double threadSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Both, alternating in one loop; ratio = lowering CPU time / Lua compile CPU time.
void BM_LowerVsLuaCompile(benchmark::State& state) {
  const std::string& src = benchSource();
  lua_State* L = luaL_newstate();
  double lowerSeconds = 0;
  double compileSeconds = 0;
  for (auto _ : state) {
    double t0 = threadSeconds();
    auto r = tw::luau::lower(src, "bench.luau");
    double t1 = threadSeconds();
    luaCompile(L, r.value());
    double t2 = threadSeconds();
    lowerSeconds += t1 - t0;
    compileSeconds += t2 - t1;
  }
  lua_close(L);
  double n = static_cast<double>(state.iterations());
  state.counters["lower_ms"] = lowerSeconds / n * 1e3;
  state.counters["luac_ms"] = compileSeconds / n * 1e3;
  state.counters["ratio"] = lowerSeconds / compileSeconds;
}
BENCHMARK(BM_LowerVsLuaCompile)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

// ---- Runtime costs of the number lowering ----

// A Lua state with the prelude published as __luau, running `body` (which defines function run(n)).
class LuaRunner {
 public:
  explicit LuaRunner(const std::string& body) : L_(luaL_newstate()) {
    luaL_openlibs(L_);
    std::string_view prelude = tw::luau::runtimePrelude();
    check(luaL_loadbufferx(L_, prelude.data(), prelude.size(), "=luau_prelude", "t"));
    check(lua_pcall(L_, 0, 1, 0));
    lua_setglobal(L_, "__luau");
    check(luaL_loadbufferx(L_, body.data(), body.size(), "=bench", "t"));
    check(lua_pcall(L_, 0, 0, 0));
  }
  ~LuaRunner() { lua_close(L_); }
  LuaRunner(const LuaRunner&) = delete;
  LuaRunner& operator=(const LuaRunner&) = delete;

  void run(lua_Integer n) {
    lua_getglobal(L_, "run");
    lua_pushinteger(L_, n);
    check(lua_pcall(L_, 1, 1, 0));
    lua_pop(L_, 1);
  }

 private:
  void check(int status) {
    if (status != LUA_OK) throw std::runtime_error(lua_tostring(L_, -1));
  }
  lua_State* L_;
};

void runLoop(benchmark::State& state, const char* body) {
  LuaRunner runner(body);
  constexpr lua_Integer kN = 100000;
  for (auto _ : state) runner.run(kN);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kN));
}

// Array loop with an integer counter (what `for i = 1, n` lowers to) and with a float counter (what
// "every number a double" would give): indexing with a float key converts it on every access.
void BM_RuntimeArrayLoopIntegerCounter(benchmark::State& state) {
  runLoop(state, R"(
    local t = {} for i = 1, 100000 do t[i] = i end
    function run(n) local s = 0.0 for i = 1, n do s = s + t[i] end return s end)");
}
BENCHMARK(BM_RuntimeArrayLoopIntegerCounter);

void BM_RuntimeArrayLoopFloatCounter(benchmark::State& state) {
  runLoop(state, R"(
    local t = {} for i = 1, 100000 do t[i] = i end
    function run(n) local s = 0.0 for i = 1.0, n do s = s + t[i] end return s end)");
}
BENCHMARK(BM_RuntimeArrayLoopFloatCounter);

// t[i + 1]: the literal stays an integer (additive growth cannot reach 2^53 in practice).
void BM_RuntimeIndexPlusIntegerLiteral(benchmark::State& state) {
  runLoop(state, R"(
    local t = {} for i = 1, 100001 do t[i] = i end
    function run(n) local s = 0.0 for i = 1, n do s = s + t[i + 1] end return s end)");
}
BENCHMARK(BM_RuntimeIndexPlusIntegerLiteral);

void BM_RuntimeIndexPlusFloatLiteral(benchmark::State& state) {
  runLoop(state, R"(
    local t = {} for i = 1, 100001 do t[i] = i end
    function run(n) local s = 0.0 for i = 1, n do s = s + t[i + 1.0] end return s end)");
}
BENCHMARK(BM_RuntimeIndexPlusFloatLiteral);

// a * b with two variables: native (can wrap past 2^63) vs the mul helper (doubles, like Luau).
void BM_RuntimeMulNative(benchmark::State& state) {
  runLoop(state, R"(
    function run(n) local s, k = 0.0, 3 for i = 1, n do s = s + i * k end return s end)");
}
BENCHMARK(BM_RuntimeMulNative);

void BM_RuntimeMulHelper(benchmark::State& state) {
  runLoop(state, R"(
    local mul = __luau.mul
    function run(n) local s, k = 0.0, 3 for i = 1, n do s = s + mul(i, k) end return s end)");
}
BENCHMARK(BM_RuntimeMulHelper);

// x * 2 with a literal: written as x * 2.0, no helper needed.
void BM_RuntimeMulFloatLiteral(benchmark::State& state) {
  runLoop(state, R"(
    function run(n) local s = 0.0 for i = 1, n do s = s + i * 2.0 end return s end)");
}
BENCHMARK(BM_RuntimeMulFloatLiteral);

void BM_RuntimeModNative(benchmark::State& state) {
  runLoop(state, R"(
    function run(n) local s = 0 for i = 1, n do if i % 3 == 0 then s = s + 1 end end return s end)");
}
BENCHMARK(BM_RuntimeModNative);

void BM_RuntimeModHelper(benchmark::State& state) {
  runLoop(state, R"(
    local mod = __luau.mod
    function run(n) local s = 0 for i = 1, n do if mod(i, 3) == 0 then s = s + 1 end end return s end)");
}
BENCHMARK(BM_RuntimeModHelper);

void BM_RuntimeNegNative(benchmark::State& state) {
  runLoop(state, R"(
    function run(n) local s = 0.0 for i = 1, n do s = s + -i end return s end)");
}
BENCHMARK(BM_RuntimeNegNative);

void BM_RuntimeNegHelper(benchmark::State& state) {
  runLoop(state, R"(
    local neg = __luau.neg
    function run(n) local s = 0.0 for i = 1, n do s = s + neg(i) end return s end)");
}
BENCHMARK(BM_RuntimeNegHelper);

// "x" .. name: native concatenation vs the str wrapper around a string operand.
void BM_RuntimeConcatNative(benchmark::State& state) {
  runLoop(state, R"(
    local name = "world"
    function run(n) local c = 0 for i = 1, n do local s = "hello " .. name c = c + #s end return c end)");
}
BENCHMARK(BM_RuntimeConcatNative);

void BM_RuntimeConcatStrHelper(benchmark::State& state) {
  runLoop(state, R"(
    local str = __luau.str
    local name = "world"
    function run(n) local c = 0 for i = 1, n do local s = "hello " .. str(name) c = c + #s end return c end)");
}
BENCHMARK(BM_RuntimeConcatStrHelper);

}  // namespace

BENCHMARK_MAIN();
