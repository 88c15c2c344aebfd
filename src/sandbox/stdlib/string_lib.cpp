// The string library (see stdlib.h). Every lua_CFunction here keeps only trivially destructible locals
// (pointers, sizes, luaL_Buffer, MatchState), so a Lua error may unwind any of them.

#include <climits>
#include <cstring>
#include <iterator>

#include "sandbox/stdlib/internal.h"
#include "sandbox/stdlib/pattern.h"

namespace tw::sandbox::stdlib {

namespace detail {

void pushLimits(lua_State* L, const StdlibLimits* limits) {
  auto* copy = static_cast<StdlibLimits*>(lua_newuserdatauv(L, sizeof(StdlibLimits), 0));
  *copy = (limits != nullptr) ? *limits : StdlibLimits{};
}

}  // namespace detail

namespace {

using detail::charge;
using detail::endPosition;
using detail::limitsOf;
using detail::MatchState;
using detail::startPosition;

// --- Simple functions ----------------------------------------------------------------------------------

int strLen(lua_State* L) {
  std::size_t l = 0;
  luaL_checklstring(L, 1, &l);
  lua_pushinteger(L, static_cast<lua_Integer>(l));
  return 1;
}

int strSub(lua_State* L) {
  std::size_t l = 0;
  const char* s = luaL_checklstring(L, 1, &l);
  const std::size_t start = startPosition(luaL_checkinteger(L, 2), l);
  const std::size_t end = endPosition(luaL_optinteger(L, 3, -1), l);
  if (start > end) {
    lua_pushliteral(L, "");
  } else {
    lua_pushlstring(L, s + start - 1, end - start + 1);
  }
  return 1;
}

// Maps every byte of argument 1 through `map` (linear in the input, which the VM's memory cap bounds).
template <char (*Map)(char)>
int mapBytes(lua_State* L) {
  std::size_t l = 0;
  const char* s = luaL_checklstring(L, 1, &l);
  luaL_Buffer b;
  char* out = luaL_buffinitsize(L, &b, l);
  for (std::size_t i = 0; i < l; ++i) out[i] = Map(s[i]);
  luaL_pushresultsize(&b, l);
  return 1;
}

char toLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c; }
char toUpper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - ('a' - 'A')) : c; }

int strReverse(lua_State* L) {
  std::size_t l = 0;
  const char* s = luaL_checklstring(L, 1, &l);
  luaL_Buffer b;
  char* out = luaL_buffinitsize(L, &b, l);
  for (std::size_t i = 0; i < l; ++i) out[i] = s[l - i - 1];
  luaL_pushresultsize(&b, l);
  return 1;
}

int strByte(lua_State* L) {
  std::size_t l = 0;
  const char* s = luaL_checklstring(L, 1, &l);
  const lua_Integer first = luaL_optinteger(L, 2, 1);
  const std::size_t posi = startPosition(first, l);
  const std::size_t pose = endPosition(luaL_optinteger(L, 3, first), l);  // default: the raw start
  if (posi > pose) return 0;
  if (pose - posi >= static_cast<std::size_t>(INT_MAX)) return luaL_error(L, "string slice too long");
  const int n = static_cast<int>(pose - posi) + 1;
  luaL_checkstack(L, n, "string slice too long");
  for (int i = 0; i < n; ++i) {
    lua_pushinteger(L, static_cast<unsigned char>(s[posi + static_cast<std::size_t>(i) - 1]));
  }
  return n;
}

int strChar(lua_State* L) {
  const int n = lua_gettop(L);
  luaL_Buffer b;
  char* p = luaL_buffinitsize(L, &b, static_cast<std::size_t>(n));
  for (int i = 1; i <= n; ++i) {
    const auto c = static_cast<lua_Unsigned>(luaL_checkinteger(L, i));
    luaL_argcheck(L, c <= static_cast<lua_Unsigned>(UCHAR_MAX), i, "value out of range");
    p[i - 1] = static_cast<char>(static_cast<unsigned char>(c));
  }
  luaL_pushresultsize(&b, static_cast<std::size_t>(n));
  return 1;
}

// string.rep: the size is checked before anything is allocated; the copy doubles the filled prefix in
// chunks of at most kRepChunk bytes and polls the deadline between chunks.
constexpr std::size_t kRepChunk = std::size_t{1} << 20;

int strRep(lua_State* L) {
  std::size_t l = 0;
  std::size_t lsep = 0;
  const char* s = luaL_checklstring(L, 1, &l);
  const lua_Integer n = luaL_checkinteger(L, 2);
  const char* sep = luaL_optlstring(L, 3, "", &lsep);
  if (n <= 0 || l + lsep == 0) {  // an empty result, however large n is
    lua_pushliteral(L, "");
    return 1;
  }
  const std::size_t maxBytes = limitsOf(L).maxStringBytes;
  const auto count = static_cast<std::size_t>(n);
  const std::size_t unit = l + lsep;  // one copy of s followed by sep; cannot overflow (both in memory)
  // The result is count * unit - lsep bytes: refuse it before multiplying.
  const std::size_t room = (maxBytes > ~std::size_t{0} - lsep) ? ~std::size_t{0} : maxBytes + lsep;
  if (unit > room / count) return luaL_error(L, "resulting string too large");
  const std::size_t total = count * unit - lsep;
  if (total > maxBytes) return luaL_error(L, "resulting string too large");
  luaL_Buffer b;
  char* out = luaL_buffinitsize(L, &b, total);
  // First unit (the last one has no separator when n == 1).
  std::memcpy(out, s, l);
  std::size_t filled = l;
  if (total > l) {
    std::memcpy(out + l, sep, lsep);
    filled = unit;
  }
  // The result is the first unit repeated. Every copy but the last copies a whole number of units from
  // the start (so `filled` stays a multiple of the unit and the period is kept); the last one copies a
  // prefix of whatever length is left.
  const std::size_t maxChunk = kRepChunk > unit ? kRepChunk - kRepChunk % unit : unit;
  while (filled < total) {
    std::size_t chunk = filled < maxChunk ? filled : maxChunk;
    if (chunk > total - filled) chunk = total - filled;
    std::memcpy(out + filled, out, chunk);
    filled += chunk;
    tw::limits::pollInterrupt(L);
  }
  luaL_pushresultsize(&b, total);
  return 1;
}

// --- Pattern matching ----------------------------------------------------------------------------------

// Plain substring search in linear time, so it needs no budget: memchr + memcmp (fastest for ordinary
// needles) until the bytes it may have compared exceed a few times the subject, then glibc's memmem
// (two-way algorithm, linear worst case).
const char* plainFind(const char* s, std::size_t ls, const char* p, std::size_t lp) {
  if (lp == 0) return s;
  if (lp > ls) return nullptr;
  const char* cur = s;
  const char* const last = s + (ls - lp);  // the last possible start
  const std::size_t workLimit = 4 * ls + 4096;
  std::size_t work = 0;
  while (cur <= last) {
    cur = static_cast<const char*>(std::memchr(cur, p[0], static_cast<std::size_t>(last - cur) + 1));
    if (cur == nullptr) return nullptr;
    if (std::memcmp(cur + 1, p + 1, lp - 1) == 0) return cur;
    ++cur;
    work += lp;
    if (work > workLimit) {
      return static_cast<const char*>(memmem(cur, static_cast<std::size_t>(s + ls - cur), p, lp));
    }
  }
  return nullptr;
}

int strFindAux(lua_State* L, bool find) {
  std::size_t ls = 0;
  std::size_t lp = 0;
  const char* s = luaL_checklstring(L, 1, &ls);
  const char* p = luaL_checklstring(L, 2, &lp);
  const std::size_t init = startPosition(luaL_optinteger(L, 3, 1), ls) - 1;
  if (init > ls) {  // start after the end of the subject: no match
    luaL_pushfail(L);
    return 1;
  }
  if (find && (lua_toboolean(L, 4) || detail::hasNoSpecials(p, lp))) {
    const char* found = plainFind(s + init, ls - init, p, lp);
    if (found != nullptr) {
      const auto at = static_cast<std::size_t>(found - s);
      lua_pushinteger(L, static_cast<lua_Integer>(at + 1));
      lua_pushinteger(L, static_cast<lua_Integer>(at + lp));
      return 2;
    }
  } else {
    MatchState ms;
    const bool anchor = (lp > 0 && *p == '^');
    if (anchor) {
      ++p;
      --lp;
    }
    detail::initMatch(ms, L, s, ls, p, lp, detail::patternBudget(limitsOf(L), ls));
    const char* s1 = s + init;
    do {
      detail::resetMatch(ms);
      const char* e = detail::doMatch(ms, s1, p);
      if (e != nullptr) {
        if (find) {
          lua_pushinteger(L, static_cast<lua_Integer>(s1 - s) + 1);
          lua_pushinteger(L, static_cast<lua_Integer>(e - s));
          return detail::pushCaptures(ms, nullptr, nullptr) + 2;
        }
        return detail::pushCaptures(ms, s1, e);
      }
    } while (s1++ < ms.srcEnd && !anchor);
  }
  luaL_pushfail(L);
  return 1;
}

int strFind(lua_State* L) { return strFindAux(L, true); }
int strMatch(lua_State* L) { return strFindAux(L, false); }

// gmatch keeps positions (offsets), never pointers, in its state, and updates it only after a successful
// match: an iterator that raised (budget, deadline, bad pattern) can be called again safely.
struct GmatchState {
  std::size_t src;        // where the next search starts
  std::size_t lastMatch;  // end of the last match, or kNoMatch
};
constexpr std::size_t kNoMatch = ~std::size_t{0};

// Upvalues: 1 limits, 2 subject, 3 pattern, 4 GmatchState.
int gmatchAux(lua_State* L) {
  std::size_t ls = 0;
  std::size_t lp = 0;
  const char* s = lua_tolstring(L, lua_upvalueindex(2), &ls);
  const char* p = lua_tolstring(L, lua_upvalueindex(3), &lp);
  auto* gm = static_cast<GmatchState*>(lua_touserdata(L, lua_upvalueindex(4)));
  MatchState ms;
  detail::initMatch(ms, L, s, ls, p, lp, detail::patternBudget(limitsOf(L), ls));
  for (std::size_t pos = gm->src; pos <= ls; ++pos) {
    detail::resetMatch(ms);
    const char* e = detail::doMatch(ms, s + pos, p);
    if (e != nullptr && static_cast<std::size_t>(e - s) != gm->lastMatch) {
      gm->src = gm->lastMatch = static_cast<std::size_t>(e - s);
      return detail::pushCaptures(ms, s + pos, e);
    }
  }
  gm->src = ls + 1;  // exhausted: later calls return nothing at once
  return 0;
}

int strGmatch(lua_State* L) {
  std::size_t ls = 0;
  luaL_checklstring(L, 1, &ls);
  luaL_checkstring(L, 2);
  std::size_t init = startPosition(luaL_optinteger(L, 3, 1), ls) - 1;
  if (init > ls) init = ls + 1;  // start after the end: no match at all
  lua_settop(L, 2);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);  // limits, s, p
  auto* gm = static_cast<GmatchState*>(lua_newuserdatauv(L, sizeof(GmatchState), 0));
  gm->src = init;
  gm->lastMatch = kNoMatch;
  lua_pushcclosure(L, gmatchAux, 4);
  return 1;
}

// Appends the replacement string (argument 3) for the match [s, e), expanding %0-%9 and %%.
void addReplacementString(MatchState& ms, luaL_Buffer* b, const char* s, const char* e) {
  lua_State* L = ms.L;
  std::size_t l = 0;
  const char* p = lua_tolstring(L, 3, &l);
  charge(ms, l / 16);
  const char* q = nullptr;
  while ((q = static_cast<const char*>(std::memchr(p, '%', l))) != nullptr) {
    luaL_addlstring(b, p, static_cast<std::size_t>(q - p));
    ++q;  // the character after '%' (the string's terminating NUL when '%' is last)
    if (*q == '%') {
      luaL_addchar(b, '%');
    } else if (*q == '0') {
      luaL_addlstring(b, s, static_cast<std::size_t>(e - s));
    } else if (*q >= '1' && *q <= '9') {
      const char* cap = nullptr;
      const std::ptrdiff_t len = detail::getOneCapture(ms, *q - '1', s, e, &cap);
      if (len == detail::kCapPosition) {
        luaL_addvalue(b);  // the position pushed by getOneCapture
      } else {
        luaL_addlstring(b, cap, static_cast<std::size_t>(len));
      }
    } else {
      luaL_error(L, "invalid use of '%c' in replacement string", '%');
    }
    l -= static_cast<std::size_t>(q + 1 - p);
    p = q + 1;
  }
  luaL_addlstring(b, p, l);
}

// Appends the replacement for the match [s, e); returns false when the original text was kept.
bool addReplacement(MatchState& ms, luaL_Buffer* b, const char* s, const char* e, int replType) {
  lua_State* L = ms.L;
  if (replType == LUA_TFUNCTION) {
    lua_pushvalue(L, 3);
    const int n = detail::pushCaptures(ms, s, e);
    lua_call(L, n, 1);
  } else if (replType == LUA_TTABLE) {
    detail::pushOneCapture(ms, 0, s, e);
    lua_gettable(L, 3);
  } else {
    addReplacementString(ms, b, s, e);
    return true;
  }
  if (!lua_toboolean(L, -1)) {  // nil or false: keep the original text
    lua_pop(L, 1);
    luaL_addlstring(b, s, static_cast<std::size_t>(e - s));
    return false;
  }
  if (!lua_isstring(L, -1)) {
    luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
  }
  luaL_addvalue(b);
  return true;
}

int strGsub(lua_State* L) {
  std::size_t srcl = 0;
  std::size_t lp = 0;
  const char* src = luaL_checklstring(L, 1, &srcl);
  const char* p = luaL_checklstring(L, 2, &lp);
  const int replType = lua_type(L, 3);
  const lua_Integer maxN = luaL_optinteger(L, 4, static_cast<lua_Integer>(srcl) + 1);
  luaL_argexpected(L,
                   replType == LUA_TNUMBER || replType == LUA_TSTRING || replType == LUA_TFUNCTION ||
                       replType == LUA_TTABLE,
                   3, "string/function/table");
  const std::size_t maxBytes = limitsOf(L).maxStringBytes;
  const bool anchor = (lp > 0 && *p == '^');
  if (anchor) {
    ++p;
    --lp;
  }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  MatchState ms;
  detail::initMatch(ms, L, src, srcl, p, lp, detail::patternBudget(limitsOf(L), srcl));
  const char* lastMatch = nullptr;
  lua_Integer n = 0;
  bool changed = false;
  while (n < maxN) {
    detail::resetMatch(ms);
    const char* e = detail::doMatch(ms, src, p);
    if (e != nullptr && e != lastMatch) {
      ++n;
      changed = addReplacement(ms, &b, src, e, replType) || changed;
      src = lastMatch = e;
    } else if (src < ms.srcEnd) {
      luaL_addchar(&b, *src++);
    } else {
      break;
    }
    if (luaL_bufflen(&b) > maxBytes) return luaL_error(L, "resulting string too large");
    if (anchor) break;
  }
  if (!changed) {
    lua_pushvalue(L, 1);  // nothing replaced: the subject itself
  } else {
    luaL_addlstring(&b, src, static_cast<std::size_t>(ms.srcEnd - src));
    if (luaL_bufflen(&b) > maxBytes) return luaL_error(L, "resulting string too large");
    luaL_pushresult(&b);
  }
  lua_pushinteger(L, n);
  return 2;
}

// --- Stock functions -----------------------------------------------------------------------------------
//
// string.format, string.pack, string.packsize and string.unpack are Lua 5.4.4's own. We convinced ourselves
// (reading their specification and probing them) that they are bounded and cannot crash:
//   - format walks its format string once; each conversion spec is at most a few characters (width and
//     precision are limited to two digits, "invalid conversion" otherwise) and formats into a fixed-size
//     item (at most ~420 bytes even for "%99.99f" of 1e308); "%s" and "%q" copy or quote one argument
//     linearly. Its work is linear in (format length + size of the arguments + size of the result), and
//     the result lives in a luaL_Buffer, so the VM's memory cap bounds it. The only code it runs besides
//     that is an argument's __tostring / __name (Lua code, where the count hook and the kill work).
//   - pack/packsize/unpack walk their format string once; option sizes are limited (integers 1..16 bytes,
//     "cN"/"sN"/alignment below INT_MAX and checked for overflow: "format result too large"). unpack
//     checks every read against the data ("data string too short") and the Lua stack ("too many
//     results"). The only loop not proportional to its input is pack's zero padding for "cN"/"Xop",
//     which fills the result buffer: the VM's memory cap stops it after at most (cap) bytes, a few ms.
// None of them keeps state between calls. We take their function pointers from a scratch lua_State (once
// per process) so the VM's own string metatable is never touched.

struct StockFns {
  lua_CFunction format = nullptr;
  lua_CFunction pack = nullptr;
  lua_CFunction packsize = nullptr;
  lua_CFunction unpack = nullptr;
};

int fetchStock(lua_State* S) {
  auto* out = static_cast<StockFns*>(lua_touserdata(S, 1));
  lua_pushcfunction(S, luaopen_string);
  lua_call(S, 0, 1);
  lua_getfield(S, -1, "format");
  out->format = lua_tocfunction(S, -1);
  lua_getfield(S, -2, "pack");
  out->pack = lua_tocfunction(S, -1);
  lua_getfield(S, -3, "packsize");
  out->packsize = lua_tocfunction(S, -1);
  lua_getfield(S, -4, "unpack");
  out->unpack = lua_tocfunction(S, -1);
  return 0;
}

const StockFns& stockFns() {
  static const StockFns fns = [] {
    StockFns result;
    lua_State* S = luaL_newstate();
    if (S == nullptr) return result;
    lua_pushcfunction(S, fetchStock);
    lua_pushlightuserdata(S, &result);
    if (lua_pcall(S, 1, 0, 0) != LUA_OK) result = StockFns{};
    lua_close(S);
    return result;
  }();
  return fns;
}

constexpr luaL_Reg kStringFunctions[] = {
    {"byte", strByte},
    {"char", strChar},
    {"find", strFind},
    {"gmatch", strGmatch},
    {"gsub", strGsub},
    {"len", strLen},
    {"lower", mapBytes<toLower>},
    {"match", strMatch},
    {"rep", strRep},
    {"reverse", strReverse},
    {"sub", strSub},
    {"upper", mapBytes<toUpper>},
    {nullptr, nullptr},
};

}  // namespace

int openString(lua_State* L, const StdlibLimits* limits) {
  const StockFns& stock = stockFns();
  if (stock.format == nullptr || stock.pack == nullptr || stock.packsize == nullptr || stock.unpack == nullptr) {
    return luaL_error(L, "string library unavailable");
  }
  luaL_checkstack(L, 4, "string library");
  lua_createtable(L, 0, static_cast<int>(std::size(kStringFunctions)) + 3);
  detail::pushLimits(L, limits);
  luaL_setfuncs(L, kStringFunctions, 1);
  lua_pushcfunction(L, stock.format);
  lua_setfield(L, -2, "format");
  lua_pushcfunction(L, stock.pack);
  lua_setfield(L, -2, "pack");
  lua_pushcfunction(L, stock.packsize);
  lua_setfield(L, -2, "packsize");
  lua_pushcfunction(L, stock.unpack);
  lua_setfield(L, -2, "unpack");
  return 1;
}

}  // namespace tw::sandbox::stdlib
