#include "storage/storage.h"

#include <exception>
#include <new>
#include <utility>

#include <fmt/format.h>

#include "common/log.h"
#include "storage/sqlite/sqlite_storage.h"

namespace tw::storage {
namespace {

constexpr std::size_t kMaxTemplateNameBytes = 64;
constexpr std::size_t kMaxEventNameBytes = 64;
constexpr std::size_t kMaxCapabilityBytes = 64;

Error badInput(std::string message) { return makeError(ErrorKind::kBadInput, std::move(message)); }
Error tooLarge(std::string message) { return makeError(ErrorKind::kLimitExceeded, std::move(message)); }

bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '-';
}

// True when text is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF) and has
// no NUL byte: what every backend can store as text.
bool isStorableText(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    unsigned char c = *p;
    if (c == 0) return false;
    if (c < 0x80) {
      ++p;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    std::uint32_t min = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1Fu;
      min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0Fu;
      min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07u;
      min = 0x10000;
    } else {
      return false;
    }
    if (static_cast<std::size_t>(end - p) < len) return false;
    for (std::size_t i = 1; i < len; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += len;
  }
  return true;
}

Status validateGuild(GuildId guild) {
  if (guild.value == 0) return badInput("storage: guild id 0 is not a valid snowflake");
  return {};
}

// Each '/'-separated segment: 1+ chars of [A-Za-z0-9_.-], not "." or "..".
Status validateFilePath(std::string_view path, const StorageLimits& limits) {
  if (path.empty() || path.size() > limits.maxFilePathBytes) {
    return badInput(fmt::format("storage: file path must be 1 to {} bytes", limits.maxFilePathBytes));
  }
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view segment = path.substr(start, slash - start);
    bool ok = !segment.empty() && segment != "." && segment != "..";
    for (char c : segment) ok = ok && isNameChar(c);
    if (!ok) {
      return badInput(fmt::format(
          "storage: invalid file path '{}': use segments of [A-Za-z0-9_.-] joined by '/', no '.' or '..'",
          path));
    }
    start = slash + 1;
  }
  return {};
}

Status validateSymbol(std::string_view what, std::string_view text, std::size_t maxBytes, bool allowStar) {
  bool ok = !text.empty() && text.size() <= maxBytes;
  for (char c : text) ok = ok && (isNameChar(c) || c == ':' || (allowStar && c == '*'));
  if (!ok) {
    return badInput(fmt::format("storage: invalid {} '{}': 1 to {} chars of [A-Za-z0-9_.:-{}]", what,
                                text.substr(0, maxBytes), maxBytes, allowStar ? "*" : ""));
  }
  return {};
}

// Runs one backend call; turns an escaping exception into kInternal.
template <typename F>
auto guarded(std::string_view op, F&& call) noexcept -> decltype(call()) {
  try {
    return call();
  } catch (const std::bad_alloc&) {
    return makeError(ErrorKind::kInternal, fmt::format("storage: out of memory in {}", op));
  } catch (const std::exception& e) {
    TW_LOG_ERROR("storage: exception in {}: {}", op, e.what());
    return makeError(ErrorKind::kInternal, fmt::format("storage: unexpected failure in {}: {}", op, e.what()));
  } catch (...) {
    TW_LOG_ERROR("storage: unknown exception in {}", op);
    return makeError(ErrorKind::kInternal, fmt::format("storage: unexpected failure in {}", op));
  }
}

}  // namespace

std::string_view backendName(BackendKind kind) {
  switch (kind) {
    case BackendKind::kSqlite: return "sqlite";
    case BackendKind::kPostgres: return "postgres";
  }
  return "unknown";
}

std::optional<BackendKind> parseBackendKind(std::string_view name) {
  if (name == "sqlite") return BackendKind::kSqlite;
  if (name == "postgres") return BackendKind::kPostgres;
  return std::nullopt;
}

Status validateTemplateName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxTemplateNameBytes && name != "." && name != "..";
  for (char c : name) ok = ok && isNameChar(c);
  if (!ok) {
    return badInput(fmt::format("storage: invalid template name '{}': 1 to {} chars of [A-Za-z0-9_.-], "
                                "not '.' or '..'",
                                name.substr(0, kMaxTemplateNameBytes), kMaxTemplateNameBytes));
  }
  return {};
}

Status validateTemplate(const Template& spec, const StorageLimits& limits) {
  if (auto s = validateTemplateName(spec.name); !s) return s;
  if (spec.files.empty()) return badInput("storage: a template needs an entry file, init.lua or init.luau");
  if (spec.files.size() > limits.maxFilesPerTemplate) {
    return tooLarge(fmt::format("storage: template '{}' has {} files; the limit is {}", spec.name,
                                spec.files.size(), limits.maxFilesPerTemplate));
  }
  std::size_t totalBytes = 0;
  for (const auto& [path, text] : spec.files) {
    if (auto s = validateFilePath(path, limits); !s) return s;
    if (!isStorableText(text)) {
      return badInput(fmt::format("storage: file '{}' is not valid UTF-8 text (or contains a NUL byte)", path));
    }
    totalBytes += text.size();
  }
  if (totalBytes > limits.maxTemplateBytes) {
    return tooLarge(fmt::format("storage: template '{}' is {} bytes; the limit is {}", spec.name, totalBytes,
                                limits.maxTemplateBytes));
  }
  bool hasLua = spec.files.contains("init.lua");
  bool hasLuau = spec.files.contains("init.luau");
  if (hasLua == hasLuau) {
    return badInput(hasLua ? "storage: a template has one entry file: init.lua and init.luau are both present"
                           : "storage: a template needs an entry file, init.lua or init.luau");
  }
  if (spec.events.size() > limits.maxEventsPerTemplate) {
    return tooLarge(fmt::format("storage: template '{}' subscribes to {} events; the limit is {}", spec.name,
                                spec.events.size(), limits.maxEventsPerTemplate));
  }
  for (const auto& event : spec.events) {
    if (auto s = validateSymbol("event name", event, kMaxEventNameBytes, false); !s) return s;
  }
  if (spec.capabilities.size() > limits.maxCapabilitiesPerTemplate) {
    return tooLarge(fmt::format("storage: template '{}' has {} capabilities; the limit is {}", spec.name,
                                spec.capabilities.size(), limits.maxCapabilitiesPerTemplate));
  }
  for (const auto& capability : spec.capabilities) {
    if (auto s = validateSymbol("capability", capability, kMaxCapabilityBytes, true); !s) return s;
  }
  return {};
}

Status validateKvScope(std::string_view scope, const StorageLimits& limits) {
  if (scope.size() > limits.maxScopeBytes) {
    return tooLarge(fmt::format("storage: KV scope is {} bytes; the limit is {}", scope.size(),
                                limits.maxScopeBytes));
  }
  if (!isStorableText(scope)) return badInput("storage: KV scope is not valid UTF-8 (or contains a NUL byte)");
  return {};
}

Status validateKvKey(std::string_view key, const StorageLimits& limits) {
  if (key.empty()) return badInput("storage: KV key is empty");
  if (key.size() > limits.maxKeyBytes) {
    return tooLarge(fmt::format("storage: KV key is {} bytes; the limit is {}", key.size(), limits.maxKeyBytes));
  }
  if (!isStorableText(key)) return badInput("storage: KV key is not valid UTF-8 (or contains a NUL byte)");
  return {};
}

Status validateKvValue(std::string_view value, const StorageLimits& limits) {
  if (value.size() > limits.maxValueBytes) {
    return tooLarge(fmt::format("storage: KV value is {} bytes; the limit is {}", value.size(),
                                limits.maxValueBytes));
  }
  if (!isStorableText(value)) return badInput("storage: KV value is not valid UTF-8 (or contains a NUL byte)");
  return {};
}

// --- the public wrappers: validate, then call the backend under the exception guard ---

Result<StoredTemplate> Storage::putTemplate(GuildId guild, const Template& spec) {
  return guarded("putTemplate", [&]() -> Result<StoredTemplate> {
    if (auto s = validateGuild(guild); !s) return std::move(s).error();
    if (auto s = validateTemplate(spec, limits_); !s) return std::move(s).error();
    return doPutTemplate(guild, spec);
  });
}

Result<StoredTemplate> Storage::getTemplate(GuildId guild, std::string_view name) {
  return guarded("getTemplate", [&]() -> Result<StoredTemplate> {
    if (auto s = validateGuild(guild); !s) return std::move(s).error();
    if (auto s = validateTemplateName(name); !s) return std::move(s).error();
    return doGetTemplate(guild, name);
  });
}

Result<std::vector<TemplateSummary>> Storage::listTemplates(GuildId guild) {
  return guarded("listTemplates", [&]() -> Result<std::vector<TemplateSummary>> {
    if (auto s = validateGuild(guild); !s) return std::move(s).error();
    return doListTemplates(guild);
  });
}

Result<Revision> Storage::deleteTemplate(GuildId guild, std::string_view name) {
  return guarded("deleteTemplate", [&]() -> Result<Revision> {
    if (auto s = validateGuild(guild); !s) return std::move(s).error();
    if (auto s = validateTemplateName(name); !s) return std::move(s).error();
    return doDeleteTemplate(guild, name);
  });
}

Result<GuildTemplates> Storage::loadGuildTemplates(GuildId guild) {
  return guarded("loadGuildTemplates", [&]() -> Result<GuildTemplates> {
    if (auto s = validateGuild(guild); !s) return std::move(s).error();
    return doLoadGuildTemplates(guild);
  });
}

Result<Revision> Storage::templateRevision(GuildId guild) {
  return guarded("templateRevision", [&]() -> Result<Revision> {
    if (auto s = validateGuild(guild); !s) return std::move(s).error();
    return doTemplateRevision(guild);
  });
}

Result<std::optional<std::string>> Storage::kvGet(GuildId guild, std::string_view scope, std::string_view key) {
  return guarded("kvGet", [&]() -> Result<std::optional<std::string>> {
    if (auto s = validateGuild(guild); !s) return std::move(s).error();
    if (auto s = validateKvScope(scope, limits_); !s) return std::move(s).error();
    if (auto s = validateKvKey(key, limits_); !s) return std::move(s).error();
    return doKvGet(guild, scope, key);
  });
}

Status Storage::kvSet(GuildId guild, std::string_view scope, std::string_view key, std::string_view value) {
  return guarded("kvSet", [&]() -> Status {
    if (auto s = validateGuild(guild); !s) return s;
    if (auto s = validateKvScope(scope, limits_); !s) return s;
    if (auto s = validateKvKey(key, limits_); !s) return s;
    if (auto s = validateKvValue(value, limits_); !s) return s;
    return doKvSet(guild, scope, key, value);
  });
}

Result<bool> Storage::kvDelete(GuildId guild, std::string_view scope, std::string_view key) {
  return guarded("kvDelete", [&]() -> Result<bool> {
    if (auto s = validateGuild(guild); !s) return std::move(s).error();
    if (auto s = validateKvScope(scope, limits_); !s) return std::move(s).error();
    if (auto s = validateKvKey(key, limits_); !s) return std::move(s).error();
    return doKvDelete(guild, scope, key);
  });
}

Result<KvPage> Storage::kvList(GuildId guild, std::string_view scope, const KvListOptions& options) {
  return guarded("kvList", [&]() -> Result<KvPage> {
    if (auto s = validateGuild(guild); !s) return std::move(s).error();
    if (auto s = validateKvScope(scope, limits_); !s) return std::move(s).error();
    if (options.limit == 0 || options.limit > limits_.maxListLimit) {
      return badInput(fmt::format("storage: KV list limit must be 1 to {}", limits_.maxListLimit));
    }
    // A prefix or cursor longer than any key can match nothing; they are checked like keys otherwise.
    for (std::string_view text : {std::string_view(options.prefix), std::string_view(options.startAfter)}) {
      if (text.size() > limits_.maxKeyBytes) {
        return tooLarge(fmt::format("storage: KV list prefix/cursor is {} bytes; the limit is {}", text.size(),
                                    limits_.maxKeyBytes));
      }
      if (!isStorableText(text)) {
        return badInput("storage: KV list prefix/cursor is not valid UTF-8 (or contains a NUL byte)");
      }
    }
    return doKvList(guild, scope, options);
  });
}

Result<KvUsage> Storage::kvUsage(GuildId guild) {
  return guarded("kvUsage", [&]() -> Result<KvUsage> {
    if (auto s = validateGuild(guild); !s) return std::move(s).error();
    return doKvUsage(guild);
  });
}

Result<SchemaVersion> Storage::schemaVersion() {
  return guarded("schemaVersion", [&]() -> Result<SchemaVersion> { return doSchemaVersion(); });
}

Result<std::unique_ptr<Storage>> openStorage(const StorageConfig& config) {
  return guarded("openStorage", [&]() -> Result<std::unique_ptr<Storage>> {
    switch (config.backend) {
      case BackendKind::kSqlite: return sqlite::openSqliteStorage(config);
      case BackendKind::kPostgres:
        return makeError(ErrorKind::kUnavailable, "storage: the postgres backend is not built into this binary");
    }
    return makeError(ErrorKind::kBadInput, "storage: unknown backend");
  });
}

}  // namespace tw::storage
