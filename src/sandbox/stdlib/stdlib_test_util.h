// Test harness for the stdlib tests: a lua_State with either the stock string/table libraries or ours
// installed as the globals `string` and `table`, the string metatable's __index and package.loaded.
//
// Threading: one TestVm per test, used by the test's thread only.
#pragma once

#include <gtest/gtest.h>
#include <lua.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "limits/memory.h"
#include "sandbox/stdlib/stdlib.h"

namespace tw::sandbox::stdlib::testing {

enum class Libs { kStock, kOurs };

namespace detail {

inline int installOurs(lua_State* L) {
  const auto* limits = static_cast<const StdlibLimits*>(lua_touserdata(L, 1));
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "loaded");  // package, loaded
  openString(L, limits);
  lua_pushvalue(L, -1);
  lua_setglobal(L, "string");
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "string");
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);  // ..., stringlib, "", mt
  lua_pushvalue(L, -3);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 3);
  openTable(L, limits);
  lua_pushvalue(L, -1);
  lua_setglobal(L, "table");
  lua_setfield(L, -2, "table");
  lua_pop(L, 2);
  return 0;
}

// Helpers every test chunk may use: ser(...) turns values into a canonical string (for comparing the
// two libraries), check(code) runs a chunk under pcall and serialises what it returned or raised.
inline constexpr const char* kPrelude = R"lua(
local function ser1(v, depth)
  local t = type(v)
  if t == "string" then return string.format("%q", v)
  elseif t == "number" then return math.type(v) .. ":" .. string.format("%q", v)
  elseif t == "table" and depth < 4 then
    local out = {}
    local n = rawlen(v)
    for i = 1, n do out[#out + 1] = ser1(rawget(v, i), depth + 1) end
    if rawget(v, "n") ~= nil then out[#out + 1] = "n=" .. ser1(rawget(v, "n"), depth + 1) end
    return "{" .. table.concat(out, ",") .. "}"
  elseif t == "boolean" or t == "nil" then return tostring(v)
  else return t end
end
function ser(...)
  local out = {}
  for i = 1, select("#", ...) do out[i] = ser1((select(i, ...)), 0) end
  return "(" .. table.concat(out, ",") .. ")"
end
function check(code)
  local f, err = load(code, "=case", "t")
  if not f then return "load error: " .. err end
  return ser(pcall(f))
end
)lua";

}  // namespace detail

class TestVm {
 public:
  // With `budget`, the VM allocates through it (memory cap).
  explicit TestVm(Libs libs, const StdlibLimits* limits = nullptr, tw::limits::MemoryBudget* budget = nullptr)
      : L_(budget != nullptr ? lua_newstate(tw::limits::MemoryBudget::allocate, budget) : luaL_newstate()) {
    luaL_openlibs(L_);
    if (libs == Libs::kOurs) {
      lua_pushcfunction(L_, detail::installOurs);
      lua_pushlightuserdata(L_, const_cast<StdlibLimits*>(limits));
      if (lua_pcall(L_, 1, 0, 0) != LUA_OK) ADD_FAILURE() << lua_tostring(L_, -1);
      lua_settop(L_, 0);
      lua_pushboolean(L_, 1);
      lua_setglobal(L_, "STDLIB_OURS");  // suites skip what stock Lua cannot survive
    }
    const std::string err = run(detail::kPrelude, "=prelude");
    if (!err.empty()) ADD_FAILURE() << err;
  }
  ~TestVm() { lua_close(L_); }
  TestVm(const TestVm&) = delete;
  TestVm& operator=(const TestVm&) = delete;

  lua_State* state() const { return L_; }

  // Runs a chunk; returns "" on success, else the error message.
  std::string run(const std::string& code, const char* name = "=test") {
    std::string err;
    if (luaL_loadbuffer(L_, code.data(), code.size(), name) != LUA_OK || lua_pcall(L_, 0, 0, 0) != LUA_OK) {
      const char* msg = lua_tostring(L_, -1);
      err = msg != nullptr ? msg : "(non-string error)";
    }
    lua_settop(L_, 0);
    return err;
  }

  // check(code) in the VM: the serialised results (or error) of the chunk.
  std::string check(const std::string& code) {
    lua_getglobal(L_, "check");
    lua_pushlstring(L_, code.data(), code.size());
    std::string out;
    if (lua_pcall(L_, 1, 1, 0) != LUA_OK) {
      out = std::string("harness error: ") + lua_tostring(L_, -1);
    } else {
      std::size_t len = 0;
      const char* s = lua_tolstring(L_, -1, &len);
      out.assign(s, len);
    }
    lua_settop(L_, 0);
    return out;
  }

 private:
  lua_State* L_;
};

inline std::string readTestFile(const std::string& name) {
  std::ifstream in(std::string(TW_STDLIB_TEST_DIR) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace tw::sandbox::stdlib::testing
