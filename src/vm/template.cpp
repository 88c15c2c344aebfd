#include "vm/template.h"

#include <lua.hpp>

#include "limits/memory.h"
#include "luau/luau.h"

namespace tw::vm {

const std::string* entryFile(const TemplateSource& source, std::string* path) {
  static const char* const kEntries[] = {"init.lua", "init.luau"};
  for (const char* entry : kEntries) {
    auto it = source.files.find(std::string_view(entry));
    if (it != source.files.end()) {
      if (path != nullptr) *path = it->first;
      return &it->second;
    }
  }
  return nullptr;
}

Status checkSyntax(const TemplateSource& source) {
  if (entryFile(source, nullptr) == nullptr) {
    return makeError(ErrorKind::kBadInput, "the template needs an init.lua or init.luau file");
  }
  limits::MemoryBudget budget(std::size_t{64} << 20, nullptr);
  lua_State* L = lua_newstate(limits::MemoryBudget::allocate, &budget);
  if (L == nullptr) return makeError(ErrorKind::kInternal, "cannot create a Lua state");
  Status result;
  for (const auto& [path, text] : source.files) {
    std::string lowered;
    const std::string* code = &text;
    if (path.ends_with(".luau")) {
      auto out = luau::lower(text, path);
      if (!out.ok()) {
        result = std::move(out).error();
        break;
      }
      lowered = std::move(out).value();
      code = &lowered;
    } else if (!path.ends_with(".lua")) {
      continue;  // data files are not compiled
    }
    const std::string chunkName = "@" + path;
    // luaL_loadbufferx runs the parser protected: a syntax error (or the memory cap) comes back as a status.
    if (luaL_loadbufferx(L, code->data(), code->size(), chunkName.c_str(), "t") != LUA_OK) {
      const char* message = lua_tostring(L, -1);
      result = makeError(ErrorKind::kSyntaxError, message != nullptr ? message : "syntax error");
      break;
    }
    lua_settop(L, 0);
  }
  lua_close(L);
  return result;
}

}  // namespace tw::vm
