#include "cli/template_dir.h"

#include <toml++/toml.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace tw::cli {

namespace fs = std::filesystem;

namespace {
constexpr std::size_t kMaxFiles = 64;
constexpr std::size_t kMaxBytes = std::size_t{1} << 20;

bool isSourceFile(const fs::path& p) { return p.extension() == ".lua" || p.extension() == ".luau"; }

Result<std::vector<std::string>> stringArray(const toml::table& t, const char* key, const std::string& file) {
  std::vector<std::string> out;
  const toml::node* node = t.get(key);
  if (node == nullptr) return out;
  const toml::array* arr = node->as_array();
  if (arr == nullptr) return makeError(ErrorKind::kBadInput, file + ": '" + key + "' must be an array of strings");
  for (const toml::node& item : *arr) {
    const auto* s = item.as_string();
    if (s == nullptr) return makeError(ErrorKind::kBadInput, file + ": '" + key + "' must be an array of strings");
    out.push_back(s->get());
  }
  return out;
}
}  // namespace

Result<std::string> readFile(const std::string& path, std::size_t maxBytes) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return makeError(ErrorKind::kBadInput, "cannot read " + path + ": " + ec.message());
  if (size > maxBytes) return makeError(ErrorKind::kBadInput, path + " is too large");
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(ErrorKind::kBadInput, "cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<vm::TemplateSource> readTemplate(const std::string& path) {
  std::error_code ec;
  const fs::path root(path);
  vm::TemplateSource t;
  if (fs::is_regular_file(root, ec)) {
    if (!isSourceFile(root)) return makeError(ErrorKind::kBadInput, path + ": a template file must end in .lua or .luau");
    auto text = readFile(path, kMaxBytes);
    if (!text.ok()) return std::move(text).error();
    t.name = root.stem().string();
    t.files.emplace(root.extension() == ".luau" ? "init.luau" : "init.lua", std::move(text).value());
    return t;
  }
  if (!fs::is_directory(root, ec)) return makeError(ErrorKind::kBadInput, path + ": no such file or directory");
  t.name = fs::absolute(root).lexically_normal().filename().string();
  if (t.name.empty()) t.name = fs::absolute(root).lexically_normal().parent_path().filename().string();
  std::size_t total = 0;
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return makeError(ErrorKind::kBadInput, path + ": " + ec.message());
    if (!it->is_regular_file() || !isSourceFile(it->path())) continue;
    if (t.files.size() >= kMaxFiles) return makeError(ErrorKind::kBadInput, path + ": too many files");
    auto text = readFile(it->path().string(), kMaxBytes);
    if (!text.ok()) return std::move(text).error();
    total += text->size();
    if (total > kMaxBytes) return makeError(ErrorKind::kBadInput, path + ": the template's files are too large");
    t.files.emplace(fs::relative(it->path(), root).generic_string(), std::move(text).value());
  }
  if (vm::entryFile(t, nullptr) == nullptr) {
    return makeError(ErrorKind::kBadInput, path + ": a template directory needs an init.lua or init.luau");
  }
  const fs::path manifest = root / "template.toml";
  if (fs::exists(manifest, ec)) {
    toml::table tbl;
    try {
      tbl = toml::parse_file(manifest.string());
    } catch (const toml::parse_error& e) {
      std::ostringstream msg;
      msg << manifest.string() << ":" << e.source().begin.line << ": " << e.description();
      return makeError(ErrorKind::kBadInput, msg.str());
    }
    auto events = stringArray(tbl, "events", manifest.string());
    if (!events.ok()) return std::move(events).error();
    auto caps = stringArray(tbl, "capabilities", manifest.string());
    if (!caps.ok()) return std::move(caps).error();
    t.events = std::move(events).value();
    t.capabilities = std::move(caps).value();
    if (const toml::node* paused = tbl.get("paused")) {
      if (!paused->is_boolean()) return makeError(ErrorKind::kBadInput, manifest.string() + ": 'paused' must be a boolean");
      t.paused = paused->as_boolean()->get();
    }
  }
  return t;
}

}  // namespace tw::cli
