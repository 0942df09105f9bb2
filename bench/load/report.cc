#include "bench/load/report.h"

#include <sys/utsname.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "bench/load/http_load.h"
#include "bench/load/process.h"
#include "bench/load/targets.h"
#include "reference/base/strings.h"
#include "simulator/chart.h"

namespace ssai::load {

using Json = nlohmann::json;

namespace {

using sim::Fmt;

std::string UtcNow() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// One thing the matrix puts load on.
struct Target {
  std::string name;  // "nginx", "kv-hybrid/sim", ...
  std::string kind;  // "nginx" | "serve"
  std::string build;
  std::string kv;
  std::unique_ptr<ServeTarget> serve;
  std::unique_ptr<NginxTarget> nginx;
  std::string host() const { return serve ? serve->host() : nginx->host(); }
  int port() const { return serve ? serve->port() : nginx->port(); }
};

double Counter(const std::map<std::string, double>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

// What the server's /metrics say about one run: counter deltas.
Json MetricsDelta(const std::map<std::string, double>& before, const std::map<std::string, double>& after) {
  Json j;
  for (const char* s : {"kv-hit", "kv-miss", "coordinator", "none"}) {
    const std::string k = std::string("ssai_manifest_requests_total{source=\"") + s + "\"}";
    j["manifest_requests"][s] = Counter(after, k) - Counter(before, k);
  }
  j["coordinator_calls"] = Counter(after, "ssai_coordinator_calls_total") - Counter(before, "ssai_coordinator_calls_total");
  j["kv_reads"] = Counter(after, "ssai_kv_reads_total") - Counter(before, "ssai_kv_reads_total");
  j["origin_fetches"] = Counter(after, "ssai_origin_fetches_total") - Counter(before, "ssai_origin_fetches_total");
  return j;
}

Json RunWrk(const std::string& wrk, const MatrixOptions& o, const std::string& url, std::string* command) {
  std::vector<std::string> argv = {wrk,
                                   "-t" + std::to_string(o.wrk_threads),
                                   "-c" + std::to_string(o.wrk_connections),
                                   "-d" + Fmt("%.0f", o.wrk_duration_s) + "s",
                                   "--latency",
                                   url};
  command->clear();
  for (const std::string& a : argv) *command += (command->empty() ? "" : " ") + a;
  Result<std::unique_ptr<ChildProcess>> p = ChildProcess::Spawn(argv, {}, "");
  if (!p.ok()) return Json{{"error", p.status().message()}};
  Result<std::string> out = (*p)->ReadAll(static_cast<int64_t>(o.wrk_duration_s * 1000) + 15'000);
  if (!out.ok()) return Json{{"error", out.status().message()}};
  Result<Json> parsed = ParseWrkOutput(*out);
  if (!parsed.ok()) return Json{{"error", parsed.status().message()}, {"output", *out}};
  return *parsed;
}

// Exact-match overloads: a std::string converts to both string_view and Json.
std::string HtmlEscape(const std::string& s) { return ::ssai::HtmlEscape(std::string_view(s)); }
std::string HtmlEscape(const Json& j) { return HtmlEscape(j.is_string() ? j.get<std::string>() : j.dump()); }

}  // namespace

Result<Json> ParseWrkOutput(const std::string& text) {
  Json j = Json::object();
  auto to_ms = [](double v, const std::string& unit) -> double {
    if (unit == "us") return v / 1000;
    if (unit == "ms") return v;
    if (unit == "s") return v * 1000;
    if (unit == "m") return v * 60'000;
    return NAN;
  };
  std::istringstream in(text);
  std::string line;
  int64_t errors = 0;
  while (std::getline(in, line)) {
    double v = 0;
    char unit[8] = {0};
    int pct = 0;
    if (std::sscanf(line.c_str(), " Requests/sec: %lf", &v) == 1) j["requests_per_s"] = v;
    if (std::sscanf(line.c_str(), " %d%% %lf%7[a-z]", &pct, &v, unit) == 3 && line.find('%') != std::string::npos) {
      const double ms = to_ms(v, unit);
      if (!std::isnan(ms) && (pct == 50 || pct == 75 || pct == 90 || pct == 99)) j["p" + std::to_string(pct) + "_ms"] = ms;
    }
    long long a = 0, b = 0, c = 0, d = 0;
    if (std::sscanf(line.c_str(), " Socket errors: connect %lld, read %lld, write %lld, timeout %lld", &a, &b, &c, &d) == 4) {
      errors += a + b + c + d;
    }
    long long non2xx = 0;
    if (std::sscanf(line.c_str(), " Non-2xx or 3xx responses: %lld", &non2xx) == 1) j["non_2xx"] = non2xx;
    long long requests = 0;
    double secs = 0;
    if (std::sscanf(line.c_str(), " %lld requests in %lf", &requests, &secs) == 2) j["requests"] = requests;
  }
  j["socket_errors"] = errors;
  if (!j.contains("requests_per_s") || !j.contains("p50_ms") || !j.contains("p99_ms")) {
    return Status::InvalidArgument("wrk output: no Requests/sec or latency distribution (was --latency given?)");
  }
  return j;
}

Result<Json> RunMatrix(const MatrixOptions& o, std::ostream& progress) {
  if (o.rates_per_s.empty()) return Status::InvalidArgument("rates: at least one");
  for (double r : o.rates_per_s) {
    if (!(r > 0)) return Status::InvalidArgument("rates: each must be > 0, got " + Fmt("%g", r));
  }
  if (!(o.duration_s > 0) || o.duration_s > 600) return Status::InvalidArgument("duration: must be in (0, 600] s");
  SSAI_ASSIGN_OR_RETURN(std::string work_dir, MakeTempDir("ssai-bench-"));
  const auto t0 = std::chrono::steady_clock::now();
  Json report = {{"generated_at", UtcNow()},
                 {"work_dir", work_dir},
                 {"options",
                  {{"builds", o.builds},
                   {"kv_backends", o.kv_backends},
                   {"rates_per_s", o.rates_per_s},
                   {"duration_s", o.duration_s},
                   {"connections", o.connections},
                   {"arrival", ArrivalName(o.arrival)},
                   {"seed", o.seed},
                   {"timeout_ms", o.timeout_ms},
                   {"coordinator_latency_ms", {o.coordinator_latency_min_ms, o.coordinator_latency_max_ms}},
                   {"nginx_workers", o.nginx_workers}}}};
  utsname u{};
  if (uname(&u) == 0) report["machine"] = {{"sysname", u.sysname}, {"release", u.release}, {"machine", u.machine}};
  report["machine"]["cpus"] = std::thread::hardware_concurrency();

  std::vector<Target> targets;
  Json skipped = Json::array();
  auto serve_options = [&](const std::string& build, const std::string& kv, const std::string& redis_address) {
    ServeTargetOptions so;
    so.ssai_exe = o.ssai_exe;
    so.build = build;
    so.kv_backend = kv;
    so.redis_address = redis_address;
    so.coordinator_latency_min_ms = o.coordinator_latency_min_ms;
    so.coordinator_latency_max_ms = o.coordinator_latency_max_ms;
    so.work_dir = work_dir;
    so.wait_for_ads = false;  // all targets start, then wait together
    return so;
  };

  // 2. ssai serve per KV backend and build.
  // One redis-server per build: the builds' coordinators write the same channel's keys.
  std::vector<std::unique_ptr<RedisTarget>> redis;
  for (const std::string& kv : o.kv_backends) {
    if (kv != "sim" && kv != "redis") return Status::InvalidArgument("kv: must be sim or redis, got '" + kv + "'");
    for (const std::string& build : o.builds) {
      std::string redis_address;
      if (kv == "redis") {
        Result<std::unique_ptr<RedisTarget>> r = RedisTarget::Start(work_dir + "/redis-" + build);
        if (!r.ok()) {
          skipped.push_back({{"target", build + "/redis"}, {"reason", r.status().message()}});
          progress << "  skipped: " << r.status().message() << "\n";
          break;
        }
        redis_address = (*r)->address();
        redis.push_back(std::move(r).value());
      }
      progress << "starting ssai serve " << build << " (kv " << kv << ")\n";
      Result<std::unique_ptr<ServeTarget>> s = ServeTarget::Start(serve_options(build, kv, redis_address));
      if (!s.ok()) {
        // A backend the server does not have is a skipped column, not a failed report.
        if (kv == "redis") {
          skipped.push_back({{"target", build + "/redis"}, {"reason", s.status().message()}});
          progress << "  skipped: " << s.status().message() << "\n";
          break;
        }
        return s.status().WithContext("serve " + build);
      }
      Target t;
      t.name = build + "/" + kv;
      t.kind = "serve";
      t.build = build;
      t.kv = kv;
      t.serve = std::move(s).value();
      targets.push_back(std::move(t));
    }
  }
  // The wrk comparison's own server: kv-channel-state without injected latency.
  std::unique_ptr<ServeTarget> wrk_serve;
  if (o.wrk) {
    ServeTargetOptions so = serve_options("kv-channel-state", "sim", "");
    so.coordinator_latency_max_ms = 0;
    so.work_dir = work_dir + "/wrk";
    std::filesystem::create_directories(so.work_dir);
    SSAI_ASSIGN_OR_RETURN(wrk_serve, ServeTarget::Start(so));
  }
  progress << "waiting for the break's ads in every server's playlists\n";
  for (Target& t : targets) {
    if (t.serve) SSAI_RETURN_IF_ERROR(t.serve->WaitForAds(20'000));
  }
  if (wrk_serve) SSAI_RETURN_IF_ERROR(wrk_serve->WaitForAds(20'000));
  // nginx serves what ssai serve serves mid-break (the spliced playlists, saved as files).
  {
    ServeTarget* source = wrk_serve ? wrk_serve.get() : nullptr;
    for (Target& t : targets) {
      if (!source && t.serve) source = t.serve.get();
    }
    if (source == nullptr) return Status::InvalidArgument("builds: at least one");
    std::map<std::string, std::string> files;
    for (const std::string& p : source->paths()) {
      SSAI_ASSIGN_OR_RETURN(files[p], source->Get(p));
    }
    Target t;
    t.name = "nginx (static)";
    t.kind = "nginx";
    SSAI_ASSIGN_OR_RETURN(t.nginx, NginxTarget::Start(work_dir, files, o.nginx_workers));
    targets.insert(targets.begin(), std::move(t));
  }
  report["skipped"] = skipped;

  // 3. Warm-up, discarded: every target's first seconds on fresh connections are slower (thread
  // pools, first origin fetches); the matrix measures the steady state. The counts are kept.
  Json warmups = Json::array();
  const double warm_rate = *std::min_element(o.rates_per_s.begin(), o.rates_per_s.end());
  for (Target& t : targets) {
    LoadOptions lo;
    lo.host = t.host();
    lo.port = t.port();
    lo.paths = {"/demo/sports/v720.m3u8", "/demo/sports/v360.m3u8"};
    lo.rate_per_s = warm_rate;
    lo.duration_s = 2;
    lo.connections = o.connections;
    lo.timeout_ms = o.timeout_ms;
    Result<LoadResult> r = RunLoad(lo);
    if (!r.ok()) return r.status().WithContext(t.name + " warm-up");
    warmups.push_back({{"target", t.name}, {"rate_per_s", warm_rate}, {"duration_s", 2}, {"ok", r->ok},
                       {"scheduled", r->scheduled}, {"p99_ms", r->latency_us.Percentile(99) / 1000.0}});
    progress << "  warm-up " << t.name << ": ok " << r->ok << "/" << r->scheduled << "\n";
  }
  report["warmup"] = warmups;

  // 4. The matrix, rate-major: every target at one rate, then the next rate.
  Json runs = Json::array();
  for (double rate : o.rates_per_s) {
    for (Target& t : targets) {
      LoadOptions lo;
      lo.host = t.host();
      lo.port = t.port();
      lo.paths = t.serve ? t.serve->paths() : std::vector<std::string>{"/demo/sports/v720.m3u8", "/demo/sports/v360.m3u8"};
      lo.rate_per_s = rate;
      lo.duration_s = o.duration_s;
      lo.connections = o.connections;
      lo.arrival = o.arrival;
      lo.seed = o.seed;
      lo.timeout_ms = o.timeout_ms;
      lo.count_header = t.serve ? "X-SSAI-State-Source" : "";
      std::map<std::string, double> before, after;
      if (t.serve) {
        if (auto m = t.serve->Metrics(); m.ok()) before = *m;
      }
      Result<LoadResult> r = RunLoad(lo);
      if (!r.ok()) return r.status().WithContext(t.name + " at " + Fmt("%g", rate) + "/s");
      Json run = r->ToJson();
      run["target"] = t.name;
      run["kind"] = t.kind;
      run["build"] = t.build;
      run["kv"] = t.kv;
      if (t.serve) {
        if (auto m = t.serve->Metrics(); m.ok()) after = *m;
        run["server_metrics"] = MetricsDelta(before, after);
      }
      progress << Fmt("%7.0f/s  ", rate) << t.name << ": ok " << r->ok << "/" << r->scheduled
               << "  p50 " << Fmt("%.2f", r->latency_us.Percentile(50) / 1000.0) << " ms  p99 "
               << Fmt("%.2f", r->latency_us.Percentile(99) / 1000.0) << " ms  max "
               << Fmt("%.1f", r->latency_us.max() / 1000.0) << " ms"
               << (r->warnings.empty() ? "" : "  [" + std::to_string(r->warnings.size()) + " warning(s)]") << "\n";
      runs.push_back(std::move(run));
    }
  }
  report["runs"] = runs;

  // 5. Issue #6: peak KV-hit playlists/s with wrk, nginx vs ssai serve, alternated.
  if (o.wrk) {
    const std::string wrk = FindProgram("wrk");
    if (wrk.empty()) {
      report["wrk"] = {{"skipped", "wrk: not installed (Debian wrk)"}};
    } else {
      progress << "wrk: nginx vs ssai serve kv-channel-state (no injected latency), " << o.wrk_rounds
               << " rounds of " << o.wrk_duration_s << " s each\n";
      ServeTarget* s = wrk_serve.get();
      const std::string path = "/demo/sports/v720.m3u8";
      Json rounds = Json::array();
      std::string nginx_cmd, serve_cmd;
      for (int i = 0; i < o.wrk_rounds; ++i) {
        Json round;
        round["nginx"] = RunWrk(wrk, o, targets.front().nginx->base_url() + path, &nginx_cmd);
        Result<std::map<std::string, double>> before = s->Metrics();
        round["ssai"] = RunWrk(wrk, o, s->base_url() + path, &serve_cmd);
        Result<std::map<std::string, double>> after = s->Metrics();
        if (before.ok() && after.ok()) round["ssai"]["server_metrics"] = MetricsDelta(*before, *after);
        progress << "  round " << i + 1 << ": nginx " << round["nginx"].value("requests_per_s", 0.0)
                 << " req/s, ssai " << round["ssai"].value("requests_per_s", 0.0) << " req/s\n";
        rounds.push_back(round);
      }
      // The ratios of the per-round medians (two rounds: their mean).
      auto median = [&](const char* who, const char* key) -> double {
        std::vector<double> v;
        for (const Json& r : rounds) {
          if (r[who].contains(key)) v.push_back(r[who][key].get<double>());
        }
        if (v.empty()) return static_cast<double>(NAN);
        std::sort(v.begin(), v.end());
        return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
      };
      Json summary;
      for (const char* who : {"nginx", "ssai"}) {
        for (const char* key : {"requests_per_s", "p50_ms", "p99_ms"}) {
          const double v = median(who, key);
          summary[who][key] = std::isnan(v) ? Json() : Json(v);
        }
      }
      const double rps_ratio = median("ssai", "requests_per_s") / median("nginx", "requests_per_s");
      const double p99_ratio = median("ssai", "p99_ms") / median("nginx", "p99_ms");
      summary["rps_ratio"] = std::isnan(rps_ratio) ? Json() : Json(rps_ratio);
      summary["p99_ratio"] = std::isnan(p99_ratio) ? Json() : Json(p99_ratio);
      summary["target_rps_ratio_min"] = 0.5;
      summary["target_p99_ratio_max"] = 2.0;
      summary["rps_target_met"] = !std::isnan(rps_ratio) && rps_ratio >= 0.5;
      summary["p99_target_met"] = !std::isnan(p99_ratio) && p99_ratio <= 2.0;
      report["wrk"] = {{"path", path},
                       {"nginx_workers", o.nginx_workers},
                       {"nginx_command", nginx_cmd},
                       {"ssai_command", serve_cmd},
                       {"rounds", rounds},
                       {"summary", summary}};
    }
  }
  report["seed_table"] = SeedTable(report);
  report["elapsed_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // Targets stop here (destructors), before the report is written.
  targets.clear();
  wrk_serve.reset();
  redis.clear();
  std::error_code ec;
  std::filesystem::remove_all(work_dir, ec);
  return report;
}

Json SeedTable(const Json& report) {
  // PHASE1_COMPLETE.md, "Performance Improvements": the seed's own figures, quoted.
  Json seed = {{"before", {{"build", "do-only"}, {"read_latency", "50-200ms"}, {"coordination", "Every request"},
                           {"hit_rate", "N/A"}}},
               {"after", {{"build", "kv-hybrid"}, {"read_latency", "~41ms (P50)"}, {"coordination", "Cache miss only"},
                          {"hit_rate", "Expected 70-90%"}}}};
  Json rows = Json::array();
  if (!report.contains("runs") || report["runs"].empty()) return Json{{"seed", seed}, {"rows", rows}};
  double lowest = 1e300;
  for (const Json& r : report["runs"]) lowest = std::min(lowest, r["rate_per_s"].get<double>());
  for (const Json& r : report["runs"]) {
    if (r["kind"] != "serve" || r["rate_per_s"].get<double>() != lowest) continue;
    const Json& h = r["header_counts"];
    auto n = [&](const char* k) { return h.contains(k) ? h[k].get<double>() : 0.0; };
    const double completed = r["completed"].get<double>();
    const double hits = n("kv-hit"), misses = n("kv-miss"), coord = n("coordinator");
    Json row = {{"target", r["target"]},
                {"build", r["build"]},
                {"kv", r["kv"]},
                {"rate_per_s", lowest},
                {"p50_ms", r["latency"]["p50_ms"]},
                {"p95_ms", r["latency"]["p95_ms"]},
                {"responses", completed},
                // Requests that waited for the coordinator: kv-miss (KV first, then coordinator) and
                // coordinator (asked directly, do-only).
                {"coordination_fraction", completed > 0 ? (misses + coord) / completed : 0.0},
                {"kv_hit_rate", hits + misses > 0 ? Json(hits / (hits + misses)) : Json()}};
    if (r.contains("server_metrics")) {
      const double calls = r["server_metrics"]["coordinator_calls"].get<double>();
      row["coordinator_calls_per_request"] = completed > 0 ? calls / completed : 0.0;
    }
    rows.push_back(row);
  }
  return Json{{"seed", seed}, {"rate_per_s", lowest}, {"rows", rows}};
}

std::string RenderMatrixTable(const Json& report) {
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof line, "%-24s %8s %8s %8s %9s %9s %9s %9s %8s\n", "target", "rate/s", "ok", "failed",
                "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms");
  out << line;
  for (const Json& r : report.value("runs", Json::array())) {
    const Json& l = r["latency"];
    std::snprintf(line, sizeof line, "%-24s %8.0f %8lld %8lld %9.2f %9.2f %9.2f %9.2f %8.1f\n",
                  r["target"].get<std::string>().c_str(), r["rate_per_s"].get<double>(),
                  static_cast<long long>(r["ok"].get<int64_t>()), static_cast<long long>(r["failed"].get<int64_t>()),
                  l["p50_ms"].get<double>(), l["p90_ms"].get<double>(), l["p99_ms"].get<double>(),
                  l["p999_ms"].get<double>(), l["max_ms"].get<double>());
    out << line;
  }
  const Json st = report.value("seed_table", Json::object());
  if (st.contains("rows")) {
    out << "\nPhase 1 write-up's before/after table (docs/phase1-design.md), recomputed at " << st.value("rate_per_s", 0.0) << " req/s:\n";
    for (const Json& row : st["rows"]) {
      std::snprintf(line, sizeof line, "  %-24s read P50 %8.2f ms  P95 %8.2f ms  coordination %5.1f %%  KV hit %s\n",
                    row["target"].get<std::string>().c_str(), row["p50_ms"].get<double>(), row["p95_ms"].get<double>(),
                    100 * row["coordination_fraction"].get<double>(),
                    row["kv_hit_rate"].is_null() ? "n/a" : Fmt("%.1f %%", 100 * row["kv_hit_rate"].get<double>()).c_str());
      out << line;
    }
  }
  if (report.contains("wrk") && report["wrk"].contains("summary")) {
    const Json& s = report["wrk"]["summary"];
    auto num = [](const Json& v, const char* f) { return v.is_number() ? Fmt(f, v.get<double>()) : std::string("-"); };
    out << "\nwrk (" << report["wrk"]["ssai_command"].get<std::string>() << "):\n";
    out << "  nginx: " << num(s["nginx"]["requests_per_s"], "%.0f") << " req/s, P50 " << num(s["nginx"]["p50_ms"], "%.3f")
        << " ms, P99 " << num(s["nginx"]["p99_ms"], "%.3f") << " ms\n";
    out << "  ssai:  " << num(s["ssai"]["requests_per_s"], "%.0f") << " req/s, P50 " << num(s["ssai"]["p50_ms"], "%.3f")
        << " ms, P99 " << num(s["ssai"]["p99_ms"], "%.3f") << " ms\n";
    out << "  req/s ratio " << num(s["rps_ratio"], "%.2f") << " (target >= 0.5: "
        << (s["rps_target_met"].get<bool>() ? "met" : "MISSED") << "), P99 ratio " << num(s["p99_ratio"], "%.2f")
        << " (target <= 2: " << (s["p99_target_met"].get<bool>() ? "met" : "MISSED") << ")\n";
  }
  for (const Json& sk : report.value("skipped", Json::array())) {
    out << "skipped " << sk["target"].get<std::string>() << ": " << sk["reason"].get<std::string>() << "\n";
  }
  return out.str();
}

std::string RenderMatrixHtml(const Json& report) {
  auto chart = [&](const char* key, const std::string& title, bool skip_do_only) {
    std::vector<sim::ChartLine> lines;
    std::map<std::string, size_t> index;
    for (const Json& r : report.value("runs", Json::array())) {
      const std::string name = r["target"];
      if (skip_do_only && r["build"] == "do-only") continue;
      if (!index.count(name)) {
        index[name] = lines.size();
        lines.push_back(sim::ChartLine{name, {}, {}});
      }
      lines[index[name]].points.push_back({r["rate_per_s"].get<double>(), r["latency"][key].get<double>()});
    }
    // Both axes logarithmic: nginx's 0.1 ms and do-only's 200 ms on one chart.
    sim::ChartAxes axes;
    axes.x_label = "offered rate (requests/s, log)";
    axes.y_label = "latency from intended send (ms, log)";
    axes.log_x = axes.log_y = axes.x_ticks_at_points = true;
    return sim::SvgLineChart(title, axes, lines);
  };
  std::string h = "<!doctype html><html><head><meta charset='utf-8'><title>ssai bench report</title><style>"
                  "body{font-family:sans-serif;margin:24px;max-width:1100px}table{border-collapse:collapse;margin:12px 0}"
                  "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}"
                  "td:first-child,th:first-child{text-align:left}.warn{color:#b00}</style></head><body>";
  h += "<h1>ssai bench report</h1><p>Generated " + HtmlEscape(report.value("generated_at", "")) +
       " from the runs below (report.json is the source of truth). Open-loop load: each request's latency is measured "
       "from its intended send time. Coordinator calls of ssai serve were delayed ";
  const Json& opt = report["options"];
  h += HtmlEscape(opt["coordinator_latency_ms"].dump()) + " ms (uniform, as the Phase 1 write-up's 50-200 ms Durable Object reads); arrival " +
       HtmlEscape(opt["arrival"].get<std::string>()) + ", " + Fmt("%.0f", opt["duration_s"].get<double>()) +
       " s per point, " + std::to_string(opt["connections"].get<int>()) + " connections.</p>";
  h += "<div>" + chart("p50_ms", "P50 latency vs rate", false) + chart("p90_ms", "P90 latency vs rate", false) +
       chart("p99_ms", "P99 latency vs rate", false) + chart("p999_ms", "P99.9 latency vs rate", false) + "</div>";
  h += "<h2>Matrix</h2><table><tr><th>target</th><th>rate/s</th><th>achieved/s</th><th>ok</th><th>failed</th><th>errors</th>"
       "<th>P50 ms</th><th>P90 ms</th><th>P99 ms</th><th>P99.9 ms</th><th>max ms</th><th>state source</th><th>warnings</th></tr>";
  for (const Json& r : report.value("runs", Json::array())) {
    const Json& l = r["latency"];
    std::string src;
    for (auto it = r["header_counts"].begin(); it != r["header_counts"].end(); ++it) {
      src += it.key() + "=" + it.value().dump() + " ";
    }
    std::string errs;
    for (auto it = r["errors"].begin(); it != r["errors"].end(); ++it) errs += it.key() + "=" + it.value().dump() + " ";
    std::string warns;
    for (const Json& w : r["warnings"]) warns += w.get<std::string>() + " ";
    h += "<tr><td>" + HtmlEscape(r["target"]) + "</td><td>" + Fmt("%.0f", r["rate_per_s"].get<double>()) + "</td><td>" +
         Fmt("%.1f", r["achieved_rate_per_s"].get<double>()) + "</td><td>" + r["ok"].dump() + "</td><td>" +
         r["failed"].dump() + "</td><td>" + HtmlEscape(errs) + "</td><td>" + Fmt("%.2f", l["p50_ms"].get<double>()) +
         "</td><td>" + Fmt("%.2f", l["p90_ms"].get<double>()) + "</td><td>" + Fmt("%.2f", l["p99_ms"].get<double>()) +
         "</td><td>" + Fmt("%.2f", l["p999_ms"].get<double>()) + "</td><td>" + Fmt("%.1f", l["max_ms"].get<double>()) +
         "</td><td>" + HtmlEscape(src) + "</td><td class='warn'>" + HtmlEscape(warns) + "</td></tr>";
  }
  h += "</table>";
  const Json st = report.value("seed_table", Json::object());
  if (st.contains("rows")) {
    const Json& seed = st["seed"];
    h += "<h2>The Phase 1 design's before/after table, recomputed</h2><p>Its figures are quoted from the Phase 1 "
         "write-up (Cloudflare Workers + Durable Objects + Workers KV, 2025-11-04; docs/phase1-design.md in the "
         "repository); ours measured here at " +
         Fmt("%.0f", st.value("rate_per_s", 0.0)) +
         " requests/s, mid-break, with the coordinator latency above. Coordination = responses whose state came from "
         "the coordinator (X-SSAI-State-Source kv-miss or coordinator).</p>";
    h += "<table><tr><th>row</th><th>read latency</th><th>coordination required</th><th>KV hit rate</th></tr>";
    for (const char* which : {"before", "after"}) {
      h += "<tr><td>Phase 1 write-up, " + std::string(which) + " (" + HtmlEscape(seed[which]["build"]) + ")</td><td>" +
           HtmlEscape(seed[which]["read_latency"]) + "</td><td>" + HtmlEscape(seed[which]["coordination"]) +
           "</td><td>" + HtmlEscape(seed[which]["hit_rate"]) + "</td></tr>";
    }
    for (const Json& row : st["rows"]) {
      h += "<tr><td>ours: " + HtmlEscape(row["target"]) + "</td><td>P50 " + Fmt("%.2f", row["p50_ms"].get<double>()) +
           " ms, P95 " + Fmt("%.2f", row["p95_ms"].get<double>()) + " ms</td><td>" +
           Fmt("%.1f %%", 100 * row["coordination_fraction"].get<double>()) + " of requests</td><td>" +
           (row["kv_hit_rate"].is_null() ? std::string("n/a (no KV read)") : Fmt("%.1f %%", 100 * row["kv_hit_rate"].get<double>())) +
           "</td></tr>";
    }
    h += "</table>";
  }
  if (report.contains("wrk")) {
    const Json& w = report["wrk"];
    h += "<h2>Peak KV-hit playlists/s (wrk, closed loop) against nginx serving the same playlist</h2>";
    if (w.contains("skipped")) {
      h += "<p>" + HtmlEscape(w["skipped"]) + "</p>";
    } else {
      h += "<p><code>" + HtmlEscape(w["nginx_command"]) + "</code> (nginx, " + w["nginx_workers"].dump() +
           " worker) and <code>" + HtmlEscape(w["ssai_command"]) + "</code> (ssai serve kv-channel-state: one thread "
           "for HTTP and the core), alternated; medians of the rounds.</p>";
      h += "<table><tr><th>round</th><th>nginx req/s</th><th>nginx P50 ms</th><th>nginx P99 ms</th><th>ssai req/s</th>"
           "<th>ssai P50 ms</th><th>ssai P99 ms</th></tr>";
      auto cell = [](const Json& j, const char* k, const char* f) {
        return "<td>" + (j.contains(k) && j[k].is_number() ? Fmt(f, j[k].get<double>()) : std::string("-")) + "</td>";
      };
      int i = 0;
      for (const Json& r : w["rounds"]) {
        h += "<tr><td>" + std::to_string(++i) + "</td>" + cell(r["nginx"], "requests_per_s", "%.0f") +
             cell(r["nginx"], "p50_ms", "%.3f") + cell(r["nginx"], "p99_ms", "%.3f") +
             cell(r["ssai"], "requests_per_s", "%.0f") + cell(r["ssai"], "p50_ms", "%.3f") +
             cell(r["ssai"], "p99_ms", "%.3f") + "</tr>";
      }
      const Json& s = w["summary"];
      h += "<tr><th>median</th>" + cell(s["nginx"], "requests_per_s", "%.0f") + cell(s["nginx"], "p50_ms", "%.3f") +
           cell(s["nginx"], "p99_ms", "%.3f") + cell(s["ssai"], "requests_per_s", "%.0f") +
           cell(s["ssai"], "p50_ms", "%.3f") + cell(s["ssai"], "p99_ms", "%.3f") + "</tr></table>";
      h += "<p>ssai/nginx requests/s " + (s["rps_ratio"].is_number() ? Fmt("%.2f", s["rps_ratio"].get<double>()) : "-") +
           " (target &ge; 0.5: " + (s["rps_target_met"].get<bool>() ? "met" : "<b>missed</b>") + "); P99 ratio " +
           (s["p99_ratio"].is_number() ? Fmt("%.2f", s["p99_ratio"].get<double>()) : "-") + " (target &le; 2: " +
           (s["p99_target_met"].get<bool>() ? "met" : "<b>missed</b>") + ").</p>";
    }
  }
  for (const Json& sk : report.value("skipped", Json::array())) {
    h += "<p class='warn'>skipped " + HtmlEscape(sk["target"]) + ": " + HtmlEscape(sk["reason"]) + "</p>";
  }
  h += "</body></html>\n";
  return h;
}

}  // namespace ssai::load
