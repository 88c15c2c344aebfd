// require(name) for templates: loads another file of the calling template, never anything else.
//
// A name maps to a file of the template: "util" -> util.lua (or util.luau, util/init.lua), "a.b" -> a/b.lua.
// The module runs once per template with the template's environment; its result (true when it returns
// nothing) is cached per template. A cycle is a clear error.
//
// Threading: runs on the VM's thread.
#pragma once

struct lua_State;

namespace tw::vm {

// Adds `require` to the shared globals. Call inside a protected call, after installSandbox.
void installRequire(lua_State* L);

}  // namespace tw::vm
