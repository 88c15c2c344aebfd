#include "events/event.h"

#include <cstdio>
#include <utility>

#include "events/json_parse.h"

namespace tw::events {
namespace {

using detail::JsonError;
using detail::ParseFailure;
using detail::Parser;
using detail::ValidatingSink;

Error syntaxError(const ParseFailure& f, std::string_view text, const char* prefix) {
  char message[256];
  detail::formatParseFailure(f, text.data(), text.size(), message, sizeof message);
  return makeError(f.error == JsonError::kTooDeep ? ErrorKind::kLimitExceeded : ErrorKind::kBadInput,
                   std::string(prefix) + message);
}

Error bodyError(const char* what, std::size_t offset) {
  char message[160];
  std::snprintf(message, sizeof message, "event: %s at offset %zu", what, offset);
  return makeError(ErrorKind::kBadInput, message);
}

Error tooLarge(const char* what, std::size_t size, std::size_t limit) {
  char message[160];
  std::snprintf(message, sizeof message, "event: %s of %zu bytes exceeds the limit of %zu bytes", what, size, limit);
  return makeError(ErrorKind::kLimitExceeded, message);
}

// Reports the body of the string token it parses (still escaped) so that the envelope can read keys.
struct KeySink : ValidatingSink {
  const char* str = nullptr;
  std::size_t len = 0;
  bool escaped = false;
  void string(const char* s, std::size_t n, bool e) {
    str = s;
    len = n;
    escaped = e;
  }
};

bool tokenEquals(const KeySink& k, std::string_view word) {
  return !k.escaped && std::string_view(k.str, k.len) == word;
}

std::string unescaped(const KeySink& k) {
  std::string out(k.len, '\0');
  out.resize(detail::unescapeString(k.str, k.str + k.len, out.data()));
  return out;
}

Status checkName(std::string_view name) {
  if (isValidEventName(name)) return {};
  std::string shown(name.substr(0, kMaxEventNameLength));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) c = '?';
  }
  return makeError(ErrorKind::kBadInput, "event: invalid event name \"" + shown +
                                             (name.size() > kMaxEventNameLength ? "...\"" : "\"") +
                                             " (expected 1 to 64 of A-Z, 0-9, _)");
}

}  // namespace

bool isValidEventName(std::string_view name) {
  if (name.empty() || name.size() > kMaxEventNameLength) return false;
  for (const char c : name) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

Result<Event> parseEvent(std::string_view body, const EventLimits& limits) {
  // Bail out early on bodies that cannot hold an acceptable `data` (the envelope itself is small, but any
  // amount of whitespace is valid JSON: allow a generous margin, then measure `data` exactly).
  constexpr std::size_t kEnvelopeSlack = 64 * 1024;
  if (body.size() > limits.maxDataBytes + kEnvelopeSlack) {
    return tooLarge("body", body.size(), limits.maxDataBytes + kEnvelopeSlack);
  }

  const int depth = detail::clampDepth(limits.maxDepth);
  KeySink sink;
  // The envelope is depth 1, so `data` gets `depth` more levels.
  Parser<KeySink> parser(body.data(), body.size(), depth + 1 > detail::kMaxDepthCeiling ? depth : depth + 1, sink);
  auto offset = [&] { return static_cast<std::size_t>(parser.position() - body.data()); };

  parser.skipSpace();
  if (parser.atEnd()) return bodyError("empty body, expected an object", offset());
  if (parser.peek() != '{') return bodyError("body must be a JSON object", offset());
  parser.advance();
  parser.skipSpace();

  Event event;
  bool haveName = false;
  bool haveData = false;
  bool first = true;
  for (;;) {
    if (parser.atEnd()) return syntaxError({JsonError::kEndOfInput, offset()}, body, "event: ");
    if (first && parser.peek() == '}') {
      parser.advance();
      break;
    }
    if (parser.peek() != '"') return syntaxError({JsonError::kExpectedKey, offset()}, body, "event: ");
    const std::size_t keyOffset = offset();
    if (!parser.parseString()) return syntaxError(parser.failure(), body, "event: ");
    const KeySink key = sink;
    parser.skipSpace();
    if (parser.atEnd() || parser.peek() != ':') {
      return syntaxError({parser.atEnd() ? JsonError::kEndOfInput : JsonError::kExpectedColon, offset()}, body,
                         "event: ");
    }
    parser.advance();
    parser.skipSpace();
    const std::size_t valueOffset = offset();
    if (tokenEquals(key, "name") || (key.escaped && unescaped(key) == "name")) {
      if (haveName) return bodyError("duplicate key \"name\"", keyOffset);
      haveName = true;
      if (parser.atEnd() || parser.peek() != '"') return bodyError("\"name\" must be a string", valueOffset);
      if (!parser.parseString()) return syntaxError(parser.failure(), body, "event: ");
      event.name = sink.escaped ? unescaped(sink) : std::string(sink.str, sink.len);
      if (Status s = checkName(event.name); !s) return std::move(s).error();
    } else if (tokenEquals(key, "data") || (key.escaped && unescaped(key) == "data")) {
      if (haveData) return bodyError("duplicate key \"data\"", keyOffset);
      haveData = true;
      const char* start = parser.position();
      if (!parser.parseValue(1)) return syntaxError(parser.failure(), body, "event: data: ");
      const auto size = static_cast<std::size_t>(parser.position() - start);
      if (size > limits.maxDataBytes) return tooLarge("data", size, limits.maxDataBytes);
      event.dataJson.assign(start, size);
    } else {
      std::string shown = unescaped(key).substr(0, 40);
      for (char& c : shown) {
        if (static_cast<unsigned char>(c) < 0x20 || c == '"') c = '?';
      }
      return bodyError(("unknown key \"" + shown + "\" (expected \"name\" and \"data\")").c_str(), keyOffset);
    }
    first = false;
    parser.skipSpace();
    if (parser.atEnd()) return syntaxError({JsonError::kEndOfInput, offset()}, body, "event: ");
    if (parser.peek() == ',') {
      parser.advance();
      parser.skipSpace();
      if (!parser.atEnd() && parser.peek() == '}') {
        return syntaxError({JsonError::kExpectedKey, offset()}, body, "event: ");  // trailing comma
      }
      continue;
    }
    if (parser.peek() == '}') {
      parser.advance();
      break;
    }
    return syntaxError({JsonError::kExpectedCommaOrBrace, offset()}, body, "event: ");
  }
  parser.skipSpace();
  if (!parser.atEnd()) return syntaxError({JsonError::kTrailing, offset()}, body, "event: ");
  if (!haveName) return makeError(ErrorKind::kBadInput, "event: missing key \"name\"");
  if (!haveData) return makeError(ErrorKind::kBadInput, "event: missing key \"data\"");
  return event;
}

Status validateJson(std::string_view text, int maxDepth) {
  ValidatingSink sink;
  Parser<ValidatingSink> parser(text.data(), text.size(), detail::clampDepth(maxDepth), sink);
  if (parser.parseDocument()) return {};
  return syntaxError(parser.failure(), text, "");
}

Result<Event> makeEvent(std::string_view name, std::string_view dataJson, const EventLimits& limits) {
  if (Status s = checkName(name); !s) return std::move(s).error();
  if (dataJson.size() > limits.maxDataBytes) return tooLarge("data", dataJson.size(), limits.maxDataBytes);
  if (Status s = validateJson(dataJson, limits.maxDepth); !s) {
    Error e = std::move(s).error();
    e.message = "event: data: " + e.message;
    return e;
  }
  return Event{std::string(name), std::string(dataJson)};
}

std::string toBody(const Event& event) {
  std::string out;
  out.reserve(event.name.size() + event.dataJson.size() + 20);
  out += "{\"name\":\"";
  out += event.name;  // [A-Z0-9_]: nothing to escape
  out += "\",\"data\":";
  out += event.dataJson;
  out += '}';
  return out;
}

}  // namespace tw::events
