#include "simulator/metrics.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ssai::sim {
namespace {

TEST(HistogramTest, BucketsCoverValuesWithinOnePercent) {
  for (int64_t v : {0LL, 1LL, 255LL, 256LL, 257LL, 1000LL, 41'000LL, 123'456'789LL, 1LL << 50}) {
    const size_t i = Histogram::BucketIndex(v);
    EXPECT_LE(Histogram::BucketLowest(i), v);
    EXPECT_GE(Histogram::BucketHighest(i), v);
    EXPECT_LE(Histogram::BucketHighest(i) - Histogram::BucketLowest(i), v / 128 + 1);
  }
  for (size_t i = 1; i < 3000; ++i) {
    EXPECT_EQ(Histogram::BucketLowest(i), Histogram::BucketHighest(i - 1) + 1) << i;
    EXPECT_EQ(Histogram::BucketIndex(Histogram::BucketLowest(i)), i);
  }
}

TEST(HistogramTest, PercentilesWeightsAndMerge) {
  Histogram h;
  for (int v = 1; v <= 100; ++v) h.Record(v * 1000);
  EXPECT_EQ(h.count(), 100);
  EXPECT_NEAR(h.Percentile(50), 50'000, 400);
  EXPECT_NEAR(h.Percentile(95), 95'000, 800);
  EXPECT_EQ(h.Percentile(100), 100'000);
  EXPECT_EQ(h.min(), 1000);
  Histogram w;
  w.Record(10, 99);
  w.Record(1'000'000, 1);
  EXPECT_EQ(w.Percentile(99), 10);
  EXPECT_EQ(w.Percentile(99.5), 1'000'000);
  Histogram m = h;
  m.Merge(w);
  EXPECT_EQ(m.count(), 200);
  EXPECT_EQ(m.max(), 1'000'000);
  EXPECT_EQ(m.min(), 10);
  Result<Histogram> back = Histogram::FromJson(m.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->Percentile(95), m.Percentile(95));
  EXPECT_EQ(back->count(), m.count());
}

TEST(TimeSeriesTest, AddAndMerge) {
  TimeSeries a(1'000'000), b(1'000'000);
  a.Add(0, 1);
  a.Add(999'999, 1);
  a.Add(2'500'000, 5);
  b.Add(1'000'000, 3);
  a.Merge(b);
  EXPECT_EQ(a.values(), (std::vector<double>{2, 3, 5}));
}

}  // namespace
}  // namespace ssai::sim
