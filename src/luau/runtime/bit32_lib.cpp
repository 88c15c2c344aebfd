// Luau's bit32: 32-bit unsigned operations on doubles. Arguments are converted as Luau does
// (numberToUnsigned: truncate to int64, keep the low 32 bits; outside int64 or NaN gives 0), so
// bit32.band(2^32 + 5) is 5 and bit32.bnot(-1) is 0. Results are unsigned 32-bit values (doubles past 2^31).
#include <bit>
#include <cstdint>

#include "luau/runtime/internal.h"

namespace tw::luau::rt {

namespace {

constexpr int kBits = 32;
constexpr std::uint32_t kAllOnes = ~0u;

int pushUnsigned(lua_State* L, std::uint32_t v) {
  pushNumber(L, static_cast<double>(v));
  return 1;
}

// A mask of n low ones, 1 <= n <= 32.
std::uint32_t lowMask(int n) { return ~((kAllOnes << 1) << (n - 1)); }

std::uint32_t andAll(lua_State* L) {
  const int n = lua_gettop(L);
  std::uint32_t r = kAllOnes;
  for (int i = 1; i <= n; ++i) r &= checkUnsigned(L, i);
  return r;
}

int bitAnd(lua_State* L) { return pushUnsigned(L, andAll(L)); }

int bitTest(lua_State* L) {
  lua_pushboolean(L, andAll(L) != 0);
  return 1;
}

int bitOr(lua_State* L) {
  const int n = lua_gettop(L);
  std::uint32_t r = 0;
  for (int i = 1; i <= n; ++i) r |= checkUnsigned(L, i);
  return pushUnsigned(L, r);
}

int bitXor(lua_State* L) {
  const int n = lua_gettop(L);
  std::uint32_t r = 0;
  for (int i = 1; i <= n; ++i) r ^= checkUnsigned(L, i);
  return pushUnsigned(L, r);
}

int bitNot(lua_State* L) { return pushUnsigned(L, ~checkUnsigned(L, 1)); }

// Left shift by `by` (negative: logical right shift).
int shift(lua_State* L, std::uint32_t r, std::int64_t by) {
  if (by < 0) {
    r = -by >= kBits ? 0 : r >> -by;
  } else {
    r = by >= kBits ? 0 : r << by;
  }
  return pushUnsigned(L, r);
}

int bitLshift(lua_State* L) {
  const std::uint32_t r = checkUnsigned(L, 1);
  return shift(L, r, checkInt(L, 2));
}

int bitRshift(lua_State* L) {
  const std::uint32_t r = checkUnsigned(L, 1);
  return shift(L, r, -static_cast<std::int64_t>(checkInt(L, 2)));
}

int bitArshift(lua_State* L) {
  std::uint32_t r = checkUnsigned(L, 1);
  const int i = checkInt(L, 2);
  if (i < 0 || (r & 0x80000000u) == 0) return shift(L, r, -static_cast<std::int64_t>(i));
  r = i >= kBits ? kAllOnes : (r >> i) | ~(kAllOnes >> i);
  return pushUnsigned(L, r);
}

int rotate(lua_State* L, std::int64_t by) {
  const std::uint32_t r = checkUnsigned(L, 1);
  return pushUnsigned(L, std::rotl(r, static_cast<int>(by & (kBits - 1))));
}

int bitLrotate(lua_State* L) { return rotate(L, checkInt(L, 2)); }
int bitRrotate(lua_State* L) { return rotate(L, -static_cast<std::int64_t>(checkInt(L, 2))); }

// Field and width arguments of extract/replace, checked as Luau does.
int fieldArgs(lua_State* L, int farg, int* width) {
  const int f = checkInt(L, farg);
  const int w = optInt(L, farg + 1, 1);
  argCheck(L, 0 <= f, farg, "field cannot be negative");
  argCheck(L, 0 < w, farg + 1, "width must be positive");
  if (static_cast<std::int64_t>(f) + w > kBits) luaL_error(L, "trying to access non-existent bits");
  *width = w;
  return f;
}

int bitExtract(lua_State* L) {
  const std::uint32_t r = checkUnsigned(L, 1);
  int w = 0;
  const int f = fieldArgs(L, 2, &w);
  return pushUnsigned(L, (r >> f) & lowMask(w));
}

int bitReplace(lua_State* L) {
  std::uint32_t r = checkUnsigned(L, 1);
  std::uint32_t v = checkUnsigned(L, 2);
  int w = 0;
  const int f = fieldArgs(L, 3, &w);
  const std::uint32_t m = lowMask(w);
  v &= m;
  r = (r & ~(m << f)) | (v << f);
  return pushUnsigned(L, r);
}

int bitCountlz(lua_State* L) { return pushUnsigned(L, static_cast<std::uint32_t>(std::countl_zero(checkUnsigned(L, 1)))); }
int bitCountrz(lua_State* L) { return pushUnsigned(L, static_cast<std::uint32_t>(std::countr_zero(checkUnsigned(L, 1)))); }
int bitByteswap(lua_State* L) { return pushUnsigned(L, __builtin_bswap32(checkUnsigned(L, 1))); }

}  // namespace

int openBit32(lua_State* L) {
  static const LibFunction kFunctions[] = {
      {"arshift", bitArshift}, {"band", bitAnd},         {"bnot", bitNot},       {"bor", bitOr},
      {"bxor", bitXor},        {"btest", bitTest},       {"extract", bitExtract}, {"lrotate", bitLrotate},
      {"lshift", bitLshift},   {"replace", bitReplace},  {"rrotate", bitRrotate}, {"rshift", bitRshift},
      {"countlz", bitCountlz}, {"countrz", bitCountrz},  {"byteswap", bitByteswap},
      {nullptr, nullptr},
  };
  lua_createtable(L, 0, 16);
  setFunctions(L, kFunctions);
  return 1;
}

}  // namespace tw::luau::rt
