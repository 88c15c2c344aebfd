// Our own Lua 5.4 `string` and `table` libraries, written against Lua's public C API.
//
// Why: the stock C library functions of Lua 5.4.4 cannot be interrupted (count hooks never fire inside C
// functions), so a pattern such as ("a"):rep(1e5):find("a*b"), (""):rep(1e18), table.sort or table.concat
// over a huge range ran unbounded. Every loop here that can run long charges a step counter, polls
// tw::limits::pollInterrupt() (the kill at the deadline) and, for patterns, stops at a per-call step budget.
//
// Deviations from stock Lua 5.4 (everything else follows the reference manual and the stock messages):
//   string.dump       absent.
//   find/match/gmatch/gsub
//                     a call that needs more matcher steps than StdlibLimits allow (see there) raises
//                     "pattern too complex (step budget exceeded)"; for gmatch the budget is per iterator
//                     call. After any error a gmatch iterator stays usable (it retries from where it was).
//                     Plain find (and patterns without specials) uses a linear-time search.
//   lower/upper, %a %l %u %w... classes
//                     always those of the C locale (stock follows the process locale; the same under "C").
//   rep               "resulting string too large" past StdlibLimits::maxStringBytes; a result of size 0
//                     returns "" at once whatever n is.
//   gsub              "resulting string too large" when its result grows past maxStringBytes.
//   format, pack, packsize, unpack
//                     are the stock functions (see string_lib.cpp for why they are bounded).
//   table.concat      "resulting string too large" past maxStringBytes.
//   table.sort        same algorithm family (median-of-3 quicksort, "invalid order function for
//                     sorting" when detectable) but the exact sequence of element reads/writes and
//                     comparator calls may differ, so the order of equal elements may differ. In a yieldable
//                     coroutine it yields when the time slice is over (ExecutionWatch slice yield), and the
//                     comparator is called with lua_callk so the count hook may slice-yield inside it; the
//                     scheduler resumes these like any slice yield and the script never sees them. A side
//                     effect: a comparator may also call coroutine.yield itself (stock raises "attempt to
//                     yield across a C-call boundary"); the sort then continues on resume. Sorts of at most
//                     64 elements without a comparator never yield (they end within a few hundred steps).
//   all               long loops raise tw::limits::kKillMessage once the run's deadline has passed.
//
// The caller (the sandbox) installs the returned tables read-only, sets the string metatable itself, and
// never exposes string.dump. These functions touch neither globals nor the string metatable. For error
// messages to name functions as stock does when no call-site name is known ("bad argument #1 to
// 'string.rep'" under pcall), also register the tables in the registry's LUA_LOADED_TABLE as "string" and
// "table" (luaL_argerror looks functions up there).
//
// Threading: free functions over a lua_State; the caller owns the state's thread. StdlibLimits is copied
// into the VM, so the caller's struct need not outlive it.
#pragma once

#include <cstddef>
#include <cstdint>

struct lua_State;

namespace tw::sandbox::stdlib {

struct StdlibLimits {
  // Matcher steps one find/match/gsub call (or one gmatch iterator call) may take:
  //   patternStepBudget + patternStepsPerByte * (subject length), saturating.
  // A step is one pattern item tried at one subject position, or one character scanned by a repetition,
  // %b or a back-reference: ~2.2 ns of CPU here (0.7 for %b scans). Ordinary patterns take 1-4 steps
  // per subject byte, those that back off over every word ("(%w+)=(%w+)" over text without '=') ~15.
  // So the defaults let any ordinary pattern through, and stop a pathological one after ~0.12 s on a
  // small subject (~0.8 s on a 10 MB one, whose stock run would take hours). Defaults: 5*10^7 and 32.
  std::uint64_t patternStepBudget = 50'000'000;
  std::uint64_t patternStepsPerByte = 32;
  // Largest string string.rep, string.gsub and table.concat build; the VM's memory cap usually stops a
  // script first. Default: 256 MiB.
  std::size_t maxStringBytes = std::size_t{256} << 20;
};

// Push a fresh table holding the string library functions (byte char find format gmatch gsub len lower
// match rep reverse sub upper pack packsize unpack). `limits` may be null (defaults); it is copied.
// Raises like any lua_* call (memory error): call it from a lua_CFunction or under lua_pcall. Returns 1.
int openString(lua_State* L, const StdlibLimits* limits);

// Push a fresh table holding the table library functions (concat insert move pack remove sort unpack).
// Same rules as openString. Returns 1.
int openTable(lua_State* L, const StdlibLimits* limits);

}  // namespace tw::sandbox::stdlib
