#include "simulator/run.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "simulator/report.h"

namespace ssai::sim {
namespace {

// Small and fast: 1 channel, 2 POPs, 2 renditions, 3 minutes, one 30 s break.
constexpr const char* kSmall = R"({
  "name": "tiny", "duration_s": 180, "channels": 1,
  "pops": [{"name": "a", "coordinator_rtt_ms": 20}, {"name": "b", "coordinator_rtt_ms": {"kind": "uniform", "min_ms": 100, "max_ms": 150}}],
  "origin": {"segment_duration_s": 2, "renditions": [{"name": "hi", "bandwidth_bps": 2500000}, {"name": "lo", "bandwidth_bps": 800000}],
             "breaks": {"first_s": 61, "every_s": 0, "duration_s": 30}},
  "viewers": {"viewers_per_channel": 400, "cohorts_per_group": 2, "sgai_fraction": 0.25}
})";

std::string RunReport(const Scenario& sc, const std::vector<std::string>& builds, uint64_t seed) {
  std::vector<nlohmann::json> results;
  for (const std::string& b : builds) {
    Result<nlohmann::json> r = RunBuild(sc, *FindBuild(b), seed);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) results.push_back(*r);
  }
  return SerializeReport(MakeReport(sc, seed, results));
}

TEST(SimRunTest, SameSeedSameBytesDifferentSeedDifferent) {
  Result<Scenario> sc = ParseScenario(kSmall);
  ASSERT_TRUE(sc.ok()) << sc.status().ToString();
  const std::string a = RunReport(*sc, {"kv-hybrid", "kv-channel-state"}, 7);
  const std::string b = RunReport(*sc, {"kv-hybrid", "kv-channel-state"}, 7);
  const std::string c = RunReport(*sc, {"kv-hybrid", "kv-channel-state"}, 8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a.find("\"schema\": \"ssai-sim-report/1\""), std::string::npos);
}

TEST(SimRunTest, CorrectBuildsShowTheBreak) {
  Result<Scenario> sc = ParseScenario(kSmall);
  ASSERT_TRUE(sc.ok());
  sc->lint_sample_every = 7;
  for (const char* name : {"do-only", "kv-hybrid", "kv-channel-state"}) {
    Result<nlohmann::json> r = RunBuild(*sc, *FindBuild(name), 1);
    ASSERT_TRUE(r.ok());
    const nlohmann::json& j = *r;
    EXPECT_GT(j["requests"]["cohort_requests"].get<int64_t>(), 100) << name;
    EXPECT_EQ(j["requests"]["errors"].get<double>(), 0) << name;
    EXPECT_LT(j["ads"]["missed_fraction"].get<double>(), 0.2) << name;
    // Sampled responses (1 in 1000 by default; 1 in 7 here) pass the HLS linter.
    EXPECT_GT(j["lint"]["sampled"].get<int64_t>(), 10) << name;
    EXPECT_EQ(j["lint"]["with_errors"].get<int64_t>(), 0) << name << ": " << j["lint"]["example"];
    EXPECT_EQ(j["lint"]["unparsable"].get<int64_t>(), 0) << name;
    for (const auto& pop : j["pops"]) {
      EXPECT_EQ(pop["breaks_never_shown"].get<int>(), 0) << name;
      // The OUT segment is published when it ends (>= 1 segment after the cue).
      EXPECT_GE(pop["ad_visibility_lag_s"]["p50"].get<double>(), 1.0) << name;
      EXPECT_LT(pop["ad_visibility_lag_s"]["p50"].get<double>(), 10.0) << name;
    }
  }
}

TEST(SimRunTest, DefectIgnoreEndShowsGhostAds) {
  Result<Scenario> sc = ParseScenario(kSmall);
  ASSERT_TRUE(sc.ok());
  Result<nlohmann::json> good = RunBuild(*sc, *FindBuild("kv-channel-state"), 1);
  Result<nlohmann::json> bad = RunBuild(*sc, *FindBuild("defect-ignore-end"), 1);
  ASSERT_TRUE(good.ok() && bad.ok());
  EXPECT_GT((*bad)["ads"]["ghost_ad_viewer_s"].get<double>(),
            10 * ((*good)["ads"]["ghost_ad_viewer_s"].get<double>() + 100));
}

TEST(SimRunTest, OverloadRejectsAboveSoftLimit) {
  Result<Scenario> sc = ParseScenario(kSmall);
  ASSERT_TRUE(sc.ok());
  sc->viewers.viewers_per_channel = 5000;  // ~3000 coordinator calls/s with do-only
  sc->duration_s = 40;
  Result<nlohmann::json> r = RunBuild(*sc, *FindBuild("do-only"), 1);
  ASSERT_TRUE(r.ok());
  EXPECT_GT((*r)["coordinator"]["overload_rejections"].get<double>(), 0);
  EXPECT_GT((*r)["coordinator"]["peak_channel_rate_per_s"].get<double>(), 1000);
}

TEST(SimRunTest, FixturesParse) {
  for (const char* path : {"fixtures/scenarios/default.json", "fixtures/scenarios/seed-phase1.json"}) {
    std::ifstream in(path);
    ASSERT_TRUE(in) << path;
    std::stringstream ss;
    ss << in.rdbuf();
    Result<Scenario> sc = ParseScenario(ss.str());
    EXPECT_TRUE(sc.ok()) << path << ": " << sc.status().ToString();
  }
  EXPECT_EQ(ParseScenario(R"({"kv": {"cache_ttl_s": 10}})").status().message(),
            "scenario.kv.cache_ttl_s: must be in [30.0, 86400.0], got 10");
  EXPECT_EQ(ParseScenario(R"({"viewrs": {}})").status().message(), "scenario: unknown field 'viewrs'");
  nlohmann::json j = nlohmann::json::object();
  ASSERT_TRUE(ApplyOverride(&j, "viewers.viewers_per_channel=10").ok());
  EXPECT_EQ(j["viewers"]["viewers_per_channel"], 10);
}

}  // namespace
}  // namespace ssai::sim
