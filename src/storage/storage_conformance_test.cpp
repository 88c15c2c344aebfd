// The storage conformance suite: every backend must pass every test here. A new backend adds one
// BackendCase to kBackends (below).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

// GCC 12 at -O2 reports a false "potential null pointer dereference" inside io_context's executor
// comparison (instantiated by any_io_executor); it is attributed to the header, so silence it there.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop
#include <gtest/gtest.h>

#include "storage/async_storage.h"
#include "storage/storage.h"

extern char** environ;

namespace tw::storage {
namespace {

namespace fs = std::filesystem;

struct BackendCase {
  std::string name;
  bool persistent;  // data survives closing and reopening
  std::function<StorageConfig(const fs::path& dir)> config;
};

void PrintTo(const BackendCase& backend, std::ostream* out) { *out << backend.name; }

const std::vector<BackendCase>& backends() {
  static const std::vector<BackendCase> kBackends{
      {"SqliteFile", true,
       [](const fs::path& dir) {
         StorageConfig c;
         c.backend = BackendKind::kSqlite;
         c.location = (dir / "test.db").string();
         return c;
       }},
      {"SqliteMemory", false,
       [](const fs::path&) {
         StorageConfig c;
         c.backend = BackendKind::kSqlite;
         c.location = std::string(kInMemoryLocation);
         return c;
       }},
  };
  return kBackends;
}

constexpr GuildId kGuild{123456789012345678};
constexpr GuildId kOtherGuild{876543210987654321};
constexpr GuildId kMaxGuild{~std::uint64_t{0}};  // bit 63 set: must survive a signed 64-bit column

Template makeTemplate(std::string name, std::string body = "return 1") {
  Template t;
  t.name = std::move(name);
  t.files = {{"init.lua", std::move(body)}, {"lib/util.lua", "return {}"}};
  t.events = {"MESSAGE_CREATE", "tw.startup"};
  t.capabilities = {"kv:read", "kv:write", "discord:*"};
  return t;
}

std::string durabilityTestValue(const std::string& key, long i) {
  // Keep in sync with durability_writer.cpp.
  return "{\"key\":\"" + key + "\",\"pad\":\"" + std::string(static_cast<std::size_t>(i % 200), 'x') + "\"}";
}

class StorageConformance : public ::testing::TestWithParam<BackendCase> {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tw-storage-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    storage_ = open();
    ASSERT_NE(storage_, nullptr);
  }

  void TearDown() override {
    storage_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  StorageConfig config(StorageLimits limits = {}) {
    StorageConfig c = GetParam().config(dir_);
    c.limits = limits;
    c.clock = [clock = clockMs_] { return Timestamp(std::chrono::milliseconds(clock->load())); };
    return c;
  }

  std::unique_ptr<Storage> open(StorageLimits limits = {}) {
    auto opened = openStorage(config(limits));
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  void setClock(std::int64_t ms) { clockMs_->store(ms); }

  Storage& s() { return *storage_; }

  fs::path dir_;
  std::shared_ptr<std::atomic<std::int64_t>> clockMs_ = std::make_shared<std::atomic<std::int64_t>>(1'000);
  std::unique_ptr<Storage> storage_;
};

#define ASSERT_OK(expr)                                     \
  do {                                                      \
    const auto& tw_r_ = (expr);                             \
    ASSERT_TRUE(tw_r_.ok()) << tw_r_.error().message;       \
  } while (0)

#define EXPECT_ERROR(expr, errorKind)                                                      \
  do {                                                                                     \
    const auto& tw_r_ = (expr);                                                            \
    ASSERT_FALSE(tw_r_.ok());                                                              \
    EXPECT_EQ(kindName(tw_r_.error().kind), kindName(errorKind)) << tw_r_.error().message; \
    EXPECT_FALSE(tw_r_.error().message.empty());                                           \
  } while (0)

// ---------------------------------------------------------------------------------------------------------
// Templates

TEST_P(StorageConformance, PutThenGetReturnsTheTemplate) {
  Template t = makeTemplate("greeter");
  t.paused = true;
  auto put = s().putTemplate(kGuild, t);
  ASSERT_OK(put);
  EXPECT_EQ(put->spec, t);
  EXPECT_EQ(put->meta.revision, 1u);
  EXPECT_EQ(put->meta.createdAt, Timestamp(std::chrono::milliseconds(1'000)));
  EXPECT_EQ(put->meta.updatedAt, put->meta.createdAt);

  auto got = s().getTemplate(kGuild, "greeter");
  ASSERT_OK(got);
  EXPECT_EQ(got->spec, t);
  EXPECT_EQ(got->meta, put->meta);
}

TEST_P(StorageConformance, PutReplacesFilesAndKeepsCreationTime) {
  ASSERT_OK(s().putTemplate(kGuild, makeTemplate("t")));
  setClock(5'000);
  Template replacement;
  replacement.name = "t";
  replacement.files = {{"init.luau", "return 2"}};
  replacement.events = {"INTERACTION_CREATE"};
  auto put = s().putTemplate(kGuild, replacement);
  ASSERT_OK(put);
  EXPECT_EQ(put->meta.revision, 2u);

  auto got = s().getTemplate(kGuild, "t");
  ASSERT_OK(got);
  EXPECT_EQ(got->spec, replacement);  // lib/util.lua and the old capabilities are gone
  EXPECT_EQ(got->meta.createdAt, Timestamp(std::chrono::milliseconds(1'000)));
  EXPECT_EQ(got->meta.updatedAt, Timestamp(std::chrono::milliseconds(5'000)));
  EXPECT_EQ(got->meta.revision, 2u);
}

TEST_P(StorageConformance, MissingTemplatesAreNotFound) {
  EXPECT_ERROR(s().getTemplate(kGuild, "nope"), ErrorKind::kNotFound);
  EXPECT_ERROR(s().deleteTemplate(kGuild, "nope"), ErrorKind::kNotFound);
  auto revision = s().templateRevision(kGuild);
  ASSERT_OK(revision);
  EXPECT_EQ(*revision, 0u);  // a failed delete does not bump it
}

TEST_P(StorageConformance, RevisionGrowsWithEveryWriteAndNeverGoesBack) {
  ASSERT_OK(s().putTemplate(kGuild, makeTemplate("a")));
  ASSERT_OK(s().putTemplate(kGuild, makeTemplate("b")));
  ASSERT_OK(s().putTemplate(kGuild, makeTemplate("a", "return 'again'")));
  auto afterDeleteA = s().deleteTemplate(kGuild, "a");
  ASSERT_OK(afterDeleteA);
  EXPECT_EQ(*afterDeleteA, 4u);
  auto afterDeleteB = s().deleteTemplate(kGuild, "b");
  ASSERT_OK(afterDeleteB);
  EXPECT_EQ(*afterDeleteB, 5u);

  auto revision = s().templateRevision(kGuild);
  ASSERT_OK(revision);
  EXPECT_EQ(*revision, 5u);
  auto all = s().loadGuildTemplates(kGuild);
  ASSERT_OK(all);
  EXPECT_EQ(all->revision, 5u);
  EXPECT_TRUE(all->templates.empty());

  auto put = s().putTemplate(kGuild, makeTemplate("a"));
  ASSERT_OK(put);
  EXPECT_EQ(put->meta.revision, 6u);
  EXPECT_ERROR(s().getTemplate(kGuild, "b"), ErrorKind::kNotFound);
}

TEST_P(StorageConformance, ListTemplatesIsSortedAndWithoutContents) {
  ASSERT_OK(s().putTemplate(kGuild, makeTemplate("zeta")));
  Template alpha = makeTemplate("Alpha");
  alpha.paused = true;
  ASSERT_OK(s().putTemplate(kGuild, alpha));
  ASSERT_OK(s().putTemplate(kGuild, makeTemplate("beta")));

  auto list = s().listTemplates(kGuild);
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].name, "Alpha");  // byte order: uppercase first
  EXPECT_EQ((*list)[1].name, "beta");
  EXPECT_EQ((*list)[2].name, "zeta");
  EXPECT_TRUE((*list)[0].paused);
  EXPECT_FALSE((*list)[1].paused);
  EXPECT_EQ((*list)[0].filePaths, (std::vector<std::string>{"init.lua", "lib/util.lua"}));
  EXPECT_EQ((*list)[0].events, alpha.events);
  EXPECT_EQ((*list)[0].capabilities, alpha.capabilities);
  EXPECT_EQ((*list)[0].meta.revision, 2u);

  auto none = s().listTemplates(kOtherGuild);
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
}

TEST_P(StorageConformance, LoadGuildTemplatesReturnsEveryTemplateWithContents) {
  Template a = makeTemplate("a");
  Template b = makeTemplate("b", "print('b')");
  b.paused = true;
  b.files["data/config.json"] = "{\"x\": 1}";
  ASSERT_OK(s().putTemplate(kGuild, b));
  ASSERT_OK(s().putTemplate(kGuild, a));
  ASSERT_OK(s().putTemplate(kOtherGuild, makeTemplate("other")));

  auto all = s().loadGuildTemplates(kGuild);
  ASSERT_OK(all);
  EXPECT_EQ(all->revision, 2u);
  ASSERT_EQ(all->templates.size(), 2u);
  EXPECT_EQ(all->templates[0].spec, a);
  EXPECT_EQ(all->templates[0].meta.revision, 2u);
  EXPECT_EQ(all->templates[1].spec, b);  // paused templates are included
  EXPECT_EQ(all->templates[1].meta.revision, 1u);

  auto empty = s().loadGuildTemplates(GuildId{5});
  ASSERT_OK(empty);
  EXPECT_EQ(empty->revision, 0u);
  EXPECT_TRUE(empty->templates.empty());
}

TEST_P(StorageConformance, GuildsAreIsolated) {
  ASSERT_OK(s().putTemplate(kGuild, makeTemplate("shared-name", "return 'mine'")));
  ASSERT_OK(s().putTemplate(kMaxGuild, makeTemplate("shared-name", "return 'max'")));
  ASSERT_OK(s().kvSet(kGuild, "", "k", "1"));
  ASSERT_OK(s().kvSet(kMaxGuild, "", "k", "2"));

  auto mine = s().getTemplate(kGuild, "shared-name");
  ASSERT_OK(mine);
  EXPECT_EQ(mine->spec.files.at("init.lua"), "return 'mine'");
  auto max = s().getTemplate(kMaxGuild, "shared-name");
  ASSERT_OK(max);
  EXPECT_EQ(max->spec.files.at("init.lua"), "return 'max'");
  EXPECT_EQ(max->meta.revision, 1u);

  EXPECT_EQ(s().kvGet(kGuild, "", "k").value(), "1");
  EXPECT_EQ(s().kvGet(kMaxGuild, "", "k").value(), "2");
  EXPECT_EQ(s().kvGet(kOtherGuild, "", "k").value(), std::nullopt);
  ASSERT_OK(s().deleteTemplate(kMaxGuild, "shared-name"));
  ASSERT_OK(s().getTemplate(kGuild, "shared-name"));
}

TEST_P(StorageConformance, TemplateNamesAreValidated) {
  for (const std::string& good : std::vector<std::string>{"a", "A.b-c_9", std::string(64, 'x')}) {
    EXPECT_TRUE(validateTemplateName(good).ok()) << good;
    ASSERT_OK(s().putTemplate(kGuild, makeTemplate(good)));
  }
  for (const std::string& bad :
       std::vector<std::string>{"", std::string(65, 'x'), "a b", "a/b", ".", "..", "caf\xC3\xA9", "x\ny"}) {
    SCOPED_TRACE(bad);
    EXPECT_ERROR(s().putTemplate(kGuild, makeTemplate(bad)), ErrorKind::kBadInput);
    EXPECT_ERROR(s().getTemplate(kGuild, bad), ErrorKind::kBadInput);
    EXPECT_ERROR(s().deleteTemplate(kGuild, bad), ErrorKind::kBadInput);
  }
}

TEST_P(StorageConformance, TemplateContentsAreValidated) {
  auto withFiles = [](TemplateFiles files) {
    Template t = makeTemplate("t");
    t.files = std::move(files);
    return t;
  };
  EXPECT_ERROR(s().putTemplate(kGuild, withFiles({})), ErrorKind::kBadInput);
  EXPECT_ERROR(s().putTemplate(kGuild, withFiles({{"main.lua", "x"}})), ErrorKind::kBadInput);
  EXPECT_ERROR(s().putTemplate(kGuild, withFiles({{"init.lua", "x"}, {"init.luau", "y"}})), ErrorKind::kBadInput);
  for (const char* path : {"../x.lua", "/abs.lua", "a//b.lua", "a/./b.lua", "a/", "sp ace.lua", "back\\slash"}) {
    SCOPED_TRACE(path);
    EXPECT_ERROR(s().putTemplate(kGuild, withFiles({{"init.lua", "x"}, {path, "y"}})), ErrorKind::kBadInput);
  }
  EXPECT_ERROR(s().putTemplate(kGuild, withFiles({{"init.lua", std::string("a\0b", 3)}})), ErrorKind::kBadInput);
  EXPECT_ERROR(s().putTemplate(kGuild, withFiles({{"init.lua", "\xFF\xFE"}})), ErrorKind::kBadInput);
  ASSERT_OK(s().putTemplate(kGuild, withFiles({{"init.luau", "print('h\xC3\xA9llo \xF0\x9F\x98\x80')"}})));

  Template badEvent = makeTemplate("t");
  badEvent.events.insert("has space");
  EXPECT_ERROR(s().putTemplate(kGuild, badEvent), ErrorKind::kBadInput);
  Template badCapability = makeTemplate("t");
  badCapability.capabilities.insert("");
  EXPECT_ERROR(s().putTemplate(kGuild, badCapability), ErrorKind::kBadInput);
  EXPECT_ERROR(s().putTemplate(GuildId{0}, makeTemplate("t")), ErrorKind::kBadInput);
}

TEST_P(StorageConformance, TemplateLimitsAreEnforced) {
  StorageLimits limits;
  limits.maxTemplatesPerGuild = 2;
  limits.maxFilesPerTemplate = 3;
  limits.maxTemplateBytes = 100;
  limits.maxEventsPerTemplate = 2;
  limits.maxCapabilitiesPerTemplate = 3;
  storage_ = open(limits);
  ASSERT_NE(storage_, nullptr);

  ASSERT_OK(s().putTemplate(kGuild, makeTemplate("one")));
  ASSERT_OK(s().putTemplate(kGuild, makeTemplate("two")));
  EXPECT_ERROR(s().putTemplate(kGuild, makeTemplate("three")), ErrorKind::kLimitExceeded);
  ASSERT_OK(s().putTemplate(kGuild, makeTemplate("two", "return 'replacing is fine'")));
  ASSERT_OK(s().putTemplate(kOtherGuild, makeTemplate("three")));  // the limit is per guild

  Template big = makeTemplate("one", std::string(101, 'x'));
  EXPECT_ERROR(s().putTemplate(kGuild, big), ErrorKind::kLimitExceeded);
  Template manyFiles = makeTemplate("one");
  manyFiles.files["a.lua"] = "";
  manyFiles.files["b.lua"] = "";
  EXPECT_ERROR(s().putTemplate(kGuild, manyFiles), ErrorKind::kLimitExceeded);
  Template manyEvents = makeTemplate("one");
  manyEvents.events.insert("THIRD");
  EXPECT_ERROR(s().putTemplate(kGuild, manyEvents), ErrorKind::kLimitExceeded);
  Template manyCapabilities = makeTemplate("one");
  manyCapabilities.capabilities.insert("json:*");
  EXPECT_ERROR(s().putTemplate(kGuild, manyCapabilities), ErrorKind::kLimitExceeded);

  auto revision = s().templateRevision(kGuild);
  ASSERT_OK(revision);
  EXPECT_EQ(*revision, 3u);  // refused writes leave no trace
}

// ---------------------------------------------------------------------------------------------------------
// KV

TEST_P(StorageConformance, KvSetGetDelete) {
  EXPECT_EQ(s().kvGet(kGuild, "", "missing").value(), std::nullopt);
  ASSERT_OK(s().kvSet(kGuild, "", "counter", "1"));
  EXPECT_EQ(s().kvGet(kGuild, "", "counter").value(), "1");
  ASSERT_OK(s().kvSet(kGuild, "", "counter", "{\"n\": 2, \"s\": \"\xC3\xA9\\u0000\"}"));
  EXPECT_EQ(s().kvGet(kGuild, "", "counter").value(), "{\"n\": 2, \"s\": \"\xC3\xA9\\u0000\"}");

  auto deleted = s().kvDelete(kGuild, "", "counter");
  ASSERT_OK(deleted);
  EXPECT_TRUE(*deleted);
  EXPECT_EQ(s().kvGet(kGuild, "", "counter").value(), std::nullopt);
  auto again = s().kvDelete(kGuild, "", "counter");
  ASSERT_OK(again);
  EXPECT_FALSE(*again);
}

TEST_P(StorageConformance, KvScopesAreSeparate) {
  ASSERT_OK(s().kvSet(kGuild, "", "k", "\"default\""));
  ASSERT_OK(s().kvSet(kGuild, "template:a", "k", "\"a\""));
  ASSERT_OK(s().kvSet(kGuild, "template:b", "other", "\"b\""));
  EXPECT_EQ(s().kvGet(kGuild, "", "k").value(), "\"default\"");
  EXPECT_EQ(s().kvGet(kGuild, "template:a", "k").value(), "\"a\"");
  EXPECT_EQ(s().kvGet(kGuild, "template:b", "k").value(), std::nullopt);

  auto page = s().kvList(kGuild, "template:a", {});
  ASSERT_OK(page);
  EXPECT_EQ(page->entries, (std::vector<KvEntry>{{"k", "\"a\""}}));
  ASSERT_OK(s().kvDelete(kGuild, "", "k"));
  EXPECT_EQ(s().kvGet(kGuild, "template:a", "k").value(), "\"a\"");
}

TEST_P(StorageConformance, KvListIsByteOrderedFilteredByPrefixAndPaged) {
  const std::vector<std::string> keys{"a",  "a/1", "a/2", "a0", "ab", "B",  "b", "b/1",
                                      "a\xC3\xA9", "a\x7F", "\xE2\x82\xAC", "a/10"};
  for (const auto& key : keys) ASSERT_OK(s().kvSet(kGuild, "s", key, "\"" + std::to_string(key.size()) + "\""));
  ASSERT_OK(s().kvSet(kGuild, "other", "a/3", "0"));

  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  auto keysOf = [](const KvPage& page) {
    std::vector<std::string> out;
    for (const auto& e : page.entries) out.push_back(e.key);
    return out;
  };

  auto all = s().kvList(kGuild, "s", {});
  ASSERT_OK(all);
  EXPECT_EQ(keysOf(*all), sorted(keys));
  EXPECT_FALSE(all->more);
  EXPECT_EQ(all->entries[0].value, "\"1\"");  // "B"

  auto slash = s().kvList(kGuild, "s", KvListOptions{.prefix = "a/", .startAfter = "", .limit = 100});
  ASSERT_OK(slash);
  EXPECT_EQ(keysOf(*slash), (std::vector<std::string>{"a/1", "a/10", "a/2"}));

  auto a = s().kvList(kGuild, "s", KvListOptions{.prefix = "a", .startAfter = "", .limit = 100});
  ASSERT_OK(a);
  EXPECT_EQ(keysOf(*a), (std::vector<std::string>{"a", "a/1", "a/10", "a/2", "a0", "ab", "a\x7F", "a\xC3\xA9"}));

  // Paging with the cursor visits every key once, in order.
  std::vector<std::string> visited;
  KvListOptions options{.prefix = "", .startAfter = "", .limit = 5};
  int pages = 0;
  while (true) {
    auto page = s().kvList(kGuild, "s", options);
    ASSERT_OK(page);
    ++pages;
    for (const auto& key : keysOf(*page)) visited.push_back(key);
    if (!page->more) break;
    options.startAfter = page->entries.back().key;
  }
  EXPECT_EQ(visited, sorted(keys));
  EXPECT_EQ(pages, 3);

  // A cursor before the prefix starts at the prefix; one past it yields nothing.
  auto early = s().kvList(kGuild, "s", KvListOptions{.prefix = "b", .startAfter = "a", .limit = 10});
  ASSERT_OK(early);
  EXPECT_EQ(keysOf(*early), (std::vector<std::string>{"b", "b/1"}));
  auto late = s().kvList(kGuild, "s", KvListOptions{.prefix = "a/", .startAfter = "b", .limit = 10});
  ASSERT_OK(late);
  EXPECT_TRUE(late->entries.empty());
  auto exact = s().kvList(kGuild, "s", KvListOptions{.prefix = "a/1", .startAfter = "", .limit = 1});
  ASSERT_OK(exact);
  EXPECT_EQ(keysOf(*exact), (std::vector<std::string>{"a/1"}));
  EXPECT_TRUE(exact->more);
}

TEST_P(StorageConformance, KvListLimitIsValidated) {
  EXPECT_ERROR(s().kvList(kGuild, "", KvListOptions{.prefix = "", .startAfter = "", .limit = 0}),
               ErrorKind::kBadInput);
  EXPECT_ERROR(s().kvList(kGuild, "", KvListOptions{.prefix = "", .startAfter = "", .limit = 1001}),
               ErrorKind::kBadInput);
  ASSERT_OK(s().kvList(kGuild, "", KvListOptions{.prefix = "", .startAfter = "", .limit = 1000}));
  EXPECT_ERROR(s().kvList(kGuild, "", KvListOptions{.prefix = "\xC3", .startAfter = "", .limit = 1}),
               ErrorKind::kBadInput);
}

TEST_P(StorageConformance, KvSizeLimitsHaveDefaultsAndClearErrors) {
  ASSERT_OK(s().kvSet(kGuild, "", std::string(256, 'k'), "1"));
  EXPECT_ERROR(s().kvSet(kGuild, "", std::string(257, 'k'), "1"), ErrorKind::kLimitExceeded);
  ASSERT_OK(s().kvSet(kGuild, "", "big", std::string(64 * 1024, 'v')));
  EXPECT_EQ(s().kvGet(kGuild, "", "big").value()->size(), 64u * 1024);
  auto tooBig = s().kvSet(kGuild, "", "big", std::string(64 * 1024 + 1, 'v'));
  EXPECT_ERROR(tooBig, ErrorKind::kLimitExceeded);
  EXPECT_NE(tooBig.error().message.find("65536"), std::string::npos) << tooBig.error().message;
  EXPECT_EQ(s().kvGet(kGuild, "", "big").value()->size(), 64u * 1024);  // the old value stays

  EXPECT_ERROR(s().kvSet(kGuild, std::string(65, 's'), "k", "1"), ErrorKind::kLimitExceeded);
  EXPECT_ERROR(s().kvSet(kGuild, "", "", "1"), ErrorKind::kBadInput);
  EXPECT_ERROR(s().kvSet(kGuild, "", std::string("a\0b", 3), "1"), ErrorKind::kBadInput);
  EXPECT_ERROR(s().kvSet(kGuild, "", "k", "\"\xC0\xAF\""), ErrorKind::kBadInput);  // overlong UTF-8
  EXPECT_ERROR(s().kvSet(kGuild, "", "k", "\"\xED\xA0\x80\""), ErrorKind::kBadInput);  // a surrogate
  EXPECT_ERROR(s().kvSet(kGuild, "\xFF", "k", "1"), ErrorKind::kBadInput);
  EXPECT_ERROR(s().kvGet(kGuild, "", std::string(257, 'k')), ErrorKind::kLimitExceeded);
  EXPECT_ERROR(s().kvDelete(kGuild, "", ""), ErrorKind::kBadInput);
  EXPECT_ERROR(s().kvSet(GuildId{0}, "", "k", "1"), ErrorKind::kBadInput);
}

TEST_P(StorageConformance, KvSizeLimitsAreConfigurable) {
  StorageLimits limits;
  limits.maxKeyBytes = 4;
  limits.maxValueBytes = 8;
  limits.maxScopeBytes = 2;
  storage_ = open(limits);
  ASSERT_NE(storage_, nullptr);
  ASSERT_OK(s().kvSet(kGuild, "ab", "abcd", "12345678"));
  EXPECT_ERROR(s().kvSet(kGuild, "ab", "abcde", "1"), ErrorKind::kLimitExceeded);
  EXPECT_ERROR(s().kvSet(kGuild, "ab", "abcd", "123456789"), ErrorKind::kLimitExceeded);
  EXPECT_ERROR(s().kvSet(kGuild, "abc", "abcd", "1"), ErrorKind::kLimitExceeded);
}

TEST_P(StorageConformance, KvUsageCountsKeysAndBytesOverAllScopes) {
  auto usage = [&] { return s().kvUsage(kGuild).value(); };
  EXPECT_EQ(usage(), (KvUsage{0, 0}));
  ASSERT_OK(s().kvSet(kGuild, "", "a", "123"));         // 0 + 1 + 3
  ASSERT_OK(s().kvSet(kGuild, "sc", "bb", "12345"));    // 2 + 2 + 5
  EXPECT_EQ(usage(), (KvUsage{2, 13}));
  ASSERT_OK(s().kvSet(kGuild, "", "a", "1"));           // overwrite: 4 -> 2
  EXPECT_EQ(usage(), (KvUsage{2, 11}));
  ASSERT_OK(s().kvSet(kOtherGuild, "", "a", "1"));
  auto deleted = s().kvDelete(kGuild, "sc", "bb");
  ASSERT_OK(deleted);
  EXPECT_EQ(usage(), (KvUsage{1, 2}));
  ASSERT_OK(s().kvDelete(kGuild, "sc", "bb"));  // absent: nothing changes
  EXPECT_EQ(usage(), (KvUsage{1, 2}));
  EXPECT_EQ(s().kvUsage(kOtherGuild).value(), (KvUsage{1, 2}));
}

TEST_P(StorageConformance, KvQuotasRefuseGrowthButAllowShrinking) {
  StorageLimits limits;
  limits.maxKeysPerGuild = 3;
  limits.maxBytesPerGuild = 30;
  storage_ = open(limits);
  ASSERT_NE(storage_, nullptr);

  ASSERT_OK(s().kvSet(kGuild, "", "k1", "1"));
  ASSERT_OK(s().kvSet(kGuild, "", "k2", "1"));
  ASSERT_OK(s().kvSet(kGuild, "", "k3", "1"));  // 3 keys, 9 bytes
  EXPECT_ERROR(s().kvSet(kGuild, "", "k4", "1"), ErrorKind::kLimitExceeded);
  ASSERT_OK(s().kvSet(kGuild, "", "k3", "2"));  // overwriting needs no new key
  ASSERT_OK(s().kvSet(kOtherGuild, "", "k4", "1"));  // quotas are per guild

  ASSERT_OK(s().kvSet(kGuild, "", "k1", std::string(19, 'x')));  // 27 bytes
  EXPECT_ERROR(s().kvSet(kGuild, "", "k2", "12345"), ErrorKind::kLimitExceeded);  // would be 31
  EXPECT_EQ(s().kvGet(kGuild, "", "k2").value(), "1");
  EXPECT_EQ(s().kvUsage(kGuild).value(), (KvUsage{3, 27}));
  ASSERT_OK(s().kvSet(kGuild, "", "k1", "1234567890"));  // shrinking is allowed: 27 -> 18 bytes
  ASSERT_OK(s().kvDelete(kGuild, "", "k3"));
  ASSERT_OK(s().kvSet(kGuild, "", "k4", "1"));
  EXPECT_EQ(s().kvUsage(kGuild).value(), (KvUsage{3, 18}));
}

// ---------------------------------------------------------------------------------------------------------
// Schema, persistence

TEST_P(StorageConformance, FreshDatabaseIsAtTheLatestSchema) {
  auto schema = s().schemaVersion();
  ASSERT_OK(schema);
  EXPECT_GE(schema->latest, 1);
  EXPECT_EQ(schema->current, schema->latest);
}

TEST_P(StorageConformance, ReopeningFindsEverythingAgain) {
  if (!GetParam().persistent) GTEST_SKIP() << "data does not outlive this backend's Storage";
  Template t = makeTemplate("kept");
  ASSERT_OK(s().putTemplate(kGuild, t));
  ASSERT_OK(s().putTemplate(kGuild, makeTemplate("gone")));
  ASSERT_OK(s().deleteTemplate(kGuild, "gone"));
  ASSERT_OK(s().kvSet(kMaxGuild, "scope", "key", "[1,2,3]"));
  auto schema = s().schemaVersion().value();

  storage_.reset();
  storage_ = open();
  ASSERT_NE(storage_, nullptr);
  auto all = s().loadGuildTemplates(kGuild);
  ASSERT_OK(all);
  EXPECT_EQ(all->revision, 3u);
  ASSERT_EQ(all->templates.size(), 1u);
  EXPECT_EQ(all->templates[0].spec, t);
  EXPECT_EQ(s().kvGet(kMaxGuild, "scope", "key").value(), "[1,2,3]");
  EXPECT_EQ(s().kvUsage(kMaxGuild).value(), (KvUsage{1, 15}));
  auto reopened = s().schemaVersion();
  ASSERT_OK(reopened);
  EXPECT_EQ(reopened->current, schema.current);

  auto put = s().putTemplate(kGuild, makeTemplate("new"));
  ASSERT_OK(put);
  EXPECT_EQ(put->meta.revision, 4u);
}

// ---------------------------------------------------------------------------------------------------------
// Concurrency

TEST_P(StorageConformance, ConcurrentKvWritersAndReadersLoseNothing) {
  constexpr int kThreads = 4;
  constexpr int kKeysPerThread = 100;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kKeysPerThread; ++i) {
        std::string key = "t" + std::to_string(t) + "-" + std::to_string(i);
        if (!s().kvSet(kGuild, "c", key, std::to_string(i)).ok()) ++failures;
        auto got = s().kvGet(kGuild, "c", key);
        if (!got.ok() || got.value() != std::to_string(i)) ++failures;
        // Read another thread's keys while it writes them.
        std::string theirs = "t" + std::to_string((t + 1) % kThreads) + "-" + std::to_string(i);
        auto other = s().kvGet(kGuild, "c", theirs);
        if (!other.ok() || (other.value() && *other.value() != std::to_string(i))) ++failures;
        if (!s().kvList(kGuild, "c", KvListOptions{.prefix = "t", .startAfter = "", .limit = 10}).ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(s().kvUsage(kGuild).value().keys, std::uint64_t{kThreads * kKeysPerThread});
  std::size_t listed = 0;
  KvListOptions options{.prefix = "", .startAfter = "", .limit = 1000};
  auto page = s().kvList(kGuild, "c", options);
  ASSERT_OK(page);
  listed = page->entries.size();
  EXPECT_EQ(listed, std::size_t{kThreads * kKeysPerThread});
}

TEST_P(StorageConformance, ConcurrentTemplateWritesGetDistinctRevisions) {
  constexpr int kThreads = 4;
  constexpr int kPutsPerThread = 20;
  std::vector<std::vector<Revision>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPutsPerThread; ++i) {
        auto put = s().putTemplate(kGuild, makeTemplate("t" + std::to_string(t), "return " + std::to_string(i)));
        if (put.ok()) seen[static_cast<std::size_t>(t)].push_back(put->meta.revision);
        auto all = s().loadGuildTemplates(kGuild);
        if (all.ok()) {
          for (const auto& tmpl : all->templates) EXPECT_LE(tmpl.meta.revision, all->revision);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<Revision> distinct;
  for (const auto& revisions : seen) {
    EXPECT_TRUE(std::is_sorted(revisions.begin(), revisions.end()));
    distinct.insert(revisions.begin(), revisions.end());
  }
  EXPECT_EQ(distinct.size(), std::size_t{kThreads * kPutsPerThread});
  EXPECT_EQ(*distinct.rbegin(), Revision{kThreads * kPutsPerThread});
  EXPECT_EQ(s().templateRevision(kGuild).value(), Revision{kThreads * kPutsPerThread});
}

// ---------------------------------------------------------------------------------------------------------
// AsyncStorage

TEST_P(StorageConformance, AsyncDeliversOnTheGivenExecutor) {
  boost::asio::io_context loop;  // outlives `async` (see AsyncStorage's lifetime rule)
  AsyncStorage async(s(), AsyncStorageOptions{.threads = 2, .maxPending = 16});
  auto work = boost::asio::make_work_guard(loop);
  std::promise<std::thread::id> loopThread;
  std::thread runner([&] {
    loopThread.set_value(std::this_thread::get_id());
    loop.run();
  });
  const std::thread::id loopId = loopThread.get_future().get();

  std::promise<void> stored;
  std::atomic<bool> callOnLoop{true};
  async.submit(
      loop.get_executor(),
      [&](Storage& storage) {
        callOnLoop = std::this_thread::get_id() == loopId;
        return storage.kvSet(kGuild, "", "k", "\"v\"");
      },
      [&](Status status) {
        EXPECT_TRUE(status.ok());
        EXPECT_TRUE(loop.get_executor().running_in_this_thread());
        stored.set_value();
      });
  stored.get_future().get();
  EXPECT_FALSE(callOnLoop.load());  // the blocking call ran on the pool, not on the loop

  std::promise<std::optional<std::string>> got;
  async.submit(
      loop.get_executor(), [](Storage& storage) { return storage.kvGet(kGuild, "", "k"); },
      [&](Result<std::optional<std::string>> r) {
        EXPECT_EQ(std::this_thread::get_id(), loopId);
        got.set_value(r.ok() ? r.value() : std::nullopt);
      });
  EXPECT_EQ(got.get_future().get(), "\"v\"");

  work.reset();
  runner.join();
}

TEST_P(StorageConformance, AsyncKeepsTheLoopAliveUntilTheHandlerRan) {
  boost::asio::io_context loop;  // no work guard: only the pending call keeps run() going
  AsyncStorage async(s(), AsyncStorageOptions{.threads = 1, .maxPending = 16});
  bool handled = false;
  async.submit(
      loop.get_executor(), [](Storage& storage) { return storage.kvUsage(kGuild); },
      [&](Result<KvUsage> r) {
        EXPECT_TRUE(r.ok());
        handled = true;
      });
  loop.run();
  EXPECT_TRUE(handled);
}

TEST_P(StorageConformance, AsyncFailsFastWhenFull) {
  boost::asio::io_context loop;
  AsyncStorage async(s(), AsyncStorageOptions{.threads = 1, .maxPending = 1});
  auto work = boost::asio::make_work_guard(loop);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;

  std::vector<std::string> outcomes;  // "ok" or the error kind; touched on the loop only
  async.submit(
      loop.get_executor(),
      [&](Storage& storage) {
        started.set_value();
        released.wait();
        return storage.kvSet(kGuild, "", "k", "1");
      },
      [&](Status status) { outcomes.push_back(status.ok() ? "ok" : std::string(kindName(status.error().kind))); });
  started.get_future().wait();
  std::string rejection;
  async.submit(
      loop.get_executor(), [](Storage& storage) { return storage.kvSet(kGuild, "", "k2", "1"); },
      [&](Status status) {
        ASSERT_FALSE(status.ok());
        outcomes.push_back(std::string(kindName(status.error().kind)));
        rejection = status.error().message;
      });
  EXPECT_EQ(async.rejected(), 1u);
  loop.run_one();  // the rejection arrives without waiting for the blocked call
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0], "unavailable");
  EXPECT_NE(rejection.find("pending"), std::string::npos) << rejection;

  release.set_value();
  loop.run_one();
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[1], "ok");
  EXPECT_EQ(s().kvGet(kGuild, "", "k").value(), "1");
  EXPECT_EQ(s().kvGet(kGuild, "", "k2").value(), std::nullopt);
}

TEST_P(StorageConformance, AsyncShutdownDrainsAdmittedCallsAndRefusesNewOnes) {
  boost::asio::io_context loop;
  constexpr int kCalls = 50;
  int completed = 0;
  {
    AsyncStorage async(s(), AsyncStorageOptions{.threads = 2, .maxPending = kCalls});
    for (int i = 0; i < kCalls; ++i) {
      async.submit(
          loop.get_executor(),
          [i](Storage& storage) { return storage.kvSet(kGuild, "", "k" + std::to_string(i), "1"); },
          [&](Status status) {
            EXPECT_TRUE(status.ok());
            ++completed;
          });
    }
    async.shutdown();
    EXPECT_EQ(async.pending(), 0u);
    bool refused = false;
    async.submit(
        loop.get_executor(), [](Storage& storage) { return storage.kvUsage(kGuild); },
        [&](Result<KvUsage> r) {
          ASSERT_FALSE(r.ok());
          EXPECT_EQ(r.error().kind, ErrorKind::kUnavailable);
          refused = true;
        });
    loop.run();
    EXPECT_TRUE(refused);
  }
  EXPECT_EQ(completed, kCalls);
  EXPECT_EQ(s().kvUsage(kGuild).value().keys, std::uint64_t{kCalls});
}

TEST_P(StorageConformance, AsyncTurnsExceptionsIntoInternalErrors) {
  boost::asio::io_context loop;
  AsyncStorage async(s(), AsyncStorageOptions{});
  std::optional<Error> error;
  async.submit(
      loop.get_executor(), [](Storage&) -> Result<int> { throw std::runtime_error("boom"); },
      [&](Result<int> r) {
        ASSERT_FALSE(r.ok());
        error = r.error();
      });
  loop.run();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind, ErrorKind::kInternal);
  EXPECT_NE(error->message.find("boom"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------------------
// Durability: a child process writes and reports each acknowledged write; after SIGKILL every reported
// write is found.

struct ChildRun {
  std::vector<std::string> acknowledged;
  int status = 0;
};

ChildRun runWriterUntilKilled(const StorageConfig& config, std::string_view durability, std::size_t killAfter) {
  ChildRun run;
  int fds[2];
  if (::pipe(fds) != 0) {
    ADD_FAILURE() << "pipe failed";
    return run;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  std::string program = TW_DURABILITY_WRITER;
  std::vector<std::string> args{program, std::string(backendName(config.backend)), config.location,
                                std::string(durability), "3"};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ADD_FAILURE() << "cannot start " << program << ": " << std::strerror(rc);
    ::close(fds[0]);
    return run;
  }
  FILE* in = ::fdopen(fds[0], "r");
  char* line = nullptr;
  std::size_t capacity = 0;
  bool killed = false;
  ssize_t n = 0;
  while ((n = ::getline(&line, &capacity, in)) > 0) {
    if (line[n - 1] != '\n') break;  // a partial line: the child died mid-write, not acknowledged
    run.acknowledged.emplace_back(line, static_cast<std::size_t>(n - 1));
    if (!killed && run.acknowledged.size() >= killAfter) {
      ::kill(pid, SIGKILL);  // lines already in the pipe are still read below
      killed = true;
    }
  }
  std::free(line);
  std::fclose(in);
  ::waitpid(pid, &run.status, 0);
  return run;
}

TEST_P(StorageConformance, AcknowledgedKvWritesSurviveSigkill) {
  if (!GetParam().persistent) GTEST_SKIP() << "data does not outlive this backend's Storage";
  storage_.reset();  // the child owns the database now
  for (std::string_view durability : {"power-loss", "process-crash"}) {
    SCOPED_TRACE(std::string(durability));
    StorageConfig c = config();
    c.location = (dir_ / (std::string(durability) + ".db")).string();
    ChildRun run = runWriterUntilKilled(c, durability, 300);
    ASSERT_TRUE(WIFSIGNALED(run.status) && WTERMSIG(run.status) == SIGKILL)
        << "the writer ended on its own (status " << run.status << ") instead of being killed mid-write";
    ASSERT_GE(run.acknowledged.size(), 300u);

    auto reopened = openStorage(c);
    ASSERT_OK(reopened);
    Storage& storage = **reopened;
    std::size_t missing = 0;
    for (const auto& key : run.acknowledged) {
      long i = std::stol(key.substr(key.rfind('-') + 1));
      auto value = storage.kvGet(GuildId{42}, "durability", key);
      ASSERT_OK(value);
      if (value.value() != durabilityTestValue(key, i)) ++missing;
    }
    EXPECT_EQ(missing, 0u) << "of " << run.acknowledged.size() << " acknowledged writes";
    auto usage = storage.kvUsage(GuildId{42});
    ASSERT_OK(usage);
    EXPECT_GE(usage->keys, run.acknowledged.size());  // a write may land without being acknowledged
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, StorageConformance, ::testing::ValuesIn(backends()),
                         [](const ::testing::TestParamInfo<BackendCase>& param) { return param.param.name; });

}  // namespace
}  // namespace tw::storage
