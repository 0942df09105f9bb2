#include "bench/load/thresholds.h"

#include <charconv>
#include <cstdio>
#include <map>

namespace ssai::load {

namespace {

enum class Kind { kLatencyMs, kFraction, kRate };

const std::map<std::string, Kind, std::less<>>& Metrics() {
  static const std::map<std::string, Kind, std::less<>> kMetrics = {
      {"p50", Kind::kLatencyMs}, {"p90", Kind::kLatencyMs},   {"p95", Kind::kLatencyMs},
      {"p99", Kind::kLatencyMs}, {"p999", Kind::kLatencyMs},  {"max", Kind::kLatencyMs},
      {"send_lag_max", Kind::kLatencyMs}, {"error_rate", Kind::kFraction}, {"rate", Kind::kRate}};
  return kMetrics;
}

double Value(const std::string& metric, const LoadResult& run) {
  auto ms = [](double us) { return us / 1000.0; };
  const sim::Histogram& h = run.latency_us;
  if (metric == "p50") return ms(static_cast<double>(h.Percentile(50)));
  if (metric == "p90") return ms(static_cast<double>(h.Percentile(90)));
  if (metric == "p95") return ms(static_cast<double>(h.Percentile(95)));
  if (metric == "p99") return ms(static_cast<double>(h.Percentile(99)));
  if (metric == "p999") return ms(static_cast<double>(h.Percentile(99.9)));
  if (metric == "max") return ms(static_cast<double>(h.max()));
  if (metric == "send_lag_max") return ms(static_cast<double>(run.send_lag_us.max()));
  if (metric == "error_rate") {
    return run.scheduled > 0 ? static_cast<double>(run.failed()) / static_cast<double>(run.scheduled) : 0;
  }
  return run.achieved_rate_per_s();  // rate
}

std::string FormatValue(const std::string& metric, double v) {
  char buf[64];
  const Kind kind = Metrics().find(metric)->second;
  if (kind == Kind::kLatencyMs) std::snprintf(buf, sizeof buf, "%.3f ms", v);
  else if (kind == Kind::kFraction) std::snprintf(buf, sizeof buf, "%.3f %%", v * 100);
  else std::snprintf(buf, sizeof buf, "%.1f/s", v);
  return buf;
}

}  // namespace

Result<Threshold> ParseThreshold(std::string_view text) {
  std::string s;
  for (char c : text) {
    if (c != ' ' && c != '\t') s += c;
  }
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("--threshold '" + std::string(text) + "': " + why +
                                   " (expected METRIC OP VALUE, e.g. p99<5ms, error_rate<1%, rate>=900)");
  };
  const size_t op_at = s.find_first_of("<>");
  if (op_at == std::string::npos) return bad("no comparison (< <= > >=)");
  Threshold t;
  t.text = s;
  t.metric = s.substr(0, op_at);
  const bool with_eq = op_at + 1 < s.size() && s[op_at + 1] == '=';
  t.op = s.substr(op_at, with_eq ? 2 : 1);
  auto it = Metrics().find(t.metric);
  if (it == Metrics().end()) {
    std::string names;
    for (const auto& [name, kind] : Metrics()) names += (names.empty() ? "" : " ") + name;
    return bad("unknown metric '" + t.metric + "' (one of: " + names + ")");
  }
  const std::string rest = s.substr(op_at + t.op.size());
  double v = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v);
  if (ec != std::errc() || end == rest.data()) return bad("no number after '" + t.op + "'");
  const std::string unit(end, rest.data() + rest.size());
  if (!(v >= 0) || v > 1e12) return bad("value out of range");
  switch (it->second) {
    case Kind::kLatencyMs:
      if (unit.empty() || unit == "ms") t.limit = v;
      else if (unit == "s") t.limit = v * 1000;
      else if (unit == "us") t.limit = v / 1000;
      else return bad("unknown unit '" + unit + "' for a latency (ms, s, us)");
      break;
    case Kind::kFraction:
      if (unit == "%") t.limit = v / 100;
      else if (unit.empty() && v <= 1) t.limit = v;
      else return bad(unit.empty() ? "a fraction must be at most 1 (or write %)" : "unknown unit '" + unit + "' (% or none)");
      break;
    case Kind::kRate:
      if (!unit.empty() && unit != "/s") return bad("unknown unit '" + unit + "' for a rate (none or /s)");
      t.limit = v;
      break;
  }
  return t;
}

std::vector<ThresholdResult> EvaluateThresholds(const std::vector<Threshold>& thresholds, const LoadResult& run) {
  std::vector<ThresholdResult> out;
  for (const Threshold& t : thresholds) {
    ThresholdResult r{t, Value(t.metric, run), false};
    if (t.op == "<") r.passed = r.value < t.limit;
    else if (t.op == "<=") r.passed = r.value <= t.limit;
    else if (t.op == ">") r.passed = r.value > t.limit;
    else r.passed = r.value >= t.limit;
    out.push_back(std::move(r));
  }
  return out;
}

std::string RenderThresholds(const std::vector<ThresholdResult>& results) {
  std::string out;
  for (const ThresholdResult& r : results) {
    out += std::string(r.passed ? "\u2713 " : "\u2717 ") + r.threshold.text + "  (" + r.threshold.metric + " = " +
           FormatValue(r.threshold.metric, r.value) + ")\n";
  }
  return out;
}

}  // namespace ssai::load
