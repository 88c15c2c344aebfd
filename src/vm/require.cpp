#include "vm/require.h"

#include <lua.hpp>

#include <cstdio>
#include <string_view>

#include "sandbox/lua_api.h"
#include "sandbox/sandbox.h"
#include "vm/template.h"

namespace tw::vm {

namespace {

char kLoadingSentinel;  // marks a module whose chunk is running

constexpr std::size_t kMaxModuleName = 128;

// Finds the file for `name`: writes its path into `path` (NUL-terminated) and returns its text, or null.
const std::string* findModule(const TemplateSource& source, std::string_view name,
                              char (&path)[kMaxModuleName + 16]) {
  auto lookup = [&]() -> const std::string* {
    auto it = source.files.find(std::string_view(path));
    return it != source.files.end() ? &it->second : nullptr;
  };
  if (name.ends_with(".lua") || name.ends_with(".luau")) {  // a file name, as is
    std::snprintf(path, sizeof path, "%.*s", static_cast<int>(name.size()), name.data());
    return lookup();
  }
  char base[kMaxModuleName + 1];
  std::size_t n = 0;
  for (char c : name) base[n++] = c == '.' ? '/' : c;
  base[n] = '\0';
  static const char* const kSuffixes[] = {".lua", ".luau", "/init.lua", "/init.luau"};
  for (const char* suffix : kSuffixes) {
    std::snprintf(path, sizeof path, "%s%s", base, suffix);
    if (const std::string* text = lookup()) return text;
  }
  return nullptr;
}

int templateRequire(lua_State* L) {
  std::size_t len = 0;
  const char* name = luaL_checklstring(L, 1, &len);
  if (len == 0 || len > kMaxModuleName) return luaL_error(L, "require: invalid module name");
  const sandbox::ThreadOwner* owner = sandbox::threadOwner(L);
  if (owner == nullptr || owner->templateData == nullptr) return luaL_error(L, "require: no template is running");
  const auto& source = *static_cast<const TemplateSource*>(owner->templateData);

  lua_settop(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, owner->loadedRef);  // 2: the template's cache
  lua_pushvalue(L, 1);
  if (lua_rawget(L, 2) != LUA_TNIL) {
    if (lua_touserdata(L, -1) == &kLoadingSentinel) {
      return luaL_error(L, "require: cycle detected: module '%s' is already being loaded", name);
    }
    return 1;
  }
  lua_pop(L, 1);

  char path[kMaxModuleName + 16];
  const std::string* text = findModule(source, std::string_view(name, len), path);
  if (text == nullptr) {
    return luaL_error(L, "require: module '%s' not found in template '%s'", name, owner->templateName.c_str());
  }
  lua_pushfstring(L, "@%s", path);
  if (luaL_loadbufferx(L, text->data(), text->size(), lua_tostring(L, -1), "t") != LUA_OK) {
    return lua_error(L);
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, owner->envRef);
  lua_setupvalue(L, -2, 1);

  lua_pushvalue(L, 1);
  lua_pushlightuserdata(L, &kLoadingSentinel);
  lua_rawset(L, 2);

  lua_pushvalue(L, 1);
  lua_pushstring(L, path);
  const int status = lua_pcall(L, 2, 1, 0);
  if (status != LUA_OK) {
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    lua_rawset(L, 2);  // a failed module can be required again
    return lua_error(L);
  }
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
  }
  lua_pushvalue(L, 1);
  lua_pushvalue(L, -2);
  lua_rawset(L, 2);
  return 1;
}

}  // namespace

void installRequire(lua_State* L) {
  sandbox::pushSharedGlobals(L);
  lua_pushcfunction(L, templateRequire);
  lua_setfield(L, -2, "require");
  lua_pop(L, 1);
}

}  // namespace tw::vm
