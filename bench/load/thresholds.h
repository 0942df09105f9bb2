// k6-style pass/fail criteria for one load run (`ssai bench --threshold p99<5ms`).
//
// An expression is METRIC OP VALUE[UNIT]:
//   latency percentiles, from the intended send time: p50 p90 p95 p99 p999 max (units ms, s, us;
//     default ms)
//   error_rate: failed / scheduled (units %, or a fraction: 1%, 0.01)
//   rate: achieved responses/s (no unit)
//   send_lag_max: how late the generator itself sent (ms); a run whose generator fell behind is
//     not a valid measurement, so `send_lag_max<100ms` makes that an explicit failure
// OP is one of < <= > >=. Whitespace is ignored.
#ifndef SSAI_BENCH_LOAD_THRESHOLDS_H_
#define SSAI_BENCH_LOAD_THRESHOLDS_H_

#include <string>
#include <string_view>
#include <vector>

#include "bench/load/http_load.h"
#include "reference/base/status.h"

namespace ssai::load {

struct Threshold {
  std::string text;    // as given (trimmed), for the report
  std::string metric;  // p50 ... error_rate, rate, send_lag_max
  std::string op;      // < <= > >=
  double limit = 0;    // in the metric's base unit: ms for latencies, a fraction for error_rate
};

struct ThresholdResult {
  Threshold threshold;
  double value = 0;  // the run's value, in the same unit as limit
  bool passed = false;
};

// Parses one expression; the error names what is wrong ("--threshold 'p99<5xs': unknown unit 'xs'").
Result<Threshold> ParseThreshold(std::string_view text);

// Evaluates every threshold on the run.
std::vector<ThresholdResult> EvaluateThresholds(const std::vector<Threshold>& thresholds, const LoadResult& run);

// One line per threshold, k6-style: "✓ p99<5ms  (p99 = 1.234 ms)" / "✗ ...".
std::string RenderThresholds(const std::vector<ThresholdResult>& results);

}  // namespace ssai::load

#endif  // SSAI_BENCH_LOAD_THRESHOLDS_H_
