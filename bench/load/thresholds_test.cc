#include "bench/load/thresholds.h"

#include <gtest/gtest.h>

namespace ssai::load {
namespace {

TEST(ThresholdsTest, ParsesMetricsOperatorsAndUnits) {
  Result<Threshold> t = ParseThreshold(" p99 < 5ms ");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->metric, "p99");
  EXPECT_EQ(t->op, "<");
  EXPECT_DOUBLE_EQ(t->limit, 5);
  EXPECT_DOUBLE_EQ(ParseThreshold("p50<=0.5s")->limit, 500);
  EXPECT_DOUBLE_EQ(ParseThreshold("max<250us")->limit, 0.25);
  EXPECT_DOUBLE_EQ(ParseThreshold("p95<12")->limit, 12);
  EXPECT_DOUBLE_EQ(ParseThreshold("error_rate<1%")->limit, 0.01);
  EXPECT_DOUBLE_EQ(ParseThreshold("error_rate<=0.02")->limit, 0.02);
  EXPECT_EQ(ParseThreshold("rate>=900")->op, ">=");
  EXPECT_EQ(ParseThreshold("rate>900/s")->op, ">");
}

TEST(ThresholdsTest, RefusesWhatItCannotReadNamingWhy) {
  struct Case {
    const char* text;
    const char* why;
  } cases[] = {{"p99", "no comparison"},        {"p98<5ms", "unknown metric 'p98'"},
               {"p99<fast", "no number"},       {"p99<5xs", "unknown unit 'xs'"},
               {"error_rate<5", "at most 1"},    {"rate>9 rps", "unknown unit 'rps'"},
               {"p99<-1ms", "out of range"}};
  for (const Case& c : cases) {
    Result<Threshold> t = ParseThreshold(c.text);
    ASSERT_FALSE(t.ok()) << c.text;
    EXPECT_NE(t.status().message().find(c.why), std::string::npos) << t.status().message();
    EXPECT_NE(t.status().message().find(std::string("'") + c.text + "'"), std::string::npos) << t.status().message();
  }
}

TEST(ThresholdsTest, EvaluatesOnARun) {
  LoadResult run;
  run.scheduled = 200;
  run.ok = 198;
  run.completed = 200;
  run.elapsed_s = 2;
  for (int i = 1; i <= 100; ++i) run.latency_us.Record(i * 100);  // 0.1 .. 10 ms
  std::vector<Threshold> ts;
  for (const char* s : {"p50<6ms", "p99<5ms", "error_rate<2%", "error_rate<0.5%", "rate>=100"}) {
    ts.push_back(ParseThreshold(s).value());
  }
  std::vector<ThresholdResult> r = EvaluateThresholds(ts, run);
  ASSERT_EQ(r.size(), 5u);
  EXPECT_TRUE(r[0].passed);
  EXPECT_FALSE(r[1].passed);
  EXPECT_TRUE(r[2].passed) << r[2].value;  // 2 of 200 failed = 1 %
  EXPECT_FALSE(r[3].passed);
  EXPECT_TRUE(r[4].passed) << r[4].value;  // 200 responses in 2 s
  const std::string text = RenderThresholds(r);
  EXPECT_NE(text.find("\u2713 p50<6ms  (p50 = "), std::string::npos) << text;
  EXPECT_NE(text.find("\u2717 p99<5ms  (p99 = "), std::string::npos) << text;
  EXPECT_NE(text.find("(error_rate = 1.000 %)"), std::string::npos) << text;
}

}  // namespace
}  // namespace ssai::load
