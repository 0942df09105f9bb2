#include "bench/load/schedule.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace ssai::load {
namespace {

TEST(ScheduleTest, ConstantRateIsEvenlySpaced) {
  Result<std::vector<int64_t>> s = MakeSchedule(Arrival::kConstant, 1000, 2.0, 1);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->size(), 2000u);
  EXPECT_EQ((*s)[0], 0);
  EXPECT_EQ((*s)[1], 1000);
  EXPECT_EQ(s->back(), 1'999'000);
  Result<std::vector<int64_t>> odd = MakeSchedule(Arrival::kConstant, 3, 1.0, 1);
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(*odd, (std::vector<int64_t>{0, 333'333, 666'666}));
}

TEST(ScheduleTest, PoissonHasTheRateAndExponentialGaps) {
  Result<std::vector<int64_t>> s = MakeSchedule(Arrival::kPoisson, 2000, 10.0, 42);
  ASSERT_TRUE(s.ok());
  // 20,000 expected; the standard deviation of a Poisson count is sqrt(20,000) ~ 141.
  EXPECT_NEAR(static_cast<double>(s->size()), 20'000, 5 * 141);
  EXPECT_TRUE(std::is_sorted(s->begin(), s->end()));
  EXPECT_GE(s->front(), 0);
  EXPECT_LT(s->back(), 10'000'000);
  // Exponential gaps: the fraction above the mean is e^-1 ~ 0.368; the coefficient of variation 1.
  int64_t above_mean = 0;
  double sum = 0, sum_sq = 0;
  for (size_t i = 1; i < s->size(); ++i) {
    const double gap = static_cast<double>((*s)[i] - (*s)[i - 1]);
    above_mean += gap > 500 ? 1 : 0;
    sum += gap;
    sum_sq += gap * gap;
  }
  const double n = static_cast<double>(s->size() - 1);
  EXPECT_NEAR(above_mean / n, 0.368, 0.02);
  const double mean = sum / n;
  const double cv = std::sqrt(sum_sq / n - mean * mean) / mean;
  EXPECT_NEAR(cv, 1.0, 0.05);
}

TEST(ScheduleTest, SameSeedSameScheduleOtherSeedOther) {
  auto a = MakeSchedule(Arrival::kPoisson, 500, 3, 7);
  auto b = MakeSchedule(Arrival::kPoisson, 500, 3, 7);
  auto c = MakeSchedule(Arrival::kPoisson, 500, 3, 8);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
}

TEST(ScheduleTest, BadArgumentsAreNamed) {
  auto r = MakeSchedule(Arrival::kConstant, 0, 1, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("rate"), std::string::npos);
  r = MakeSchedule(Arrival::kConstant, 10, -1, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("duration"), std::string::npos);
  r = MakeSchedule(Arrival::kPoisson, 1e9, 100, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("rate x duration"), std::string::npos);
  EXPECT_FALSE(ParseArrival("uniform").ok());
  EXPECT_EQ(*ParseArrival("poisson"), Arrival::kPoisson);
}

}  // namespace
}  // namespace ssai::load
