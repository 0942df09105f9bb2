// `ssai bench report`: one side-by-side latency matrix on loopback. Targets: nginx serving the
// spliced playlists as static files (the physical limit), and `ssai serve` with each read-path
// build, KV backend sim (and redis when the server has it), coordinator calls delayed as in the
// seed (50-200 ms). Rates are interleaved (every target at rate r, then every target at the next
// rate) so machine noise hits all targets alike. Then issue #6's closed-loop wrk comparison of a
// KV-hit playlist against nginx. Writes report.json (the source of truth) and index.html.
#ifndef SSAI_BENCH_LOAD_REPORT_H_
#define SSAI_BENCH_LOAD_REPORT_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "bench/load/schedule.h"
#include "reference/base/status.h"

namespace ssai::load {

struct MatrixOptions {
  std::string ssai_exe;  // "" = this executable
  std::vector<std::string> builds = {"do-only", "kv-hybrid", "kv-stateless", "kv-channel-state"};
  std::vector<std::string> kv_backends = {"sim", "redis"};  // redis is skipped (with the reason) if unsupported
  std::vector<double> rates_per_s = {100, 300, 1000};
  double duration_s = 4;
  int connections = 64;
  Arrival arrival = Arrival::kPoisson;
  uint64_t seed = 1;
  int64_t timeout_ms = 2000;
  int64_t coordinator_latency_min_ms = 50;
  int64_t coordinator_latency_max_ms = 200;
  int nginx_workers = 1;
  // wrk (closed loop, peak throughput): nginx and ssai serve kv-channel-state, alternated.
  bool wrk = true;
  double wrk_duration_s = 10;
  int wrk_threads = 2;
  int wrk_connections = 32;
  int wrk_rounds = 2;
};

// Runs the matrix (progress lines on `progress`) and returns the report JSON. Every process it
// starts is stopped before it returns, also on error.
Result<nlohmann::json> RunMatrix(const MatrixOptions& options, std::ostream& progress);

// The seed's before/after table (PHASE1_COMPLETE.md) recomputed from the matrix's lowest rate.
nlohmann::json SeedTable(const nlohmann::json& report);
// Terminal table of the matrix.
std::string RenderMatrixTable(const nlohmann::json& report);
// Self-contained HTML: latency percentiles vs request rate per target (inline SVG), tables.
std::string RenderMatrixHtml(const nlohmann::json& report);

// wrk's text output -> {"requests_per_s", "p50_ms", "p90_ms", "p99_ms", "errors"}.
Result<nlohmann::json> ParseWrkOutput(const std::string& text);

}  // namespace ssai::load

#endif  // SSAI_BENCH_LOAD_REPORT_H_
