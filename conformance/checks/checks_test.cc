// The checks library on its own (it links neither the server nor the test fakes): the ground truth
// it judges by, and a judgement of a deployment that never splices.
#include <string>

#include <gtest/gtest.h>

#include "conformance/checks/catalogue.h"
#include "conformance/checks/evaluate.h"
#include "conformance/checks/truth.h"

namespace ssai::conformance {
namespace {

constexpr UnixMicros kStart = 1'767'225'600LL * kMicrosPerSecond;  // 2026-01-01T00:00:00Z

Scenario OneBreak(origin::CueFlavour flavour, double at_s) {
  Scenario s;
  s.name = "one_break";
  s.origin.segment_duration_s = 2;
  s.origin.window_segments = 6;
  s.origin.start_time = kStart;
  s.origin.cue_flavour = flavour;
  s.origin.renditions = {{"v720", 2'500'000, "1280x720", "avc1.64001f,mp4a.40.2"}};
  s.origin.breaks = {{s.At(at_s), 20, 1001}};
  s.decision.ads = {AdSpec{"a1", 20}};
  s.duration_s = 90;
  s.pops = {PopSpec{}};
  return s;
}

TEST(ChecksTruthTest, TaggedBreaksSpliceOnTheMarkedSegmentDateRangesByTheSplicerRule) {
  // 0.1 s after the boundary at 40 s: a CUE-OUT sits on the segment at 42 s; a DATERANGE's
  // START-DATE takes the boundary at 40 s (within the 0.25 s tolerance). Both return at 62 s (the
  // end, 60.1 s, is past the 60 s boundary by less than the tolerance only for the DATERANGE).
  const std::vector<TruthBreak> tagged = GroundTruth(OneBreak(origin::CueFlavour::kCueOut, 40.1), Profile{});
  ASSERT_EQ(tagged.size(), 1u);
  EXPECT_EQ(tagged[0].splice_point, kStart + 42 * kMicrosPerSecond);
  EXPECT_EQ(tagged[0].return_point, kStart + 62 * kMicrosPerSecond);
  EXPECT_EQ(tagged[0].cue_time, kStart + 40'100'000);
  const std::vector<TruthBreak> dated = GroundTruth(OneBreak(origin::CueFlavour::kDateRange, 40.1), Profile{});
  ASSERT_EQ(dated.size(), 1u);
  EXPECT_EQ(dated[0].splice_point, kStart + 40 * kMicrosPerSecond);
  EXPECT_EQ(dated[0].return_point, kStart + 60 * kMicrosPerSecond);
}

// The checks' truth applies the simulator's stop rule (world::ApplyStop): the same end and
// return slot for a stopped break; a cancelled break leaves the checks' truth (the simulator keeps
// it with no slots); a break covering no slot start is neither stopped nor cancelled.
TEST(ChecksTruthTest, StopsFollowTheSimulatorsRule) {
  Scenario s = OneBreak(origin::CueFlavour::kNone, 40);
  s.origin.breaks.clear();
  s.api_cues = {{20.3, 60, "", false, false}, {41.1, 0, "", false, true},  // stopped 20.8 s in
                {50.5, 1, "", false, false},                                 // covers no slot start
                {49.9, 0, "", false, true},   // nothing playing: skips the empty one, cancels 70 s
                {70, 10, "", false, false}};
  const std::vector<TruthBreak> checks = GroundTruth(s, Profile{});
  // The simulator's truth of the same cues: world::ApiBreak, then world::ApplyStop per stop.
  const origin::SyntheticStreamSpec& spec = s.origin;
  std::vector<world::TruthBreak> sim = {world::ApiBreak(spec, s.At(20.3), s.At(80.3)),
                                        world::ApiBreak(spec, s.At(50.5), s.At(51.5)),
                                        world::ApiBreak(spec, s.At(70), s.At(80))};
  EXPECT_EQ(world::ApplyStop(spec, &sim, s.At(41.1)), 0);
  EXPECT_EQ(world::ApplyStop(spec, &sim, s.At(49.9)), 2);
  EXPECT_TRUE(sim[2].slots.empty());
  ASSERT_EQ(checks.size(), 2u);  // the cancelled 70 s break is gone
  for (size_t i = 0; i < checks.size(); ++i) {
    SCOPED_TRACE(checks[i].label);
    EXPECT_EQ(checks[i].cue_time, sim[i].cue_time);
    EXPECT_EQ(checks[i].end_time, sim[i].end_time);
    EXPECT_EQ(checks[i].slots.first_msn, sim[i].slots.first_msn);
    EXPECT_EQ(checks[i].slots.end_msn, sim[i].slots.end_msn);
    EXPECT_EQ(checks[i].splice_point, origin::SegmentStart(spec, sim[i].slots.first_msn));
    EXPECT_EQ(checks[i].return_point, origin::SegmentStart(spec, sim[i].slots.end_msn));
    EXPECT_TRUE(checks[i].api);
  }
  EXPECT_EQ(checks[0].return_point, s.At(42));
  EXPECT_DOUBLE_EQ(checks[0].duration_s, 41.1 - 20.3);
  EXPECT_NE(checks[0].label.find("(stopped at 41.1 s)"), std::string::npos) << checks[0].label;
  EXPECT_TRUE(checks[1].slots.empty());
  EXPECT_EQ(checks[1].label.find("stopped"), std::string::npos) << checks[1].label;
}

// A "deployment" that passes the origin through: every playlist during the break shows content.
TEST(ChecksEvaluateTest, ContentInsideABreakFails) {
  const Scenario s = OneBreak(origin::CueFlavour::kCueOut, 40);
  Observations obs;
  obs.target = "passthrough";
  obs.scenario = s.name;
  for (double t = 30; t <= 80; t += 2) {
    Fetch f;
    f.pop = "pop";
    f.viewer = "pop/v0";
    f.rendition = "v720";
    f.url = "/v720.m3u8";
    f.bandwidth_bps = 2'500'000;
    f.request_time = f.response_time = s.At(t);
    f.http_status = 200;
    f.body = f.origin_body = origin::MediaPlaylistAt(s.origin, s.origin.renditions[0], s.At(t));
    obs.fetches.push_back(std::move(f));
  }
  const std::vector<CheckResult> results = Evaluate(obs, s, Profile{});
  ASSERT_EQ(results.size(), Catalogue().size());
  const CheckResult* no_content = nullptr;
  for (const CheckResult& r : results) {
    if (r.id == "splice.no_content_in_break") no_content = &r;
  }
  ASSERT_NE(no_content, nullptr);
  EXPECT_EQ(no_content->outcome, Outcome::kFail) << no_content->note;
  EXPECT_GT(no_content->failures, 0);
  ASSERT_FALSE(no_content->evidence.empty());
  EXPECT_NE(no_content->evidence[0].message.find("origin event 1001"), std::string::npos) << no_content->evidence[0].message;
}

}  // namespace
}  // namespace ssai::conformance
