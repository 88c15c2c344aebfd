// Small shared value types: guild ids (Discord snowflakes).
//
// Threading: value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tw {

// A Discord snowflake: an unsigned 64-bit integer, written as a decimal string in JSON and URLs.
struct GuildId {
  std::uint64_t value = 0;
  friend bool operator==(GuildId, GuildId) = default;
  friend auto operator<=>(GuildId, GuildId) = default;
  std::string toString() const { return std::to_string(value); }
};

// Parses a decimal snowflake: 1 to 20 digits, no sign, no leading zero, fits in 64 bits, not zero.
std::optional<GuildId> parseGuildId(std::string_view text);

}  // namespace tw

template <>
struct std::hash<tw::GuildId> {
  std::size_t operator()(tw::GuildId id) const noexcept { return std::hash<std::uint64_t>{}(id.value); }
};
