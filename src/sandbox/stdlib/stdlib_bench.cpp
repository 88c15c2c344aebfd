// Ours vs stock string/table libraries on ordinary workloads (Google Benchmark).
// Built as `stdlib_bench` by bench/CMakeLists.txt. Run:
//   stdlib_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// Each benchmark runs one Lua function that loops over the operation; arg 0 = stock, 1 = ours.

#include <benchmark/benchmark.h>
#include <lua.hpp>

#include <cstdio>
#include <string>

#include "sandbox/stdlib/stdlib.h"

namespace {

using tw::sandbox::stdlib::openString;
using tw::sandbox::stdlib::openTable;

int installOurs(lua_State* L) {
  openString(L, nullptr);
  lua_pushvalue(L, -1);
  lua_setglobal(L, "string");
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  lua_pushvalue(L, -3);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 3);
  openTable(L, nullptr);
  lua_setglobal(L, "table");
  return 0;
}

// Shared set-up: a ~10 KB text of words, numbers and punctuation, and arrays to sort.
constexpr const char* kSetup = R"lua(
  local words = {}
  for i = 1, 1500 do
    words[i] = (i % 7 == 0) and ("n" .. i * 37) or ((i % 5 == 0) and "key=value," or "word")
  end
  text = table.concat(words, " ")
  lines = {}
  for i = 1, 100 do lines[i] = "name" .. i .. " = some value " .. i .. "   " end
  numbers = {}
  for i = 1, 1000 do numbers[i] = (i * 7919) % 1009 end
  strings = {}
  for i = 1, 500 do strings[i] = "item" .. ((i * 7919) % 1009) end
)lua";

class Vm {
 public:
  Vm(bool ours, const char* body) : L_(luaL_newstate()) {
    luaL_openlibs(L_);
    if (ours) {
      lua_pushcfunction(L_, installOurs);
      if (lua_pcall(L_, 0, 0, 0) != LUA_OK) std::fprintf(stderr, "%s\n", lua_tostring(L_, -1));
    }
    if (luaL_dostring(L_, kSetup) != LUA_OK) std::fprintf(stderr, "%s\n", lua_tostring(L_, -1));
    const std::string code = std::string("return function() ") + body + " end";
    if (luaL_loadstring(L_, code.c_str()) != LUA_OK || lua_pcall(L_, 0, 1, 0) != LUA_OK) {
      std::fprintf(stderr, "%s\n", lua_tostring(L_, -1));
    }
    ref_ = luaL_ref(L_, LUA_REGISTRYINDEX);
  }
  ~Vm() { lua_close(L_); }
  Vm(const Vm&) = delete;
  Vm& operator=(const Vm&) = delete;

  bool call() {
    lua_rawgeti(L_, LUA_REGISTRYINDEX, ref_);
    if (lua_pcall(L_, 0, 0, 0) != LUA_OK) {
      std::fprintf(stderr, "%s\n", lua_tostring(L_, -1));
      lua_pop(L_, 1);
      return false;
    }
    return true;
  }

 private:
  lua_State* L_;
  int ref_ = LUA_NOREF;
};

void runBody(benchmark::State& state, const char* body) {
  Vm vm(state.range(0) == 1, body);
  for (auto _ : state) {
    if (!vm.call()) {
      state.SkipWithError("Lua error");
      break;
    }
  }
  state.SetLabel(state.range(0) == 1 ? "ours" : "stock");
}

#define TW_STDLIB_BENCH(name, body)                                   \
  void name(benchmark::State& state) { runBody(state, body); }      \
  BENCHMARK(name)->Arg(0)->Arg(1)

TW_STDLIB_BENCH(BM_FindPlain, "for i = 1, 200 do text:find('n10101', 1, true) end");
TW_STDLIB_BENCH(BM_FindPattern, "for i = 1, 200 do text:find('n%d+5%f[%D]') end");
TW_STDLIB_BENCH(BM_Match, "for _, l in ipairs(lines) do local k, v = l:match('^(%w+)%s*=%s*(.-)%s*$') end");
TW_STDLIB_BENCH(BM_MatchShort, "for i = 1, 1000 do local a, b = ('2024-01-15'):match('(%d+)-(%d+)') end");
TW_STDLIB_BENCH(BM_GsubString, "for i = 1, 10 do local r = text:gsub('%s+', '_') end");
TW_STDLIB_BENCH(BM_GsubFunction, "for i = 1, 10 do local r = text:gsub('%a+', string.upper) end");
TW_STDLIB_BENCH(BM_GsubTable, "local t = {word = 'W'} for i = 1, 10 do local r = text:gsub('%a+', t) end");
TW_STDLIB_BENCH(BM_Gmatch, "for i = 1, 10 do local n = 0 for w in text:gmatch('%a+') do n = n + 1 end end");
TW_STDLIB_BENCH(BM_GmatchCaptures,
                "for i = 1, 10 do for k, v in text:gmatch('(%w+)=(%w+)') do end end");
TW_STDLIB_BENCH(BM_Format, "for i = 1, 1000 do local s = string.format('%d: %s %5.2f', i, 'x', i / 3) end");
TW_STDLIB_BENCH(BM_Rep, "for i = 1, 1000 do local s = ('ab'):rep(100, ',') end");
TW_STDLIB_BENCH(BM_SubByteUpper,
                "for i = 1, 1000 do local s = text:sub(i, i + 20) local b = s:byte(1) local u = s:upper() end");
TW_STDLIB_BENCH(BM_Concat, "for i = 1, 20 do local s = table.concat(strings, ', ') end");
TW_STDLIB_BENCH(BM_SortNumbers, "local t = table.move(numbers, 1, #numbers, 1, {}) table.sort(t)");
TW_STDLIB_BENCH(BM_SortStrings, "local t = table.move(strings, 1, #strings, 1, {}) table.sort(t)");
TW_STDLIB_BENCH(BM_SortComparator,
                "local t = table.move(numbers, 1, #numbers, 1, {}) table.sort(t, function(a, b) return a > b end)");
TW_STDLIB_BENCH(BM_SortSmall, "for i = 1, 1000 do local t = {3, 1, 2, 5, 4} table.sort(t) end");
TW_STDLIB_BENCH(BM_InsertAppend, "local t = {} for i = 1, 1000 do table.insert(t, i) end");
TW_STDLIB_BENCH(BM_InsertFront, "local t = {} for i = 1, 200 do table.insert(t, 1, i) end");
TW_STDLIB_BENCH(BM_RemoveLast, "local t = table.move(numbers, 1, #numbers, 1, {}) for i = 1, 1000 do table.remove(t) end");
TW_STDLIB_BENCH(BM_Unpack, "for i = 1, 1000 do local a, b, c, d = table.unpack(numbers, 1, 4) end");

}  // namespace

BENCHMARK_MAIN();
