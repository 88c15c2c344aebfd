// Internal to src/events: eight-bytes-at-a-time tests used to skip plain ASCII runs in JSON strings.
//
// Threading: pure functions.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace tw::events::detail::swar {

inline constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr std::uint64_t kHigh = 0x8080808080808080ULL;

template <typename Byte>
inline std::uint64_t load(const Byte* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The n bytes at p (1 <= n <= 7) as a little-endian word whose other bytes come from `pad` (its low bytes),
// without a variable-length copy.
inline std::uint64_t loadTail(const char* p, std::size_t n, std::uint64_t pad) {
  std::uint64_t v = 0;
  if (n >= 4) {
    std::uint32_t lo = 0;
    std::uint32_t hi = 0;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);  // overlaps `lo` for n < 8: the shared bytes are equal
    v = std::uint64_t{lo} | (std::uint64_t{hi} << ((n - 4) * 8));
  } else {
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    v = u[0];
    if (n > 1) v |= std::uint64_t{u[1]} << 8;
    if (n > 2) v |= std::uint64_t{u[2]} << 16;
  }
  return v | (pad << (n * 8));
}

// A mask with the high bit set in (at least) the first byte of v that is '"', '\\', below 0x20 or at/above
// 0x80: the bytes a JSON string scanner or writer must look at one by one; zero if there is none. Each term
// is the classic "has zero byte" / "has byte less than n" test. Bits above the first special byte may be
// wrong (borrows), but the lowest set bit is exact: a borrow only starts at a byte that is itself special.
inline std::uint64_t stringSpecialMask(std::uint64_t v) {
  const std::uint64_t q = v ^ (kOnes * '"');
  const std::uint64_t b = v ^ (kOnes * '\\');
  const std::uint64_t quote = (q - kOnes) & ~q;
  const std::uint64_t slash = (b - kOnes) & ~b;
  const std::uint64_t ctrl = (v - kOnes * 0x20) & ~v;
  return (quote | slash | ctrl | v) & kHigh;
}

inline bool hasStringSpecial(std::uint64_t v) { return stringSpecialMask(v) != 0; }

// True for the bytes stringSpecialMask flags.
inline bool isStringSpecial(unsigned char c) { return c == '"' || c == '\\' || c < 0x20 || c >= 0x80; }

// The first byte in [p, end) that isStringSpecial, or end.
inline const char* findStringSpecial(const char* p, const char* end) {
  if constexpr (std::endian::native == std::endian::little) {
    while (end - p >= 8) {
      const std::uint64_t m = stringSpecialMask(load(p));
      if (m != 0) return p + (std::countr_zero(m) >> 3);
      p += 8;
    }
    if (p == end) return end;
    // The last 1..7 bytes, padded with a byte that is not special: one more word test instead of a loop.
    const std::uint64_t m = stringSpecialMask(loadTail(p, static_cast<std::size_t>(end - p), kOnes * 'a'));
    return m != 0 ? p + (std::countr_zero(m) >> 3) : end;
  } else {
    while (end - p >= 8 && !hasStringSpecial(load(p))) p += 8;
  }
  while (p != end && !isStringSpecial(static_cast<unsigned char>(*p))) ++p;
  return p;
}

}  // namespace tw::events::detail::swar
