#include "sandbox/stdlib/pattern.h"

#include <array>
#include <cstring>

#include "limits/interrupt.h"

namespace tw::sandbox::stdlib::detail {

namespace {

constexpr char kEsc = '%';

// Character classes of the C locale, as a table: deterministic whatever the process locale is.
enum ClassBit : std::uint8_t {
  kAlpha = 1,
  kDigit = 2,
  kLower = 4,
  kUpper = 8,
  kSpace = 16,
  kCntrl = 32,
  kPunct = 64,
  kXdigit = 128,
};

constexpr std::array<std::uint8_t, 256> makeClassTable() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    std::uint8_t bits = 0;
    if (c >= 'a' && c <= 'z') bits |= kAlpha | kLower;
    if (c >= 'A' && c <= 'Z') bits |= kAlpha | kUpper;
    if (c >= '0' && c <= '9') bits |= kDigit | kXdigit;
    if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) bits |= kXdigit;
    if (c == ' ' || (c >= '\t' && c <= '\r')) bits |= kSpace;
    if (c < 0x20 || c == 0x7f) bits |= kCntrl;
    if (c > 0x20 && c < 0x7f && (bits & (kAlpha | kDigit)) == 0) bits |= kPunct;
    t[static_cast<std::size_t>(c)] = bits;
  }
  return t;
}

constexpr std::array<std::uint8_t, 256> kClass = makeClassTable();

inline unsigned char uchar(char c) { return static_cast<unsigned char>(c); }

// Does character c belong to class %cl?
bool matchClass(int c, int cl) {
  const std::uint8_t bits = kClass[static_cast<std::size_t>(c)];
  bool res = false;
  switch (cl | 0x20) {  // lower case of a letter; other characters never equal a class letter below
    case 'a': res = (bits & kAlpha) != 0; break;
    case 'c': res = (bits & kCntrl) != 0; break;
    case 'd': res = (bits & kDigit) != 0; break;
    case 'g': res = (bits & (kAlpha | kDigit | kPunct)) != 0; break;
    case 'l': res = (bits & kLower) != 0; break;
    case 'p': res = (bits & kPunct) != 0; break;
    case 's': res = (bits & kSpace) != 0; break;
    case 'u': res = (bits & kUpper) != 0; break;
    case 'w': res = (bits & (kAlpha | kDigit)) != 0; break;
    case 'x': res = (bits & kXdigit) != 0; break;
    case 'z': res = (c == 0); break;  // deprecated in the manual, still accepted by Lua 5.4
    default: return cl == c;
  }
  // A class letter in upper case is the complement. (cl | 0x20) only lands on a class letter for the
  // letter itself or its upper-case form, since the cases above are all letters.
  if ((kClass[static_cast<std::size_t>(cl)] & kUpper) != 0) res = !res;
  return res;
}

// p points at '[', ec at the closing ']'.
bool matchBracketClass(int c, const char* p, const char* ec) {
  bool found = true;
  if (*(p + 1) == '^') {
    found = false;
    ++p;
  }
  while (++p < ec) {
    if (*p == kEsc) {
      ++p;
      if (matchClass(c, uchar(*p))) return found;
    } else if (*(p + 1) == '-' && p + 2 < ec) {
      p += 2;
      if (uchar(*(p - 2)) <= c && c <= uchar(*p)) return found;
    } else if (uchar(*p) == c) {
      return found;
    }
  }
  return !found;
}

// The end of the single-character class starting at p.
const char* classEnd(MatchState& ms, const char* p) {
  const char c = *p++;
  if (c == kEsc) {
    if (p >= ms.patEnd) luaL_error(ms.L, "malformed pattern (ends with '%%')");
    return p + 1;
  }
  if (c == '[') {
    if (*p == '^') ++p;
    do {  // the first character of the set may be ']'
      if (p >= ms.patEnd) luaL_error(ms.L, "malformed pattern (missing ']')");
      const char d = *p++;
      if (d == kEsc && p < ms.patEnd) ++p;  // an escaped character, possibly ']'
    } while (*p != ']');
    return p + 1;
  }
  return p;
}

inline bool singleMatch(const MatchState& ms, const char* s, const char* p, const char* ep) {
  if (s >= ms.srcEnd) return false;
  const int c = uchar(*s);
  switch (*p) {
    case '.': return true;
    case kEsc: return matchClass(c, uchar(*(p + 1)));
    case '[': return matchBracketClass(c, p, ep - 1);
    default: return uchar(*p) == c;
  }
}

const char* matchBalance(MatchState& ms, const char* s, const char* p) {
  if (p + 1 >= ms.patEnd) luaL_error(ms.L, "malformed pattern (missing arguments to '%%b')");
  if (s >= ms.srcEnd || *s != *p) return nullptr;
  const char open = *p;
  const char close = *(p + 1);
  const char* const start = s;
  int depth = 1;
  const char* result = nullptr;
  while (++s < ms.srcEnd) {
    if (*s == close) {
      if (--depth == 0) {
        result = s + 1;
        break;
      }
    } else if (*s == open) {
      ++depth;
    }
  }
  charge(ms, static_cast<std::uint64_t>(s - start));
  return result;
}

const char* maxExpand(MatchState& ms, const char* s, const char* p, const char* ep) {
  std::ptrdiff_t i = 0;
  if (*p == '.') {
    i = ms.srcEnd - s;
  } else {
    while (singleMatch(ms, s + i, p, ep)) ++i;
  }
  charge(ms, static_cast<std::uint64_t>(i));
  // Try the longest repetition first, then back off one at a time.
  while (i >= 0) {
    const char* res = doMatch(ms, s + i, ep + 1);
    if (res != nullptr) return res;
    --i;
  }
  return nullptr;
}

const char* minExpand(MatchState& ms, const char* s, const char* p, const char* ep) {
  for (;;) {
    const char* res = doMatch(ms, s, ep + 1);
    if (res != nullptr) return res;
    if (!singleMatch(ms, s, p, ep)) return nullptr;
    charge(ms, 1);  // the single match costs about as much as the doMatch step: keep steps ~ time
    ++s;
  }
}

const char* startCapture(MatchState& ms, const char* s, const char* p, std::ptrdiff_t what) {
  if (ms.level >= kMaxCaptures) luaL_error(ms.L, "too many captures");
  ms.capture[ms.level].init = s;
  ms.capture[ms.level].len = what;
  ms.level = ms.level + 1;
  const char* res = doMatch(ms, s, p);
  if (res == nullptr) ms.level = ms.level - 1;  // undo the capture
  return res;
}

int captureToClose(MatchState& ms) {
  for (int level = ms.level - 1; level >= 0; --level) {
    if (ms.capture[level].len == kCapUnfinished) return level;
  }
  luaL_error(ms.L, "invalid pattern capture");
  return 0;
}

const char* endCapture(MatchState& ms, const char* s, const char* p) {
  const int l = captureToClose(ms);
  ms.capture[l].len = s - ms.capture[l].init;
  const char* res = doMatch(ms, s, p);
  if (res == nullptr) ms.capture[l].len = kCapUnfinished;  // undo
  return res;
}

int checkCapture(MatchState& ms, int l) {
  l -= '1';
  if (l < 0 || l >= ms.level || ms.capture[l].len == kCapUnfinished) {
    luaL_error(ms.L, "invalid capture index %%%d", l + 1);
  }
  return l;
}

const char* matchCapture(MatchState& ms, const char* s, int l) {
  l = checkCapture(ms, l);
  // A position capture has a negative length: as an unsigned size it never fits, as in stock Lua.
  const auto len = static_cast<std::size_t>(ms.capture[l].len);
  if (static_cast<std::size_t>(ms.srcEnd - s) >= len) {
    charge(ms, len);
    if (std::memcmp(ms.capture[l].init, s, len) == 0) return s + len;
  }
  return nullptr;
}

}  // namespace

void initMatch(MatchState& ms, lua_State* L, const char* s, std::size_t ls, const char* p, std::size_t lp,
               std::uint64_t budget) {
  ms.L = L;
  ms.srcInit = s;
  ms.srcEnd = s + ls;
  ms.patEnd = p + lp;
  ms.steps = 0;
  ms.budget = budget;
  ms.nextCheck = budget < kCheckEvery ? budget + 1 : kCheckEvery;
  resetMatch(ms);
}

void checkpoint(MatchState& ms) {
  if (ms.steps > ms.budget) luaL_error(ms.L, "pattern too complex (step budget exceeded)");
  tw::limits::pollInterrupt(ms.L);
  const std::uint64_t next = ms.steps + kCheckEvery;
  ms.nextCheck = next > ms.budget ? ms.budget + 1 : next;
}

const char* doMatch(MatchState& ms, const char* s, const char* p) {
  if (ms.depth-- == 0) luaL_error(ms.L, "pattern too complex");
  for (;;) {  // each iteration matches one pattern item; tail positions loop instead of recursing
    charge(ms, 1);
    if (p == ms.patEnd) break;  // end of pattern: match succeeded at s
    switch (*p) {
      case '(':
        if (*(p + 1) == ')') {
          s = startCapture(ms, s, p + 2, kCapPosition);
        } else {
          s = startCapture(ms, s, p + 1, kCapUnfinished);
        }
        goto done;
      case ')':
        s = endCapture(ms, s, p + 1);
        goto done;
      case '$':
        if (p + 1 != ms.patEnd) goto single;  // '$' not at the end is an ordinary character
        if (s != ms.srcEnd) s = nullptr;
        goto done;
      case kEsc:
        switch (*(p + 1)) {
          case 'b':
            s = matchBalance(ms, s, p + 2);
            if (s == nullptr) goto done;
            p += 4;
            continue;
          case 'f': {
            p += 2;
            if (*p != '[') luaL_error(ms.L, "missing '[' after '%%f' in pattern");
            const char* ep = classEnd(ms, p);
            const int prev = (s == ms.srcInit) ? 0 : uchar(*(s - 1));
            const int cur = (s < ms.srcEnd) ? uchar(*s) : 0;
            if (!matchBracketClass(prev, p, ep - 1) && matchBracketClass(cur, p, ep - 1)) {
              p = ep;
              continue;
            }
            s = nullptr;
            goto done;
          }
          case '0': case '1': case '2': case '3': case '4':
          case '5': case '6': case '7': case '8': case '9':
            s = matchCapture(ms, s, uchar(*(p + 1)));
            if (s == nullptr) goto done;
            p += 2;
            continue;
          default:
            goto single;
        }
      default:
      single: {
        const char* ep = classEnd(ms, p);
        if (!singleMatch(ms, s, p, ep)) {
          if (*ep == '*' || *ep == '?' || *ep == '-') {  // these accept an empty match
            p = ep + 1;
            continue;
          }
          s = nullptr;
          goto done;
        }
        switch (*ep) {
          case '?': {
            const char* res = doMatch(ms, s + 1, ep + 1);
            if (res != nullptr) {
              s = res;
              goto done;
            }
            p = ep + 1;
            continue;
          }
          case '+':
            s = maxExpand(ms, s + 1, p, ep);
            goto done;
          case '*':
            s = maxExpand(ms, s, p, ep);
            goto done;
          case '-':
            s = minExpand(ms, s, p, ep);
            goto done;
          default:
            ++s;
            p = ep;
            continue;
        }
      }
    }
  }
done:
  ++ms.depth;
  return s;
}

std::ptrdiff_t getOneCapture(MatchState& ms, int i, const char* s, const char* e, const char** cap) {
  if (i >= ms.level) {
    if (i != 0) luaL_error(ms.L, "invalid capture index %%%d", i + 1);
    *cap = s;
    return e - s;
  }
  const std::ptrdiff_t len = ms.capture[i].len;
  *cap = ms.capture[i].init;
  if (len == kCapUnfinished) luaL_error(ms.L, "unfinished capture");
  if (len == kCapPosition) lua_pushinteger(ms.L, (ms.capture[i].init - ms.srcInit) + 1);
  return len;
}

void pushOneCapture(MatchState& ms, int i, const char* s, const char* e) {
  const char* cap = nullptr;
  const std::ptrdiff_t len = getOneCapture(ms, i, s, e, &cap);
  if (len != kCapPosition) lua_pushlstring(ms.L, cap, static_cast<std::size_t>(len));
}

int pushCaptures(MatchState& ms, const char* s, const char* e) {
  const int n = (ms.level == 0 && s != nullptr) ? 1 : ms.level;
  luaL_checkstack(ms.L, n, "too many captures");
  for (int i = 0; i < n; ++i) pushOneCapture(ms, i, s, e);
  return n;
}

bool hasNoSpecials(const char* p, std::size_t lp) {
  for (std::size_t i = 0; i < lp; ++i) {
    switch (p[i]) {
      case '^': case '$': case '*': case '+': case '?': case '.':
      case '(': case '[': case '%': case '-':
        return false;
      default:
        break;
    }
  }
  return true;
}

}  // namespace tw::sandbox::stdlib::detail
