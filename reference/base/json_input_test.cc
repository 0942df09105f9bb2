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

TEST(JsonFieldsTest, ReadsTypedFieldsAndNamesEveryError) {
  const nlohmann::json j = nlohmann::json::parse(
      R"({"ttl": 90000, "rate": 0, "name": 7, "on": "yes", "count": 2.5, "big": 18446744073709551615, "ok": 3,
          "s": "x", "b": true, "d": 0.25})");
  JsonFields f(j, "scenario.kv");
  double d = -1;
  EXPECT_EQ(f.Number("ttl", &d, {.min = 0, .max = 86400}).message(), "scenario.kv.ttl: must be in [0, 86400], got 90000");
  EXPECT_EQ(f.Number("rate", &d, {.min = 0, .max = 1, .open_min = true}).message(),
            "scenario.kv.rate: must be in (0, 1], got 0");
  EXPECT_EQ(f.Number("s", &d).message(), "scenario.kv.s: must be a number, got string");
  EXPECT_EQ(d, -1);  // untouched by every failed read
  ASSERT_TRUE(f.Number("d", &d, {.min = 0, .max = 1}).ok());
  EXPECT_EQ(d, 0.25);
  ASSERT_TRUE(f.Number("absent", &d).ok());  // absent: the default stands
  EXPECT_EQ(d, 0.25);
  EXPECT_EQ(f.Number("absent", &d, {.required = true}).message(), "scenario.kv.absent: missing");

  int64_t i = 0;
  EXPECT_EQ(f.Integer("count", &i).message(), "scenario.kv.count: must be an integer, got 2.5");
  EXPECT_EQ(f.Integer("big", &i).message(), "scenario.kv.big: must be in [..., ...], got 18446744073709551615");
  int small = 0;
  EXPECT_EQ(f.Integer("ttl", &small, {.min = 1, .max = 1000}).message(), "scenario.kv.ttl: must be in [1, 1000], got 90000");
  ASSERT_TRUE(f.Integer("ok", &small, {.min = 1, .max = 1000}).ok());
  EXPECT_EQ(small, 3);
  uint8_t byte = 0;
  EXPECT_EQ(f.Integer("ttl", &byte).message(), "scenario.kv.ttl: must be in [0, 255], got 90000");

  std::string str;
  EXPECT_EQ(f.String("name", &str).message(), "scenario.kv.name: must be a string, got 7");
  EXPECT_EQ(f.String("absent", &str, /*required=*/true).message(), "scenario.kv.absent: missing");
  ASSERT_TRUE(f.String("s", &str).ok());
  EXPECT_EQ(str, "x");
  bool b = false;
  EXPECT_EQ(f.Bool("on", &b).message(), "scenario.kv.on: must be true or false, got string");
  ASSERT_TRUE(f.Bool("b", &b).ok());
  EXPECT_TRUE(b);

  // Not an object: nothing to read; CheckKnown says what it must be.
  const nlohmann::json arr = nlohmann::json::array();
  JsonFields g(arr, "x");
  EXPECT_TRUE(g.Number("a", &d).ok());
  EXPECT_EQ(g.CheckKnown({"a"}).message(), "x: must be a JSON object");
}

}  // namespace
}  // namespace ssai
