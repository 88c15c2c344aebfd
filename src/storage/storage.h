// Storage: the one interface in front of every database backend (SQLite now, PostgreSQL later). It holds the
// two kinds of durable state: each guild's templates and each guild's KV store.
//
// Threading: Storage is thread-safe. Any method may be called from any thread, concurrently. Every method
// BLOCKS on database I/O, so never call one on a worker's event loop: go through AsyncStorage
// (storage/async_storage.h), which runs the call on its own threads and completes on the caller's executor.
//
// Errors are values: no method throws. Kinds used here:
//   kBadInput       invalid guild id, name, path, key, UTF-8...
//   kLimitExceeded  a size or count limit of StorageLimits (the message names the limit)
//   kNotFound       no such template
//   kUnavailable    the database cannot be used now (busy past the timeout, disk full, unreadable, schema
//                   newer than this binary)
//   kInternal       a bug or unexpected database failure; the message is for operators, not tenants
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/ids.h"
#include "common/result.h"

namespace tw::storage {

// Milliseconds since the Unix epoch, UTC.
using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

// A guild's template-set revision: 0 before the guild's first template write, then incremented by every
// successful putTemplate and deleteTemplate of that guild. Never decreases, also when templates are deleted.
using Revision = std::uint64_t;

// ---------------------------------------------------------------------------------------------------------
// Templates

// Files of a template: path -> source text. Exactly one entry file, `init.lua` or `init.luau`.
// Transparent comparators: look up with a std::string_view.
using TemplateFiles = std::map<std::string, std::string, std::less<>>;
// Event names or capabilities: sorted, without duplicates.
using NameSet = std::set<std::string, std::less<>>;

// What a caller writes.
struct Template {
  std::string name;                     // 1-64 chars of [A-Za-z0-9_.-]
  TemplateFiles files;                  // paths: [A-Za-z0-9_.-] segments joined by '/', no "." or ".."
  NameSet events;                       // subscribed event names, e.g. "MESSAGE_CREATE"
  NameSet capabilities;                 // allowed capabilities, e.g. "kv:read", "discord:*"
  bool paused = false;
  friend bool operator==(const Template&, const Template&) = default;
};

// What storage adds on each write.
struct TemplateMeta {
  Timestamp createdAt{};  // first put of this name (kept by later puts)
  Timestamp updatedAt{};  // latest put
  Revision revision = 0;  // the guild's revision that this template's latest put produced
  friend bool operator==(const TemplateMeta&, const TemplateMeta&) = default;
};

struct StoredTemplate {
  Template spec;
  TemplateMeta meta;
};

// A template without its file contents (what listTemplates returns).
struct TemplateSummary {
  std::string name;
  std::vector<std::string> filePaths;  // sorted
  NameSet events;
  NameSet capabilities;
  bool paused = false;
  TemplateMeta meta;
};

// A consistent snapshot of every template of one guild, paused ones included (what a VM loads at start).
struct GuildTemplates {
  Revision revision = 0;
  std::vector<StoredTemplate> templates;  // sorted by name
};

// ---------------------------------------------------------------------------------------------------------
// KV: (guild, scope, key) -> value. Scope "" is the default scope. The value is JSON text, stored and returned
// unchanged (storage does not parse it). Scope, key and value must be valid UTF-8 without NUL bytes.

struct KvEntry {
  std::string key;
  std::string value;
  friend bool operator==(const KvEntry&, const KvEntry&) = default;
};

struct KvListOptions {
  std::string prefix;      // only keys that start with it ("" = all keys of the scope)
  std::string startAfter;  // only keys byte-wise greater than it: pass the last key of the previous page
  std::size_t limit = 100; // 1..StorageLimits::maxListLimit
};

// Entries in ascending byte-wise key order (also the order of UTF-8 code points).
struct KvPage {
  std::vector<KvEntry> entries;
  bool more = false;  // more entries match after the last one returned
};

// A guild's KV footprint over all scopes. bytes = sum of scope, key and value sizes.
struct KvUsage {
  std::uint64_t keys = 0;
  std::uint64_t bytes = 0;
  friend bool operator==(const KvUsage&, const KvUsage&) = default;
};

// ---------------------------------------------------------------------------------------------------------
// Configuration

// Limits enforced by Storage itself, the same for every backend. A limit of 0 means "no limit" only where
// the comment says so.
struct StorageLimits {
  std::size_t maxScopeBytes = 64;
  std::size_t maxKeyBytes = 256;             // keys are 1..maxKeyBytes bytes
  std::size_t maxValueBytes = 64 * 1024;
  std::uint64_t maxKeysPerGuild = 100'000;   // 0 = no limit
  std::uint64_t maxBytesPerGuild = 64ull << 20;  // KvUsage::bytes; 0 = no limit
  std::size_t maxListLimit = 1000;
  std::size_t maxTemplatesPerGuild = 100;
  std::size_t maxFilesPerTemplate = 64;
  std::size_t maxFilePathBytes = 128;
  std::size_t maxTemplateBytes = 1 << 20;    // sum of file sizes of one template
  std::size_t maxEventsPerTemplate = 64;
  std::size_t maxCapabilitiesPerTemplate = 64;
};

enum class BackendKind : std::uint8_t { kSqlite, kPostgres };

// "sqlite" / "postgres".
std::string_view backendName(BackendKind kind);
std::optional<BackendKind> parseBackendKind(std::string_view name);

// When a write is acknowledged.
enum class Durability : std::uint8_t {
  kPowerLoss,     // on stable storage: survives kill -9, OS crash and power loss (fsync per commit)
  kProcessCrash,  // in the OS: survives kill -9 of this process; an OS crash may lose the latest commits
};

inline constexpr std::string_view kDefaultSqliteFileName = "template-worker.db";
inline constexpr std::string_view kInMemoryLocation = ":memory:";

struct StorageConfig {
  BackendKind backend = BackendKind::kSqlite;
  // sqlite: a file path, or ":memory:" (private to this Storage, gone when it is destroyed; for tests and
  // one-shot CLI runs). Default: dataDir / "template-worker.db". The parent directory is created if missing.
  // postgres: a libpq connection string.
  std::string location;
  std::filesystem::path dataDir = "data";
  Durability durability = Durability::kPowerLoss;
  std::chrono::milliseconds busyTimeout{5000};  // how long a call waits for a lock before kUnavailable
  std::size_t maxReadConnections = 4;            // connections used for reads, beside the one writer
  StorageLimits limits;
  // Source of created/updated timestamps. Must be thread-safe. Default (empty): the system clock.
  std::function<Timestamp()> clock;
};

// The schema of an open database.
struct SchemaVersion {
  int current = 0;  // applied by migrations
  int latest = 0;   // the newest this binary knows
};

// ---------------------------------------------------------------------------------------------------------

// The interface. Public methods validate their arguments against StorageLimits (so every backend enforces
// the same rules), turn any escaping exception into kInternal, and call the backend's do* method.
class Storage {
 public:
  virtual ~Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  // --- templates ---
  // Creates or replaces the template named spec.name. Bumps the guild's revision.
  // kLimitExceeded when a new name would exceed maxTemplatesPerGuild.
  Result<StoredTemplate> putTemplate(GuildId guild, const Template& spec);
  // kNotFound when absent.
  Result<StoredTemplate> getTemplate(GuildId guild, std::string_view name);
  // Sorted by name; empty when the guild has none.
  Result<std::vector<TemplateSummary>> listTemplates(GuildId guild);
  // Returns the guild's new revision. kNotFound when absent (revision unchanged).
  Result<Revision> deleteTemplate(GuildId guild, std::string_view name);
  Result<GuildTemplates> loadGuildTemplates(GuildId guild);
  // Cheap: lets a cache check whether its GuildTemplates is still current.
  Result<Revision> templateRevision(GuildId guild);

  // --- KV ---
  // nullopt when the key is absent.
  Result<std::optional<std::string>> kvGet(GuildId guild, std::string_view scope, std::string_view key);
  // Creates or replaces. Durable when it returns ok (see StorageConfig::durability). kLimitExceeded when
  // the write would grow the guild past maxKeysPerGuild or maxBytesPerGuild (shrinking is always allowed).
  Status kvSet(GuildId guild, std::string_view scope, std::string_view key, std::string_view value);
  // true when the key existed.
  Result<bool> kvDelete(GuildId guild, std::string_view scope, std::string_view key);
  Result<KvPage> kvList(GuildId guild, std::string_view scope, const KvListOptions& options);
  Result<KvUsage> kvUsage(GuildId guild);

  // --- administration ---
  Result<SchemaVersion> schemaVersion();
  const StorageLimits& limits() const { return limits_; }

 protected:
  explicit Storage(StorageLimits limits) : limits_(limits) {}

 private:
  // Called with validated arguments only. May throw; the public wrappers turn exceptions into kInternal.
  virtual Result<StoredTemplate> doPutTemplate(GuildId guild, const Template& spec) = 0;
  virtual Result<StoredTemplate> doGetTemplate(GuildId guild, std::string_view name) = 0;
  virtual Result<std::vector<TemplateSummary>> doListTemplates(GuildId guild) = 0;
  virtual Result<Revision> doDeleteTemplate(GuildId guild, std::string_view name) = 0;
  virtual Result<GuildTemplates> doLoadGuildTemplates(GuildId guild) = 0;
  virtual Result<Revision> doTemplateRevision(GuildId guild) = 0;
  virtual Result<std::optional<std::string>> doKvGet(GuildId guild, std::string_view scope,
                                                     std::string_view key) = 0;
  virtual Status doKvSet(GuildId guild, std::string_view scope, std::string_view key,
                         std::string_view value) = 0;
  virtual Result<bool> doKvDelete(GuildId guild, std::string_view scope, std::string_view key) = 0;
  virtual Result<KvPage> doKvList(GuildId guild, std::string_view scope, const KvListOptions& options) = 0;
  virtual Result<KvUsage> doKvUsage(GuildId guild) = 0;
  virtual Result<SchemaVersion> doSchemaVersion() = 0;

  const StorageLimits limits_;
};

// Opens (creating and migrating as needed) the configured backend.
// kUnavailable when the database cannot be opened or its schema is newer than this binary.
Result<std::unique_ptr<Storage>> openStorage(const StorageConfig& config);

// Validation shared by every backend, public so the API layer can check input early with the same rules.
Status validateTemplateName(std::string_view name);
Status validateTemplate(const Template& spec, const StorageLimits& limits);
Status validateKvScope(std::string_view scope, const StorageLimits& limits);
Status validateKvKey(std::string_view key, const StorageLimits& limits);
Status validateKvValue(std::string_view value, const StorageLimits& limits);

}  // namespace tw::storage
