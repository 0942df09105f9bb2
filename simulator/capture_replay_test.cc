// Capture replay in the simulator (scenario origin.capture, README.md "Capture replay"): the
// capture's stream time becomes virtual time, SimOrigin serves the snapshot current at each
// offset, and the ground truth comes from the capture's own markers.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "reference/base/time.h"
#include "simulator/models.h"
#include "simulator/run.h"
#include "simulator/scenario.h"

namespace ssai::sim {
namespace {

UnixMicros At(const char* iso) { return ParseIso8601(iso).value(); }

Scenario CaptureScenario(const std::string& dir) {
  std::ifstream in("fixtures/scenarios/capture-cue_out.json");
  std::stringstream ss;
  ss << in.rdbuf();
  Result<Scenario> sc = ParseScenario(ss.str());
  EXPECT_TRUE(sc.ok()) << sc.status().ToString();
  sc->origin.capture = dir;
  return *sc;
}

TEST(SimCaptureTest, TimelineAndTruthFromTheCapturesMarkers) {
  auto cap = LoadSimCapture("fixtures/captures/cue_out");
  ASSERT_TRUE(cap.ok()) << cap.status().ToString();
  EXPECT_EQ((*cap)->bodies.size(), (*cap)->versions.size());
  Result<CaptureTimeline> tl = CaptureTimelineOf(*cap, CaptureScenario("fixtures/captures/cue_out"));
  ASSERT_TRUE(tl.ok()) << tl.status().ToString();
  EXPECT_EQ(tl->segment_s, 2);
  EXPECT_EQ(tl->msn0_start, At("2026-01-15T12:00:00Z"));  // MSN n starts at 12:00:00 + 2n s
  // Recorded with --from 12:00:10: offset 0 is 12:00:10, give or take the first fetch's offset.
  EXPECT_NEAR(static_cast<double>(tl->stream_start - At("2026-01-15T12:00:10Z")), 0, 100'000);
  // fixtures/captures/README.md: cue_out is one break, 12:00:20 -> 12:00:32 (the CUE-IN).
  ASSERT_EQ(tl->truth.size(), 1u);
  EXPECT_EQ(tl->truth[0].first, At("2026-01-15T12:00:20Z"));
  EXPECT_EQ(tl->truth[0].second, At("2026-01-15T12:00:32Z"));

  // early_cue_in: the IN after 6 s ends it, not the 12 s duration; cancelled_splice: 1001 is
  // cancelled before it starts (no break), 1002 is a normal 8 s one.
  auto early = LoadSimCapture("fixtures/captures/early_cue_in");
  ASSERT_TRUE(early.ok());
  tl = CaptureTimelineOf(*early, CaptureScenario("fixtures/captures/early_cue_in"));
  ASSERT_TRUE(tl.ok());
  ASSERT_EQ(tl->truth.size(), 1u);
  EXPECT_EQ(tl->truth[0].second, At("2026-01-15T12:00:26Z"));
  auto cancelled = LoadSimCapture("fixtures/captures/cancelled_splice");
  ASSERT_TRUE(cancelled.ok());
  tl = CaptureTimelineOf(*cancelled, CaptureScenario("fixtures/captures/cancelled_splice"));
  ASSERT_TRUE(tl.ok());
  ASSERT_EQ(tl->truth.size(), 1u);
  EXPECT_EQ(tl->truth[0].first, At("2026-01-15T12:00:40Z"));
  EXPECT_EQ(tl->truth[0].second, At("2026-01-15T12:00:48Z"));
}

TEST(SimCaptureTest, OriginServesTheSnapshotCurrentAtTheOffset) {
  auto cap = LoadSimCapture("fixtures/captures/cue_out");
  ASSERT_TRUE(cap.ok());
  const UnixMicros start = At("2026-01-15T12:00:10Z");
  Simulation sim(start);
  OriginSpec spec;
  spec.fetch_latency = Distribution::Fixed(0);
  origin::SyntheticStreamSpec ch;
  ch.renditions = {{"v720", 2'500'000, "", ""}};
  SimOrigin o(&sim, spec, {ch}, start, Rng::Stream(1, 0));
  o.UseCapture(*cap, start);
  auto fetch = [&](UnixMicros t) {
    sim.RunUntil(t);
    std::optional<OriginClient::Response> out;
    o.Fetch(SimOrigin::PlaylistUrl(0, "v720"), [&](Result<OriginClient::Response> r) {
      ASSERT_TRUE(r.ok());
      out = *r;
    });
    sim.RunUntil(t + 1);
    return out.value();
  };
  const auto& replay = (*cap)->replay;
  for (int64_t offset_ms : {0, 2500, 21000, 40000, 58000, 120000}) {
    OriginClient::Response r = fetch(start + offset_ms * kMicrosPerMilli);
    const origin::CaptureEntry* e = replay.At("/v720.m3u8", offset_ms);
    if (e == nullptr) e = replay.First("/v720.m3u8");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(r.http_status, 200);
    EXPECT_EQ(r.body, (*cap)->bodies.find(e->file)->second) << offset_ms;
    EXPECT_EQ(r.version, (*cap)->versions.find(e->file)->second);
  }
}

// The scenario's origin faults apply to a capture too: a 404 window answers 404, a stall serves
// the snapshot current at the stall's start.
TEST(SimCaptureTest, OriginFaultWindowsApplyToTheCapture) {
  auto cap = LoadSimCapture("fixtures/captures/cue_out");
  ASSERT_TRUE(cap.ok());
  const UnixMicros start = At("2026-01-15T12:00:10Z");
  Simulation sim(start);
  OriginSpec spec;
  spec.fetch_latency = Distribution::Fixed(0);
  spec.not_found = {Window{5, 10}};
  spec.stalls = {Window{20, 30}};
  origin::SyntheticStreamSpec ch;
  ch.renditions = {{"v720", 2'500'000, "", ""}};
  SimOrigin o(&sim, spec, {ch}, start, Rng::Stream(1, 0));
  o.UseCapture(*cap, start);
  auto fetch = [&](int64_t offset_s) {
    sim.RunUntil(start + SecondsToMicros(offset_s));
    std::optional<OriginClient::Response> out;
    o.Fetch(SimOrigin::PlaylistUrl(0, "v720"), [&](Result<OriginClient::Response> r) {
      ASSERT_TRUE(r.ok());
      out = *r;
    });
    sim.RunUntil(sim.Now() + 1);
    return out.value();
  };
  EXPECT_EQ(fetch(7).http_status, 404);
  const auto& replay = (*cap)->replay;
  const OriginClient::Response stalled = fetch(25);
  EXPECT_EQ(stalled.http_status, 200);
  EXPECT_EQ(stalled.body, (*cap)->bodies.find(replay.At("/v720.m3u8", 20'000)->file)->second);
  EXPECT_NE(stalled.body, (*cap)->bodies.find(replay.At("/v720.m3u8", 25'000)->file)->second);
  EXPECT_EQ(fetch(31).body, (*cap)->bodies.find(replay.At("/v720.m3u8", 31'000)->file)->second);
}

TEST(SimCaptureTest, RunSeesTheCapturedBreakAndIsDeterministic) {
  Scenario sc = CaptureScenario("fixtures/captures/cue_out");
  sc.channels = 1;
  Result<nlohmann::json> a = RunBuild(sc, *FindBuild("kv-channel-state"), 1);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  const nlohmann::json& ads = (*a)["ads"];
  EXPECT_GT(ads["scheduled_ad_viewer_s"].get<double>(), 0);
  EXPECT_EQ(ads["missed_fraction"].get<double>(), 0);
  EXPECT_EQ(ads["ghost_ad_viewer_s"].get<double>(), 0);
  EXPECT_EQ((*a)["requests"]["errors"].get<double>(), 0);
  // defect-ignore-end keeps showing the break after the capture's CUE-IN: ghost ad time.
  Result<nlohmann::json> ghost = RunBuild(sc, *FindBuild("defect-ignore-end"), 1);
  ASSERT_TRUE(ghost.ok());
  EXPECT_GT((*ghost)["ads"]["ghost_ad_viewer_s"].get<double>(), 0);
  Result<nlohmann::json> again = RunBuild(sc, *FindBuild("kv-channel-state"), 1);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(a->dump(), again->dump());

  sc.origin.capture = "fixtures/captures/does-not-exist";
  EXPECT_EQ(RunBuild(sc, *FindBuild("kv-channel-state"), 1).status().code(), StatusCode::kNotFound);
  sc.origin.capture = "fixtures/captures/cue_out";
  sc.origin.renditions[0].name = "v1080";
  EXPECT_EQ(RunBuild(sc, *FindBuild("kv-channel-state"), 1).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ssai::sim
