// The ground truth against the real core: for every marker flavour and break starts on, just
// after, and well after a segment boundary, the slots the truth names are exactly the slots a
// correct build's edge fills (ManifestPath + Coordinator on the fakes, reference/ssai/testing).
#include "world/ground_truth.h"

#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "reference/media/hls/playlist.h"
#include "reference/ssai/builds.h"
#include "reference/ssai/testing/deployment.h"

namespace ssai::world {
namespace {

constexpr UnixMicros kStart = 1'767'225'600LL * kMicrosPerSecond;  // 2026-01-01T00:00:00Z, a slot boundary

origin::SyntheticStreamSpec Spec(origin::CueFlavour flavour, UnixMicros break_start, double break_s) {
  origin::SyntheticStreamSpec spec;
  spec.segment_duration_s = 2;
  spec.window_segments = 6;
  spec.start_time = kStart;
  spec.renditions = {{"v720", 2'500'000, "1280x720", "avc1.64001f,mp4a.40.2"}};
  spec.cue_flavour = flavour;
  spec.breaks = {{break_start, break_s, 1001}};
  return spec;
}

// The slots the edge finally shows as break (ad or slate), by MSN: each slot judged by the last
// playlist that still lists it, so the coordinator's and KV's delays do not count here.
std::set<int64_t> FilledSlots(const BuildSpec& build, const origin::SyntheticStreamSpec& spec) {
  testing::Deployment d(build, spec);
  d.AddAd("a1", {2'500'000}, 15, 2);
  EXPECT_TRUE(d.Start().ok());
  std::map<int64_t, bool> last;
  for (UnixMicros t = kStart + 40 * kMicrosPerSecond; t <= kStart + 120 * kMicrosPerSecond; t += kMicrosPerSecond) {
    d.AdvanceTo(t);
    std::optional<ManifestResponse> r = d.Get("v720.m3u8");
    if (!r || r->http_status != 200) {
      ADD_FAILURE() << "no playlist at +" << MicrosToSeconds(t - kStart) << " s";
      continue;
    }
    Result<hls::MediaPlaylist> p = hls::ParseMedia(r->body);
    if (!p.ok()) {
      ADD_FAILURE() << p.status().ToString();
      continue;
    }
    for (size_t i = 0; i < p->segments().size(); ++i) {
      last[p->media_sequence() + static_cast<int64_t>(i)] = p->segments()[i].uri().starts_with("http://ads/");
    }
  }
  std::set<int64_t> out;
  for (const auto& [msn, ad] : last) {
    if (ad) out.insert(msn);
  }
  return out;
}

std::set<int64_t> SlotSet(BreakSlots s) {
  std::set<int64_t> out;
  for (int64_t m = s.first_msn; m < s.end_msn; ++m) out.insert(m);
  return out;
}

class MarkedBreakTest : public ::testing::TestWithParam<std::tuple<origin::CueFlavour, int>> {};

TEST_P(MarkedBreakTest, TruthIsWhatACorrectEdgeFills) {
  const auto [flavour, offset_ms] = GetParam();
  // Boundaries every 2 s from kStart; the break starts `offset_ms` after the one at +60 s and
  // lasts 20.5 s, so its end falls at a different phase than its start.
  const UnixMicros start = kStart + 60 * kMicrosPerSecond + offset_ms * kMicrosPerMilli;
  const double break_s = 20.5;
  const origin::SyntheticStreamSpec spec = Spec(flavour, start, break_s);
  const TruthBreak truth = MarkedBreak(spec, start, start + SecondsToMicros(break_s));
  ASSERT_FALSE(truth.slots.empty());
  EXPECT_EQ(FilledSlots(*FindBuild("kv-hybrid"), spec), SlotSet(truth.slots))
      << origin::CueFlavourName(flavour) << ", break at +" << offset_ms << " ms: truth [" << truth.slots.first_msn
      << ", " << truth.slots.end_msn << ")";
}

INSTANTIATE_TEST_SUITE_P(
    Flavours, MarkedBreakTest,
    ::testing::Combine(::testing::Values(origin::CueFlavour::kCueOut, origin::CueFlavour::kOatcls,
                                         origin::CueFlavour::kDateRange, origin::CueFlavour::kExtXScte35,
                                         origin::CueFlavour::kSplicepoint),
                       // On a boundary, inside the splicer's tolerance after one, just outside it, mid-slot.
                       ::testing::Values(0, 100, 240, 260, 1000, 1900)));

TEST(GroundTruthTest, DateRangeWithinToleranceTakesTheEarlierBoundary) {
  const UnixMicros start = kStart + 60 * kMicrosPerSecond + 100 * kMicrosPerMilli;
  origin::SyntheticStreamSpec spec = Spec(origin::CueFlavour::kDateRange, start, 20);
  const BreakSlots daterange = SlotsOfMarkedBreak(spec, start, start + 20 * kMicrosPerSecond);
  spec.cue_flavour = origin::CueFlavour::kCueOut;
  const BreakSlots tagged = SlotsOfMarkedBreak(spec, start, start + 20 * kMicrosPerSecond);
  EXPECT_EQ(daterange.first_msn, 30);  // the slot starting at +60 s
  EXPECT_EQ(tagged.first_msn, 31);     // the tag sits on the slot starting at +62 s
  EXPECT_EQ(daterange.end_msn, 40);    // end +80.1 s: the boundary at +80 s is within tolerance
  EXPECT_EQ(tagged.end_msn, 41);       // IN on the first slot at or after +80.1 s: +82
}

TEST(GroundTruthTest, ApiBreaksUseTheSplicerRuleAndCoveringFindsTheBreak) {
  const origin::SyntheticStreamSpec spec = Spec(origin::CueFlavour::kNone, kStart, 0);
  const std::vector<TruthBreak> breaks = {
      ApiBreak(spec, kStart + 10 * kMicrosPerSecond + 200 * kMicrosPerMilli, kStart + 20 * kMicrosPerSecond),
      ApiBreak(spec, kStart + 30 * kMicrosPerSecond, kStart + 30 * kMicrosPerSecond + 100 * kMicrosPerMilli)};
  EXPECT_EQ(breaks[0].slots.first_msn, 5);
  EXPECT_EQ(breaks[0].slots.end_msn, 10);
  EXPECT_TRUE(breaks[0].api);
  EXPECT_TRUE(breaks[1].slots.empty());  // shorter than the tolerance: no slot
  EXPECT_EQ(BreakCovering(breaks, 4), -1);
  EXPECT_EQ(BreakCovering(breaks, 5), 0);
  EXPECT_EQ(BreakCovering(breaks, 9), 0);
  EXPECT_EQ(BreakCovering(breaks, 10), -1);
  EXPECT_EQ(BreakCovering(breaks, 15), -1);
}

TEST(GroundTruthTest, AdSecondsCountMissedAndGhostTime) {
  AdSeconds s;
  s.Add(/*truth_in=*/true, /*served_ad=*/true, 10, 2);
  s.Add(true, false, 3, 2);
  s.Add(false, true, 1, 4);
  s.Add(false, false, 100, 2);
  EXPECT_DOUBLE_EQ(s.scheduled, 26);
  EXPECT_DOUBLE_EQ(s.missed, 6);
  EXPECT_DOUBLE_EQ(s.ghost, 4);
  AdSeconds total;
  total += s;
  total += s;
  EXPECT_DOUBLE_EQ(total.scheduled, 52);
  EXPECT_DOUBLE_EQ(total.missed, 12);
  EXPECT_DOUBLE_EQ(total.ghost, 8);
}

}  // namespace
}  // namespace ssai::world
