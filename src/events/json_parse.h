// Internal to src/events: the strict RFC 8259 parser core shared by the Lua decoder (json_lua.cpp) and the
// VM-less validator (event.cpp), so that any text the event layer accepts decodes in a VM the same way.
//
// The parser is a C-style recursive descent over a byte range. It owns nothing, allocates nothing and throws
// nothing; it reports values to a Sink (static polymorphism, inlined). A Sink may raise a Lua error (longjmp)
// from any callback: every frame here is trivially destructible. Recursion is bounded by maxDepth, which the
// callers clamp to kMaxDepthCeiling.
//
// Sink interface:
//   void null(); void boolean(bool); void integer(std::int64_t); void number(double);
//   void string(const char* s, std::size_t n, bool escaped);   // escaped: s..s+n still holds escapes
//   void key(const char* s, std::size_t n, bool escaped);      // an object member's name
//   void beginArray(); void arrayItem(std::int64_t count); void endArray(std::int64_t count);
//   void beginObject(); void objectField(std::int64_t count); void endObject(std::int64_t count);
//   void poll();                                                 // every kPollEvery values
// A key is reported right before its value; arrayItem/objectField follow each element with the number of
// elements so far.
//
// Threading: stateless functions and a parser object used by one thread.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <system_error>

#include "events/json_swar.h"

namespace tw::events::detail {

// Hard ceiling for any configured depth limit: bounds the C recursion of the parser and the encoder.
inline constexpr int kMaxDepthCeiling = 512;
// Values (or elements) between two calls of Sink::poll().
inline constexpr unsigned kPollEvery = 4096;

enum class JsonError : std::uint8_t {
  kNone,
  kEndOfInput,
  kUnexpectedChar,
  kExpectedCommaOrBracket,
  kExpectedCommaOrBrace,
  kExpectedColon,
  kExpectedKey,
  kExpectedValue,
  kBadNumber,
  kLeadingZero,
  kNumberRange,
  kControlChar,
  kBadEscape,
  kBadUnicodeEscape,
  kLoneSurrogate,
  kBadUtf8,
  kTooDeep,
  kTrailing,
  kBadLiteral,
};

// "expected ',' or '}'" etc.: the text after "json: " and before " at offset N".
const char* jsonErrorText(JsonError e);

struct ParseFailure {
  JsonError error = JsonError::kNone;
  std::size_t offset = 0;
};

// Writes "json: <text> at offset N" (or with the unexpected byte) into out (NUL-terminated, truncated).
void formatParseFailure(const ParseFailure& f, const char* text, std::size_t size, char* out, std::size_t outSize);

// Length of the well-formed UTF-8 sequence at p (1..4), or 0 if it is ill-formed (overlong, surrogate,
// > U+10FFFF, truncated, stray continuation byte). REQUIRES: p < end.
inline int utf8SequenceLength(const unsigned char* p, const unsigned char* end) {
  const unsigned c = p[0];
  if (c < 0x80) return 1;
  const std::ptrdiff_t avail = end - p;
  if (c >= 0xC2 && c <= 0xDF) {
    return (avail >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    if (avail < 3) return 0;
    const unsigned c1 = p[1];
    const unsigned lo = c == 0xE0 ? 0xA0 : 0x80;  // no overlongs
    const unsigned hi = c == 0xED ? 0x9F : 0xBF;  // no surrogates
    if (c1 < lo || c1 > hi || (p[2] & 0xC0) != 0x80) return 0;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (avail < 4) return 0;
    const unsigned c1 = p[1];
    const unsigned lo = c == 0xF0 ? 0x90 : 0x80;  // no overlongs
    const unsigned hi = c == 0xF4 ? 0x8F : 0xBF;  // <= U+10FFFF
    if (c1 < lo || c1 > hi || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return 0;
    return 4;
  }
  return 0;
}

// Scans a string token body starting right after its opening quote. Validates escapes (including surrogate
// pairs), rejects control characters and ill-formed UTF-8. Returns the position of the closing quote, or
// nullptr with `f` set. `escaped` tells whether the body holds at least one escape.
const char* scanStringSlow(const char* begin, const char* p, const char* end, bool& escaped, ParseFailure& f);

// The same; the common case (plain ASCII up to the closing quote) is inlined.
inline const char* scanString(const char* begin, const char* p, const char* end, bool& escaped, ParseFailure& f) {
  const char* q = swar::findStringSpecial(p, end);
  if (q != end && *q == '"') return q;
  return scanStringSlow(begin, q, end, escaped, f);
}

// Writes the unescaped form of a body that scanString accepted into out, which has room for end - p bytes
// (unescaping never grows a string). Returns the number of bytes written.
std::size_t unescapeString(const char* p, const char* end, char* out);

inline bool isJsonSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
inline bool isDigit(char c) { return static_cast<unsigned char>(c - '0') < 10; }

template <class Sink>
class Parser {
 public:
  // REQUIRES: 1 <= maxDepth <= kMaxDepthCeiling.
  Parser(const char* text, std::size_t size, int maxDepth, Sink& sink)
      : begin_(text), p_(text), end_(text + size), sink_(sink), maxDepth_(maxDepth) {}

  // A whole document: whitespace, one value, whitespace, end of input.
  bool parseDocument() {
    skipSpace();
    if (!parseValue(0)) return false;
    skipSpace();
    if (p_ != end_) return fail(JsonError::kTrailing, p_);
    return true;
  }

  // Pieces for callers that walk an envelope themselves (event.cpp).
  void skipSpace() {
    // One compare in the common case (no whitespace: every JSON token starts above ' ').
    while (p_ != end_ && static_cast<unsigned char>(*p_) <= ' ' && isJsonSpace(*p_)) ++p_;
  }
  bool atEnd() const { return p_ == end_; }
  char peek() const { return *p_; }  // REQUIRES: !atEnd()
  void advance() { ++p_; }
  const char* position() const { return p_; }
  // One value at the current position (no leading whitespace) at nesting depth `depth`.
  bool parseValue(int depth) {
    if (--pollCountdown_ == 0) [[unlikely]] {
      pollCountdown_ = kPollEvery;
      sink_.poll();
    }
    if (p_ == end_) return fail(JsonError::kEndOfInput, p_);
    switch (*p_) {
      case '{': return parseObject(depth);
      case '[': return parseArray(depth);
      case '"': return parseString();
      case 't': return parseLiteral("true", 4) && (sink_.boolean(true), true);
      case 'f': return parseLiteral("false", 5) && (sink_.boolean(false), true);
      case 'n': return parseLiteral("null", 4) && (sink_.null(), true);
      case '-':
      case '0': case '1': case '2': case '3': case '4':
      case '5': case '6': case '7': case '8': case '9':
        return parseNumber();
      default: return fail(JsonError::kUnexpectedChar, p_);
    }
  }
  // A string token at the current position, reported through Sink::string (or Sink::key).
  template <bool kKey = false>
  bool parseString() {
    bool escaped = false;
    const char* body = p_ + 1;
    const char* close = scanString(begin_, body, end_, escaped, failure_);
    if (close == nullptr) return false;
    p_ = close + 1;
    if constexpr (kKey) {
      sink_.key(body, static_cast<std::size_t>(close - body), escaped);
    } else {
      sink_.string(body, static_cast<std::size_t>(close - body), escaped);
    }
    return true;
  }
  bool fail(JsonError e, const char* at) {
    failure_.error = e;
    failure_.offset = static_cast<std::size_t>(at - begin_);
    return false;
  }
  const ParseFailure& failure() const { return failure_; }

 private:
  bool parseLiteral(const char* word, std::size_t n) {
    if (static_cast<std::size_t>(end_ - p_) < n || std::memcmp(p_, word, n) != 0) {
      return fail(JsonError::kBadLiteral, p_);
    }
    p_ += n;
    return true;
  }

  bool parseArray(int depth) {
    if (depth >= maxDepth_) return fail(JsonError::kTooDeep, p_);
    ++p_;
    sink_.beginArray();
    skipSpace();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
      sink_.endArray(0);
      return true;
    }
    std::int64_t n = 0;
    for (;;) {
      if (p_ != end_ && *p_ == ']') return fail(JsonError::kExpectedValue, p_);  // "[1,]"
      if (!parseValue(depth + 1)) return false;
      sink_.arrayItem(++n);
      skipSpace();
      if (p_ == end_) return fail(JsonError::kEndOfInput, p_);
      if (*p_ == ',') {
        ++p_;
        skipSpace();
        continue;
      }
      if (*p_ == ']') {
        ++p_;
        sink_.endArray(n);
        return true;
      }
      return fail(JsonError::kExpectedCommaOrBracket, p_);
    }
  }

  bool parseObject(int depth) {
    if (depth >= maxDepth_) return fail(JsonError::kTooDeep, p_);
    ++p_;
    sink_.beginObject();
    skipSpace();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      sink_.endObject(0);
      return true;
    }
    std::int64_t n = 0;
    for (;;) {
      if (p_ == end_) return fail(JsonError::kEndOfInput, p_);
      if (*p_ != '"') return fail(JsonError::kExpectedKey, p_);
      if (!parseString<true>()) return false;
      skipSpace();
      if (p_ == end_) return fail(JsonError::kEndOfInput, p_);
      if (*p_ != ':') return fail(JsonError::kExpectedColon, p_);
      ++p_;
      skipSpace();
      if (!parseValue(depth + 1)) return false;
      sink_.objectField(++n);
      skipSpace();
      if (p_ == end_) return fail(JsonError::kEndOfInput, p_);
      if (*p_ == ',') {
        ++p_;
        skipSpace();
        continue;
      }
      if (*p_ == '}') {
        ++p_;
        sink_.endObject(n);
        return true;
      }
      return fail(JsonError::kExpectedCommaOrBrace, p_);
    }
  }

  bool parseNumber() {
    const char* start = p_;
    const char* p = p_;
    const bool negative = *p == '-';
    if (negative) ++p;
    if (p == end_ || !isDigit(*p)) return fail(p == end_ ? JsonError::kEndOfInput : JsonError::kBadNumber, p);
    const char* intStart = p;
    if (*p == '0') {
      ++p;
      if (p != end_ && isDigit(*p)) return fail(JsonError::kLeadingZero, start);
    } else {
      while (p != end_ && isDigit(*p)) ++p;
    }
    const char* intEnd = p;
    bool isFloat = false;
    if (p != end_ && *p == '.') {
      ++p;
      if (p == end_ || !isDigit(*p)) return fail(p == end_ ? JsonError::kEndOfInput : JsonError::kBadNumber, p);
      while (p != end_ && isDigit(*p)) ++p;
      isFloat = true;
    }
    const char* expStart = nullptr;
    if (p != end_ && (*p == 'e' || *p == 'E')) {
      ++p;
      expStart = p;
      if (p != end_ && (*p == '+' || *p == '-')) ++p;
      if (p == end_ || !isDigit(*p)) return fail(p == end_ ? JsonError::kEndOfInput : JsonError::kBadNumber, p);
      while (p != end_ && isDigit(*p)) ++p;
      isFloat = true;
    }
    p_ = p;

    if (!isFloat) {
      const std::size_t digits = static_cast<std::size_t>(intEnd - intStart);
      if (digits <= 19) {
        std::uint64_t v = 0;
        for (const char* q = intStart; q != intEnd; ++q) v = v * 10 + static_cast<std::uint64_t>(*q - '0');
        // 19 digits never overflow uint64; keep the value if it fits int64.
        constexpr std::uint64_t kMaxPositive = static_cast<std::uint64_t>(INT64_MAX);
        if (!negative && v <= kMaxPositive) {
          sink_.integer(static_cast<std::int64_t>(v));
          return true;
        }
        if (negative && v != 0 && v <= kMaxPositive + 1) {
          sink_.integer(static_cast<std::int64_t>(0 - v));  // two's complement; exact for -2^63
          return true;
        }
        // "-0" keeps its sign as a float; larger magnitudes become floats below.
      }
    }
    double d = 0;
    const auto res = std::from_chars(start, p, d);
    if (res.ec == std::errc::result_out_of_range) {
      if (magnitudeIsLarge(intStart, intEnd, expStart, p)) return fail(JsonError::kNumberRange, start);
      d = negative ? -0.0 : 0.0;  // underflow to a signed zero
    } else if (res.ec != std::errc() || res.ptr != p) {
      return fail(JsonError::kBadNumber, start);  // cannot happen after the grammar check above
    }
    sink_.number(d);
    return true;
  }

  // For a number that from_chars reports out of range: true if it overflows (|x| > DBL_MAX), false if it
  // underflows. Decided by the decimal exponent of its first significant digit.
  static bool magnitudeIsLarge(const char* intStart, const char* intEnd, const char* expStart, const char* end) {
    std::int64_t magnitude = 0;
    if (!(intEnd - intStart == 1 && *intStart == '0')) {
      magnitude = intEnd - intStart;
    } else if (intEnd != end && *intEnd == '.') {
      const char* q = intEnd + 1;
      std::int64_t zeros = 0;
      while (q != end && *q == '0') ++q, ++zeros;
      magnitude = -zeros;
    }
    if (expStart != nullptr) {
      const char* q = expStart;
      const bool negExp = *q == '-';
      if (*q == '+' || *q == '-') ++q;
      std::int64_t e = 0;
      for (; q != end && isDigit(*q); ++q) {
        if (e < 1'000'000'000) e = e * 10 + (*q - '0');
      }
      magnitude += negExp ? -e : e;
    }
    return magnitude > 0;
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  Sink& sink_;
  int maxDepth_;
  unsigned pollCountdown_ = kPollEvery;
  ParseFailure failure_;
};

// A Sink that checks only: used to validate JSON text without a VM.
struct ValidatingSink {
  void null() {}
  void boolean(bool) {}
  void integer(std::int64_t) {}
  void number(double) {}
  void string(const char*, std::size_t, bool) {}
  void key(const char*, std::size_t, bool) {}
  void beginArray() {}
  void arrayItem(std::int64_t) {}
  void endArray(std::int64_t) {}
  void beginObject() {}
  void objectField(std::int64_t) {}
  void endObject(std::int64_t) {}
  void poll() {}
};

// Clamps a configured depth limit into [1, kMaxDepthCeiling].
inline int clampDepth(int depth) {
  return depth < 1 ? 1 : (depth > kMaxDepthCeiling ? kMaxDepthCeiling : depth);
}

}  // namespace tw::events::detail
