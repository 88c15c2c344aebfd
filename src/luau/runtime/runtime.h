// The Luau runtime: the globals a `.luau` template sees.
//
// A guild VM runs Lua 5.4 and Luau templates side by side. Luau code is lowered to Lua 5.4 text by the
// front-end (luau/luau.h); this component gives it Luau's standard library. The Luau shared globals are a
// table of their own whose metatable's __index is the Lua shared globals (sandbox::pushSharedGlobals), so
// the plugins (task, json, kv...), require, coroutine and the rest are inherited; what Luau defines
// differently is overridden there: the base functions (type, typeof, tostring, print, next, pairs, ipairs,
// raw*, getmetatable, tonumber, select, assert, unpack, newproxy, getfenv/setfenv, loadstring, gcinfo,
// collectgarbage, _VERSION = "Luau"), and the libraries bit32, buffer, math, string, table, utf8, os and
// debug. The runtime also loads the front-end's prelude (runtimePrelude()) and publishes it read-only as
// `__luau`. Every library table is a read-only proxy (sandbox::makeReadOnly); environments' metatables are
// locked like the Lua ones. README.md in this folder lists what differs from Luau and why.
//
// Threading: all functions run on the thread that owns the lua_State. The LoweringCache is thread-safe and
// must outlive the VM.
#pragma once

struct lua_State;

namespace tw::luau {

class LoweringCache;

// Builds the Luau flavour of the VM's shared globals, once per VM (the VM calls it lazily, for the first
// .luau file; a second call does nothing). REQUIRES: sandbox::installSandbox() ran and the plugins are
// installed. May raise (memory errors): call it inside a protected call. `cache` (may be null: loadstring
// then lowers without caching) is used by loadstring and must outlive the VM.
void installRuntime(lua_State* L, LoweringCache* cache);

// True once installRuntime() has run on this VM. Never raises.
bool runtimeInstalled(lua_State* L);

// Pushes the Luau shared globals table. REQUIRES: runtimeInstalled(L).
void pushSharedGlobals(lua_State* L);

// Pushes a fresh per-template Luau environment: empty, __index = the Luau shared globals, locked
// metatable, `_G` = itself. REQUIRES: runtimeInstalled(L). May raise (memory errors).
void pushNewEnvironment(lua_State* L);

}  // namespace tw::luau
