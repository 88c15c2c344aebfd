// pushWrapped(): Lua 5.4 library functions (our bounded string/table functions, utf8, os) with Luau's
// argument conventions and messages.
//
// The wrapper calls the original under lua_pcallk with a message handler. The handler runs where the error
// is raised, before the stack unwinds: when the function that raised is the wrapped original itself, the
// message was produced by it (an argument check or a luaL_error), and since its caller is a C function
// (the wrapper) it carries no position. The handler then rewrites Lua's "bad argument #n to 'f' (...)" in
// Luau's words and prefixes the position of the wrapper's caller, which is what the error would have said
// had the author's code called the function directly. Errors raised deeper (a gsub callback, a sort
// comparator, the deadline's kill) pass through untouched. Yields (sort's time-slice yields, a comparator
// that yields) pass through lua_pcallk's continuation.
#include <cstdlib>
#include <cstring>

#include "luau/runtime/internal.h"

namespace tw::luau::rt {

namespace {

// Upvalues of the wrapper: 1 = Luau name, 2 = original function, 3 = integer-argument mask, 4 = string-
// argument mask, 5 = max args.
constexpr int kUpName = 1;
constexpr int kUpOriginal = 2;
constexpr int kUpIntMask = 3;
constexpr int kUpStringMask = 4;
constexpr int kUpMaxArgs = 5;

// Rewrites Lua's "bad argument #n to 'f' (detail)" / "bad argument #n (detail)" as Luau's message for the
// function named `name`, pushed on L. Returns false (pushing nothing) when `msg` is not an argument error.
bool pushLuauArgMessage(lua_State* L, const char* msg, const char* name) {
  static constexpr char kPrefix[] = "bad argument #";
  if (std::strncmp(msg, kPrefix, sizeof kPrefix - 1) != 0) return false;
  char* after = nullptr;
  const long arg = std::strtol(msg + sizeof kPrefix - 1, &after, 10);
  const char* open = std::strchr(after, '(');
  const char* close = std::strrchr(after, ')');
  if (open == nullptr || close == nullptr || close < open) return false;
  const char* detail = open + 1;
  const auto detailLen = static_cast<std::size_t>(close - detail);
  static constexpr char kNoValue[] = ", got no value";
  const std::size_t noValueLen = sizeof kNoValue - 1;
  if (detailLen > noValueLen && std::strncmp(close - noValueLen, kNoValue, noValueLen) == 0) {
    lua_pushfstring(L, "missing argument #%d to '%s' (", static_cast<int>(arg), name);
    lua_pushlstring(L, detail, detailLen - noValueLen);
  } else {
    lua_pushfstring(L, "invalid argument #%d to '%s' (", static_cast<int>(arg), name);
    lua_pushlstring(L, detail, detailLen);
  }
  lua_pushliteral(L, ")");
  lua_concat(L, 3);
  return true;
}

// The message handler: see the file comment. Level 0 is this handler, 1 the function that raised, 2 the
// wrapper (when 1 is the original), 3 the wrapper's caller.
int wrapper(lua_State* L);

int wrapMessageHandler(lua_State* L) {
  lua_settop(L, 1);
  if (lua_type(L, 1) != LUA_TSTRING) return 1;
  const char* msg = lua_tostring(L, 1);
  if (std::strcmp(msg, limits::kKillMessage) == 0) return 1;
  if (!lua_checkstack(L, 8)) return 1;
  lua_Debug raiser;
  lua_Debug below;
  if (lua_getstack(L, 1, &raiser) == 0 || lua_getstack(L, 2, &below) == 0) return 1;
  lua_getinfo(L, "f", &raiser);  // 2: the function that raised
  lua_getinfo(L, "f", &below);   // 3: the wrapper, if the raiser is the original
  if (lua_tocfunction(L, 3) != wrapper || lua_getupvalue(L, 3, kUpOriginal) == nullptr) {
    lua_settop(L, 1);
    return 1;
  }
  const bool own = lua_rawequal(L, -1, 2) != 0;  // 4: the original
  if (!own || lua_getupvalue(L, 3, kUpName) == nullptr || lua_type(L, -1) != LUA_TSTRING) {
    lua_settop(L, 1);
    return 1;
  }
  const char* name = lua_tostring(L, -1);  // 5
  luaL_where(L, 3);                        // 6
  if (!pushLuauArgMessage(L, msg, name)) lua_pushvalue(L, 1);
  lua_concat(L, 2);
  return 1;
}

int wrapperDone(lua_State* L, int status, lua_KContext /*ctx*/) {
  if (status != LUA_OK && status != LUA_YIELD) return lua_error(L);  // the handled error object is on top
  return lua_gettop(L) - 1;                                          // results (slot 1 is the handler)
}

int wrapper(lua_State* L) {
  int n = lua_gettop(L);
  const auto maxArgs = static_cast<int>(lua_tointeger(L, lua_upvalueindex(kUpMaxArgs)));
  if (maxArgs >= 0 && n > maxArgs) {
    lua_settop(L, maxArgs);
    n = maxArgs;
  }
  const auto intMask = static_cast<unsigned>(lua_tointeger(L, lua_upvalueindex(kUpIntMask)));
  const auto stringMask = static_cast<unsigned>(lua_tointeger(L, lua_upvalueindex(kUpStringMask)));
  if ((intMask | stringMask) != 0) {
    for (int i = 1; i <= n && i <= 32; ++i) {
      if (lua_type(L, i) != LUA_TNUMBER) continue;
      const unsigned bit = 1u << (i - 1);
      if ((stringMask & bit) != 0) {
        pushNumberText(L, i, nullptr);  // Luau's text, not Lua's "%.14g"
        lua_replace(L, i);
      } else if ((intMask & bit) != 0 && !lua_isinteger(L, i)) {
        lua_pushinteger(L, numberToInt(lua_tonumber(L, i)));
        lua_replace(L, i);
      }
    }
  }
  lua_pushcfunction(L, wrapMessageHandler);
  lua_insert(L, 1);
  lua_pushvalue(L, lua_upvalueindex(kUpOriginal));
  lua_insert(L, 2);
  const int status = lua_pcallk(L, n, LUA_MULTRET, 1, 0, wrapperDone);
  return wrapperDone(L, status, 0);
}

}  // namespace

void pushWrapped(lua_State* L, const char* name, int original, const WrapSpec& spec) {
  original = lua_absindex(L, original);
  lua_pushstring(L, name);
  lua_pushvalue(L, original);
  lua_pushinteger(L, static_cast<lua_Integer>(spec.intArgs));
  lua_pushinteger(L, static_cast<lua_Integer>(spec.stringArgs));
  lua_pushinteger(L, spec.maxArgs);
  lua_pushcclosure(L, wrapper, 5);
}

}  // namespace tw::luau::rt
