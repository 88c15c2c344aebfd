#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "luau/luau.h"

namespace tw::luau {
namespace {

TEST(LuauCacheTest, SameSourceIsLoweredOnce) {
  LoweringCache cache;
  auto a = cache.lower("local x = 1 + 2\nreturn x", "a.luau");
  auto b = cache.lower("local x = 1 + 2\nreturn x", "b.luau");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a.value().get(), b.value().get());
  CacheStats stats = cache.stats();
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.entries, 1u);
  Result<std::string> direct = lower("local x = 1 + 2\nreturn x", "a.luau");
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(*a.value(), direct.value());
}

TEST(LuauCacheTest, ErrorsAreCachedAndNameTheCaller) {
  LoweringCache cache;
  SyntaxError where;
  auto a = cache.lower("if x x end", "init.luau", &where);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().kind, ErrorKind::kSyntaxError);
  EXPECT_EQ(a.error().message, "init.luau:1:6: expected 'then' near 'x'");
  auto b = cache.lower("if x x end", "other.luau", &where);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().message, "other.luau:1:6: expected 'then' near 'x'");
  EXPECT_EQ(where.file, "other.luau");
  EXPECT_EQ(where.column, 6u);
  EXPECT_EQ(cache.stats().misses, 1u);
}

TEST(LuauCacheTest, ConcurrentRequestsShareOneLowering) {
  LoweringCache cache;
  std::string source;
  for (int i = 0; i < 2000; ++i) source += "local v" + std::to_string(i) + " = `{" + std::to_string(i) + "}`\n";
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  std::vector<const std::string*> seen(16);
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        auto r = cache.lower(source, "shared.luau");
        if (r.ok()) {
          ++ok;
          seen[static_cast<std::size_t>(t)] = r.value().get();
        }
        auto own = cache.lower("return " + std::to_string(t * 1000 + round), "own.luau");
        (void)own;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 16 * 50);
  for (const std::string* p : seen) EXPECT_EQ(p, seen[0]);
  CacheStats stats = cache.stats();
  EXPECT_EQ(stats.misses, 1u + 16u * 50u);
}

TEST(LuauCacheTest, EvictsLeastRecentlyUsedPastTheBudget) {
  CacheOptions options;
  options.maxBytes = 4096;
  LoweringCache cache(options);
  std::string filler(600, ' ');
  for (int i = 0; i < 20; ++i) {
    auto r = cache.lower(filler + "return " + std::to_string(i), "x.luau");
    ASSERT_TRUE(r.ok());
  }
  CacheStats stats = cache.stats();
  EXPECT_LE(stats.bytes, options.maxBytes);
  EXPECT_GT(stats.evictions, 0u);
  EXPECT_LT(stats.entries, 20u);
  // The most recent entry is still cached; the first one is gone.
  auto recent = cache.lower(filler + "return 19", "x.luau");
  ASSERT_TRUE(recent.ok());
  EXPECT_EQ(cache.stats().misses, 20u);
  auto old = cache.lower(filler + "return 0", "x.luau");
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(cache.stats().misses, 21u);
  // A chunk larger than the whole budget is still returned (and not kept).
  auto huge = cache.lower(std::string(10000, ' ') + "return 1", "huge.luau");
  ASSERT_TRUE(huge.ok());
  EXPECT_LE(cache.stats().bytes, options.maxBytes);
}

}  // namespace
}  // namespace tw::luau
