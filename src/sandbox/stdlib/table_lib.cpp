// The table library (see stdlib.h). Element access goes through lua_geti/lua_seti and lengths through
// luaL_len, so __index, __newindex and __len are respected as in stock Lua 5.4. Every loop that can run long
// polls the deadline. Every lua_CFunction here keeps only trivially destructible locals.

#include <climits>
#include <iterator>

#include "sandbox/stdlib/internal.h"

namespace tw::sandbox::stdlib {

namespace {

using detail::kPollEvery;
using detail::limitsOf;

// What a non-table argument must support (through its metatable) to be accepted.
enum TableAccess : int { kTabRead = 1, kTabWrite = 2, kTabLen = 4, kTabReadWrite = kTabRead | kTabWrite };

bool hasMetaField(lua_State* L, const char* key, int n) {
  lua_pushstring(L, key);
  return lua_rawget(L, -n) != LUA_TNIL;  // the metatable is below the n - 1 values pushed since
}

void checkTable(lua_State* L, int arg, int what) {
  if (lua_type(L, arg) == LUA_TTABLE) return;
  int n = 1;
  if (lua_getmetatable(L, arg) != 0 && ((what & kTabRead) == 0 || hasMetaField(L, "__index", ++n)) &&
      ((what & kTabWrite) == 0 || hasMetaField(L, "__newindex", ++n)) &&
      ((what & kTabLen) == 0 || hasMetaField(L, "__len", ++n))) {
    lua_pop(L, n);
  } else {
    luaL_checktype(L, arg, LUA_TTABLE);  // raises the usual "table expected" error
  }
}

lua_Integer lengthOf(lua_State* L, int arg, int what) {
  checkTable(L, arg, what | kTabLen);
  return luaL_len(L, arg);
}

// Wrapping integer arithmetic, as Lua's own (no undefined behaviour on overflow).
lua_Integer wrapAdd(lua_Integer a, lua_Integer b) {
  return static_cast<lua_Integer>(static_cast<lua_Unsigned>(a) + static_cast<lua_Unsigned>(b));
}

inline void pollEvery(lua_State* L, lua_Unsigned counter) {
  if ((counter & (kPollEvery - 1)) == 0) tw::limits::pollInterrupt(L);
}

int tabInsert(lua_State* L) {
  const lua_Integer e = wrapAdd(lengthOf(L, 1, kTabReadWrite), 1);  // first empty slot
  lua_Integer pos = 0;
  switch (lua_gettop(L)) {
    case 2:
      pos = e;
      break;
    case 3: {
      pos = luaL_checkinteger(L, 2);
      // pos must be in [1, e]
      luaL_argcheck(L, static_cast<lua_Unsigned>(pos) - 1u < static_cast<lua_Unsigned>(e), 2,
                    "position out of bounds");
      lua_Unsigned moved = 0;
      for (lua_Integer i = e; i > pos; --i) {  // move up the elements after pos
        lua_geti(L, 1, i - 1);
        lua_seti(L, 1, i);
        pollEvery(L, ++moved);
      }
      break;
    }
    default:
      return luaL_error(L, "wrong number of arguments to 'insert'");
  }
  lua_seti(L, 1, pos);
  return 0;
}

int tabRemove(lua_State* L) {
  const lua_Integer size = lengthOf(L, 1, kTabReadWrite);
  lua_Integer pos = luaL_optinteger(L, 2, size);
  if (pos != size) {  // pos must be in [1, size + 1]; stock Lua 5.4.4 blames argument #1
    luaL_argcheck(L, static_cast<lua_Unsigned>(pos) - 1u <= static_cast<lua_Unsigned>(size), 1,
                  "position out of bounds");
  }
  lua_geti(L, 1, pos);  // the result
  lua_Unsigned moved = 0;
  for (; pos < size; ++pos) {
    lua_geti(L, 1, pos + 1);
    lua_seti(L, 1, pos);
    pollEvery(L, ++moved);
  }
  lua_pushnil(L);
  lua_seti(L, 1, pos);
  return 1;
}

int tabMove(lua_State* L) {
  const lua_Integer f = luaL_checkinteger(L, 2);
  const lua_Integer e = luaL_checkinteger(L, 3);
  const lua_Integer t = luaL_checkinteger(L, 4);
  const int tt = !lua_isnoneornil(L, 5) ? 5 : 1;  // destination table
  checkTable(L, 1, kTabRead);
  checkTable(L, tt, kTabWrite);
  if (e >= f) {
    luaL_argcheck(L, f > 0 || e < LUA_MAXINTEGER + f, 3, "too many elements to move");
    const lua_Integer n = e - f + 1;  // elements to move
    luaL_argcheck(L, t <= LUA_MAXINTEGER - n + 1, 4, "destination wrap around");
    if (t > e || t <= f || (tt != 1 && lua_compare(L, 1, tt, LUA_OPEQ) == 0)) {
      for (lua_Integer i = 0; i < n; ++i) {
        lua_geti(L, 1, f + i);
        lua_seti(L, tt, t + i);
        pollEvery(L, static_cast<lua_Unsigned>(i) + 1);
      }
    } else {  // overlapping, destination after source: copy backwards
      for (lua_Integer i = n - 1; i >= 0; --i) {
        lua_geti(L, 1, f + i);
        lua_seti(L, tt, t + i);
        pollEvery(L, static_cast<lua_Unsigned>(i));
      }
    }
  }
  lua_pushvalue(L, tt);
  return 1;
}

void addField(lua_State* L, luaL_Buffer* b, lua_Integer i) {
  lua_geti(L, 1, i);
  if (!lua_isstring(L, -1)) {
    luaL_error(L, "invalid value (%s) at index %I in table for 'concat'", luaL_typename(L, -1),
               static_cast<LUAI_UACINT>(i));
  }
  luaL_addvalue(b);
}

int tabConcat(lua_State* L) {
  lua_Integer last = lengthOf(L, 1, kTabRead);
  std::size_t lsep = 0;
  const char* sep = luaL_optlstring(L, 2, "", &lsep);
  lua_Integer i = luaL_optinteger(L, 3, 1);
  last = luaL_optinteger(L, 4, last);
  const std::size_t maxBytes = limitsOf(L).maxStringBytes;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  lua_Unsigned count = 0;
  for (; i < last; ++i) {
    addField(L, &b, i);
    luaL_addlstring(&b, sep, lsep);
    if (luaL_bufflen(&b) > maxBytes) return luaL_error(L, "resulting string too large");
    pollEvery(L, ++count);
  }
  if (i == last) addField(L, &b, i);  // the last element has no separator after it
  if (luaL_bufflen(&b) > maxBytes) return luaL_error(L, "resulting string too large");
  luaL_pushresult(&b);
  return 1;
}

int tabPack(lua_State* L) {
  const int n = lua_gettop(L);
  lua_createtable(L, n, 1);
  lua_insert(L, 1);
  for (int i = n; i >= 1; --i) lua_seti(L, 1, i);  // pops the arguments from the top down
  lua_pushinteger(L, n);
  lua_setfield(L, 1, "n");
  return 1;
}

int tabUnpack(lua_State* L) {
  lua_Integer i = luaL_optinteger(L, 2, 1);
  const lua_Integer e = lua_isnoneornil(L, 3) ? luaL_len(L, 1) : luaL_checkinteger(L, 3);
  if (i > e) return 0;
  lua_Unsigned n = static_cast<lua_Unsigned>(e) - static_cast<lua_Unsigned>(i);  // results - 1
  if (n >= static_cast<lua_Unsigned>(INT_MAX) || lua_checkstack(L, static_cast<int>(++n)) == 0) {
    return luaL_error(L, "too many results to unpack");
  }
  for (; i < e; ++i) lua_geti(L, 1, i);  // at most LUAI_MAXSTACK elements: lua_checkstack bounds n
  lua_geti(L, 1, e);
  return static_cast<int>(n);
}

// --- table.sort ----------------------------------------------------------------------------------------
//
// Median-of-3 quicksort written as a resumable state machine: every piece of state lives in a userdata on
// the Lua stack (slot kSlotState) and in fixed stack slots, never in C++ locals across a comparison. That
// lets the sort
//   - yield when the time slice is over (lua_yieldk, continuing in sortResume), and
//   - call the comparator with lua_callk, so the count hook may yield inside it (continuing in
//     sortCompareDone).
// Pending ranges are kept on an explicit stack, the larger one pushed, so its depth is at most log2(n).
//
// Stack layout: 1 table, 2 comparator or nil, 3 state, 4 pivot, 5 and 6 element values; top is kSortTop
// at every "start" state (the only places that yield). While a partition scan compares, the scanned
// element sits just above, in slot kSlotScan.

constexpr int kSlotTable = 1;
constexpr int kSlotComp = 2;
constexpr int kSlotState = 3;
constexpr int kSlotPivot = 4;
constexpr int kSlotA = 5;
constexpr int kSlotB = 6;
constexpr int kSortTop = 6;
constexpr int kSlotScan = 7;

constexpr int kSortStack = 64;
constexpr lua_Integer kRandomPivotFrom = 100;  // ranges at least this long may use a random pivot
constexpr std::uint32_t kSortCheckEvery = 256;  // comparisons between two deadline/slice checks

enum SortPc : int {
  kRangeStart,   // start state: sort [lo, up], first compare a[up] < a[lo]
  kAfterEnds,    // result of a[up] < a[lo]; then compare a[p] < a[lo]
  kAfterMidLo,   // result of a[p] < a[lo]; maybe compare a[up] < a[p]
  kAfterMidUp,   // result of a[up] < a[p]; then set up the partition
  kScanI,        // start state: compare a[++i] < P
  kAfterScanI,   // result, with a[i] in kSlotScan
  kScanJ,        // start state: compare P < a[--j]
  kAfterScanJ,   // result, with a[j] in kSlotScan
};

struct SortState {
  lua_Integer lo;
  lua_Integer up;
  lua_Integer i;
  lua_Integer j;
  lua_Integer p;
  lua_Integer pendingLo[kSortStack];
  lua_Integer pendingUp[kSortStack];
  int pending;
  int pc;
  bool hasComparator;
  bool less;  // result of the last comparison
  std::uint32_t random;  // 0 until a partition came out badly unbalanced
  std::uint32_t sinceCheck;
};

int sortRun(lua_State* L, SortState* st);

// The comparator returned after yielding: its result is on top.
int sortCompareDone(lua_State* L, int /*status*/, lua_KContext /*ctx*/) {
  auto* st = static_cast<SortState*>(lua_touserdata(L, kSlotState));
  st->less = lua_toboolean(L, -1) != 0;
  lua_pop(L, 1);
  return sortRun(L, st);
}

int sortResume(lua_State* L, int /*status*/, lua_KContext /*ctx*/) {
  lua_settop(L, kSortTop);  // drop whatever the resume passed
  return sortRun(L, static_cast<SortState*>(lua_touserdata(L, kSlotState)));
}

// Sets st->less = (value at a) < (value at b); a and b are absolute indices. Leaves the stack as it was.
// REQUIRES: st->pc names the state that consumes st->less (the continuation resumes there).
inline void sortCompare(lua_State* L, SortState* st, int a, int b) {
  ++st->sinceCheck;
  if (!st->hasComparator) {
    st->less = lua_compare(L, a, b, LUA_OPLT) != 0;
    return;
  }
  lua_pushvalue(L, kSlotComp);
  lua_pushvalue(L, a);
  lua_pushvalue(L, b);
  lua_callk(L, 2, 1, 0, sortCompareDone);
  st->less = lua_toboolean(L, -1) != 0;
  lua_pop(L, 1);
}

// At a start state (top == kSortTop): polls the deadline (may raise) and says whether to yield now.
bool sliceOver(lua_State* L, SortState* st) {
  if (st->sinceCheck < kSortCheckEvery) return false;
  st->sinceCheck = 0;
  tw::limits::pollInterrupt(L);
  return tw::limits::detail::t_interrupt == static_cast<int>(tw::limits::Interrupt::kSlice) &&
         lua_isyieldable(L);
}

// Time slice over: give the worker back; the scheduler resumes us as any slice yield, at st->pc.
int sliceYield(lua_State* L) {
  tw::limits::ExecutionWatch::current().noteSliceYield(L);
  return lua_yieldk(L, 0, 0, sortResume);
}

void loadElement(lua_State* L, lua_Integer i, int slot) {
  lua_geti(L, kSlotTable, i);
  lua_replace(L, slot);
}

void storeElement(lua_State* L, lua_Integer i, int slot) {
  lua_pushvalue(L, slot);
  lua_seti(L, kSlotTable, i);
}

std::uint32_t nextRandom(std::uint32_t x) {  // xorshift32; never returns 0 for x != 0
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return x;
}

// The range [lo, up] is finished: continue with the next pending one (kRangeStart handles lo >= up).
void finishRange(SortState* st) {
  st->lo = st->up;
  st->pc = kRangeStart;
}

// Partition done with the pivot at p: continue with the smaller side, keep the larger for later.
void splitRange(SortState* st) {
  const lua_Integer lowerSize = st->p - st->lo;
  const lua_Integer upperSize = st->up - st->p;
  lua_Integer smallLo = 0;
  lua_Integer smallUp = 0;
  if (lowerSize < upperSize) {
    st->pendingLo[st->pending] = st->p + 1;
    st->pendingUp[st->pending] = st->up;
    smallLo = st->lo;
    smallUp = st->p - 1;
  } else {
    st->pendingLo[st->pending] = st->lo;
    st->pendingUp[st->pending] = st->p - 1;
    smallLo = st->p + 1;
    smallUp = st->up;
  }
  ++st->pending;  // bounded: each pending range is at least as large as everything processed after it
  const lua_Integer smaller = lowerSize < upperSize ? lowerSize : upperSize;
  const lua_Integer larger = lowerSize < upperSize ? upperSize : lowerSize;
  if (larger / 128 > smaller) {  // badly unbalanced: pick pivots at random from now on
    const auto seed = static_cast<std::uint32_t>(tw::limits::monotonicNanos()) | 1u;
    st->random = nextRandom(st->random ^ seed);
    if (st->random == 0) st->random = 1;
  }
  st->lo = smallLo;
  st->up = smallUp;
  st->pc = kRangeStart;
}

lua_Integer choosePivot(SortState* st) {
  const lua_Integer span = st->up - st->lo;
  if (span < kRandomPivotFrom || st->random == 0) return st->lo + span / 2;
  st->random = nextRandom(st->random);
  const lua_Integer quarter = span / 4;  // choose in the middle half
  return st->lo + quarter + static_cast<lua_Integer>(st->random % static_cast<std::uint32_t>(quarter * 2));
}

int sortRun(lua_State* L, SortState* st) {
  for (;;) {
    switch (st->pc) {
      case kRangeStart:
        if (sliceOver(L, st)) return sliceYield(L);
        if (st->lo >= st->up) {
          if (st->pending == 0) return 0;  // sorted
          --st->pending;
          st->lo = st->pendingLo[st->pending];
          st->up = st->pendingUp[st->pending];
          continue;
        }
        loadElement(L, st->lo, kSlotA);
        loadElement(L, st->up, kSlotB);
        st->pc = kAfterEnds;
        sortCompare(L, st, kSlotB, kSlotA);
        [[fallthrough]];
      case kAfterEnds:
        if (st->less) {  // a[up] < a[lo]: swap them
          storeElement(L, st->lo, kSlotB);
          storeElement(L, st->up, kSlotA);
        }
        if (st->up - st->lo == 1) {  // two elements: done
          finishRange(st);
          continue;
        }
        st->p = choosePivot(st);
        loadElement(L, st->p, kSlotA);
        loadElement(L, st->lo, kSlotB);
        st->pc = kAfterMidLo;
        sortCompare(L, st, kSlotA, kSlotB);
        [[fallthrough]];
      case kAfterMidLo:
        if (st->less) {  // a[p] < a[lo]: swap them
          storeElement(L, st->p, kSlotB);
          storeElement(L, st->lo, kSlotA);
          st->less = false;  // a[up] vs a[p] needs no check
        } else {
          loadElement(L, st->up, kSlotB);
          st->pc = kAfterMidUp;
          sortCompare(L, st, kSlotB, kSlotA);
        }
        [[fallthrough]];
      case kAfterMidUp:
        if (st->less) {  // a[up] < a[p]: swap them
          storeElement(L, st->p, kSlotB);
          storeElement(L, st->up, kSlotA);
        }
        if (st->up - st->lo == 2) {  // three elements, now in order
          finishRange(st);
          continue;
        }
        // a[lo] <= a[p] <= a[up]: move the pivot P to up - 1 and partition [lo + 1, up - 2].
        loadElement(L, st->p, kSlotPivot);
        loadElement(L, st->up - 1, kSlotA);
        storeElement(L, st->p, kSlotA);
        storeElement(L, st->up - 1, kSlotPivot);
        st->i = st->lo;
        st->j = st->up - 1;
        st->pc = kScanI;
        continue;
      case kScanI:
        if (sliceOver(L, st)) return sliceYield(L);
        ++st->i;
        lua_geti(L, kSlotTable, st->i);  // into kSlotScan
        st->pc = kAfterScanI;
        sortCompare(L, st, kSlotScan, kSlotPivot);
        [[fallthrough]];
      case kAfterScanI:
        if (st->less) {  // a[i] < P: keep going
          if (st->i == st->up - 1) return luaL_error(L, "invalid order function for sorting");
          lua_settop(L, kSortTop);
          st->pc = kScanI;
          continue;
        }
        lua_replace(L, kSlotA);  // a[i] stays in slot A until the swap
        st->pc = kScanJ;
        [[fallthrough]];
      case kScanJ:
        if (sliceOver(L, st)) return sliceYield(L);
        --st->j;
        lua_geti(L, kSlotTable, st->j);  // into kSlotScan
        st->pc = kAfterScanJ;
        sortCompare(L, st, kSlotPivot, kSlotScan);
        [[fallthrough]];
      case kAfterScanJ:
        if (st->less) {  // P < a[j]: keep going
          if (st->j < st->i) return luaL_error(L, "invalid order function for sorting");
          lua_settop(L, kSortTop);
          st->pc = kScanJ;
          continue;
        }
        if (st->j < st->i) {  // crossed: put the pivot at i, a[i] at up - 1
          lua_settop(L, kSortTop);
          storeElement(L, st->up - 1, kSlotA);
          storeElement(L, st->i, kSlotPivot);
          st->p = st->i;
          splitRange(st);
          continue;
        }
        lua_seti(L, kSlotTable, st->i);  // a[i] = a[j] (pops kSlotScan)
        storeElement(L, st->j, kSlotA);  // a[j] = old a[i]
        st->pc = kScanI;
        continue;
      default:
        return luaL_error(L, "table.sort: corrupt state");
    }
  }
}

int tabSort(lua_State* L) {
  const lua_Integer n = lengthOf(L, 1, kTabReadWrite);
  if (n <= 1) return 0;
  luaL_argcheck(L, n < INT_MAX, 1, "array too big");
  if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_settop(L, 2);
  luaL_checkstack(L, kSlotScan + 4, "table.sort");
  auto* st = static_cast<SortState*>(lua_newuserdatauv(L, sizeof(SortState), 0));
  *st = SortState{};
  st->lo = 1;
  st->up = n;
  st->pc = kRangeStart;
  st->hasComparator = !lua_isnil(L, kSlotComp);
  lua_settop(L, kSortTop);  // pivot and the two element slots start as nil
  return sortRun(L, st);
}

constexpr luaL_Reg kTableFunctions[] = {
    {"concat", tabConcat}, {"insert", tabInsert}, {"move", tabMove},     {"pack", tabPack},
    {"remove", tabRemove}, {"sort", tabSort},     {"unpack", tabUnpack}, {nullptr, nullptr},
};

}  // namespace

int openTable(lua_State* L, const StdlibLimits* limits) {
  luaL_checkstack(L, 3, "table library");
  lua_createtable(L, 0, static_cast<int>(std::size(kTableFunctions)) - 1);
  detail::pushLimits(L, limits);
  luaL_setfuncs(L, kTableFunctions, 1);
  return 1;
}

}  // namespace tw::sandbox::stdlib
