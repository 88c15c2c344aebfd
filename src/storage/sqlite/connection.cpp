#include "storage/sqlite/connection.h"

#include <utility>

#include <fmt/format.h>
#include <sqlite3.h>

#include "common/assert.h"
#include "common/log.h"

namespace tw::storage::sqlite {

Error sqliteError(sqlite3* db, int rc, std::string_view what) {
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string message = fmt::format("storage: {}: {} (sqlite code {})", what, detail, rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return makeError(ErrorKind::kUnavailable, std::move(message));
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT: return makeError(ErrorKind::kUnavailable, std::move(message));
    case SQLITE_TOOBIG: return makeError(ErrorKind::kLimitExceeded, std::move(message));
    default: return makeError(ErrorKind::kInternal, std::move(message));
  }
}

// --- Statement ---

Statement::~Statement() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), bindError_(other.bindError_) {}

Statement& Statement::bind(int index, std::int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bindError_ == SQLITE_OK) bindError_ = rc;
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  // A null pointer would bind SQL NULL; an empty view may carry one.
  const char* data = text.data() != nullptr ? text.data() : "";
  int rc = sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK && bindError_ == SQLITE_OK) bindError_ = rc;
  return *this;
}

Result<bool> Statement::step() {
  if (bindError_ != SQLITE_OK) return sqliteError(db_, bindError_, "binding a parameter");
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqliteError(db_, rc, fmt::format("running '{}'", sqlite3_sql(stmt_)));
}

Status Statement::run() {
  while (true) {
    auto row = step();
    if (!row) return std::move(row).error();
    if (!*row) return {};
  }
}

std::int64_t Statement::columnInt(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string_view Statement::columnText(int index) const {
  const auto* text = sqlite3_column_text(stmt_, index);  // before _bytes, as the SQLite docs require
  int size = sqlite3_column_bytes(stmt_, index);
  if (text == nullptr) return {};
  return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)};
}

// --- Connection ---

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path, OpenMode mode) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    Error error = sqliteError(db, rc, fmt::format("cannot open database '{}'", path));
    sqlite3_close_v2(db);
    return error;
  }
  sqlite3_extended_result_codes(db, 1);
  std::unique_ptr<Connection> connection(new Connection(db));
  if (mode == OpenMode::kReadOnlyQueries) {
    if (auto s = connection->exec("PRAGMA query_only = ON"); !s) return std::move(s).error();
  }
  return connection;
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  int rc = sqlite3_close_v2(db_);
  if (rc != SQLITE_OK) TW_LOG_WARN("storage: closing an SQLite connection failed: {}", sqlite3_errstr(rc));
}

Status Connection::exec(std::string_view sql) {
  char* errmsg = nullptr;
  std::string text(sql);
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &errmsg);
  sqlite3_free(errmsg);  // sqliteError reads the same message from the connection
  if (rc != SQLITE_OK) return sqliteError(db_, rc, fmt::format("running '{}'", text.substr(0, 80)));
  return {};
}

Result<Statement> Connection::prepare(std::string_view sql) {
  std::string key(sql);
  auto it = cache_.find(key);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                                &tail);
    if (rc != SQLITE_OK) return sqliteError(db_, rc, fmt::format("preparing '{}'", sql));
    TW_CHECK(stmt != nullptr && tail == sql.data() + sql.size(), "one complete statement per prepare()");
    it = cache_.emplace(std::move(key), stmt).first;
  }
  // One borrower per statement: a second one would reset the first one's rows.
  TW_CHECK(sqlite3_stmt_busy(it->second) == 0, "statement already in use: " + it->first);
  return Statement(db_, it->second);
}

Result<std::string> Connection::queryText(std::string_view sql) {
  auto stmt = prepare(sql);
  if (!stmt) return std::move(stmt).error();
  auto row = stmt->step();
  if (!row) return std::move(row).error();
  return *row ? std::string(stmt->columnText(0)) : std::string();
}

std::int64_t Connection::changes() const { return sqlite3_changes64(db_); }

// --- Transaction ---

Result<Transaction> Transaction::begin(Connection& connection, Kind kind) {
  auto stmt = connection.prepare(kind == Kind::kWrite ? "BEGIN IMMEDIATE" : "BEGIN");
  if (!stmt) return std::move(stmt).error();
  if (auto s = stmt->run(); !s) return std::move(s).error();
  return Transaction(connection);
}

Status Transaction::commit() {
  TW_CHECK(connection_ != nullptr, "commit() of a finished transaction");
  auto stmt = connection_->prepare("COMMIT");
  if (!stmt) return std::move(stmt).error();
  if (auto s = stmt->run(); !s) return s;  // the destructor rolls back
  connection_ = nullptr;
  return {};
}

Transaction::~Transaction() {
  if (connection_ == nullptr) return;
  // After some errors SQLite has already rolled back; a second ROLLBACK then fails harmlessly.
  auto stmt = connection_->prepare("ROLLBACK");
  if (stmt) (void)stmt->run();
}

}  // namespace tw::storage::sqlite
