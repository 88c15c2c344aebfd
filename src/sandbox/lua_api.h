// The Lua/C++ boundary. Lua raises errors with longjmp, which skips C++ destructors, and the plain C build
// of Lua knows nothing of C++ exceptions. The rules every file that touches a lua_State follows:
//   1. A function exposed to Lua (lua_CFunction) keeps no C++ object with a non-trivial destructor alive
//      while it calls a lua_* function that can raise. C++ work happens in an inner scope that returns a
//      plain result; only then does the function push values or raise.
//   2. No C++ exception crosses a Lua frame: wrap any lua_CFunction whose C++ code can throw in
//      guarded<Fn>, which turns the exception into a Lua error after the exception object is gone.
//   3. Every call into a VM from host code (outside a lua_CFunction) is protected: protectedCall() runs a
//      C function under lua_pcall, so even an out-of-memory error in lua_pushstring comes back as a value.
//   4. Values coming out of a tenant's VM are hostile: read them raw (lua_type, lua_rawget), never call
//      metamethods (__tostring, __index, __len...), and bound depth and size.
//
// Threading: these are free functions over a lua_State; the caller owns the state's thread.
#pragma once

#include <lua.hpp>

#include <cstddef>
#include <cstring>
#include <exception>
#include <string>
#include <type_traits>

#include "common/result.h"

namespace tw::sandbox {

// Maximum length of a message produced by the host for a Lua error.
inline constexpr std::size_t kMaxErrorMessage = 512;

namespace detail {
inline void copyMessage(char (&out)[kMaxErrorMessage], const char* msg) {
  std::strncpy(out, msg, kMaxErrorMessage - 1);
  out[kMaxErrorMessage - 1] = '\0';
}
}  // namespace detail

// Wraps a lua_CFunction whose C++ code may throw. The exception becomes a Lua error ("message") once the
// exception object has been destroyed, so nothing with a destructor is live when Lua unwinds.
// Fn itself must follow rule 1 for its own lua_* calls.
template <lua_CFunction Fn>
int guarded(lua_State* L) noexcept {
  char message[kMaxErrorMessage];
  try {
    return Fn(L);
  } catch (const std::exception& e) {
    detail::copyMessage(message, e.what());
  } catch (...) {
    detail::copyMessage(message, "internal error");
  }
  return luaL_error(L, "%s", message);
}

// Runs fn under lua_pcall with `ud` available as lua_touserdata(L, 1) and the `nargs` values on top of L's
// stack as its arguments 2..nargs+1 (they are consumed). fn may push results; the call keeps `nresults` of
// them (LUA_MULTRET for all). On error, the arguments are gone, nothing is pushed, and the error is
// returned: kMemoryLimit for LUA_ERRMEM, kRuntimeError otherwise, with a raw-read message.
Status protectedCall(lua_State* L, lua_CFunction fn, void* ud, int nresults = 0, int nargs = 0);

// protectedCall for a callable: body(L) runs under lua_pcall and returns its number of results. The callable
// object stays in the caller's frame; the body itself must follow rule 1 (no locals with destructors) and
// must not throw.
template <typename F>
Status protect(lua_State* L, F&& body, int nresults = 0, int nargs = 0) {
  using Body = std::remove_reference_t<F>;
  return protectedCall(
      L, [](lua_State* S) -> int { return (*static_cast<Body*>(lua_touserdata(S, 1)))(S); },
      const_cast<void*>(static_cast<const void*>(&body)), nresults, nargs);
}

// The message of an error value at `index`, read without metamethods: a string as is (bounded), a number
// formatted by the host, anything else as "(error object is a <type> value)". Never raises.
std::string errorMessage(lua_State* L, int index);

// lua_checkstack that raises a clear Lua error instead of returning false.
inline void checkStack(lua_State* L, int extra) {
  if (!lua_checkstack(L, extra)) luaL_error(L, "stack overflow (nesting too deep)");
}

}  // namespace tw::sandbox
