#include "luau/lexer.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace tw::luau {
namespace {

inline bool isAlpha(char c) { return static_cast<unsigned>((c | ' ') - 'a') < 26; }
inline bool isDigit(char c) { return static_cast<unsigned>(c - '0') < 10; }
inline bool isHex(char c) { return isDigit(c) || static_cast<unsigned>((c | ' ') - 'a') < 6; }

struct NameChars {
  bool table[256] = {};
  constexpr NameChars() {
    for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
    for (int c = '0'; c <= '9'; ++c) table[c] = true;
    table[static_cast<unsigned char>('_')] = true;
  }
};
constexpr NameChars kNameChars;
inline bool isNameChar(char c) { return kNameChars.table[static_cast<unsigned char>(c)]; }
inline bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
inline int hexValue(char c) { return isDigit(c) ? c - '0' : (c | ' ') - 'a' + 10; }

// Keyword recognition: by length, then first letter, then one comparison (most names fail at the first
// or second step).
int keywordType(std::string_view w) {
  auto is = [&](std::string_view k, int type) { return w == k ? type : static_cast<int>(kTokName); };
  switch (w.size()) {
    case 2:
      switch (w[0]) {
        case 'd': return is("do", kTokDo);
        case 'i': return w[1] == 'f' ? kTokIf : w[1] == 'n' ? kTokIn : kTokName;
        case 'o': return is("or", kTokOr);
        default: return kTokName;
      }
    case 3:
      switch (w[0]) {
        case 'a': return is("and", kTokAnd);
        case 'e': return is("end", kTokEnd);
        case 'f': return is("for", kTokFor);
        case 'n': return w[1] == 'i' ? is("nil", kTokNil) : is("not", kTokNot);
        default: return kTokName;
      }
    case 4:
      switch (w[0]) {
        case 'e': return is("else", kTokElse);
        case 't': return w[1] == 'h' ? is("then", kTokThen) : is("true", kTokTrue);
        default: return kTokName;
      }
    case 5:
      switch (w[0]) {
        case 'b': return is("break", kTokBreak);
        case 'f': return is("false", kTokFalse);
        case 'l': return is("local", kTokLocal);
        case 'u': return is("until", kTokUntil);
        case 'w': return is("while", kTokWhile);
        default: return kTokName;
      }
    case 6:
      switch (w[0]) {
        case 'e': return is("elseif", kTokElseif);
        case 'r': return w[2] == 'p' ? is("repeat", kTokRepeat) : is("return", kTokReturn);
        default: return kTokName;
      }
    case 8:
      return w[0] == 'f' ? is("function", kTokFunction) : kTokName;
    default:
      return kTokName;
  }
}

void appendUtf8(std::string& out, std::uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

// Parses a decimal literal (no '_') like strtod in the C locale: overflow gives inf, underflow 0.
bool parseDecimal(std::string_view text, double& out) {
  if (text.empty()) return false;
  const char* first = text.data();
  const char* last = first + text.size();
  // from_chars does not accept a leading '.' on every library version; "0" + text is equivalent.
  std::string padded;
  if (*first == '.') {
    padded.reserve(text.size() + 1);
    padded += '0';
    padded += text;
    first = padded.data();
    last = first + padded.size();
  }
  // Reject forms from_chars accepts but Luau does not ("inf", "nan", hex floats, a leading '-').
  if (!isDigit(*first)) return false;
  double value = 0;
  auto [ptr, ec] = std::from_chars(first, last, value, std::chars_format::general);
  if (ptr != last) return false;
  if (ec == std::errc::result_out_of_range) {
    // Decide between overflow and underflow from the exponent's sign.
    const char* e = first;
    while (e != last && *e != 'e' && *e != 'E') ++e;
    bool negativeExponent = e != last && e + 1 != last && e[1] == '-';
    bool zeroMantissa = true;
    for (const char* c = first; c != e; ++c) {
      if (isDigit(*c) && *c != '0') zeroMantissa = false;
    }
    value = (zeroMantissa || negativeExponent) ? 0.0 : std::numeric_limits<double>::infinity();
  } else if (ec != std::errc{}) {
    return false;
  }
  out = value;
  return true;
}

// Parses digits in base 2 or 16; more than 64 bits saturate to 2^64-1 as Luau's strtoull does.
bool parseInteger(std::string_view digits, int base, double& out) {
  if (digits.empty()) return false;
  std::uint64_t value = 0;
  bool overflow = false;
  for (char c : digits) {
    int d = -1;
    if (base == 2) {
      if (c == '0' || c == '1') d = c - '0';
    } else if (isHex(c)) {
      d = hexValue(c);
    }
    if (d < 0) return false;
    if (value > (std::numeric_limits<std::uint64_t>::max() - static_cast<std::uint64_t>(d)) / static_cast<std::uint64_t>(base)) {
      overflow = true;
    } else {
      value = value * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(d);
    }
  }
  if (overflow) value = std::numeric_limits<std::uint64_t>::max();
  out = static_cast<double>(value);
  return true;
}

}  // namespace

Lexer::Lexer(std::string_view source, Arena& arena, ErrorSink& errors)
    : source_(source), p_(source.data()), base_(source.data()), arena_(arena), errors_(errors) {
  // A UTF-8 byte order mark and a "#!" first line are skipped.
  if (source_.substr(0, 3) == "\xEF\xBB\xBF") p_ += 3;
  if (p_[0] == '#' && p_[1] == '!') {
    while (*p_ != '\n' && *p_ != '\0') ++p_;
  }
  lex(current_);
}

const Token& Lexer::peek() {
  if (!hasLookahead_) {
    lex(lookahead_);
    hasLookahead_ = true;
  }
  return lookahead_;
}

void Lexer::next() {
  previousLine_ = current_.endLine;
  if (hasLookahead_) {
    current_ = lookahead_;
    hasLookahead_ = false;
  } else {
    lex(current_);
  }
}

void Lexer::abort() {
  p_ = base_ + source_.size();
  hasLookahead_ = false;
  current_.type = kTokEof;
  current_.offset = static_cast<std::uint32_t>(source_.size());
  current_.text = {};
  current_.value = {};
}

void Lexer::splitGreaterEqual() {
  previousLine_ = current_.endLine;
  current_.type = '=';
  current_.offset += 1;
  current_.text = current_.text.substr(1);
}

inline void Lexer::make(Token& out, int type, std::uint32_t start) const {
  out.type = type;
  out.line = line_;
  out.endLine = line_;
  out.offset = start;
  out.text = std::string_view(base_ + start, static_cast<std::size_t>(p_ - base_) - start);
}

// Out of line: keeps message building off the hot path.
[[gnu::noinline]] void Lexer::fail(Token& out, std::uint32_t at, std::string message) {
  errors_.report(at, std::move(message));
  // Stop at the end of input so every parse loop terminates quickly.
  p_ = base_ + source_.size();
  out.type = kTokEof;
  out.line = line_;
  out.endLine = line_;
  out.offset = static_cast<std::uint32_t>(source_.size());
  out.text = {};
  out.value = {};
}

std::string Lexer::describe(const Token& token) const {
  if (token.type == kTokEof) return "<eof>";
  std::string_view text = token.text;
  if (token.type == kTokAttribute) text = std::string_view(base_ + token.offset, token.text.size() + 1);
  std::string out = "'";
  constexpr std::size_t kMax = 40;
  for (std::size_t i = 0; i < text.size() && i < kMax; ++i) {
    char c = text[i];
    if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += '?';
    } else {
      out += c;
    }
  }
  if (text.size() > kMax) out += "...";
  out += '\'';
  return out;
}

void Lexer::skipSpaceAndComments() {
  for (;;) {
    // Local cursor and line counter: the common case (blanks and newlines) stays in registers.
    const char* q = p_;
    std::uint32_t line = line_;
    for (;;) {
      char ch = *q;
      if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f') {
        ++q;
      } else if (ch == '\n') {
        ++line;
        ++q;
      } else {
        break;
      }
    }
    p_ = q;
    line_ = line;
    char c = *p_;
    if (c == '-' && p_[1] == '-') {
      auto start = static_cast<std::uint32_t>(p_ - base_);
      p_ += 2;
      if (*p_ == '[') {
        int level = longBracketLevel();
        if (level >= 0) {
          if (!skipLongBracketBody(level, start, /*isComment=*/true, nullptr)) return;
          continue;
        }
      }
      // A line comment runs to the newline (or the end: the sentinel is the only NUL).
      const char* end = base_ + source_.size();
      const void* nl = std::memchr(p_, '\n', static_cast<std::size_t>(end - p_));
      p_ = nl != nullptr ? static_cast<const char*>(nl) : end;
    } else {
      return;
    }
  }
}

int Lexer::longBracketLevel() {
  // At '['. Does not consume anything unless the bracket is well formed.
  const char* q = p_ + 1;
  int level = 0;
  while (*q == '=') {
    ++level;
    ++q;
  }
  if (*q == '[') {
    p_ = q + 1;
    return level;
  }
  return level == 0 ? -1 : -2;
}

bool Lexer::skipLongBracketBody(int level, std::uint32_t startOffset, bool isComment, std::string* out) {
  std::uint32_t startLine = line_;
  // The first newline right after the opening bracket is not part of the string.
  if (*p_ == '\r' && p_[1] == '\n') {
    p_ += 2;
    ++line_;
  } else if (*p_ == '\n') {
    ++p_;
    ++line_;
  }
  const char* contentStart = p_;
  for (;;) {
    char c = *p_;
    if (c == ']') {
      const char* q = p_ + 1;
      int n = 0;
      while (*q == '=') {
        ++n;
        ++q;
      }
      if (n == level && *q == ']') {
        if (out != nullptr) {
          // Luau normalizes "\r\n" to "\n" inside long strings.
          std::string_view body(contentStart, static_cast<std::size_t>(p_ - contentStart));
          out->clear();
          if (body.find('\r') == std::string_view::npos) {
            out->assign(body);
          } else {
            for (std::size_t i = 0; i < body.size(); ++i) {
              if (body[i] == '\r' && i + 1 < body.size() && body[i + 1] == '\n') continue;
              *out += body[i];
            }
          }
        }
        p_ = q + 1;
        return true;
      }
      p_ = q;
    } else if (c == '\n') {
      ++line_;
      ++p_;
    } else if (c == '\0') {
      Token ignored;
      fail(ignored, startOffset,
           std::string(isComment ? "unfinished long comment" : "unfinished long string") + " (starting at line " +
               std::to_string(startLine) + ")");
      return false;
    } else {
      ++p_;
    }
  }
}

void Lexer::lex(Token& out) {
  if (errors_.failed) [[unlikely]] p_ = base_ + source_.size();
  skipSpaceAndComments();
  auto start = static_cast<std::uint32_t>(p_ - base_);
  out.value = {};
  char c = *p_;
  // The frequent tokens here; everything else out of line so this path keeps a small frame.
  if (isAlpha(c) || c == '_') {
    const char* s = p_;
    const char* q = p_;  // a local cursor stays in a register
    do {
      ++q;
    } while (isNameChar(*q));
    p_ = q;
    std::string_view word(s, static_cast<std::size_t>(q - s));
    out.type = keywordType(word);
    out.line = line_;
    out.endLine = line_;
    out.offset = start;
    out.text = word;
    return;
  }
  switch (c) {
    case '(':
    case ')':
    case ']':
    case ';':
    case ',':
    case '#':
    case '?':
    case '&':
    case '|':
      ++p_;
      make(out, c, start);
      return;
    default:
      lexOther(out, start, c);
      return;
  }
}

void Lexer::lexOther(Token& out, std::uint32_t start, char c) {
  switch (c) {
    case '\0':
      make(out, kTokEof, start);
      return;
    case '-':
      if (p_[1] == '>') {
        p_ += 2;
        make(out, kTokArrow, start);
      } else if (p_[1] == '=') {
        p_ += 2;
        make(out, kTokSubAssign, start);
      } else {
        ++p_;
        make(out, '-', start);
      }
      return;
    case '[': {
      std::uint32_t startLine = line_;
      int level = longBracketLevel();
      if (level >= 0) {
        if (!skipLongBracketBody(level, start, /*isComment=*/false, &scratch_)) {
          make(out, kTokEof, start);
          return;
        }
        make(out, kTokString, start);
        out.line = startLine;
        out.value = arena_.copyString(scratch_);
        return;
      }
      if (level == -2) {
        fail(out, start, "invalid long string delimiter near '[='");
        return;
      }
      ++p_;
      make(out, '[', start);
      return;
    }
    case '{':
      ++p_;
      if (!braces_.empty()) braces_.push_back(false);
      make(out, '{', start);
      return;
    case '}': {
      ++p_;
      if (braces_.empty()) {
        make(out, '}', start);
        return;
      }
      bool interpolation = braces_.back();
      braces_.pop_back();
      if (!interpolation) {
        make(out, '}', start);
        return;
      }
      lexInterpSection(out, start, /*first=*/false);
      return;
    }
    case '=':
    case '<':
    case '>':
    case '~':
      if (p_[1] == '=') {
        p_ += 2;
        make(out, c == '=' ? kTokEq : c == '<' ? kTokLe : c == '>' ? kTokGe : kTokNe, start);
      } else {
        ++p_;
        make(out, c, start);
      }
      return;
    case '"':
    case '\'':
      lexQuoted(out, c, start);
      return;
    case '`':
      ++p_;
      lexInterpSection(out, start, /*first=*/true);
      return;
    case '.':
      if (p_[1] == '.') {
        if (p_[2] == '.') {
          p_ += 3;
          make(out, kTokDots, start);
        } else if (p_[2] == '=') {
          p_ += 3;
          make(out, kTokConcatAssign, start);
        } else {
          p_ += 2;
          make(out, kTokConcat, start);
        }
        return;
      }
      if (isDigit(p_[1])) {
        lexNumber(out, start);
        return;
      }
      ++p_;
      make(out, '.', start);
      return;
    case '+':
    case '*':
    case '%':
    case '^':
      if (p_[1] == '=') {
        p_ += 2;
        make(out, c == '+' ? kTokAddAssign : c == '*' ? kTokMulAssign : c == '%' ? kTokModAssign : kTokPowAssign, start);
      } else {
        ++p_;
        make(out, c, start);
      }
      return;
    case '/':
      if (p_[1] == '/') {
        if (p_[2] == '=') {
          p_ += 3;
          make(out, kTokFloorDivAssign, start);
        } else {
          p_ += 2;
          make(out, kTokFloorDiv, start);
        }
      } else if (p_[1] == '=') {
        p_ += 2;
        make(out, kTokDivAssign, start);
      } else {
        ++p_;
        make(out, '/', start);
      }
      return;
    case ':':
      if (p_[1] == ':') {
        p_ += 2;
        make(out, kTokDoubleColon, start);
      } else {
        ++p_;
        make(out, ':', start);
      }
      return;
    case '@': {
      if (p_[1] == '[') {
        p_ += 2;
        make(out, kTokAttributeOpen, start);
        return;
      }
      if (!isAlpha(p_[1]) && p_[1] != '_') {
        fail(out, start, "expected an attribute name after '@'");
        return;
      }
      ++p_;
      const char* nameStart = p_;
      while (isNameChar(*p_)) ++p_;
      make(out, kTokAttribute, start);
      out.text = std::string_view(nameStart, static_cast<std::size_t>(p_ - nameStart));
      return;
    }
    default:
      break;
  }
  if (isDigit(c)) {
    lexNumber(out, start);
    return;
  }
  if (static_cast<unsigned char>(c) >= 0x80) {
    lexUtf8Error(out, start);
    return;
  }
  ++p_;
  make(out, static_cast<unsigned char>(c), start);
}

void Lexer::lexNumber(Token& out, std::uint32_t start) {
  // The same pattern as Luau's lexer: the text is validated when converted below.
  do {
    ++p_;
  } while (isDigit(*p_) || *p_ == '.' || *p_ == '_');
  if (*p_ == 'e' || *p_ == 'E') {
    ++p_;
    if (*p_ == '+' || *p_ == '-') ++p_;
  }
  while (isNameChar(*p_)) ++p_;
  make(out, kTokNumber, start);
  std::string_view text = out.text;
  std::string_view digits = text;
  if (text.find('_') != std::string_view::npos) {
    scratch_.clear();
    for (char ch : text) {
      if (ch != '_') scratch_ += ch;
    }
    digits = scratch_;
  }
  bool ok = false;
  // Small decimal integers (the common case) without the general parser.
  if (digits.size() <= 15 && isDigit(digits.front())) {
    std::uint64_t v = 0;
    std::size_t i = 0;
    while (i < digits.size() && isDigit(digits[i])) {
      v = v * 10 + static_cast<std::uint64_t>(digits[i] - '0');
      ++i;
    }
    if (i == digits.size()) {
      out.number = static_cast<double>(v);
      return;
    }
  }
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'b' || digits[1] == 'B')) {
    ok = parseInteger(digits.substr(2), 2, out.number);
  } else if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    ok = parseInteger(digits.substr(2), 16, out.number);
  } else {
    ok = parseDecimal(digits, out.number);
  }
  if (!ok) fail(out, start, "malformed number near " + describe(out));
}

[[gnu::noinline]] void Lexer::lexUtf8Error(Token& out, std::uint32_t start) {
  auto b = static_cast<unsigned char>(*p_);
  int size = (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
  std::uint32_t code = size == 2 ? (b & 0x1Fu) : size == 3 ? (b & 0x0Fu) : (b & 0x07u);
  bool valid = size != 0;
  for (int i = 1; valid && i < size; ++i) {
    auto cb = static_cast<unsigned char>(p_[i]);
    if ((cb & 0xC0) != 0x80) {
      valid = false;
    } else {
      code = (code << 6) | (cb & 0x3Fu);
    }
  }
  if (!valid || code > 0x10FFFF || (size == 3 && code < 0x800) || (size == 4 && code < 0x10000) ||
      (size == 2 && code < 0x80) || (code >= 0xD800 && code <= 0xDFFF)) {
    fail(out, start, "invalid UTF-8 sequence");
    return;
  }
  char hex[16];
  auto [end, ec] = std::to_chars(hex, hex + sizeof(hex), code, 16);
  (void)ec;
  std::string name(hex, end);
  for (char& ch : name) ch = static_cast<char>(ch >= 'a' ? ch - 'a' + 'A' : ch);
  while (name.size() < 4) name.insert(name.begin(), '0');
  fail(out, start, "unexpected Unicode character U+" + name + " outside a string");
}

bool Lexer::readEscape(std::string& out, bool interpolated) {
  // At '\\'.
  auto at = static_cast<std::uint32_t>(p_ - base_);
  ++p_;
  char c = *p_;
  switch (c) {
    case '\n':
      ++line_;
      ++p_;
      out += '\n';
      return true;
    case '\r':
      ++p_;
      if (*p_ == '\n') {
        ++line_;
        ++p_;
      }
      out += '\n';
      return true;
    case 'a': out += '\a'; ++p_; return true;
    case 'b': out += '\b'; ++p_; return true;
    case 'f': out += '\f'; ++p_; return true;
    case 'n': out += '\n'; ++p_; return true;
    case 'r': out += '\r'; ++p_; return true;
    case 't': out += '\t'; ++p_; return true;
    case 'v': out += '\v'; ++p_; return true;
    case 'x': {
      if (!isHex(p_[1]) || !isHex(p_[2])) {
        failEscape(at, "invalid escape sequence '\\x' (expected two hexadecimal digits)");
        return false;
      }
      out += static_cast<char>(hexValue(p_[1]) * 16 + hexValue(p_[2]));
      p_ += 3;
      return true;
    }
    case 'z':
      ++p_;
      while (isSpace(*p_)) {
        if (*p_ == '\n') ++line_;
        ++p_;
      }
      return true;
    case 'u': {
      if (p_[1] != '{') {
        failEscape(at, "invalid escape sequence '\\u' (expected '{')");
        return false;
      }
      const char* q = p_ + 2;
      std::uint32_t code = 0;
      int digits = 0;
      while (isHex(*q) && digits < 16) {
        code = code * 16 + static_cast<std::uint32_t>(hexValue(*q));
        if (code > 0x10FFFF) code = 0x110000;  // keep it out of range without overflowing
        ++q;
        ++digits;
      }
      if (digits == 0 || *q != '}' || code > 0x10FFFF) {
        failEscape(at, "invalid escape sequence '\\u{...}' (expected 1 to 16 hexadecimal digits of a code point up to 10FFFF)");
        return false;
      }
      appendUtf8(out, code);
      p_ = q + 1;
      return true;
    }
    case '\0':
      failEscape(at, interpolated ? "unfinished interpolated string" : "unfinished string");
      return false;
    default:
      if (isDigit(c)) {
        int code = 0;
        for (int i = 0; i < 3 && isDigit(*p_); ++i) {
          code = code * 10 + (*p_ - '0');
          ++p_;
        }
        if (code > 255) {
          failEscape(at, "invalid escape sequence '\\" + std::to_string(code) + "' (decimal escape too large)");
          return false;
        }
        out += static_cast<char>(code);
        return true;
      }
      // Luau keeps any other escaped character as itself (\\ \" \' \` \{ ...).
      out += c;
      ++p_;
      return true;
  }
}

void Lexer::lexQuoted(Token& out, char quote, std::uint32_t start) {
  std::uint32_t startLine = line_;
  ++p_;
  const char* contentStart = p_;
  // Fast path: no escapes, the value is a view of the source.
  const char* q = p_;
  while (*q != quote && *q != '\\' && *q != '\n' && *q != '\r' && *q != '\0') ++q;
  p_ = q;
  if (*p_ == quote) {
    std::string_view value(contentStart, static_cast<std::size_t>(p_ - contentStart));
    ++p_;
    make(out, kTokString, start);
    out.value = value;
    return;
  }
  scratch_.assign(contentStart, static_cast<std::size_t>(p_ - contentStart));
  for (;;) {
    char c = *p_;
    if (c == quote) {
      ++p_;
      break;
    }
    if (c == '\n' || c == '\r' || c == '\0') {
      make(out, kTokString, start);
      fail(out, start, "unfinished string near " + describe(out));
      return;
    }
    if (c == '\\') {
      if (!readEscape(scratch_, /*interpolated=*/false)) {
        make(out, kTokEof, start);
        return;
      }
      continue;
    }
    scratch_ += c;
    ++p_;
  }
  make(out, kTokString, start);
  out.line = startLine;
  out.value = arena_.copyString(scratch_);
}

void Lexer::lexInterpSection(Token& out, std::uint32_t start, bool first) {
  // Just after '`' (first) or after the '}' closing an interpolated expression.
  std::uint32_t startLine = line_;
  scratch_.clear();
  for (;;) {
    char c = *p_;
    if (c == '`') {
      ++p_;
      make(out, first ? kTokInterpSimple : kTokInterpEnd, start);
      out.line = startLine;
      out.value = arena_.copyString(scratch_);
      return;
    }
    if (c == '{') {
      if (p_[1] == '{') {
        fail(out, static_cast<std::uint32_t>(p_ - base_),
             "double braces are not permitted within interpolated strings; did you mean '\\{'?");
        return;
      }
      ++p_;
      braces_.push_back(true);
      make(out, first ? kTokInterpBegin : kTokInterpMid, start);
      out.line = startLine;
      out.value = arena_.copyString(scratch_);
      return;
    }
    if (c == '\n' || c == '\r' || c == '\0') {
      fail(out, start, "unfinished interpolated string");
      return;
    }
    if (c == '\\') {
      if (!readEscape(scratch_, /*interpolated=*/true)) {
        make(out, kTokEof, start);
        return;
      }
      continue;
    }
    scratch_ += c;
    ++p_;
  }
}

}  // namespace tw::luau
