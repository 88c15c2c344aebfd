// Test helpers: lower Luau and run the output through the real Lua 5.4 interpreter (a subprocess).
//
// Threading: functions are reentrant (each run uses its own temporary directory).
#pragma once

#include <string>
#include <string_view>

namespace tw::luau::testing {

struct LuaRun {
  int exitCode = -1;    // 0 ok, 1 runtime error, 2 load (compile) error
  std::string output;   // stdout and stderr; errors are printed as "ERROR: <message>" plus a traceback
};

// Lowers `source` (failing the current test on a syntax error) and returns the Lua text.
std::string lowerOrFail(std::string_view source, std::string_view chunkName = "init.luau");

// Runs lowered Lua in lua5.4 with the prelude published as `__luau`, and `print`/`tostring` replaced by
// Luau-style ones (as the VM team will do). The chunk is named "@<chunkName>".
LuaRun runLowered(std::string_view lua, std::string_view chunkName = "init.luau");

// Lowers and runs.
LuaRun runLuau(std::string_view source, std::string_view chunkName = "init.luau");

// Whether `luac5.4 -p` accepts the text; `diagnostics` receives its output.
bool luacAccepts(std::string_view lua, std::string* diagnostics = nullptr);

std::string readFile(const std::string& path);

}  // namespace tw::luau::testing
