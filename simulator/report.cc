#include "simulator/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "reference/base/strings.h"
#include "simulator/chart_style.h"
#include "simulator/metrics.h"
#include "simulator/table.h"

namespace ssai::sim {

using json = nlohmann::json;

double Num(const json& j, double fallback) { return j.is_number() ? j.get<double>() : fallback; }

namespace {

std::string Esc(const std::string& s) { return HtmlEscape(s); }

}  // namespace

json SeedExpectations(const std::vector<json>& builds) {
  json out = json::object();
  out["expected"] = {{"kv_hit_rate_min", 0.70}, {"kv_hit_rate_max", 0.90}, {"latency_p95_ms_max", 100},
                     {"source", "docs/phase1-design.md: the Phase 1 write-up's 'Expected 70-90%' cache hit rate and "
                                "'manifest latency < 100ms P95'; KV ~41 ms P50 vs DO-only 50-200 ms"}};
  json per = json::object();
  for (const json& b : builds) {
    const std::string name = b["build"];
    const json& hr = b["kv"]["hit_rate"];
    const double p95 = Num(b["latency_ms"]["p95"]);
    const bool has_kv = hr.is_number();
    const double hit = Num(hr);
    const bool hit_ok = has_kv && hit >= 0.70 && hit <= 0.90;
    const bool p95_ok = p95 < 100;
    std::string why;
    if (!has_kv) {
      why = "no KV on the read path: every request asks the coordinator";
    } else {
      const double ad_share = Num(b["ads"]["scheduled_ad_viewer_s"]) / std::max(1.0, Num(b["requests"]["viewer_seconds"]));
      why = "KV hit rate " + Fmt("%.1f", hit * 100) + " %";
      if (name == "kv-hybrid" || name == "kv-hybrid-direct") {
        why += "; this build only counts a hit while a break is active (the Phase 1 read path, getActiveAdBreak), and breaks "
               "cover " + Fmt("%.1f", ad_share * 100) +
               " % of viewing time, so outside breaks every request misses and falls back to the coordinator";
      } else if (name == "kv-channel-state" || b["defect"].get<bool>()) {
        why += "; the channel document is present whether or not a break is on, so requests hit KV outside breaks too";
      } else if (name == "kv-stateless") {
        why += "; a miss means 'no break' (no coordinator fallback)";
      }
    }
    const json& miss = b["latency_by_source_ms"].contains("kv-miss") ? b["latency_by_source_ms"]["kv-miss"] : json();
    const json& hitl = b["latency_by_source_ms"].contains("kv-hit") ? b["latency_by_source_ms"]["kv-hit"] : json();
    why += ". Manifest P95 " + Fmt("%.0f", p95) + " ms";
    if (hitl.is_object()) why += " (KV hits P95 " + Fmt("%.0f", Num(hitl["p95"])) + " ms";
    if (miss.is_object()) why += std::string(hitl.is_object() ? ", misses" : " (misses") + " P95 " +
                                 Fmt("%.0f", Num(miss["p95"])) + " ms: a miss pays the coordinator round trip";
    if (hitl.is_object() || miss.is_object()) why += ")";
    why += ".";
    per[name] = {{"kv_hit_rate", hr}, {"kv_hit_rate_in_range", hit_ok}, {"latency_p95_ms", p95},
                 {"latency_p95_under_100ms", p95_ok}, {"holds", hit_ok && p95_ok}, {"why", why}};
  }
  out["builds"] = per;
  if (per.contains("kv-hybrid")) {
    out["seed_build"] = "kv-hybrid";
    out["holds"] = per["kv-hybrid"]["holds"];
    out["why"] = per["kv-hybrid"]["why"];
  }
  return out;
}

json MakeReport(const Scenario& scenario, uint64_t seed, std::vector<json> builds) {
  json r;
  r["schema"] = kReportSchema;
  r["scenario_name"] = scenario.name;
  r["seed"] = seed;
  r["scenario"] = ScenarioToJson(scenario);
  r["seed_expectations"] = SeedExpectations(builds);
  r["builds"] = std::move(builds);
  return r;
}

std::string SerializeReport(const json& report) { return report.dump(1) + "\n"; }

namespace {

// The summary table's columns (the same words as simulator/README.md).
constexpr TableColumn kSummaryColumns[] = {
    {"build", -32, "the read-path build (reference/ssai/README.md)", true},
    {"P50 ms", 8, "median manifest latency over every viewer request"},
    {"P95 ms", 8, "95th percentile manifest latency"},
    {"P99 ms", 8, "99th percentile manifest latency"},
    {"KV hit", 7, "share of requests answered from KV (the read path's own classification; - = no KV read)"},
    {"coord/s pk", 10, "peak coordinator calls per second (10 s averages)"},
    {"ad lag s", 9, "cue to the first ad a viewer is shown, P50 per POP, averaged over POPs"},
    {"missed %", 10, "scheduled ad viewer-seconds shown as content"},
    {"ghost v-s", 10, "viewer-seconds of ads shown after their break ended"},
    {"x-POP %", 8, "ad slots that POPs served differently at the same moment"},
    {"cost $/h", 10, "modelled KV reads and writes plus coordinator requests per hour (simulator/README.md)"},
};

// One row of cells per build, formatted as both tables show them.
std::vector<std::vector<std::string>> SummaryRows(const json& report) {
  std::vector<std::vector<std::string>> rows;
  for (const json& b : report["builds"]) {
    double lag = 0;
    int n = 0;
    for (const json& p : b["pops"]) {
      if (Num(p["ad_visibility_lag_s"]["count"]) > 0) {
        lag += Num(p["ad_visibility_lag_s"]["p50"]);
        ++n;
      }
    }
    const json& hr = b["kv"]["hit_rate"];
    rows.push_back({b["build"].get<std::string>(), Fmt("%.1f", Num(b["latency_ms"]["p50"])),
                    Fmt("%.1f", Num(b["latency_ms"]["p95"])), Fmt("%.1f", Num(b["latency_ms"]["p99"])),
                    hr.is_number() ? Fmt("%.1f%%", Num(hr) * 100) : "-",
                    Fmt("%.1f", Num(b["coordinator"]["calls_per_s_peak"])), n ? Fmt("%.1f", lag / n) : "-",
                    Fmt("%.2f", Num(b["ads"]["missed_fraction"]) * 100), Fmt("%.0f", Num(b["ads"]["ghost_ad_viewer_s"])),
                    Fmt("%.2f", Num(b["disagreement"]["cross_pop"]) * 100), Fmt("%.4f", Num(b["cost_usd"]["per_hour"]))});
  }
  return rows;
}

std::string SeedVerdictLine(const json& report) {
  const json& se = report["seed_expectations"];
  if (!se.contains("holds")) return "";
  return std::string("Phase 1 design's claims for kv-hybrid (KV hit rate 70-90 %, manifest P95 < 100 ms; "
                     "docs/phase1-design.md): ") +
         (se["holds"].get<bool>() ? "met" : "not met") + " - " + se["why"].get<std::string>();
}

}  // namespace

std::string RenderTable(const json& report) {
  std::string out = TextTable(kSummaryColumns, SummaryRows(report));
  if (std::string verdict = SeedVerdictLine(report); !verdict.empty()) out += verdict + "\n";
  return out;
}

namespace {

// A report time series {interval_s, values[]} as a chart line; null values are gaps.
ChartLine SeriesLine(const std::string& name, const json& series) {
  ChartLine l{name, {}, {}};
  const double interval_s = Num(series["interval_s"], 10);
  const json& values = series["values"];
  for (size_t i = 0; i < values.size(); ++i) {
    l.points.emplace_back(i * interval_s, Num(values[i], NAN));
  }
  return l;
}

}  // namespace

std::string RenderHtml(const json& report) {
  const json& builds = report["builds"];
  std::vector<ChartLine> cdf, hit, coord, audience;
  for (const json& b : builds) {
    Result<Histogram> h = Histogram::FromJson(b["latency_hist_us"]);
    ChartLine l{b["build"], {}, {}};
    if (h.ok() && h->count() > 0) {
      int64_t seen = 0;
      for (const json& bucket : b["latency_hist_us"]["buckets"]) {
        seen += bucket[1].get<int64_t>();
        const double x_ms = Histogram::BucketHighest(bucket[0].get<size_t>()) / 1000.0;
        l.points.emplace_back(std::max(x_ms, 0.1), static_cast<double>(seen) / h->count());
      }
    }
    cdf.push_back(std::move(l));
    if (b["kv"]["hit_rate"].is_number()) hit.push_back(SeriesLine(b["build"], b["kv"]["hit_rate_over_time"]));
    ChartLine cl{b["build"], {}, {}};
    const json& cs = b["coordinator"]["calls_per_s_over_time"];
    // 10-second averages keep the plot readable.
    const auto& vals = cs["values"];
    for (size_t i = 0; i < vals.size(); i += 10) {
      double sum = 0;
      size_t n = 0;
      for (size_t k = i; k < std::min(vals.size(), i + 10); ++k, ++n) sum += Num(vals[k]);
      cl.points.emplace_back(static_cast<double>(i), n ? sum / n : 0);
    }
    coord.push_back(std::move(cl));
    audience.push_back(SeriesLine(b["build"], b["requests"]["viewers_over_time"]));
  }
  std::vector<std::string> pop_names;
  if (!builds.empty()) for (const json& p : builds[0]["pops"]) pop_names.push_back(p["name"]);
  std::vector<std::pair<std::string, std::vector<double>>> lag;
  for (const json& b : builds) {
    std::vector<double> v;
    for (const json& p : b["pops"]) {
      v.push_back(Num(p["ad_visibility_lag_s"]["count"]) > 0 ? Num(p["ad_visibility_lag_s"]["p50"]) : NAN);
    }
    lag.emplace_back(b["build"], v);
  }
  std::string h = "<!doctype html><html><head><meta charset='utf-8'><title>ssai sim: " +
                  Esc(report["scenario_name"].get<std::string>()) +
                  "</title><style>body{font-family:sans-serif;margin:20px;max-width:1340px}"
                  "pre{background:#f4f4f4;padding:8px;white-space:pre-wrap}.legend{font-size:13px;color:#333}"
                  + std::string(kTableCss) +
                  ".plots{display:flex;flex-wrap:wrap;gap:12px}"
                  "</style></head><body>";
  h += "<h1>ssai sim: " + Esc(report["scenario_name"].get<std::string>()) + "</h1>";
  h += "<p>" + Esc(report["scenario"]["description"].get<std::string>()) + "</p>";
  h += "<p>seed " + std::to_string(report["seed"].get<uint64_t>()) + ", " +
       Fmt("%.0f", Num(report["scenario"]["duration_s"])) + " s simulated, " +
       std::to_string(report["scenario"]["channels"].get<int>()) + " channels, " +
       std::to_string(report["scenario"]["pops"].size()) + " POPs, " +
       (report["scenario"]["viewers"].is_array()
            ? std::to_string(report["scenario"]["viewers"].size()) + " listed viewers"
            : std::to_string(report["scenario"]["viewers"]["viewers_per_channel"].get<int64_t>()) + " viewers per channel") +
       ". Source of truth: <a href='report.json'>report.json</a>.</p>";
  const json& se = report["seed_expectations"];
  if (se.contains("holds")) {
    h += std::string("<p><b>The Phase 1 design's claims for kv-hybrid (KV hit rate 70–90 %, manifest P95 &lt; "
                     "100 ms; see docs/phase1-design.md in the repository): ") +
         (se["holds"].get<bool>() ? "met" : "not met") + ".</b> " + Esc(se["why"].get<std::string>()) + "</p>";
  }
  // The summary as a table (headers explain themselves on hover and in the legend below it).
  h += HtmlTable(kSummaryColumns, SummaryRows(report));
  h += "<p class='legend'><b>Columns.</b> ";
  for (size_t c = 1; c < std::size(kSummaryColumns); ++c) {
    h += std::string("<b>") + Esc(kSummaryColumns[c].header) + "</b>: " + Esc(kSummaryColumns[c].help) + ". ";
  }
  h += "Every figure is in report.json.</p><div class='plots'>";
  h += SvgLineChart("Manifest latency CDF", "latency (ms, log)", "fraction of viewer requests", cdf, true, 1);
  h += SvgLineChart("KV hit rate over time", "time (s)", "hit rate", hit, false, 1);
  h += SvgBarChart("Ad-visibility lag per POP (P50, cue to first ad)", "seconds", pop_names, lag);
  h += SvgLineChart("Coordinator calls/s (10 s averages)", "time (s)", "calls/s", coord, false, 0);
  // Only a trace or a ramp makes the audience worth a plot (else it is flat).
  const json& viewers = report["scenario"]["viewers"];
  if (viewers.is_object() && (viewers.contains("trace") || Num(viewers["ramp_s"]) > 0)) {
    h += SvgLineChart("Audience (mean concurrent viewers)", "time (s)", "viewers", audience, false, 0);
  }
  // POPs with their own audience traces: one line per POP (the first build's run).
  if (!builds.empty() && !builds[0]["pops"].empty() && builds[0]["pops"][0].contains("viewers_over_time")) {
    std::vector<ChartLine> per_pop;
    for (const json& p : builds[0]["pops"]) per_pop.push_back(SeriesLine(p["name"], p["viewers_over_time"]));
    h += SvgLineChart("Audience per POP (" + builds[0]["build"].get<std::string>() + ")", "time (s)", "viewers",
                      per_pop, false, 0);
  }
  h += "</div>";
  // Server-side tracking beacons per break (run.cc SimBeacons): viewer-weighted counts.
  h += "<h2>Server-side beacons per break</h2><p class='legend'>Viewers each beacon was fired for (the "
       "edges' BeaconTracker, as the server fires them: impression and start with a creative's first "
       "segment, each quartile with the segment holding it, complete with its last), summed over the "
       "pod's creatives, / the viewers it was due for by what their playlists delivered (expected). "
       "Duplicates: beacons fired again for a session; unserved: fired for a creative the session was "
       "never delivered. A cohort is one session: viewers who join it mid-creative count from its next "
       "event (simulator/README.md \"Beacons\").</p>";
  for (const json& b : builds) {
    if (!b.contains("beacons")) continue;
    h += "<h3>" + Esc(b["build"].get<std::string>()) + "</h3><table border='1' cellpadding='3' "
         "style='border-collapse:collapse;font-size:13px'><tr><th>channel</th><th>break</th>";
    for (const char* e : {"impression", "start", "firstQuartile", "midpoint", "thirdQuartile", "complete"}) {
      h += std::string("<th>") + e + "<br>fired / expected</th>";
    }
    h += "<th>duplicates</th><th>unserved</th></tr>";
    for (const json& row : b["beacons"]["by_break"]) {
      h += "<tr><td>" + std::to_string(row["channel"].get<int>()) + "</td><td>" +
           Esc(row["event_id"].get<std::string>()) + "</td>";
      int64_t duplicates = 0;
      for (const char* e : {"impression", "start", "firstQuartile", "midpoint", "thirdQuartile", "complete"}) {
        const int64_t fired = row[e].get<int64_t>(), expected = row["expected"][e].get<int64_t>();
        const bool off = fired != expected;
        h += std::string("<td") + (off ? " style='background:#fdd'" : "") + ">" + std::to_string(fired) + " / " +
             std::to_string(expected) + "</td>";
        duplicates += row["cohort_duplicates"][e].get<int64_t>();
      }
      const int64_t unserved = row["cohort_unserved"].get<int64_t>();
      h += "<td" + std::string(duplicates ? " style='background:#fdd'" : "") + ">" + std::to_string(duplicates) +
           "</td><td" + (unserved ? " style='background:#fdd'" : "") + ">" + std::to_string(unserved) + "</td></tr>";
    }
    if (b["beacons"]["by_break"].empty()) h += "<tr><td colspan='10'>no beacons fired</td></tr>";
    h += "</table>";
  }
  h += "</body></html>\n";
  return h;
}

}  // namespace ssai::sim
