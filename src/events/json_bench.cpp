// Benchmarks of the JSON <-> Lua codec on the shared MESSAGE_CREATE fixture, with baselines measured in the
// same run: Boost.JSON parsing the same text, and a bare lua_pcall of a trivial C function.
//
// Built as `json_bench` by bench/CMakeLists.txt (Boost.JSON is used header-only through
// <boost/json/src.hpp>). Run it from the repository root, or with the repository in TW_SOURCE_DIR:
//   json_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>
#include <lua.hpp>

#include <boost/json/src.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "events/event.h"
#include "events/json_lua.h"
#include "events/json_parse.h"

namespace {

using namespace tw::events;

std::string readBody() {
  const char* dir = std::getenv("TW_SOURCE_DIR");
  const std::string path = std::string(dir != nullptr ? dir : ".") + "/bench/fixtures/message_create.json";
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (s.empty()) {
    std::fprintf(stderr, "cannot read %s (set TW_SOURCE_DIR)\n", path.c_str());
    std::exit(1);
  }
  return s;
}

const std::string& body() {
  static const std::string b = readBody();
  return b;
}

const std::string& data() {
  static const std::string d = parseEvent(body()).value().dataJson;
  return d;
}

int openJsonThunk(lua_State* L) {
  openJson(L, nullptr);
  lua_setglobal(L, "json");
  return 0;
}

lua_State* newVm() {
  lua_State* L = luaL_newstate();
  luaL_openlibs(L);
  lua_pushcfunction(L, openJsonThunk);
  if (lua_pcall(L, 0, 0, 0) != LUA_OK) std::abort();
  return L;
}

void reportVm(benchmark::State& state, lua_State* L) {
  state.counters["vm_kb"] = lua_gc(L, LUA_GCCOUNT);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(data().size()));
}

// ---- Baselines ----

int trivial(lua_State* L) {
  lua_pushinteger(L, 1);
  return 1;
}

void BM_Baseline_BarePcall(benchmark::State& state) {
  lua_State* L = luaL_newstate();
  for (auto _ : state) {
    lua_pushcfunction(L, trivial);
    lua_pcall(L, 0, 1, 0);
    lua_settop(L, 0);
  }
  lua_close(L);
}
BENCHMARK(BM_Baseline_BarePcall);

void BM_Baseline_BoostJsonParse(benchmark::State& state) {
  const std::string& text = data();
  boost::json::monotonic_resource mr;
  for (auto _ : state) {
    boost::json::value v = boost::json::parse(text);
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_Baseline_BoostJsonParse);

void BM_Baseline_BoostJsonSerialize(benchmark::State& state) {
  const boost::json::value v = boost::json::parse(data());
  for (auto _ : state) {
    std::string s = boost::json::serialize(v);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_Baseline_BoostJsonSerialize);

// The same table built by Lua itself from a table constructor (its strings are constants, interned when the
// chunk was loaded): a floor for "make these tables in this VM", GC included.
void BM_Baseline_LuaTableConstructor(benchmark::State& state) {
  lua_State* L = newVm();
  if (!pushJson(L, data()).ok()) std::abort();
  lua_setglobal(L, "data");
  const char* kSerialize = R"lua(
    local function lit(v)
      if v == json.null then return "false" end
      local t = type(v)
      if t == "string" then return string.format("%q", v) end
      if t ~= "table" then return tostring(v) end
      local parts = {}
      for k, x in pairs(v) do
        if math.type(k) == "integer" then parts[#parts + 1] = lit(x)
        else parts[#parts + 1] = "[" .. string.format("%q", k) .. "]=" .. lit(x) end
      end
      return "{" .. table.concat(parts, ",") .. "}"
    end
    return "return function() return " .. lit(data) .. " end"
  )lua";
  if (luaL_loadstring(L, kSerialize) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) std::abort();
  std::size_t n = 0;
  const char* src = lua_tolstring(L, -1, &n);
  if (luaL_loadbuffer(L, src, n, "literal") != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) std::abort();
  lua_replace(L, 1);
  lua_settop(L, 1);
  for (auto _ : state) {
    lua_pushvalue(L, 1);
    lua_call(L, 0, 1);
    lua_settop(L, 1);
  }
  reportVm(state, L);
  lua_close(L);
}
BENCHMARK(BM_Baseline_LuaTableConstructor);

// ---- The codec ----

// Host decode of the fixture's data into a Lua table (protected call included), table dropped each time;
// Lua's incremental GC reclaims the garbage inside the loop, as it would on a worker.
void BM_DecodeFixture_Host(benchmark::State& state) {
  lua_State* L = newVm();
  const std::string& text = data();
  for (auto _ : state) {
    if (!pushJson(L, text).ok()) std::abort();
    lua_settop(L, 0);
  }
  reportVm(state, L);
  lua_close(L);
}
BENCHMARK(BM_DecodeFixture_Host);

// json.decode called from Lua (the template-facing path).
void BM_DecodeFixture_LuaCall(benchmark::State& state) {
  lua_State* L = newVm();
  lua_pushlstring(L, data().data(), data().size());
  lua_setglobal(L, "text");
  luaL_loadstring(L, "local d, t = json.decode, text return function() return d(t) end");
  lua_call(L, 0, 1);
  for (auto _ : state) {
    lua_pushvalue(L, 1);
    lua_call(L, 0, 1);
    lua_settop(L, 1);
  }
  reportVm(state, L);
  lua_close(L);
}
BENCHMARK(BM_DecodeFixture_LuaCall);

void BM_EncodeFixture_Host(benchmark::State& state) {
  lua_State* L = newVm();
  if (!pushJson(L, data()).ok()) std::abort();
  std::string out;
  for (auto _ : state) {
    if (!encodeValue(L, 1, out).ok()) std::abort();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["out_bytes"] = static_cast<double>(out.size());
  reportVm(state, L);
  lua_close(L);
}
BENCHMARK(BM_EncodeFixture_Host);

void BM_EncodeFixture_LuaCall(benchmark::State& state) {
  lua_State* L = newVm();
  if (!pushJson(L, data()).ok()) std::abort();
  lua_setglobal(L, "data");
  luaL_loadstring(L, "local e, d = json.encode, data return function() return e(d) end");
  lua_call(L, 0, 1);
  for (auto _ : state) {
    lua_pushvalue(L, 1);
    lua_call(L, 0, 1);
    lua_settop(L, 1);
  }
  reportVm(state, L);
  lua_close(L);
}
BENCHMARK(BM_EncodeFixture_LuaCall);

// Decode + encode back, the JSON share of one dispatch.
void BM_DecodeEncodeFixture_Host(benchmark::State& state) {
  lua_State* L = newVm();
  std::string out;
  for (auto _ : state) {
    if (!pushJson(L, data()).ok() || !encodeValue(L, -1, out).ok()) std::abort();
    lua_settop(L, 0);
  }
  reportVm(state, L);
  lua_close(L);
}
BENCHMARK(BM_DecodeEncodeFixture_Host);

// The API side: validate the whole body and split it into an Event (no VM).
void BM_ParseEventBody(benchmark::State& state) {
  for (auto _ : state) {
    auto e = parseEvent(body());
    benchmark::DoNotOptimize(e);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(body().size()));
}
BENCHMARK(BM_ParseEventBody);

// ---- Array marking alternatives, for the design decision (README.md: the locked metatable won) ----
// The same parser core with a deliberately plain sink (a table per container, filled as elements arrive, no
// key cache); only the marking differs, so the differences between these four are the cost of marking.
// Wall-clock differences are a few percent and easily lost in noise; callgrind instruction counts of the
// real decoder are in README.md.

enum class Marking { kNone, kWeakSetAll, kWeakSetEmptyOnly, kMetatableAll };

template <Marking M>
struct AltSink {
  lua_State* L;
  int nullSlot;
  int markSlot;
  void null() { lua_pushvalue(L, nullSlot); }
  void boolean(bool b) { lua_pushboolean(L, b); }
  void integer(std::int64_t v) { lua_pushinteger(L, v); }
  void number(double d) { lua_pushnumber(L, d); }
  void string(const char* s, std::size_t n, bool escaped) {
    if (!escaped) {
      lua_pushlstring(L, s, n);
    } else {
      luaL_Buffer b;
      char* out = luaL_buffinitsize(L, &b, n);
      luaL_pushresultsize(&b, detail::unescapeString(s, s + n, out));
    }
  }
  void key(const char* s, std::size_t n, bool escaped) { string(s, n, escaped); }
  void beginArray() {
    lua_checkstack(L, 6);
    lua_createtable(L, 0, 0);
  }
  void arrayItem(std::int64_t i) { lua_rawseti(L, -2, i); }
  void endArray(std::int64_t n) {
    if constexpr (M == Marking::kWeakSetAll || M == Marking::kWeakSetEmptyOnly) {
      if (M == Marking::kWeakSetAll || n == 0) {
        lua_pushvalue(L, -1);
        lua_pushboolean(L, 1);
        lua_rawset(L, markSlot);
      }
    } else if constexpr (M == Marking::kMetatableAll) {
      lua_pushvalue(L, markSlot);
      lua_setmetatable(L, -2);
    }
  }
  void beginObject() {
    lua_checkstack(L, 6);
    lua_createtable(L, 0, 0);
  }
  void objectField(std::int64_t) { lua_rawset(L, -3); }
  void endObject(std::int64_t) {}
  void poll() {}
};

template <Marking M>
int altDecodeThunk(lua_State* L) {
  AltSink<M> sink{L, 2, 3};
  detail::Parser<AltSink<M>> parser(data().data(), data().size(), 128, sink);
  if (!parser.parseDocument()) std::abort();
  return 1;
}

template <Marking M>
void BM_DecodeMarking(benchmark::State& state) {
  lua_State* L = newVm();
  pushNull(L);                 // 1 (kept as the null slot's source)
  lua_createtable(L, 0, 0);    // 2: the mark container
  if (M == Marking::kMetatableAll) {
    lua_pushliteral(L, "json.array");
    lua_setfield(L, -2, "__metatable");
  } else {
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
  }
  for (auto _ : state) {
    // Same shape as pushJson: a protected call with null at 2 and marks at 3.
    lua_pushcfunction(L, altDecodeThunk<M>);
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    if (lua_pcall(L, 2, 1, 0) != LUA_OK) std::abort();
    lua_settop(L, 2);
  }
  reportVm(state, L);
  lua_close(L);
}
BENCHMARK(BM_DecodeMarking<Marking::kNone>)->Name("BM_DecodeMarking/none");
BENCHMARK(BM_DecodeMarking<Marking::kWeakSetAll>)->Name("BM_DecodeMarking/weak_set_all_arrays");
BENCHMARK(BM_DecodeMarking<Marking::kWeakSetEmptyOnly>)->Name("BM_DecodeMarking/weak_set_empty_only");
BENCHMARK(BM_DecodeMarking<Marking::kMetatableAll>)->Name("BM_DecodeMarking/metatable_all_arrays");

// The encoder's per-table mark lookup (it asks for objects and empty tables only: 13 lookups on the fixture).
void BM_MarkLookup_WeakSet(benchmark::State& state) {
  lua_State* L = newVm();
  lua_createtable(L, 0, 0);  // 1: weak set with many live entries, as in a busy VM
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_createtable(L, 1000, 0);  // 2: anchors
  for (int i = 1; i <= 1000; ++i) {
    lua_createtable(L, 0, 0);
    lua_pushvalue(L, -1);
    lua_rawseti(L, 2, i);
    lua_pushboolean(L, 1);
    lua_rawset(L, 1);
  }
  lua_createtable(L, 0, 0);  // 3: an unmarked table (the common case: an object)
  for (auto _ : state) {
    lua_pushvalue(L, 3);
    benchmark::DoNotOptimize(lua_rawget(L, 1));
    lua_settop(L, 3);
  }
  lua_close(L);
}
BENCHMARK(BM_MarkLookup_WeakSet);

void BM_MarkLookup_Metatable(benchmark::State& state) {
  lua_State* L = newVm();
  lua_createtable(L, 0, 0);  // 1: the array metatable
  lua_createtable(L, 0, 0);  // 2: an object with a metatable of its own
  lua_createtable(L, 0, 0);
  lua_setmetatable(L, 2);
  const void* mark = lua_topointer(L, 1);
  for (auto _ : state) {
    bool marked = false;
    if (lua_getmetatable(L, 2)) {
      marked = lua_topointer(L, -1) == mark;
      lua_settop(L, 2);
    }
    benchmark::DoNotOptimize(marked);
  }
  lua_close(L);
}
BENCHMARK(BM_MarkLookup_Metatable);

}  // namespace

BENCHMARK_MAIN();
