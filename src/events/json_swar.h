// Internal to src/events: eight-bytes-at-a-time tests used to skip plain ASCII runs in JSON strings.
//
// Threading: pure functions.
#pragma once

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

inline bool hasHighBit(std::uint64_t v) { return (v & kHigh) != 0; }

// True if any byte of v is '"', '\\', below 0x20 or at/above 0x80: the bytes a JSON string scanner or
// writer must look at one by one. Exact as a whole-word test (each term is the classic "has zero byte" /
// "has byte less than n" test, exact for existence).
inline bool hasStringSpecial(std::uint64_t v) {
  const std::uint64_t q = v ^ (kOnes * '"');
  const std::uint64_t b = v ^ (kOnes * '\\');
  const std::uint64_t quote = (q - kOnes) & ~q;
  const std::uint64_t slash = (b - kOnes) & ~b;
  const std::uint64_t ctrl = (v - kOnes * 0x20) & ~v;
  return ((quote | slash | ctrl | v) & kHigh) != 0;
}

}  // namespace tw::events::detail::swar
