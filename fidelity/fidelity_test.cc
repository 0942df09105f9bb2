// The verdict and tolerance logic of `ssai fidelity` on crafted inputs (compare.h), what the
// deployment refuses (deploy.h CheckDeployable) and how a viewer reads a response. The end-to-end
// run (real Redis, servers, viewers) is tests/test_fidelity.py.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fidelity/compare.h"
#include "fidelity/deploy.h"
#include "simulator/scenario.h"

namespace ssai::fidelity {
namespace {

using json = nlohmann::json;

json Pop(const std::string& name, double hit, double lag50, double lag95, double calls, int lag_count = 10) {
  return {{"name", name},
          {"kv_hit_rate", hit},
          {"viewer_ad_visibility_lag_s", {{"count", lag_count}, {"p50", lag50}, {"p95", lag95}}},
          {"latency_ms", {{"count", 100}, {"p50", 1.0}, {"p95", 5.0}}},
          {"coordinator_calls", calls}};
}

json Report(std::vector<json> pops, double calls) {
  return {{"pops", pops}, {"coordinator", {{"calls", calls}}}, {"kv", {{"writes", 40}, {"deletes", 2}}},
          {"ads", {{"missed_ad_viewer_s", 3.0}, {"ghost_ad_viewer_s", 0.5}}}};
}

const json* Row(const json& c, const std::string& metric, const std::string& pop) {
  for (const json& r : c["rows"]) {
    if (r["metric"] == metric && r["pop"] == pop) return &r;
  }
  return nullptr;
}

TEST(FidelityCompareTest, EverythingWithinToleranceIsAPass) {
  const json predicted = Report({Pop("near", 0.90, 3.0, 5.0, 100), Pop("far", 0.80, 3.2, 5.5, 200)}, 300);
  const json measured = Report({Pop("near", 0.915, 3.2, 4.6, 108), Pop("far", 0.79, 3.0, 5.9, 190)}, 298);
  const json c = Compare(predicted, measured, Tolerances{});
  EXPECT_TRUE(c["verdict"]["pass"].get<bool>()) << c.dump(2);
  EXPECT_TRUE(c["verdict"]["failed"].empty());
  // Judged per POP: hit, lag p50, lag p95, calls (4 x 2) + total calls.
  EXPECT_EQ(c["verdict"]["judged"], 9);
  // Reported, not judged.
  const json* writes = Row(c, "kv_writes", "all");
  ASSERT_NE(writes, nullptr);
  EXPECT_FALSE((*writes)["judged"].get<bool>());
  EXPECT_EQ((*writes)["predicted"], 42);
  EXPECT_FALSE((*Row(c, "latency_ms.p95", "near"))["judged"].get<bool>());
  EXPECT_NE(CompareText(c).find("PASS: 9 judged metrics, 0 outside tolerance"), std::string::npos) << CompareText(c);
}

TEST(FidelityCompareTest, EachToleranceIsItsOwnRule) {
  const json predicted = Report({Pop("p", 0.90, 3.0, 5.0, 100)}, 100);
  // Hit: 2 points is absolute (0.90 -> 0.921 is 2.1 points: off; 0.88 exactly 2: within).
  json c = Compare(predicted, Report({Pop("p", 0.921, 3.0, 5.0, 100)}, 100), Tolerances{});
  EXPECT_FALSE((*Row(c, "kv_hit_rate", "p"))["within"].get<bool>());
  EXPECT_EQ(c["verdict"]["failed"], json::array({"kv_hit_rate@p"}));
  c = Compare(predicted, Report({Pop("p", 0.88, 3.0, 5.0, 100)}, 100), Tolerances{});
  EXPECT_TRUE((*Row(c, "kv_hit_rate", "p"))["within"].get<bool>());
  // Lag: 10 % of the prediction (3.0 s -> 3.3 within, 3.31 off).
  c = Compare(predicted, Report({Pop("p", 0.9, 3.3, 5.0, 100)}, 100), Tolerances{});
  EXPECT_TRUE(c["verdict"]["pass"].get<bool>()) << c.dump(2);
  c = Compare(predicted, Report({Pop("p", 0.9, 3.31, 5.0, 100)}, 100), Tolerances{});
  EXPECT_EQ(c["verdict"]["failed"], json::array({"viewer_ad_visibility_lag_s.p50@p"}));
  // Calls: 10 % per POP and in all.
  c = Compare(predicted, Report({Pop("p", 0.9, 3.0, 5.0, 89)}, 89), Tolerances{});
  EXPECT_EQ(c["verdict"]["failed"], json::array({"coordinator_calls@p", "coordinator_calls@all"}));
  EXPECT_FALSE(c["verdict"]["pass"].get<bool>());
  EXPECT_NE(CompareText(c).find("FAIL: 5 judged metrics, 2 outside tolerance"), std::string::npos);
  // Looser tolerances change the verdict, not the numbers.
  Tolerances loose;
  loose.calls_fraction = 0.2;
  c = Compare(predicted, Report({Pop("p", 0.9, 3.0, 5.0, 89)}, 89), loose);
  EXPECT_TRUE(c["verdict"]["pass"].get<bool>());
  EXPECT_EQ((*Row(c, "coordinator_calls", "p"))["measured"], 89);
}

TEST(FidelityCompareTest, MissingDataIsNotAPass) {
  const json predicted = Report({Pop("p", 0.9, 3.0, 5.0, 100)}, 100);
  // The deployment's viewers saw no break: the lag has data on one side only -> off.
  json c = Compare(predicted, Report({Pop("p", 0.9, 0, 0, 100, /*lag_count=*/0)}, 100), Tolerances{});
  EXPECT_FALSE(c["verdict"]["pass"].get<bool>());
  EXPECT_EQ(c["verdict"]["failed"], json::array({"viewer_ad_visibility_lag_s.p50@p", "viewer_ad_visibility_lag_s.p95@p"}));
  // A POP the measurement does not have at all.
  c = Compare(predicted, Report({}, 100), Tolerances{});
  EXPECT_FALSE(c["verdict"]["pass"].get<bool>());
  // No break on either side: lag not judged; the rest still is.
  c = Compare(Report({Pop("p", 0.9, 0, 0, 100, 0)}, 100), Report({Pop("p", 0.9, 0, 0, 100, 0)}, 100), Tolerances{});
  EXPECT_TRUE(c["verdict"]["pass"].get<bool>());
  EXPECT_EQ(c["verdict"]["judged"], 3);
  // Nothing at all to compare is not a pass.
  c = Compare(json::object(), json::object(), Tolerances{});
  EXPECT_FALSE(c["verdict"]["pass"].get<bool>());
  EXPECT_EQ(c["verdict"]["judged"], 0);
}

TEST(FidelityCompareTest, HtmlCarriesTheVerdictAndEveryRow) {
  const json predicted = Report({Pop("near", 0.9, 3.0, 5.0, 100)}, 100);
  json report = {{"scenario_name", "x<y"}, {"build", "kv-hybrid"}, {"seed", 1}, {"start_time", "2026-12-06T00:00:00.000Z"},
                 {"comparison", Compare(predicted, Report({Pop("near", 0.5, 3.0, 5.0, 100)}, 100), Tolerances{})}};
  const std::string html = CompareHtml(report);
  EXPECT_NE(html.find("class='verdict fail'"), std::string::npos);
  EXPECT_NE(html.find("x&lt;y"), std::string::npos);
  EXPECT_NE(html.find("<td>OFF</td>"), std::string::npos);
  EXPECT_NE(html.find("<th title="), std::string::npos);
  // The per-POP charts: prediction beside measurement, one chart per judged metric.
  EXPECT_NE(html.find("<h2>Per POP</h2>"), std::string::npos);
  EXPECT_NE(html.find("KV hit rate per POP"), std::string::npos);
  EXPECT_NE(html.find("simulator (predicted)"), std::string::npos);
  EXPECT_NE(html.find("deployment (measured)"), std::string::npos);
  EXPECT_EQ(html.find("Coordinator calls per POP"), html.rfind("Coordinator calls per POP"));
}

sim::Scenario Deployable() {
  Result<sim::Scenario> s = sim::ParseScenario(R"({
    "duration_s": 60, "warmup_s": 10, "channels": 1,
    "pops": [{"name": "a", "coordinator_rtt_ms": {"kind": "fixed", "ms": 20}}],
    "kv": {"propagation_ms": {"kind": "uniform", "min_ms": 100, "max_ms": 300}, "propagation_model": "shared_fifo",
           "cache_ttl_s": 0, "list_staleness_s": 0},
    "origin": {"fetch_latency_ms": {"kind": "fixed", "ms": 1}},
    "decision": {"latency_ms": {"kind": "fixed", "ms": 20}},
    "viewers": {"viewers_per_channel": 8, "mean_session_s": 1e9}})");
  EXPECT_TRUE(s.ok()) << s.status().message();
  return *s;
}

TEST(FidelityDeployTest, RefusesWhatLoopbackCannotReproduceByName) {
  EXPECT_TRUE(CheckDeployable(Deployable()).ok()) << CheckDeployable(Deployable()).message();
  struct Case {
    std::function<void(sim::Scenario&)> change;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](sim::Scenario& s) { s.kv.propagation_model = sim::KvSpec::PropagationModel::kPerPop; }, "kv.propagation_model"},
      {[](sim::Scenario& s) { s.kv.propagation = sim::Distribution::Lognormal(100, 0.5); }, "kv.propagation_ms"},
      {[](sim::Scenario& s) { s.kv.list_staleness_s = 60; }, "kv.list_staleness_s"},
      {[](sim::Scenario& s) { s.pops[0].coordinator_rtt = sim::Distribution::Exponential(20); }, "pops[0].coordinator_rtt_ms"},
      {[](sim::Scenario& s) { s.viewers.viewers_per_channel = 500; }, "viewers.viewers_per_channel"},
      {[](sim::Scenario& s) { s.viewers.mean_session_s = 60; }, "viewers.mean_session_s"},
      {[](sim::Scenario& s) { s.kv.outages.push_back({1, 2}); }, "kv.outages"},
      {[](sim::Scenario& s) { s.origin.breaks.source = sim::BreakSource::kApi; }, "origin.breaks.source"},
      {[](sim::Scenario& s) { s.decision.latency = sim::Distribution::Uniform(1, 5); }, "decision.latency_ms"},
      {[](sim::Scenario& s) { s.coordinator.poll_interval_s = 2; }, "coordinator.poll_interval_s"},
      {[](sim::Scenario& s) { s.viewers.sgai_fraction = 0.5; }, "viewers.sgai_fraction"},
      {[](sim::Scenario& s) { s.api_cues.push_back({30, 20, "", false, false}); }, "api_cues"},
      {[](sim::Scenario& s) { s.faults.push_back({30, "coordinator_restart", "", 0, world::DecisionBehaviour::kAnswer}); }, "faults"},
      {[](sim::Scenario& s) {
         s.viewers.listed = true;
         s.viewers.list.push_back({"a", 0, std::nullopt, {}, std::nullopt, 1});
       },
       "viewers"},
      {[](sim::Scenario& s) { s.decision.ads.push_back({"a1", 20}); }, "decision.ads"},
      {[](sim::Scenario& s) { s.decision.behaviour = world::DecisionBehaviour::kFail; }, "decision.behaviour"},
      {[](sim::Scenario& s) {
         s.decision.ads.push_back({"a1", 20});
         s.decision.vast.tag = "pod/default.xml";
       },
       "decision.vast"},
  };
  for (const Case& c : cases) {
    sim::Scenario s = Deployable();
    c.change(s);
    Status st = CheckDeployable(s);
    EXPECT_FALSE(st.ok()) << c.field;
    EXPECT_NE(st.message().find("scenario." + c.field + ":"), std::string::npos) << st.message();
  }
}

TEST(FidelityDeployTest, ANewestSegmentIsAnAdOrTheSlateByItsUri) {
  const std::string content =
      "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:100\n#EXTINF:2.0,\nseg_100.ts\n#EXTINF:2.0,\nseg_101.ts\n";
  NewestSegment n = ReadNewestSegment(content, "/ads/", "http://o/slate.ts");
  EXPECT_EQ(n.msn, 101);
  EXPECT_FALSE(n.in_break);
  n = ReadNewestSegment(content + "#EXT-X-DISCONTINUITY\n#EXTINF:2.0,\nhttp://c/ads/ad0/800000_0.ts\n", "/ads/", "http://o/slate.ts");
  EXPECT_EQ(n.msn, 102);
  EXPECT_TRUE(n.in_break);
  n = ReadNewestSegment(content + "#EXTINF:2.0,\nhttp://o/slate.ts\n", "/ads/", "http://o/slate.ts");
  EXPECT_TRUE(n.in_break);
  EXPECT_EQ(ReadNewestSegment("{\"error\": \"x\"}", "/ads/", "").msn, -1);
}

}  // namespace
}  // namespace ssai::fidelity
