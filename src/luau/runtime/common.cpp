// Shared helpers of the Luau runtime (see internal.h).
#include <charconv>
#include <cinttypes>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "luau/runtime/internal.h"

namespace tw::luau::rt {

void pushFunction(lua_State* L, const char* name, lua_CFunction fn) {
  lua_pushstring(L, name);
  lua_pushcclosure(L, fn, 1);
}

void setFunctions(lua_State* L, const LibFunction* fns) {
  for (; fns->name != nullptr; ++fns) {
    pushFunction(L, fns->name, fns->fn);
    lua_setfield(L, -2, fns->name);
  }
}

const char* functionName(lua_State* L) {
  if (lua_type(L, lua_upvalueindex(1)) != LUA_TSTRING) return nullptr;
  return lua_tostring(L, lua_upvalueindex(1));
}

int argError(lua_State* L, int arg, const char* extra) {
  const char* name = functionName(L);
  if (name != nullptr) return luaL_error(L, "invalid argument #%d to '%s' (%s)", arg, name, extra);
  return luaL_error(L, "invalid argument #%d (%s)", arg, extra);
}

int typeError(lua_State* L, int arg, const char* expected) {
  const char* name = functionName(L);
  if (lua_type(L, arg) == LUA_TNONE) {
    if (name != nullptr) return luaL_error(L, "missing argument #%d to '%s' (%s expected)", arg, name, expected);
    return luaL_error(L, "missing argument #%d (%s expected)", arg, expected);
  }
  const char* got = objectTypeName(L, arg);
  if (name != nullptr) {
    return luaL_error(L, "invalid argument #%d to '%s' (%s expected, got %s)", arg, name, expected, got);
  }
  return luaL_error(L, "invalid argument #%d (%s expected, got %s)", arg, expected, got);
}

int numberToInt(double v) {
  if (v >= -2147483648.0 && v < 2147483648.0) return static_cast<int>(v);
  return INT_MIN;
}

unsigned numberToUnsigned(double v) {
  if (v >= -9223372036854775808.0 && v < 9223372036854775808.0) {
    return static_cast<unsigned>(static_cast<std::uint64_t>(static_cast<std::int64_t>(v)));
  }
  return 0;
}

void checkAny(lua_State* L, int arg) {
  if (lua_type(L, arg) == LUA_TNONE) {
    const char* name = functionName(L);
    if (name != nullptr) luaL_error(L, "missing argument #%d to '%s'", arg, name);
    luaL_error(L, "missing argument #%d", arg);
  }
}

void checkTable(lua_State* L, int arg) {
  if (lua_type(L, arg) != LUA_TTABLE) typeError(L, arg, "table");
}

double checkNumber(lua_State* L, int arg) {
  int isnum = 0;
  const double d = lua_tonumberx(L, arg, &isnum);
  if (isnum == 0) typeError(L, arg, "number");
  return d;
}

double optNumber(lua_State* L, int arg, double def) { return lua_isnoneornil(L, arg) ? def : checkNumber(L, arg); }

int checkInt(lua_State* L, int arg) {
  if (lua_isinteger(L, arg)) {
    const lua_Integer i = lua_tointeger(L, arg);
    return (i >= INT_MIN && i <= INT_MAX) ? static_cast<int>(i) : INT_MIN;
  }
  return numberToInt(checkNumber(L, arg));
}

int optInt(lua_State* L, int arg, int def) { return lua_isnoneornil(L, arg) ? def : checkInt(L, arg); }

unsigned checkUnsigned(lua_State* L, int arg) {
  if (lua_isinteger(L, arg)) return numberToUnsigned(static_cast<double>(lua_tointeger(L, arg)));
  return numberToUnsigned(checkNumber(L, arg));
}

const char* checkString(lua_State* L, int arg, std::size_t* len) {
  const int t = lua_type(L, arg);
  if (t == LUA_TSTRING) return lua_tolstring(L, arg, len);
  if (t == LUA_TNUMBER) {
    pushNumberText(L, arg, len);
    lua_replace(L, arg);
    return lua_tolstring(L, arg, len);
  }
  typeError(L, arg, "string");
  return nullptr;
}

const char* optString(lua_State* L, int arg, const char* def, std::size_t* len) {
  if (lua_isnoneornil(L, arg)) {
    if (len != nullptr) *len = def != nullptr ? std::strlen(def) : 0;
    return def;
  }
  return checkString(L, arg, len);
}

void pushNumber(lua_State* L, double v) {
  // |v| < 1 first: no integer conversion of a fraction (slow on subnormals), and the zeros in one test.
  if (v > -1.0 && v < 1.0) {
    if (v == 0 && !std::signbit(v)) {
      lua_pushinteger(L, 0);
    } else {
      lua_pushnumber(L, v);
    }
    return;
  }
  if (v > -2147483648.0 && v < 2147483648.0) {
    const auto i = static_cast<lua_Integer>(v);
    if (static_cast<double>(i) == v && !(i == 0 && std::signbit(v))) {
      lua_pushinteger(L, i);
      return;
    }
  }
  lua_pushnumber(L, v);
}

std::size_t formatNumber(double v, char* out) {
  auto put = [out](const char* s) {
    const std::size_t n = std::strlen(s);
    std::memcpy(out, s, n);
    return n;
  };
  if (std::isnan(v)) return put("nan");
  if (std::isinf(v)) return put(v < 0 ? "-inf" : "inf");
  if (v == 0) return put(std::signbit(v) ? "-0" : "0");
  // Shortest round-trip digits in scientific form: "-d.ddde+XX".
  char sci[40];
  const auto result = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
  const char* p = sci;
  const char* end = result.ptr;
  std::size_t n = 0;
  if (*p == '-') {
    out[n++] = '-';
    ++p;
  }
  char digits[24];
  int nd = 0;
  for (; p < end && *p != 'e'; ++p) {
    if (*p != '.') digits[nd++] = *p;
  }
  while (nd > 1 && digits[nd - 1] == '0') --nd;
  int exponent = 0;
  if (p < end) {
    ++p;  // 'e'
    bool negative = false;
    if (*p == '+' || *p == '-') negative = *p++ == '-';
    for (; p < end; ++p) exponent = exponent * 10 + (*p - '0');
    if (negative) exponent = -exponent;
  }
  const int dot = exponent + 1;  // digits before the decimal point
  if (dot >= -5 && dot <= 21) {
    if (dot <= 0) {
      out[n++] = '0';
      out[n++] = '.';
      for (int i = 0; i < -dot; ++i) out[n++] = '0';
      for (int i = 0; i < nd; ++i) out[n++] = digits[i];
    } else if (dot >= nd) {
      for (int i = 0; i < nd; ++i) out[n++] = digits[i];
      for (int i = nd; i < dot; ++i) out[n++] = '0';
    } else {
      for (int i = 0; i < dot; ++i) out[n++] = digits[i];
      out[n++] = '.';
      for (int i = dot; i < nd; ++i) out[n++] = digits[i];
    }
    return n;
  }
  out[n++] = digits[0];
  if (nd > 1) {
    out[n++] = '.';
    for (int i = 1; i < nd; ++i) out[n++] = digits[i];
  }
  int x = dot - 1;
  out[n++] = 'e';
  out[n++] = x < 0 ? '-' : '+';
  if (x < 0) x = -x;
  char expDigits[8];
  int ne = 0;
  do {
    expDigits[ne++] = static_cast<char>('0' + x % 10);
    x /= 10;
  } while (x != 0);
  if (ne < 2) expDigits[ne++] = '0';
  while (ne > 0) out[n++] = expDigits[--ne];
  return n;
}

const char* pushNumberText(lua_State* L, int idx, std::size_t* len) {
  const double v = lua_isinteger(L, idx) ? static_cast<double>(lua_tointeger(L, idx)) : lua_tonumber(L, idx);
  char buf[kNumberTextMax];
  const std::size_t n = formatNumber(v, buf);
  return lua_pushlstring(L, buf, n) != nullptr ? lua_tolstring(L, -1, len) : nullptr;
}

namespace {
bool hasTag(lua_State* L, int idx, const char* tag) {
  if (lua_type(L, idx) != LUA_TUSERDATA) return false;
  const int t = lua_getiuservalue(L, idx, 1);
  const bool result = t == LUA_TLIGHTUSERDATA && lua_touserdata(L, -1) == tag;
  lua_pop(L, 1);
  return result;
}
}  // namespace

bool isBuffer(lua_State* L, int idx) { return hasTag(L, idx, &kBufferTag); }
bool isProxy(lua_State* L, int idx) { return hasTag(L, idx, &kProxyTag); }

const char* typeName(lua_State* L, int idx) {
  const int t = lua_type(L, idx);
  if (t == LUA_TUSERDATA && isBuffer(L, idx)) return "buffer";
  return lua_typename(L, t);
}

const char* objectTypeName(lua_State* L, int idx) {
  const int t = lua_type(L, idx);
  if (t != LUA_TUSERDATA) return lua_typename(L, t);
  if (isBuffer(L, idx)) return "buffer";
  if (isProxy(L, idx)) return "userdata";
  if (lua_getmetatable(L, idx) == 0) return "userdata";
  const char* result = "userdata";
  lua_pushliteral(L, "__type");
  if (lua_rawget(L, -2) == LUA_TSTRING) {
    // The string stays alive in the metatable, which the value keeps alive.
    result = lua_tostring(L, -1);
  }
  lua_pop(L, 2);
  return result;
}

const char* pushRawToString(lua_State* L, int idx, std::size_t* len) {
  idx = lua_absindex(L, idx);
  switch (lua_type(L, idx)) {
    case LUA_TNIL:
      lua_pushliteral(L, "nil");
      break;
    case LUA_TBOOLEAN:
      if (lua_toboolean(L, idx)) {
        lua_pushliteral(L, "true");
      } else {
        lua_pushliteral(L, "false");
      }
      break;
    case LUA_TNUMBER:
      return pushNumberText(L, idx, len);
    case LUA_TSTRING:
      lua_pushvalue(L, idx);
      break;
    default: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%s: 0x%016" PRIxPTR, typeName(L, idx),
                    reinterpret_cast<std::uintptr_t>(lua_topointer(L, idx)));
      lua_pushstring(L, buf);
      break;
    }
  }
  return lua_tolstring(L, -1, len);
}

const char* pushToString(lua_State* L, int idx, std::size_t* len) {
  idx = lua_absindex(L, idx);
  const int t = lua_type(L, idx);
  if (t == LUA_TSTRING) {
    lua_pushvalue(L, idx);
    return lua_tolstring(L, -1, len);
  }
  if (t == LUA_TNUMBER) return pushNumberText(L, idx, len);
  if (luaL_getmetafield(L, idx, "__tostring") != LUA_TNIL) {  // the raw metatable, as Luau
    lua_pushvalue(L, idx);
    lua_call(L, 1, 1);
    const int rt = lua_type(L, -1);
    if (rt == LUA_TNUMBER) {
      pushNumberText(L, -1, len);
      lua_remove(L, -2);
    } else if (rt != LUA_TSTRING) {
      luaL_error(L, "'__tostring' must return a string");
    }
    return lua_tolstring(L, -1, len);
  }
  return pushRawToString(L, idx, len);
}

unsigned char* toBuffer(lua_State* L, int idx, std::size_t* len) {
  if (!isBuffer(L, idx)) return nullptr;
  if (len != nullptr) *len = lua_rawlen(L, idx);
  return static_cast<unsigned char*>(lua_touserdata(L, idx));
}

unsigned char* newBuffer(lua_State* L, std::size_t size) {
  auto* p = static_cast<unsigned char*>(lua_newuserdatauv(L, size, 1));
  if (size != 0) std::memset(p, 0, size);
  lua_pushlightuserdata(L, &kBufferTag);
  lua_setiuservalue(L, -2, 1);
  return p;
}

}  // namespace tw::luau::rt
