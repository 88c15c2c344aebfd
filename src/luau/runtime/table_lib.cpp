// Luau's table library. Luau's functions work on tables raw (no __index/__newindex/__len), which is what
// these do; a read-only table (a frozen table, a library) is read through to its target and refuses every
// write with "attempt to modify a readonly table", as a frozen table does in Luau. table.sort is our bounded
// Lua sort (src/sandbox/stdlib: step budgets, time-slice yields) behind pushWrapped.
//
// Every loop whose length the script controls polls the deadline; comparisons and callbacks that run Lua
// code (find's __eq, foreach's function) are ordinary calls, so a kill reaches them.
#include <climits>
#include <cstdint>

#include "luau/runtime/internal.h"
#include "sandbox/sandbox.h"

namespace tw::luau::rt {

namespace {

inline void pollEvery(lua_State* L, std::uint64_t counter) {
  if ((counter & (kPollEvery - 1)) == 0) limits::pollInterrupt(L);
}

// Replaces the read-only table at `idx` (on this function's own stack) by its target; returns whether it was
// read-only.
bool seeThrough(lua_State* L, int idx) {
  if (!sandbox::pushReadOnlyTarget(L, idx)) return false;
  lua_replace(L, idx);
  return true;
}

void checkWritable(lua_State* L, int idx) {
  if (sandbox::isReadOnly(L, idx)) luaL_error(L, "%s", sandbox::kReadOnlyMessage);
}

int rawLength(lua_State* L, int idx) {
  const lua_Unsigned n = lua_rawlen(L, idx);
  return n > static_cast<lua_Unsigned>(INT_MAX) ? INT_MAX : static_cast<int>(n);
}

// The raw length of the table at `idx`, read through a read-only table.
int contentLength(lua_State* L, int idx) {
  if (!sandbox::pushReadOnlyTarget(L, idx)) return rawLength(L, idx);
  const int n = rawLength(L, -1);
  lua_pop(L, 1);
  return n;
}

// A metatable must not carry __gc: a finalizer runs with hooks off and could never be stopped.
void refuseFinalizer(lua_State* L, int metatable) {
  lua_pushliteral(L, "__gc");
  const bool has = lua_rawget(L, metatable) != LUA_TNIL;
  lua_pop(L, 1);
  if (has) luaL_error(L, "__gc metamethods are not allowed in templates (finalizers cannot be interrupted)");
}

// Moves t[f..e] to tt[t..] raw, in the order that is safe when the ranges overlap in one table.
void moveElements(lua_State* L, int src, int dst, int f, int e, int t) {
  const std::int64_t n = static_cast<std::int64_t>(e) - f + 1;
  if (t > e || t <= f || !lua_rawequal(L, src, dst)) {
    for (std::int64_t i = 0; i < n; ++i) {
      lua_rawgeti(L, src, f + i);
      lua_rawseti(L, dst, t + i);
      pollEvery(L, static_cast<std::uint64_t>(i) + 1);
    }
  } else {
    for (std::int64_t i = n - 1; i >= 0; --i) {
      lua_rawgeti(L, src, f + i);
      lua_rawseti(L, dst, t + i);
      pollEvery(L, static_cast<std::uint64_t>(i) + 1);
    }
  }
}

int tabInsert(lua_State* L) {
  checkTable(L, 1);
  const int n = contentLength(L, 1);
  int pos = 0;
  switch (lua_gettop(L)) {
    case 2:
      pos = n + 1;
      break;
    case 3:
      pos = checkInt(L, 2);
      checkWritable(L, 1);
      if (1 <= pos && pos <= n) moveElements(L, 1, 1, pos, n, pos + 1);
      break;
    default:
      return luaL_error(L, "wrong number of arguments to 'insert'");
  }
  checkWritable(L, 1);
  lua_rawseti(L, 1, pos);
  return 0;
}

int tabRemove(lua_State* L) {
  checkTable(L, 1);
  const int n = contentLength(L, 1);
  const int pos = optInt(L, 2, n);
  if (!(1 <= pos && pos <= n)) return 0;
  checkWritable(L, 1);
  lua_rawgeti(L, 1, pos);
  moveElements(L, 1, 1, pos + 1, n, pos);
  lua_pushnil(L);
  lua_rawseti(L, 1, n);
  return 1;
}

int tabMove(lua_State* L) {
  checkTable(L, 1);
  const int f = checkInt(L, 2);
  const int e = checkInt(L, 3);
  const int t = checkInt(L, 4);
  const int tt = !lua_isnoneornil(L, 5) ? 5 : 1;
  checkTable(L, tt);
  if (e >= f) {
    argCheck(L, f > 0 || e < INT_MAX + f, 3, "too many elements to move");
    const int n = e - f + 1;
    argCheck(L, t <= INT_MAX - n + 1, 4, "destination wrap around");
    checkWritable(L, tt);
    lua_pushvalue(L, 1);  // the source, read through if read-only
    seeThrough(L, lua_gettop(L));
    moveElements(L, lua_gettop(L), tt, f, e, t);
    lua_pop(L, 1);
  }
  lua_pushvalue(L, tt);
  return 1;
}

void addField(lua_State* L, luaL_Buffer* b, int table, int i) {
  const int t = lua_rawgeti(L, table, i);
  if (t == LUA_TSTRING) {
    luaL_addvalue(b);
  } else if (t == LUA_TNUMBER) {
    pushNumberText(L, -1, nullptr);
    lua_remove(L, -2);
    luaL_addvalue(b);
  } else {
    luaL_error(L, "invalid value (%s) at index %d in table for 'concat'", typeName(L, -1), i);
  }
}

int tabConcat(lua_State* L) {
  std::size_t sepLen = 0;
  const char* sep = optString(L, 2, "", &sepLen);
  checkTable(L, 1);
  seeThrough(L, 1);
  int i = optInt(L, 3, 1);
  const int last = optInt(L, 4, rawLength(L, 1));
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  std::uint64_t steps = 0;
  for (; i < last; ++i) {
    addField(L, &b, 1, i);
    luaL_addlstring(&b, sep, sepLen);
    pollEvery(L, ++steps);
  }
  if (i == last) addField(L, &b, 1, i);
  luaL_pushresult(&b);
  return 1;
}

int tabPack(lua_State* L) {
  const int n = lua_gettop(L);
  lua_createtable(L, n, 1);
  lua_insert(L, 1);
  for (int i = n; i >= 1; --i) {
    lua_rawseti(L, 1, i);  // pops the arguments from the top down
    pollEvery(L, static_cast<std::uint64_t>(i));
  }
  lua_pushinteger(L, n);
  lua_setfield(L, 1, "n");
  return 1;
}

int tabUnpack(lua_State* L) {
  checkTable(L, 1);
  seeThrough(L, 1);
  int i = optInt(L, 2, 1);
  const int e = optInt(L, 3, rawLength(L, 1));
  if (i > e) return 0;
  unsigned n = static_cast<unsigned>(e) - static_cast<unsigned>(i);  // results - 1
  if (n >= static_cast<unsigned>(INT_MAX) || lua_checkstack(L, static_cast<int>(++n)) == 0) {
    return luaL_error(L, "too many results to unpack");
  }
  for (std::uint64_t k = 0; i < e; ++i, ++k) {
    lua_rawgeti(L, 1, i);
    pollEvery(L, k + 1);
  }
  lua_rawgeti(L, 1, e);
  return static_cast<int>(n);
}

int tabCreate(lua_State* L) {
  const int size = checkInt(L, 1);
  if (size < 0) argError(L, 1, "size out of range");
  const bool fill = !lua_isnoneornil(L, 2);
  lua_settop(L, 2);
  lua_createtable(L, size, 0);
  if (fill) {
    const int t = lua_gettop(L);
    for (int i = 1; i <= size; ++i) {
      lua_pushvalue(L, 2);
      lua_rawseti(L, t, i);
      pollEvery(L, static_cast<std::uint64_t>(i));
    }
  }
  return 1;
}

int tabFind(lua_State* L) {
  checkTable(L, 1);
  checkAny(L, 2);
  const int init = optInt(L, 3, 1);
  if (init < 1) argError(L, 3, "index out of range");
  lua_settop(L, 2);
  seeThrough(L, 1);
  for (std::int64_t i = init; i <= INT_MAX; ++i) {
    if (lua_rawgeti(L, 1, i) == LUA_TNIL) break;
    if (lua_compare(L, 2, -1, LUA_OPEQ) != 0) {  // == as Luau: __eq applies
      pushNumber(L, static_cast<lua_Integer>(i));
      return 1;
    }
    lua_pop(L, 1);
    pollEvery(L, static_cast<std::uint64_t>(i - init) + 1);
  }
  lua_pushnil(L);
  return 1;
}

int tabClear(lua_State* L) {
  checkTable(L, 1);
  checkWritable(L, 1);
  lua_settop(L, 1);
  std::uint64_t steps = 0;
  lua_pushnil(L);
  while (lua_next(L, 1) != 0) {  // clearing fields during a traversal is allowed
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_pushnil(L);
    lua_rawset(L, 1);
    pollEvery(L, ++steps);
  }
  return 0;
}

int tabFreeze(lua_State* L) {
  checkTable(L, 1);
  argCheck(L, !sandbox::isReadOnly(L, 1), 1, "table is already frozen");
  if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL) argError(L, 1, "table has a protected metatable");
  if (lua_getmetatable(L, 1) != 0) {
    refuseFinalizer(L, lua_gettop(L));
    lua_pop(L, 1);
  }
  lua_settop(L, 1);
  sandbox::freezeInPlace(L, 1);
  return 1;
}

int tabIsfrozen(lua_State* L) {
  checkTable(L, 1);
  lua_pushboolean(L, sandbox::isReadOnly(L, 1));
  return 1;
}

// table.clone(t): a shallow copy with the same metatable, never frozen. A frozen table clones its
// contents and its own metatable; a library clones its functions.
int tabClone(lua_State* L) {
  checkTable(L, 1);
  lua_settop(L, 1);
  const bool readOnly = seeThrough(L, 1);
  (void)readOnly;
  int metatable = 0;
  if (lua_getmetatable(L, 1) != 0) {
    metatable = lua_gettop(L);
    lua_pushliteral(L, "__metatable");
    const bool protectedMeta = lua_rawget(L, metatable) != LUA_TNIL;
    lua_pop(L, 1);
    if (protectedMeta) argError(L, 1, "table has a protected metatable");
    refuseFinalizer(L, metatable);
  }
  const int n = rawLength(L, 1);
  lua_createtable(L, n, 0);
  const int copy = lua_gettop(L);
  std::uint64_t steps = 0;
  lua_pushnil(L);
  while (lua_next(L, 1) != 0) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, copy);
    pollEvery(L, ++steps);
  }
  if (metatable != 0) {
    lua_pushvalue(L, metatable);
    lua_setmetatable(L, copy);
  }
  return 1;
}

int tabMaxn(lua_State* L) {
  checkTable(L, 1);
  lua_settop(L, 1);
  seeThrough(L, 1);
  double max = 0;
  std::uint64_t steps = 0;
  lua_pushnil(L);
  while (lua_next(L, 1) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TNUMBER) {
      const double v = lua_tonumber(L, -1);
      if (v > max) max = v;
    }
    pollEvery(L, ++steps);
  }
  pushNumber(L, max);
  return 1;
}

int tabGetn(lua_State* L) {
  checkTable(L, 1);
  seeThrough(L, 1);
  pushNumber(L, static_cast<lua_Integer>(lua_rawlen(L, 1)));
  return 1;
}

// table.foreach(t, f) / table.foreachi(t, f): call f(key, value) until it returns non-nil. The loop state
// lives on the Lua stack (slot 3: key or index), so f runs through lua_callk and may yield (task.wait, a
// time-slice yield); the continuation picks the loop up again.
int foreachStep(lua_State* L, int status, lua_KContext ctx);

int foreachLoop(lua_State* L, bool indexed) {
  for (;;) {
    if (indexed) {
      const lua_Integer i = lua_tointeger(L, 3) + 1;
      if (i > lua_tointeger(L, 4)) return 0;
      lua_pushinteger(L, i);
      lua_replace(L, 3);
      lua_pushvalue(L, 2);
      lua_pushinteger(L, i);
      lua_rawgeti(L, 1, i);
    } else {
      lua_settop(L, 3);
      if (lua_next(L, 1) == 0) return 0;  // pops the key in slot 3, pushes key (slot 3) and value (slot 4)
      lua_pushvalue(L, 2);
      lua_pushvalue(L, 3);
      lua_pushvalue(L, 4);
      lua_remove(L, 4);  // t, f, key, | f, key, value
    }
    lua_callk(L, 2, 1, indexed ? 1 : 0, foreachStep);
    if (!lua_isnil(L, -1)) return 1;
    lua_pop(L, 1);
  }
}

int foreachStep(lua_State* L, int /*status*/, lua_KContext ctx) {
  const bool indexed = ctx != 0;
  if (!lua_isnil(L, -1)) return 1;
  lua_pop(L, 1);
  return foreachLoop(L, indexed);
}

int tabForeach(lua_State* L) {
  checkTable(L, 1);
  if (lua_type(L, 2) != LUA_TFUNCTION) typeError(L, 2, "function");
  lua_settop(L, 2);
  seeThrough(L, 1);
  lua_pushnil(L);  // slot 3: the key
  return foreachLoop(L, false);
}

int tabForeachi(lua_State* L) {
  checkTable(L, 1);
  if (lua_type(L, 2) != LUA_TFUNCTION) typeError(L, 2, "function");
  lua_settop(L, 2);
  seeThrough(L, 1);
  lua_pushinteger(L, 0);                                          // slot 3: the index
  lua_pushinteger(L, static_cast<lua_Integer>(lua_rawlen(L, 1)));  // slot 4: the length
  return foreachLoop(L, true);
}

}  // namespace

int openTable(lua_State* L, int luaTable) {
  luaTable = lua_absindex(L, luaTable);
  static const LibFunction kFunctions[] = {
      {"concat", tabConcat}, {"foreach", tabForeach}, {"foreachi", tabForeachi}, {"getn", tabGetn},
      {"maxn", tabMaxn},     {"insert", tabInsert},   {"remove", tabRemove},     {"pack", tabPack},
      {"unpack", tabUnpack}, {"move", tabMove},       {"create", tabCreate},     {"find", tabFind},
      {"clear", tabClear},   {"freeze", tabFreeze},   {"isfrozen", tabIsfrozen}, {"clone", tabClone},
      {nullptr, nullptr},
  };
  lua_createtable(L, 0, 20);
  setFunctions(L, kFunctions);
  lua_getfield(L, luaTable, "sort");
  pushWrapped(L, "sort", -1, WrapSpec{0, 0, 2});
  lua_setfield(L, -3, "sort");
  lua_pop(L, 1);
  return 1;
}

}  // namespace tw::luau::rt
