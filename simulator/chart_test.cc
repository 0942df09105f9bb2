#include "simulator/chart.h"

#include <gtest/gtest.h>

#include <cmath>
#include <regex>

#include "simulator/chart_style.h"

namespace ssai::sim {
namespace {

// The text labels of an SVG, in order.
std::vector<std::string> Labels(const std::string& svg) {
  std::vector<std::string> out;
  static const std::regex kText("<text[^>]*>([^<]*)</text>");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), kText); it != std::sregex_iterator(); ++it) {
    out.push_back((*it)[1]);
  }
  return out;
}

bool Has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

TEST(ChartTest, LogLogAxesAreWholeDecadesWithTicksAtTheOfferedRates) {
  ChartAxes axes;
  axes.x_label = "offered rate (requests/s, log)";
  axes.y_label = "latency (ms, log)";
  axes.log_x = axes.log_y = axes.x_ticks_at_points = true;
  const std::string svg = SvgLineChart("P99", axes,
                                       {ChartLine{"nginx (static)", {{100, 0.05}, {1000, 0.08}, {5000, 0.3}}, {}},
                                        ChartLine{"do-only", {{100, 121}, {1000, 230}, {5000, 0}}, {}}});
  const std::vector<std::string> labels = Labels(svg);
  for (const char* tick : {"0.01", "0.1", "1", "10", "100", "1000", "5000"}) EXPECT_TRUE(Has(labels, tick)) << tick;
  EXPECT_FALSE(Has(labels, "10000"));  // y stops at the decade above 230
  EXPECT_TRUE(Has(labels, "offered rate (requests/s, log)"));
  // A zero latency has no place on a log axis: skipped, never drawn at -infinity.
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
  EXPECT_NE(svg.find(SeriesColour("do-only")), std::string::npos);
}

TEST(ChartTest, LinearAxesEndOnRoundTicksAndGapsBreakTheLine) {
  const std::string svg = SvgLineChart("hit rate", "time (s)", "hit rate",
                                       {ChartLine{"kv-hybrid", {{0, 0.5}, {87.5, NAN}, {175, 0.87}}, {}}},
                                       /*log_x=*/false, /*y_max_hint=*/0);
  const std::vector<std::string> labels = Labels(svg);
  EXPECT_TRUE(Has(labels, "200"));  // 175 s rounds up to a 50 s tick
  EXPECT_TRUE(Has(labels, "1.0"));  // 0.87 rounds up to 1.0
  EXPECT_FALSE(Has(labels, "175"));
  // Two separate pieces: the NaN lifts the pen (two 'M' moves in the path).
  const size_t path = svg.find("<path d='");
  ASSERT_NE(path, std::string::npos);
  const std::string d = svg.substr(path, svg.find('\'', path + 9) - path);
  EXPECT_EQ(std::count(d.begin(), d.end(), 'M'), 2) << d;
}

TEST(ChartTest, ABuildHasOneColourInLinesAndBars) {
  const std::string line = SvgLineChart("x", "a", "b", {ChartLine{"kv-channel-state", {{1, 1}}, {}}}, false, 0);
  const std::string bars = SvgBarChart("y", "s", {"pop1"}, {{"kv-channel-state", {2.5}}});
  const std::string colour = SeriesColour("kv-channel-state");
  EXPECT_NE(line.find("stroke='" + colour + "'"), std::string::npos);
  EXPECT_NE(bars.find("fill='" + colour + "'"), std::string::npos);
  EXPECT_TRUE(Has(Labels(bars), "pop1"));
}

}  // namespace
}  // namespace ssai::sim
