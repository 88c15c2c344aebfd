// The SQLite backend of Storage: one file in WAL mode (or a private in-memory database), one writer
// connection and a small pool of reader connections.
//
// Threading: the Storage it returns is thread-safe (see storage/storage.h).
#pragma once

#include <memory>
#include <span>
#include <string>

#include "common/result.h"
#include "storage/sqlite/migrations.h"
#include "storage/storage.h"

namespace tw::storage::sqlite {

// The file config names: config.location, or dataDir / "template-worker.db" when it is empty; ":memory:"
// for an in-memory database.
std::string resolveSqlitePath(const StorageConfig& config);

// Opens or creates the database and applies sqliteMigrations().
Result<std::unique_ptr<Storage>> openSqliteStorage(const StorageConfig& config);

// Same, with another migration list: for tests of the migration machinery.
Result<std::unique_ptr<Storage>> openSqliteStorage(const StorageConfig& config,
                                                   std::span<const Migration> migrations);

}  // namespace tw::storage::sqlite
