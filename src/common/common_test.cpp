#include <gtest/gtest.h>

#include "common/assert.h"
#include "common/ids.h"
#include "common/result.h"

namespace tw {
namespace {

TEST(GuildIdTest, ParsesSnowflakes) {
  EXPECT_EQ(parseGuildId("1090011223344556600")->value, 1090011223344556600ULL);
  EXPECT_EQ(parseGuildId("18446744073709551615")->value, 18446744073709551615ULL);
  EXPECT_FALSE(parseGuildId("18446744073709551616"));  // overflows 64 bits
  EXPECT_FALSE(parseGuildId(""));
  EXPECT_FALSE(parseGuildId("0"));
  EXPECT_FALSE(parseGuildId("012"));
  EXPECT_FALSE(parseGuildId("-1"));
  EXPECT_FALSE(parseGuildId("12a"));
  EXPECT_FALSE(parseGuildId(" 12"));
}

TEST(ResultTest, CarriesValueOrError) {
  Result<int> good = 3;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good.value(), 3);
  Result<int> bad = makeError(ErrorKind::kTimeout, "too slow");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(kindName(bad.error().kind), "timeout");
  Status s;
  EXPECT_TRUE(s.ok());
}

TEST(AssertTest, CheckThrowsInvariantError) {
  EXPECT_THROW(TW_CHECK(1 + 1 == 3, "math"), InvariantError);
  EXPECT_NO_THROW(TW_CHECK(true));
}

}  // namespace
}  // namespace tw

#include "common/json_text.h"
#include "common/thread.h"

namespace tw {
namespace {

TEST(JsonTextTest, EscapesAndReplacesInvalidUtf8) {
  std::string out;
  appendJsonString(out, std::string_view("a\"b\\c\n\x01\xC3\xA9\xFF", 10));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001\xC3\xA9\xEF\xBF\xBD\"");
}

TEST(ThreadTest, RunsWithTheRequestedStack) {
  std::size_t seen = 0;
  {
    Thread t("test", 20u << 20, [&] {
      pthread_attr_t attr;
      pthread_getattr_np(pthread_self(), &attr);
      pthread_attr_getstacksize(&attr, &seen);
      pthread_attr_destroy(&attr);
    });
  }
  EXPECT_GE(seen, 20u << 20);
}

}  // namespace
}  // namespace tw
