// Thin RAII wrappers over the SQLite C API, private to the SQLite backend: Connection (one sqlite3* with
// its prepared-statement cache), Statement (a cached statement borrowed for one use) and Transaction.
//
// Threading: a Connection, and every Statement/Transaction borrowed from it, is used by one thread at a
// time; the owner (SqliteStorage) serialises access. Connections are opened with SQLITE_OPEN_NOMUTEX.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace tw::storage::sqlite {

// Maps an SQLite result code to an Error: busy/locked/full/unopenable -> kUnavailable, too big ->
// kLimitExceeded, anything else -> kInternal. `what` says what was being done.
Error sqliteError(sqlite3* db, int rc, std::string_view what);

// A prepared statement borrowed from a Connection's cache. Resets itself and clears its bindings when
// destroyed, so the connection holds no open read snapshot afterwards.
// Bound text is not copied: it must outlive the Statement.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based. A failed bind is reported by the next step()/run().
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);

  // true: a row is available; false: done.
  Result<bool> step();
  // Steps until done; for statements without result rows.
  Status run();

  // Columns are 0-based; valid until the next step.
  std::int64_t columnInt(int index) const;
  std::string_view columnText(int index) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int bindError_ = 0;  // SQLITE_OK
};

enum class OpenMode : std::uint8_t { kReadWrite, kReadOnlyQueries };

class Connection {
 public:
  // path: a file name or ":memory:". Creates the file if missing. kReadOnlyQueries sets query_only.
  static Result<std::unique_ptr<Connection>> open(const std::string& path, OpenMode mode);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements without result rows (schema scripts, PRAGMAs that return nothing).
  Status exec(std::string_view sql);
  // Returns the cached statement for sql, preparing it on first use.
  Result<Statement> prepare(std::string_view sql);
  // The first column of the first row of sql as text ("" when no row); for PRAGMAs that report a value.
  Result<std::string> queryText(std::string_view sql);
  // Rows changed by the latest INSERT/UPDATE/DELETE.
  std::int64_t changes() const;

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// BEGIN ... COMMIT; rolls back in its destructor unless committed.
class Transaction {
 public:
  enum class Kind : std::uint8_t {
    kRead,   // BEGIN (deferred): one consistent snapshot for several reads
    kWrite,  // BEGIN IMMEDIATE: takes the write lock at once, so it never fails later on a lock upgrade
  };
  static Result<Transaction> begin(Connection& connection, Kind kind);
  ~Transaction();
  Transaction(Transaction&& other) noexcept : connection_(other.connection_) { other.connection_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Status commit();

 private:
  explicit Transaction(Connection& connection) : connection_(&connection) {}
  Connection* connection_;  // null once committed or rolled back
};

}  // namespace tw::storage::sqlite
