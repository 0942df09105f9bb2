// Inline-SVG charts for every HTML report (simulator runs and sweeps, `ssai bench report`, the
// `ssai conform` report and the fidelity report): one look, one colour and dash per series name everywhere
// (chart_style.h), round ticks, markers on every curve so curves lying on each other stay
// visible. Pure string building; no I/O.
#ifndef SSAI_SIMULATOR_CHART_H_
#define SSAI_SIMULATOR_CHART_H_

#include <string>
#include <utility>
#include <vector>

namespace ssai::sim {

// One printf-formatted number (`f`: a literal format with one double conversion), for the charts
// and the reports' tables.
std::string Fmt(const char* f, double v);

struct ChartLine {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y); NaN y = gap
  std::vector<std::pair<double, double>> ranges;  // optional (lo, hi) per point: a vertical bar
};

struct ChartAxes {
  std::string x_label, y_label;
  bool log_x = false;  // whole decades as ticks
  bool log_y = false;  // whole decades as ticks (the y axis then starts at the data's decade)
  double y_max_hint = 0;  // the linear y axis reaches at least this
  // Ticks on the x axis at the points' own x values (e.g. the offered rates of a load test)
  // instead of round numbers; a log x axis then gets a twentieth of a decade of room each side.
  bool x_ticks_at_points = false;
};

// A line chart, 640 x 300 px.
std::string SvgLineChart(const std::string& title, const ChartAxes& axes, const std::vector<ChartLine>& lines);
// The same, linear y from 0 (the simulator's charts). log_x: x axis logarithmic (latency CDF).
std::string SvgLineChart(const std::string& title, const std::string& x_label, const std::string& y_label,
                         const std::vector<ChartLine>& lines, bool log_x, double y_max_hint);

// Grouped bars: one group per category, one bar per series (NaN: no bar).
std::string SvgBarChart(const std::string& title, const std::string& y_label, const std::vector<std::string>& categories,
                        const std::vector<std::pair<std::string, std::vector<double>>>& series);

}  // namespace ssai::sim

#endif  // SSAI_SIMULATOR_CHART_H_
