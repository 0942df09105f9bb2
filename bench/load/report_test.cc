#include "bench/load/report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ssai::load {
namespace {

using Json = nlohmann::json;

constexpr char kWrkOutput[] = R"(Running 10s test @ http://127.0.0.1:8080/demo/sports/v720.m3u8
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   251.33us  100.25us   5.23ms   90.00%
    Req/Sec    60.00k     2.00k   65.00k    70.00%
  Latency Distribution
     50%  240.00us
     75%  280.00us
     90%  320.00us
     99%    1.20ms
  1200000 requests in 10.00s, 1.00GB read
  Socket errors: connect 0, read 2, write 0, timeout 1
Requests/sec: 120000.50
Transfer/sec:    100.00MB
)";

TEST(ReportTest, ParsesWrkOutputWithUnits) {
  Result<Json> j = ParseWrkOutput(kWrkOutput);
  ASSERT_TRUE(j.ok()) << j.status().message();
  EXPECT_DOUBLE_EQ((*j)["requests_per_s"].get<double>(), 120000.5);
  EXPECT_DOUBLE_EQ((*j)["p50_ms"].get<double>(), 0.24);
  EXPECT_DOUBLE_EQ((*j)["p99_ms"].get<double>(), 1.2);
  EXPECT_EQ((*j)["socket_errors"].get<int64_t>(), 3);
  EXPECT_EQ((*j)["requests"].get<int64_t>(), 1200000);
  EXPECT_FALSE(ParseWrkOutput("Running 10s test\nRequests/sec: 5\n").ok());  // no --latency
}

Json FakeRun(const std::string& target, const std::string& build, double rate, Json header_counts, double p50) {
  int64_t completed = 0;
  for (auto it = header_counts.begin(); it != header_counts.end(); ++it) completed += it.value().get<int64_t>();
  return Json{{"target", target}, {"kind", build.empty() ? "nginx" : "serve"}, {"build", build}, {"kv", "sim"},
              {"rate_per_s", rate}, {"completed", completed}, {"ok", completed}, {"failed", 0},
              {"achieved_rate_per_s", rate}, {"errors", Json::object()}, {"warnings", Json::array()},
              {"header_counts", header_counts},
              {"latency", {{"p50_ms", p50}, {"p90_ms", p50}, {"p95_ms", p50 * 2}, {"p99_ms", p50 * 3},
                           {"p999_ms", p50 * 4}, {"max_ms", p50 * 5}}},
              {"server_metrics", {{"coordinator_calls", 10}}}};
}

TEST(ReportTest, SeedTableFromTheLowestRate) {
  Json report = {{"options", {{"coordinator_latency_ms", {50, 200}}, {"arrival", "poisson"}, {"duration_s", 4},
                              {"connections", 64}}},
                 {"runs", Json::array({FakeRun("nginx (static)", "", 100, Json::object(), 0.2),
                                       FakeRun("do-only/sim", "do-only", 100, Json{{"coordinator", 100}}, 120),
                                       FakeRun("kv-hybrid/sim", "kv-hybrid", 100, Json{{"kv-hit", 90}, {"kv-miss", 10}}, 0.5),
                                       FakeRun("kv-hybrid/sim", "kv-hybrid", 300, Json{{"kv-hit", 300}}, 0.6)})}};
  Json t = SeedTable(report);
  ASSERT_EQ(t["rows"].size(), 2u);
  EXPECT_EQ(t["rows"][0]["target"], "do-only/sim");
  EXPECT_DOUBLE_EQ(t["rows"][0]["coordination_fraction"].get<double>(), 1.0);
  EXPECT_TRUE(t["rows"][0]["kv_hit_rate"].is_null());
  EXPECT_DOUBLE_EQ(t["rows"][1]["kv_hit_rate"].get<double>(), 0.9);
  EXPECT_DOUBLE_EQ(t["rows"][1]["coordination_fraction"].get<double>(), 0.1);
  EXPECT_DOUBLE_EQ(t["rows"][1]["coordinator_calls_per_request"].get<double>(), 0.1);
  EXPECT_EQ(t["seed"]["after"]["read_latency"], "~41ms (P50)");
  report["seed_table"] = t;
  const std::string html = RenderMatrixHtml(report);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("kv-hybrid/sim"), std::string::npos);
  EXPECT_NE(html.find("Expected 70-90%"), std::string::npos);
  EXPECT_NE(RenderMatrixTable(report).find("do-only/sim"), std::string::npos);
}

}  // namespace
}  // namespace ssai::load
