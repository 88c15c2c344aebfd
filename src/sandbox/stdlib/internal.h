// Helpers shared by the string and table library implementations. Private to this folder.
//
// Every function here follows the Lua/C++ boundary rules (src/sandbox/lua_api.h): no object with a
// non-trivial destructor is alive in any frame that may raise. Threading: as stdlib.h.
#pragma once

#include <lua.hpp>

#include <cstddef>
#include <cstdint>

#include "limits/interrupt.h"
#include "sandbox/stdlib/stdlib.h"

namespace tw::sandbox::stdlib::detail {

// How many cheap steps (characters copied, elements moved) run between two polls of the deadline.
inline constexpr std::uint32_t kPollEvery = 4096;

// Every library function gets the VM's copy of StdlibLimits as upvalue 1 (a full userdata).
inline const StdlibLimits& limitsOf(lua_State* L) {
  return *static_cast<const StdlibLimits*>(lua_touserdata(L, lua_upvalueindex(1)));
}

// The step budget of one pattern-matching call over a subject of `len` bytes (saturating).
inline std::uint64_t patternBudget(const StdlibLimits& limits, std::size_t len) {
  const std::uint64_t kMax = ~std::uint64_t{0};
  const std::uint64_t perByte = limits.patternStepsPerByte;
  const std::uint64_t scaled = (perByte != 0 && len > kMax / perByte) ? kMax : perByte * len;
  return scaled > kMax - limits.patternStepBudget ? kMax : limits.patternStepBudget + scaled;
}

// Pushes a full userdata holding a copy of `limits` (defaults when null).
void pushLimits(lua_State* L, const StdlibLimits* limits);

// Lua 5.4's rules for string positions: a start position (negative counts from the end, 0 means 1,
// clamped to 1) and an end position (clamped to [0, len]).
inline std::size_t startPosition(lua_Integer pos, std::size_t len) {
  if (pos > 0) return static_cast<std::size_t>(pos);
  if (pos == 0) return 1;
  if (pos < -static_cast<lua_Integer>(len)) return 1;
  return len - static_cast<std::size_t>(-pos) + 1;
}

inline std::size_t endPosition(lua_Integer pos, std::size_t len) {
  if (pos > static_cast<lua_Integer>(len)) return len;
  if (pos >= 0) return static_cast<std::size_t>(pos);
  if (pos < -static_cast<lua_Integer>(len)) return 0;
  return len - static_cast<std::size_t>(-pos) + 1;
}

}  // namespace tw::sandbox::stdlib::detail
