#include "reference/base/time.h"

#include <gtest/gtest.h>

namespace ssai {
namespace {

TEST(TimeTest, ParsesSeedTimestamps) {
  // From the seed's AdBreakState example: KV expiration 1762233800 is startTime + 45 s + ~60 s.
  auto t = ParseIso8601("2025-11-04T05:21:34.000Z");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(*t, 1762233694LL * kMicrosPerSecond);
  EXPECT_EQ(FormatIso8601Millis(*t), "2025-11-04T05:21:34.000Z");
}

TEST(TimeTest, OffsetsAndFractions) {
  EXPECT_EQ(*ParseIso8601("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(*ParseIso8601("1970-01-01T00:00:00.123456789Z"), 123456);
  EXPECT_EQ(*ParseIso8601("1969-12-31T19:00:00-0500"), 0);
  EXPECT_EQ(FormatIso8601Millis(-1000), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIso8601Millis(*ParseIso8601("2024-02-29T23:59:59.5Z")), "2024-02-29T23:59:59.500Z");
}

TEST(TimeTest, RejectsWithPosition) {
  auto r = ParseIso8601("2025-13-01T00:00:00Z");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("month"), std::string::npos);
  EXPECT_FALSE(ParseIso8601("2025-02-29T00:00:00Z").ok());  // not a leap year
  EXPECT_FALSE(ParseIso8601("2025-01-01T00:00:00").ok());   // no zone
  EXPECT_FALSE(ParseIso8601("2025-01-01T00:00:00Zjunk").ok());
  EXPECT_FALSE(ParseIso8601("").ok());
}

TEST(TimeTest, CivilRoundTrip) {
  for (int64_t d = -800000; d < 800000; d += 997) {
    int64_t y;
    unsigned m, dd;
    CivilFromDays(d, &y, &m, &dd);
    EXPECT_EQ(DaysFromCivil(y, m, dd), d);
  }
}

}  // namespace
}  // namespace ssai
