// TemplateSource: what a template is, independent of where it came from (a directory for `run`, storage for
// the service).
//
// Threading: a value type.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string_view>
#include <string>
#include <vector>

#include "common/result.h"

namespace tw::luau {
class LoweringCache;
}

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

// A template as its VM holds it: the source, its Luau files lowered to Lua text (once, through the process's
// lowering cache), and the require aliases of its .luaurc. Immutable once built.
struct LoadedTemplate {
  TemplateSource source;
  bool luau = false;  // it has .luau files: the template sees Luau's libraries (one environment per template)
  std::map<std::string, std::shared_ptr<const std::string>, std::less<>> lowered;  // .luau path -> Lua text
  std::map<std::string, std::string, std::less<>> aliases;  // .luaurc "aliases": name -> path in the template

  // The Lua text to compile for `path`: the lowered text of a .luau file, the source of a .lua file; null
  // when the template has no such file.
  const std::string* code(std::string_view path) const;
};

// Lowers one Luau chunk through `cache` (may be null: no caching).
Result<std::shared_ptr<const std::string>> lowerLuau(luau::LoweringCache* cache, std::string_view code,
                                                     std::string_view chunkName);

// Lowers the template's .luau files and reads its .luaurc. A syntax error is kSyntaxError naming the file.
// `cache` may be null (then every call lowers).
Result<std::shared_ptr<LoadedTemplate>> prepareTemplate(TemplateSource source, luau::LoweringCache* cache);

// One template's outcome of a load, a dispatch or an exec: the JSON of the handler's value, or an error.
struct TemplateOutcome {
  std::string templateName;
  bool ok = false;
  std::string valueJson = "null";
  Error error{ErrorKind::kInternal, {}};
  std::vector<Error> taskErrors;  // errors of background threads the template started for this event
};

}  // namespace tw::vm
