#include "plugins/kv/kv.h"

#include <cstdio>
#include <cstring>
#include <memory>

#include "events/json_lua.h"
#include "plugins/plugin.h"
#include "plugins/task/task.h"
#include "sandbox/lua_api.h"
#include "sandbox/sandbox.h"

namespace tw::plugins {

namespace {

char kStoreKey;

// A kv handle: trivially destructible, Lua frees it.
struct KvHandle {
  std::uint64_t eventId;
  std::size_t scopeLen;
  char scope[kMaxKvScopeBytes + 1];
};

enum class Op : lua_KContext { kGet, kSet, kDelete, kList };

// What a completed call resumes the thread with: ok (boolean), then the value or the error message, then
// the error kind (integer).
struct Reply {
  bool ok = false;
  ErrorKind kind = ErrorKind::kInternal;
  std::string message;
  Op op = Op::kGet;
  std::optional<std::string> value;  // get
  bool existed = false;              // delete
  KvStore::Entries entries;          // list
};

// Pushes a stored JSON value. No C++ object with a destructor may be alive when a Lua call can raise, so the
// decoder's Status ends here, and the message is kept in a fixed buffer for failCorrupt.
thread_local char corruptMessage[256];
bool pushStored(lua_State* L, const std::string& json) {
  const Status s = events::pushJson(L, json);
  if (s.ok()) return true;
  std::snprintf(corruptMessage, sizeof corruptMessage, "kv: the stored value is not valid JSON: %s",
                s.error().message.c_str());
  return false;
}

// Replaces what was pushed with the failure triple (false, message, kind) the script's side turns into an error.
int failCorrupt(lua_State* L, int base) {
  lua_settop(L, base);
  lua_pushboolean(L, 0);
  lua_pushstring(L, corruptMessage);
  lua_pushinteger(L, static_cast<lua_Integer>(ErrorKind::kInternal));
  return 3;
}

int pushReply(lua_State* L, void* data) {
  auto* r = static_cast<Reply*>(data);
  const int base = lua_gettop(L);
  if (!r->ok) {
    lua_pushboolean(L, 0);
    lua_pushlstring(L, r->message.data(), r->message.size());
    lua_pushinteger(L, static_cast<lua_Integer>(r->kind));
    return 3;
  }
  lua_pushboolean(L, 1);
  switch (r->op) {
    case Op::kGet:
      if (!r->value) {
        lua_pushnil(L);
      } else if (!pushStored(L, *r->value)) {
        return failCorrupt(L, base);
      }
      return 2;
    case Op::kSet: return 1;
    case Op::kDelete: lua_pushboolean(L, r->existed); return 2;
    case Op::kList: {
      lua_createtable(L, static_cast<int>(r->entries.size()), 0);
      lua_Integer i = 0;
      for (const auto& [key, value] : r->entries) {
        lua_createtable(L, 0, 2);
        lua_pushlstring(L, key.data(), key.size());
        lua_setfield(L, -2, "key");
        if (!pushStored(L, value)) return failCorrupt(L, base);
        lua_setfield(L, -2, "value");
        lua_rawseti(L, -2, ++i);
      }
      return 2;
    }
  }
  return 1;
}

KvHandle* checkHandle(lua_State* L) {
  auto* h = static_cast<KvHandle*>(luaL_checkudata(L, 1, "KvHandle"));
  sandbox::ThreadOwner* owner = sandbox::threadOwner(L);
  if (owner == nullptr || owner->host == nullptr || !owner->host->eventAlive(h->eventId)) {
    luaL_error(L, "ctx.kv is no longer valid: the event it belongs to has ended");
  }
  return h;
}

// Continuation after the storage answered; `base` is the stack height at the yield. The values the host
// resumed us with follow it: true and the value, or false, the message and the error kind.
int finish(lua_State* L, int /*status*/, lua_KContext base) {
  const int top = lua_gettop(L);
  const int first = static_cast<int>(base) + 1;
  if (first > top || lua_type(L, first) != LUA_TBOOLEAN) return luaL_error(L, "kv: no reply from the storage");
  if (lua_toboolean(L, first)) return top - first;
  const auto kind = static_cast<ErrorKind>(lua_tointeger(L, first + 2));
  const char* message = lua_tostring(L, first + 1);
  return sandbox::raiseHostError(L, kind, "kv: %s",
                                 message != nullptr ? message : "the host could not deliver the result");
}

// Starts the storage call for `op` (C++ work in its own frame: nothing of it is alive when Lua raises or
// yields). Returns null on success, else a message.
const char* issue(KvStore& store, HostCompletion complete, Op op, const KvHandle& h, std::string_view key,
                  std::string_view value, std::size_t limit) noexcept {
  try {
    std::string scope(h.scope, h.scopeLen);
    auto finishWith = [complete = std::move(complete), op](std::shared_ptr<Reply> reply) {
      reply->op = op;
      complete(pushReply, std::move(reply));
    };
    auto fail = [](std::shared_ptr<Reply> reply, const Error& e) {
      reply->ok = false;
      reply->kind = e.kind;
      reply->message = e.message;
    };
    switch (op) {
      case Op::kGet:
        store.get(std::move(scope), std::string(key), [finishWith, fail](Result<std::optional<std::string>> r) {
          auto reply = std::make_shared<Reply>();
          if (r.ok()) {
            reply->ok = true;
            reply->value = std::move(r).value();
          } else {
            fail(reply, r.error());
          }
          finishWith(std::move(reply));
        });
        break;
      case Op::kSet:
        store.set(std::move(scope), std::string(key), std::string(value), [finishWith, fail](Status s) {
          auto reply = std::make_shared<Reply>();
          reply->ok = s.ok();
          if (!s.ok()) fail(reply, s.error());
          finishWith(std::move(reply));
        });
        break;
      case Op::kDelete:
        store.remove(std::move(scope), std::string(key), [finishWith, fail](Result<bool> r) {
          auto reply = std::make_shared<Reply>();
          if (r.ok()) {
            reply->ok = true;
            reply->existed = r.value();
          } else {
            fail(reply, r.error());
          }
          finishWith(std::move(reply));
        });
        break;
      case Op::kList:
        store.list(std::move(scope), std::string(key), limit, [finishWith, fail](Result<KvStore::Entries> r) {
          auto reply = std::make_shared<Reply>();
          if (r.ok()) {
            reply->ok = true;
            reply->entries = std::move(r).value();
          } else {
            fail(reply, r.error());
          }
          finishWith(std::move(reply));
        });
        break;
    }
    return nullptr;
  } catch (const std::exception&) {
    return "out of memory";
  }
}

int start(lua_State* L, Op op, const KvHandle& h, std::string_view key, std::string_view value, std::size_t limit) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kStoreKey);
  auto* store = static_cast<KvStore*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  if (store == nullptr) return luaL_error(L, "kv is not available here");
  TaskScheduler* scheduler = taskScheduler(L);
  if (scheduler == nullptr) return luaL_error(L, "kv is not available here");
  if (!lua_isyieldable(L)) return luaL_error(L, "ctx.kv cannot be used here (this code cannot yield)");
  std::uint64_t ticket = 0;
  TaskError error;
  if (!scheduler->requestHostCall(L, &ticket, &error)) {
    return sandbox::raiseHostError(L, error.kind, "kv: %s", error.message);
  }
  const char* failed = nullptr;
  {
    HostCompletion completion;
    try {
      completion = scheduler->hostCompletion(ticket);
    } catch (...) {
      failed = "out of memory";
    }
    if (failed == nullptr) failed = issue(*store, std::move(completion), op, h, key, value, limit);
  }
  if (failed != nullptr) {
    scheduler->abandonHostCall(L, ticket);
    return luaL_error(L, "kv: %s", failed);
  }
  return lua_yieldk(L, 0, static_cast<lua_KContext>(lua_gettop(L)), finish);
}

std::string_view checkKey(lua_State* L, int arg) {
  std::size_t len = 0;
  const char* key = luaL_checklstring(L, arg, &len);
  if (len == 0) luaL_argerror(L, arg, "the key is empty");
  if (len > kMaxKvKeyBytes) {
    sandbox::raiseHostError(L, ErrorKind::kLimitExceeded, "kv: key too long (%d bytes, limit %d)",
                            static_cast<int>(len), static_cast<int>(kMaxKvKeyBytes));
  }
  return {key, len};
}

int kvGet(lua_State* L) {
  const KvHandle* h = checkHandle(L);
  requireCapability(L, "kv:read", "ctx.kv:get");
  const std::string_view key = checkKey(L, 2);
  return start(L, Op::kGet, *h, key, {}, 0);
}

int kvSet(lua_State* L) {
  const KvHandle* h = checkHandle(L);
  requireCapability(L, "kv:write", "ctx.kv:set");
  const std::string_view key = checkKey(L, 2);
  luaL_checkany(L, 3);
  // Encode with the json plugin's own encoder (it bounds depth and size and reads raw).
  sandbox::pushSharedGlobals(L);
  lua_getfield(L, -1, "json");
  lua_getfield(L, -1, "encode");
  lua_pushvalue(L, 3);
  lua_call(L, 1, 1);  // raises "json: ..." for values that cannot be stored
  std::size_t len = 0;
  const char* text = lua_tolstring(L, -1, &len);
  return start(L, Op::kSet, *h, key, std::string_view(text, len), 0);
}

int kvDelete(lua_State* L) {
  const KvHandle* h = checkHandle(L);
  requireCapability(L, "kv:write", "ctx.kv:delete");
  const std::string_view key = checkKey(L, 2);
  return start(L, Op::kDelete, *h, key, {}, 0);
}

int kvList(lua_State* L) {
  const KvHandle* h = checkHandle(L);
  requireCapability(L, "kv:read", "ctx.kv:list");
  std::size_t len = 0;
  const char* prefix = luaL_optlstring(L, 2, "", &len);
  if (len > kMaxKvKeyBytes) luaL_argerror(L, 2, "prefix too long");
  const lua_Integer limit = luaL_optinteger(L, 3, 100);
  if (limit < 1 || limit > static_cast<lua_Integer>(kMaxKvListLimit)) luaL_argerror(L, 3, "limit must be 1..1000");
  return start(L, Op::kList, *h, std::string_view(prefix, len), {}, static_cast<std::size_t>(limit));
}

int kvScope(lua_State* L) {
  const KvHandle* h = checkHandle(L);
  std::size_t len = 0;
  const char* scope = luaL_checklstring(L, 2, &len);
  if (len > kMaxKvScopeBytes) {
    return sandbox::raiseHostError(L, ErrorKind::kLimitExceeded, "kv: scope name too long (limit %d bytes)",
                                   static_cast<int>(kMaxKvScopeBytes));
  }
  pushKvHandle(L, h->eventId, scope, len);
  return 1;
}

}  // namespace

void setKvStore(lua_State* L, KvStore* store) {
  lua_pushlightuserdata(L, store);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kStoreKey);
}

void pushKvHandle(lua_State* L, std::uint64_t eventId, const char* scope, std::size_t scopeLen) {
  auto* h = static_cast<KvHandle*>(lua_newuserdatauv(L, sizeof(KvHandle), 0));
  h->eventId = eventId;
  h->scopeLen = scopeLen;
  std::memcpy(h->scope, scope, scopeLen);
  h->scope[scopeLen] = '\0';
  if (luaL_newmetatable(L, "KvHandle")) {
    static const luaL_Reg kMethods[] = {{"get", kvGet},     {"set", kvSet},     {"delete", kvDelete},
                                        {"list", kvList},   {"scope", kvScope}, {nullptr, nullptr}};
    luaL_newlib(L, kMethods);
    sandbox::makeReadOnly(L);
    lua_setfield(L, -2, "__index");
    lua_pushstring(L, sandbox::kLockedMetatable);
    lua_setfield(L, -2, "__metatable");
  }
  lua_setmetatable(L, -2);
}

}  // namespace tw::plugins
