#include "api/auth.h"

#include <boost/asio/ip/address.hpp>

#include <cstddef>

namespace tw::api {

bool constantTimeEquals(std::string_view presented, std::string_view secret) {
  if (secret.empty()) return false;
  // Walks `presented` whole; every byte is compared with the secret's byte at the same index (wrapping), so
  // the loop's length and memory access pattern do not depend on a mismatch.
  unsigned diff = presented.size() == secret.size() ? 0u : 1u;
  for (std::size_t i = 0; i < presented.size(); ++i) {
    diff |= static_cast<unsigned char>(presented[i]) ^ static_cast<unsigned char>(secret[i % secret.size()]);
  }
  return diff == 0;
}

bool bearerAuthorized(std::string_view authorization, std::string_view secret) {
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    char c = authorization[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return false;
  }
  std::string_view token = authorization.substr(kScheme.size());
  if (token.front() != ' ') return false;
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
  return constantTimeEquals(token, secret);
}

bool isLoopbackAddress(std::string_view address) {
  if (address == "localhost") return true;
  boost::system::error_code ec;
  const boost::asio::ip::address a = boost::asio::ip::make_address(std::string(address), ec);
  if (ec) return false;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()).is_loopback();
  }
  return a.is_loopback();
}

}  // namespace tw::api
