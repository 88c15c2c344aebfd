// String scanning, unescaping and UTF-8 checks shared by the parser and the encoder (json_parse.h).
#include <cstdio>
#include <cstring>

#include "events/json_parse.h"

namespace tw::events::detail {

namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Four hex digits at p (REQUIRES: p + 4 <= end), or -1.
long hex4(const char* p) {
  long v = 0;
  for (int i = 0; i < 4; ++i) {
    const int h = hexValue(p[i]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

char* putUtf8(char* out, unsigned long cp) {
  if (cp < 0x80) {
    *out++ = static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out++ = static_cast<char>(0xC0 | (cp >> 6));
    *out++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out++ = static_cast<char>(0xE0 | (cp >> 12));
    *out++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out++ = static_cast<char>(0xF0 | (cp >> 18));
    *out++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out++ = static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

}  // namespace

const char* jsonErrorText(JsonError e) {
  switch (e) {
    case JsonError::kNone: return "no error";
    case JsonError::kEndOfInput: return "unexpected end of input";
    case JsonError::kUnexpectedChar: return "unexpected character";
    case JsonError::kExpectedCommaOrBracket: return "expected ',' or ']'";
    case JsonError::kExpectedCommaOrBrace: return "expected ',' or '}'";
    case JsonError::kExpectedColon: return "expected ':'";
    case JsonError::kExpectedKey: return "expected a string key";
    case JsonError::kExpectedValue: return "expected a value";
    case JsonError::kBadNumber: return "invalid number";
    case JsonError::kLeadingZero: return "leading zeros are not allowed";
    case JsonError::kNumberRange: return "number out of range";
    case JsonError::kControlChar: return "control character in string";
    case JsonError::kBadEscape: return "invalid escape";
    case JsonError::kBadUnicodeEscape: return "invalid \\u escape";
    case JsonError::kLoneSurrogate: return "lone surrogate in \\u escape";
    case JsonError::kBadUtf8: return "invalid UTF-8";
    case JsonError::kTooDeep: return "nesting too deep";
    case JsonError::kTrailing: return "unexpected text after the value";
    case JsonError::kBadLiteral: return "invalid literal";
  }
  return "error";
}

void formatParseFailure(const ParseFailure& f, const char* text, std::size_t size, char* out, std::size_t outSize) {
  if (f.error == JsonError::kUnexpectedChar && f.offset < size) {
    const auto c = static_cast<unsigned char>(text[f.offset]);
    if (c >= 0x21 && c < 0x7F && c != '\'') {
      std::snprintf(out, outSize, "json: unexpected character '%c' at offset %zu", c, f.offset);
    } else {
      std::snprintf(out, outSize, "json: unexpected byte 0x%02X at offset %zu", c, f.offset);
    }
    return;
  }
  std::snprintf(out, outSize, "json: %s at offset %zu", jsonErrorText(f.error), f.offset);
}

const char* scanStringSlow(const char* begin, const char* p, const char* end, bool& escaped, ParseFailure& f) {
  auto failAt = [&](JsonError e, const char* at) -> const char* {
    f.error = e;
    f.offset = static_cast<std::size_t>(at - begin);
    return nullptr;
  };
  for (;;) {
    p = swar::findStringSpecial(p, end);
    if (p == end) return failAt(JsonError::kEndOfInput, p);
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"') return p;
    if (c == '\\') {
      escaped = true;
      const char* esc = p;
      if (++p == end) return failAt(JsonError::kEndOfInput, p);
      switch (*p) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
          ++p;
          continue;
        case 'u': break;
        default: return failAt(JsonError::kBadEscape, esc);
      }
      for (int i = 1; i <= 4; ++i) {
        if (p + i == end) return failAt(JsonError::kEndOfInput, end);
        if (hexValue(p[i]) < 0) return failAt(JsonError::kBadUnicodeEscape, esc);
      }
      const long cp = hex4(p + 1);
      p += 5;
      if (cp >= 0xDC00 && cp <= 0xDFFF) return failAt(JsonError::kLoneSurrogate, esc);
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (end - p < 2 || p[0] != '\\' || p[1] != 'u') return failAt(JsonError::kLoneSurrogate, esc);
        for (int i = 2; i <= 5; ++i) {
          if (p + i == end) return failAt(JsonError::kEndOfInput, end);
          if (hexValue(p[i]) < 0) return failAt(JsonError::kBadUnicodeEscape, p);
        }
        const long lo = hex4(p + 2);
        if (lo < 0xDC00 || lo > 0xDFFF) return failAt(JsonError::kLoneSurrogate, esc);
        p += 6;
      }
      continue;
    }
    if (c < 0x20) return failAt(JsonError::kControlChar, p);
    if (c < 0x80) {
      ++p;
      continue;
    }
    const int len = utf8SequenceLength(reinterpret_cast<const unsigned char*>(p),
                                       reinterpret_cast<const unsigned char*>(end));
    if (len == 0) return failAt(JsonError::kBadUtf8, p);
    p += len;
  }
}

std::size_t unescapeString(const char* p, const char* end, char* out) {
  char* const start = out;
  while (p != end) {
    const void* bs = std::memchr(p, '\\', static_cast<std::size_t>(end - p));
    const char* stop = bs != nullptr ? static_cast<const char*>(bs) : end;
    const auto run = static_cast<std::size_t>(stop - p);
    std::memcpy(out, p, run);
    out += run;
    p = stop;
    if (p == end) break;
    ++p;  // the backslash
    switch (*p++) {
      case '"': *out++ = '"'; break;
      case '\\': *out++ = '\\'; break;
      case '/': *out++ = '/'; break;
      case 'b': *out++ = '\b'; break;
      case 'f': *out++ = '\f'; break;
      case 'n': *out++ = '\n'; break;
      case 'r': *out++ = '\r'; break;
      case 't': *out++ = '\t'; break;
      default: {  // 'u', validated by scanString
        auto cp = static_cast<unsigned long>(hex4(p));
        p += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          const auto lo = static_cast<unsigned long>(hex4(p + 2));
          p += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        out = putUtf8(out, cp);
        break;
      }
    }
  }
  return static_cast<std::size_t>(out - start);
}

}  // namespace tw::events::detail
