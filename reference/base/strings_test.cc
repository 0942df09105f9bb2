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

TEST(StringsTest, Utf8) {
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x8E\xAC"));
  EXPECT_FALSE(IsValidUtf8("\x80"));
  EXPECT_FALSE(IsValidUtf8("caf\xC3"));            // cut at a length limit
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_EQ(EscapeInvalidUtf8("ok \xE2\x82\xAC"), "ok \xE2\x82\xAC");
  EXPECT_EQ(EscapeInvalidUtf8("al-\x80.json"), "al-\\x80.json");
  EXPECT_EQ(EscapeInvalidUtf8("caf\xC3"), "caf\\xC3");
  EXPECT_TRUE(IsValidUtf8(EscapeInvalidUtf8("\xFF\xFE\xC3\x28")));
}

}  // namespace
}  // namespace ssai
