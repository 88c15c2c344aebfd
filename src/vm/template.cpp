#include "vm/template.h"

#include <lua.hpp>

#include "limits/memory.h"
#include "luau/luau.h"

#include <boost/json.hpp>

#include <cctype>

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

const std::string* LoadedTemplate::code(std::string_view path) const {
  if (path.ends_with(".luau")) {
    auto it = lowered.find(path);
    return it == lowered.end() ? nullptr : it->second.get();
  }
  auto it = source.files.find(path);
  return it == source.files.end() ? nullptr : &it->second;
}

namespace {

// .luaurc: {"aliases": {"name": "path", ...}} (JSON). Paths are relative to the template's root.
Status readLuaurc(const std::string& text, std::map<std::string, std::string, std::less<>>* aliases) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return makeError(ErrorKind::kBadInput, ".luaurc: not a JSON object");
  const auto* a = v.as_object().if_contains("aliases");
  if (a == nullptr) return {};
  if (!a->is_object()) return makeError(ErrorKind::kBadInput, ".luaurc: \"aliases\" must be an object");
  for (const auto& [name, path] : a->as_object()) {
    if (!path.is_string()) return makeError(ErrorKind::kBadInput, ".luaurc: alias values must be strings");
    std::string p(path.as_string());
    while (p.starts_with("./")) p = p.substr(2);
    while (!p.empty() && p.back() == '/') p.pop_back();
    std::string key(name);
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    aliases->emplace(std::move(key), std::move(p));
  }
  return {};
}

}  // namespace

Result<std::shared_ptr<const std::string>> lowerLuau(luau::LoweringCache* cache, std::string_view code,
                                                     std::string_view chunkName) {
  if (cache != nullptr) return cache->lower(code, chunkName);
  auto lowered = luau::lower(code, chunkName);
  if (!lowered.ok()) return std::move(lowered).error();
  return std::make_shared<const std::string>(std::move(lowered).value());
}

Result<std::shared_ptr<LoadedTemplate>> prepareTemplate(TemplateSource source, luau::LoweringCache* cache) {
  auto t = std::make_shared<LoadedTemplate>();
  for (const auto& [path, text] : source.files) {
    if (path == ".luaurc") {
      if (Status s = readLuaurc(text, &t->aliases); !s.ok()) return std::move(s).error();
      continue;
    }
    if (!path.ends_with(".luau")) continue;
    auto lowered = lowerLuau(cache, text, path);
    if (!lowered.ok()) return std::move(lowered).error();
    t->lowered.emplace(path, std::move(lowered).value());
  }
  // One environment per template: with any Luau file, the template sees Luau's libraries (its .lua files
  // still compile as Lua 5.4).
  t->luau = !t->lowered.empty();
  t->source = std::move(source);
  return t;
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
