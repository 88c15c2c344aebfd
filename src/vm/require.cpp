#include "vm/require.h"

#include <lua.hpp>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "sandbox/lua_api.h"
#include "sandbox/sandbox.h"
#include "vm/template.h"

namespace tw::vm {

namespace {

char kLoadingSentinel;  // marks a module whose chunk is running

constexpr std::size_t kMaxPath = 256;

// A path in a fixed buffer: no allocation in this lua_CFunction's frames.
struct Path {
  char text[kMaxPath + 1];
  std::size_t len = 0;
  std::string_view view() const { return {text, len}; }
  bool append(std::string_view s) {
    if (len + s.size() > kMaxPath) return false;
    std::memcpy(text + len, s.data(), s.size());
    len += s.size();
    text[len] = '\0';
    return true;
  }
};

// Joins `base` (a directory, "" for the root) and the relative `rel`, resolving "." and "..". False when the
// result would leave the template or is too long.
bool joinPath(std::string_view base, std::string_view rel, Path* out) {
  out->len = 0;
  out->text[0] = '\0';
  auto pushSegment = [&](std::string_view seg) {
    if (seg.empty() || seg == ".") return true;
    if (seg == "..") {
      if (out->len == 0) return false;  // above the template's root
      const std::string_view cur = out->view();
      const auto slash = cur.rfind('/');
      out->len = slash == std::string_view::npos ? 0 : slash;
      out->text[out->len] = '\0';
      return true;
    }
    if (out->len > 0 && !out->append("/")) return false;
    return out->append(seg);
  };
  for (std::string_view part : {base, rel}) {
    while (!part.empty()) {
      const auto slash = part.find('/');
      const std::string_view seg = part.substr(0, slash);
      if (!pushSegment(seg)) return false;
      if (slash == std::string_view::npos) break;
      part.remove_prefix(slash + 1);
    }
  }
  return true;
}

// The file the module at `base` designates: base itself when it names a file, else base.luau, base.lua,
// base/init.luau, base/init.lua. Writes the path; returns its Lua text or null.
const std::string* findModule(const LoadedTemplate& t, const Path& base, Path* path) {
  if (base.view().ends_with(".lua") || base.view().ends_with(".luau")) {
    *path = base;
    return t.code(path->view());
  }
  static const char* const kSuffixes[] = {".luau", ".lua", "/init.luau", "/init.lua"};
  for (const char* suffix : kSuffixes) {
    *path = base;
    if (!path->append(suffix)) return nullptr;
    if (const std::string* code = t.code(path->view())) return code;
  }
  return nullptr;
}

// The directory of the file whose code called require (from its chunk name "@dir/file.luau"), or "".
std::string_view callerDirectory(lua_State* L) {
  lua_Debug ar;
  if (lua_getstack(L, 1, &ar) == 0 || lua_getinfo(L, "S", &ar) == 0 || ar.source == nullptr || ar.source[0] != '@') {
    return {};
  }
  const std::string_view file(ar.source + 1);
  const auto slash = file.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : file.substr(0, slash);
}

// Resolves a require string to a module base path (without extension):
//   "./x", "../x"    relative to the requiring file's directory (Luau's require-by-string)
//   "@self/x"        relative to the requiring file's directory
//   "@alias/x"       relative to the alias's path from the template's .luaurc
//   "a.b" or "a/b"   from the template's root (Lua style: dots are directory separators)
const char* resolve(lua_State* L, const LoadedTemplate& t, std::string_view name, Path* base) {
  if (name.starts_with("./") || name.starts_with("../")) {
    return joinPath(callerDirectory(L), name, base) ? nullptr : "the path leaves the template";
  }
  if (name.starts_with("@")) {
    const auto slash = name.find('/');
    const std::string_view alias = name.substr(1, slash == std::string_view::npos ? name.size() - 1 : slash - 1);
    const std::string_view rest = slash == std::string_view::npos ? std::string_view() : name.substr(slash + 1);
    if (alias == "self") return joinPath(callerDirectory(L), rest, base) ? nullptr : "the path leaves the template";
    char lower[65];
    if (alias.size() >= sizeof lower) return "unknown alias";
    for (std::size_t i = 0; i < alias.size(); ++i) lower[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(alias[i])));
    auto it = t.aliases.find(std::string_view(lower, alias.size()));
    if (it == t.aliases.end()) return "unknown alias (aliases come from the template's .luaurc)";
    return joinPath(it->second, rest, base) ? nullptr : "the path leaves the template";
  }
  if (name.ends_with(".lua") || name.ends_with(".luau")) return joinPath({}, name, base) ? nullptr : "invalid path";
  Path dotted;
  for (char c : name) {
    const char ch = c == '.' ? '/' : c;
    if (!dotted.append(std::string_view(&ch, 1))) return "the name is too long";
  }
  return joinPath({}, dotted.view(), base) ? nullptr : "invalid path";
}

int templateRequire(lua_State* L) {
  std::size_t len = 0;
  const char* name = luaL_checklstring(L, 1, &len);
  if (len == 0 || len > kMaxPath) return luaL_error(L, "require: invalid module name");
  const sandbox::ThreadOwner* owner = sandbox::threadOwner(L);
  if (owner == nullptr || owner->templateData == nullptr) return luaL_error(L, "require: no template is running");
  const auto& t = *static_cast<const LoadedTemplate*>(owner->templateData);

  Path base;
  if (const char* why = resolve(L, t, std::string_view(name, len), &base)) {
    return luaL_error(L, "require: cannot resolve '%s': %s", name, why);
  }
  Path path;
  const std::string* code = findModule(t, base, &path);
  if (code == nullptr) {
    return luaL_error(L, "require: module '%s' not found in template '%s'", name, owner->templateName.c_str());
  }

  lua_settop(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, owner->loadedRef);  // 2: the template's cache, by file path
  lua_pushlstring(L, path.text, path.len);               // 3
  if (lua_rawget(L, 2) != LUA_TNIL) {
    if (lua_touserdata(L, -1) == &kLoadingSentinel) {
      return luaL_error(L, "require: cycle detected: module '%s' is already being loaded", path.text);
    }
    return 1;
  }
  lua_pop(L, 1);
  lua_pushfstring(L, "@%s", path.text);  // 3: the chunk name
  if (luaL_loadbufferx(L, code->data(), code->size(), lua_tostring(L, 3), "t") != LUA_OK) return lua_error(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, owner->envRef);
  lua_setupvalue(L, -2, 1);  // 4: the module's chunk

  lua_pushlstring(L, path.text, path.len);
  lua_pushlightuserdata(L, &kLoadingSentinel);
  lua_rawset(L, 2);

  lua_pushvalue(L, 1);
  lua_pushlstring(L, path.text, path.len);
  const int status = lua_pcall(L, 2, 1, 0);
  if (status != LUA_OK) {
    lua_pushlstring(L, path.text, path.len);
    lua_pushnil(L);
    lua_rawset(L, 2);  // a failed module can be required again
    return lua_error(L);
  }
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
  }
  lua_pushlstring(L, path.text, path.len);
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
