#include "luau/numfmt.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace tw::luau {

std::string luauNumberToString(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  if (value == 0) return std::signbit(value) ? "-0" : "0";
  // Shortest round-trip digits in scientific form: "-d.ddde+XX".
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  (void)ec;
  std::string_view sci(buf, static_cast<std::size_t>(end - buf));
  std::string out;
  if (sci.front() == '-') {
    out += '-';
    sci.remove_prefix(1);
  }
  std::size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits += c;
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  int exponent = 0;
  std::string_view expText = sci.substr(e + 1);
  if (!expText.empty() && expText.front() == '+') expText.remove_prefix(1);
  std::from_chars(expText.data(), expText.data() + expText.size(), exponent);
  int n = static_cast<int>(digits.size());
  int dot = exponent + 1;  // digits before the decimal point
  if (dot >= -5 && dot <= 21) {
    if (dot <= 0) {
      out += "0.";
      out.append(static_cast<std::size_t>(-dot), '0');
      out += digits;
    } else if (dot >= n) {
      out += digits;
      out.append(static_cast<std::size_t>(dot - n), '0');
    } else {
      out.append(digits, 0, static_cast<std::size_t>(dot));
      out += '.';
      out.append(digits, static_cast<std::size_t>(dot));
    }
    return out;
  }
  out += digits[0];
  if (n > 1) {
    out += '.';
    out.append(digits, 1);
  }
  int x = dot - 1;
  out += 'e';
  out += x < 0 ? '-' : '+';
  if (x < 0) x = -x;
  if (x < 10) out += '0';
  out += std::to_string(x);
  return out;
}

bool writesAsInteger(double value, bool integerOk) {
  return integerOk && value == std::floor(value) && std::fabs(value) < 2147483648.0 && !(value == 0 && std::signbit(value));
}

void appendLuaNumber(std::string& out, double value, bool integerOk) {
  if (writesAsInteger(value, integerOk)) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), static_cast<long long>(value));
    (void)ec;
    out.append(buf, end);
    return;
  }
  if (std::isinf(value)) {
    out += value < 0 ? "-1e9999" : "1e9999";
    return;
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  (void)ec;
  std::string_view text(buf, static_cast<std::size_t>(end - buf));
  out += text;
  if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
}

}  // namespace tw::luau
