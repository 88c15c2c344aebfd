#include "storage/sqlite/sqlite_storage.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <sqlite3.h>

#include "common/assert.h"
#include "common/log.h"
#include "storage/sqlite/connection.h"

// Returns the error of a failed Status or Result expression from the enclosing function.
#define TW_SQL_TRY(expr)                                \
  do {                                                  \
    auto&& tw_sql_try_ = (expr);                        \
    if (!tw_sql_try_) return std::move(tw_sql_try_).error(); \
  } while (0)

namespace tw::storage::sqlite {
namespace {

std::int64_t toDb(GuildId guild) { return static_cast<std::int64_t>(guild.value); }
std::int64_t toDb(Timestamp t) { return t.time_since_epoch().count(); }
std::int64_t toDb(std::uint64_t n) { return static_cast<std::int64_t>(n); }
Timestamp timestampFromDb(std::int64_t ms) { return Timestamp(std::chrono::milliseconds(ms)); }

// Event and capability sets are stored as their members joined by '\n' (validation keeps '\n' out of them).
std::string joinSet(const NameSet& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += '\n';
    out += item;
  }
  return out;
}

NameSet splitSet(std::string_view text) {
  NameSet out;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    out.emplace(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  }
  return out;
}

// The smallest string greater than every string that starts with prefix, if there is one. Compared
// byte-wise, like the BINARY collation.
std::optional<std::string> prefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xFF) end.pop_back();
  if (end.empty()) return std::nullopt;
  end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

// The template columns readTemplateRow() reads, from column `first` on.
constexpr std::string_view kTemplateColumns =
    "events, capabilities, paused, created_at_ms, updated_at_ms, revision";

struct TemplateRow {
  NameSet events;
  NameSet capabilities;
  bool paused = false;
  TemplateMeta meta;
};

TemplateRow readTemplateRow(const Statement& stmt, int first) {
  return TemplateRow{
      .events = splitSet(stmt.columnText(first)),
      .capabilities = splitSet(stmt.columnText(first + 1)),
      .paused = stmt.columnInt(first + 2) != 0,
      .meta = TemplateMeta{.createdAt = timestampFromDb(stmt.columnInt(first + 3)),
                           .updatedAt = timestampFromDb(stmt.columnInt(first + 4)),
                           .revision = static_cast<Revision>(stmt.columnInt(first + 5))},
  };
}

Result<Revision> readRevision(Connection& db, GuildId guild) {
  auto stmt = db.prepare("SELECT revision FROM guild_template_revisions WHERE guild_id = ?1");
  TW_SQL_TRY(stmt);
  stmt->bind(1, toDb(guild));
  auto row = stmt->step();
  TW_SQL_TRY(row);
  return *row ? static_cast<Revision>(stmt->columnInt(0)) : Revision{0};
}

Result<Revision> bumpRevision(Connection& db, GuildId guild) {
  auto stmt = db.prepare(
      "INSERT INTO guild_template_revisions (guild_id, revision) VALUES (?1, 1) "
      "ON CONFLICT (guild_id) DO UPDATE SET revision = revision + 1 RETURNING revision");
  TW_SQL_TRY(stmt);
  stmt->bind(1, toDb(guild));
  auto row = stmt->step();
  TW_SQL_TRY(row);
  TW_CHECK(*row, "RETURNING gave no row");
  return static_cast<Revision>(stmt->columnInt(0));
}

Result<KvUsage> readUsage(Connection& db, GuildId guild) {
  auto stmt = db.prepare("SELECT key_count, byte_count FROM kv_usage WHERE guild_id = ?1");
  TW_SQL_TRY(stmt);
  stmt->bind(1, toDb(guild));
  auto row = stmt->step();
  TW_SQL_TRY(row);
  if (!*row) return KvUsage{};
  return KvUsage{static_cast<std::uint64_t>(stmt->columnInt(0)), static_cast<std::uint64_t>(stmt->columnInt(1))};
}

// size_bytes of a KV entry, nullopt when absent.
Result<std::optional<std::uint64_t>> readEntrySize(Connection& db, GuildId guild, std::string_view scope,
                                                   std::string_view key) {
  auto stmt = db.prepare("SELECT size_bytes FROM kv WHERE guild_id = ?1 AND scope = ?2 AND key = ?3");
  TW_SQL_TRY(stmt);
  stmt->bind(1, toDb(guild)).bind(2, scope).bind(3, key);
  auto row = stmt->step();
  TW_SQL_TRY(row);
  if (!*row) return std::optional<std::uint64_t>{};
  return std::optional<std::uint64_t>{static_cast<std::uint64_t>(stmt->columnInt(0))};
}

Status writeUsage(Connection& db, GuildId guild, KvUsage usage) {
  auto stmt = db.prepare(
      "INSERT INTO kv_usage (guild_id, key_count, byte_count) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (guild_id) DO UPDATE SET key_count = excluded.key_count, byte_count = excluded.byte_count");
  TW_SQL_TRY(stmt);
  stmt->bind(1, toDb(guild)).bind(2, toDb(usage.keys)).bind(3, toDb(usage.bytes));
  return stmt->run();
}

// Settings every connection gets.
Status configure(Connection& db, const StorageConfig& config) {
  TW_SQL_TRY(db.exec(fmt::format("PRAGMA busy_timeout = {}", config.busyTimeout.count())));
  TW_SQL_TRY(db.exec("PRAGMA foreign_keys = ON"));
  // FULL: the WAL is fsynced at every commit. NORMAL: only at checkpoints; a commit is then in the OS page
  // cache when it returns, which survives the death of this process but not of the machine.
  TW_SQL_TRY(db.exec(config.durability == Durability::kPowerLoss ? "PRAGMA synchronous = FULL"
                                                                  : "PRAGMA synchronous = NORMAL"));
  return {};
}

// The Storage. Threading: thread-safe. Writes are serialised on the one writer connection (SQLite allows
// one writer at a time anyway); reads run on a pool of reader connections, which WAL lets run beside the
// writer. A private in-memory database has no readers: every call uses the writer connection.
class SqliteStorage final : public Storage {
 public:
  SqliteStorage(const StorageConfig& config, std::string path, std::unique_ptr<Connection> writer,
                int latestSchema)
      : Storage(config.limits),
        config_(config),
        path_(std::move(path)),
        latestSchema_(latestSchema),
        useReaders_(path_ != kInMemoryLocation && config.maxReadConnections > 0),
        writer_(std::move(writer)) {}

  ~SqliteStorage() override {
    // Close readers before the writer: the last connection to close checkpoints the WAL and removes it.
    idleReaders_.clear();
    writer_.reset();
  }

 private:
  Timestamp now() const {
    if (config_.clock) return config_.clock();
    return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  }

  template <typename F>
  auto withWriter(F&& fn) -> decltype(fn(std::declval<Connection&>())) {
    std::lock_guard lock(writerMu_);
    return fn(*writer_);
  }

  template <typename F>
  auto withReader(F&& fn) -> decltype(fn(std::declval<Connection&>())) {
    if (!useReaders_) return withWriter(std::forward<F>(fn));
    auto reader = acquireReader();
    TW_SQL_TRY(reader);
    struct Return {
      SqliteStorage* self;
      std::unique_ptr<Connection>& connection;
      ~Return() { self->releaseReader(std::move(connection)); }
    } giveBack{this, *reader};
    return fn(**reader);
  }

  Result<std::unique_ptr<Connection>> acquireReader() {
    std::unique_lock lock(poolMu_);
    while (true) {
      if (!idleReaders_.empty()) {
        auto connection = std::move(idleReaders_.back());
        idleReaders_.pop_back();
        return connection;
      }
      if (openReaders_ < config_.maxReadConnections) {
        ++openReaders_;
        lock.unlock();
        auto connection = openReader();
        if (!connection) {
          lock.lock();
          --openReaders_;
          poolCv_.notify_one();
        }
        return connection;
      }
      poolCv_.wait(lock);
    }
  }

  Result<std::unique_ptr<Connection>> openReader() {
    auto connection = Connection::open(path_, OpenMode::kReadOnlyQueries);
    TW_SQL_TRY(connection);
    TW_SQL_TRY(configure(**connection, config_));
    return connection;
  }

  void releaseReader(std::unique_ptr<Connection> connection) {
    {
      std::lock_guard lock(poolMu_);
      idleReaders_.push_back(std::move(connection));
    }
    poolCv_.notify_one();
  }

  // --- templates ---

  Result<StoredTemplate> doPutTemplate(GuildId guild, const Template& spec) override {
    return withWriter([&](Connection& db) -> Result<StoredTemplate> {
      auto txn = Transaction::begin(db, Transaction::Kind::kWrite);
      TW_SQL_TRY(txn);
      const Timestamp time = now();
      std::optional<Timestamp> createdAt;
      {
        auto stmt = db.prepare("SELECT created_at_ms FROM templates WHERE guild_id = ?1 AND name = ?2");
        TW_SQL_TRY(stmt);
        stmt->bind(1, toDb(guild)).bind(2, spec.name);
        auto row = stmt->step();
        TW_SQL_TRY(row);
        if (*row) createdAt = timestampFromDb(stmt->columnInt(0));
      }
      if (!createdAt) {
        auto stmt = db.prepare("SELECT count(*) FROM templates WHERE guild_id = ?1");
        TW_SQL_TRY(stmt);
        stmt->bind(1, toDb(guild));
        TW_SQL_TRY(stmt->step());
        auto count = static_cast<std::uint64_t>(stmt->columnInt(0));
        if (count >= limits().maxTemplatesPerGuild) {
          return makeError(ErrorKind::kLimitExceeded,
                           fmt::format("storage: guild {} has {} templates; the limit is {}", guild.value, count,
                                       limits().maxTemplatesPerGuild));
        }
      }
      auto revision = bumpRevision(db, guild);
      TW_SQL_TRY(revision);
      const TemplateMeta meta{.createdAt = createdAt.value_or(time),
                              .updatedAt = std::max(time, createdAt.value_or(time)),
                              .revision = *revision};
      {
        auto stmt = db.prepare(
            "INSERT INTO templates (guild_id, name, events, capabilities, paused, created_at_ms, updated_at_ms, "
            "revision) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
            "ON CONFLICT (guild_id, name) DO UPDATE SET events = excluded.events, "
            "capabilities = excluded.capabilities, paused = excluded.paused, "
            "updated_at_ms = excluded.updated_at_ms, revision = excluded.revision");
        TW_SQL_TRY(stmt);
        const std::string events = joinSet(spec.events);
        const std::string capabilities = joinSet(spec.capabilities);
        stmt->bind(1, toDb(guild))
            .bind(2, spec.name)
            .bind(3, events)
            .bind(4, capabilities)
            .bind(5, std::int64_t{spec.paused ? 1 : 0})
            .bind(6, toDb(meta.createdAt))
            .bind(7, toDb(meta.updatedAt))
            .bind(8, toDb(meta.revision));
        TW_SQL_TRY(stmt->run());
      }
      {
        auto stmt = db.prepare("DELETE FROM template_files WHERE guild_id = ?1 AND template_name = ?2");
        TW_SQL_TRY(stmt);
        stmt->bind(1, toDb(guild)).bind(2, spec.name);
        TW_SQL_TRY(stmt->run());
      }
      for (const auto& [path, content] : spec.files) {
        auto stmt = db.prepare(
            "INSERT INTO template_files (guild_id, template_name, path, content) VALUES (?1, ?2, ?3, ?4)");
        TW_SQL_TRY(stmt);
        stmt->bind(1, toDb(guild)).bind(2, spec.name).bind(3, path).bind(4, content);
        TW_SQL_TRY(stmt->run());
      }
      TW_SQL_TRY(txn->commit());
      return StoredTemplate{spec, meta};
    });
  }

  Result<StoredTemplate> doGetTemplate(GuildId guild, std::string_view name) override {
    return withReader([&](Connection& db) -> Result<StoredTemplate> {
      auto txn = Transaction::begin(db, Transaction::Kind::kRead);
      TW_SQL_TRY(txn);
      StoredTemplate out;
      out.spec.name = std::string(name);
      {
        auto stmt = db.prepare(fmt::format("SELECT {} FROM templates WHERE guild_id = ?1 AND name = ?2",
                                           kTemplateColumns));
        TW_SQL_TRY(stmt);
        stmt->bind(1, toDb(guild)).bind(2, name);
        auto row = stmt->step();
        TW_SQL_TRY(row);
        if (!*row) {
          return makeError(ErrorKind::kNotFound,
                           fmt::format("storage: guild {} has no template '{}'", guild.value, name));
        }
        TemplateRow r = readTemplateRow(*stmt, 0);
        out.spec.events = std::move(r.events);
        out.spec.capabilities = std::move(r.capabilities);
        out.spec.paused = r.paused;
        out.meta = r.meta;
      }
      {
        auto stmt = db.prepare("SELECT path, content FROM template_files WHERE guild_id = ?1 AND template_name = ?2");
        TW_SQL_TRY(stmt);
        stmt->bind(1, toDb(guild)).bind(2, name);
        while (true) {
          auto row = stmt->step();
          TW_SQL_TRY(row);
          if (!*row) break;
          out.spec.files.emplace(stmt->columnText(0), stmt->columnText(1));
        }
      }
      TW_SQL_TRY(txn->commit());
      return out;
    });
  }

  Result<std::vector<TemplateSummary>> doListTemplates(GuildId guild) override {
    return withReader([&](Connection& db) -> Result<std::vector<TemplateSummary>> {
      auto txn = Transaction::begin(db, Transaction::Kind::kRead);
      TW_SQL_TRY(txn);
      std::vector<TemplateSummary> out;
      std::unordered_map<std::string, std::size_t> index;
      {
        auto stmt = db.prepare(fmt::format("SELECT name, {} FROM templates WHERE guild_id = ?1 ORDER BY name",
                                           kTemplateColumns));
        TW_SQL_TRY(stmt);
        stmt->bind(1, toDb(guild));
        while (true) {
          auto row = stmt->step();
          TW_SQL_TRY(row);
          if (!*row) break;
          TemplateRow r = readTemplateRow(*stmt, 1);
          index.emplace(stmt->columnText(0), out.size());
          out.push_back(TemplateSummary{.name = std::string(stmt->columnText(0)),
                                        .filePaths = {},
                                        .events = std::move(r.events),
                                        .capabilities = std::move(r.capabilities),
                                        .paused = r.paused,
                                        .meta = r.meta});
        }
      }
      {
        auto stmt = db.prepare("SELECT template_name, path FROM template_files WHERE guild_id = ?1 ORDER BY path");
        TW_SQL_TRY(stmt);
        stmt->bind(1, toDb(guild));
        while (true) {
          auto row = stmt->step();
          TW_SQL_TRY(row);
          if (!*row) break;
          auto it = index.find(std::string(stmt->columnText(0)));
          TW_CHECK(it != index.end(), "template file without its template");
          out[it->second].filePaths.emplace_back(stmt->columnText(1));
        }
      }
      TW_SQL_TRY(txn->commit());
      return out;
    });
  }

  Result<Revision> doDeleteTemplate(GuildId guild, std::string_view name) override {
    return withWriter([&](Connection& db) -> Result<Revision> {
      auto txn = Transaction::begin(db, Transaction::Kind::kWrite);
      TW_SQL_TRY(txn);
      {
        // Its files go with it (ON DELETE CASCADE).
        auto stmt = db.prepare("DELETE FROM templates WHERE guild_id = ?1 AND name = ?2");
        TW_SQL_TRY(stmt);
        stmt->bind(1, toDb(guild)).bind(2, name);
        TW_SQL_TRY(stmt->run());
      }
      if (db.changes() == 0) {
        return makeError(ErrorKind::kNotFound,
                         fmt::format("storage: guild {} has no template '{}'", guild.value, name));
      }
      auto revision = bumpRevision(db, guild);
      TW_SQL_TRY(revision);
      TW_SQL_TRY(txn->commit());
      return *revision;
    });
  }

  Result<GuildTemplates> doLoadGuildTemplates(GuildId guild) override {
    return withReader([&](Connection& db) -> Result<GuildTemplates> {
      auto txn = Transaction::begin(db, Transaction::Kind::kRead);
      TW_SQL_TRY(txn);
      GuildTemplates out;
      auto revision = readRevision(db, guild);
      TW_SQL_TRY(revision);
      out.revision = *revision;
      std::unordered_map<std::string, std::size_t> index;
      {
        auto stmt = db.prepare(fmt::format("SELECT name, {} FROM templates WHERE guild_id = ?1 ORDER BY name",
                                           kTemplateColumns));
        TW_SQL_TRY(stmt);
        stmt->bind(1, toDb(guild));
        while (true) {
          auto row = stmt->step();
          TW_SQL_TRY(row);
          if (!*row) break;
          TemplateRow r = readTemplateRow(*stmt, 1);
          StoredTemplate t;
          t.spec.name = std::string(stmt->columnText(0));
          t.spec.events = std::move(r.events);
          t.spec.capabilities = std::move(r.capabilities);
          t.spec.paused = r.paused;
          t.meta = r.meta;
          index.emplace(t.spec.name, out.templates.size());
          out.templates.push_back(std::move(t));
        }
      }
      {
        auto stmt = db.prepare("SELECT template_name, path, content FROM template_files WHERE guild_id = ?1");
        TW_SQL_TRY(stmt);
        stmt->bind(1, toDb(guild));
        while (true) {
          auto row = stmt->step();
          TW_SQL_TRY(row);
          if (!*row) break;
          auto it = index.find(std::string(stmt->columnText(0)));
          TW_CHECK(it != index.end(), "template file without its template");
          out.templates[it->second].spec.files.emplace(stmt->columnText(1), stmt->columnText(2));
        }
      }
      TW_SQL_TRY(txn->commit());
      return out;
    });
  }

  Result<Revision> doTemplateRevision(GuildId guild) override {
    return withReader([&](Connection& db) { return readRevision(db, guild); });
  }

  // --- KV ---

  Result<std::optional<std::string>> doKvGet(GuildId guild, std::string_view scope, std::string_view key) override {
    return withReader([&](Connection& db) -> Result<std::optional<std::string>> {
      auto stmt = db.prepare("SELECT value FROM kv WHERE guild_id = ?1 AND scope = ?2 AND key = ?3");
      TW_SQL_TRY(stmt);
      stmt->bind(1, toDb(guild)).bind(2, scope).bind(3, key);
      auto row = stmt->step();
      TW_SQL_TRY(row);
      if (!*row) return std::optional<std::string>{};
      return std::optional<std::string>{std::string(stmt->columnText(0))};
    });
  }

  Status doKvSet(GuildId guild, std::string_view scope, std::string_view key, std::string_view value) override {
    const std::uint64_t size = scope.size() + key.size() + value.size();
    return withWriter([&](Connection& db) -> Status {
      auto txn = Transaction::begin(db, Transaction::Kind::kWrite);
      TW_SQL_TRY(txn);
      auto oldSize = readEntrySize(db, guild, scope, key);
      TW_SQL_TRY(oldSize);
      auto usage = readUsage(db, guild);
      TW_SQL_TRY(usage);
      KvUsage next = *usage;
      if (!*oldSize) {
        next.keys += 1;
        if (limits().maxKeysPerGuild != 0 && next.keys > limits().maxKeysPerGuild) {
          return makeError(ErrorKind::kLimitExceeded,
                           fmt::format("storage: guild {} has {} KV keys; the limit is {}", guild.value,
                                       usage->keys, limits().maxKeysPerGuild));
        }
      }
      next.bytes = next.bytes - oldSize->value_or(0) + size;
      if (size > oldSize->value_or(0) && limits().maxBytesPerGuild != 0 && next.bytes > limits().maxBytesPerGuild) {
        return makeError(ErrorKind::kLimitExceeded,
                         fmt::format("storage: guild {} would use {} KV bytes; the limit is {}", guild.value,
                                     next.bytes, limits().maxBytesPerGuild));
      }
      {
        auto stmt = db.prepare(
            "INSERT INTO kv (guild_id, scope, key, value, size_bytes) VALUES (?1, ?2, ?3, ?4, ?5) "
            "ON CONFLICT (guild_id, scope, key) DO UPDATE SET value = excluded.value, "
            "size_bytes = excluded.size_bytes");
        TW_SQL_TRY(stmt);
        stmt->bind(1, toDb(guild)).bind(2, scope).bind(3, key).bind(4, value).bind(5, toDb(size));
        TW_SQL_TRY(stmt->run());
      }
      TW_SQL_TRY(writeUsage(db, guild, next));
      return txn->commit();
    });
  }

  Result<bool> doKvDelete(GuildId guild, std::string_view scope, std::string_view key) override {
    return withWriter([&](Connection& db) -> Result<bool> {
      auto txn = Transaction::begin(db, Transaction::Kind::kWrite);
      TW_SQL_TRY(txn);
      auto size = readEntrySize(db, guild, scope, key);
      TW_SQL_TRY(size);
      if (!*size) return false;
      auto usage = readUsage(db, guild);
      TW_SQL_TRY(usage);
      TW_CHECK(usage->keys >= 1 && usage->bytes >= **size, "kv_usage below the entries it counts");
      {
        auto stmt = db.prepare("DELETE FROM kv WHERE guild_id = ?1 AND scope = ?2 AND key = ?3");
        TW_SQL_TRY(stmt);
        stmt->bind(1, toDb(guild)).bind(2, scope).bind(3, key);
        TW_SQL_TRY(stmt->run());
      }
      TW_SQL_TRY(writeUsage(db, guild, KvUsage{usage->keys - 1, usage->bytes - **size}));
      TW_SQL_TRY(txn->commit());
      return true;
    });
  }

  Result<KvPage> doKvList(GuildId guild, std::string_view scope, const KvListOptions& options) override {
    // One range scan of the primary key: from the larger of the prefix and the cursor, up to the end of
    // the prefix. Four shapes of the statement, each cached once prepared.
    const bool fromCursor = !options.startAfter.empty() && options.startAfter >= options.prefix;
    const std::string_view lower = fromCursor ? std::string_view(options.startAfter) : options.prefix;
    const std::optional<std::string> upper = prefixEnd(options.prefix);
    std::string sql = "SELECT key, value FROM kv WHERE guild_id = ?1 AND scope = ?2";
    sql += fromCursor ? " AND key > ?3" : " AND key >= ?3";
    if (upper) sql += " AND key < ?4";
    sql += " ORDER BY key LIMIT ?5";
    return withReader([&](Connection& db) -> Result<KvPage> {
      auto stmt = db.prepare(sql);
      TW_SQL_TRY(stmt);
      stmt->bind(1, toDb(guild)).bind(2, scope).bind(3, lower).bind(5, toDb(options.limit + 1));
      if (upper) stmt->bind(4, *upper);
      KvPage page;
      while (true) {
        auto row = stmt->step();
        TW_SQL_TRY(row);
        if (!*row) break;
        if (page.entries.size() == options.limit) {
          page.more = true;
          break;
        }
        page.entries.push_back(KvEntry{std::string(stmt->columnText(0)), std::string(stmt->columnText(1))});
      }
      return page;
    });
  }

  Result<KvUsage> doKvUsage(GuildId guild) override {
    return withReader([&](Connection& db) { return readUsage(db, guild); });
  }

  Result<SchemaVersion> doSchemaVersion() override {
    return withReader([&](Connection& db) -> Result<SchemaVersion> {
      auto current = currentSchemaVersion(db);
      TW_SQL_TRY(current);
      return SchemaVersion{*current, latestSchema_};
    });
  }

  const StorageConfig config_;
  const std::string path_;
  const int latestSchema_;
  const bool useReaders_;

  std::mutex writerMu_;
  std::unique_ptr<Connection> writer_;  // guarded by writerMu_

  std::mutex poolMu_;
  std::condition_variable poolCv_;
  std::vector<std::unique_ptr<Connection>> idleReaders_;  // guarded by poolMu_
  std::size_t openReaders_ = 0;                           // guarded by poolMu_; idle or lent out
};

}  // namespace

std::string resolveSqlitePath(const StorageConfig& config) {
  if (!config.location.empty()) return config.location;
  return (config.dataDir / kDefaultSqliteFileName).string();
}

Result<std::unique_ptr<Storage>> openSqliteStorage(const StorageConfig& config) {
  return openSqliteStorage(config, sqliteMigrations());
}

namespace {

// Opens the writer connection of the database at path, in WAL mode, migrated.
Result<std::unique_ptr<Connection>> openWriter(const StorageConfig& config, const std::string& path,
                                               std::span<const Migration> migrations) {
  const bool inMemory = path == kInMemoryLocation;
  if (!inMemory) {
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) {
      return makeError(ErrorKind::kUnavailable, fmt::format("storage: cannot create the directory '{}': {}",
                                                            parent.string(), ec.message()));
    }
  }
  auto writer = Connection::open(path, OpenMode::kReadWrite);
  TW_SQL_TRY(writer);
  Connection& db = **writer;
  TW_SQL_TRY(configure(db, config));
  if (!inMemory) {
    auto mode = db.queryText("PRAGMA journal_mode = WAL");
    TW_SQL_TRY(mode);
    if (*mode != "wal") {
      return makeError(ErrorKind::kUnavailable, fmt::format("storage: cannot use WAL mode (journal mode is '{}')", *mode));
    }
    // Keep the WAL file from staying large after a burst of writes.
    TW_SQL_TRY(db.exec("PRAGMA journal_size_limit = 67108864"));
  }
  const Timestamp now = config.clock ? config.clock()
                                     : std::chrono::time_point_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now());
  auto schema = applyMigrations(db, migrations, now);
  TW_SQL_TRY(schema);
  TW_LOG_DEBUG("storage: opened sqlite database '{}' at schema version {}", path, schema->current);
  return writer;
}

}  // namespace

Result<std::unique_ptr<Storage>> openSqliteStorage(const StorageConfig& config,
                                                   std::span<const Migration> migrations) {
  if (sqlite3_threadsafe() == 0) {
    return makeError(ErrorKind::kInternal, "storage: this SQLite library was built without thread support");
  }
  const std::string path = resolveSqlitePath(config);
  auto writer = openWriter(config, path, migrations);
  if (!writer) {
    Error error = std::move(writer).error();
    error.message = fmt::format("{} (database '{}')", error.message, path);
    return error;
  }
  return std::unique_ptr<Storage>(
      std::make_unique<SqliteStorage>(config, path, std::move(*writer), static_cast<int>(migrations.size())));
}

}  // namespace tw::storage::sqlite
