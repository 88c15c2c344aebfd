// Lowering: writes Lua 5.4 text for a parsed chunk. Every source token lands on its source line; tokens the
// lowering adds go on the current line. Helpers come from locals bound on line 1 to fields of the
// reserved global (kHelperGlobal); see prelude.cpp for what each helper does.
//
// Threading: owned by one thread (one lowering).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "luau/arena.h"
#include "luau/ast.h"
#include "luau/lexer.h"

namespace tw::luau {

// Lua 5.4's parser stops at 200 nested C levels (statements + subexpressions); the lowering refuses
// output deeper than this, leaving the rest for the caller's own C levels.
inline constexpr int kMaxLuaLevels = 180;

// Returns the Lua text, or an empty string after reporting to `errors` (offset = start of the line).
std::string emitLua(const Chunk& chunk, std::string_view source, Arena& arena, ErrorSink& errors);

}  // namespace tw::luau
