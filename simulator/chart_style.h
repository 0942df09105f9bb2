// One look for every chart the reports draw (ssai sim, ssai bench report): a build keeps its
// colour from chart to chart and report to report, axes get round ticks (1, 2, 5 x 10^k).
// Header-only so the load generator's report can use it without linking the simulator.
#ifndef SSAI_SIMULATOR_CHART_STYLE_H_
#define SSAI_SIMULATOR_CHART_STYLE_H_

#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

namespace ssai::sim {

// The colour of a series named after a build ("kv-hybrid", "kv-hybrid redis", "defect-x"):
// the longest known build name it starts with; anything else by a stable hash of its name.
inline const char* SeriesColour(std::string_view name) {
  struct Entry {
    std::string_view build;
    const char* colour;
  };
  static constexpr Entry kBuilds[] = {
      {"do-only", "#7f7f7f"},          {"kv-hybrid-direct", "#ff7f0e"}, {"kv-hybrid", "#d62728"},
      {"kv-stateless", "#9467bd"},     {"kv-channel-state", "#1f77b4"}, {"nginx", "#2ca02c"},
  };
  for (const Entry& e : kBuilds) {  // longer names first where one prefixes another
    if (name.substr(0, e.build.size()) == e.build) return e.colour;
  }
  static constexpr const char* kOthers[] = {"#8c564b", "#e377c2", "#bcbd22", "#17becf", "#393b79", "#637939"};
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return kOthers[h % (sizeof(kOthers) / sizeof(kOthers[0]))];
}

// A dash pattern that tells a build's Redis series from its in-process one ("" = solid).
inline const char* SeriesDash(std::string_view name) {
  return name.find("redis") != std::string_view::npos ? "5,3" : "";
}

// Round tick positions covering [lo, hi] with at most about `max_ticks` intervals: the step is
// 1, 2 or 5 x 10^k, the first tick the largest multiple of it <= lo, the last >= hi.
inline std::vector<double> NiceTicks(double lo, double hi, int max_ticks = 5) {
  if (!(hi > lo)) hi = lo + 1;
  const double raw = (hi - lo) / std::max(1, max_ticks);
  const double exp10 = std::floor(std::log10(raw));
  // step = num / den exactly: 0.2 is 2 / 10, so tick k is k * 2 / 10 = 0.6, not 0.6000000000000001.
  const double mag_up = exp10 >= 0 ? std::pow(10, exp10) : 1, den = exp10 < 0 ? std::pow(10, -exp10) : 1;
  double num = 10 * mag_up;
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * mag_up / den >= raw * (1 - 1e-9)) {
      num = m * mag_up;
      break;
    }
  }
  const double step = num / den;
  std::vector<double> ticks;
  for (double k = std::floor(lo / step + 1e-9); ticks.size() < 64; k += 1) {
    const double t = k * num / den;
    ticks.push_back(t == 0 ? 0 : t);
    if (t >= hi - step * 1e-9) break;
  }
  return ticks;
}

}  // namespace ssai::sim

#endif  // SSAI_SIMULATOR_CHART_STYLE_H_
