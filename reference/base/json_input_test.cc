#include "reference/base/json_input.h"

#include <string>

#include <gtest/gtest.h>

namespace ssai {
namespace {

TEST(ParseJsonInputTest, ParsesAndNamesTheDocument) {
  Result<nlohmann::json> j = ParseJsonInput(R"({"a": [1, 2]})", "x.json");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ((*j)["a"].size(), 2u);
  Result<nlohmann::json> bad = ParseJsonInput("{\"a\": ", "x.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().rfind("x.json: not valid JSON (parse error at line 1, column 7", 0), 0u)
      << bad.status().message();
}

TEST(ParseJsonInputTest, DeepNestingIsRefusedBeforeParsing) {
  // issue 13: 100,000 nested arrays crashed `ssai sim` (a recursive walk overflowed the stack).
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  Result<nlohmann::json> j = ParseJsonInput(deep, "scenario");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().message(), "scenario: JSON nested deeper than 64 levels at byte 64");
}

TEST(ParseJsonInputTest, InvalidUtf8InTheErrorIsEscaped) {
  Result<nlohmann::json> j = ParseJsonInput("\"\x80\"", "x");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().message().find('\x80'), std::string::npos) << j.status().message();
}

TEST(CheckKnownKeysTest, NamesTheUnknownKeyWithItsPath) {
  const nlohmann::json o = {{"omit_cue_in", true}, {"omit_cue_ins", true}};
  Status s = CheckKnownKeys(o, "scenario.origin", {"omit_cue_in", "repeat_cue"});
  EXPECT_EQ(s.message(), "scenario.origin.omit_cue_ins: unknown key (allowed: omit_cue_in, repeat_cue)");
  EXPECT_TRUE(CheckKnownKeys(o, "", {"omit_cue_in", "omit_cue_ins"}).ok());
  EXPECT_EQ(CheckKnownKeys(nlohmann::json::array(), "p", {}).message(), "p: must be a JSON object");
  // Documentation keys pass only when asked.
  const nlohmann::json doc = {{"_why", "x"}, {"comment", "y"}};
  EXPECT_TRUE(CheckKnownKeys(doc, "p", {}, /*doc_keys=*/true).ok());
  EXPECT_FALSE(CheckKnownKeys(doc, "p", {}).ok());
}

TEST(CatchJsonErrorsTest, TurnsLibraryExceptionsIntoStatus) {
  const nlohmann::json j = {{"n", "not a number"}};
  Result<int> r = CatchJsonErrors("doc", [&]() -> Result<int> { return j.at("n").get<int>(); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind("doc: type_error", 0), std::string::npos);  // prefix stripped
  EXPECT_EQ(r.status().message().rfind("doc: type must be number", 0), 0u) << r.status().message();
  Status s = CatchJsonErrors("doc", [&]() -> Status { (void)j.at("missing"); return Status::Ok(); });
  EXPECT_EQ(s.message().rfind("doc: key 'missing' not found", 0), 0u) << s.message();
}

}  // namespace
}  // namespace ssai
