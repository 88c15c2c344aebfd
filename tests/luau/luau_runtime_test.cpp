// The Luau runtime in a sandboxed VM built as the guild VM builds one (memory budget, sandbox, standard
// plugins) plus installRuntime(): the Luau-written suites in this folder, and the checks that need the host
// (deadlines, slices, the memory cap, number text against the front-end's formatter, the lowering cache).
//
// Each suite file returns a function; the runner calls it as a handler (in a coroutine under a deadline,
// resuming it after time-slice yields as the scheduler does) and expects it to return a summary string. A
// test-only `require` loads helper modules from this folder (lib/check.luau).
//
// Threading: each test uses its own VM on the test's thread.
#include <gtest/gtest.h>

#include <lua.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "limits/interrupt.h"
#include "limits/memory.h"
#include "limits/stack_arena.h"
#include "luau/luau.h"
#include "luau/numfmt.h"
#include "luau/runtime/internal.h"  // white-box: the prelude with and without natives
#include "luau/runtime/runtime.h"
#include "plugins/standard.h"
#include "sandbox/lua_api.h"
#include "sandbox/sandbox.h"

namespace tw::luau {
namespace {

namespace fs = std::filesystem;

fs::path testsDir() { return fs::path(TW_LUAU_TESTS_DIR); }

std::string readText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Prints go to `lines`; the scheduler-facing hooks say "no scheduler here".
class CaptureHost final : public sandbox::SandboxHost {
 public:
  void print(lua_State* /*L*/, std::string_view line) noexcept override {
    try {
      lines.emplace_back(line);
    } catch (...) {
    }
  }
  bool adoptSchedulerYield(lua_State* /*co*/) noexcept override { return false; }
  bool ownedByScheduler(lua_State* /*co*/) noexcept override { return false; }
  bool eventAlive(std::uint64_t /*eventId*/) noexcept override { return true; }
  void noteHostError(lua_State* /*L*/, ErrorKind /*kind*/) noexcept override {}

  std::vector<std::string> lines;
};

struct RunResult {
  bool ok = false;
  bool killed = false;
  std::string value;  // the results, as Luau's tostring writes them, joined by ", "
  std::string error;
  std::uint64_t sliceYields = 0;
};

// Lowered text of the last test-require, kept outside any frame that Lua may unwind.
thread_local std::string t_required;

// require(path) for the tests: "./lib/check" -> tests/luau/lib/check.luau, lowered, run once, cached.
// Upvalues: 1 = cache table, 2 = environment, 3 = LoweringCache (light userdata).
int testRequire(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  lua_settop(L, 1);
  lua_pushvalue(L, 1);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
  lua_pop(L, 1);
  bool found = false;
  {
    std::string path(name);
    if (path.rfind("./", 0) == 0) path = path.substr(2);
    const fs::path file = testsDir() / (path + ".luau");
    if (fs::exists(file)) {
      auto* cache = static_cast<LoweringCache*>(lua_touserdata(L, lua_upvalueindex(3)));
      auto lowered = cache->lower(readText(file), path + ".luau");
      t_required = lowered.ok() ? *lowered.value() : "error(" + std::string("\"syntax error in module\"") + ")";
      found = true;
    }
  }
  if (!found) return luaL_error(L, "module '%s' not found", name);
  if (luaL_loadbufferx(L, t_required.data(), t_required.size(), name, "t") != LUA_OK) return lua_error(L);
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_setupvalue(L, -2, 1);
  lua_call(L, 0, 1);
  lua_pushvalue(L, 1);
  lua_pushvalue(L, -2);
  lua_rawset(L, lua_upvalueindex(1));
  return 1;
}

// One guild VM as GuildVm::init builds it, the Luau runtime, and one Luau template environment.
class LuauVm {
 public:
  explicit LuauVm(std::size_t memoryLimit = std::size_t{16} << 20)
      : budget_(memoryLimit, &limits::StackArena::process()) {
    L_ = lua_newstate(limits::MemoryBudget::allocate, &budget_);
    lua_atpanic(L_, [](lua_State* S) -> int {
      std::fprintf(stderr, "unprotected Lua error: %s\n", lua_tostring(S, -1));
      std::abort();
    });
    sandbox::setThreadOwner(L_, nullptr);
    budget_.enableStackArena();
    limits::MemoryBudget::HostScope host(budget_);
    Status s = sandbox::installSandbox(L_, &config_);
    EXPECT_TRUE(s.ok()) << s.error().message;
    s = plugins::standardPlugins()->install(L_);
    EXPECT_TRUE(s.ok()) << s.error().message;
    owner_.host = &host_;
    owner_.templateName = "luau-test";
    owner_.capabilities = {"*"};
    s = sandbox::protect(L_, [this](lua_State* S) {
      installRuntime(S, &cache_);
      installRuntime(S, &cache_);  // a second call does nothing
      pushNewEnvironment(S);
      lua_newtable(S);
      lua_pushvalue(S, -2);
      lua_pushlightuserdata(S, &cache_);
      lua_pushcclosure(S, testRequire, 3);
      lua_setfield(S, -2, "require");
      owner_.envRef = luaL_ref(S, LUA_REGISTRYINDEX);
      return 0;
    });
    EXPECT_TRUE(s.ok()) << s.error().message;
    lua_gc(L_, LUA_GCGEN, 0, 0);  // as GuildVm
  }
  ~LuauVm() { lua_close(L_); }
  LuauVm(const LuauVm&) = delete;
  LuauVm& operator=(const LuauVm&) = delete;

  lua_State* state() { return L_; }
  limits::MemoryBudget& budget() { return budget_; }
  LoweringCache& cache() { return cache_; }
  CaptureHost& host() { return host_; }
  sandbox::ThreadOwner& owner() { return owner_; }

  // Lowers and runs `source` as the main chunk of a coroutine; when it returns a function and
  // `callResult` is set, runs that function (a handler) too, in a fresh coroutine. Both runs share one
  // deadline `timeoutMs` from now.
  RunResult run(const std::string& source, const std::string& chunkName = "test.luau", int timeoutMs = 10000,
                bool callResult = true) {
    RunResult r;
    auto lowered = cache_.lower(source, chunkName);
    if (!lowered.ok()) {
      r.error = lowered.error().message;
      return r;
    }
    const std::int64_t deadline = limits::monotonicNanos() + std::int64_t{timeoutMs} * 1'000'000;
    std::shared_ptr<const std::string> text = lowered.value();
    const std::string name = "@" + chunkName;
    bool loadFailed = false;
    Status s = protectedStart([&](lua_State* S) {
      if (luaL_loadbufferx(S, text->data(), text->size(), name.c_str(), "t") != LUA_OK) {
        loadFailed = true;
        return 1;
      }
      lua_rawgeti(S, LUA_REGISTRYINDEX, owner_.envRef);
      lua_setupvalue(S, -2, 1);
      return 1;
    });
    if (!s.ok() || loadFailed) {
      r.error = s.ok() ? sandbox::errorMessage(L_, -1) : s.error().message;
      lua_settop(L_, 0);
      return r;
    }
    int nres = resume(deadline, &r);
    if (r.ok && callResult && nres >= 1 && lua_type(L_, -nres) == LUA_TFUNCTION) {
      lua_pushvalue(L_, -nres);
      lua_insert(L_, 1);
      lua_settop(L_, 1);
      nres = resume(deadline, &r);
    }
    if (r.ok) r.value = describe(nres);
    lua_settop(L_, 0);
    return r;
  }

  RunResult runFile(const std::string& file, int timeoutMs = 20000) {
    return run(readText(testsDir() / file), file, timeoutMs);
  }

 private:
  template <typename F>
  Status protectedStart(F&& body) {
    limits::MemoryBudget::HostScope host(budget_);
    return sandbox::protect(L_, body, 1);
  }

  // Runs the function on top of L_ in a new coroutine, resuming after slice yields. Leaves its results on
  // L_ (returns how many) or fills r.error.
  int resume(std::int64_t deadline, RunResult* r) {
    lua_State* co = nullptr;
    {
      limits::MemoryBudget::HostScope host(budget_);
      Status s = sandbox::protect(
          L_,
          [&co, this](lua_State* S) {
            co = lua_newthread(S);
            sandbox::setThreadOwner(co, &owner_);
            lua_insert(S, -2);
            lua_xmove(S, co, 1);
            return 1;
          },
          1, 1);
      if (!s.ok()) {
        r->ok = false;
        r->error = s.error().message;
        return 0;
      }
    }
    const int threadSlot = lua_gettop(L_);
    limits::ExecutionWatch& watch = limits::ExecutionWatch::current();
    int status = LUA_OK;
    int nres = 0;
    for (;;) {
      watch.beginRun(co, deadline);
      status = lua_resume(co, L_, 0, &nres);
      const bool killed = watch.endRun() == limits::Interrupt::kKill;
      r->killed = r->killed || killed;
      if (status == LUA_YIELD && !killed && watch.takeSliceYield(co)) {
        lua_pop(co, nres);
        ++r->sliceYields;
        continue;
      }
      break;
    }
    if (status == LUA_OK) {
      r->ok = true;
      lua_xmove(co, L_, nres);
      lua_remove(L_, threadSlot);
      return nres;
    }
    r->ok = false;
    r->error = status == LUA_YIELD ? "the test yielded (no scheduler here)" : sandbox::errorMessage(co, -1);
    lua_settop(co, 0);
    lua_remove(L_, threadSlot);
    return 0;
  }

  // The top `n` values of L_ as Luau's tostring writes them, joined by ", ".
  std::string describe(int n) {
    std::string out;
    for (int i = lua_gettop(L_) - n + 1; i <= lua_gettop(L_); ++i) {
      if (!out.empty()) out += ", ";
      out += toText(i);
    }
    return out;
  }

  std::string toText(int index) {
    limits::MemoryBudget::HostScope host(budget_);
    lua_pushvalue(L_, index);
    std::string text;
    Status s = sandbox::protect(
        L_,
        [](lua_State* S) {
          pushSharedGlobals(S);
          lua_getfield(S, -1, "tostring");
          lua_pushvalue(S, 2);
          lua_call(S, 1, 1);
          return 1;
        },
        1, 1);
    if (!s.ok()) return "<" + s.error().message + ">";
    text = sandbox::errorMessage(L_, -1);
    lua_pop(L_, 1);
    return text;
  }

  sandbox::SandboxConfig config_;
  limits::MemoryBudget budget_;
  lua_State* L_ = nullptr;
  LoweringCache cache_;
  CaptureHost host_;
  sandbox::ThreadOwner owner_;
};

// ---- The Luau-written suites ----

std::vector<std::string> suiteFiles() {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(testsDir())) {
    if (entry.is_regular_file() && entry.path().extension() == ".luau") files.push_back(entry.path().filename());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class LuauSuiteTest : public ::testing::TestWithParam<std::string> {};

TEST_P(LuauSuiteTest, Passes) {
  LuauVm vm;
  RunResult r = vm.runFile(GetParam());
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_NE(r.value.find("cases ok"), std::string::npos) << r.value;
  EXPECT_FALSE(r.killed);
}

INSTANTIATE_TEST_SUITE_P(Files, LuauSuiteTest, ::testing::ValuesIn(suiteFiles()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string name = param.param.substr(0, param.param.size() - 5);
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

// ---- Host-side checks ----

TEST(LuauRuntimeTest, InstalledOnceWithLuauGlobals) {
  LuauVm vm;
  EXPECT_TRUE(runtimeInstalled(vm.state()));
  RunResult r = vm.run("return _VERSION, typeof(buffer.create(1)), type(bit32), typeof(task), _G == getfenv()");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.value, "Luau, buffer, table, table, true");
}

TEST(LuauRuntimeTest, NumberTextMatchesTheFrontEnd) {
  LuauVm vm;
  lua_State* L = vm.state();
  std::mt19937_64 rng(12345);
  std::vector<double> values = {0.0, -0.0, 1.0, -1.0, 0.1, 0.1 + 0.2, 1e21, 1e20, 1e-5, 1e-6, 123456.789, 5e-324,
                                2.2250738585072014e-308, 1.7976931348623157e308, 9007199254740993.0,
                                std::ldexp(1.0, 63), HUGE_VAL, -HUGE_VAL};
  for (int i = 0; i < 20000; ++i) {
    std::uint64_t bits = rng();
    double d = 0;
    std::memcpy(&d, &bits, sizeof d);
    if (!std::isnan(d)) values.push_back(d);
    values.push_back(static_cast<double>(static_cast<std::int64_t>(rng() % 2000001) - 1000000) / 1000.0);
  }
  limits::MemoryBudget::HostScope host(vm.budget());
  for (double v : values) {
    std::string got;
    Status s = sandbox::protect(L, [v, &got](lua_State* S) {
      pushSharedGlobals(S);
      lua_getfield(S, -1, "tostring");
      lua_pushnumber(S, v);
      lua_call(S, 1, 1);
      got = lua_tostring(S, -1);
      return 0;
    });
    ASSERT_TRUE(s.ok()) << s.error().message;
    ASSERT_EQ(got, luauNumberToString(v)) << "for " << v;
  }
}

TEST(LuauRuntimeTest, PrintWritesLuauTextToTheHost) {
  LuauVm vm;
  RunResult r = vm.run("print(0.1 + 0.2, 10 / 2, -0, nil, true, 'x', 2^63, 1e100, 0/0 ~= 0/0)");
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(vm.host().lines.size(), 1u);
  EXPECT_EQ(vm.host().lines[0], "0.30000000000000004\t5\t-0\tnil\ttrue\tx\t9223372036854776000\t1e+100\ttrue");
}

TEST(LuauRuntimeTest, PrintIsCutAtTheSandboxLimit) {
  LuauVm vm;
  RunResult r = vm.run("print(string.rep('a', 10000), 'b')");
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(vm.host().lines.size(), 1u);
  EXPECT_EQ(vm.host().lines[0].size(), sandbox::SandboxConfig{}.maxPrintBytes);
}

TEST(LuauRuntimeTest, CollectIsSlicedAndRestoresGenerationalMode) {
  LuauVm vm(std::size_t{64} << 20);
  limits::ExecutionWatch& watch = limits::ExecutionWatch::current();
  const std::int64_t tick = watch.tickMicros();
  watch.setTickMicros(200);
  RunResult r = vm.run(R"(
    local keep = {}
    for i = 1, 150000 do keep[i] = { i, tostring(i) } end
    for i = 1, 150000, 2 do keep[i] = nil end
    local before = collectgarbage("count")
    collectgarbage("collect")
    local after = collectgarbage("count")
    return before > after, #keep >= 0
  )");
  watch.setTickMicros(tick);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.value, "true, true");
  EXPECT_GT(r.sliceYields, 0u) << "a full collection of this heap takes many ticks";
  // The VM is back in generational mode: switching to it again reports the previous mode as generational.
  EXPECT_EQ(lua_gc(vm.state(), LUA_GCGEN, 0, 0), LUA_GCGEN);
}

TEST(LuauRuntimeTest, CollectInALoopIsKilledAtTheDeadline) {
  LuauVm vm(std::size_t{64} << 20);
  const std::int64_t start = limits::monotonicNanos();
  RunResult r = vm.run(R"(
    local keep = {}
    for i = 1, 200000 do keep[i] = { i } end
    while true do collectgarbage("collect") end
  )",
                       "gc_loop.luau", 300);
  const double seconds = static_cast<double>(limits::monotonicNanos() - start) / 1e9;
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.killed);
  EXPECT_NE(r.error.find(limits::kKillMessage), std::string::npos) << r.error;
  EXPECT_LT(seconds, 2.0);
}

TEST(LuauRuntimeTest, BuffersCountAgainstTheMemoryCap) {
  LuauVm vm(std::size_t{8} << 20);
  RunResult r = vm.run("local b = buffer.create(6 * 1024 * 1024) return buffer.len(b)");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.value, "6291456");
  EXPECT_GE(vm.budget().peak(), std::size_t{6} << 20);
  RunResult big = vm.run("local b = buffer.create(64 * 1024 * 1024) return buffer.len(b)");
  EXPECT_FALSE(big.ok);
  EXPECT_NE(big.error.find("not enough memory"), std::string::npos) << big.error;
}

TEST(LuauRuntimeTest, LoadstringUsesTheLoweringCache) {
  LuauVm vm;
  const CacheStats before = vm.cache().stats();
  RunResult r = vm.run(R"(
    local total = 0
    for i = 1, 5 do total += loadstring("return 20 + 1")() end
    return total
  )");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.value, "105");
  const CacheStats after = vm.cache().stats();
  EXPECT_EQ(after.misses - before.misses, 2u);  // the test chunk and the loadstring text
  EXPECT_EQ(after.hits - before.hits, 4u);
}

TEST(LuauRuntimeTest, RuntimeErrorsNameTheLuauLine) {
  LuauVm vm;
  RunResult r = vm.run("local x = 1\nlocal t = nil\nreturn t.field\n", "lines.luau");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("lines.luau:3:", 0), 0u) << r.error;
}

// The C helpers (natives.cpp) against the prelude's Lua definitions, value for value and message for message,
// over a grid of operands: integers at the edges, -0, nan, infinities, numeric strings, tables and userdata
// with and without metamethods.
TEST(LuauRuntimeTest, NativeHelpersMatchThePrelude) {
  LuauVm vm;
  lua_State* L = vm.state();
  limits::MemoryBudget::HostScope host(vm.budget());
  std::string mismatches;
  Status s = sandbox::protect(L, [&mismatches](lua_State* S) {
    static constexpr std::string_view kDriver = R"lua(
      local luaHelpers, nativeHelpers, values = ...
      local function show(ok, ...)
        local out = { ok and "ok" or "error" }
        for i = 1, select("#", ...) do
          local v = select(i, ...)
          local t = type(v)
          if t == "number" then
            out[#out + 1] = math.type(v) == "integer" and ("int:" .. v) or ("float:" .. string.format("%a", v))
          elseif t == "string" then
            out[#out + 1] = "string:" .. v
          else
            out[#out + 1] = t
          end
        end
        return table.concat(out, " ")
      end
      local function call(f, ...)
        local results = table.pack(f(...))
        return table.unpack(results, 1, results.n)
      end
      local bad = {}
      local function compare(name, ...)
        local expected = show(pcall(call, luaHelpers[name], ...))
        local got = show(pcall(call, nativeHelpers[name], ...))
        if expected ~= got and #bad < 20 then
          local args = table.pack(...)
          for i = 1, args.n do args[i] = tostring(args[i]) end
          bad[#bad + 1] = name .. "(" .. table.concat(args, ", ", 1, args.n) .. "): " .. expected .. " / " .. got
        end
      end
      for i = 1, values.n do
        local a = values[i]
        compare("neg", a)
        compare("str", a)
        compare("tostr", a)
        if type(a) == "number" then compare("num2str", a) end
        for j = 1, values.n do
          local b = values[j]
          compare("mul", a, b)
          compare("idiv", a, b)
          compare("mod", a, b)
          compare("interp", "x", a, "y", b, "")
        end
      end
      return table.concat(bad, "\n")
    )lua";
    sandbox::pushSharedGlobals(S);
    const int luaGlobals = lua_gettop(S);
    pushSharedGlobals(S);
    const int luauGlobals = lua_gettop(S);
    rt::pushPreludeEnvironment(S, luaGlobals, luauGlobals, false);
    rt::pushPrelude(S, -1);
    const int luaHelpers = lua_gettop(S);
    rt::pushPreludeEnvironment(S, luaGlobals, luauGlobals, true);
    rt::pushPrelude(S, -1);
    const int nativeHelpers = lua_gettop(S);
    // The operands, built in Lua (the Lua flavour's environment).
    static constexpr std::string_view kValues = R"lua(
      local meta = { __mul = function() return "m" end, __idiv = function() return "i" end,
                     __mod = function() return "o" end, __unm = function() return "u" end,
                     __tostring = function() return "T" end }
      local numberText = setmetatable({}, { __tostring = function() return 1.5 end })
      local badText = setmetatable({}, { __tostring = function() return {} end })
      return table.pack(0, -0.0, 1, -1, 2, 3, 7, 94906264, 94906265, -94906265, 2^31, 1 << 53, (1 << 53) + 1,
        1 << 62, math.maxinteger, math.mininteger, 0.0, 0.5, -2.5, 1e300, -1e-300, 1/0, -1/0, 0/0, 5.3,
        "10", "0x10", " 3 ", "1e2", "abc", "", true, false, nil, {}, setmetatable({}, meta), numberText,
        badText, print)
    )lua";
    if (luaL_loadbufferx(S, kValues.data(), kValues.size(), "=values", "t") != LUA_OK) return lua_error(S);
    sandbox::pushNewEnvironment(S);
    lua_setupvalue(S, -2, 1);
    lua_call(S, 0, 1);
    const int values = lua_gettop(S);
    if (luaL_loadbufferx(S, kDriver.data(), kDriver.size(), "=driver", "t") != LUA_OK) return lua_error(S);
    sandbox::pushNewEnvironment(S);
    lua_setupvalue(S, -2, 1);
    lua_pushvalue(S, luaHelpers);
    lua_pushvalue(S, nativeHelpers);
    lua_pushvalue(S, values);
    lua_call(S, 3, 1);
    mismatches = lua_tostring(S, -1);
    return 0;
  });
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(mismatches, "");
}

TEST(LuauRuntimeTest, LuaFlavourSeesSplitOnly) {
  // The string metatable is shared: Lua code sees `split` as a string method, and nothing else changes.
  LuauVm vm;
  limits::MemoryBudget::HostScope host(vm.budget());
  lua_State* L = vm.state();
  std::string result;
  Status s = sandbox::protect(L, [&result](lua_State* S) {
    const char* code = "return ('a,b'):split(',')[2], string.format('%s', 10 / 2), type(bit32)";
    if (luaL_loadstring(S, code) != LUA_OK) return lua_error(S);
    sandbox::pushNewEnvironment(S);
    lua_setupvalue(S, -2, 1);
    lua_call(S, 0, 3);
    const int first = lua_gettop(S) - 2;
    for (int i = first; i < first + 3; ++i) {
      if (i > first) result += " ";
      result += luaL_tolstring(S, i, nullptr);  // as Lua's tostring writes it
      lua_pop(S, 1);
    }
    return 0;
  });
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(result, "b 5.0 nil");
}

}  // namespace
}  // namespace tw::luau

