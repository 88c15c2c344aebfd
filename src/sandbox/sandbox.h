// The sandbox of a guild VM: which globals a template sees and how it is kept from the host and from the
// other templates of its guild.
//
// Layers (DESIGN.md, "Sandbox layers"):
//   1. An allow-listed standard library: base (no dofile/loadfile/warn, `load` of text only and bound to the
//      caller's environment, `collectgarbage("count")` only, `print` to the host log), our own `string`,
//      `table` and `coroutine`, `math`, `utf8`, and `os.time/clock/date`. No io, debug, package.
//   2. One shared globals table per VM holding the libraries and plugins; every library table is a read-only
//      proxy and the string metatable is locked. Each template gets its own environment whose __index is the
//      shared table and whose metatable is locked; `_G` is that environment.
//   3. Plugins are installed read-only; their functions check the caller's capabilities (plugins/).
//
// Every coroutine that runs template code carries a ThreadOwner in its extra space: which template it runs
// for. Functions of the sandbox and plugins find their caller's template there.
//
// Threading: all functions run on the thread that owns the lua_State.
#pragma once

#include <lua.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "sandbox/stdlib/stdlib.h"

namespace tw::sandbox {

struct SandboxConfig {
  std::size_t maxChunkBytes = 1 << 20;   // `load` source size. Default: 1 MiB.
  std::int64_t maxCoroutines = 1000;     // live coroutines per VM. Default: 1000.
  int maxCloseNesting = 32;              // coroutine.close inside __close inside coroutine.close...
  std::size_t maxPrintBytes = 4096;      // one print line is cut here.
  stdlib::StdlibLimits stdlib;           // pattern step budget, largest string results
};

// What the sandbox needs from the VM that owns it. Implemented by the guild VM.
// Threading: called on the VM's thread, from inside lua_CFunctions: implementations must not throw.
class SandboxHost {
 public:
  virtual ~SandboxHost() = default;
  // A line printed by a template.
  virtual void print(lua_State* L, std::string_view line) noexcept = 0;
  // A nested coroutine `co` (resumed from `parent` by coroutine.resume/wrap) yielded to the scheduler
  // (task.wait and friends). Returns true when the scheduler took it over.
  virtual bool adoptSchedulerYield(lua_State* co) noexcept = 0;
  // True when `co` is suspended in the scheduler and must not be resumed by a script.
  virtual bool ownedByScheduler(lua_State* co) noexcept = 0;
  // True while the event (dispatch, exec) `eventId` has work alive: handles bound to it (ctx, ctx.kv) work.
  virtual bool eventAlive(std::uint64_t eventId) noexcept = 0;
  // Records the kind of the error the host is about to raise on L (capability denied, limits...); the error
  // value is on top of L's stack. A task that ends with that same value reports this kind.
  virtual void noteHostError(lua_State* L, ErrorKind kind) noexcept = 0;
};

// What a coroutine runs for. Lives as long as the VM; coroutines point at it from their extra space.
struct ThreadOwner {
  SandboxHost* host = nullptr;
  int envRef = LUA_NOREF;  // registry reference of the template's environment
  int loadedRef = LUA_NOREF;  // registry reference of the template's require cache
  std::string templateName;
  std::vector<std::string> capabilities;  // e.g. "kv:read", "discord:*", "*"
  void* templateData = nullptr;  // the VM's own per-template record
};

inline ThreadOwner* threadOwner(lua_State* L) { return *static_cast<ThreadOwner**>(lua_getextraspace(L)); }
inline void setThreadOwner(lua_State* L, ThreadOwner* owner) {
  *static_cast<ThreadOwner**>(lua_getextraspace(L)) = owner;
}

// Raises a Lua error with a formatted message and records its kind with the VM (see noteHostError).
int raiseHostError(lua_State* L, ErrorKind kind, const char* fmt, ...);

// True when `owner` holds `capability`: exactly, through "prefix:*", or through "*".
bool hasCapability(const ThreadOwner& owner, std::string_view capability);

// Builds the shared globals of a fresh VM (layers 1 and 2). Runs protected. `config` must outlive the VM.
Status installSandbox(lua_State* L, const SandboxConfig* config);

// Pushes the shared globals table. The host may add entries before templates load (plugins do).
void pushSharedGlobals(lua_State* L);

// Read-only tables. A read-only table is an empty proxy whose internal metatable reads through to a hidden
// target table; writes, rawset and setmetatable raise "attempt to modify a readonly table"; pairs(), #,
// and Luau's __iter see the target. Library code that reads raw (JSON encoding, Luau's next/rawget) looks
// through with pushReadOnlyTarget().

// Replaces the table on top of the stack by a new read-only proxy of it (the libraries' tables).
void makeReadOnly(lua_State* L);

// Makes the table at `index` read-only in place (Luau's table.freeze): its entries move to a new hidden
// target, its metatable (if any) becomes the target's, and the table keeps its identity. Raises on memory
// errors: call from a lua_CFunction or a protected call.
void freezeInPlace(lua_State* L, int index);

// True when the value at `index` is a read-only table (a library proxy, or a frozen table). Never raises.
bool isReadOnly(lua_State* L, int index);

// If the value at `index` is a read-only table, pushes its target and returns true. Never raises.
bool pushReadOnlyTarget(lua_State* L, int index);

// Luau's message for writes to a read-only table.
inline constexpr const char* kReadOnlyMessage = "attempt to modify a readonly table";

// Pushes a fresh template environment: empty, __index = shared globals, locked metatable, _G = itself.
void pushNewEnvironment(lua_State* L);

// The value getmetatable() returns for locked metatables.
inline constexpr const char* kLockedMetatable = "The metatable is locked";

}  // namespace tw::sandbox
