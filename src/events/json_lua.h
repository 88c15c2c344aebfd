// JSON <-> Lua values: the decoder that turns event data into Lua tables on every dispatch, the encoder that
// turns handler results back into text, and the `json` plugin functions templates call.
//
// Mapping (both directions; README.md has the rationale):
//   JSON null      <-> json.null, a per-VM unique userdata (tostring -> "null", locked metatable)
//   true/false     <-> booleans
//   numbers        <-> integers when the JSON number has no fraction/exponent and fits int64, else floats;
//                      "-0" decodes to the float -0.0; floats encode in shortest round-trip form, integral
//                      floats without a fraction ("5"); NaN and infinities do not encode
//   strings        <-> strings (UTF-8 checked both ways; invalid UTF-8 is an error)
//   arrays         <-> tables with keys 1..n; every decoded array is also *marked* with the VM's shared,
//                      locked array metatable (no metamethods; getmetatable(t) == "json.array") so that it
//                      stays an array when empty; json.array(t) marks by hand
//   objects        <-> tables; duplicate keys on decode: the last wins. On encode, keys are sorted bytewise;
//                      integer keys of a non-sequence table become decimal strings; other key types fail
// A table is encoded as an array when it is non-empty with keys exactly 1..n, or marked and empty (or marked
// with keys exactly 1..n). An unmarked empty table is "{}". A marked table with other keys is an error.
//
// Hostile values: the encoder reads raw only (no metamethod ever runs), bounds depth and output size,
// reports cycles, and names the failing place as a path (`$.a.b[3]`, Lua indices, 1-based).
//
// Threading: free functions over a lua_State; the caller owns the state's thread. JsonLimits is a value.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"

struct lua_State;

namespace tw::events {

struct JsonLimits {
  // Nesting of arrays and objects (a scalar is depth 0, "[1]" is depth 1). Clamped to [1, 512].
  int maxDepth = 128;
  // Largest text json.decode / pushJson accept. Default: 8 MiB.
  std::size_t maxInputBytes = 8u << 20;
  // Largest text json.encode / encodeValue produce. Default: 8 MiB.
  std::size_t maxOutputBytes = 8u << 20;
};

// ---- Host side: never raise. Call from host code, outside any lua_CFunction. ----

// Decodes `text` and pushes the value on L's stack. On error nothing is pushed and the error is returned:
//   kBadInput (syntax, with "at offset N"), kLimitExceeded (size, depth), kMemoryLimit (the VM's allocator
//   refused), kTimeout (the thread's execution deadline passed), kInternal.
// The text is only read during the call.
Status pushJson(lua_State* L, std::string_view text, const JsonLimits& limits = {});

// Encodes the value at `index` into `out` (replacing its contents; its capacity is reused). On error `out`
// is left empty: kRuntimeError (a value that cannot be encoded, a cycle), kLimitExceeded (depth, output
// size), kMemoryLimit, kTimeout, kInternal. Runs no Lua code.
Status encodeValue(lua_State* L, int index, std::string& out, const JsonLimits& limits = {});

// ---- VM setup and Lua-facing functions. These may raise (memory errors): call them from a lua_CFunction
// ---- or inside a protected call.

// Creates the VM's JSON state on first use (json.null, the array marks, scratch buffers; `limits`, or
// defaults when null, apply to json.encode/json.decode) and pushes a new table:
//   json.encode(v) -> string          raises "json: ..." on failure
//   json.decode(s) -> value           raises "json: ... at offset N" on failure
//   json.null                         the null sentinel
//   json.array([t]) -> t              marks t (or a new table) as an array; returns it. A table that
//                                     already has another metatable is refused (argument error)
//   json.isarray(t) -> boolean        true if json.encode would write t as an array
// Calling it again on the same VM returns a new table over the same state (the same json.null) and
// replaces the limits. Returns 1 (the number of values pushed). The VM team makes the table read-only.
int openJson(lua_State* L, const JsonLimits* limits);

// Pushes the VM's json.null (creating the JSON state with default limits on first use).
void pushNull(lua_State* L);

// True if the value at `index` is this VM's json.null. Never raises.
bool isNull(lua_State* L, int index);

}  // namespace tw::events
