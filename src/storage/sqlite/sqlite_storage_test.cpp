// Tests of what only the SQLite backend has: its file, WAL mode, the migration machinery, other processes
// on the same file. Behaviour common to all backends is in storage_conformance_test.cpp.
#include "storage/sqlite/sqlite_storage.h"

#include <stdlib.h>

#include <array>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "storage/sqlite/connection.h"
#include "storage/sqlite/migrations.h"

namespace tw::storage::sqlite {
namespace {

namespace fs = std::filesystem;

constexpr GuildId kGuild{42};

class SqliteStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tw-sqlite-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  StorageConfig fileConfig() const {
    StorageConfig c;
    c.location = (dir_ / "db.sqlite").string();
    return c;
  }

  // A plain connection to the same file, to look at what the backend wrote.
  std::unique_ptr<Connection> raw() const {
    auto c = Connection::open(fileConfig().location, OpenMode::kReadWrite);
    EXPECT_TRUE(c.ok());
    return c.ok() ? std::move(c).value() : nullptr;
  }

  std::string text(std::string_view sql) const {
    auto value = raw()->queryText(sql);
    EXPECT_TRUE(value.ok()) << value.error().message;
    return value.ok() ? value.value() : "";
  }

  fs::path dir_;
};

TEST_F(SqliteStorageTest, DefaultFileIsCreatedUnderTheDataDirectory) {
  StorageConfig c;
  c.dataDir = dir_ / "nested" / "data";
  auto storage = openStorage(c);
  ASSERT_TRUE(storage.ok()) << storage.error().message;
  EXPECT_EQ(resolveSqlitePath(c), (dir_ / "nested" / "data" / "template-worker.db").string());
  EXPECT_TRUE(fs::exists(dir_ / "nested" / "data" / "template-worker.db"));
}

TEST_F(SqliteStorageTest, FileIsInWalModeWithTheSchemaRecorded) {
  auto storage = openStorage(fileConfig());
  ASSERT_TRUE(storage.ok()) << storage.error().message;
  EXPECT_EQ(text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(text("SELECT max(version) FROM schema_version"), std::to_string(sqliteMigrations().size()));
}

const std::array kV1{sqliteMigrations()[0]};
constexpr std::string_view kV2Sql = "CREATE TABLE extra (x INTEGER); ALTER TABLE kv_usage ADD COLUMN note TEXT;";
const std::array kV1V2{sqliteMigrations()[0], Migration{2, "test: an extra table", kV2Sql}};

TEST_F(SqliteStorageTest, MigrationsUpgradeAnExistingFileAndKeepItsData) {
  {
    auto v1 = openSqliteStorage(fileConfig(), kV1);
    ASSERT_TRUE(v1.ok()) << v1.error().message;
    ASSERT_TRUE((*v1)->kvSet(kGuild, "", "k", "\"kept\"").ok());
    auto schema = (*v1)->schemaVersion();
    ASSERT_TRUE(schema.ok());
    EXPECT_EQ(schema->current, 1);
  }
  auto v2 = openSqliteStorage(fileConfig(), kV1V2);
  ASSERT_TRUE(v2.ok()) << v2.error().message;
  auto schema = (*v2)->schemaVersion();
  ASSERT_TRUE(schema.ok());
  EXPECT_EQ(schema->current, 2);
  EXPECT_EQ(schema->latest, 2);
  EXPECT_EQ((*v2)->kvGet(kGuild, "", "k").value(), "\"kept\"");
  EXPECT_EQ(text("SELECT count(*) FROM sqlite_master WHERE name = 'extra'"), "1");
  EXPECT_EQ(text("SELECT group_concat(version) FROM schema_version"), "1,2");
}

TEST_F(SqliteStorageTest, ADatabaseNewerThanTheBinaryIsRefused) {
  { ASSERT_TRUE(openSqliteStorage(fileConfig(), kV1V2).ok()); }
  auto old = openSqliteStorage(fileConfig(), kV1);
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.error().kind, ErrorKind::kUnavailable);
  EXPECT_NE(old.error().message.find("version 2"), std::string::npos) << old.error().message;
  EXPECT_NE(old.error().message.find("newer"), std::string::npos) << old.error().message;
  EXPECT_EQ(text("SELECT max(version) FROM schema_version"), "2");  // left as it was
}

TEST_F(SqliteStorageTest, AFailedMigrationRollsBackEntirely) {
  { ASSERT_TRUE(openSqliteStorage(fileConfig(), kV1).ok()); }
  const std::array broken{sqliteMigrations()[0],
                          Migration{2, "test: half done", "CREATE TABLE half (x INTEGER); NOT VALID SQL;"}};
  auto opened = openSqliteStorage(fileConfig(), broken);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find("migration 2"), std::string::npos) << opened.error().message;
  EXPECT_EQ(text("SELECT count(*) FROM sqlite_master WHERE name = 'half'"), "0");
  EXPECT_EQ(text("SELECT max(version) FROM schema_version"), "1");
  ASSERT_TRUE(openSqliteStorage(fileConfig(), kV1).ok());  // still usable at version 1
}

TEST_F(SqliteStorageTest, SomeoneElsesDatabaseIsLeftAlone) {
  ASSERT_TRUE(raw()->exec("CREATE TABLE users (id INTEGER)").ok());
  auto opened = openStorage(fileConfig());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().kind, ErrorKind::kUnavailable);
  EXPECT_NE(opened.error().message.find("not a template-worker database"), std::string::npos)
      << opened.error().message;
  EXPECT_EQ(text("SELECT count(*) FROM sqlite_master"), "1");
}

TEST_F(SqliteStorageTest, AFileThatIsNotADatabaseIsRefused) {
  std::ofstream(fileConfig().location) << "this is a text file, not SQLite; it is long enough to have a header";
  auto opened = openStorage(fileConfig());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().kind, ErrorKind::kUnavailable);
  EXPECT_NE(opened.error().message.find("db.sqlite"), std::string::npos) << opened.error().message;
}

TEST_F(SqliteStorageTest, AnUnwritableLocationIsUnavailable) {
  StorageConfig c;
  std::ofstream(dir_ / "a-file") << "x";
  c.location = (dir_ / "a-file" / "db.sqlite").string();  // parent is a file
  auto opened = openStorage(c);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().kind, ErrorKind::kUnavailable);
}

// Two Storage objects on one file stand for two processes (say, `migrate` run beside the service): their
// writes wait for each other's locks (busy timeout) instead of failing.
TEST_F(SqliteStorageTest, TwoOpenersOfOneFileBothWrite) {
  auto first = openStorage(fileConfig());
  auto second = openStorage(fileConfig());
  ASSERT_TRUE(first.ok() && second.ok());
  std::atomic<int> failures{0};
  auto writer = [&](Storage& storage, const std::string& prefix) {
    for (int i = 0; i < 100; ++i) {
      auto s = storage.kvSet(kGuild, "", prefix + std::to_string(i), "1");
      if (!s.ok()) {
        ADD_FAILURE() << s.error().message;
        ++failures;
      }
    }
  };
  std::thread a(writer, std::ref(**first), "a");
  std::thread b(writer, std::ref(**second), "b");
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ((*first)->kvUsage(kGuild).value().keys, 200u);
  EXPECT_EQ((*second)->kvUsage(kGuild).value().keys, 200u);
}

TEST_F(SqliteStorageTest, InMemoryDatabasesArePrivate) {
  StorageConfig c;
  c.location = std::string(kInMemoryLocation);
  auto a = openStorage(c);
  auto b = openStorage(c);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->kvSet(kGuild, "", "k", "1").ok());
  EXPECT_EQ((*b)->kvGet(kGuild, "", "k").value(), std::nullopt);
  EXPECT_FALSE(fs::exists(":memory:"));
}

TEST_F(SqliteStorageTest, ReadsWorkWithoutReaderConnections) {
  StorageConfig c = fileConfig();
  c.maxReadConnections = 0;
  auto storage = openStorage(c);
  ASSERT_TRUE(storage.ok());
  ASSERT_TRUE((*storage)->kvSet(kGuild, "", "k", "1").ok());
  EXPECT_EQ((*storage)->kvGet(kGuild, "", "k").value(), "1");
}

}  // namespace
}  // namespace tw::storage::sqlite
