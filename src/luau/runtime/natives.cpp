// C versions of the front-end's hottest runtime helpers (str, tostr, interp, num2str, mul, idiv, mod, neg).
//
// The prelude (src/luau/prelude.cpp) defines every helper in Lua; when its private environment holds a
// `__native` table it uses these instead. They have the same semantics, value for value and message for
// message (tests/luau checks them against the Lua definitions): only the cost differs (a C call instead
// of a Lua call that makes several C calls, and Luau number text without a Lua-level formatter).
//
// Errors: the Lua helpers raise at level 3 (the author's line); a C function called from the author's code
// raises at luaL_error's level 1, which is the same line.
#include <cmath>
#include <cstring>

#include "luau/runtime/internal.h"

namespace tw::luau::rt {

namespace {

constexpr lua_Integer kSafeFactor = 94906265;  // products of two integers below this stay below 2^53

// The prelude's coerce(): a number as it is, a string that converts as a double; false otherwise.
bool coerce(lua_State* L, int idx, double* out) {
  const int t = lua_type(L, idx);
  if (t == LUA_TNUMBER) {
    *out = lua_isinteger(L, idx) ? static_cast<double>(lua_tointeger(L, idx)) : lua_tonumber(L, idx);
    return true;
  }
  if (t != LUA_TSTRING) return false;
  if (lua_stringtonumber(L, lua_tostring(L, idx)) == 0) return false;  // Lua's tonumber rules
  *out = lua_isinteger(L, -1) ? static_cast<double>(lua_tointeger(L, -1)) : lua_tonumber(L, -1);
  lua_pop(L, 1);
  return true;
}

bool hasMeta(lua_State* L, int idx, const char* event) {
  const int t = lua_type(L, idx);
  if (t != LUA_TTABLE && t != LUA_TUSERDATA) return false;
  if (lua_getmetatable(L, idx) == 0) return false;
  lua_pushstring(L, event);
  const bool has = lua_rawget(L, -2) != LUA_TNIL;
  lua_pop(L, 2);
  return has;
}

int arithError(lua_State* L, const char* op, int a, int b) {
  const char* ta = typeName(L, a);
  const char* tb = typeName(L, b);
  if (a == b || std::strcmp(ta, tb) == 0) return luaL_error(L, "attempt to perform arithmetic (%s) on %s", op, ta);
  return luaL_error(L, "attempt to perform arithmetic (%s) on %s and %s", op, ta, tb);
}

// Lua's own operator on the two values at 1 and 2 (metamethods included).
int luaArith(lua_State* L, int op) {
  lua_settop(L, 2);
  lua_arith(L, op);
  return 1;
}

// Lua's own operator on two doubles.
int floatArith(lua_State* L, double a, double b, int op) {
  lua_pushnumber(L, a);
  lua_pushnumber(L, b);
  lua_arith(L, op);
  return 1;
}

bool bothNumbers(lua_State* L) { return lua_type(L, 1) == LUA_TNUMBER && lua_type(L, 2) == LUA_TNUMBER; }

int nativeMul(lua_State* L) {
  if (lua_isinteger(L, 1) && lua_isinteger(L, 2)) {
    const lua_Integer a = lua_tointeger(L, 1);
    const lua_Integer b = lua_tointeger(L, 2);
    if (a != 0 && b != 0 && a > -kSafeFactor && a < kSafeFactor && b > -kSafeFactor && b < kSafeFactor) {
      lua_pushinteger(L, a * b);
      return 1;
    }
    return floatArith(L, static_cast<double>(a), static_cast<double>(b), LUA_OPMUL);  // no wrap; 0 * -1 is -0
  }
  if (bothNumbers(L)) return luaArith(L, LUA_OPMUL);
  double x = 0;
  double y = 0;
  if (coerce(L, 1, &x) && coerce(L, 2, &y)) return floatArith(L, x, y, LUA_OPMUL);
  if (hasMeta(L, 1, "__mul") || hasMeta(L, 2, "__mul")) return luaArith(L, LUA_OPMUL);
  return arithError(L, "mul", 1, 2);
}

int nativeIdiv(lua_State* L) {
  if (lua_isinteger(L, 1) && lua_isinteger(L, 2)) {
    const lua_Integer a = lua_tointeger(L, 1);
    const lua_Integer b = lua_tointeger(L, 2);
    if (b > 0 || (b < 0 && a != 0)) return luaArith(L, LUA_OPIDIV);
    return floatArith(L, static_cast<double>(a), static_cast<double>(b), LUA_OPIDIV);  // inf, nan, -0
  }
  if (bothNumbers(L)) return luaArith(L, LUA_OPIDIV);
  double x = 0;
  double y = 0;
  if (coerce(L, 1, &x) && coerce(L, 2, &y)) return floatArith(L, x, y, LUA_OPIDIV);
  if (hasMeta(L, 1, "__idiv") || hasMeta(L, 2, "__idiv")) return luaArith(L, LUA_OPIDIV);
  return arithError(L, "idiv", 1, 2);
}

// Luau's a % b on doubles: a - floor(a / b) * b, the operations the prelude writes as `a - (a / b) // 1 * b`.
int luauMod(lua_State* L, double a, double b) {
  lua_pushnumber(L, a - std::floor(a / b) * b);
  return 1;
}

int nativeMod(lua_State* L) {
  if (lua_isinteger(L, 1) && lua_isinteger(L, 2) && lua_tointeger(L, 2) != 0) return luaArith(L, LUA_OPMOD);
  double x = 0;
  double y = 0;
  if (coerce(L, 1, &x) && coerce(L, 2, &y)) return luauMod(L, x, y);  // numbers, and numeric strings
  if (hasMeta(L, 1, "__mod") || hasMeta(L, 2, "__mod")) return luaArith(L, LUA_OPMOD);
  return arithError(L, "mod", 1, 2);
}

int nativeNeg(lua_State* L) {
  if (lua_isinteger(L, 1)) {
    const lua_Integer a = lua_tointeger(L, 1);
    if (a == 0) {
      lua_pushnumber(L, -0.0);
    } else {
      lua_pushinteger(L, static_cast<lua_Integer>(0u - static_cast<lua_Unsigned>(a)));  // wraps like Lua
    }
    return 1;
  }
  if (lua_type(L, 1) == LUA_TNUMBER) {
    lua_pushnumber(L, -lua_tonumber(L, 1));
    return 1;
  }
  double x = 0;
  if (coerce(L, 1, &x)) {
    lua_pushnumber(L, -x);
    return 1;
  }
  if (hasMeta(L, 1, "__unm")) {
    lua_settop(L, 1);
    lua_arith(L, LUA_OPUNM);
    return 1;
  }
  return arithError(L, "unm", 1, 1);
}

// Operand of `..`: numbers become Luau text; anything else passes through (so __concat still runs).
int nativeStr(lua_State* L) {
  if (lua_type(L, 1) == LUA_TNUMBER) {
    pushNumberText(L, 1, nullptr);
    return 1;
  }
  lua_settop(L, 1);
  return 1;
}

int nativeTostr(lua_State* L) {
  lua_settop(L, 1);
  pushToString(L, 1, nullptr);
  return 1;
}

int nativeNum2str(lua_State* L) {
  if (lua_type(L, 1) != LUA_TNUMBER) typeError(L, 1, "number");
  pushNumberText(L, 1, nullptr);
  return 1;
}

// `a{x}b{y}c` -> interp("a", x, "b", y, "c"): text parts at odd positions, values at even ones; every value
// was evaluated (as an argument) before any is converted, and they convert left to right.
int nativeInterp(lua_State* L) {
  const int n = lua_gettop(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 1; i <= n; ++i) {
    const int t = lua_type(L, i);
    if (t == LUA_TSTRING) {
      std::size_t len = 0;
      const char* s = lua_tolstring(L, i, &len);
      luaL_addlstring(&b, s, len);
    } else if (t == LUA_TNUMBER) {
      const double v = lua_isinteger(L, i) ? static_cast<double>(lua_tointeger(L, i)) : lua_tonumber(L, i);
      char text[kNumberTextMax];
      luaL_addlstring(&b, text, formatNumber(v, text));
    } else {
      pushToString(L, i, nullptr);
      luaL_addvalue(&b);
    }
  }
  luaL_pushresult(&b);
  return 1;
}

}  // namespace

int openNatives(lua_State* L) {
  static const LibFunction kFunctions[] = {
      {"str", nativeStr},   {"tostr", nativeTostr}, {"interp", nativeInterp}, {"num2str", nativeNum2str},
      {"mul", nativeMul},   {"idiv", nativeIdiv},   {"mod", nativeMod},       {"neg", nativeNeg},
      {nullptr, nullptr},
  };
  lua_createtable(L, 0, 8);
  setFunctions(L, kFunctions);
  return 1;
}

}  // namespace tw::luau::rt
