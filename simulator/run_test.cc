#include "simulator/run.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include <gtest/gtest.h>

#include "reference/io/files.h"
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

// README.md "Aggregation": the default cohorts_per_group gives, within tolerance, what a much
// finer aggregation (64 cohorts per group) gives; one cohort per group does not (its first-viewer
// ad-visibility lag is biased up by most of a reload interval). Tolerances: docs/measurements.md
// "Cohort aggregation: convergence" (seed-to-seed spread at K=16..64 on this shape).
TEST(SimRunTest, DefaultCohortsPerGroupConverges) {
  constexpr const char* kConvergence = R"({
    "name": "convergence-small", "duration_s": 420, "warmup_s": 30, "channels": 2,
    "pops": [{"name": "near", "coordinator_rtt_ms": 20}, {"name": "far", "coordinator_rtt_ms": 150}],
    "origin": {"segment_duration_s": 2, "renditions": [{"name": "hi", "bandwidth_bps": 2500000}, {"name": "lo", "bandwidth_bps": 800000}],
               "breaks": {"first_s": 30, "every_s": 60, "duration_s": 30, "stagger_s": 7}},
    "viewers": {"viewers_per_channel": 2000}})";
  struct Headline {
    double lag_p50_s = 0, lag_p95_s = 0, kv_hit_rate = 0, latency_p95_ms = 0, coordinator_calls = 0;
  };
  auto run = [&](std::optional<int> k) {
    Result<Scenario> sc = ParseScenario(kConvergence);
    EXPECT_TRUE(sc.ok()) << sc.status().ToString();
    if (k) sc->viewers.cohorts_per_group = *k;
    Result<nlohmann::json> r = RunBuild(*sc, *FindBuild("kv-channel-state"), 2);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    Headline h;
    for (const auto& pop : (*r)["pops"]) {
      EXPECT_GE(pop["ad_visibility_lag_s"]["count"].get<int64_t>(), 10);
      h.lag_p50_s += pop["ad_visibility_lag_s"]["p50"].get<double>() / 2;
      h.lag_p95_s += pop["ad_visibility_lag_s"]["p95"].get<double>() / 2;
    }
    h.kv_hit_rate = (*r)["kv"]["hit_rate"].get<double>();
    h.latency_p95_ms = (*r)["latency_ms"]["p95"].get<double>();
    h.coordinator_calls = (*r)["coordinator"]["calls"].get<double>();
    return h;
  };
  EXPECT_EQ(Scenario{}.viewers.cohorts_per_group, 16);
  const Headline fine = run(64), deflt = run(std::nullopt), coarse = run(1);
  EXPECT_NEAR(deflt.lag_p50_s, fine.lag_p50_s, 0.15);
  EXPECT_NEAR(deflt.lag_p95_s, fine.lag_p95_s, 0.15);
  EXPECT_NEAR(deflt.kv_hit_rate, fine.kv_hit_rate, 0.002);
  EXPECT_NEAR(deflt.latency_p95_ms, fine.latency_p95_ms, 0.03 * fine.latency_p95_ms);
  // Background refreshes start at the first request after each interval: coarser cohorts leave
  // longer gaps, so fewer calls (README.md "Aggregation").
  EXPECT_NEAR(deflt.coordinator_calls, fine.coordinator_calls, 0.06 * fine.coordinator_calls);
  // The test can tell: one cohort per group is outside the tolerances.
  EXPECT_GT(coarse.lag_p50_s - fine.lag_p50_s, 0.5);
  EXPECT_GT(coarse.lag_p95_s - fine.lag_p95_s, 0.5);
  EXPECT_LT(coarse.coordinator_calls, 0.7 * fine.coordinator_calls);
}

// Answer reuse (README.md "Answer reuse") changes which draws are made, not what is simulated:
// with it on, most cohort reloads are answered from their group's last answer, and the
// headline metrics stay those of running every reload through the edge (within the noise of
// one seed); builds it does not apply to reuse nothing.
TEST(SimRunTest, AnswerReuseKeepsTheHeadlines) {
  constexpr const char* kShape = R"({
    "name": "reuse-small", "duration_s": 420, "warmup_s": 30, "channels": 2,
    "pops": [{"name": "near", "coordinator_rtt_ms": 20}, {"name": "far", "coordinator_rtt_ms": 150}],
    "origin": {"segment_duration_s": 2, "renditions": [{"name": "hi", "bandwidth_bps": 2500000}, {"name": "lo", "bandwidth_bps": 800000}],
               "breaks": {"first_s": 30, "every_s": 60, "duration_s": 30, "stagger_s": 7}},
    "viewers": {"viewers_per_channel": 2000, "sgai_fraction": 0.25}})";
  Result<Scenario> sc = ParseScenario(kShape);
  ASSERT_TRUE(sc.ok()) << sc.status().ToString();
  auto run = [&](const std::string& build, bool reuse, uint64_t seed) {
    RunOptions options;
    options.reuse_answers = reuse;
    Result<nlohmann::json> r = RunBuild(*sc, *FindBuild(build), seed, options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : nlohmann::json();
  };
  auto mean_over_pops = [](const nlohmann::json& r, const char* metric, const char* stat) {
    double sum = 0;
    for (const auto& pop : r["pops"]) sum += pop[metric][stat].get<double>();
    return sum / static_cast<double>(r["pops"].size());
  };
  for (uint64_t seed : {2, 3}) {
    const nlohmann::json off = run("kv-channel-state", false, seed), on = run("kv-channel-state", true, seed);
    EXPECT_EQ(off["requests"]["reused_cohort_requests"].get<int64_t>(), 0);
    EXPECT_GT(on["requests"]["reused_cohort_requests"].get<double>(), 0.7 * on["requests"]["cohort_requests"].get<double>());
    for (const char* metric : {"ad_visibility_lag_s", "viewer_ad_visibility_lag_s"}) {
      for (const char* stat : {"p50", "p95"}) {
        EXPECT_NEAR(mean_over_pops(on, metric, stat), mean_over_pops(off, metric, stat), 0.1) << metric << " " << stat;
      }
    }
    EXPECT_NEAR(on["kv"]["hit_rate"].get<double>(), off["kv"]["hit_rate"].get<double>(), 0.002);
    EXPECT_NEAR(on["latency_ms"]["p95"].get<double>(), off["latency_ms"]["p95"].get<double>(),
                0.03 * off["latency_ms"]["p95"].get<double>());
    EXPECT_NEAR(on["coordinator"]["calls"].get<double>(), off["coordinator"]["calls"].get<double>(),
                0.02 * off["coordinator"]["calls"].get<double>());
    EXPECT_NEAR(on["ads"]["missed_fraction"].get<double>(), off["ads"]["missed_fraction"].get<double>(), 0.002);
    EXPECT_NEAR(on["requests"]["viewer_requests"].get<double>(), off["requests"]["viewer_requests"].get<double>(),
                0.01 * off["requests"]["viewer_requests"].get<double>());
  }
  // kv-hybrid reads break keys, not the channel document: nothing to reuse.
  EXPECT_EQ(run("kv-hybrid", true, 2)["requests"]["reused_cohort_requests"].get<int64_t>(), 0);
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

// A break 0.1 s after a segment boundary, inside the splicer's tolerance: a DATERANGE splices on
// that boundary, a tag on the next segment (world/ground_truth.h). The truth must follow each, so a
// correct build shows no ghost ad time (the DATERANGE case counted 204 viewer-s before, issue 18).
TEST(SimRunTest, BreaksJustAfterABoundaryAreJudgedWhereTheySplice) {
  for (const char* flavour : {"cue_out", "daterange"}) {
    std::string text = kSmall;
    text.replace(text.find("\"first_s\": 61"), 13, "\"first_s\": 60.1");
    text.replace(text.find("\"breaks\""), 0, "\"cue_flavour\": \"" + std::string(flavour) + "\", ");
    Result<Scenario> sc = ParseScenario(text);
    ASSERT_TRUE(sc.ok()) << sc.status().ToString();
    for (const char* name : {"do-only", "kv-hybrid", "kv-channel-state"}) {
      Result<nlohmann::json> r = RunBuild(*sc, *FindBuild(name), 1);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ((*r)["ads"]["ghost_ad_viewer_s"].get<double>(), 0) << flavour << " " << name;
      EXPECT_GT((*r)["ads"]["scheduled_ad_viewer_s"].get<double>(), 0) << flavour << " " << name;
      EXPECT_LT((*r)["ads"]["missed_fraction"].get<double>(), 0.2) << flavour << " " << name;
    }
  }
}

// A pod of creatives whose segments do not fall on the content's slots (7.5 s at 1.5 s, 15 s at
// 2 s, 30 s at 2 s cut at the return) emits 22 segments for a 40 s break's 20 slots, so the
// output's MEDIA-SEQUENCE runs 2 ahead of the origin's from the pod's middle on (splicer.h "Pods
// of creatives"). The truth is kept in the origin's slots: judging a response by its output
// numbering counted the pod's last segments as ads after the break (8 ghost viewer-seconds on
// fixtures/scenarios/conformance/vast_pod_long.json for every build) and, after it, every later
// break 2 slots early (missed at its start, ghost at its end). A correct build shows neither.
TEST(SimRunTest, PodsOfCreativesAreJudgedOnTheOriginsSlots) {
  std::string text = kSmall;
  const std::string schedule = R"("breaks": {"first_s": 61, "every_s": 0, "duration_s": 30})";
  text.replace(text.find(schedule), schedule.size(),
               R"("breaks": [{"at_s": 40, "duration_s": 40, "event_id": 1}, {"at_s": 120, "duration_s": 40, "event_id": 2}])");
  text.insert(text.rfind('}'), R"(, "decision": {"ads": [{"id": "c7", "duration_s": 7.5, "segment_duration_s": 1.5},
    {"id": "c15", "duration_s": 15, "segment_duration_s": 2}, {"id": "c30", "duration_s": 30, "segment_duration_s": 2}]})");
  Result<Scenario> sc = ParseScenario(text);
  ASSERT_TRUE(sc.ok()) << sc.status().ToString();
  for (const char* name : {"do-only", "kv-hybrid", "kv-channel-state"}) {
    Result<nlohmann::json> r = RunBuild(*sc, *FindBuild(name), 1);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const nlohmann::json& ads = (*r)["ads"];
    EXPECT_EQ(ads["ghost_ad_viewer_s"].get<double>(), 0) << name;
    EXPECT_GT(ads["scheduled_ad_viewer_s"].get<double>(), 0) << name;
    EXPECT_LT(ads["missed_fraction"].get<double>(), 0.2) << name;
    EXPECT_EQ((*r)["disagreement"]["cross_rendition"].get<double>(), 0) << name;
  }
}

// Server-side tracking (issue 15): the edges' BeaconTracker fires for each SSAI cohort's session;
// report.json counts the viewers per break and event, index.html shows them, and the same seed
// gives the same counts. Two breaks: each has its own row.
TEST(SimRunTest, BeaconsPerBreakFromTheEdgesTracker) {
  Result<Scenario> sc = ParseScenario(kSmall);
  ASSERT_TRUE(sc.ok());
  sc->origin.breaks.every_s = 60;  // breaks at 61 s and 121 s
  // The seed's conditioned ads carry no tracking: no beacons.
  Result<nlohmann::json> seed_ads = RunBuild(*sc, *FindBuild("kv-channel-state"), 3);
  ASSERT_TRUE(seed_ads.ok());
  EXPECT_TRUE((*seed_ads)["beacons"]["by_break"].empty());
  sc->decision.pods_of_creatives = true;
  Result<nlohmann::json> r = RunBuild(*sc, *FindBuild("kv-channel-state"), 3);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const nlohmann::json& b = (*r)["beacons"];
  ASSERT_EQ(b["by_break"].size(), 2u) << b.dump();
  EXPECT_EQ(b["unattributed"].get<int64_t>(), 0);
  for (const nlohmann::json& row : b["by_break"]) {
    // 3 creatives of 15 s in a 30 s break: the third is cut (no complete for it). The SSAI
    // viewers (3/4 of 400) see each of the first two through.
    const int64_t impressions = row["impression"].get<int64_t>();
    EXPECT_GT(impressions, 2 * 200) << row.dump();
    EXPECT_EQ(row["start"].get<int64_t>(), impressions) << row.dump();
    for (const char* e : {"firstQuartile", "midpoint", "thirdQuartile", "complete"}) {
      EXPECT_GT(row[e].get<int64_t>(), 0) << e << " " << row.dump();
    }
    EXPECT_LT(row["complete"].get<int64_t>(), impressions) << "the cut creative never completes: " << row.dump();
    EXPECT_EQ(row["cohort_beacons"]["impression"].get<int64_t>(), row["cohort_beacons"]["start"].get<int64_t>());
    // What the cohorts' playlists delivered says the same, event by event; nothing fired twice
    // or for a creative a session never got.
    for (std::string_view e : kBeaconEvents) {
      const std::string name(e);
      EXPECT_EQ(row["cohort_beacons"][name], row["cohort_expected"][name]) << name << " " << row.dump();
      EXPECT_EQ(row[name], row["expected"][name]) << name << " " << row.dump();
      EXPECT_EQ(row["cohort_duplicates"][name].get<int64_t>(), 0) << name;
    }
    EXPECT_EQ(row["cohort_unserved"].get<int64_t>(), 0) << row.dump();
  }
  EXPECT_EQ(b["fired"]["impression"].get<int64_t>(),
            b["by_break"][0]["impression"].get<int64_t>() + b["by_break"][1]["impression"].get<int64_t>());
  // Fired on decision (the defect): everything at once, complete even for the cut creative.
  Result<nlohmann::json> bad = RunBuild(*sc, *FindBuild("defect-beacons-on-decision"), 3);
  ASSERT_TRUE(bad.ok());
  const nlohmann::json& d = (*bad)["beacons"]["by_break"];
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0]["complete"].get<int64_t>(), d[0]["impression"].get<int64_t>()) << d.dump();
  // ... which the delivered playlists expose: more completes than were due, and beacons for the
  // third creative, which the 30 s break never delivered.
  EXPECT_GT(d[0]["complete"].get<int64_t>(), d[0]["expected"]["complete"].get<int64_t>()) << d.dump();
  EXPECT_GT(d[0]["cohort_unserved"].get<int64_t>(), 0) << d.dump();
  EXPECT_GT((*bad)["beacons"]["cohort_unserved"].get<int64_t>(), 0);
  // Same seed, same report; and index.html shows the table.
  const std::string a = RunReport(*sc, {"kv-channel-state"}, 3);
  EXPECT_EQ(a, RunReport(*sc, {"kv-channel-state"}, 3));
  const std::string html = RenderHtml(nlohmann::json::parse(a));
  EXPECT_NE(html.find("Server-side beacons per break"), std::string::npos);
  EXPECT_NE(html.find("fired / expected"), std::string::npos);
  const std::string first_break = (*r)["beacons"]["by_break"][0]["event_id"].get<std::string>();
  EXPECT_NE(html.find("<td>" + first_break + "</td>"), std::string::npos) << "break " << first_break << "'s row";
  // Issue 19: the summary is an HTML table whose headers say what they mean, not a <pre>.
  EXPECT_NE(html.find("<table class='summary'>"), std::string::npos);
  EXPECT_NE(html.find("<th title='viewer-seconds of ads shown after their break ended'>ghost v-s</th>"),
            std::string::npos);
  EXPECT_NE(html.find("<td class='name'>kv-channel-state</td>"), std::string::npos);
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

TEST(SimRunTest, AudienceTraceShapesTheViewerCount) {
  Result<Scenario> sc = ParseScenario(kSmall);
  ASSERT_TRUE(sc.ok());
  // Steady state first: about 400 viewers in every 10 s interval.
  Result<nlohmann::json> steady = RunBuild(*sc, *FindBuild("kv-channel-state"), 3);
  ASSERT_TRUE(steady.ok());
  const nlohmann::json& sv = (*steady)["requests"]["viewers_over_time"];
  EXPECT_EQ(sv["interval_s"].get<double>(), 10);
  for (size_t i = 1; i + 1 < sv["values"].size(); ++i) {
    EXPECT_NEAR(sv["values"][i].get<double>(), 400, 100) << "interval " << i;
  }
  // A kick-off: 10 % at the start, everyone by 60 s, down to 10 % between 120 and 150 s.
  sc->viewers.trace = {{0, 0.1}, {60, 1.0}, {120, 1.0}, {150, 0.1}};
  EXPECT_DOUBLE_EQ(TraceFraction(sc->viewers.trace, 30), 0.55);
  EXPECT_DOUBLE_EQ(TraceFraction(sc->viewers.trace, 500), 0.1);
  Result<nlohmann::json> traced = RunBuild(*sc, *FindBuild("kv-channel-state"), 3);
  ASSERT_TRUE(traced.ok());
  const nlohmann::json& tv = (*traced)["requests"]["viewers_over_time"]["values"];
  ASSERT_GE(tv.size(), 17u);
  EXPECT_LT(tv[0].get<double>(), 90);                // ~40 + the first seconds of the rise
  EXPECT_NEAR(tv[3].get<double>(), 0.625 * 400, 60);  // [30, 40) s: 55-70 % of 400
  for (size_t i = 7; i < 12; ++i) EXPECT_NEAR(tv[i].get<double>(), 400, 100) << "interval " << i;
  for (size_t i = 16; i < 17; ++i) EXPECT_NEAR(tv[i].get<double>(), 40, 30) << "interval " << i;
  EXPECT_LT((*traced)["requests"]["viewer_requests"].get<double>(),
            (*steady)["requests"]["viewer_requests"].get<double>());
  // The trace is part of the scenario the report records, and of the determinism contract.
  EXPECT_EQ(ScenarioToJson(*sc)["viewers"]["trace"].dump(), "[[0.0,0.1],[60.0,1.0],[120.0,1.0],[150.0,0.1]]");
  Result<nlohmann::json> again = RunBuild(*sc, *FindBuild("kv-channel-state"), 3);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->dump(), traced->dump());
}

TEST(SimRunTest, PopTraceShapesThatPopsViewersOnly) {
  // POP "b" is in a time zone where the audience goes to bed at 60-90 s; "a" keeps the steady
  // state of viewers.trace (none here). 400 viewers per channel, half per POP.
  Result<Scenario> sc = ParseScenario(R"({
    "name": "tz", "duration_s": 150, "channels": 1,
    "pops": [{"name": "a", "coordinator_rtt_ms": 20},
             {"name": "b", "coordinator_rtt_ms": 120, "trace": [[60, 1], [90, 0.1]]}],
    "origin": {"segment_duration_s": 2, "renditions": [{"name": "hi", "bandwidth_bps": 2500000}],
               "breaks": {"first_s": 40, "every_s": 0, "duration_s": 30}},
    "viewers": {"viewers_per_channel": 400, "cohorts_per_group": 2}
  })");
  ASSERT_TRUE(sc.ok()) << sc.status().ToString();
  Result<nlohmann::json> r = RunBuild(*sc, *FindBuild("kv-channel-state"), 5);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const nlohmann::json& pops = (*r)["pops"];
  ASSERT_EQ(pops.size(), 2u);
  const nlohmann::json& a = pops[0]["viewers_over_time"]["values"];
  const nlohmann::json& b = pops[1]["viewers_over_time"]["values"];
  ASSERT_GE(a.size(), 14u);
  ASSERT_GE(b.size(), 14u);
  for (size_t i = 1; i < 14; ++i) EXPECT_NEAR(a[i].get<double>(), 200, 50) << "a, interval " << i;
  for (size_t i = 1; i < 6; ++i) EXPECT_NEAR(b[i].get<double>(), 200, 50) << "b, interval " << i;
  for (size_t i = 10; i < 14; ++i) EXPECT_NEAR(b[i].get<double>(), 20, 15) << "b, interval " << i;
  // The aggregate is the sum of the POPs.
  const nlohmann::json& all = (*r)["requests"]["viewers_over_time"]["values"];
  for (size_t i = 0; i < 14; ++i) {
    EXPECT_NEAR(all[i].get<double>(), a[i].get<double>() + b[i].get<double>(), 1e-6) << "interval " << i;
  }
  // The trace is part of the recorded scenario, which parses back to the same scenario.
  const nlohmann::json echoed = ScenarioToJson(*sc);
  EXPECT_EQ(echoed["pops"][1]["trace"].dump(), "[[60.0,1.0],[90.0,0.1]]");
  EXPECT_FALSE(echoed["pops"][0].contains("trace"));
  Result<Scenario> back = ParseScenario(echoed.dump());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ScenarioToJson(*back).dump(), echoed.dump());
  // Without POP traces the POPs carry no audience series (reports keep their bytes).
  sc->pops[1].trace.clear();
  Result<nlohmann::json> flat = RunBuild(*sc, *FindBuild("kv-channel-state"), 5);
  ASSERT_TRUE(flat.ok());
  EXPECT_FALSE((*flat)["pops"][1].contains("viewers_over_time"));
  // The per-POP plot is drawn only with them.
  EXPECT_NE(RenderHtml(MakeReport(*sc, 5, {*r})).find("Audience per POP"), std::string::npos);
  EXPECT_EQ(RenderHtml(MakeReport(*sc, 5, {*flat})).find("Audience per POP"), std::string::npos);
}

TEST(SimRunTest, ChannelsCoordinatorsAtTheirOwnLocations) {
  // do-only pays the coordinator round trip on every request: its latency shows where the
  // coordinator is. One far location for every channel, then channels split near / far.
  Result<Scenario> sc = ParseScenario(kSmall);
  ASSERT_TRUE(sc.ok());
  sc->channels = 2;
  sc->duration_s = 60;
  Result<nlohmann::json> base = RunBuild(*sc, *FindBuild("do-only"), 1);
  ASSERT_TRUE(base.ok());
  EXPECT_LT((*base)["latency_ms"]["p99"].get<double>(), 400);
  sc->coordinator.locations = {{"far", {Distribution::Fixed(400), Distribution::Fixed(400)}}};
  Result<nlohmann::json> far = RunBuild(*sc, *FindBuild("do-only"), 1);
  ASSERT_TRUE(far.ok());
  EXPECT_GE((*far)["latency_ms"]["p50"].get<double>(), 400);
  sc->coordinator.locations.insert(sc->coordinator.locations.begin(),
                                   {"near", {Distribution::Fixed(5), Distribution::Fixed(5)}});
  Result<nlohmann::json> split = RunBuild(*sc, *FindBuild("do-only"), 1);
  ASSERT_TRUE(split.ok());
  EXPECT_LT((*split)["latency_ms"]["mean"].get<double>(), (*far)["latency_ms"]["mean"].get<double>() - 150);
  EXPECT_GE((*split)["latency_ms"]["p99"].get<double>(), 400);
  const nlohmann::json pops = (*split)["pops"];
  ASSERT_EQ(pops.size(), 2u);  // both POPs see both channels, so both have the near and the far
  for (const auto& p : pops) EXPECT_GE(p["latency_ms"]["p99"].get<double>(), 400) << p["name"];
}

TEST(SimRunTest, TraceAndLocationErrorsNameTheField) {
  EXPECT_EQ(ParseScenario(R"({"viewers": {"trace": [[0, 1], [0, 2]]}})").status().message(),
            "scenario.viewers.trace[1]: t_s must increase, got 0 after 0.0");
  EXPECT_EQ(ParseScenario(R"({"viewers": {"trace": [[0, -1]]}})").status().message(),
            "scenario.viewers.trace[0]: fraction must be in [0, 1000], got -1");
  EXPECT_EQ(ParseScenario(R"({"viewers": {"trace": [5]}})").status().message(),
            "scenario.viewers.trace[0]: must be [t_s, fraction], two numbers, got 5");
  EXPECT_EQ(ParseScenario(R"({"viewers": {"trace": []}})").status().message(),
            "scenario.viewers.trace: must be an array of 1..100000 [t_s, fraction] points");
  EXPECT_EQ(ParseScenario(R"({"viewers": {"trace": [[0, 1]], "ramp_s": 60}})").status().message(),
            "scenario.viewers: trace and ramp_s exclude each other (a trace starting at 0 is a ramp)");
  EXPECT_EQ(ParseScenario(R"({"pops": [{"name": "a"}, {"name": "b", "trace": [[0, 1], [5, "x"]]}]})").status().message(),
            "scenario.pops[1].trace[1]: must be [t_s, fraction], two numbers, got [5,\"x\"]");
  EXPECT_EQ(ParseScenario(R"({"pops": [{"name": "a", "trace": [[0, 1]]}], "viewers": {"ramp_s": 60}})").status().message(),
            "scenario.pops[0].trace: excludes scenario.viewers.ramp_s (a trace starting at 0 is a ramp)");
  EXPECT_EQ(ParseScenario(R"({"coordinator": {"locations": [{"name": "x", "rtt_ms": [10]}]}})").status().message(),
            "scenario.coordinator.locations[0].rtt_ms: must be an array of one distribution per POP (3)");
  EXPECT_EQ(ParseScenario(R"({"coordinator": {"locations": [{"rtt_ms": [10, 20, "x"]}]}})").status().ok(), false);
  Result<Scenario> ok = ParseScenario(R"({"coordinator": {"locations": [{"name": "eu", "rtt_ms": [10, 20, 30]}]}})");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ScenarioToJson(*ok)["coordinator"]["locations"][0]["name"], "eu");
  EXPECT_FALSE(ScenarioToJson(*ParseScenario("{}"))["viewers"].contains("trace"));
}

TEST(SimRunTest, ApiCuesGoThroughTheCoordinatorsCueApi) {
  Result<Scenario> sc = ParseScenario(kSmall);
  ASSERT_TRUE(sc.ok());
  sc->origin.breaks.source = BreakSource::kApi;  // POST /cue at 61 s; no marker in the origin
  for (const char* name : {"do-only", "kv-hybrid", "kv-channel-state"}) {
    Result<nlohmann::json> r = RunBuild(*sc, *FindBuild(name), 1);
    ASSERT_TRUE(r.ok());
    const nlohmann::json& cues = (*r)["coordinator"]["api_cues"];
    EXPECT_EQ(cues["sent"], 1) << name;
    EXPECT_EQ(cues["acknowledged"], 1) << name;
    EXPECT_EQ((*r)["coordinator"]["core"]["breaks_created"], 1) << name;
    EXPECT_LT((*r)["ads"]["missed_fraction"].get<double>(), 0.2) << name;
    EXPECT_GT((*r)["ads"]["scheduled_ad_viewer_s"].get<double>(), 0) << name;
    for (const auto& pop : (*r)["pops"]) {
      EXPECT_EQ(pop["breaks_due"], 1) << name;
      EXPECT_EQ(pop["breaks_never_shown"], 0) << name;
    }
    // The seed's builds start the break at receipt; ours announces it ahead (R3), which the
    // ad-visibility lag (from the send time) then includes.
    if (std::string(name) == "kv-channel-state") {
      EXPECT_GE(cues["start_lead_s"]["p50"].get<double>(), 1.0);
    } else {
      EXPECT_LT(cues["start_lead_s"]["max"].get<double>(), 0.1) << name;
    }
  }
  // The coordinator is down when the cue is sent: not acknowledged, so no break is due and no
  // ad is shown (a failed POST /cue is the operator's to retry).
  sc->coordinator.crashes = {{60, 70, 0, 0}};
  Result<nlohmann::json> down = RunBuild(*sc, *FindBuild("kv-channel-state"), 1);
  ASSERT_TRUE(down.ok());
  EXPECT_EQ((*down)["coordinator"]["api_cues"]["failed"], 1);
  EXPECT_EQ((*down)["coordinator"]["core"]["breaks_created"], 0);
  EXPECT_EQ((*down)["ads"]["ghost_ad_viewer_s"].get<double>(), 0);
  EXPECT_EQ((*down)["ads"]["scheduled_ad_viewer_s"].get<double>(), 0);
  for (const auto& pop : (*down)["pops"]) EXPECT_EQ(pop["breaks_due"], 0);
  EXPECT_EQ(ParseScenario(R"({"origin": {"breaks": {"source": "manual"}}})").status().message(),
            "scenario.origin.breaks.source: unknown 'manual' (scte35, api)");
  EXPECT_EQ(ScenarioToJson(*sc)["origin"]["breaks"]["source"], "api");
}

// Demuxed presentations (issue 14): the synthetic origin's own fields (origin.container, audio,
// subtitles) make every viewer reload one audio rendition and the subtitles with its variant,
// through the same edges; the report counts each kind. kSmall with them vs kSmall: the same
// viewers, ~3x the manifest requests and KV reads.
std::string Demuxed(std::string scenario) {
  const std::string at = R"("breaks": {"first_s": 61)";
  scenario.insert(scenario.find(at), R"("container": "cmaf",
    "audio": [{"id": "aud_en", "name": "English", "language": "en", "default": true},
              {"id": "aud_fr", "name": "Francais", "language": "fr"}],
    "subtitles": [{"id": "sub_en", "name": "English", "language": "en"}], )");
  return scenario;
}

TEST(SimRunTest, DemuxedViewersLoadAudioAndSubtitlesWithEachReload) {
  Result<Scenario> muxed = ParseScenario(kSmall);
  Result<Scenario> demuxed = ParseScenario(Demuxed(kSmall));
  ASSERT_TRUE(muxed.ok() && demuxed.ok()) << demuxed.status().ToString();
  EXPECT_EQ(demuxed->origin.PlaylistsPerReload(), 3);
  // Same scenario + seed: the same bytes.
  EXPECT_EQ(RunReport(*demuxed, {"kv-hybrid", "kv-channel-state"}, 3),
            RunReport(*demuxed, {"kv-hybrid", "kv-channel-state"}, 3));
  demuxed->lint_sample_every = 7;
  for (const char* name : {"do-only", "kv-hybrid", "kv-channel-state"}) {
    Result<nlohmann::json> m = RunBuild(*muxed, *FindBuild(name), 1);
    Result<nlohmann::json> d = RunBuild(*demuxed, *FindBuild(name), 1);
    ASSERT_TRUE(m.ok() && d.ok()) << name;
    const nlohmann::json& kinds = (*d)["requests"]["by_kind"];
    const double variant = kinds["variant"]["viewer_requests"].get<double>();
    // One audio and one subtitle playlist per variant reload, the same viewers.
    EXPECT_NEAR(kinds["audio"]["viewer_requests"].get<double>(), variant, 0.02 * variant) << name;
    EXPECT_NEAR(kinds["subtitles"]["viewer_requests"].get<double>(), variant, 0.02 * variant) << name;
    EXPECT_EQ((*m)["requests"]["by_kind"]["audio"]["cohort_requests"].get<int64_t>(), 0) << name;
    const double ratio = (*d)["requests"]["viewer_requests"].get<double>() / (*m)["requests"]["viewer_requests"].get<double>();
    EXPECT_NEAR(ratio, 3.0, 0.15) << name;
    if (std::string_view(name) != "do-only") {
      const double reads = (*d)["kv"]["viewer_reads"].get<double>() / (*m)["kv"]["viewer_reads"].get<double>();
      EXPECT_NEAR(reads, 3.0, 0.3) << name;
      EXPECT_GT(kinds["audio"]["kv_viewer_reads"].get<double>(), 0) << name;
    }
    EXPECT_EQ((*d)["requests"]["errors"].get<double>(), 0) << name;
    EXPECT_LT((*d)["ads"]["missed_fraction"].get<double>(), 0.2) << name;
    // Sampled responses of every kind pass the HLS linter.
    EXPECT_EQ((*d)["lint"]["with_errors"].get<int64_t>(), 0) << name << ": " << (*d)["lint"]["example"];
    EXPECT_EQ((*d)["lint"]["unparsable"].get<int64_t>(), 0) << name;
  }
  // The origin's parser and checks, with the scenario's path.
  std::string bad = Demuxed(kSmall);
  bad.replace(bad.find(R"({"id": "aud_fr", )"), 16, "{");
  EXPECT_EQ(ParseScenario(bad).status().message(), "scenario.origin.audio[1].id: missing");
  std::string clash = Demuxed(kSmall);
  clash.replace(clash.find(R"("id": "sub_en")"), 14, R"("id": "hi")");
  EXPECT_NE(ParseScenario(clash).status().message().find("subtitles[0].id: is also a rendition's name"), std::string::npos)
      << ParseScenario(clash).status().message();
  std::string capture = Demuxed(kSmall);
  capture.insert(capture.find(R"("container")"), R"("capture": "fixtures/captures/cue_out", )");
  EXPECT_EQ(ParseScenario(capture).status().message(),
            "scenario.origin.audio: the synthetic origin's (not with origin.capture or origin.ts)");
}

TEST(SimRunTest, FaultWindowsRunOnTheScenarioClock) {
  // Windows are seconds after the scenario start (viewers arrive), as breaks are, not after the
  // simulation start (warmup_s earlier). A KV outage in [100, 110) s shows in that interval of
  // the hit-rate series and nowhere else.
  Result<Scenario> sc = ParseScenario(kSmall);
  ASSERT_TRUE(sc.ok());
  sc->kv.outages = {{100, 110, -1, 0}};
  Result<nlohmann::json> r = RunBuild(*sc, *FindBuild("kv-channel-state"), 1);
  ASSERT_TRUE(r.ok());
  const nlohmann::json& hit = (*r)["kv"]["hit_rate_over_time"]["values"];
  ASSERT_GT(hit.size(), 12u);
  EXPECT_LT(hit[10].get<double>(), 0.2);
  for (size_t i : {2u, 5u, 8u, 12u}) EXPECT_GT(hit[i].get<double>(), 0.9) << "interval " << i;
}

TEST(SimRunTest, FixturesParse) {
  // Every committed scenario still loads under the strict readers (unknown keys, ranges, size).
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator("fixtures/scenarios")) {
    if (e.path().extension() != ".json") continue;
    ++n;
    Result<std::string> text = io::ReadFileToString(e.path().string(), 16 << 20);
    ASSERT_TRUE(text.ok()) << text.status().ToString();
    Result<Scenario> sc = ParseScenario(*text);
    EXPECT_TRUE(sc.ok()) << e.path() << ": " << sc.status().ToString();
  }
  EXPECT_GE(n, 5);
  EXPECT_EQ(ParseScenario(R"({"kv": {"cache_ttl_s": 10}})").status().message(),
            "scenario.kv.cache_ttl_s: must be in [30, 86400] (Workers KV's minimum cacheTtl) or 0 (no POP "
            "cache, as Redis), got 10");
  EXPECT_EQ(ParseScenario(R"({"viewrs": {}})").status().message().rfind("scenario.viewrs: unknown key (allowed: name, ", 0),
            0u);
  nlohmann::json j = nlohmann::json::object();
  ASSERT_TRUE(ApplyOverride(&j, "viewers.viewers_per_channel=10").ok());
  EXPECT_EQ(j["viewers"]["viewers_per_channel"], 10);
}

// issue 13: input hardening of the scenario reader.
std::string ScenarioError(const std::string& text) {
  Result<Scenario> sc = ParseScenario(text);
  return sc.ok() ? std::string("(accepted)") : sc.status().message();
}

TEST(ScenarioInputTest, DeepNestingIsRefusedNotACrash) {
  // 100,000 nested arrays crashed `ssai sim` with SIGSEGV.
  const std::string deep = R"({"name": )" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_EQ(ScenarioError(deep), "scenario: JSON nested deeper than 64 levels at byte 72");
  nlohmann::json j = nlohmann::json::object();
  EXPECT_FALSE(ApplyOverride(&j, "name=" + std::string(100, '[') + std::string(100, ']')).ok());
  std::string path = "a";
  for (int i = 0; i < 20; ++i) path += ".a";
  EXPECT_EQ(ApplyOverride(&j, path + "=1").message(), "override '" + path + "': more than 16 path components");
}

TEST(ScenarioInputTest, NumbersAreRangeChecked) {
  // Negative coordinator RTTs were accepted (a fixed or a uniform distribution, or per location).
  EXPECT_EQ(ScenarioError(R"({"pops": [{"coordinator_rtt_ms": -5}]})"),
            "scenario.pops[0].coordinator_rtt_ms: distribution: a fixed delay must be in [0, 1e9] ms, got -5");
  EXPECT_EQ(ScenarioError(R"({"pops": [{"coordinator_rtt_ms": {"kind": "uniform", "min_ms": -20, "max_ms": 5}}]})"),
            "scenario.pops[0].coordinator_rtt_ms: distribution 'uniform': 'min_ms' must be in [0.0, 1000000000.0], got -20");
  EXPECT_NE(ScenarioError(R"({"pops": [{}], "coordinator": {"locations": [{"rtt_ms": [-1]}]}})")
                .find("scenario.coordinator.locations[0].rtt_ms[0]: distribution: a fixed delay"),
            std::string::npos);
  // viewer_share 0 was accepted (all zero divides by zero).
  EXPECT_EQ(ScenarioError(R"({"pops": [{"viewer_share": 0}]})"),
            "scenario.pops[0].viewer_share: must be in (0, 1000000000], got 0");
  EXPECT_EQ(ScenarioError(R"({"viewers": {"rendition_shares": [0, 0, 0, 0]}})"),
            "scenario.viewers.rendition_shares: at least one must be > 0");
  EXPECT_EQ(ScenarioError(R"({"kv": {"outages": [{"start_s": 1, "end_s": 2, "pop": 3}]}})"),
            "scenario.kv.outages[0].pop: must be -1 (all) or in [0, 2] (a POP index), got 3");
  EXPECT_EQ(ScenarioError(R"({"kv": {"hot_read_ms": {"kind": "lognormal", "median_ms": 2, "sigma": 1e300}}})"),
            "scenario.kv.hot_read_ms: distribution 'lognormal': 'sigma' must be in [0.0, 10.0], got 1e+300");
}

TEST(ScenarioInputTest, WrongTypesAndUnknownKeysNameThePath) {
  // j.value("kind", "") threw type_error.302 on a non-string kind: now an error, never an abort.
  EXPECT_EQ(ScenarioError(R"({"kv": {"hot_read_ms": {"kind": 5}}})"),
            "scenario.kv.hot_read_ms: distribution: 'kind' must be one of fixed, uniform, exponential, lognormal, "
            "pareto, mixture, empirical");
  EXPECT_EQ(ScenarioError(R"({"kv": {"hot_read_ms": {"kind": "fixed", "ms": 1, "msec": 2}}})"),
            "scenario.kv.hot_read_ms: distribution 'fixed': msec: unknown key (allowed: kind, ms)");
  EXPECT_EQ(ScenarioError(R"({"origin": {"breaks": {"evry_s": 1}}})").rfind("scenario.origin.breaks.evry_s: unknown key", 0),
            0u);
}

TEST(ScenarioInputTest, RunSizeIsCheckedUpFront) {
  // Within every field's limit, but 100,000 channels for 7 days died with bad_alloc.
  const std::string huge = ScenarioError(R"({"channels": 100000, "duration_s": 604800})");
  EXPECT_EQ(huge.rfind("scenario: too large to simulate (channels 100000, POPs 3, renditions 4, "
                       "viewers.cohorts_per_group 16, duration_s 604800): a run would need about ", 0),
            0u)
      << huge;
  EXPECT_NE(huge.find("most of it for per-segment ad tallies: channels x 302432 segments"), std::string::npos) << huge;
  EXPECT_NE(huge.find("reduce channels or duration_s"), std::string::npos) << huge;
  // Cohorts dominate: 64 POPs x 8 renditions x 2 modes x 64 cohorts per channel.
  std::string pops = "[";
  for (int i = 0; i < 64; ++i) pops += std::string(i ? "," : "") + "{}";
  std::string rends = "[";
  for (int i = 0; i < 8; ++i) rends += std::string(i ? "," : "") + R"({"name": "r)" + std::to_string(i) + R"("})";
  const std::string cohorts = ScenarioError(R"({"channels": 2000, "duration_s": 60, "pops": )" + pops +
                                            R"(], "origin": {"renditions": )" + rends +
                                            R"(]}, "viewers": {"sgai_fraction": 0.5, "cohorts_per_group": 64}})");
  EXPECT_NE(cohorts.find("most of it for 131072000 cohorts (channels x POPs x renditions x modes x "
                         "viewers.cohorts_per_group); reduce channels, pops"),
            std::string::npos)
      << cohorts;
  // The largest week-long run at the default shape (16 cohorts per group): ~170 channels, by the
  // reloads limit (about a day of CPU).
  EXPECT_TRUE(ParseScenario(R"({"channels": 170, "duration_s": 604800})").ok());
  EXPECT_EQ(ScenarioError(R"({"channels": 180, "duration_s": 604800})").rfind("scenario: too long to simulate", 0), 0u);
  // With 2 cohorts per group memory binds first: ~600 channels (a dry check: parse only).
  Result<Scenario> week = ParseScenario(R"({"channels": 600, "duration_s": 604800, "viewers": {"cohorts_per_group": 2}})");
  ASSERT_TRUE(week.ok()) << week.status().ToString();
  EXPECT_LT(EstimateRunSize(*week).bytes(), kMaxRunBytes);
  EXPECT_GT(EstimateRunSize(*week).bytes(), 0.9 * kMaxRunBytes);
  EXPECT_NE(ScenarioError(R"({"channels": 700, "duration_s": 604800, "viewers": {"cohorts_per_group": 2}})"), "(accepted)");
  // 10 minutes (the default duration), 2 cohorts per group: ~48,000 channels fit; 100,000 do not
  // (playlist state).
  EXPECT_TRUE(ParseScenario(R"({"channels": 45000, "duration_s": 600, "viewers": {"cohorts_per_group": 2}})").ok());
  EXPECT_NE(ScenarioError(R"({"channels": 100000, "duration_s": 600, "viewers": {"cohorts_per_group": 2}})")
                .find("most of it for playlist state (a parse and the spliced outputs per channel x rendition"),
            std::string::npos);
  // The `channels` limit itself is reachable: 100,000 channels x 1 POP x 1 rendition for 10 minutes.
  Result<Scenario> wide = ParseScenario(R"({"channels": 100000, "duration_s": 600, "pops": [{}],
      "origin": {"renditions": [{"name": "v"}]}, "viewers": {"cohorts_per_group": 1}})");
  ASSERT_TRUE(wide.ok()) << wide.status().ToString();
  EXPECT_LT(EstimateRunSize(*wide).bytes(), kMaxRunBytes);
}


// Issue 18, one format: a conformance scenario is a simulator scenario plus `expect`. Every file
// in fixtures/scenarios/conformance parses here, round-trips through ScenarioToJson, and what
// the simulator does not run yet is refused by name, not dropped.
TEST(ScenarioInputTest, ConformanceScenariosAreSimulatorScenarios) {
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator("fixtures/scenarios/conformance")) {
    if (e.path().extension() != ".json") continue;
    ++files;
    Result<nlohmann::json> j = ReadScenarioFile(e.path().string(), 1 << 20);
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    Result<Scenario> sc = ParseScenario(j->dump());
    ASSERT_TRUE(sc.ok()) << e.path() << ": " << sc.status().ToString();
    EXPECT_EQ(sc->channels, 1) << e.path();
    EXPECT_TRUE(sc->viewers.listed) << e.path();
    Result<Scenario> again = ParseScenario(ScenarioToJson(*sc).dump());
    ASSERT_TRUE(again.ok()) << e.path() << ": " << again.status().ToString();
    EXPECT_EQ(ScenarioToJson(*again), ScenarioToJson(*sc)) << e.path();
  }
  EXPECT_GE(files, 37);
  // Listed breaks run in the simulator (each channel the same), with per-POP fixed KV settings.
  Result<Scenario> listed = ParseScenario(R"({"duration_s": 120, "channels": 1, "warmup_s": 0, "kv": {"list_staleness_s": 0},
      "pops": [{"name": "near", "coordinator_rtt_ms": 10, "kv_propagation_s": 1, "kv_latency_ms": 2},
               {"name": "slow", "coordinator_rtt_ms": 150, "kv_propagation_s": 60, "kv_cache": false}],
      "origin": {"breaks": [{"at_s": 30, "duration_s": 20, "event_id": 7}]},
      "viewers": {"viewers_per_channel": 200}})");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_TRUE(listed->origin.breaks_listed);
  ASSERT_EQ(listed->origin.stream.breaks.size(), 1u);
  EXPECT_EQ(listed->origin.stream.breaks[0].start_time, listed->start_time + 30 * kMicrosPerSecond);
  Result<nlohmann::json> run = RunBuild(*listed, *FindBuild("kv-hybrid"), 1);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  const nlohmann::json& pops = (*run)["pops"];
  ASSERT_EQ(pops.size(), 2u);
  EXPECT_EQ(pops[0]["breaks_due"], 1) << pops.dump();
  // The break's key reaches the near POP after 1 s and the slow one after 60 s, when the 20 s
  // break is over: kv-hybrid's lookups hit KV near and never at the slow POP.
  EXPECT_GT(pops[0]["kv_hit_rate"].get<double>(), 0.1) << pops.dump();  // kv-hybrid hits only in a break: 20 of 120 s
  EXPECT_EQ(pops[1]["kv_hit_rate"].get<double>(), 0) << pops.dump();
  // Listed viewers run as themselves: a viewer joining at 30 s and leaving at 60 s watches 30 s
  // (one rendition), one watching both renditions counts twice.
  Result<Scenario> viewers = ParseScenario(R"({"channels": 1, "duration_s": 90, "warmup_s": 0,
      "pops": [{"name": "p", "coordinator_rtt_ms": 20}],
      "origin": {"renditions": [{"name": "a", "bandwidth_bps": 800000}, {"name": "b", "bandwidth_bps": 2500000}],
                 "breaks": [{"at_s": 40, "duration_s": 10, "event_id": 1}]},
      "viewers": [{"pop": "p", "join_s": 30, "leave_s": 60, "renditions": ["a"]}, {"pop": "p", "join_s": 0.1}],
      "decision": {"latency_ms": 20, "ads": [{"id": "x", "duration_s": 10}]}})");
  ASSERT_TRUE(viewers.ok()) << viewers.status().ToString();
  Result<nlohmann::json> played = RunBuild(*viewers, *FindBuild("kv-hybrid"), 1);
  ASSERT_TRUE(played.ok()) << played.status().ToString();
  EXPECT_NEAR((*played)["requests"]["viewer_seconds"].get<double>(), 30 + 2 * 89.9, 8) << (*played)["requests"].dump();
  EXPECT_EQ((*played)["ads"]["missed_ad_viewer_s"].get<double>(), 0) << (*played)["ads"].dump();
  EXPECT_GT((*played)["ads"]["scheduled_ad_viewer_s"].get<double>(), 25) << (*played)["ads"].dump();
  // VAST decisions without the harness's ad server (RunOptions::decision_service): refused by name.
  Result<Scenario> vast = ParseScenario(R"({"decision": {"vast": {"tag": "pod/default.xml"},
      "ads": [{"id": "a", "duration_s": 8, "segment_duration_s": 2}]}})");
  ASSERT_TRUE(vast.ok()) << vast.status().ToString();
  EXPECT_TRUE(RunBuild(*vast, *FindBuild("kv-hybrid"), 1).status().message().starts_with("scenario.decision.vast: not simulated yet"));
  // The old conformance keys say where they went.
  EXPECT_EQ(ParseScenario(R"({"origin": {"start_time": "2026-01-01T00:00:00Z"}})").status().message(),
            "scenario.origin.start_time: the stream starts at the scenario's start_time (give it at the top level)");
  EXPECT_EQ(ParseScenario(R"({"profile": {}})").status().message(),
            "scenario.profile: belongs in the scenario's expect block (expect.profile, expect.api_probes)");
}

// The conformance scenario's parts the simulator plays (issue 18): listed cue API calls and faults
// on a schedule. One channel, two POPs, one listed viewer per POP on one rendition, a pod of 20 s.
std::string Parts(const std::string& breaks, const std::string& extra) {
  return R"({"channels": 1, "duration_s": 150, "warmup_s": 0,
      "pops": [{"name": "a", "coordinator_rtt_ms": 20, "kv_propagation_s": 1},
               {"name": "b", "coordinator_rtt_ms": 20, "kv_propagation_s": 1}],
      "origin": {"segment_duration_s": 2, "renditions": [{"name": "hi", "bandwidth_bps": 2500000}], "breaks": )" +
         breaks + R"(},
      "viewers": [{"pop": "a", "join_s": 0.1}, {"pop": "b", "join_s": 0.2}],
      "decision": {"latency_ms": 20, "ads": [{"id": "x", "duration_s": 10}, {"id": "y", "duration_s": 10}]})" +
         extra + "}";
}

nlohmann::json RunParts(const std::string& text, const char* build) {
  Result<Scenario> sc = ParseScenario(text);
  EXPECT_TRUE(sc.ok()) << sc.status().ToString();
  if (!sc.ok()) return {};
  Result<nlohmann::json> r = RunBuild(*sc, *FindBuild(build), 1);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : nlohmann::json();
}

TEST(SimPartsTest, ListedApiCueIsABreakAtItsAcknowledgedTimeAndADuplicateNoSecond) {
  const std::string once = Parts("[]", R"(, "api_cues": [{"at_s": 30.3, "duration_s": 20}])");
  const std::string twice =
      Parts("[]", R"(, "api_cues": [{"at_s": 30.3, "duration_s": 20}, {"at_s": 36.1, "duration_s": 20, "expect_duplicate": true}])");
  for (const char* build : {"do-only", "kv-hybrid", "kv-channel-state"}) {
    const nlohmann::json one = RunParts(once, build), two = RunParts(twice, build);
    ASSERT_FALSE(one.is_null() || two.is_null());
    // One break, shown at both POPs, no ad outside it; ~20 s of ads per viewer (2 viewers).
    for (const nlohmann::json* r : {&one, &two}) {
      const nlohmann::json& ads = (*r)["ads"];
      EXPECT_EQ((*r)["coordinator"]["core"]["breaks_created"], 1) << build;
      for (const auto& pop : (*r)["pops"]) {
        EXPECT_EQ(pop["breaks_due"], 1) << build;
        EXPECT_EQ(pop["breaks_never_shown"], 0) << build;
      }
      EXPECT_NEAR(ads["scheduled_ad_viewer_s"].get<double>(), 2 * 20, 4.1) << build << ads.dump();
      EXPECT_EQ(ads["ghost_ad_viewer_s"].get<double>(), 0) << build << ads.dump();
      // The truth is the acknowledged break: kv-channel-state announces it ahead (start_lead_s),
      // so judged from the send time it would miss its lead; judged from the acknowledged start,
      // nothing is missed beyond a reload.
      EXPECT_LE(ads["missed_ad_viewer_s"].get<double>(), 4) << build << ads.dump();
    }
    const nlohmann::json& cues = two["coordinator"]["api_cues"];
    EXPECT_EQ(cues["sent"], 2) << build;
    EXPECT_EQ(cues["acknowledged"], 2) << build;
    EXPECT_EQ(cues["duplicates"], 1) << build;
    EXPECT_EQ(two["ads"], one["ads"]) << build;  // the duplicate changed nothing viewers see
    if (std::string(build) == "kv-channel-state") {
      EXPECT_GE(cues["start_lead_s"]["p50"].get<double>(), 1.0);
    }
  }
}

TEST(SimPartsTest, ListedStopEndsThePlayingBreakOrCancelsTheAnnouncedOne) {
  const nlohmann::json full = RunParts(Parts("[]", R"(, "api_cues": [{"at_s": 30.3, "duration_s": 60}])"), "do-only");
  const nlohmann::json stopped =
      RunParts(Parts("[]", R"(, "api_cues": [{"at_s": 30.3, "duration_s": 60}, {"at_s": 50.1, "action": "stop"}])"), "do-only");
  ASSERT_FALSE(full.is_null() || stopped.is_null());
  EXPECT_NEAR(full["ads"]["scheduled_ad_viewer_s"].get<double>(), 2 * 60, 4.1) << full["ads"].dump();
  // Stopped ~20 s in: the truth ends there, and do-only (asks the coordinator every time) follows.
  EXPECT_NEAR(stopped["ads"]["scheduled_ad_viewer_s"].get<double>(), 2 * 20, 4.1) << stopped["ads"].dump();
  EXPECT_EQ(stopped["ads"]["ghost_ad_viewer_s"].get<double>(), 0) << stopped["ads"].dump();
  EXPECT_EQ(stopped["coordinator"]["api_cues"]["stops"], 1);
  // kv-channel-state announces an API break ahead: a stop right after the cue cancels it.
  const nlohmann::json cancelled = RunParts(
      Parts("[]", R"(, "api_cues": [{"at_s": 30.3, "duration_s": 20}, {"at_s": 30.5, "action": "stop"}])"), "kv-channel-state");
  ASSERT_FALSE(cancelled.is_null());
  EXPECT_EQ(cancelled["coordinator"]["api_cues"]["stops"], 1);
  EXPECT_EQ(cancelled["ads"]["scheduled_ad_viewer_s"].get<double>(), 0) << cancelled["ads"].dump();
  EXPECT_EQ(cancelled["ads"]["ghost_ad_viewer_s"].get<double>(), 0) << cancelled["ads"].dump();
  for (const auto& pop : cancelled["pops"]) EXPECT_EQ(pop["breaks_due"], 0);
  // A stop with nothing playing or announced is refused by the coordinator: nothing changes.
  const nlohmann::json early = RunParts(
      Parts("[]", R"(, "api_cues": [{"at_s": 10, "action": "stop"}, {"at_s": 30.3, "duration_s": 20}])"), "do-only");
  ASSERT_FALSE(early.is_null());
  EXPECT_EQ(early["coordinator"]["api_cues"]["failed"], 1);
  EXPECT_EQ(early["coordinator"]["api_cues"]["stops"], 0);
  for (const auto& pop : early["pops"]) EXPECT_EQ(pop["breaks_due"], 1);
  // The cue API's own validation applies (ParseCueRequest): a negative duration is refused, no break.
  const nlohmann::json refused = RunParts(Parts("[]", R"(, "api_cues": [{"at_s": 30.3, "duration_s": -5}])"), "do-only");
  ASSERT_FALSE(refused.is_null());
  EXPECT_EQ(refused["coordinator"]["api_cues"]["refused"], 1);
  EXPECT_EQ(refused["coordinator"]["core"]["breaks_created"], 0);
  for (const auto& pop : refused["pops"]) EXPECT_EQ(pop["breaks_due"], 0);
}

TEST(SimPartsTest, DecisionFaultGivesSlateOnlyInItsWindow) {
  const std::string breaks = R"([{"at_s": 30, "duration_s": 20, "event_id": 1}, {"at_s": 90, "duration_s": 20, "event_id": 2}])";
  // A fault that changes nothing (the service answers from the start), then a failing window
  // around the second break only.
  const nlohmann::json calm = RunParts(Parts(breaks, R"(, "faults": [{"at_s": 0, "kind": "decision", "behaviour": "answer"}])"), "do-only");
  const nlohmann::json failing = RunParts(Parts(breaks, R"(, "faults": [{"at_s": 70, "kind": "decision", "behaviour": "fail"},
      {"at_s": 120, "kind": "decision", "behaviour": "answer"}])"), "do-only");
  ASSERT_FALSE(calm.is_null() || failing.is_null());
  const double scheduled = calm["ads"]["scheduled_ad_viewer_s"].get<double>();
  EXPECT_NEAR(scheduled, 2 * 2 * 20, 8.1) << calm["ads"].dump();
  EXPECT_EQ(calm["ads"]["slate_ad_viewer_s"].get<double>(), 0) << calm["ads"].dump();
  EXPECT_EQ(calm["sim"]["decision_failures"], 0);
  // The second break is slate for its whole length (the break still plays: nothing missed), the first has its pod.
  EXPECT_EQ(failing["ads"]["scheduled_ad_viewer_s"].get<double>(), scheduled);
  EXPECT_NEAR(failing["ads"]["slate_ad_viewer_s"].get<double>(), scheduled / 2, 4.1) << failing["ads"].dump();
  EXPECT_EQ(failing["ads"]["missed_ad_viewer_s"], calm["ads"]["missed_ad_viewer_s"]);
  EXPECT_GE(failing["sim"]["decision_failures"].get<int64_t>(), 1);
  // "hang" the same way: the coordinator's decision timeout gives slate.
  const nlohmann::json hung = RunParts(Parts(breaks, R"(, "faults": [{"at_s": 70, "kind": "decision", "behaviour": "hang"},
      {"at_s": 120, "kind": "decision", "behaviour": "answer"}])"), "do-only");
  ASSERT_FALSE(hung.is_null());
  EXPECT_GT(hung["ads"]["slate_ad_viewer_s"].get<double>(), scheduled / 4) << hung["ads"].dump();
  EXPECT_LE(hung["ads"]["slate_ad_viewer_s"].get<double>(), scheduled / 2 + 4) << hung["ads"].dump();
  EXPECT_GE(hung["coordinator"]["core"]["decision_timeouts"].get<int64_t>(), 1);
}

TEST(SimPartsTest, KvPropagationFaultSlowsThatPopOnly) {
  const std::string breaks = R"([{"at_s": 90, "duration_s": 30, "event_id": 1}])";
  // Fresh lists (kv-stateless finds breaks by list(prefix)), so propagation is what delays a POP.
  const std::string fresh = R"(, "kv": {"list_staleness_s": 0})";
  const nlohmann::json calm = RunParts(Parts(breaks, fresh), "kv-stateless");
  const nlohmann::json slow = RunParts(
      Parts(breaks, fresh + R"(, "faults": [{"at_s": 60, "kind": "kv_propagation", "pop": "b", "delay_s": 15}])"), "kv-stateless");
  ASSERT_FALSE(calm.is_null() || slow.is_null());
  auto lag = [](const nlohmann::json& r, int pop) { return r["pops"][pop]["viewer_ad_visibility_lag_s"]["p50"].get<double>(); };
  // kv-stateless reads KV only: POP b sees the break ~14 s later (15 s instead of 1 s), POP a as before.
  EXPECT_NEAR(lag(slow, 1) - lag(calm, 1), 14, 3) << slow["pops"].dump();
  EXPECT_NEAR(lag(slow, 0), lag(calm, 0), 0.5);  // (the same up to latency draws taken in another order)
  EXPECT_GT(slow["ads"]["missed_ad_viewer_s"].get<double>(), calm["ads"]["missed_ad_viewer_s"].get<double>() + 10);
}

TEST(SimPartsTest, CoordinatorRttFaultAndRestart) {
  const std::string breaks = R"([{"at_s": 30, "duration_s": 30, "event_id": 1}])";
  const nlohmann::json calm = RunParts(Parts(breaks, ""), "do-only");
  const nlohmann::json far =
      RunParts(Parts(breaks, R"(, "faults": [{"at_s": 0, "kind": "coordinator_rtt", "pop": "b", "rtt_ms": 400}])"), "do-only");
  ASSERT_FALSE(calm.is_null() || far.is_null());
  auto p50 = [](const nlohmann::json& r, int pop) { return r["pops"][pop]["latency_ms"]["p50"].get<double>(); };
  // do-only asks the coordinator on every request: POP b's latency takes the new round trip.
  EXPECT_LT(p50(calm, 1), 100);
  EXPECT_GT(p50(far, 1), 380);
  EXPECT_NEAR(p50(far, 0), p50(calm, 0), 5);  // (the coordinator's queue sees POP b's calls at other times)
  // Restarts mid-break: the new coordinator recovers the break from its durable storage.
  const nlohmann::json restarted = RunParts(
      Parts(breaks, R"(, "faults": [{"at_s": 40, "kind": "coordinator_restart"}, {"at_s": 100, "kind": "coordinator_restart"}])"), "do-only");
  ASSERT_FALSE(restarted.is_null());
  EXPECT_EQ(restarted["coordinator"]["restarts"], 2);
  EXPECT_EQ(restarted["ads"]["scheduled_ad_viewer_s"], calm["ads"]["scheduled_ad_viewer_s"]);
  EXPECT_LE(restarted["ads"]["missed_ad_viewer_s"].get<double>(), 4) << restarted["ads"].dump();
  EXPECT_EQ(restarted["ads"]["ghost_ad_viewer_s"].get<double>(), 0) << restarted["ads"].dump();
  for (const auto& pop : restarted["pops"]) EXPECT_EQ(pop["breaks_never_shown"], 0);
  // Bad input is named: a fault's unknown POP (the parser's check, and the scheduler's for a
  // scenario built in code).
  EXPECT_EQ(ParseScenario(Parts(breaks, R"(, "faults": [{"at_s": 1, "kind": "kv_propagation", "pop": "zz", "delay_s": 1}])"))
                .status()
                .message(),
            "scenario.faults[0].pop: unknown pop 'zz'");
  Result<Scenario> sc = ParseScenario(Parts(breaks, R"(, "faults": [{"at_s": 1, "kind": "coordinator_rtt", "pop": "a", "rtt_ms": 5}])"));
  ASSERT_TRUE(sc.ok());
  sc->faults[0].pop = "zz";
  EXPECT_EQ(RunBuild(*sc, *FindBuild("do-only"), 1).status().message(), "scenario.faults[0].pop: unknown pop 'zz'");
}

TEST(SimPartsTest, EarlyCueInEndsTheBreakAtTheInNotThePlannedDuration) {
  // The OUT announces 40 s, the IN comes after 20 s: the truth is the actual break.
  const std::string early = Parts(R"([{"at_s": 30, "duration_s": 20, "event_id": 7, "planned_duration_s": 40}])", "");
  const std::string plain = Parts(R"([{"at_s": 30, "duration_s": 20, "event_id": 7}])", "");
  for (const char* build : {"do-only", "kv-channel-state"}) {
    const nlohmann::json r = RunParts(early, build);
    ASSERT_FALSE(r.is_null());
    EXPECT_NEAR(r["ads"]["scheduled_ad_viewer_s"].get<double>(), 2 * 20, 4.1) << build << r["ads"].dump();
    EXPECT_EQ(r["ads"]["ghost_ad_viewer_s"].get<double>(), 0) << build << r["ads"].dump();
    EXPECT_LE(r["ads"]["missed_ad_viewer_s"].get<double>(), 4) << build << r["ads"].dump();
  }
  // A build that drops the CUE-IN runs the announced duration: with the origin announcing the
  // plan it shows ~20 s of ads after the IN per viewer; announcing the actual duration, none.
  const nlohmann::json dropped = RunParts(early, "defect-drop-cue-in");
  const nlohmann::json dropped_plain = RunParts(plain, "defect-drop-cue-in");
  ASSERT_FALSE(dropped.is_null() || dropped_plain.is_null());
  EXPECT_NEAR(dropped["ads"]["ghost_ad_viewer_s"].get<double>(), 2 * 20, 8.1) << dropped["ads"].dump();
  EXPECT_EQ(dropped_plain["ads"]["ghost_ad_viewer_s"].get<double>(), 0) << dropped_plain["ads"].dump();
}

TEST(SimPartsTest, ConformanceFixturesWithCuesAndFaultsRunDeterministically) {
  for (const char* f : {"fixtures/scenarios/conformance/coordinator_restart.json", "fixtures/scenarios/conformance/serve_short.json",
                        "fixtures/scenarios/conformance/early_cue_in.json"}) {
    Result<nlohmann::json> j = ReadScenarioFile(f, 1 << 20);
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    Result<Scenario> sc = ParseScenario(j->dump());
    ASSERT_TRUE(sc.ok()) << sc.status().ToString();
    const std::string a = RunReport(*sc, {"kv-hybrid", "kv-channel-state"}, 3);
    EXPECT_EQ(a, RunReport(*sc, {"kv-hybrid", "kv-channel-state"}, 3)) << f;
  }
}

// Issue 18 (`ssai sim --check`, target sim:BUILD): an observed run records what its listed
// players were served, as a conformance target does, and its report is the same as unobserved.
TEST(SimRunTest, ObservedRunRecordsListedPlayersAndKeepsItsReport) {
  Result<Scenario> sc = ParseScenario(R"({"name": "observed", "channels": 1, "duration_s": 90, "warmup_s": 0,
      "pops": [{"name": "p", "coordinator_rtt_ms": 20}, {"name": "q", "coordinator_rtt_ms": 80, "kv_propagation_s": 2}],
      "origin": {"renditions": [{"name": "a", "bandwidth_bps": 800000, "codecs": "avc1.64001e,mp4a.40.2"},
                                {"name": "b", "bandwidth_bps": 2500000, "codecs": "avc1.64001f,mp4a.40.2"}],
                 "breaks": [{"at_s": 40, "duration_s": 10, "event_id": 1}]},
      "viewers": [{"pop": "p", "join_s": 0.1}, {"pop": "q", "join_s": 0.2, "leave_s": 60, "renditions": ["b"]}],
      "decision": {"latency_ms": 20, "ads": [{"id": "x", "duration_s": 10}]}})");
  ASSERT_TRUE(sc.ok()) << sc.status().ToString();
  const BuildSpec& build = *FindBuild("kv-hybrid");
  Result<nlohmann::json> plain = RunBuild(*sc, build, 3);
  conformance::Observations obs;
  RunOptions options;
  options.observations = &obs;
  Result<nlohmann::json> observed = RunBuild(*sc, build, 3, options);
  ASSERT_TRUE(plain.ok() && observed.ok());
  EXPECT_EQ(plain->dump(), observed->dump());

  // The players load their renditions together every target duration (2 s here), the
  // multivariant playlist first, and are named as the conformance targets name viewers.
  std::map<std::pair<std::string, int64_t>, std::vector<const conformance::Fetch*>> loads;
  for (const conformance::Fetch& f : obs.fetches) loads[{f.viewer, f.reload}].push_back(&f);
  const auto load = [&](int64_t reload) { return loads[std::make_pair(std::string("p/v0"), reload)]; };
  ASSERT_EQ(load(0).size(), 1u);
  EXPECT_EQ(load(0).front()->url, "/sim/ch0/master.m3u8?session=p-v0");
  EXPECT_NE(load(0).front()->body.find("CODECS=\"avc1.64001f,mp4a.40.2\""), std::string::npos);
  ASSERT_EQ(load(1).size(), 2u);
  ASSERT_EQ(load(2).size(), 2u);
  EXPECT_EQ(load(1)[0]->request_time, load(1)[1]->request_time);
  EXPECT_EQ(load(2)[0]->request_time - load(1)[0]->request_time, 2 * kMicrosPerSecond);
  // The q viewer plays b only, from 0.2 s to 60 s: 30 loads of b.
  int64_t q_loads = 0;
  for (const conformance::Fetch& f : obs.fetches) {
    if (f.viewer != "q/v1" || f.rendition.empty()) continue;
    EXPECT_EQ(f.rendition, "b");
    EXPECT_EQ(f.bandwidth_bps, 2500000);
    EXPECT_EQ(f.pop, "q");
    EXPECT_LT(f.request_time, sc->start_time + 60 * kMicrosPerSecond);
    ++q_loads;
  }
  EXPECT_EQ(q_loads, 30);
  // Every media response answered, with the origin playlist of its request time; the break's ads
  // named as the harness's ad server names them (world/ad_server.h).
  bool ads_seen = false;
  for (const conformance::Fetch& f : obs.fetches) {
    EXPECT_EQ(f.http_status, 200) << f.url;
    if (f.rendition.empty()) continue;
    EXPECT_NE(f.origin_body.find("#EXT-X-MEDIA-SEQUENCE:"), std::string::npos) << f.url;
    ads_seen = ads_seen || f.body.find("http://ads/x/" + std::to_string(f.bandwidth_bps) + "/seg_0.ts") != std::string::npos;
  }
  EXPECT_TRUE(ads_seen);
  // The coordinator's KV writes, one decision for the break, and every key probed after it expires.
  EXPECT_FALSE(obs.kv_puts.empty());
  ASSERT_EQ(obs.decision_requests.size(), 1u);
  EXPECT_EQ(obs.decision_requests[0].duration_s, 10);
  ASSERT_FALSE(obs.kv_expiry.empty());
  for (const conformance::KvExpiryProbe& p : obs.kv_expiry) {
    EXPECT_GE(p.probed_at, p.expires_at) << p.key;
    EXPECT_TRUE(p.still_visible_at.empty()) << p.key;
  }
  EXPECT_EQ(obs.target, "sim:kv-hybrid");
  EXPECT_TRUE(obs.reads_kv);
}

// Issue 18 (`ssai sim --check` on a population scenario): an observed population run records a
// sample of channel 0's cohorts (RunOptions::check_sample per group), each as one viewer making
// every request its cohort makes, answers reused from its group's included; its report is the same.
TEST(SimRunTest, ObservedPopulationRecordsSampledCohortsOfChannelZero) {
  Result<Scenario> sc = ParseScenario(R"({"name": "sampled", "channels": 2, "duration_s": 120,
      "pops": [{"name": "p", "coordinator_rtt_ms": 20}, {"name": "q", "coordinator_rtt_ms": 80}],
      "origin": {"renditions": [{"name": "a", "bandwidth_bps": 800000}, {"name": "b", "bandwidth_bps": 2500000}],
                 "breaks": [{"at_s": 40, "duration_s": 16, "event_id": 1}]},
      "viewers": {"viewers_per_channel": 4000, "cohorts_per_group": 4, "mean_session_s": 100000},
      "decision": {"latency_ms": 20}})");
  ASSERT_TRUE(sc.ok()) << sc.status().ToString();
  const BuildSpec& build = *FindBuild("kv-channel-state");  // answer reuse on
  Result<nlohmann::json> plain = RunBuild(*sc, build, 5);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  ASSERT_GT((*plain)["requests"]["reused_cohort_requests"].get<int64_t>(), 0);
  std::map<int, std::string> fetch_text;
  for (int sample : {1, 3}) {
    conformance::Observations obs;
    RunOptions options;
    options.observations = &obs;
    options.check_sample = sample;
    Result<nlohmann::json> observed = RunBuild(*sc, build, 5, options);
    ASSERT_TRUE(observed.ok());
    EXPECT_EQ(plain->dump(), observed->dump()) << "check_sample " << sample;

    // One viewer per sampled cohort: groups of channel 0 (2 POPs x 2 renditions) x the sample.
    std::map<std::string, std::vector<const conformance::Fetch*>> by_viewer;
    for (const conformance::Fetch& f : obs.fetches) by_viewer[f.viewer].push_back(&f);
    EXPECT_EQ(by_viewer.size(), static_cast<size_t>(4 * sample));
    const DurationMicros target_us = 2 * kMicrosPerSecond;
    for (const auto& [viewer, fetches] : by_viewer) {
      const std::string pop = viewer.substr(0, viewer.find('/'));
      EXPECT_TRUE(viewer == pop + "/cohort-" + viewer.substr(viewer.find('-') + 1) && (pop == "p" || pop == "q")) << viewer;
      // Every reload recorded (the reused answers too, most of this build's): loads numbered 1,
      // 2, ... at most a target duration after the last answer (RFC 8216 §6.3.4; latencies here
      // are well under 0.5 s), from the first target duration to the end.
      EXPECT_GE(fetches.size(), 120u * kMicrosPerSecond / target_us - 1) << viewer;
      ASSERT_FALSE(fetches.empty());
      EXPECT_LE(fetches.front()->request_time, sc->start_time + target_us);
      EXPECT_GT(fetches.back()->request_time, sc->start_time + 120 * kMicrosPerSecond - target_us - kMicrosPerSecond / 2);
      for (size_t n = 0; n < fetches.size(); ++n) {
        const conformance::Fetch& f = *fetches[n];
        EXPECT_EQ(f.reload, static_cast<int64_t>(n) + 1) << viewer;
        EXPECT_EQ(f.pop, pop);
        EXPECT_TRUE(f.url.starts_with("/sim/ch0/")) << f.url;  // the checks judge channel 0
        EXPECT_EQ(f.http_status, 200) << f.url;
        EXPECT_GE(f.response_time, f.request_time);
        EXPECT_TRUE(f.body.starts_with("#EXTM3U")) << f.url;
        EXPECT_NE(f.origin_body.find("#EXT-X-MEDIA-SEQUENCE:"), std::string::npos) << f.url;
        if (n > 0) {
          EXPECT_LE(f.request_time - fetches[n - 1]->request_time, target_us + kMicrosPerSecond / 2)
              << viewer << " load " << f.reload;
        }
      }
    }
    // Channel 0's decision (one break) and KV keys only, though channel 1 has the same break.
    ASSERT_EQ(obs.decision_requests.size(), 1u);
    ASSERT_FALSE(obs.kv_puts.empty());
    for (const conformance::KvPut& p : obs.kv_puts) EXPECT_NE(p.key.find("ch_sim_ch0"), std::string::npos) << p.key;
    for (const conformance::KvExpiryProbe& p : obs.kv_expiry) EXPECT_NE(p.key.find("ch_sim_ch0"), std::string::npos) << p.key;
    // Deterministic: the same run records the same.
    std::string text;
    for (const conformance::Fetch& f : obs.fetches) text += f.viewer + f.url + std::to_string(f.request_time) + f.body + "\n";
    fetch_text[sample] = text;
    conformance::Observations again;
    options.observations = &again;
    ASSERT_TRUE(RunBuild(*sc, build, 5, options).ok());
    std::string text_again;
    for (const conformance::Fetch& f : again.fetches) text_again += f.viewer + f.url + std::to_string(f.request_time) + f.body + "\n";
    EXPECT_EQ(text, text_again);
  }
}

}  // namespace
}  // namespace ssai::sim
