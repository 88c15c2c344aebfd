// TemplateSource: what a template is, independent of where it came from (a directory for `run`, storage for
// the service).
//
// Threading: a value type.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"

namespace tw::vm {

struct TemplateSource {
  std::string name;
  std::map<std::string, std::string, std::less<>> files;  // path -> source text; the entry is init.lua
  std::vector<std::string> events;        // subscribed event names
  std::vector<std::string> capabilities;  // e.g. "kv:read"
  bool paused = false;
};

// Compiles every file of the template without running anything: a syntax error names the file, line and what
// the compiler expected (kSyntaxError). Thread-safe; runs on the caller's thread in a scratch state.
Status checkSyntax(const TemplateSource& source);

// The entry file of a template, or null when it has none.
const std::string* entryFile(const TemplateSource& source, std::string* path);

// One template's outcome of a load, a dispatch or an exec: the JSON of the handler's value, or an error.
struct TemplateOutcome {
  std::string templateName;
  bool ok = false;
  std::string valueJson = "null";
  Error error{ErrorKind::kInternal, {}};
  std::vector<Error> taskErrors;  // errors of background threads the template started for this event
};

}  // namespace tw::vm
