// The synthetic origin's messy-origin options (early IN, cancelled splice, PTS wrap, renditions
// cut at different segments), checked through the cue normalizer the way a poller sees them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reference/media/cues/normalizer.h"
#include "reference/media/hls/playlist.h"
#include "reference/media/origin/synthetic_origin.h"
#include "reference/media/scte35/splice_info_section.h"

namespace ssai::origin {
namespace {

UnixMicros T0() { return ParseIso8601("2026-01-15T12:00:00Z").value(); }
UnixMicros At(double seconds) { return T0() + SecondsToMicros(seconds); }

SyntheticStreamSpec Spec(CueFlavour flavour) {
  SyntheticStreamSpec spec;
  spec.segment_duration_s = 2;
  spec.window_segments = 4;
  spec.start_time = T0();
  spec.renditions = {{"v1", 800000, "", ""}, {"v2", 2500000, "", ""}};
  spec.cue_flavour = flavour;
  spec.breaks = {{At(10), 12, 1001}};
  return spec;
}

// Polls `rendition` once per segment from 0 to `until_s` and normalizes.
std::vector<cues::BreakEvent> Events(const SyntheticStreamSpec& spec, size_t rendition, double until_s) {
  cues::Normalizer n;
  std::vector<cues::BreakEvent> events;
  for (double t = 2; t <= until_s; t += 2) {
    Result<hls::MediaPlaylist> p = hls::ParseMedia(MediaPlaylistAt(spec, spec.renditions[rendition], At(t)));
    EXPECT_TRUE(p.ok());
    if (!p.ok()) return events;
    cues::NormalizeResult r = n.Push(*p);
    EXPECT_TRUE(r.warnings.empty()) << r.warnings[0].message;
    events.insert(events.end(), r.events.begin(), r.events.end());
  }
  cues::NormalizeResult r = n.Finish();
  events.insert(events.end(), r.events.begin(), r.events.end());
  return events;
}

TEST(SyntheticOriginMessyTest, EarlyCueIn) {
  SyntheticStreamSpec spec = Spec(CueFlavour::kCueOut);
  spec.breaks[0].in_after_s = 6;  // announced 12 s, IN after 6 s
  ASSERT_TRUE(ValidateSpec(spec).ok());
  const std::vector<cues::BreakEvent> ev = Events(spec, 0, 40);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, cues::EventKind::kStart);
  EXPECT_EQ(ev[0].duration_s, 12);
  EXPECT_EQ(ev[1].kind, cues::EventKind::kEnd);
  EXPECT_EQ(ev[1].reason, cues::EndReason::kIn);
  EXPECT_EQ(ev[1].splice_time, At(16));
  EXPECT_EQ(ev[1].duration_s, 6);
  spec.breaks[0].in_after_s = 13;
  EXPECT_FALSE(ValidateSpec(spec).ok());
}

TEST(SyntheticOriginMessyTest, CancelledSplice) {
  SyntheticStreamSpec spec = Spec(CueFlavour::kOatcls);
  spec.breaks[0].cancelled = true;
  const std::string p = MediaPlaylistAt(spec, spec.renditions[0], At(20));
  EXPECT_EQ(p.find("CUE-OUT"), std::string::npos) << p;
  EXPECT_EQ(p.find("CUE-IN"), std::string::npos) << p;
  EXPECT_NE(p.find("#EXT-OATCLS-SCTE35:"), std::string::npos) << p;
  Result<scte35::SpliceInfoSection> s = scte35::Decode(BreakOutSection(spec, spec.breaks[0]));
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(std::get<scte35::SpliceInsert>(s->command).splice_event_cancel_indicator);
  const std::vector<cues::BreakEvent> ev = Events(spec, 0, 40);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, cues::EventKind::kCancel);
  EXPECT_EQ(ev[0].event_id, "1001");
}

TEST(SyntheticOriginMessyTest, PtsOffsetWrapsAcrossTheBreak) {
  SyntheticStreamSpec spec = Spec(CueFlavour::kSplicepoint);
  // 2^33 - 15 s of ticks at the stream start: the break (10 s..22 s) crosses the wrap at 15 s.
  spec.pts_offset_ticks = scte35::kPtsWrap - 15 * 90000;
  Result<SyntheticStreamSpec> again = ParseSpec(SerializeSpec(spec));
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->pts_offset_ticks, spec.pts_offset_ticks);
  const std::vector<cues::BreakEvent> ev = Events(spec, 0, 40);
  ASSERT_EQ(ev.size(), 2u);
  ASSERT_TRUE(ev[0].pts_ticks.has_value());
  EXPECT_EQ(*ev[0].pts_ticks, scte35::kPtsWrap - 5 * 90000);
  ASSERT_TRUE(ev[1].pts_ticks.has_value());
  EXPECT_EQ(*ev[1].pts_ticks, 7 * 90000);
  EXPECT_EQ(ev[1].duration_s, 12);
}

TEST(SyntheticOriginMessyTest, RenditionsCutAtDifferentSegments) {
  SyntheticStreamSpec spec = Spec(CueFlavour::kCueOut);
  spec.renditions[1].cue_offset_segments = 1;
  Result<SyntheticStreamSpec> again = ParseSpec(SerializeSpec(spec));
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->renditions[1].cue_offset_segments, 1);
  const std::vector<cues::BreakEvent> a = Events(spec, 0, 40), b = Events(spec, 1, 40);
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(a[0].splice_time, At(10));
  EXPECT_EQ(b[0].splice_time, At(12));  // one segment later
  EXPECT_EQ(a[1].splice_time, At(22));
  EXPECT_EQ(b[1].splice_time, At(24));
}

TEST(SyntheticOriginMessyTest, SpecErrorsNameTheField) {
  EXPECT_EQ(ParseSpec(R"({"segment_duration_s":2,"start_time":"2026-01-15T12:00:00Z",
      "renditions":[{"name":"v","bandwidth_bps":1,"cue_offset_segments":-1}]})").status().message(),
            "synthetic stream spec: renditions[0].cue_offset_segments: must be between 0 and 10000");
  EXPECT_EQ(ParseSpec(R"({"segment_duration_s":2,"start_time":"2026-01-15T12:00:00Z",
      "renditions":[{"name":"v","bandwidth_bps":1}],
      "breaks":[{"start_time":"2026-01-15T12:00:10Z","duration_s":5,"event_id":1,"cancelled":1}]})")
                .status()
                .message(),
            "synthetic stream spec: breaks[0].cancelled: must be true or false, got 1");
}

}  // namespace
}  // namespace ssai::origin
