#include "simulator/chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "reference/base/strings.h"
#include "simulator/chart_style.h"

namespace ssai::sim {

std::string Fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

namespace {

constexpr double kW = 640, kH = 300, kL = 60, kR = 150, kT = 30, kB = 40;

std::string Esc(const std::string& s) { return HtmlEscape(s); }

// A tick's label with as many decimals as the step between ticks needs.
std::string TickLabel(double v, double step) {
  if (step >= 1 || v == 0) return Fmt("%.0f", v);
  const int digits = static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  return Fmt(("%." + std::to_string(std::min(digits, 6)) + "f").c_str(), v);
}

std::string Frame(const std::string& title) {
  std::string s = "<svg xmlns='http://www.w3.org/2000/svg' width='" + Fmt("%.0f", kW) + "' height='" + Fmt("%.0f", kH) +
                  "' font-family='sans-serif' font-size='11'>";
  s += "<text x='" + Fmt("%.0f", kL) + "' y='18' font-size='13' font-weight='bold'>" + Esc(title) + "</text>";
  s += "<rect x='" + Fmt("%.0f", kL) + "' y='" + Fmt("%.0f", kT) + "' width='" + Fmt("%.0f", kW - kL - kR) +
       "' height='" + Fmt("%.0f", kH - kT - kB) + "' fill='none' stroke='#999'/>";
  return s;
}

std::string YLabel(const std::string& label) {
  return "<text x='12' y='" + Fmt("%.0f", kH / 2) + "' transform='rotate(-90 12 " + Fmt("%.0f", kH / 2) +
         ")' text-anchor='middle'>" + Esc(label) + "</text>";
}

std::string Legend(size_t i, const std::string& name) {
  return "<text x='" + Fmt("%.0f", kW - kR + 8) + "' y='" + Fmt("%.0f", kT + 14 + 14.0 * static_cast<double>(i)) +
         "' fill='" + SeriesColour(name) + "'>" + Esc(name) + "</text>";
}

// Whole decades covering [lo, hi] (lo > 0), at least one decade wide.
std::vector<double> Decades(double lo, double hi) {
  const double d_lo = std::floor(std::log10(lo));
  const double d_hi = std::max(std::ceil(std::log10(hi)), d_lo + 1);
  std::vector<double> out;
  for (double d = d_lo; d <= d_hi + 1e-9; d += 1) out.push_back(std::pow(10, d));
  return out;
}

}  // namespace

std::string SvgLineChart(const std::string& title, const ChartAxes& axes, const std::vector<ChartLine>& lines) {
  const bool log_x = axes.log_x, log_y = axes.log_y;
  auto usable = [&](double x, double y) { return !(log_x && x <= 0) && !(log_y && !(y > 0)); };
  double x_lo = 1e300, x_hi = -1e300, y_lo = 1e300, y_hi = log_y ? -1e300 : axes.y_max_hint;
  std::vector<double> point_xs;
  for (const ChartLine& l : lines) {
    for (auto [x, y] : l.points) {
      if (!usable(x, std::isnan(y) ? 1 : y)) continue;
      x_lo = std::min(x_lo, x);
      x_hi = std::max(x_hi, x);
      if (!std::isnan(y)) y_lo = std::min(y_lo, y), y_hi = std::max(y_hi, y);
      if (std::find(point_xs.begin(), point_xs.end(), x) == point_xs.end()) point_xs.push_back(x);
    }
    for (auto [lo, hi] : l.ranges) {
      if (!std::isnan(hi)) y_hi = std::max(y_hi, hi);
      if (log_y && lo > 0) y_lo = std::min(y_lo, lo);
    }
  }
  if (x_lo > x_hi) { x_lo = log_x ? 1 : 0; x_hi = log_x ? 10 : 1; }
  if (x_hi == x_lo) x_hi = log_x ? x_lo * 10 : x_lo + 1;
  // Round ticks: the axes end on a tick (1, 2, 5 x 10^k; whole decades on a log axis).
  std::vector<double> y_ticks;
  if (log_y) {
    if (y_lo > y_hi) y_lo = 0.01, y_hi = 1;
    y_ticks = Decades(y_lo, y_hi);
    y_lo = y_ticks.front();
  } else {
    if (y_hi <= 0) y_hi = 1;
    y_ticks = NiceTicks(0, y_hi, 5);
    y_lo = 0;
  }
  y_hi = y_ticks.back();
  std::vector<double> x_ticks;
  if (axes.x_ticks_at_points && !point_xs.empty()) {
    x_ticks = point_xs;
    if (log_x) {
      x_lo = std::pow(10, std::log10(x_lo) - 0.05);
      x_hi = std::pow(10, std::log10(x_hi) + 0.05);
    }
  } else if (log_x) {
    x_ticks = Decades(x_lo, x_hi);
    x_lo = x_ticks.front();
    x_hi = x_ticks.back();
  } else {
    x_ticks = NiceTicks(x_lo, x_hi, 6);
    x_lo = x_ticks.front();
    x_hi = x_ticks.back();
  }
  auto fx = [&](double x) {
    double f = log_x ? (std::log10(x) - std::log10(x_lo)) / (std::log10(x_hi) - std::log10(x_lo))
                     : (x - x_lo) / (x_hi - x_lo);
    return kL + f * (kW - kL - kR);
  };
  auto fy = [&](double y) {
    const double f = log_y ? (std::log10(y) - std::log10(y_lo)) / (std::log10(y_hi) - std::log10(y_lo)) : y / y_hi;
    return kH - kB - f * (kH - kT - kB);
  };
  std::string s = Frame(title);
  const double y_step = y_ticks.size() > 1 ? y_ticks[1] - y_ticks[0] : 1;
  for (double y : y_ticks) {
    s += "<line x1='" + Fmt("%.0f", kL) + "' x2='" + Fmt("%.0f", kW - kR) + "' y1='" + Fmt("%.1f", fy(y)) + "' y2='" +
         Fmt("%.1f", fy(y)) + "' stroke='#eee'/>";
    s += "<text x='" + Fmt("%.0f", kL - 4) + "' y='" + Fmt("%.1f", fy(y) + 4) + "' text-anchor='end'>" +
         TickLabel(y, log_y ? y : y_step) + "</text>";
  }
  const double x_step = log_x ? x_lo : (x_ticks.size() > 1 ? x_ticks[1] - x_ticks[0] : 1);
  for (double x : x_ticks) {
    s += "<text x='" + Fmt("%.1f", fx(x)) + "' y='" + Fmt("%.0f", kH - kB + 14) + "' text-anchor='middle'>" +
         TickLabel(x, log_x || axes.x_ticks_at_points ? x : x_step) + "</text>";
  }
  s += "<text x='" + Fmt("%.0f", (kW - kR + kL) / 2) + "' y='" + Fmt("%.0f", kH - 6) + "' text-anchor='middle'>" +
       Esc(axes.x_label) + "</text>";
  s += YLabel(axes.y_label);
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string colour = SeriesColour(lines[i].name);
    const std::string dash = SeriesDash(lines[i].name);
    std::string d, marks;
    bool pen = false;
    // Markers, so curves that lie on each other stay visible: every point of a short series,
    // about 16 along a long one (a CDF).
    const size_t every = std::max<size_t>(1, lines[i].points.size() / 16);
    for (size_t k = 0; k < lines[i].points.size(); ++k) {
      auto [x, y] = lines[i].points[k];
      if (std::isnan(y) || !usable(x, y)) { pen = false; continue; }
      d += (pen ? "L" : "M") + Fmt("%.1f", fx(x)) + "," + Fmt("%.1f", fy(y)) + " ";
      pen = true;
      if (k % every == 0) {
        marks += "<circle cx='" + Fmt("%.1f", fx(x)) + "' cy='" + Fmt("%.1f", fy(y)) + "' r='2.5' fill='" + colour + "'/>";
      }
    }
    s += "<path d='" + d + "' fill='none' stroke='" + colour + "' stroke-width='1.6'" +
         (dash.empty() ? "" : " stroke-dasharray='" + dash + "'") + "/>" + marks;
    for (size_t k = 0; k < lines[i].ranges.size() && k < lines[i].points.size(); ++k) {
      const double x = lines[i].points[k].first;
      const auto [lo, hi] = lines[i].ranges[k];
      if (std::isnan(lo) || std::isnan(hi) || !usable(x, lo) || !usable(x, hi)) continue;
      // A min..max bar with caps.
      const std::string X = Fmt("%.1f", fx(x)), X0 = Fmt("%.1f", fx(x) - 3), X1 = Fmt("%.1f", fx(x) + 3);
      s += "<path d='M" + X + "," + Fmt("%.1f", fy(lo)) + " L" + X + "," + Fmt("%.1f", fy(hi)) + " M" + X0 + "," +
           Fmt("%.1f", fy(lo)) + " L" + X1 + "," + Fmt("%.1f", fy(lo)) + " M" + X0 + "," + Fmt("%.1f", fy(hi)) + " L" +
           X1 + "," + Fmt("%.1f", fy(hi)) + "' stroke='" + colour + "' stroke-width='1'/>";
    }
    s += Legend(i, lines[i].name);
  }
  return s + "</svg>";
}

std::string SvgLineChart(const std::string& title, const std::string& x_label, const std::string& y_label,
                         const std::vector<ChartLine>& lines, bool log_x, double y_max_hint) {
  ChartAxes axes;
  axes.x_label = x_label;
  axes.y_label = y_label;
  axes.log_x = log_x;
  axes.y_max_hint = y_max_hint;
  return SvgLineChart(title, axes, lines);
}

std::string SvgBarChart(const std::string& title, const std::string& y_label, const std::vector<std::string>& categories,
                        const std::vector<std::pair<std::string, std::vector<double>>>& series) {
  double y_hi = 0;
  for (const auto& [n, v] : series) for (double x : v) if (!std::isnan(x)) y_hi = std::max(y_hi, x);
  if (y_hi <= 0) y_hi = 1;
  const std::vector<double> y_ticks = NiceTicks(0, y_hi, 5);
  y_hi = y_ticks.back();
  std::string s = Frame(title);
  const double gw = (kW - kL - kR) / static_cast<double>(std::max<size_t>(categories.size(), 1));
  const double bw = gw * 0.8 / static_cast<double>(std::max<size_t>(series.size(), 1));
  const double y_step = y_ticks.size() > 1 ? y_ticks[1] - y_ticks[0] : 1;
  for (double y : y_ticks) {
    s += "<text x='" + Fmt("%.0f", kL - 4) + "' y='" + Fmt("%.1f", kH - kB - y / y_hi * (kH - kT - kB) + 4) +
         "' text-anchor='end'>" + TickLabel(y, y_step) + "</text>";
  }
  for (size_t c = 0; c < categories.size(); ++c) {
    s += "<text x='" + Fmt("%.1f", kL + gw * (static_cast<double>(c) + 0.5)) + "' y='" + Fmt("%.0f", kH - kB + 14) +
         "' text-anchor='middle'>" + Esc(categories[c]) + "</text>";
    for (size_t k = 0; k < series.size(); ++k) {
      const double v = c < series[k].second.size() ? series[k].second[c] : NAN;
      if (std::isnan(v)) continue;
      const double h = v / y_hi * (kH - kT - kB);
      s += "<rect x='" + Fmt("%.1f", kL + gw * static_cast<double>(c) + gw * 0.1 + bw * static_cast<double>(k)) +
           "' y='" + Fmt("%.1f", kH - kB - h) + "' width='" + Fmt("%.1f", bw) + "' height='" + Fmt("%.1f", h) + "' fill='" +
           SeriesColour(series[k].first) + "'/>";
    }
  }
  for (size_t k = 0; k < series.size(); ++k) s += Legend(k, series[k].first);
  s += YLabel(y_label);
  return s + "</svg>";
}

}  // namespace ssai::sim
