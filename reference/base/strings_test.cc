#include "reference/base/strings.h"

#include <gtest/gtest.h>

namespace ssai {
namespace {

TEST(StringsTest, Numbers) {
  EXPECT_EQ(ParseInt64("42"), 42);
  EXPECT_EQ(ParseInt64("+7"), 7);
  EXPECT_EQ(ParseInt64("4x"), std::nullopt);
  EXPECT_EQ(ParseInt64(""), std::nullopt);
  EXPECT_EQ(ParseDouble("6.006"), 6.006);
  EXPECT_EQ(ParseDouble("nope"), std::nullopt);
  EXPECT_EQ(FormatDouble(6.006), "6.006");
  EXPECT_EQ(FormatDouble(2.0), "2");
  std::string s;
  AppendFixed(6.0, 3, &s);
  EXPECT_EQ(s, "6.000");
  EXPECT_EQ(TrimWhitespace("  a b \r\n"), "a b");
}

}  // namespace
}  // namespace ssai
