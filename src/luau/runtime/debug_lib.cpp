// Luau's debug library: info and traceback, and nothing else (no access to locals or upvalues).
//
// A thread argument must belong to the calling template (the same ThreadOwner), so one template cannot
// inspect another's coroutines. `debug.info(level, "f")` hands out only functions on the caller's own
// stack, which it could already reach.
//
// Lua 5.4's lua_getstack walks the call chain from the top (O(level)), so traceback prints at most the
// first kTracebackHead and the last kTracebackTail frames, like Lua's own luaL_traceback, and polls the
// deadline while it walks.
#include <cstdio>
#include <cstring>

#include "luau/runtime/internal.h"
#include "sandbox/sandbox.h"

namespace tw::luau::rt {

namespace {

constexpr int kTracebackHead = 100;
constexpr int kTracebackTail = 20;

// The thread argument (if any) at 1. `*arg` becomes 1 when there is one, else 0.
lua_State* threadArg(lua_State* L, int* arg) {
  if (lua_type(L, 1) != LUA_TTHREAD) {
    *arg = 0;
    return L;
  }
  *arg = 1;
  lua_State* co = lua_tothread(L, 1);
  if (co != L && sandbox::threadOwner(co) != sandbox::threadOwner(L)) {
    argError(L, 1, "the thread belongs to another template");
  }
  return co;
}

int dbInfo(lua_State* L) {
  int arg = 0;
  lua_State* L1 = threadArg(L, &arg);
  bool byFunction = false;
  int level = 0;
  if (lua_type(L, arg + 1) == LUA_TNUMBER) {
    level = checkInt(L, arg + 1);
    argCheck(L, level >= 0, arg + 1, "level can't be negative");
  } else if (arg == 0 && lua_isfunction(L, 1)) {
    byFunction = true;
  } else {
    argError(L, arg + 1, "function or level expected");
  }
  const char* options = checkString(L, arg + 2, nullptr);
  bool seen[26] = {};
  for (const char* it = options; *it != '\0'; ++it) {
    if (std::strchr("slnaf", *it) == nullptr) argError(L, arg + 2, "invalid option");
    if (seen[*it - 'a']) argError(L, arg + 2, "duplicate option");
    seen[*it - 'a'] = true;
  }
  luaL_checkstack(L, 8, "debug.info");
  lua_Debug ar;
  int fn = 0;  // index in L of the function described
  if (byFunction) {
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 1);
    lua_getinfo(L, ">Sul", &ar);  // pops one copy
    fn = lua_gettop(L);
    ar.name = nullptr;
    ar.currentline = ar.linedefined;  // Luau: the line where the function starts
  } else {
    if (lua_getstack(L1, level, &ar) == 0) return 0;
    if (L1 != L && !lua_checkstack(L1, 1)) return luaL_error(L, "stack overflow (debug.info)");
    lua_getinfo(L1, "Slnuf", &ar);  // pushes the function on L1
    if (L1 != L) lua_xmove(L1, L, 1);
    fn = lua_gettop(L);
  }
  int results = 0;
  for (const char* it = options; *it != '\0'; ++it) {
    switch (*it) {
      case 's':
        lua_pushstring(L, ar.short_src);
        ++results;
        break;
      case 'l':
        lua_pushinteger(L, ar.currentline);
        ++results;
        break;
      case 'n':
        lua_pushstring(L, ar.name != nullptr ? ar.name : "");
        ++results;
        break;
      case 'f':
        lua_pushvalue(L, fn);
        ++results;
        break;
      case 'a':
        lua_pushinteger(L, ar.nparams);
        lua_pushboolean(L, ar.isvararg);
        results += 2;
        break;
      default:
        break;
    }
  }
  return results;
}

// The number of levels on L1's stack (binary search, as luaL_traceback).
int stackDepth(lua_State* L1) {
  lua_Debug ar;
  int lo = 1;
  int hi = 1;
  while (lua_getstack(L1, hi, &ar) != 0) {
    lo = hi;
    hi = hi > (1 << 20) ? hi + (1 << 20) : hi * 2;
  }
  while (lo < hi) {
    const int mid = lo + (hi - lo) / 2;
    if (lua_getstack(L1, mid, &ar) != 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;  // the first level that does not exist
}

void addFrame(lua_State* L1, luaL_Buffer* b, int level) {
  lua_Debug ar;
  if (lua_getstack(L1, level, &ar) == 0) return;
  lua_getinfo(L1, "Sln", &ar);
  if (std::strcmp(ar.what, "C") == 0) return;
  luaL_addstring(b, ar.short_src);
  if (ar.currentline > 0) {
    char line[24];
    std::snprintf(line, sizeof line, ":%d", ar.currentline);
    luaL_addstring(b, line);
  }
  if (ar.name != nullptr) {
    luaL_addstring(b, " function ");
    luaL_addstring(b, ar.name);
  }
  luaL_addchar(b, '\n');
}

int dbTraceback(lua_State* L) {
  int arg = 0;
  lua_State* L1 = threadArg(L, &arg);
  const char* msg = optString(L, arg + 1, nullptr, nullptr);
  const int level = optInt(L, arg + 2, L1 == L ? 1 : 0);
  argCheck(L, level >= 0, arg + 2, "level can't be negative");
  const int depth = stackDepth(L1);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  if (msg != nullptr) {
    luaL_addstring(&b, msg);
    luaL_addchar(&b, '\n');
  }
  int steps = 0;
  for (int i = level; i < depth; ++i) {
    if (i - level == kTracebackHead && depth - i > kTracebackTail + 1) {
      const int skip = depth - kTracebackTail - i;
      char line[64];
      std::snprintf(line, sizeof line, "...(skipping %d levels)\n", skip);
      luaL_addstring(&b, line);
      i += skip - 1;
      continue;
    }
    addFrame(L1, &b, i);
    if (++steps % 16 == 0) limits::pollInterrupt(L);
  }
  luaL_pushresult(&b);
  return 1;
}

}  // namespace

int openDebug(lua_State* L) {
  static const LibFunction kFunctions[] = {{"info", dbInfo}, {"traceback", dbTraceback}, {nullptr, nullptr}};
  lua_createtable(L, 0, 2);
  setFunctions(L, kFunctions);
  return 1;
}

}  // namespace tw::luau::rt
