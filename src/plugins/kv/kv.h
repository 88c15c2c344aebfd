// The `kv` plugin: a per-guild persistent key-value store that a handler reaches as `ctx.kv`.
//
//   ctx.kv:get(key)            -> value or nil          capability kv:read
//   ctx.kv:set(key, value)     -> nothing               capability kv:write   (value: any JSON-encodable value)
//   ctx.kv:delete(key)         -> true if it existed    capability kv:write
//   ctx.kv:list([prefix [, limit]]) -> {{key=, value=}, ...} in byte order of the keys (limit: 100, at most 1000)
//                                                        capability kv:read
//   ctx.kv:scope(name)         -> the same store under another scope (keys of different scopes never meet)
//
// Each call yields its coroutine until the storage answers on the guild's worker, so nothing blocks the
// worker; a call that returned has been committed durably (see storage/README.md). A handle belongs to its
// event: used after the event ended, it raises.
//
// Threading: the Lua functions run on the VM's thread. KvStore implementations are called on that thread
// and must complete on it, never inline.
#pragma once

#include <lua.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace tw::plugins {

// The storage one guild's VM talks to (bound to its guild).
class KvStore {
 public:
  virtual ~KvStore() = default;
  using Entries = std::vector<std::pair<std::string, std::string>>;  // key, JSON value
  virtual void get(std::string scope, std::string key, std::function<void(Result<std::optional<std::string>>)> done) = 0;
  virtual void set(std::string scope, std::string key, std::string valueJson, std::function<void(Status)> done) = 0;
  virtual void remove(std::string scope, std::string key, std::function<void(Result<bool>)> done) = 0;
  virtual void list(std::string scope, std::string prefix, std::size_t limit, std::function<void(Result<Entries>)> done) = 0;
};

inline constexpr std::size_t kMaxKvKeyBytes = 256;
inline constexpr std::size_t kMaxKvScopeBytes = 64;
inline constexpr std::size_t kMaxKvListLimit = 1000;

// Makes `store` (may be null: kv calls then raise "kv is not available") the store of L's VM. Call inside a
// protected call. The store must outlive the VM.
void setKvStore(lua_State* L, KvStore* store);

// Pushes a kv handle for event `eventId` and `scope` (ctx.kv). Raises on memory errors.
void pushKvHandle(lua_State* L, std::uint64_t eventId, const char* scope, std::size_t scopeLen);

}  // namespace tw::plugins
