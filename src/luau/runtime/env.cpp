// Environments: loadstring, getfenv, setfenv.
//
// Lua 5.4 has no function environments: a function's globals are its `_ENV` upvalue, and that upvalue
// cell is shared by a chunk and every function nested in it. So:
//   - getfenv(f) answers f's `_ENV` only when it is the calling template's own environment or a table that
//     this template gave to setfenv; any other table (a host table, the prelude's private environment,
//     another template's environment) is never handed out: the caller's environment stands in for it, as
//     Luau answers the globals for a C function.
//   - setfenv(f, t) gives f a fresh `_ENV` cell holding t (lua_upvaluejoin with a one-upvalue closure), so
//     only f changes, and functions f creates afterwards inherit t, as in Luau. It refuses functions whose
//     current environment getfenv would not hand out (C functions, host functions, other templates').
//   - loadstring(src) lowers the Luau text (through the LoweringCache) and compiles
//         local __luau = __luau; return function(...) <lowered text>
//         end
//     (the prefix on the text's first line, so line numbers are kept), runs that wrapper once under the
//     caller's environment and returns the inner function. The lowered text reads its helpers from the
//     local `__luau`, so they stay reachable after setfenv gives the chunk an environment of its own
//     (the classic `setfenv(loadstring(src), {x = 1})()`).
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "luau/luau.h"
#include "luau/runtime/internal.h"
#include "sandbox/libs.h"
#include "sandbox/lua_api.h"
#include "sandbox/sandbox.h"

namespace tw::luau::rt {

void pushCallerEnvironment(lua_State* L) {
  const sandbox::ThreadOwner* owner = sandbox::threadOwner(L);
  if (owner == nullptr || owner->envRef <= 0) luaL_error(L, "no template environment");
  lua_rawgeti(L, LUA_REGISTRYINDEX, owner->envRef);
}

namespace {

// ---- loadstring ----

constexpr char kLoadPrefix[] = "local __luau = __luau; return function(...) ";
constexpr char kLoadSuffix[] = "\nend";

// Feeds prefix, body and suffix to lua_load without concatenating them. Trivially destructible.
struct PieceReader {
  const char* pieces[3];
  std::size_t sizes[3];
  int next;
};

const char* readPiece(lua_State* /*L*/, void* data, std::size_t* size) {
  auto* r = static_cast<PieceReader*>(data);
  while (r->next < 3) {
    const int i = r->next++;
    if (r->sizes[i] != 0) {
      *size = r->sizes[i];
      return r->pieces[i];
    }
  }
  *size = 0;
  return nullptr;
}

// Lua's chunkid for a chunk name: "=name" -> name, "@file" -> file, anything else -> [string "..."].
void chunkDisplayName(const char* name, std::size_t len, char* out, std::size_t outSize) {
  if (*name == '=' || *name == '@') {
    std::size_t n = len - 1 < outSize - 1 ? len - 1 : outSize - 1;
    std::memcpy(out, name + 1, n);
    out[n] = '\0';
    return;
  }
  static constexpr char kPre[] = "[string \"";
  static constexpr char kPost[] = "\"]";
  static constexpr char kDots[] = "...";
  const char* newline = static_cast<const char*>(std::memchr(name, '\n', len));
  std::size_t n = newline != nullptr ? static_cast<std::size_t>(newline - name) : len;
  const std::size_t room = outSize - 1 - (sizeof kPre - 1) - (sizeof kPost - 1) - (sizeof kDots - 1);
  const bool cut = n < len || n > room;
  if (n > room) n = room;
  std::size_t pos = 0;
  std::memcpy(out + pos, kPre, sizeof kPre - 1);
  pos += sizeof kPre - 1;
  std::memcpy(out + pos, name, n);
  pos += n;
  if (cut) {
    std::memcpy(out + pos, kDots, sizeof kDots - 1);
    pos += sizeof kDots - 1;
  }
  std::memcpy(out + pos, kPost, sizeof kPost - 1);
  pos += sizeof kPost - 1;
  out[pos] = '\0';
}

// Lowers `source` and compiles the wrapper. On success pushes the wrapper function and returns LUA_OK. If
// lua_load fails, its message is pushed and its status returned. If lowering fails (a syntax error, or an
// exception), `message` receives the text, nothing is pushed and LUA_ERRSYNTAX is returned.
// The C++ objects live only in this frame; lua_load never raises (it reports errors as a status).
int lowerAndLoad(lua_State* L, LoweringCache* cache, std::string_view source, const char* chunkName,
                 const char* display, char (&message)[sandbox::kMaxErrorMessage]) noexcept {
  try {
    std::shared_ptr<const std::string> text;
    if (cache != nullptr) {
      auto lowered = cache->lower(source, display);
      if (!lowered.ok()) {
        sandbox::detail::copyMessage(message, lowered.error().message.c_str());
        return LUA_ERRSYNTAX;
      }
      text = std::move(lowered).value();
    } else {
      auto lowered = lower(source, display);
      if (!lowered.ok()) {
        sandbox::detail::copyMessage(message, lowered.error().message.c_str());
        return LUA_ERRSYNTAX;
      }
      text = std::make_shared<const std::string>(std::move(lowered).value());
    }
    PieceReader reader{{kLoadPrefix, text->data(), kLoadSuffix}, {sizeof kLoadPrefix - 1, text->size(), sizeof kLoadSuffix - 1}, 0};
    return lua_load(L, readPiece, &reader, chunkName, "t");
  } catch (const std::exception& e) {
    sandbox::detail::copyMessage(message, e.what());
  } catch (...) {
    sandbox::detail::copyMessage(message, "internal error");
  }
  return LUA_ERRSYNTAX;
}

// ---- environments ----

// The index of f's `_ENV` upvalue, or 0. REQUIRES: f (at fidx) is a function.
int envUpvalue(lua_State* L, int fidx) {
  for (int i = 1;; ++i) {
    const char* name = lua_getupvalue(L, fidx, i);
    if (name == nullptr) return 0;
    lua_pop(L, 1);
    if (std::strcmp(name, "_ENV") == 0) return i;
  }
}

// True for functions of the runtime's own chunks (the prelude, the setfenv cell factory: chunk names
// "=luau-..."): their environment is never reported nor changed.
bool hostFunction(lua_State* L, int fidx) {
  lua_Debug ar;
  lua_pushvalue(L, fidx);
  lua_getinfo(L, ">S", &ar);
  return std::strncmp(ar.source, "=luau-", 6) == 0;
}

// True when the value at `idx` may be handed to the calling template as an environment.
bool ownsEnvironment(lua_State* L, int idx) {
  idx = lua_absindex(L, idx);
  if (lua_type(L, idx) != LUA_TTABLE) return false;
  pushCallerEnvironment(L);
  const bool callers = lua_rawequal(L, -1, idx) != 0;
  lua_pop(L, 1);
  if (callers) return true;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kEnvOwnersKey);
  lua_pushvalue(L, idx);
  lua_rawget(L, -2);
  const bool given = lua_touserdata(L, -1) == sandbox::threadOwner(L) && lua_touserdata(L, -1) != nullptr;
  lua_pop(L, 2);
  return given;
}

// Pushes the function getfenv/setfenv act on; returns false for level 0 (the thread), pushing nothing.
bool pushTarget(lua_State* L, bool optional) {
  if (lua_isfunction(L, 1)) {
    lua_pushvalue(L, 1);
    return true;
  }
  const int level = optional ? optInt(L, 1, 1) : checkInt(L, 1);
  argCheck(L, level >= 0, 1, "level must be non-negative");
  if (level == 0) return false;
  lua_Debug ar;
  if (lua_getstack(L, level, &ar) == 0) argError(L, 1, "invalid level");
  lua_getinfo(L, "f", &ar);
  return true;
}

// Pushes the environment getfenv reports for the function on top (popping it).
void pushEnvironmentOf(lua_State* L) {
  const int f = lua_gettop(L);
  if (!lua_iscfunction(L, f) && !hostFunction(L, f)) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &kFunctionEnvKey);
    lua_pushvalue(L, f);
    lua_rawget(L, -2);
    if (ownsEnvironment(L, -1)) {
      lua_replace(L, f);
      lua_settop(L, f);
      return;
    }
    lua_settop(L, f);
    if (const int up = envUpvalue(L, f); up != 0) {
      lua_getupvalue(L, f, up);
      if (ownsEnvironment(L, -1)) {
        lua_replace(L, f);
        return;
      }
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  pushCallerEnvironment(L);
}

}  // namespace

// loadstring(source [, chunkname]) -> function | nil, message
int loadstring(lua_State* L) {
  std::size_t len = 0;
  const char* source = checkString(L, 1, &len);
  std::size_t nameLen = 0;
  const char* name = optString(L, 2, nullptr, &nameLen);
  if (name == nullptr) {  // as Lua 5.1 and Luau: the source names itself ([string "..."])
    name = source;
    nameLen = len;
  }
  const std::size_t maxBytes = sandbox::sandboxConfig(L).maxChunkBytes;
  if (len > maxBytes) {
    lua_pushnil(L);
    lua_pushfstring(L, "chunk too large (%I bytes, limit %I)", static_cast<lua_Integer>(len),
                    static_cast<lua_Integer>(maxBytes));
    return 2;
  }
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kCacheKey);
  auto* cache = static_cast<LoweringCache*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  char display[LUA_IDSIZE + 8];
  chunkDisplayName(name, nameLen, display, sizeof display);
  char message[sandbox::kMaxErrorMessage];
  message[0] = '\0';
  const int status = lowerAndLoad(L, cache, std::string_view(source, len), name, display, message);
  if (status != LUA_OK) {
    lua_pushnil(L);
    if (message[0] != '\0') {
      lua_pushstring(L, message);
    } else {
      lua_insert(L, -2);  // lua_load's message
    }
    return 2;
  }
  pushCallerEnvironment(L);
  if (lua_setupvalue(L, -2, 1) == nullptr) lua_pop(L, 1);
  lua_call(L, 0, 1);  // the wrapper returns the chunk's function
  return 1;
}

int getfenv(lua_State* L) {
  if (!pushTarget(L, true)) {
    pushCallerEnvironment(L);
    return 1;
  }
  pushEnvironmentOf(L);
  return 1;
}

int setfenv(lua_State* L) {
  checkTable(L, 2);
  if (!pushTarget(L, false)) return luaL_error(L, "'setfenv' cannot change environment of given object");
  const int f = lua_gettop(L);
  if (lua_iscfunction(L, f) || hostFunction(L, f)) {
    return luaL_error(L, "'setfenv' cannot change environment of given object");
  }
  const sandbox::ThreadOwner* owner = sandbox::threadOwner(L);
  const int up = envUpvalue(L, f);
  if (up == 0) {
    // f reads no globals: remember the table so that getfenv(f) reports it.
    lua_rawgetp(L, LUA_REGISTRYINDEX, &kFunctionEnvKey);
    lua_pushvalue(L, f);
    lua_pushvalue(L, 2);
    lua_rawset(L, -3);
    lua_pop(L, 1);
  } else {
    lua_getupvalue(L, f, up);
    const bool allowed = ownsEnvironment(L, -1);
    lua_pop(L, 1);
    if (!allowed) return luaL_error(L, "'setfenv' cannot change environment of given object");
    lua_rawgetp(L, LUA_REGISTRYINDEX, &kEnvCellFactoryKey);
    lua_pushvalue(L, 2);
    lua_call(L, 1, 1);  // a closure whose only upvalue is a fresh cell holding the table
    lua_upvaluejoin(L, f, up, -1, 1);
    lua_pop(L, 1);
  }
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kEnvOwnersKey);
  lua_pushvalue(L, 2);
  lua_pushlightuserdata(L, const_cast<sandbox::ThreadOwner*>(owner));
  lua_rawset(L, -3);
  lua_pop(L, 1);
  lua_settop(L, f);
  return 1;
}

}  // namespace tw::luau::rt
