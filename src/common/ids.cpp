#include "common/ids.h"

#include <charconv>

namespace tw {

std::optional<GuildId> parseGuildId(std::string_view text) {
  if (text.empty() || text.size() > 20 || text[0] == '0') return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return GuildId{v};
}

}  // namespace tw
