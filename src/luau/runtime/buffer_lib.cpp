// Luau's buffer library. A buffer is a fixed-size, zero-initialised block of bytes: a full userdata whose
// first user value is the kBufferTag marker (no metatable, so scripts cannot reach or change one). Its
// memory comes from the VM's allocator, so it counts against the memory cap. Multi-byte values are
// little-endian (the host is little-endian; see the static_assert). Offsets and counts are converted like
// Luau's luaL_checkinteger (32-bit truncation), and every access is bounds-checked
// ("buffer access out of bounds").
#include <bit>
#include <cstdint>
#include <cstring>

#include "luau/runtime/internal.h"

namespace tw::luau::rt {

namespace {

static_assert(std::endian::native == std::endian::little, "buffers are little-endian; add byte swaps here");

// Luau's limit on a buffer's size.
constexpr std::size_t kMaxBufferSize = std::size_t{1} << 30;

unsigned char* checkBuffer(lua_State* L, int arg, std::size_t* len) {
  unsigned char* p = toBuffer(L, arg, len);
  if (p == nullptr) typeError(L, arg, "buffer");
  return p;
}

// True when [offset, offset + size) is outside a buffer of `len` bytes (offset is reinterpreted as unsigned,
// so a negative offset is out of bounds).
bool outOfBounds(int offset, std::size_t len, std::uint64_t size) {
  return static_cast<std::uint64_t>(static_cast<unsigned>(offset)) + size > static_cast<std::uint64_t>(len);
}

int outOfBoundsError(lua_State* L) { return luaL_error(L, "buffer access out of bounds"); }

int bufCreate(lua_State* L) {
  const int size = checkInt(L, 1);
  argCheck(L, size >= 0, 1, "size");
  if (static_cast<std::size_t>(size) > kMaxBufferSize) return luaL_error(L, "memory allocation error: block too big");
  newBuffer(L, static_cast<std::size_t>(size));
  return 1;
}

int bufFromstring(lua_State* L) {
  std::size_t len = 0;
  const char* s = checkString(L, 1, &len);
  if (len > kMaxBufferSize) return luaL_error(L, "memory allocation error: block too big");
  unsigned char* p = newBuffer(L, len);
  if (len != 0) std::memcpy(p, s, len);
  return 1;
}

int bufTostring(lua_State* L) {
  std::size_t len = 0;
  const unsigned char* p = checkBuffer(L, 1, &len);
  lua_pushlstring(L, reinterpret_cast<const char*>(p), len);
  return 1;
}

int bufLen(lua_State* L) {
  std::size_t len = 0;
  checkBuffer(L, 1, &len);
  pushNumber(L, static_cast<double>(len));
  return 1;
}

template <typename T>
int bufReadInteger(lua_State* L) {
  std::size_t len = 0;
  const unsigned char* p = checkBuffer(L, 1, &len);
  const int offset = checkInt(L, 2);
  if (outOfBounds(offset, len, sizeof(T))) return outOfBoundsError(L);
  T v;
  std::memcpy(&v, p + static_cast<unsigned>(offset), sizeof(T));
  pushNumber(L, static_cast<double>(v));
  return 1;
}

template <typename T>
int bufWriteInteger(lua_State* L) {
  std::size_t len = 0;
  unsigned char* p = checkBuffer(L, 1, &len);
  const int offset = checkInt(L, 2);
  const unsigned value = checkUnsigned(L, 3);
  if (outOfBounds(offset, len, sizeof(T))) return outOfBoundsError(L);
  const T v = static_cast<T>(value);  // wraps to the width, as Luau
  std::memcpy(p + static_cast<unsigned>(offset), &v, sizeof(T));
  return 0;
}

template <typename T>
int bufReadFloat(lua_State* L) {
  std::size_t len = 0;
  const unsigned char* p = checkBuffer(L, 1, &len);
  const int offset = checkInt(L, 2);
  if (outOfBounds(offset, len, sizeof(T))) return outOfBoundsError(L);
  T v;
  std::memcpy(&v, p + static_cast<unsigned>(offset), sizeof(T));
  lua_pushnumber(L, static_cast<double>(v));
  return 1;
}

// double -> T with IEEE round-to-nearest, overflowing to +-inf (a plain cast of an out-of-range double to
// float is undefined behaviour in C++).
template <typename T>
T toFloat(double v) {
  if constexpr (sizeof(T) == sizeof(float)) {
    constexpr double kMax = 3.4028234663852886e38;      // FLT_MAX
    constexpr double kToInf = 3.4028235677973366e38;    // FLT_MAX + half an ulp: rounds to infinity
    const double a = v < 0 ? -v : v;
    if (a > kMax && a == a) {
      const float r = a >= kToInf ? __builtin_inff() : static_cast<float>(kMax);
      return v < 0 ? -r : r;
    }
  }
  return static_cast<T>(v);
}

template <typename T>
int bufWriteFloat(lua_State* L) {
  std::size_t len = 0;
  unsigned char* p = checkBuffer(L, 1, &len);
  const int offset = checkInt(L, 2);
  const double value = checkNumber(L, 3);
  if (outOfBounds(offset, len, sizeof(T))) return outOfBoundsError(L);
  const T v = toFloat<T>(value);
  std::memcpy(p + static_cast<unsigned>(offset), &v, sizeof(T));
  return 0;
}

int bufReadstring(lua_State* L) {
  std::size_t len = 0;
  const unsigned char* p = checkBuffer(L, 1, &len);
  const int offset = checkInt(L, 2);
  const int size = checkInt(L, 3);
  argCheck(L, size >= 0, 3, "size");
  if (outOfBounds(offset, len, static_cast<unsigned>(size))) return outOfBoundsError(L);
  lua_pushlstring(L, reinterpret_cast<const char*>(p + static_cast<unsigned>(offset)), static_cast<std::size_t>(size));
  return 1;
}

int bufWritestring(lua_State* L) {
  std::size_t len = 0;
  unsigned char* p = checkBuffer(L, 1, &len);
  const int offset = checkInt(L, 2);
  std::size_t size = 0;
  const char* s = checkString(L, 3, &size);
  const int count = optInt(L, 4, size > static_cast<std::size_t>(INT32_MAX) ? INT32_MAX : static_cast<int>(size));
  argCheck(L, count >= 0, 4, "count");
  if (static_cast<std::size_t>(count) > size) return luaL_error(L, "string length overflow");
  if (outOfBounds(offset, len, static_cast<unsigned>(count))) return outOfBoundsError(L);
  if (count != 0) std::memcpy(p + static_cast<unsigned>(offset), s, static_cast<std::size_t>(count));
  return 0;
}

int bufCopy(lua_State* L) {
  std::size_t targetLen = 0;
  unsigned char* target = checkBuffer(L, 1, &targetLen);
  const int targetOffset = checkInt(L, 2);
  std::size_t sourceLen = 0;
  const unsigned char* source = checkBuffer(L, 3, &sourceLen);
  const int sourceOffset = optInt(L, 4, 0);
  const int size = optInt(L, 5, static_cast<int>(static_cast<std::int64_t>(sourceLen) - sourceOffset));
  if (size < 0) return outOfBoundsError(L);
  if (outOfBounds(sourceOffset, sourceLen, static_cast<unsigned>(size))) return outOfBoundsError(L);
  if (outOfBounds(targetOffset, targetLen, static_cast<unsigned>(size))) return outOfBoundsError(L);
  if (size != 0) {
    std::memmove(target + static_cast<unsigned>(targetOffset), source + static_cast<unsigned>(sourceOffset),
                 static_cast<std::size_t>(size));
  }
  return 0;
}

int bufFill(lua_State* L) {
  std::size_t len = 0;
  unsigned char* p = checkBuffer(L, 1, &len);
  const int offset = checkInt(L, 2);
  const unsigned value = checkUnsigned(L, 3);
  const int size = optInt(L, 4, static_cast<int>(static_cast<std::int64_t>(len) - offset));
  if (size < 0) return outOfBoundsError(L);
  if (outOfBounds(offset, len, static_cast<unsigned>(size))) return outOfBoundsError(L);
  if (size != 0) std::memset(p + static_cast<unsigned>(offset), static_cast<int>(value & 0xff), static_cast<std::size_t>(size));
  return 0;
}

// The bytes covering bits [bitOffset, bitOffset + bitCount), checked as Luau does. Returns the first byte.
unsigned bitRange(lua_State* L, std::size_t len, std::int64_t bitOffset, int bitCount, unsigned* endByte) {
  if (bitOffset < 0) outOfBoundsError(L);
  if (static_cast<unsigned>(bitCount) > 32) luaL_error(L, "bit count is out of range of [0; 32]");
  if (static_cast<std::uint64_t>(bitOffset) + static_cast<std::uint64_t>(bitCount) > static_cast<std::uint64_t>(len) * 8) {
    outOfBoundsError(L);
  }
  *endByte = static_cast<unsigned>((bitOffset + bitCount + 7) / 8);
  return static_cast<unsigned>(bitOffset / 8);
}

// A bit offset: any double, truncated to int64 (NaN and values outside int64 are out of bounds).
std::int64_t checkBitOffset(lua_State* L, int arg) {
  if (lua_isinteger(L, arg)) return lua_tointeger(L, arg);
  const double d = checkNumber(L, arg);
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return -1;
  return static_cast<std::int64_t>(d);
}

int bufReadbits(lua_State* L) {
  std::size_t len = 0;
  const unsigned char* p = checkBuffer(L, 1, &len);
  const std::int64_t bitOffset = checkBitOffset(L, 2);
  const int bitCount = checkInt(L, 3);
  unsigned endByte = 0;
  const unsigned startByte = bitRange(L, len, bitOffset, bitCount, &endByte);
  std::uint64_t data = 0;
  std::memcpy(&data, p + startByte, endByte - startByte);
  const std::uint64_t sub = static_cast<std::uint64_t>(bitOffset) & 7u;
  const std::uint64_t mask = (std::uint64_t{1} << bitCount) - 1;
  pushNumber(L, static_cast<double>(static_cast<std::uint32_t>((data >> sub) & mask)));
  return 1;
}

int bufWritebits(lua_State* L) {
  std::size_t len = 0;
  unsigned char* p = checkBuffer(L, 1, &len);
  const std::int64_t bitOffset = checkBitOffset(L, 2);
  const int bitCount = checkInt(L, 3);
  const unsigned value = checkUnsigned(L, 4);
  unsigned endByte = 0;
  const unsigned startByte = bitRange(L, len, bitOffset, bitCount, &endByte);
  std::uint64_t data = 0;
  std::memcpy(&data, p + startByte, endByte - startByte);
  const std::uint64_t sub = static_cast<std::uint64_t>(bitOffset) & 7u;
  const std::uint64_t mask = ((std::uint64_t{1} << bitCount) - 1) << sub;
  data = (data & ~mask) | ((static_cast<std::uint64_t>(value) << sub) & mask);
  std::memcpy(p + startByte, &data, endByte - startByte);
  return 0;
}

}  // namespace

int openBuffer(lua_State* L) {
  static const LibFunction kFunctions[] = {
      {"create", bufCreate},
      {"fromstring", bufFromstring},
      {"tostring", bufTostring},
      {"len", bufLen},
      {"readi8", bufReadInteger<std::int8_t>},
      {"readu8", bufReadInteger<std::uint8_t>},
      {"readi16", bufReadInteger<std::int16_t>},
      {"readu16", bufReadInteger<std::uint16_t>},
      {"readi32", bufReadInteger<std::int32_t>},
      {"readu32", bufReadInteger<std::uint32_t>},
      {"readf32", bufReadFloat<float>},
      {"readf64", bufReadFloat<double>},
      {"writei8", bufWriteInteger<std::int8_t>},
      {"writeu8", bufWriteInteger<std::uint8_t>},
      {"writei16", bufWriteInteger<std::int16_t>},
      {"writeu16", bufWriteInteger<std::uint16_t>},
      {"writei32", bufWriteInteger<std::int32_t>},
      {"writeu32", bufWriteInteger<std::uint32_t>},
      {"writef32", bufWriteFloat<float>},
      {"writef64", bufWriteFloat<double>},
      {"readstring", bufReadstring},
      {"writestring", bufWritestring},
      {"copy", bufCopy},
      {"fill", bufFill},
      {"readbits", bufReadbits},
      {"writebits", bufWritebits},
      {nullptr, nullptr},
  };
  lua_createtable(L, 0, 26);
  setFunctions(L, kFunctions);
  return 1;
}

}  // namespace tw::luau::rt
