#include "fidelity/compare.h"

#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "reference/base/strings.h"
#include "simulator/chart.h"
#include "simulator/table.h"

namespace ssai::fidelity {
namespace {

using json = nlohmann::json;

// A number at `pointer` in `j`, or nothing (absent, null, not a number).
std::optional<double> At(const json& j, const json::json_pointer& pointer) {
  if (!j.contains(pointer)) return std::nullopt;
  const json& v = j.at(pointer);
  if (!v.is_number()) return std::nullopt;
  return v.get<double>();
}
// A histogram summary's percentile, only when it recorded anything.
std::optional<double> Percentile(const json& j, const std::string& base, const char* p) {
  std::optional<double> count = At(j, json::json_pointer(base + "/count"));
  if (!count || *count <= 0) return std::nullopt;
  return At(j, json::json_pointer(base + "/" + p));
}

const json* PopNamed(const json& report, const std::string& name) {
  if (!report.contains("pops") || !report["pops"].is_array()) return nullptr;
  for (const json& p : report["pops"]) {
    if (p.is_object() && p.value("name", "") == name) return &p;
  }
  return nullptr;
}

enum class Rule { kPoints, kFraction, kInfo };

struct Row {
  std::string metric, pop;
  std::optional<double> predicted, measured;
  Rule rule;
  double tolerance;
};

json Judge(const Row& r) {
  json row = {{"metric", r.metric}, {"pop", r.pop},
              {"predicted", r.predicted ? json(*r.predicted) : json(nullptr)},
              {"measured", r.measured ? json(*r.measured) : json(nullptr)}};
  if (r.rule == Rule::kInfo) {
    row["judged"] = false;
    row["tolerance"] = nullptr;
    row["within"] = nullptr;
    return row;
  }
  row["tolerance"] = r.rule == Rule::kPoints ? json{{"points", r.tolerance}} : json{{"fraction", r.tolerance}};
  if (!r.predicted && !r.measured) {
    row["judged"] = false;  // no data on either side (e.g. no break in the run)
    row["within"] = nullptr;
    return row;
  }
  row["judged"] = true;
  if (!r.predicted || !r.measured) {
    row["within"] = false;
    return row;
  }
  const double diff = std::fabs(*r.measured - *r.predicted);
  // Points: rates are fractions in the reports, tolerances in percentage points. A tiny epsilon
  // so a difference of exactly the tolerance passes despite binary rounding.
  const double allowed = r.rule == Rule::kPoints ? r.tolerance / 100 : r.tolerance * std::fabs(*r.predicted);
  row["within"] = diff <= allowed + 1e-9;
  return row;
}

std::string Number(const json& v, int decimals) {
  if (!v.is_number()) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v.get<double>());
  return buf;
}

int DecimalsOf(const std::string& metric) {
  if (metric.find("hit_rate") != std::string::npos) return 4;
  if (metric.find("calls") != std::string::npos || metric.find("writes") != std::string::npos ||
      metric.find("fetches") != std::string::npos) {
    return 0;
  }
  return 2;
}

std::string ToleranceText(const json& t) {
  if (!t.is_object()) return "reported";
  if (t.contains("points")) return "±" + Number(t["points"], 1) + " pts";
  return "±" + Number(json(t["fraction"].get<double>() * 100), 0) + " %";
}

constexpr sim::TableColumn kColumns[] = {
    {"metric", -36, "What is compared (names as in the simulator's report.json)", true},
    {"pop", -8, "The POP (its edge), or 'all'", true},
    {"predicted", 11, "The simulator's value for the same scenario, build and start time"},
    {"measured", 11, "What the loopback deployment measured (viewers' responses, /metrics, Redis INFO)"},
    {"tolerance", 10, "How far measured may be from predicted; 'reported' = not judged"},
    {"verdict", 8, "ok / OFF (outside the tolerance) / - (not judged)"},
};

sim::TableRows RowsOf(const json& comparison) {
  sim::TableRows rows;
  for (const json& r : comparison["rows"]) {
    const int d = DecimalsOf(r["metric"].get<std::string>());
    std::string verdict = "-";
    if (r["judged"].get<bool>()) verdict = r["within"].get<bool>() ? "ok" : "OFF";
    rows.push_back({r["metric"].get<std::string>(), r["pop"].get<std::string>(), Number(r["predicted"], d),
                    Number(r["measured"], d), ToleranceText(r["tolerance"]), verdict});
  }
  return rows;
}

std::string VerdictLine(const json& comparison) {
  const json& v = comparison["verdict"];
  std::string line = v["pass"].get<bool>() ? "PASS" : "FAIL";
  line += ": " + std::to_string(v["judged"].get<int64_t>()) + " judged metrics, " +
          std::to_string(v["failed"].size()) + " outside tolerance";
  if (!v["failed"].empty()) {
    line += " (";
    for (size_t i = 0; i < v["failed"].size(); ++i) line += (i ? ", " : "") + v["failed"][i].get<std::string>();
    line += ")";
  }
  return line;
}

// The judged per-POP metrics as grouped bars, prediction beside measurement (simulator/chart.h,
// the look of every report's charts): where a POP falls outside its tolerance shows at a glance.
std::string PerPopCharts(const json& comparison) {
  struct Metric {
    const char* id;
    const char* title;
    const char* unit;
    double scale;
  };
  static constexpr Metric kMetrics[] = {
      {"kv_hit_rate", "KV hit rate per POP", "percent of reads", 100},
      {"viewer_ad_visibility_lag_s.p50", "Per-viewer ad-visibility lag P50 per POP", "seconds", 1},
      {"viewer_ad_visibility_lag_s.p95", "Per-viewer ad-visibility lag P95 per POP", "seconds", 1},
      {"coordinator_calls", "Coordinator calls per POP", "calls", 1},
  };
  std::string out;
  for (const Metric& m : kMetrics) {
    std::vector<std::string> pops;
    std::vector<double> predicted, measured;
    for (const json& r : comparison["rows"]) {
      if (r.value("metric", "") != m.id || r.value("pop", "") == "all") continue;
      auto value = [&](const char* side) {
        return r.contains(side) && r[side].is_number() ? r[side].get<double>() * m.scale : std::nan("");
      };
      pops.push_back(r.value("pop", ""));
      predicted.push_back(value("predicted"));
      measured.push_back(value("measured"));
    }
    if (pops.empty()) continue;
    out += sim::SvgBarChart(m.title, m.unit, pops, {{"simulator (predicted)", predicted}, {"deployment (measured)", measured}});
  }
  return out.empty() ? out : "<h2>Per POP</h2>" + out;
}

}  // namespace

json Compare(const json& predicted, const json& measured, const Tolerances& t) {
  std::vector<Row> rows;
  // Per POP, in the prediction's order (the scenario's).
  if (predicted.contains("pops") && predicted["pops"].is_array()) {
    for (const json& pp : predicted["pops"]) {
      const std::string name = pp.value("name", "");
      static const json kEmpty = json::object();
      const json* mp = PopNamed(measured, name);
      const json& m = mp ? *mp : kEmpty;
      rows.push_back({"kv_hit_rate", name, At(pp, json::json_pointer("/kv_hit_rate")), At(m, json::json_pointer("/kv_hit_rate")),
                      Rule::kPoints, t.hit_rate_points});
      rows.push_back({"viewer_ad_visibility_lag_s.p50", name, Percentile(pp, "/viewer_ad_visibility_lag_s", "p50"),
                      Percentile(m, "/viewer_ad_visibility_lag_s", "p50"), Rule::kFraction, t.lag_fraction});
      rows.push_back({"viewer_ad_visibility_lag_s.p95", name, Percentile(pp, "/viewer_ad_visibility_lag_s", "p95"),
                      Percentile(m, "/viewer_ad_visibility_lag_s", "p95"), Rule::kFraction, t.lag_fraction});
      rows.push_back({"coordinator_calls", name, At(pp, json::json_pointer("/coordinator_calls")),
                      At(m, json::json_pointer("/coordinator_calls")), Rule::kFraction, t.calls_fraction});
      rows.push_back({"latency_ms.p50", name, Percentile(pp, "/latency_ms", "p50"), Percentile(m, "/latency_ms", "p50"),
                      Rule::kInfo, 0});
      rows.push_back({"latency_ms.p95", name, Percentile(pp, "/latency_ms", "p95"), Percentile(m, "/latency_ms", "p95"),
                      Rule::kInfo, 0});
    }
  }
  auto writes = [](const json& j) -> std::optional<double> {
    std::optional<double> w = At(j, json::json_pointer("/kv/writes")), d = At(j, json::json_pointer("/kv/deletes"));
    if (!w) return std::nullopt;
    return *w + d.value_or(0);
  };
  rows.push_back({"coordinator_calls", "all", At(predicted, json::json_pointer("/coordinator/calls")),
                  At(measured, json::json_pointer("/coordinator/calls")), Rule::kFraction, t.calls_fraction});
  rows.push_back({"kv_writes", "all", writes(predicted), writes(measured), Rule::kInfo, 0});
  rows.push_back({"origin_fetches", "all", At(predicted, json::json_pointer("/sim/origin_fetches")),
                  At(measured, json::json_pointer("/origin_fetches/total")), Rule::kInfo, 0});
  rows.push_back({"coordinator_origin_fetches", "all", At(predicted, json::json_pointer("/coordinator/core/origin_fetches")),
                  At(measured, json::json_pointer("/origin_fetches/coordinator")), Rule::kInfo, 0});
  rows.push_back({"missed_ad_viewer_s", "all", At(predicted, json::json_pointer("/ads/missed_ad_viewer_s")),
                  At(measured, json::json_pointer("/ads/missed_ad_viewer_s")), Rule::kInfo, 0});
  rows.push_back({"ghost_ad_viewer_s", "all", At(predicted, json::json_pointer("/ads/ghost_ad_viewer_s")),
                  At(measured, json::json_pointer("/ads/ghost_ad_viewer_s")), Rule::kInfo, 0});

  json out_rows = json::array(), failed = json::array();
  int64_t judged = 0;
  for (const Row& r : rows) {
    json row = Judge(r);
    if (row["judged"].get<bool>()) {
      ++judged;
      if (!row["within"].get<bool>()) failed.push_back(r.metric + "@" + r.pop);
    }
    out_rows.push_back(std::move(row));
  }
  return {{"tolerances", {{"hit_rate_points", t.hit_rate_points}, {"lag_fraction", t.lag_fraction},
                          {"calls_fraction", t.calls_fraction}}},
          {"rows", out_rows},
          // Nothing judged (no data at all) is not a pass: there was nothing to agree on.
          {"verdict", {{"pass", judged > 0 && failed.empty()}, {"judged", judged}, {"failed", failed}}}};
}

std::string CompareText(const json& comparison) {
  return sim::TextTable(kColumns, RowsOf(comparison)) + VerdictLine(comparison) + "\n";
}

std::string CompareHtml(const json& report) {
  const json& c = report["comparison"];
  const bool pass = c["verdict"]["pass"].get<bool>();
  std::string h =
      "<!doctype html><html><head><meta charset='utf-8'><title>ssai fidelity: " +
      HtmlEscape(report.value("scenario_name", "")) + "</title><style>body{font-family:sans-serif;margin:20px}" +
      sim::kTableCss +
      ".verdict{font-size:20px;font-weight:bold;padding:6px 10px;display:inline-block;color:#fff}"
      ".pass{background:#2ca02c}.fail{background:#d62728}</style></head><body>";
  h += "<h1>ssai fidelity: " + HtmlEscape(report.value("scenario_name", "")) + " · " +
       HtmlEscape(report.value("build", "")) + "</h1>";
  h += "<p class='verdict " + std::string(pass ? "pass" : "fail") + "'>" + HtmlEscape(VerdictLine(c)) + "</p>";
  h += "<p>The simulator's prediction for this scenario (same build, seed " +
       HtmlEscape(report.contains("seed") ? report["seed"].dump() : "?") + ", start " +
       HtmlEscape(report.value("start_time", "")) +
       ") beside what a real loopback deployment measured: Redis primary + replica behind a delaying "
       "proxy, one coordinator, one edge per POP with its coordinator RTT injected, the synthetic origin, "
       "the built-in decision service and real viewers reloading per RFC 8216 §6.3.4. Hover a header for "
       "its meaning; docs/fidelity.md explains each metric.</p>";
  h += sim::HtmlTable(kColumns, RowsOf(c), "prediction vs measurement");
  h += PerPopCharts(c);
  if (report.contains("deployment")) {
    h += "<h2>Deployment</h2><pre>" + HtmlEscape(report["deployment"].dump(2)) + "</pre>";
  }
  return h + "</body></html>\n";
}

}  // namespace ssai::fidelity
