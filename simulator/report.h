// report.json (the source of truth), index.html (inline SVG plots) and the terminal table.
#ifndef SSAI_SIMULATOR_REPORT_H_
#define SSAI_SIMULATOR_REPORT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "simulator/chart.h"  // the charts, shared with the sweep report (sweep.h)
#include "simulator/scenario.h"

namespace ssai::sim {

constexpr const char* kReportSchema = "ssai-sim-report/1";

// {"schema","scenario_name","seed","scenario":{...normalized...},"builds":[RunBuild...],
//  "seed_expectations":{...}}
nlohmann::json MakeReport(const Scenario& scenario, uint64_t seed, std::vector<nlohmann::json> builds);

// Whether the seed's expectations (KV hit rate 70-90 %, manifest P95 < 100 ms) hold for the seed's
// build (kv-hybrid) and every other build, with the reason, from the numbers in `builds`.
nlohmann::json SeedExpectations(const std::vector<nlohmann::json>& builds);

// The builds side by side, fixed-width, for the terminal.
std::string RenderTable(const nlohmann::json& report);
// A self-contained HTML page: latency CDF per build, KV hit rate over time, ad-visibility lag per
// POP, coordinator calls/s over time, the table, and the seed verdict.
std::string RenderHtml(const nlohmann::json& report);


// Report helper shared by report.cc and sweep.cc: a JSON number or `fallback` (Fmt: chart.h).
double Num(const nlohmann::json& j, double fallback = 0);

// The report text as written: JSON with 1-space indentation and a trailing newline.
std::string SerializeReport(const nlohmann::json& report);

}  // namespace ssai::sim

#endif  // SSAI_SIMULATOR_REPORT_H_
