// require(name) for templates: loads another file of the calling template, never anything else.
//
// A name maps to a file of the template: "util" -> util.luau or util.lua (or util/init.luau, util/init.lua),
// "a.b" -> a/b; Luau's require-by-string works too: "./x" and "../x" relative to the requiring file,
// "@self/x", and "@alias/x" with aliases from the template's .luaurc. A path may not leave the template.
// The module runs once per template with the template's environment; its result (true when it returns
// nothing) is cached per template by file. A cycle is a clear error.
//
// Threading: runs on the VM's thread.
#pragma once

struct lua_State;

namespace tw::vm {

// Adds `require` to the shared globals. Call inside a protected call, after installSandbox.
void installRequire(lua_State* L);

}  // namespace tw::vm
