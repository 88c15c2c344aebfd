// The Lua pattern matcher used by string.find/match/gmatch/gsub. Private to this folder.
//
// A backtracking matcher with the semantics of Lua 5.4 patterns (reference manual §6.4.1), plus:
//   - a step counter: every pattern item tried, and every subject character scanned by a repetition,
//     %b or a back-reference, is a step. Every kCheckEvery steps the matcher polls the run's deadline
//     (tw::limits::pollInterrupt) and past `budget` steps raises "pattern too complex (step budget
//     exceeded)";
//   - a recursion bound (kMaxMatchDepth, as Lua's MAXCCALLS) raising "pattern too complex".
// Errors are raised with luaL_error straight from the matcher: MatchState and every frame of the matcher
// hold only trivially destructible data. A MatchState lives on the C stack of one library call and never
// outlives it; subject and pattern are Lua strings kept alive (and NUL-terminated) by the caller's stack.
//
// Threading: as stdlib.h.
#pragma once

#include <lua.hpp>

#include <cstddef>
#include <cstdint>

namespace tw::sandbox::stdlib::detail {

inline constexpr int kMaxCaptures = 32;     // LUA_MAXCAPTURES
inline constexpr int kMaxMatchDepth = 200;  // MAXCCALLS
inline constexpr std::ptrdiff_t kCapUnfinished = -1;
inline constexpr std::ptrdiff_t kCapPosition = -2;
inline constexpr std::uint64_t kCheckEvery = 4096;

struct Capture {
  const char* init;
  std::ptrdiff_t len;  // or kCapUnfinished / kCapPosition
};

struct MatchState {
  const char* srcInit;
  const char* srcEnd;
  const char* patEnd;
  lua_State* L;
  int depth;  // recursion levels left
  int level;  // captures in use
  std::uint64_t steps;
  std::uint64_t nextCheck;
  std::uint64_t budget;
  Capture capture[kMaxCaptures];
};

// Prepares `ms` for one library call over subject [s, s+ls) and pattern [p, p+lp).
void initMatch(MatchState& ms, lua_State* L, const char* s, std::size_t ls, const char* p, std::size_t lp,
               std::uint64_t budget);

// Before each attempt at a new subject position.
inline void resetMatch(MatchState& ms) {
  ms.level = 0;
  ms.depth = kMaxMatchDepth;
}

// Slow path of charge(): polls the deadline, enforces the budget.
void checkpoint(MatchState& ms);

inline void charge(MatchState& ms, std::uint64_t n) {
  ms.steps += n;
  if (ms.steps >= ms.nextCheck) [[unlikely]] checkpoint(ms);
}

// Matches pattern p (up to ms.patEnd) at subject position s; returns the end of the match or nullptr.
const char* doMatch(MatchState& ms, const char* s, const char* p);

// Pushes capture i (the whole match [s, e) when the pattern has no captures and i == 0).
void pushOneCapture(MatchState& ms, int i, const char* s, const char* e);

// Pushes all captures (or the whole match when there are none and s != nullptr); returns how many.
int pushCaptures(MatchState& ms, const char* s, const char* e);

// Capture i for gsub's "%n": returns its length and sets *cap, or pushes the position and returns
// kCapPosition. Raises "invalid capture index %n" / "unfinished capture".
std::ptrdiff_t getOneCapture(MatchState& ms, int i, const char* s, const char* e, const char** cap);

// True when the pattern has none of the characters that make it a pattern (plain find applies).
bool hasNoSpecials(const char* p, std::size_t lp);

}  // namespace tw::sandbox::stdlib::detail
