// `ssai bench`: open-loop latency of one target (bench/load/http_load.h), and `ssai bench report`:
// the side-by-side matrix (nginx, the read-path builds, wrk) written as report.json + index.html.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "bench/load/http_load.h"
#include "bench/load/process.h"
#include "bench/load/report.h"
#include "bench/load/targets.h"
#include "bench/load/thresholds.h"
#include "cli/commands.h"
#include "cli/files.h"
#include "cli/flags.h"

namespace ssai::cli {
namespace {

using Json = nlohmann::json;

struct BenchFlags {
  std::string target;
  double rate_per_s = 100;
  double duration_s = 5;
  int connections = 16;
  std::string arrival = "constant";
  uint64_t seed = 1;
  int64_t timeout_ms = 2000;
  std::vector<std::string> paths;
  std::string out;
  std::string kv = "sim";
  std::vector<int64_t> coordinator_latency_ms;
  std::vector<std::string> thresholds;
};

struct ReportFlags {
  std::string out = "reports/bench";
  double duration_s = 4;
  std::vector<double> rates = {100, 300, 1000};
  std::vector<std::string> builds = {"do-only", "kv-hybrid", "kv-stateless", "kv-channel-state"};
  std::vector<std::string> kv = {"sim", "redis"};
  int connections = 64;
  std::string arrival = "poisson";
  uint64_t seed = 1;
  std::vector<int64_t> coordinator_latency_ms = {50, 200};
  bool no_wrk = false;
  double wrk_duration_s = 10;
  int wrk_rounds = 2;
};

Status ParseLatencyRange(const std::vector<int64_t>& v, int64_t* lo, int64_t* hi) {
  if (v.empty()) {
    *lo = *hi = 0;
    return Status::Ok();
  }
  if (v.size() != 2 || v[0] < 0 || v[1] < v[0] || v[1] > 60'000) {
    return Status::InvalidArgument("--coordinator-latency-ms: expected MIN,MAX with 0 <= MIN <= MAX <= 60000");
  }
  *lo = v[0];
  *hi = v[1];
  return Status::Ok();
}

int RunBench(const BenchFlags& f) {
  auto fail = [](const std::string& m) {
    std::cerr << "ssai bench: " << m << "\n";
    return 2;
  };
  load::LoadOptions o;
  o.rate_per_s = f.rate_per_s;
  o.duration_s = f.duration_s;
  o.connections = f.connections;
  o.seed = f.seed;
  o.timeout_ms = f.timeout_ms;
  o.count_header = "X-SSAI-State-Source";
  Result<load::Arrival> arrival = load::ParseArrival(f.arrival);
  if (!arrival.ok()) return fail("--" + arrival.status().message());
  o.arrival = *arrival;
  if (f.target.empty()) return fail("--target: required (http://HOST:PORT/PATH or serve:BUILD)");
  std::vector<load::Threshold> thresholds;
  for (const std::string& text : f.thresholds) {
    Result<load::Threshold> t = load::ParseThreshold(text);
    if (!t.ok()) return fail(t.status().message());
    thresholds.push_back(std::move(t).value());
  }
  load::StopChildrenOnSignal();

  std::unique_ptr<load::ServeTarget> serve;
  std::unique_ptr<load::RedisTarget> redis;
  std::string work_dir;
  if (f.target.starts_with("serve:")) {
    load::ServeTargetOptions so;
    so.build = f.target.substr(6);
    so.kv_backend = f.kv;
    if (Status s = ParseLatencyRange(f.coordinator_latency_ms, &so.coordinator_latency_min_ms,
                                     &so.coordinator_latency_max_ms);
        !s.ok()) {
      return fail(s.message());
    }
    Result<std::string> dir = load::MakeTempDir("ssai-bench-");
    if (!dir.ok()) return fail(dir.status().message());
    work_dir = *dir;
    so.work_dir = work_dir;
    if (f.kv == "redis") {
      Result<std::unique_ptr<load::RedisTarget>> r = load::RedisTarget::Start(work_dir);
      if (!r.ok()) return fail(r.status().message());
      redis = std::move(r).value();
      so.redis_address = redis->address();
    } else if (f.kv != "sim") {
      return fail("--kv: must be sim or redis, got '" + f.kv + "'");
    }
    std::cerr << "starting ssai origin + ssai serve (build " << so.build << ", kv " << so.kv_backend << ")\n";
    Result<std::unique_ptr<load::ServeTarget>> s = load::ServeTarget::Start(so);
    if (!s.ok()) {
      std::error_code ec;
      std::filesystem::remove_all(work_dir, ec);
      return fail(s.status().message() + " (logs were in " + work_dir + ")");
    }
    serve = std::move(s).value();
    o.host = serve->host();
    o.port = serve->port();
    o.paths = f.paths.empty() ? serve->paths() : f.paths;
  } else {
    std::string path;
    if (Status s = load::ParseHttpUrl(f.target, &o.host, &o.port, &path); !s.ok()) return fail(s.message());
    o.paths = f.paths.empty() ? std::vector<std::string>{path} : f.paths;
  }
  Result<load::LoadResult> r = load::RunLoad(o);
  Json metrics;
  if (serve) {
    if (auto m = serve->Metrics(); m.ok()) {
      for (const auto& [k, v] : *m) {
        if (k.starts_with("ssai_manifest_requests_total") || k == "ssai_coordinator_calls_total" ||
            k == "ssai_kv_reads_total") {
          metrics[k] = v;
        }
      }
    }
    serve.reset();
    redis.reset();
    std::error_code ec;
    std::filesystem::remove_all(work_dir, ec);
  }
  if (!r.ok()) return fail(r.status().message());
  std::cout << r->Summary();
  const std::vector<load::ThresholdResult> verdicts = load::EvaluateThresholds(thresholds, *r);
  bool all_passed = true;
  for (const load::ThresholdResult& v : verdicts) all_passed = all_passed && v.passed;
  if (!verdicts.empty()) std::cout << "thresholds:\n" << load::RenderThresholds(verdicts);
  if (!f.out.empty()) {
    Json j = r->ToJson();
    j["target_spec"] = f.target;
    if (!metrics.is_null()) j["server_metrics"] = metrics;
    if (!verdicts.empty()) {
      Json list = Json::array();
      for (const load::ThresholdResult& v : verdicts) {
        list.push_back({{"threshold", v.threshold.text}, {"metric", v.threshold.metric}, {"op", v.threshold.op},
                        {"limit", v.threshold.limit}, {"value", v.value}, {"passed", v.passed}});
      }
      j["thresholds"] = list;
    }
    if (!WriteText(f.out, j.dump(1) + "\n")) return fail(f.out + ": cannot write");
    std::cout << "wrote " << f.out << "\n";
  }
  return all_passed ? 0 : 1;
}

int RunReport(const ReportFlags& f) {
  auto fail = [](const std::string& m) {
    std::cerr << "ssai bench report: " << m << "\n";
    return 2;
  };
  load::MatrixOptions o;
  o.builds = f.builds;
  o.kv_backends = f.kv;
  o.rates_per_s = f.rates;
  o.duration_s = f.duration_s;
  o.connections = f.connections;
  o.seed = f.seed;
  o.wrk = !f.no_wrk;
  o.wrk_duration_s = f.wrk_duration_s;
  o.wrk_rounds = f.wrk_rounds;
  Result<load::Arrival> arrival = load::ParseArrival(f.arrival);
  if (!arrival.ok()) return fail("--" + arrival.status().message());
  o.arrival = *arrival;
  if (Status s = ParseLatencyRange(f.coordinator_latency_ms, &o.coordinator_latency_min_ms,
                                   &o.coordinator_latency_max_ms);
      !s.ok()) {
    return fail(s.message());
  }
  load::StopChildrenOnSignal();
  Result<Json> report = load::RunMatrix(o, std::cerr);
  if (!report.ok()) return fail(report.status().message());
  std::cout << load::RenderMatrixTable(*report);
  const std::string json_path = f.out + "/report.json", html_path = f.out + "/index.html";
  if (!WriteText(json_path, report->dump(1) + "\n")) return fail(json_path + ": cannot write");
  if (!WriteText(html_path, load::RenderMatrixHtml(*report))) return fail(html_path + ": cannot write");
  std::cout << "wrote " << json_path << " and " << html_path << "\n";
  return 0;
}

}  // namespace

void RegisterBenchCommands(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<BenchFlags>();
  CLI::App* bench = app.add_subcommand(
      "bench", "Open-loop HTTP latency benchmark (latency from the intended send time); `bench report`: the matrix");
  bench->add_option("--target", f->target, "http://HOST:PORT[/PATH], or serve:BUILD (starts ssai origin + serve)");
  bench->add_option("--rate", f->rate_per_s, "requests per second (offered, open loop), up to 1e6")
      ->check(CLI::Range(0.001, 1e6));  // the schedule holds rate x duration send times
  bench->add_option("--duration", f->duration_s, "seconds of schedule")->check(CLI::Range(0.001, 3600.0));
  bench->add_option("--connections", f->connections, "keep-alive connections")->check(CLI::Range(1, 10000));
  bench->add_option("--arrival", f->arrival, "constant | poisson (seeded)");
  bench->add_option("--seed", f->seed, "PRNG seed of the Poisson schedule")->check(CheckSeed);
  bench->add_option("--timeout-ms", f->timeout_ms, "per request, from its intended send time")
      ->check(CLI::Range(int64_t{1}, int64_t{600000}));
  bench->add_option("--path", f->paths, "request path(s), cycled (default: the URL's path; serve: both renditions)");
  bench->add_option("--out", f->out, "write the result as JSON to this file");
  bench->add_option("--threshold", f->thresholds,
                    "pass/fail criterion, repeatable, k6-style: p50|p90|p95|p99|p999|max|send_lag_max <|<=|>|>= "
                    "VALUE[ms|s|us], error_rate<1%, rate>=900; any failing one exits 1");
  bench->add_option("--kv", f->kv, "serve:BUILD only: KV backend sim | redis");
  bench->add_option("--coordinator-latency-ms", f->coordinator_latency_ms,
                    "serve:BUILD only: MIN,MAX delay of each coordinator call (the seed's 50,200)")
      ->delimiter(',');

  auto rf = std::make_shared<ReportFlags>();
  CLI::App* report = bench->add_subcommand(
      "report", "Side-by-side matrix on loopback: nginx vs ssai serve builds, seed table, wrk; report.json + index.html");
  report->add_option("--out", rf->out, "output directory (default reports/bench)");
  report->add_option("--duration", rf->duration_s, "seconds per matrix point (default 4)")->check(CLI::Range(0.1, 600.0));
  report->add_option("--rates", rf->rates, "offered rates, requests/s (default 100,300,1000)")
      ->delimiter(',')
      ->check(CLI::Range(0.001, 1e6));
  report->add_option("--builds", rf->builds, "read-path builds (default do-only,kv-hybrid,kv-stateless,kv-channel-state)")
      ->delimiter(',');
  report->add_option("--kv", rf->kv, "KV backends (default sim,redis; redis is skipped if the server lacks it)")
      ->delimiter(',');
  report->add_option("--connections", rf->connections, "keep-alive connections per run (default 64)")
      ->check(CLI::Range(1, 10000));
  report->add_option("--arrival", rf->arrival, "constant | poisson (default poisson)");
  report->add_option("--seed", rf->seed, "PRNG seed")->check(CheckSeed);
  report->add_option("--coordinator-latency-ms", rf->coordinator_latency_ms, "MIN,MAX (default 50,200; 0,0 = off)")
      ->delimiter(',');
  report->add_flag("--no-wrk", rf->no_wrk, "skip the wrk throughput comparison");
  report->add_option("--wrk-duration", rf->wrk_duration_s, "seconds per wrk run (default 10)")
      ->check(CLI::Range(1.0, 600.0));
  report->add_option("--wrk-rounds", rf->wrk_rounds, "alternated nginx/ssai wrk rounds (default 2)")
      ->check(CLI::Range(1, 20));
  report->callback([rf, &ctx] { ctx.exit_code = RunReport(*rf); });
  bench->callback([f, report, &ctx] {
    if (report->parsed()) return;
    ctx.exit_code = RunBench(*f);
  });
}

}  // namespace ssai::cli
