#include "reference/base/json_text.h"

#include <gtest/gtest.h>

#include <string>

namespace ssai {
namespace {

TEST(JsonTextTest, NestingWithinTheLimitPasses) {
  EXPECT_TRUE(CheckJsonNesting(R"({"a": [1, {"b": [[]]}]})", 5).ok());
  EXPECT_FALSE(CheckJsonNesting(R"({"a": [1, {"b": [[]]}]})", 4).ok());
  EXPECT_TRUE(CheckJsonNesting(std::string(64, '[') + std::string(64, ']')).ok());
}

TEST(JsonTextTest, TooDeepIsRefusedWithTheOffset) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const Status s = CheckJsonNesting(deep);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "JSON nested deeper than 64 levels at byte 64");
  EXPECT_FALSE(CheckJsonNesting(R"({"a":{"b":{}}})", 2).ok());
}

TEST(JsonTextTest, BracketsInsideStringsDoNotCount) {
  EXPECT_TRUE(CheckJsonNesting(R"(["[[[[", "\"[[[[", "{{{{"])", 1).ok());
  EXPECT_FALSE(CheckJsonNesting(R"(["\\", [[]]])", 2).ok());  // the string ends after an escaped backslash
}

}  // namespace
}  // namespace ssai
