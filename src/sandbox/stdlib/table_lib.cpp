// The table library (see stdlib.h). Element access goes through lua_geti/lua_seti and lengths through
// luaL_len, so __index, __newindex and __len are respected as in stock Lua 5.4. Every loop that can run long
// polls the deadline. Every lua_CFunction here keeps only trivially destructible locals.

#include <bit>
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
// Stack layout: 1 table, 2 comparator or nil, 3 state userdata (nil for small sorts), 4 pivot. Element
// values are pushed above, as the states below say; the start states (kRangeStart, kScanI, kScanJ) are the
// only places that yield, and sortResume restores their stack height.

constexpr int kSlotTable = 1;
constexpr int kSlotComp = 2;
constexpr int kSlotState = 3;
constexpr int kSlotPivot = 4;
constexpr int kSortTop = 4;

constexpr lua_Integer kRandomPivotFrom = 100;  // ranges at least this long may use a random pivot
constexpr std::uint32_t kSortCheckEvery = 256;  // comparisons between two deadline/slice checks

enum SortPc : int {
  kRangeStart,   // start state (top 4): sort [lo, up], first compare a[up] < a[lo]
  kAfterEnds,    // 5 = a[lo], 6 = a[up]: swap if a[up] < a[lo]; then compare a[p] < a[lo]
  kAfterMidLo,   // 5 = a[p], 6 = a[lo]: swap if a[p] < a[lo]; else compare a[up] < a[p]
  kAfterMidUp,   // 5 = a[p], 6 = a[up] (or top 4 and less == false): swap if a[up] < a[p]; partition
  kScanI,        // start state (top 4): compare a[++i] < P
  kAfterScanI,   // 5 = a[i]
  kScanJ,        // start state (top 5, 5 = a[i]): compare P < a[--j]
  kAfterScanJ,   // 5 = a[i], 6 = a[j]
};

struct SortState {
  lua_Integer lo;
  lua_Integer up;
  lua_Integer i;
  lua_Integer j;
  lua_Integer p;
  lua_Integer* ranges;  // pending (lo, up) pairs: right after this struct in its userdata, or on the C stack
  int pending;          // pairs in use
  int capacity;         // room: log2(n) + 2 pairs (the smaller-side-first order needs at most log2(n) + 1)
  bool canYield;        // false for the small C-stack sorts below
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
  auto* st = static_cast<SortState*>(lua_touserdata(L, kSlotState));
  lua_settop(L, st->pc == kScanJ ? kSortTop + 1 : kSortTop);  // drop whatever the resume passed
  return sortRun(L, st);
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

// At a start state: polls the deadline (may raise) and says whether to yield now.
bool sliceOver(lua_State* L, SortState* st) {
  if (st->sinceCheck < kSortCheckEvery) return false;
  st->sinceCheck = 0;
  tw::limits::pollInterrupt(L);
  return st->canYield && tw::limits::detail::t_interrupt == static_cast<int>(tw::limits::Interrupt::kSlice) &&
         lua_isyieldable(L);
}

// Time slice over: give the worker back; the scheduler resumes us as any slice yield, at st->pc.
int sliceYield(lua_State* L) {
  tw::limits::ExecutionWatch::current().noteSliceYield(L);
  return lua_yieldk(L, 0, 0, sortResume);
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

lua_Integer* pendingRanges(SortState* st) { return st->ranges; }

// Partition done with the pivot at p: continue with the smaller side, keep the larger for later.
void splitRange(SortState* st) {
  const lua_Integer lowerSize = st->p - st->lo;
  const lua_Integer upperSize = st->up - st->p;
  lua_Integer smallLo = 0;
  lua_Integer smallUp = 0;
  lua_Integer* slot = pendingRanges(st) + 2 * st->pending;
  if (lowerSize < upperSize) {
    slot[0] = st->p + 1;
    slot[1] = st->up;
    smallLo = st->lo;
    smallUp = st->p - 1;
  } else {
    slot[0] = st->lo;
    slot[1] = st->p - 1;
    smallLo = st->p + 1;
    smallUp = st->up;
  }
  ++st->pending;  // < capacity: each pending range is larger than everything processed after it
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
          st->lo = pendingRanges(st)[2 * st->pending];
          st->up = pendingRanges(st)[2 * st->pending + 1];
          continue;
        }
        lua_geti(L, kSlotTable, st->lo);
        lua_geti(L, kSlotTable, st->up);
        st->pc = kAfterEnds;
        sortCompare(L, st, kSortTop + 2, kSortTop + 1);
        [[fallthrough]];
      case kAfterEnds:
        if (st->less) {  // a[up] < a[lo]: swap them
          lua_seti(L, kSlotTable, st->lo);
          lua_seti(L, kSlotTable, st->up);
        } else {
          lua_settop(L, kSortTop);
        }
        if (st->up - st->lo == 1) {  // two elements: done
          finishRange(st);
          continue;
        }
        st->p = choosePivot(st);
        lua_geti(L, kSlotTable, st->p);
        lua_geti(L, kSlotTable, st->lo);
        st->pc = kAfterMidLo;
        sortCompare(L, st, kSortTop + 1, kSortTop + 2);
        [[fallthrough]];
      case kAfterMidLo:
        if (st->less) {  // a[p] < a[lo]: swap them; a[up] needs no check
          lua_seti(L, kSlotTable, st->p);
          lua_seti(L, kSlotTable, st->lo);
          st->less = false;
        } else {
          lua_settop(L, kSortTop + 1);  // keep a[p]
          lua_geti(L, kSlotTable, st->up);
          st->pc = kAfterMidUp;
          sortCompare(L, st, kSortTop + 2, kSortTop + 1);
        }
        [[fallthrough]];
      case kAfterMidUp:
        if (st->less) {  // a[up] < a[p]: swap them
          lua_seti(L, kSlotTable, st->p);
          lua_seti(L, kSlotTable, st->up);
        } else {
          lua_settop(L, kSortTop);
        }
        if (st->up - st->lo == 2) {  // three elements, now in order
          finishRange(st);
          continue;
        }
        // a[lo] <= a[p] <= a[up]: move the pivot P to up - 1 and partition [lo + 1, up - 2].
        lua_geti(L, kSlotTable, st->p);
        lua_replace(L, kSlotPivot);
        lua_geti(L, kSlotTable, st->up - 1);
        lua_seti(L, kSlotTable, st->p);
        lua_pushvalue(L, kSlotPivot);
        lua_seti(L, kSlotTable, st->up - 1);
        st->i = st->lo;
        st->j = st->up - 1;
        st->pc = kScanI;
        continue;
      case kScanI:
        if (sliceOver(L, st)) return sliceYield(L);
        ++st->i;
        lua_geti(L, kSlotTable, st->i);
        st->pc = kAfterScanI;
        sortCompare(L, st, kSortTop + 1, kSlotPivot);
        [[fallthrough]];
      case kAfterScanI:
        if (st->less) {  // a[i] < P: keep going
          if (st->i == st->up - 1) return luaL_error(L, "invalid order function for sorting");
          lua_settop(L, kSortTop);
          st->pc = kScanI;
          continue;
        }
        st->pc = kScanJ;  // a[i] stays on the stack until the swap
        [[fallthrough]];
      case kScanJ:
        if (sliceOver(L, st)) return sliceYield(L);
        --st->j;
        lua_geti(L, kSlotTable, st->j);
        st->pc = kAfterScanJ;
        sortCompare(L, st, kSlotPivot, kSortTop + 2);
        [[fallthrough]];
      case kAfterScanJ:
        if (st->less) {  // P < a[j]: keep going
          if (st->j < st->i) return luaL_error(L, "invalid order function for sorting");
          lua_settop(L, kSortTop + 1);
          st->pc = kScanJ;
          continue;
        }
        if (st->j < st->i) {  // crossed: put the pivot at i, a[i] at up - 1
          lua_settop(L, kSortTop + 1);
          lua_seti(L, kSlotTable, st->up - 1);
          lua_pushvalue(L, kSlotPivot);
          lua_seti(L, kSlotTable, st->i);
          st->p = st->i;
          if (st->pending >= st->capacity) return luaL_error(L, "table.sort: internal error (pending ranges)");
          splitRange(st);
          continue;
        }
        lua_seti(L, kSlotTable, st->i);  // a[i] = a[j]
        lua_seti(L, kSlotTable, st->j);  // a[j] = old a[i]
        st->pc = kScanI;
        continue;
      default:
        return luaL_error(L, "table.sort: corrupt state");
    }
  }
}

constexpr lua_Integer kSmallSort = 64;
constexpr int kSmallSortCapacity = 9;  // bit_width(64) + 2

struct SmallSort {
  SortState st;
  lua_Integer ranges[2 * kSmallSortCapacity];
};

int tabSort(lua_State* L) {
  const lua_Integer n = lengthOf(L, 1, kTabReadWrite);
  if (n <= 1) return 0;
  luaL_argcheck(L, n < INT_MAX, 1, "array too big");
  if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_settop(L, 2);
  luaL_checkstack(L, kSortTop + 6, "table.sort");
  const bool hasComparator = !lua_isnil(L, kSlotComp);
  if (!hasComparator && n <= kSmallSort) {
    // Small sort with the default comparator: nothing can yield inside it and it ends within a few hundred
    // comparisons, so its state lives on the C stack (no allocation; trivially destructible).
    SmallSort small{};
    small.st.ranges = small.ranges;
    small.st.capacity = kSmallSortCapacity;
    small.st.canYield = false;
    small.st.lo = 1;
    small.st.up = n;
    small.st.pc = kRangeStart;
    small.st.hasComparator = false;
    lua_settop(L, kSortTop);  // slot 3 (no state userdata) and the pivot slot are nil
    return sortRun(L, &small.st);
  }
  const int capacity = std::bit_width(static_cast<std::uint64_t>(n)) + 2;
  const std::size_t bytes = sizeof(SortState) + 2 * sizeof(lua_Integer) * static_cast<std::size_t>(capacity);
  auto* st = static_cast<SortState*>(lua_newuserdatauv(L, bytes, 0));
  *st = SortState{};
  st->ranges = reinterpret_cast<lua_Integer*>(reinterpret_cast<unsigned char*>(st) + sizeof(SortState));
  st->capacity = capacity;
  st->canYield = true;
  st->lo = 1;
  st->up = n;
  st->pc = kRangeStart;
  st->hasComparator = hasComparator;
  lua_settop(L, kSortTop);  // the pivot slot starts as nil
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
