// Versioned schema migrations of the SQLite backend, applied when a database is opened.
//
// Threading: stateless functions; the Connection passed in is used by the calling thread only.
#pragma once

#include <span>
#include <string_view>

#include "common/result.h"
#include "storage/storage.h"

namespace tw::storage::sqlite {

class Connection;

// Migration N takes the schema from version N-1 to N. Versions start at 1 and have no gaps.
// Never edit a released migration: add the next one.
struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;  // one or more statements
};

// The migrations this binary knows; the last one's version is the latest schema.
std::span<const Migration> sqliteMigrations();

// Brings the database up to the last of `migrations`, one transaction per migration, recording each in the
// schema_version table. Safe against another process migrating the same file at the same time.
// kUnavailable when the database is newer than `migrations` or holds tables that are not ours.
Result<SchemaVersion> applyMigrations(Connection& connection, std::span<const Migration> migrations,
                                      Timestamp now);

// The applied version (0 for a fresh database).
Result<int> currentSchemaVersion(Connection& connection);

}  // namespace tw::storage::sqlite
