// The Luau front-end: Luau source text in, Lua 5.4 source text out (a compiler; no Lua VM in here).
//
// The output keeps every token on its source line, erases types, and reaches the runtime helpers it
// needs only through the reserved global `__luau` (see runtimePrelude() and README.md for the contract).
//
// Threading: lower() and runtimePrelude() are pure and thread-safe. LoweringCache is thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace tw::luau {

// The global name under which the VM makes the prelude's helper table reachable (read-only).
inline constexpr std::string_view kHelperGlobal = "__luau";

struct Options {
  // Sources larger than this are rejected with a syntax error. Default: 4 MiB.
  std::size_t maxSourceBytes = std::size_t{4} << 20;
};

// Where and why a chunk failed to parse. Lines and columns are 1-based; columns count UTF-8 code points.
struct SyntaxError {
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::string message;  // e.g. "expected 'then' near 'x'"

  // "init.luau:3:14: expected 'then' near 'x'"
  std::string toString() const;
};

// Lowers one Luau chunk to Lua 5.4 text. chunkName (e.g. "init.luau") only decorates errors.
// On failure the error has kind kSyntaxError and message SyntaxError::toString(); if `where` is not
// null it also receives the structured error.
Result<std::string> lower(std::string_view source, std::string_view chunkName, const Options& options = {},
                          SyntaxError* where = nullptr);

// Lua 5.4 source of the runtime helpers that lowered code calls. Load it once per VM as a text chunk
// whose _ENV holds the stock Lua 5.4 globals (it captures what it needs, including debug.getmetatable,
// at load time), call it with no arguments, and publish the table it returns as the read-only global
// kHelperGlobal. The table also offers `tostring` (Luau's tostring) and `num2str` for the Luau stdlib.
std::string_view runtimePrelude();

struct CacheOptions {
  // Upper bound on the bytes held (sources + outputs + error texts). Default: 64 MiB.
  std::size_t maxBytes = std::size_t{64} << 20;
  Options lowering;
};

struct CacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t evictions = 0;
  std::size_t entries = 0;
  std::size_t bytes = 0;
};

// Lowered chunks keyed by source content, so a template shared by many guilds is lowered once per
// process (concurrent requests for the same source wait for the first lowering). Entries are evicted
// least-recently-used past CacheOptions::maxBytes. Syntax errors are cached too; the chunk name only
// decorates the returned error.
//
// Threading: thread-safe.
class LoweringCache {
 public:
  explicit LoweringCache(CacheOptions options = {});
  ~LoweringCache();
  LoweringCache(const LoweringCache&) = delete;
  LoweringCache& operator=(const LoweringCache&) = delete;

  Result<std::shared_ptr<const std::string>> lower(std::string_view source, std::string_view chunkName,
                                                   SyntaxError* where = nullptr);
  CacheStats stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tw::luau
