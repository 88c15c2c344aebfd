#include "storage/sqlite/migrations.h"

#include <array>
#include <utility>

#include <fmt/format.h>

#include "common/assert.h"
#include "storage/sqlite/connection.h"

namespace tw::storage::sqlite {
namespace {

// Guild ids are stored as the int64 with the same bits as the snowflake. Text columns compare byte-wise
// (BINARY collation), which is the order kvList promises.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE guild_template_revisions (
  guild_id INTEGER PRIMARY KEY,
  revision INTEGER NOT NULL
);
CREATE TABLE templates (
  guild_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  events TEXT NOT NULL,
  capabilities TEXT NOT NULL,
  paused INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  revision INTEGER NOT NULL,
  PRIMARY KEY (guild_id, name)
) WITHOUT ROWID;
CREATE TABLE template_files (
  guild_id INTEGER NOT NULL,
  template_name TEXT NOT NULL,
  path TEXT NOT NULL,
  content TEXT NOT NULL,
  PRIMARY KEY (guild_id, template_name, path),
  FOREIGN KEY (guild_id, template_name) REFERENCES templates (guild_id, name) ON DELETE CASCADE
);
CREATE TABLE kv (
  guild_id INTEGER NOT NULL,
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  PRIMARY KEY (guild_id, scope, key)
) WITHOUT ROWID;
CREATE TABLE kv_usage (
  guild_id INTEGER PRIMARY KEY,
  key_count INTEGER NOT NULL,
  byte_count INTEGER NOT NULL
);
)sql";

constexpr std::array kMigrations{
    Migration{1, "templates, template files, template revisions, kv, kv usage", kSchemaV1},
};

Result<std::int64_t> queryInt(Connection& connection, std::string_view sql) {
  auto stmt = connection.prepare(sql);
  if (!stmt) return std::move(stmt).error();
  auto row = stmt->step();
  if (!row) return std::move(row).error();
  return *row ? stmt->columnInt(0) : 0;
}

constexpr std::string_view kHasVersionTable =
    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'";

}  // namespace

std::span<const Migration> sqliteMigrations() { return kMigrations; }

Result<int> currentSchemaVersion(Connection& connection) {
  auto hasTable = queryInt(connection, kHasVersionTable);
  if (!hasTable) return std::move(hasTable).error();
  if (*hasTable == 0) return 0;
  auto version = queryInt(connection, "SELECT coalesce(max(version), 0) FROM schema_version");
  if (!version) return std::move(version).error();
  return static_cast<int>(*version);
}

Result<SchemaVersion> applyMigrations(Connection& connection, std::span<const Migration> migrations,
                                      Timestamp now) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    TW_CHECK(migrations[i].version == static_cast<int>(i) + 1, "migration versions must be 1, 2, 3...");
  }
  const int latest = static_cast<int>(migrations.size());
  while (true) {
    // The version is read inside the write transaction, so two processes opening the same file cannot
    // both apply a migration.
    auto txn = Transaction::begin(connection, Transaction::Kind::kWrite);
    if (!txn) return std::move(txn).error();
    auto hasTable = queryInt(connection, kHasVersionTable);
    if (!hasTable) return std::move(hasTable).error();
    if (*hasTable == 0) {
      auto objects = queryInt(connection, "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'");
      if (!objects) return std::move(objects).error();
      if (*objects > 0) {
        return makeError(ErrorKind::kUnavailable,
                         "storage: the database holds tables but no schema_version table: it is not a "
                         "template-worker database; refusing to change it");
      }
      if (auto s = connection.exec("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
                                   "description TEXT NOT NULL, applied_at_ms INTEGER NOT NULL)");
          !s) {
        return std::move(s).error();
      }
    }
    auto current = currentSchemaVersion(connection);
    if (!current) return std::move(current).error();
    if (*current > latest) {
      return makeError(ErrorKind::kUnavailable,
                       fmt::format("storage: the database schema is version {} but this binary knows versions up "
                                   "to {}: it was written by a newer template-worker; upgrade this binary or use "
                                   "another database",
                                   *current, latest));
    }
    if (*current == latest) {
      if (auto s = txn->commit(); !s) return std::move(s).error();
      return SchemaVersion{latest, latest};
    }
    const Migration& migration = migrations[static_cast<std::size_t>(*current)];
    if (auto s = connection.exec(migration.sql); !s) {
      return makeError(s.error().kind, fmt::format("storage: migration {} ({}) failed: {}", migration.version,
                                                   migration.description, s.error().message));
    }
    auto record = connection.prepare("INSERT INTO schema_version (version, description, applied_at_ms) "
                                     "VALUES (?1, ?2, ?3)");
    if (!record) return std::move(record).error();
    record->bind(1, std::int64_t{migration.version})
        .bind(2, migration.description)
        .bind(3, std::int64_t{now.time_since_epoch().count()});
    if (auto s = record->run(); !s) return std::move(s).error();
    if (auto s = txn->commit(); !s) return std::move(s).error();
  }
}

}  // namespace tw::storage::sqlite
