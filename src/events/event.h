// Event: what a template handler receives, `{name, data}`, as it crosses threads and processes (no Lua
// inside). `data` travels as validated JSON text and is decoded into a VM only on the worker (pushJson).
//
// Threading: Event is a value type. The functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"

namespace tw::events {

struct Event {
  std::string name;      // [A-Z0-9_]{1,64}, e.g. "MESSAGE_CREATE"
  std::string dataJson;  // the JSON text of `data`: any JSON value, strictly valid (see json_lua.h)
};

struct EventLimits {
  // Largest `data` text. Default: 1 MiB.
  std::size_t maxDataBytes = 1u << 20;
  // Nesting of `data` (same meaning as JsonLimits::maxDepth). Default: 128.
  int maxDepth = 128;
};

inline constexpr std::size_t kMaxEventNameLength = 64;

// True if `name` matches [A-Z0-9_]{1,64}.
bool isValidEventName(std::string_view name);

// Parses an HTTP/CLI body `{"name": "...", "data": <any JSON>}` (whitespace allowed, keys in any order).
// Both keys are required, no other key is allowed, none may repeat. `data` is checked with the same strict
// parser the VM decoder uses, so an accepted event always decodes. dataJson is the exact text of `data`.
// Errors (kBadInput, kLimitExceeded) say what is wrong and where ("event: ... at offset N").
Result<Event> parseEvent(std::string_view body, const EventLimits& limits = {});

// Builds an event from parts, validating both (for events the service raises itself).
Result<Event> makeEvent(std::string_view name, std::string_view dataJson, const EventLimits& limits = {});

// Checks that `text` is one strict JSON value within the depth limit (no size limit applied here).
Status validateJson(std::string_view text, int maxDepth = 128);

// The body form of an event: {"name":"...","data":...}.
std::string toBody(const Event& event);

}  // namespace tw::events
