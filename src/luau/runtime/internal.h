// Helpers shared by the Luau runtime's libraries. Private to this folder.
//
// Every lua_CFunction here follows the Lua/C++ boundary rules (src/sandbox/lua_api.h): no object with a
// non-trivial destructor is alive in a frame that may raise, and no C++ exception leaves a function.
//
// Conventions:
//   - Every library function is a C closure whose upvalue 1 is its Luau name ("sub", "band"...): argument
//     errors name it as Luau does ("invalid argument #2 to 'sub' (number expected, got nil)").
//   - Numbers: Luau has only doubles. Functions take numbers with Luau's conversions (checkInt truncates to
//     32 bits like luaL_checkinteger in Luau) and push results with pushNumber(), which writes an integer
//     only where Luau code cannot tell the difference (see luau/NUMBERS.md).
//
// Threading: free functions over a lua_State; the caller owns the state's thread.
#pragma once

#include <lua.hpp>

#include <cstddef>
#include <cstdint>

#include "limits/interrupt.h"

namespace tw::luau::rt {

// ---- Registry keys (their addresses) ----
inline char kSharedGlobalsKey;   // the Luau shared globals table
inline char kEnvMetatableKey;    // the metatable of template environments
inline char kCacheKey;           // light userdata: the LoweringCache (may be null)
inline char kEnvOwnersKey;       // weak-keyed: table given to setfenv -> light userdata owner
inline char kFunctionEnvKey;     // weak-keyed: function without an _ENV upvalue -> table given to setfenv
inline char kEnvCellFactoryKey;  // function(e) return function() return e end end
inline char kGcRestoreKey;       // true while collectgarbage must restore generational mode
inline char kBufferTag;          // uservalue 1 of every buffer (light userdata)
inline char kProxyTag;           // uservalue 1 of every newproxy userdata (light userdata)

// How many cheap steps run between two polls of the deadline.
inline constexpr std::uint32_t kPollEvery = 4096;

// ---- Library tables ----
struct LibFunction {
  const char* name;
  lua_CFunction fn;
};

// Sets each function into the table on top as a closure whose upvalue 1 is its name. `fns` ends with a
// null name.
void setFunctions(lua_State* L, const LibFunction* fns);

// Pushes a closure of `fn` with its name as upvalue 1.
void pushFunction(lua_State* L, const char* name, lua_CFunction fn);

// How pushWrapped adapts the arguments of a Lua function to Luau's conventions. Masks: bit 0 = argument 1.
struct WrapSpec {
  unsigned intArgs = 0;     // floats here are truncated to integers as Luau does (~0u: every argument)
  unsigned stringArgs = 0;  // numbers here become their Luau text before Lua would write them "%.14g"
  int maxArgs = -1;         // arguments past this are dropped (Luau's version takes fewer); -1: keep all
};

// Pushes a function that calls `original` (at index) with Luau's argument conventions (`spec`) and
// messages: "bad argument" errors the original raises are rewritten in Luau's words with the caller's
// position. Yields pass through.
void pushWrapped(lua_State* L, const char* name, int original, const WrapSpec& spec);

// ---- Errors with Luau's wording ----
// The Luau name of the running library function (upvalue 1), or null.
const char* functionName(lua_State* L);
// "invalid argument #arg to 'name' (extra)". Raises.
int argError(lua_State* L, int arg, const char* extra);
// "invalid argument #arg to 'name' (expected expected, got type)" or, for a missing argument,
// "missing argument #arg to 'name' (expected expected)". Raises.
int typeError(lua_State* L, int arg, const char* expected);
inline void argCheck(lua_State* L, bool ok, int arg, const char* extra) {
  if (!ok) argError(L, arg, extra);
}

// ---- Arguments ----
// Luau's double -> int conversion (luai_num2int): truncation; outside int32 (or NaN) gives INT32_MIN.
int numberToInt(double v);
// Luau's double -> unsigned conversion (luai_num2unsigned): truncation to int64, then the low 32 bits;
// outside int64 (or NaN) gives 0.
unsigned numberToUnsigned(double v);

void checkAny(lua_State* L, int arg);
void checkTable(lua_State* L, int arg);
double checkNumber(lua_State* L, int arg);
double optNumber(lua_State* L, int arg, double def);
int checkInt(lua_State* L, int arg);
int optInt(lua_State* L, int arg, int def);
unsigned checkUnsigned(lua_State* L, int arg);
// A string argument; a number argument is converted in place to its Luau text (not Lua's "%.14g").
const char* checkString(lua_State* L, int arg, std::size_t* len);
const char* optString(lua_State* L, int arg, const char* def, std::size_t* len);

// ---- Numbers ----
// Pushes `v` as Luau sees it: an integer when that is invisible to Luau code (integral, |v| < 2^31,
// not -0: the same rule as the front-end's literals), else a float.
void pushNumber(lua_State* L, double v);
inline void pushNumber(lua_State* L, lua_Integer v) {
  if (v > -(lua_Integer{1} << 31) && v < (lua_Integer{1} << 31)) {
    lua_pushinteger(L, v);
  } else {
    lua_pushnumber(L, static_cast<lua_Number>(v));
  }
}

// Luau's number text (tostring): shortest round trip, "-0", "inf", "-inf", "nan". Writes at most
// kNumberTextMax bytes (no terminator) and returns the length. Never fails.
inline constexpr std::size_t kNumberTextMax = 48;
std::size_t formatNumber(double v, char* out);
// Pushes the Luau text of a number value at `idx`.
const char* pushNumberText(lua_State* L, int idx, std::size_t* len);

// ---- Types ----
bool isBuffer(lua_State* L, int idx);
bool isProxy(lua_State* L, int idx);
// type(): Lua's type names, plus "buffer".
const char* typeName(lua_State* L, int idx);
// typeof() and the "got X" part of errors: typeName, or a userdata's metatable __type string (not for
// newproxy userdata).
const char* objectTypeName(lua_State* L, int idx);

// Luau's tostring of the value at `idx` (calls __tostring, which must return a string or a number). Pushes
// the text and returns it. Raises like tostring().
const char* pushToString(lua_State* L, int idx, std::size_t* len);
// The text tostring() gives a value that has no __tostring: "table: 0x0000...", "nil", "true"...
const char* pushRawToString(lua_State* L, int idx, std::size_t* len);

// ---- Buffers ----
// The bytes of the buffer at `idx`, or null when it is not a buffer.
unsigned char* toBuffer(lua_State* L, int idx, std::size_t* len);
// Pushes a new zero-filled buffer. Its size counts against the VM's memory cap.
unsigned char* newBuffer(lua_State* L, std::size_t size);

// ---- Environments (runtime.cpp) ----
// Pushes the environment of the calling template (its ThreadOwner's envRef). Raises when there is none.
void pushCallerEnvironment(lua_State* L);

// ---- Library openers: each pushes a new (not yet read-only) table ----
void openBase(lua_State* L, int globals);  // sets the base functions into the table at `globals`
int openBit32(lua_State* L);
int openBuffer(lua_State* L);
int openMath(lua_State* L);
int openString(lua_State* L, int luaString);  // luaString: index of the Lua string library's functions
void addStringMethods(lua_State* L, int stringMethods);  // adds `split` to the shared string methods
int openTable(lua_State* L, int luaTable);    // luaTable: index of the Lua table library's functions
int openUtf8(lua_State* L, int luaUtf8);
int openOs(lua_State* L, int luaOs);
int openDebug(lua_State* L);
int openNatives(lua_State* L);  // C versions of prelude helpers (natives.cpp)

// ---- The prelude (runtime.cpp) ----
// Pushes the private environment the prelude is loaded with: the stock functions it captures, Luau's
// type(), a raw tostring, and (when `natives`) the C helpers as `__native`. The indices are the Lua and the
// Luau shared globals.
void pushPreludeEnvironment(lua_State* L, int luaGlobals, int luauGlobals, bool natives);
// Loads and runs the prelude with the environment at `env`; pushes its helper table (not read-only).
void pushPrelude(lua_State* L, int env);

// base_lib.cpp exports for other libraries.
int collectGarbage(lua_State* L);

}  // namespace tw::luau::rt
