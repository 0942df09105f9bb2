// `ssai fidelity`'s verdict (issue 18): the simulator's prediction beside what a real loopback
// deployment measured, per metric and POP, each judged against a tolerance. Pure: JSON in, JSON
// and text/HTML out; no clock, no I/O (the deployment is deploy.h).
#ifndef SSAI_FIDELITY_COMPARE_H_
#define SSAI_FIDELITY_COMPARE_H_

#include <string>

#include <nlohmann/json.hpp>

namespace ssai::fidelity {

// What "matches" means. Judged metrics: KV hit rate (absolute, in percentage points), per-viewer
// ad-visibility lag P50 and P95 (relative), coordinator calls per POP and in all (relative).
// The rest (KV writes, origin fetches, missed/ghost ad seconds, latency P50/P95) is reported beside them, not
// judged: loopback Redis and the in-process front end are not the production latencies.
struct Tolerances {
  double hit_rate_points = 2;    // |measured - predicted| <= 2 percentage points
  double lag_fraction = 0.10;    // |measured - predicted| <= 10 % of predicted
  double calls_fraction = 0.10;  // |measured - predicted| <= 10 % of predicted
};

// `predicted`: the build's entry of `ssai sim`'s report.json (simulator/run.h RunBuild).
// `measured`: deploy.h's measurement, with the same names where the two share a metric:
//   {"pops": [{"name", "kv_hit_rate", "viewer_ad_visibility_lag_s": {"count","p50","p95"},
//              "latency_ms": {"p50","p95"}, "coordinator_calls"}],
//    "coordinator": {"calls"}, "kv": {"writes", "deletes"},
//    "ads": {"missed_ad_viewer_s", "ghost_ad_viewer_s"}, "origin_fetches": {"total", "coordinator"}}
// Returns {"tolerances", "rows": [{"metric","pop","predicted","measured","tolerance","judged",
// "within"}], "verdict": {"pass", "judged", "failed": ["metric@pop", ...]}}. A judged metric with
// data on one side only is not within; with data on neither it is not judged ("no data").
nlohmann::json Compare(const nlohmann::json& predicted, const nlohmann::json& measured, const Tolerances& t);

// The comparison rows as a text table (terminal) and as index.html (simulator/table.h), with the
// verdict first.
std::string CompareText(const nlohmann::json& comparison);
std::string CompareHtml(const nlohmann::json& report);

}  // namespace ssai::fidelity

#endif  // SSAI_FIDELITY_COMPARE_H_
