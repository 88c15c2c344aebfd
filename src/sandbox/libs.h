// Internal to the sandbox: the library functions the sandbox writes itself.
//
// Threading: run on the thread that owns the lua_State.
#pragma once

#include <lua.hpp>

#include "sandbox/sandbox.h"

namespace tw::sandbox {

// The config installSandbox() was given.
const SandboxConfig& sandboxConfig(lua_State* L);

// Adds print, load, setmetatable, rawset and collectgarbage to the table at `globals`.
void openBaseExtras(lua_State* L, int globals);

// Push a library table.
int openCoroutine(lua_State* L);

}  // namespace tw::sandbox
