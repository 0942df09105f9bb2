#include "simulator/chart_style.h"

#include <gtest/gtest.h>

namespace ssai::sim {
namespace {

TEST(ChartStyleTest, TicksAreRoundAndCoverTheRange) {
  EXPECT_EQ(NiceTicks(0, 45.2, 5), (std::vector<double>{0, 10, 20, 30, 40, 50}));
  EXPECT_EQ(NiceTicks(0, 175, 6), (std::vector<double>{0, 50, 100, 150, 200}));
  EXPECT_EQ(NiceTicks(0, 0.87, 5), (std::vector<double>{0, 0.2, 0.4, 0.6, 0.8, 1}));
  EXPECT_EQ(NiceTicks(0, 1, 5), (std::vector<double>{0, 0.2, 0.4, 0.6, 0.8, 1}));
  const std::vector<double> t = NiceTicks(87.5, 612, 6);
  EXPECT_EQ(t.front(), 0);
  EXPECT_EQ(t.back(), 700);
  EXPECT_EQ(t[1] - t[0], 100);
  EXPECT_GE(NiceTicks(3, 3).size(), 2u);  // an empty range still gets an axis
}

TEST(ChartStyleTest, ABuildKeepsItsColourWhateverTheSeriesIsCalled) {
  EXPECT_STREQ(SeriesColour("kv-hybrid"), SeriesColour("kv-hybrid/redis"));
  EXPECT_STRNE(SeriesColour("kv-hybrid"), SeriesColour("kv-hybrid-direct"));
  EXPECT_STRNE(SeriesColour("kv-channel-state"), SeriesColour("kv-stateless"));
  EXPECT_STREQ(SeriesColour("defect-ttl-too-short"), SeriesColour("defect-ttl-too-short"));
  EXPECT_STREQ(SeriesDash("kv-hybrid/redis"), "5,3");
  EXPECT_STREQ(SeriesDash("kv-hybrid/sim"), "");
}

}  // namespace
}  // namespace ssai::sim
