#include "reference/ssai/splicer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <initializer_list>
#include <iostream>
#include <string>
#include <vector>

#include "reference/base/strings.h"
#include "reference/media/hls/lint.h"
#include "reference/media/hls/playlist.h"
#include "reference/media/origin/synthetic_origin.h"

namespace ssai {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

UnixMicros T0() { return ParseIso8601("2026-01-15T12:00:00Z").value(); }
UnixMicros At(double seconds) { return T0() + SecondsToMicros(seconds); }

// Inline expected playlists: one line per string.
std::string Lines(std::initializer_list<std::string_view> lines) {
  std::string out;
  for (std::string_view l : lines) {
    out.append(l);
    out.push_back('\n');
  }
  return out;
}

std::vector<std::string> Errors(const std::vector<hls::Finding>& findings) {
  std::vector<std::string> out;
  for (const hls::Finding& f : findings) {
    if (f.severity == hls::Severity::kError) out.push_back(hls::FormatFinding(f));
  }
  return out;
}

origin::SyntheticStreamSpec Spec(double segment_s, int window, std::vector<origin::ScheduledBreak> breaks) {
  origin::SyntheticStreamSpec spec;
  spec.segment_duration_s = segment_s;
  spec.window_segments = window;
  spec.start_time = T0();
  spec.renditions = {{"v1", 800000, "640x360", ""}, {"v2", 2500000, "1280x720", ""}};
  spec.cue_flavour = origin::CueFlavour::kCueOut;
  spec.repeat_cue = false;
  spec.breaks = std::move(breaks);
  return spec;
}

SpliceBreak Break(std::string id, double start_s, double duration_s, int ads, double ad_s,
                  std::string prefix = "ad") {
  SpliceBreak b;
  b.event_id = std::move(id);
  b.start_time = At(start_s);
  b.end_time = At(start_s + duration_s);
  for (int i = 0; i < ads; ++i) {
    b.ad_segments.push_back({prefix + "/a" + std::to_string(i) + ".ts", ad_s});
  }
  return b;
}

SpliceOptions Ssai(double slate_s) {
  SpliceOptions o;
  o.slate = {"slate.ts", slate_s};
  return o;
}

// Origin playlist of `rendition` at `now`, parsed.
hls::MediaPlaylist OriginAt(const origin::SyntheticStreamSpec& spec, size_t rendition, double now_s) {
  Result<hls::MediaPlaylist> p =
      hls::ParseMedia(origin::MediaPlaylistAt(spec, spec.renditions[rendition], At(now_s)));
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? std::move(p).value() : hls::MediaPlaylist();
}

// Splices and serializes; fails the test on an error.
std::string SpliceText(const hls::MediaPlaylist& origin, const std::vector<SpliceBreak>& breaks,
                       const SpliceOptions& options, SpliceResult* result_out = nullptr) {
  Result<SpliceResult> r = Splice(origin, breaks, options);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return "";
  if (result_out != nullptr) *result_out = *r;
  return hls::Serialize(r->playlist);
}

// Walks reloads every `step_s` and checks lint + reload lint on every output.
void ExpectLintCleanWalk(const origin::SyntheticStreamSpec& spec, const std::vector<SpliceBreak>& breaks,
                         const SpliceOptions& options, double from_s, double to_s, double step_s) {
  for (size_t r = 0; r < spec.renditions.size(); ++r) {
    hls::ReloadLinter reload;
    for (double now = from_s; now <= to_s; now += step_s) {
      Result<SpliceResult> out = Splice(OriginAt(spec, r, now), breaks, options);
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      const std::string text = hls::Serialize(out->playlist);
      EXPECT_THAT(Errors(hls::LintMedia(out->playlist)), IsEmpty()) << "now=" << now << "\n" << text;
      EXPECT_THAT(Errors(reload.Observe(out->playlist)), IsEmpty()) << "now=" << now << "\n" << text;
    }
  }
}

// ---- SSAI, 2 s segments: a whole break, reload every target duration ----------------------------

class Ssai2sTest : public ::testing::Test {
 protected:
  // Break [10 s, 16 s) on segment boundaries: slots 5, 6, 7; return slot 8. Pod of two 2 s ads:
  // slot 7 gets slate.
  origin::SyntheticStreamSpec spec_ = Spec(2, 4, {{At(10), 6, 1}});
  std::vector<SpliceBreak> breaks_ = {Break("b1", 10, 6, 2, 2)};
  SpliceOptions options_ = Ssai(2);
};

TEST_F(Ssai2sTest, BeforeTheBreakOutputIsTheOrigin) {
  for (double now : {8.0, 10.0}) {
    const hls::MediaPlaylist o = OriginAt(spec_, 0, now);
    SpliceResult r;
    EXPECT_EQ(SpliceText(o, breaks_, options_, &r), hls::Serialize(o));
    EXPECT_EQ(r.ad_segments, 0);
    EXPECT_FALSE(r.in_break);
  }
}

TEST_F(Ssai2sTest, BreakStarts) {
  SpliceResult r;
  EXPECT_EQ(SpliceText(OriginAt(spec_, 0, 14), breaks_, options_, &r),
            Lines({"#EXTM3U",
                   "#EXT-X-VERSION:3",
                   "#EXT-X-TARGETDURATION:2",
                   "#EXT-X-MEDIA-SEQUENCE:3",
                   "#EXT-X-DISCONTINUITY-SEQUENCE:0",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:06.000Z",
                   "#EXTINF:2.000,",
                   "seg_v1_3.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:08.000Z",
                   "#EXTINF:2.000,",
                   "seg_v1_4.ts",
                   "#EXT-X-DISCONTINUITY",
                   "#EXT-X-CUE-OUT:DURATION=6",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:10.000Z",
                   "#EXTINF:2.000,",
                   "ad/a0.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:12.000Z",
                   "#EXTINF:2.000,",
                   "ad/a1.ts"}));
  EXPECT_EQ(r.ad_segments, 2);
  EXPECT_EQ(r.slate_segments, 0);
  EXPECT_TRUE(r.in_break);
  EXPECT_THAT(r.warnings, IsEmpty());
}

TEST_F(Ssai2sTest, ShortPodGetsSlateThenReturn) {
  SpliceResult r;
  EXPECT_EQ(SpliceText(OriginAt(spec_, 0, 18), breaks_, options_, &r),
            Lines({"#EXTM3U",
                   "#EXT-X-VERSION:3",
                   "#EXT-X-TARGETDURATION:2",
                   "#EXT-X-MEDIA-SEQUENCE:5",
                   "#EXT-X-DISCONTINUITY-SEQUENCE:0",
                   "#EXT-X-DISCONTINUITY",
                   "#EXT-X-CUE-OUT:DURATION=6",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:10.000Z",
                   "#EXTINF:2.000,",
                   "ad/a0.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:12.000Z",
                   "#EXTINF:2.000,",
                   "ad/a1.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:14.000Z",
                   "#EXTINF:2.000,",
                   "slate.ts",
                   "#EXT-X-DISCONTINUITY",
                   "#EXT-X-CUE-IN",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:16.000Z",
                   "#EXTINF:2.000,",
                   "seg_v1_8.ts"}));
  EXPECT_EQ(r.ad_segments, 2);
  EXPECT_EQ(r.slate_segments, 1);
  EXPECT_FALSE(r.in_break);
}

TEST_F(Ssai2sTest, SpliceDiscontinuitySlidesOutAndSequenceGrows) {
  // Mid-break join: the window starts inside the break; the first ad slot (and its
  // DISCONTINUITY) has slid out, so DISCONTINUITY-SEQUENCE is 1 (RFC 8216 §6.2.2).
  EXPECT_EQ(SpliceText(OriginAt(spec_, 0, 20), breaks_, options_),
            Lines({"#EXTM3U",
                   "#EXT-X-VERSION:3",
                   "#EXT-X-TARGETDURATION:2",
                   "#EXT-X-MEDIA-SEQUENCE:6",
                   "#EXT-X-DISCONTINUITY-SEQUENCE:1",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:12.000Z",
                   "#EXTINF:2.000,",
                   "ad/a1.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:14.000Z",
                   "#EXTINF:2.000,",
                   "slate.ts",
                   "#EXT-X-DISCONTINUITY",
                   "#EXT-X-CUE-IN",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:16.000Z",
                   "#EXTINF:2.000,",
                   "seg_v1_8.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:18.000Z",
                   "#EXTINF:2.000,",
                   "seg_v1_9.ts"}));
}

TEST_F(Ssai2sTest, ReturnSlotFirstInWindowKeepsItsTag) {
  // The return slot is the first segment: its DISCONTINUITY still counts for it, so the header
  // counts only the splice-point one.
  EXPECT_EQ(SpliceText(OriginAt(spec_, 0, 24), breaks_, options_),
            Lines({"#EXTM3U",
                   "#EXT-X-VERSION:3",
                   "#EXT-X-TARGETDURATION:2",
                   "#EXT-X-MEDIA-SEQUENCE:8",
                   "#EXT-X-DISCONTINUITY-SEQUENCE:1",
                   "#EXT-X-DISCONTINUITY",
                   "#EXT-X-CUE-IN",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:16.000Z",
                   "#EXTINF:2.000,",
                   "seg_v1_8.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:18.000Z",
                   "#EXTINF:2.000,",
                   "seg_v1_9.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:20.000Z",
                   "#EXTINF:2.000,",
                   "seg_v1_10.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:22.000Z",
                   "#EXTINF:2.000,",
                   "seg_v1_11.ts"}));
}

TEST_F(Ssai2sTest, AfterTheBreak) {
  EXPECT_EQ(SpliceText(OriginAt(spec_, 0, 26), breaks_, options_),
            Lines({"#EXTM3U",
                   "#EXT-X-VERSION:3",
                   "#EXT-X-TARGETDURATION:2",
                   "#EXT-X-MEDIA-SEQUENCE:9",
                   "#EXT-X-DISCONTINUITY-SEQUENCE:2",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:18.000Z",
                   "#EXTINF:2.000,",
                   "seg_v1_9.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:20.000Z",
                   "#EXTINF:2.000,",
                   "seg_v1_10.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:22.000Z",
                   "#EXTINF:2.000,",
                   "seg_v1_11.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:24.000Z",
                   "#EXTINF:2.000,",
                   "seg_v1_12.ts"}));
}

TEST_F(Ssai2sTest, EveryReloadLintsCleanInBothRenditions) {
  ExpectLintCleanWalk(spec_, breaks_, options_, 0, 40, 2);
  ExpectLintCleanWalk(spec_, breaks_, options_, 0.5, 40, 0.7);  // reloads off the segment grid
}

TEST_F(Ssai2sTest, RenditionsDifferOnlyInUris) {
  std::vector<SpliceBreak> hi = {Break("b1", 10, 6, 2, 2, "ad_hi")};
  for (double now = 0; now <= 30; now += 2) {
    Result<SpliceResult> a = Splice(OriginAt(spec_, 0, now), breaks_, options_);
    Result<SpliceResult> b = Splice(OriginAt(spec_, 1, now), hi, options_);
    ASSERT_TRUE(a.ok() && b.ok());
    std::string ta = hls::Serialize(a->playlist), tb = hls::Serialize(b->playlist);
    for (std::string* t : {&ta, &tb}) {
      for (auto [from, to] : {std::pair<std::string, std::string>{"ad_hi/", "ad/"},
                              {"seg_v2_", "seg_v1_"}}) {
        for (size_t at; (at = t->find(from)) != std::string::npos;) t->replace(at, from.size(), to);
      }
    }
    EXPECT_EQ(ta, tb) << "now=" << now;
  }
}

// ---- SSAI, 6 s segments ---------------------------------------------------------------------------

TEST(Ssai6sTest, WholeBreakExactPodWithReloadEveryTargetDuration) {
  // Break [60 s, 90 s): slots 10..14, return 15; pod of five 6 s ads, no slate needed.
  const origin::SyntheticStreamSpec spec = Spec(6, 4, {{At(60), 30, 7}});
  const std::vector<SpliceBreak> breaks = {Break("b7", 60, 30, 5, 6)};
  const SpliceOptions options = Ssai(6);
  // Mid-break: slots 10..13.
  SpliceResult r;
  EXPECT_EQ(SpliceText(OriginAt(spec, 0, 84), breaks, options, &r),
            Lines({"#EXTM3U",
                   "#EXT-X-VERSION:3",
                   "#EXT-X-TARGETDURATION:6",
                   "#EXT-X-MEDIA-SEQUENCE:10",
                   "#EXT-X-DISCONTINUITY-SEQUENCE:0",
                   "#EXT-X-DISCONTINUITY",
                   "#EXT-X-CUE-OUT:DURATION=30",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:01:00.000Z",
                   "#EXTINF:6.000,",
                   "ad/a0.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:01:06.000Z",
                   "#EXTINF:6.000,",
                   "ad/a1.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:01:12.000Z",
                   "#EXTINF:6.000,",
                   "ad/a2.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:01:18.000Z",
                   "#EXTINF:6.000,",
                   "ad/a3.ts"}));
  EXPECT_TRUE(r.in_break);
  EXPECT_EQ(r.ad_segments, 4);
  // Return: slots 12..15, the splice point has slid out.
  EXPECT_EQ(SpliceText(OriginAt(spec, 0, 96), breaks, options, &r),
            Lines({"#EXTM3U",
                   "#EXT-X-VERSION:3",
                   "#EXT-X-TARGETDURATION:6",
                   "#EXT-X-MEDIA-SEQUENCE:12",
                   "#EXT-X-DISCONTINUITY-SEQUENCE:1",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:01:12.000Z",
                   "#EXTINF:6.000,",
                   "ad/a2.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:01:18.000Z",
                   "#EXTINF:6.000,",
                   "ad/a3.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:01:24.000Z",
                   "#EXTINF:6.000,",
                   "ad/a4.ts",
                   "#EXT-X-DISCONTINUITY",
                   "#EXT-X-CUE-IN",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:01:30.000Z",
                   "#EXTINF:6.000,",
                   "seg_v1_15.ts"}));
  EXPECT_EQ(r.slate_segments, 0);
  ExpectLintCleanWalk(spec, breaks, options, 0, 150, 6);
}

// ---- Pod shapes and cue positions -------------------------------------------------------------

TEST(SplicerTest, LongPodIsCutAtBreakEnd) {
  const origin::SyntheticStreamSpec spec = Spec(2, 6, {{At(10), 6, 1}});
  const std::vector<SpliceBreak> breaks = {Break("b1", 10, 6, 5, 2)};  // 10 s of ads in 6 s
  SpliceResult r;
  const std::string text = SpliceText(OriginAt(spec, 0, 20), breaks, Ssai(2), &r);
  EXPECT_THAT(text, HasSubstr("ad/a0.ts\n"));
  EXPECT_THAT(text, HasSubstr("ad/a2.ts\n#EXT-X-DISCONTINUITY\n#EXT-X-CUE-IN\n"));
  EXPECT_EQ(text.find("ad/a3.ts"), std::string::npos);
  EXPECT_EQ(r.ad_segments, 3);
  EXPECT_EQ(r.slate_segments, 0);
  ExpectLintCleanWalk(spec, breaks, Ssai(2), 0, 40, 2);
}

TEST(SplicerTest, NoAdAfterEndTimeWhateverTheCallerPasses) {
  // A slot starting 0.2 s before the end (within tolerance) is content.
  origin::SyntheticStreamSpec spec = Spec(2, 6, {});
  const std::vector<SpliceBreak> breaks = {Break("b1", 10, 4.2, 10, 2)};
  Result<SpliceResult> r = Splice(OriginAt(spec, 0, 24), breaks, Ssai(2));
  ASSERT_TRUE(r.ok());
  for (size_t i = 0; i < r->playlist.segments().size(); ++i) {
    const hls::MediaSegment& s = r->playlist.segments()[i];
    const int64_t msn = r->playlist.SequenceNumberOf(i);
    EXPECT_EQ(s.uri().starts_with("ad/"), msn == 5 || msn == 6) << s.uri();
  }
}

TEST(SplicerTest, CueMidSegmentTakesTheNextBoundary) {
  // Break [10.9 s, 16.9 s): slots starting in [10.65, 16.65) are 12, 14, 16; return 18.
  const origin::SyntheticStreamSpec spec = Spec(2, 4, {{At(10.9), 6, 3}});
  const std::vector<SpliceBreak> breaks = {Break("b3", 10.9, 6, 3, 2)};
  EXPECT_EQ(SpliceText(OriginAt(spec, 0, 20), breaks, Ssai(2)),
            Lines({"#EXTM3U",
                   "#EXT-X-VERSION:3",
                   "#EXT-X-TARGETDURATION:2",
                   "#EXT-X-MEDIA-SEQUENCE:6",
                   "#EXT-X-DISCONTINUITY-SEQUENCE:0",
                   "#EXT-X-DISCONTINUITY",
                   "#EXT-X-CUE-OUT:DURATION=6",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:12.000Z",
                   "#EXTINF:2.000,",
                   "ad/a0.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:14.000Z",
                   "#EXTINF:2.000,",
                   "ad/a1.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:16.000Z",
                   "#EXTINF:2.000,",
                   "ad/a2.ts",
                   "#EXT-X-DISCONTINUITY",
                   "#EXT-X-CUE-IN",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:18.000Z",
                   "#EXTINF:2.000,",
                   "seg_v1_9.ts"}));
  ExpectLintCleanWalk(spec, breaks, Ssai(2), 0, 40, 2);
}

TEST(SplicerTest, CueJustAfterBoundaryDoesNotRepeatAnAd) {
  // A cue 3 ms after a boundary (PDT rounding) splices at that boundary; the pod timeline starts
  // at the splice point, so each slot gets the next ad segment (not a0 twice).
  const origin::SyntheticStreamSpec spec = Spec(2, 6, {});
  const std::vector<SpliceBreak> breaks = {Break("b1", 10.003, 6, 3, 2)};
  Result<SpliceResult> r = Splice(OriginAt(spec, 0, 20), breaks, Ssai(2));
  ASSERT_TRUE(r.ok());
  std::vector<std::string> uris;
  for (const hls::MediaSegment& s : r->playlist.segments()) uris.push_back(s.uri());
  EXPECT_THAT(uris, ::testing::ElementsAre("seg_v1_4.ts", "ad/a0.ts", "ad/a1.ts", "ad/a2.ts",
                                           "seg_v1_8.ts", "seg_v1_9.ts"));
}

TEST(SplicerTest, TwoBreaksLedgerKeepsDiscontinuitySequence) {
  const origin::SyntheticStreamSpec spec = Spec(2, 4, {{At(10), 6, 1}, {At(30), 4, 2}});
  const SpliceBreak first = Break("b1", 10, 6, 3, 2), second = Break("b2", 30, 4, 2, 2);
  const std::vector<SpliceBreak> both = {first, second};
  const std::vector<SpliceBreak> only_second = {second};
  SpliceOptions ledger = Ssai(2);
  ledger.inserted_discontinuities_before = 2;
  hls::ReloadLinter reload;
  for (double now = 0; now <= 60; now += 2) {
    // The first break's return slot (18 s) leaves a 4-slot window at 28 s; from then on the
    // coordinator drops it and counts its two discontinuities in the ledger.
    const hls::MediaPlaylist o = OriginAt(spec, 0, now);
    const bool dropped = now >= 28;
    Result<SpliceResult> r = dropped ? Splice(o, only_second, ledger) : Splice(o, both, Ssai(2));
    ASSERT_TRUE(r.ok());
    if (now >= 28) {
      // Whether the first break is passed or dropped+ledgered, the output is the same.
      Result<SpliceResult> full = Splice(o, both, Ssai(2));
      ASSERT_TRUE(full.ok());
      EXPECT_EQ(hls::Serialize(full->playlist), hls::Serialize(r->playlist)) << "now=" << now;
    }
    EXPECT_THAT(Errors(hls::LintMedia(r->playlist)), IsEmpty()) << "now=" << now;
    EXPECT_THAT(Errors(reload.Observe(r->playlist)), IsEmpty())
        << "now=" << now << "\n" << hls::Serialize(r->playlist);
    if (now == 60) {
      EXPECT_EQ(r->playlist.discontinuity_sequence(), 4);
    }
  }
  EXPECT_EQ(SpliceText(OriginAt(spec, 0, 32), only_second, ledger),
            Lines({"#EXTM3U",
                   "#EXT-X-VERSION:3",
                   "#EXT-X-TARGETDURATION:2",
                   "#EXT-X-MEDIA-SEQUENCE:12",
                   "#EXT-X-DISCONTINUITY-SEQUENCE:2",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:24.000Z",
                   "#EXTINF:2.000,",
                   "seg_v1_12.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:26.000Z",
                   "#EXTINF:2.000,",
                   "seg_v1_13.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:28.000Z",
                   "#EXTINF:2.000,",
                   "seg_v1_14.ts",
                   "#EXT-X-DISCONTINUITY",
                   "#EXT-X-CUE-OUT:DURATION=4",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:30.000Z",
                   "#EXTINF:2.000,",
                   "ad/a0.ts"}));
}

TEST(SplicerTest, BackToBackBreaksShareOneDiscontinuity) {
  const origin::SyntheticStreamSpec spec = Spec(2, 4, {});
  const std::vector<SpliceBreak> breaks = {Break("b1", 10, 4, 2, 2, "p1"),
                                           Break("b2", 14, 4, 2, 2, "p2")};
  const std::string text = SpliceText(OriginAt(spec, 0, 18), breaks, Ssai(2));
  EXPECT_THAT(text, HasSubstr("p1/a1.ts\n#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:"
                              "2026-01-15T12:00:14.000Z\n#EXTINF:2.000,\np2/a0.ts\n"));
  ExpectLintCleanWalk(spec, breaks, Ssai(2), 0, 40, 2);
  // 3 discontinuities in all once everything has slid out.
  Result<SpliceResult> r = Splice(OriginAt(spec, 0, 40), breaks, Ssai(2));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->playlist.discontinuity_sequence(), 3);
}

TEST(SplicerTest, PdtOnlyOnFirstOriginSegment) {
  origin::SyntheticStreamSpec spec = Spec(2, 6, {{At(10), 4, 1}});
  spec.pdt_on_every_segment = false;
  const std::vector<SpliceBreak> breaks = {Break("b1", 10, 4, 2, 2)};
  EXPECT_EQ(SpliceText(OriginAt(spec, 0, 20), breaks, Ssai(2)),
            Lines({"#EXTM3U",
                   "#EXT-X-VERSION:3",
                   "#EXT-X-TARGETDURATION:2",
                   "#EXT-X-MEDIA-SEQUENCE:4",
                   "#EXT-X-DISCONTINUITY-SEQUENCE:0",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:08.000Z",
                   "#EXTINF:2.000,",
                   "seg_v1_4.ts",
                   "#EXT-X-DISCONTINUITY",
                   "#EXT-X-CUE-OUT:DURATION=4",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:10.000Z",
                   "#EXTINF:2.000,",
                   "ad/a0.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:12.000Z",
                   "#EXTINF:2.000,",
                   "ad/a1.ts",
                   "#EXT-X-DISCONTINUITY",
                   "#EXT-X-CUE-IN",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:14.000Z",
                   "#EXTINF:2.000,",
                   "seg_v1_7.ts",
                   "#EXTINF:2.000,",
                   "seg_v1_8.ts",
                   "#EXTINF:2.000,",
                   "seg_v1_9.ts"}));
  ExpectLintCleanWalk(spec, breaks, Ssai(2), 0, 40, 2);
}

TEST(SplicerTest, AdLongerThanTargetDurationWarnsAndKeepsTargetDuration) {
  const origin::SyntheticStreamSpec spec = Spec(2, 6, {});
  const std::vector<SpliceBreak> breaks = {Break("b1", 10, 6, 2, 3)};
  SpliceResult r;
  const std::string text = SpliceText(OriginAt(spec, 0, 20), breaks, Ssai(2), &r);
  EXPECT_THAT(text, HasSubstr("#EXT-X-TARGETDURATION:2\n"));
  EXPECT_THAT(text, HasSubstr("#EXTINF:3.000,\nad/a0.ts\n"));
  ASSERT_EQ(r.warnings.size(), 2u);
  EXPECT_THAT(r.warnings[0], HasSubstr("conditioned"));
  EXPECT_THAT(r.warnings[1], HasSubstr("hls.target_duration.bound"));
}

TEST(SplicerTest, VersionBumpedForDecimalExtinf) {
  const std::string origin_text = Lines({"#EXTM3U", "#EXT-X-TARGETDURATION:2",
                                         "#EXT-X-MEDIA-SEQUENCE:10",
                                         "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:00.000Z",
                                         "#EXTINF:2,", "c10.ts", "#EXTINF:2,", "c11.ts",
                                         "#EXTINF:2,", "c12.ts"});
  Result<hls::MediaPlaylist> o = hls::ParseMedia(origin_text);
  ASSERT_TRUE(o.ok());
  const std::vector<SpliceBreak> breaks = {Break("b1", 2, 2, 1, 2)};
  EXPECT_EQ(SpliceText(*o, breaks, Ssai(2)),
            Lines({"#EXTM3U",
                   "#EXT-X-VERSION:3",
                   "#EXT-X-TARGETDURATION:2",
                   "#EXT-X-MEDIA-SEQUENCE:10",
                   "#EXT-X-DISCONTINUITY-SEQUENCE:0",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:00.000Z",
                   "#EXTINF:2,",
                   "c10.ts",
                   "#EXT-X-DISCONTINUITY",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:02.000Z",
                   "#EXTINF:2.000,",
                   "ad/a0.ts",
                   "#EXT-X-DISCONTINUITY",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:04.000Z",
                   "#EXTINF:2,",
                   "c12.ts"}));
}

TEST(SplicerTest, OriginDiscontinuityOnSpliceSlotIsNotDoubled) {
  const std::string origin_text = Lines({"#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:2",
                                         "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:00.000Z",
                                         "#EXTINF:2.000,", "c0.ts", "#EXT-X-DISCONTINUITY",
                                         "#EXTINF:2.000,", "c1.ts", "#EXTINF:2.000,", "c2.ts"});
  Result<hls::MediaPlaylist> o = hls::ParseMedia(origin_text);
  ASSERT_TRUE(o.ok());
  const std::vector<SpliceBreak> breaks = {Break("b1", 2, 2, 1, 2)};
  SpliceResult r;
  const std::string text = SpliceText(*o, breaks, Ssai(2), &r);
  EXPECT_EQ(text.find("#EXT-X-DISCONTINUITY\n#EXT-X-DISCONTINUITY"), std::string::npos);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_THAT(r.warnings[0], HasSubstr("already has EXT-X-DISCONTINUITY"));
  EXPECT_EQ(r.playlist.segments()[1].uri(), "ad/a0.ts");
  EXPECT_TRUE(r.playlist.segments()[1].discontinuity());
}

// ---- SGAI ------------------------------------------------------------------------------------------

TEST(SgaiTest, InterstitialDateRange) {
  // Cue at 10.5 s, mid-segment: the interstitial starts at the splice point SSAI uses (slot 6,
  // 12.000) and ends at the return slot (slot 9, 18.000), not at 10.5 / 16.5.
  const origin::SyntheticStreamSpec spec = Spec(2, 4, {{At(10.5), 6, 9}});
  SpliceBreak b = Break("brk-9", 10.5, 6, 0, 0);
  b.asset_uri = "https://ads.example/pod/9.m3u8";
  const std::vector<SpliceBreak> breaks = {b};
  SpliceOptions o;
  o.mode = InsertionMode::kSgai;
  o.inserted_discontinuities_before = 6;  // ignored: SGAI inserts no discontinuity
  const std::string dr =
      "#EXT-X-DATERANGE:ID=\"ssai-brk-9\",CLASS=\"com.apple.hls.interstitial\","
      "START-DATE=\"2026-01-15T12:00:12.000Z\",DURATION=6,"
      "X-ASSET-URI=\"https://ads.example/pod/9.m3u8\",X-RESUME-OFFSET=6,X-PLAYOUT-LIMIT=6,"
      "X-SNAP=\"OUT,IN\",X-RESTRICT=\"SKIP,JUMP\"";
  SpliceResult r;
  EXPECT_EQ(SpliceText(OriginAt(spec, 0, 16), breaks, o, &r),
            Lines({"#EXTM3U",
                   "#EXT-X-VERSION:3",
                   "#EXT-X-TARGETDURATION:2",
                   "#EXT-X-MEDIA-SEQUENCE:4",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:08.000Z",
                   "#EXTINF:2.000,",
                   "seg_v1_4.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:10.000Z",
                   "#EXTINF:2.000,",
                   "seg_v1_5.ts",
                   dr,
                   "#EXT-X-CUE-OUT:DURATION=6",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:12.000Z",
                   "#EXTINF:2.000,",
                   "seg_v1_6.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:14.000Z",
                   "#EXTINF:2.000,",
                   "seg_v1_7.ts"}));
  EXPECT_TRUE(r.in_break);
  EXPECT_EQ(r.ad_segments, 0);
  // Kept on the first segment while slot 8 (which overlaps [12, 18)) is in the window ...
  const std::string late = SpliceText(OriginAt(spec, 0, 24), breaks, o);
  EXPECT_THAT(late, HasSubstr("#EXT-X-MEDIA-SEQUENCE:8\n" + dr + "\n"));
  // ... and gone once no window slot overlaps the break.
  EXPECT_EQ(SpliceText(OriginAt(spec, 0, 28), breaks, o).find("DATERANGE"), std::string::npos);
  // Announced after the last segment before its first slot is published.
  EXPECT_THAT(SpliceText(OriginAt(spec, 0, 10), breaks, o), HasSubstr("seg_v1_4.ts\n" + dr + "\n"));
  // Same text in every rendition.
  for (double now = 0; now <= 40; now += 1) {
    std::string a = SpliceText(OriginAt(spec, 0, now), breaks, o);
    std::string c = SpliceText(OriginAt(spec, 1, now), breaks, o);
    for (size_t at; (at = c.find("seg_v2_")) != std::string::npos;) c.replace(at, 7, "seg_v1_");
    EXPECT_EQ(a, c);
  }
  ExpectLintCleanWalk(spec, breaks, o, 0, 40, 2);
  ExpectLintCleanWalk(spec, breaks, o, 0.3, 40, 0.9);
}

// The interstitial's START-DATE and START-DATE + DURATION are the PDTs of the first ad slot and the
// return slot of the SSAI splice of the same break, wherever the cue and end fall in a segment
// (bis Appendix D.2 X-SNAP would otherwise let the client pick the nearest boundary).
TEST(SgaiTest, InterstitialOnTheSsaiSlotBoundaries) {
  SpliceOptions sgai;
  sgai.mode = InsertionMode::kSgai;
  for (double segment_s : {2.0, 1.92}) {
    for (double cue_s = 10.0; cue_s < 10.0 + 2 * segment_s; cue_s += 0.13) {
      for (double duration_s : {4.0, 5.3, 6.0}) {
        const origin::SyntheticStreamSpec spec = Spec(segment_s, 12, {});
        const hls::MediaPlaylist o = OriginAt(spec, 0, 30);  // whole break in the window
        SpliceBreak b = Break("b", cue_s, duration_s, 8, segment_s);
        b.asset_uri = "https://ads.example/b.m3u8";
        const std::string where = "segment " + std::to_string(segment_s) + " s, cue " +
                                  std::to_string(cue_s) + " s, duration " + std::to_string(duration_s);
        Result<SpliceResult> ssai = Splice(o, std::vector<SpliceBreak>{b}, Ssai(segment_s));
        ASSERT_TRUE(ssai.ok()) << where;
        std::optional<UnixMicros> first_ad, first_back;
        const auto& segs = ssai->playlist.segments();
        for (size_t i = 0; i < segs.size(); ++i) {
          const bool ad = segs[i].uri().rfind("ad/", 0) == 0 || segs[i].uri() == "slate.ts";
          if (ad && !first_ad) first_ad = ssai->playlist.SegmentStartTime(i);
          if (!ad && first_ad && !first_back) first_back = ssai->playlist.SegmentStartTime(i);
        }
        ASSERT_TRUE(first_ad && first_back) << where;
        Result<SpliceResult> out = Splice(o, std::vector<SpliceBreak>{b}, sgai);
        ASSERT_TRUE(out.ok()) << where;
        const hls::Tag* dr = nullptr;
        for (const hls::MediaSegment& seg : out->playlist.segments()) {
          for (const hls::Tag& tag : seg.tags()) {
            if (tag.type == hls::TagType::kDateRange) dr = &tag;
          }
        }
        ASSERT_NE(dr, nullptr) << where;
        Result<hls::AttributeList> parsed = hls::AttributeList::Parse(dr->value);
        ASSERT_TRUE(parsed.ok()) << where;
        const hls::AttributeList& attrs = *parsed;
        const std::optional<UnixMicros> start = attrs.GetDate("START-DATE");
        const std::optional<double> dur_s = attrs.GetFloat("DURATION");
        ASSERT_TRUE(start && dur_s) << where;
        EXPECT_EQ(*start, *first_ad) << where;
        EXPECT_EQ(*start + SecondsToMicros(*dur_s), *first_back) << where;
        EXPECT_EQ(attrs.GetFloat("X-PLAYOUT-LIMIT"), dur_s) << where;
        EXPECT_EQ(attrs.GetFloat("X-RESUME-OFFSET"), dur_s) << where;
        // Within one segment of the cue, never more than the tolerance before it.
        EXPECT_GE(*start, b.start_time - kSpliceToleranceUs) << where;
        EXPECT_LT(*start, b.start_time + SecondsToMicros(segment_s)) << where;
      }
    }
  }
}

// A break that contains no slot start (shorter than a segment, inside one) is spliced by neither
// mode: SSAI replaces no slot, so SGAI announces no interstitial.
TEST(SgaiTest, BreakWithinOneSegmentIsNotAnnounced) {
  const origin::SyntheticStreamSpec spec = Spec(2, 4, {});
  const hls::MediaPlaylist o = OriginAt(spec, 0, 20);
  SpliceOptions sgai;
  sgai.mode = InsertionMode::kSgai;
  SpliceBreak b = Break("short", 14.5, 1, 0, 0);
  b.asset_uri = "https://ads.example/s.m3u8";
  EXPECT_EQ(SpliceText(o, {b}, sgai), hls::Serialize(o));
  EXPECT_EQ(SpliceText(o, {Break("short", 14.5, 1, 1, 2)}, Ssai(2)), hls::Serialize(o));
}

TEST(SgaiTest, AssetListAndErrors) {
  const origin::SyntheticStreamSpec spec = Spec(2, 4, {});
  const hls::MediaPlaylist o = OriginAt(spec, 0, 20);
  SpliceOptions opts;
  opts.mode = InsertionMode::kSgai;
  SpliceBreak b = Break("x", 14, 4, 0, 0);
  b.asset_list_uri = "https://ads.example/list.json";
  EXPECT_THAT(SpliceText(o, {b}, opts), HasSubstr("X-ASSET-LIST=\"https://ads.example/list.json\""));
  b.asset_uri = "https://ads.example/a.m3u8";
  EXPECT_EQ(Splice(o, std::vector<SpliceBreak>{b}, opts).status().code(), StatusCode::kInvalidArgument);
  b.asset_list_uri.clear();
  b.event_id = "bad\"id";
  EXPECT_EQ(Splice(o, std::vector<SpliceBreak>{b}, opts).status().code(), StatusCode::kInvalidArgument);
}

// ---- Errors and odd input ---------------------------------------------------------------------------

TEST(SplicerTest, Errors) {
  const origin::SyntheticStreamSpec spec = Spec(2, 4, {});
  const hls::MediaPlaylist o = OriginAt(spec, 0, 20);
  auto code = [&](std::vector<SpliceBreak> breaks, SpliceOptions opts = Ssai(2)) {
    return Splice(o, breaks, opts).status();
  };
  EXPECT_THAT(code({Break("a", 14, 4, 1, 2), Break("b", 10, 2, 1, 2)}).message(), HasSubstr("sorted"));
  EXPECT_THAT(code({Break("a", 10, 4, 1, 2), Break("b", 12, 2, 1, 2)}).message(), HasSubstr("overlap"));
  EXPECT_THAT(code({Break("a", 10, 0, 1, 2)}).message(), HasSubstr("end_time"));
  EXPECT_THAT(code({Break("a", 10, 4, 1, -1)}).message(), HasSubstr("duration"));
  EXPECT_THAT(code({Break("a", 10, 8, 1, 2)}, SpliceOptions{}).message(), HasSubstr("slate"));
  SpliceOptions neg = Ssai(2);
  neg.inserted_discontinuities_before = -1;
  EXPECT_FALSE(code({}, neg).ok());
}

TEST(SplicerTest, NoPdt) {
  Result<hls::MediaPlaylist> o = hls::ParseMedia(
      Lines({"#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:2", "#EXTINF:2.000,", "a.ts"}));
  ASSERT_TRUE(o.ok());
  // No breaks: unchanged, plus the ledger.
  SpliceOptions opts = Ssai(2);
  EXPECT_EQ(SpliceText(*o, {}, opts), hls::Serialize(*o));
  opts.inserted_discontinuities_before = 4;
  EXPECT_EQ(SpliceText(*o, {}, opts),
            Lines({"#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:2",
                   "#EXT-X-DISCONTINUITY-SEQUENCE:4", "#EXTINF:2.000,", "a.ts"}));
  // A break cannot be placed.
  Result<SpliceResult> r = Splice(*o, std::vector<SpliceBreak>{Break("a", 0, 4, 1, 2)}, opts);
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);  // the origin's fault: a 502 upstream
  EXPECT_THAT(r.status().message(), HasSubstr("PROGRAM-DATE-TIME"));
}

TEST(SplicerTest, EmptyPlaylist) {
  Result<hls::MediaPlaylist> o =
      hls::ParseMedia(Lines({"#EXTM3U", "#EXT-X-TARGETDURATION:2", "#EXT-X-MEDIA-SEQUENCE:5"}));
  ASSERT_TRUE(o.ok());
  const std::vector<SpliceBreak> breaks = {Break("a", 0, 4, 1, 2)};
  EXPECT_EQ(SpliceText(*o, breaks, Ssai(2)), hls::Serialize(*o));
  SpliceOptions sgai;
  sgai.mode = InsertionMode::kSgai;
  SpliceBreak b = breaks[0];
  b.asset_uri = "https://a.example/x.m3u8";
  EXPECT_EQ(SpliceText(*o, {b}, sgai), hls::Serialize(*o));
  EXPECT_EQ(SpliceText(hls::MediaPlaylist(), {}, Ssai(2)), hls::Serialize(hls::MediaPlaylist()));
}

TEST(SplicerTest, BreaksOutsideTheWindowOnlyCount) {
  const origin::SyntheticStreamSpec spec = Spec(2, 4, {});
  const hls::MediaPlaylist o = OriginAt(spec, 0, 40);  // slots 16..19
  // One break long gone, one in the future.
  const std::vector<SpliceBreak> breaks = {Break("old", 4, 4, 2, 2), Break("new", 100, 4, 2, 2)};
  SpliceResult r;
  const std::string text = SpliceText(o, breaks, Ssai(2), &r);
  EXPECT_THAT(text, HasSubstr("#EXT-X-DISCONTINUITY-SEQUENCE:2\n"));
  EXPECT_EQ(text.find("ad/"), std::string::npos);
  EXPECT_EQ(r.ad_segments, 0);
}

TEST(SplicerTest, InsertionModeName) {
  EXPECT_EQ(InsertionModeName(InsertionMode::kSsai), "ssai");
  EXPECT_EQ(InsertionModeName(InsertionMode::kSgai), "sgai");
}

TEST(PickVariantTest, NearestNotAboveElseLowest) {
  const std::vector<int64_t> bitrates = {2'500'000, 800'000, 5'000'000, 1'200'000};
  EXPECT_EQ(PickVariant(bitrates, 3'000'000), 0);
  EXPECT_EQ(PickVariant(bitrates, 2'500'000), 0);  // equal is not above
  EXPECT_EQ(PickVariant(bitrates, 1'199'999), 1);
  EXPECT_EQ(PickVariant(bitrates, 9'000'000), 2);
  EXPECT_EQ(PickVariant(bitrates, 500'000), 1);  // none fits: the lowest
  EXPECT_EQ(PickVariant({}, 1'000'000), -1);
  const std::vector<int64_t> one = {4'000'000};
  EXPECT_EQ(PickVariant(one, 1), 0);
}


// ---- Pods of creatives: own durations, own timelines -------------------------------------------

PodCreative Creative(std::string id, double duration_s, double segment_s, std::string prefix) {
  PodCreative c;
  c.id = std::move(id);
  c.duration_s = duration_s;
  c.segment_duration_s = segment_s;
  const int n = static_cast<int>(std::ceil(duration_s / segment_s - 1e-9));
  for (int i = 0; i < n; ++i) c.segment_uris.push_back(prefix + "/" + std::to_string(i) + ".ts");
  return c;
}

SpliceBreak PodBreak(std::string id, double start_s, double duration_s, std::vector<PodCreative> creatives) {
  SpliceBreak b;
  b.event_id = std::move(id);
  b.start_time = At(start_s);
  b.end_time = At(start_s + duration_s);
  b.creatives = std::move(creatives);
  return b;
}

TEST(LayOutPodTest, CreativesAtTheirOwnSegmentDurationThenSlate) {
  const std::vector<PodTiming> pod = {{7.5, 2}, {7.5, 2}};
  const std::vector<PodLayoutSegment> l = LayOutPod(pod, 20 * kMicrosPerSecond, 2 * kMicrosPerSecond);
  std::vector<std::string> got;
  for (const PodLayoutSegment& s : l) {
    got.push_back(std::to_string(s.creative) + ":" + std::to_string(s.index) + "@" +
                  FormatDouble(MicrosToSeconds(s.offset_us)) + "+" +
                  FormatDouble(MicrosToSeconds(s.duration_us)) + (s.discontinuity ? " D" : ""));
  }
  EXPECT_THAT(got, ::testing::ElementsAre("0:0@0+2 D", "0:1@2+2", "0:2@4+2", "0:3@6+1.5",
                                          "1:0@7.5+2 D", "1:1@9.5+2", "1:2@11.5+2", "1:3@13.5+1.5",
                                          "-1:0@15+2 D", "-1:1@17+2", "-1:2@19+1"));
  const BreakNumbering n = PodBreakNumbering(pod, 20 * kMicrosPerSecond, 2 * kMicrosPerSecond,
                                             2 * kMicrosPerSecond);
  EXPECT_EQ(n.discontinuities, 4);        // A, B, slate, return
  EXPECT_EQ(n.media_sequence_delta, 1);  // 11 segments for 10 slots
}

TEST(LayOutPodTest, TruncatedAtTheBreakEnd) {
  const std::vector<PodTiming> pod = {{15, 2}, {30, 2}, {7.5, 2}};
  const std::vector<PodLayoutSegment> l = LayOutPod(pod, 40 * kMicrosPerSecond, 2 * kMicrosPerSecond);
  ASSERT_EQ(l.size(), 8u + 13u);
  EXPECT_EQ(l.back().creative, 1);
  EXPECT_EQ(l.back().duration_us, 1 * kMicrosPerSecond);
  EXPECT_TRUE(l.back().cut);
  EXPECT_EQ(l.back().offset_us + l.back().duration_us, 40 * kMicrosPerSecond);
  const BreakNumbering n = PodBreakNumbering(pod, 40 * kMicrosPerSecond, 2 * kMicrosPerSecond,
                                             2 * kMicrosPerSecond);
  EXPECT_EQ(n.discontinuities, 3);  // two creatives played, the third dropped, the return
  EXPECT_EQ(n.media_sequence_delta, 1);
  // An exactly filled break has no slate piece.
  const std::vector<PodTiming> exact = {{6, 2}};
  EXPECT_EQ(PodBreakNumbering(exact, 6 * kMicrosPerSecond, 2 * kMicrosPerSecond, 2 * kMicrosPerSecond).discontinuities, 2);
}

TEST(LayOutPodTest, SpanOnGrid) {
  const UnixMicros g = At(0);
  EXPECT_EQ(SpanOnGrid(At(10), At(30), g, 2 * kMicrosPerSecond), 20 * kMicrosPerSecond);
  EXPECT_EQ(SpanOnGrid(At(9.1), At(30.5), g, 2 * kMicrosPerSecond), 22 * kMicrosPerSecond);
  EXPECT_EQ(SpanOnGrid(At(10.2), At(30.2), At(100), 2 * kMicrosPerSecond), 20 * kMicrosPerSecond);
}

class PodTest : public ::testing::Test {
 protected:
  // Break [10 s, 30 s): slots 5..14, return slot 15. Creatives of 7.5 s cut at 2 s.
  origin::SyntheticStreamSpec spec_ = Spec(2, 4, {{At(10), 20, 1}});
  std::vector<SpliceBreak> breaks_ = {
      PodBreak("p1", 10, 20, {Creative("A", 7.5, 2, "a"), Creative("B", 7.5, 2, "b")})};
  SpliceOptions options_ = Ssai(2);
};

TEST_F(PodTest, EachCreativeItsOwnTimeline) {
  // Window [12 s, 20 s): A's first segment has slid out with its DISCONTINUITY; A's 1.5 s tail,
  // then B after a DISCONTINUITY. MEDIA-SEQUENCE: splice slot 5 + layout index 1.
  EXPECT_EQ(SpliceText(OriginAt(spec_, 0, 20), breaks_, options_),
            Lines({"#EXTM3U",
                   "#EXT-X-VERSION:3",
                   "#EXT-X-TARGETDURATION:2",
                   "#EXT-X-MEDIA-SEQUENCE:6",
                   "#EXT-X-DISCONTINUITY-SEQUENCE:1",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:12.000Z",
                   "#EXTINF:2.000,",
                   "a/1.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:14.000Z",
                   "#EXTINF:2.000,",
                   "a/2.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:16.000Z",
                   "#EXTINF:1.500,",
                   "a/3.ts",
                   "#EXT-X-DISCONTINUITY",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:17.500Z",
                   "#EXTINF:2.000,",
                   "b/0.ts"}));
}

TEST_F(PodTest, SlateFillsToTheReturnAndTheSequenceShifts) {
  // 11 pod segments for 10 slots: content after the break is numbered origin + 1.
  SpliceResult r;
  EXPECT_EQ(SpliceText(OriginAt(spec_, 0, 34), breaks_, options_, &r),
            Lines({"#EXTM3U",
                   "#EXT-X-VERSION:3",
                   "#EXT-X-TARGETDURATION:2",
                   "#EXT-X-MEDIA-SEQUENCE:13",
                   "#EXT-X-DISCONTINUITY-SEQUENCE:2",
                   "#EXT-X-DISCONTINUITY",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:25.000Z",
                   "#EXTINF:2.000,",
                   "slate.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:27.000Z",
                   "#EXTINF:2.000,",
                   "slate.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:29.000Z",
                   "#EXTINF:1.000,",
                   "slate.ts",
                   "#EXT-X-DISCONTINUITY",
                   "#EXT-X-CUE-IN",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:30.000Z",
                   "#EXTINF:2.000,",
                   "seg_v1_15.ts",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:32.000Z",
                   "#EXTINF:2.000,",
                   "seg_v1_16.ts"}));
  EXPECT_EQ(r.slate_segments, 3);
  // All gone: A, B, slate and the return slid out; the ledger shift stays.
  const std::string after = SpliceText(OriginAt(spec_, 0, 40), breaks_, options_);
  EXPECT_THAT(after, HasSubstr("#EXT-X-MEDIA-SEQUENCE:17\n#EXT-X-DISCONTINUITY-SEQUENCE:4\n"));
  // Once the break has left `breaks`, the coordinator's ledgers carry it.
  SpliceOptions ledger = options_;
  ledger.inserted_discontinuities_before = 4;
  ledger.media_sequence_offset_before = 1;
  EXPECT_EQ(SpliceText(OriginAt(spec_, 0, 40), {}, ledger), after);
}

// A pod of 7.5 s creatives in 2 s segments moves the segment grid (each creative ends in a 1.5 s
// segment): a slot's CUE-OUT-CONT carried onto the ad segment playing at the slot's start has its
// ElapsedTime moved to that segment's own start, so it stays the time since the CUE-OUT
// (hls.cue.cont_elapsed_increasing; the simulator's seed-phase1 run with 15 s ads on a 6 s grid
// failed it on every build).
TEST_F(PodTest, CueOutContElapsedTimeFollowsTheAdSegments) {
  origin::SyntheticStreamSpec spec = spec_;
  spec.repeat_cue = true;  // CUE-OUT-CONT on every slot of the break after the first
  ExpectLintCleanWalk(spec, breaks_, options_, 8, 50, 0.5);
  // Window [12 s, 20 s): a/1 @ 12 s (slot 6, 2 s in), a/2 @ 14 s, a/3 @ 16 s, b/0 @ 17.5 s (slot
  // 9 starts at 18 s: its 8 s are 7.5 s on b/0).
  const std::string text = SpliceText(OriginAt(spec, 0, 20), breaks_, options_);
  EXPECT_THAT(text, HasSubstr("#EXT-X-CUE-OUT-CONT:ElapsedTime=2.000,Duration=20"));
  EXPECT_THAT(text, HasSubstr("#EXT-X-CUE-OUT-CONT:ElapsedTime=6.000,Duration=20"));
  EXPECT_THAT(text, HasSubstr("#EXT-X-CUE-OUT-CONT:ElapsedTime=7.500,Duration=20"));
  EXPECT_THAT(text, Not(HasSubstr("ElapsedTime=8.000")));
}

TEST_F(PodTest, ReloadsLintCleanSequencesNeverGoBackRenditionsAgree) {
  ExpectLintCleanWalk(spec_, breaks_, options_, 8, 50, 0.5);
  int64_t last_msn = 0, last_dsn = 0;
  for (double now = 8; now <= 50; now += 0.5) {
    const std::string v1 = SpliceText(OriginAt(spec_, 0, now), breaks_, options_);
    std::vector<SpliceBreak> b2 = breaks_;
    for (PodCreative& c : b2[0].creatives) {
      for (std::string& u : c.segment_uris) u = "hi/" + u;
    }
    Result<SpliceResult> r2 = Splice(OriginAt(spec_, 1, now), b2, options_);
    ASSERT_TRUE(r2.ok());
    Result<SpliceResult> r1 = Splice(OriginAt(spec_, 0, now), breaks_, options_);
    ASSERT_TRUE(r1.ok());
    EXPECT_EQ(r1->playlist.media_sequence(), r2->playlist.media_sequence()) << now;
    EXPECT_EQ(r1->playlist.discontinuity_sequence(), r2->playlist.discontinuity_sequence()) << now;
    ASSERT_EQ(r1->playlist.segments().size(), r2->playlist.segments().size()) << now;
    for (size_t i = 0; i < r1->playlist.segments().size(); ++i) {
      EXPECT_EQ(r1->playlist.segments()[i].discontinuity(), r2->playlist.segments()[i].discontinuity());
      EXPECT_EQ(r1->playlist.segments()[i].duration_s(), r2->playlist.segments()[i].duration_s());
    }
    EXPECT_GE(r1->playlist.media_sequence(), last_msn) << now << "\n" << v1;
    EXPECT_GE(r1->playlist.discontinuity_sequence(), last_dsn) << now << "\n" << v1;
    last_msn = r1->playlist.media_sequence();
    last_dsn = r1->playlist.discontinuity_sequence();
  }
}

TEST(PodSplicerTest, PodLongerThanTheBreakIsTruncated) {
  // Break [10, 24): 14 s; creatives 9 s and 7.5 s: B is cut 5 s in, mid-segment (1 s of its
  // third 2 s segment plays), and no slate.
  const origin::SyntheticStreamSpec spec = Spec(2, 4, {{At(10), 14, 1}});
  const std::vector<SpliceBreak> breaks = {
      PodBreak("p", 10, 14, {Creative("A", 9, 2, "a"), Creative("B", 7.5, 2, "b")})};
  SpliceResult r;
  const std::string text = SpliceText(OriginAt(spec, 0, 26), breaks, Ssai(2), &r);
  EXPECT_THAT(text, HasSubstr("#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:19.000Z\n"
                              "#EXTINF:2.000,\nb/0.ts\n#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:21.000Z\n"
                              "#EXTINF:2.000,\nb/1.ts\n#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:23.000Z\n"
                              "#EXTINF:1.000,\nb/2.ts\n#EXT-X-DISCONTINUITY\n#EXT-X-CUE-IN\n"));
  EXPECT_EQ(text.find("slate"), std::string::npos);
  EXPECT_EQ(r.truncated_creatives, 1);
  ExpectLintCleanWalk(spec, breaks, Ssai(2), 8, 40, 1);
}

TEST(PodSplicerTest, MissingCreativeSegmentPlaysSlateAndErrors) {
  const origin::SyntheticStreamSpec spec = Spec(2, 4, {{At(10), 8, 1}});
  PodCreative short_one = Creative("A", 6, 2, "a");
  short_one.segment_uris.pop_back();
  SpliceResult r;
  const std::string text =
      SpliceText(OriginAt(spec, 0, 18), {PodBreak("p", 10, 8, {short_one})}, Ssai(2), &r);
  EXPECT_THAT(r.warnings, ::testing::Contains(HasSubstr("creative 'A' has 2 segments")));
  EXPECT_THAT(text, HasSubstr("a/1.ts\n#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:14.000Z\n#EXTINF:2.000,\nslate.ts"));
  PodCreative bad = Creative("A", 6, 2, "a");
  bad.segment_duration_s = 0;
  const std::vector<SpliceBreak> bad_breaks = {PodBreak("p", 10, 8, {bad})};
  EXPECT_FALSE(Splice(OriginAt(spec, 0, 18), bad_breaks, Ssai(2)).ok());
  const std::vector<SpliceBreak> short_pod = {PodBreak("p", 10, 8, {Creative("A", 4, 2, "a")})};
  EXPECT_FALSE(Splice(OriginAt(spec, 0, 18), short_pod, SpliceOptions()).ok());  // no slate
}


// ---- CMAF and encrypted streams: EXT-X-MAP / EXT-X-KEY transitions (RFC 8216 §4.3.2.4-5) ---------

// How real packagers write a live fMP4 window; each varies tag order, quoting and the version line.
enum class Packager {
  kShaka,   // VERSION first, "##" comment, MAP then two SAMPLE-AES KEYs (KEYFORMAT), PDT each segment
  kBento4,  // TARGETDURATION before VERSION, AES-128 KEY (IV, unquoted hex) then MAP with BYTERANGE,
            // PDT on the first segment only, EXTINF with 6 decimals
  kElemental,  // PDT before KEY before MAP, KEYFORMAT="identity" with KEYFORMATVERSIONS
};

// The origin's window [first, first + count) of 2 s segments starting at T0 (slot n at 2n s). The
// content key rotates at slot `rotate_at` (-1: never), declared there as packagers do.
std::string CmafWindow(Packager pk, int first, int count, int rotate_at = -1) {
  auto key = [&](int slot) {
    const bool rotated = rotate_at >= 0 && slot >= rotate_at;
    const std::string k = rotated ? "k2" : "k1";
    switch (pk) {
      case Packager::kShaka:
        return std::vector<std::string>{
            "#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"data:text/plain;base64,AAAA" + k +
                "\",KEYFORMAT=\"urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed\",KEYFORMATVERSIONS=\"1\"",
            "#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"skd://" + k +
                "\",KEYFORMAT=\"com.apple.streamingkeydelivery\",KEYFORMATVERSIONS=\"1\""};
      case Packager::kBento4:
        return std::vector<std::string>{"#EXT-X-KEY:METHOD=AES-128,URI=\"https://keys.example/" + k +
                                        "\",IV=0x0000000000000000000000000000000" +
                                        std::string(rotated ? "2" : "1")};
      case Packager::kElemental:
        return std::vector<std::string>{"#EXT-X-KEY:METHOD=AES-128,URI=\"keys/" + k +
                                        ".key\",KEYFORMAT=\"identity\",KEYFORMATVERSIONS=\"1\""};
    }
    return std::vector<std::string>{};
  };
  std::string map = pk == Packager::kBento4 ? "#EXT-X-MAP:URI=\"media.mp4\",BYTERANGE=\"720@0\""
                                            : "#EXT-X-MAP:URI=\"init.mp4\"";
  std::vector<std::string> l;
  switch (pk) {
    case Packager::kShaka:
      l = {"#EXTM3U", "#EXT-X-VERSION:6",
           "## Generated with https://github.com/shaka-project/shaka-packager version v3.2.0",
           "#EXT-X-TARGETDURATION:2", "#EXT-X-MEDIA-SEQUENCE:" + std::to_string(first)};
      break;
    case Packager::kBento4:
      l = {"#EXTM3U", "#EXT-X-TARGETDURATION:2", "#EXT-X-VERSION:6",
           "#EXT-X-MEDIA-SEQUENCE:" + std::to_string(first), "#EXT-X-INDEPENDENT-SEGMENTS"};
      break;
    case Packager::kElemental:
      l = {"#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-TARGETDURATION:2",
           "#EXT-X-MEDIA-SEQUENCE:" + std::to_string(first)};
      break;
  }
  for (int n = first; n < first + count; ++n) {
    std::string pdt;
    AppendIso8601Millis(At(2.0 * n), &pdt);
    pdt = "#EXT-X-PROGRAM-DATE-TIME:" + pdt;
    const bool head = n == first;
    const bool rotate = n == rotate_at && !head;
    std::vector<std::string> k = (head || rotate) ? key(n) : std::vector<std::string>{};
    switch (pk) {
      case Packager::kShaka:
        if (head) l.push_back(map);
        l.insert(l.end(), k.begin(), k.end());
        l.push_back(pdt);
        l.push_back("#EXTINF:2.000,");
        l.push_back("seg_" + std::to_string(n) + ".m4s");
        break;
      case Packager::kBento4:
        l.insert(l.end(), k.begin(), k.end());
        if (head) l.push_back(map);
        if (head) l.push_back(pdt);
        l.push_back("#EXTINF:2.000000,");
        l.push_back("seg-" + std::to_string(n) + ".m4s");
        break;
      case Packager::kElemental:
        l.push_back(pdt);
        l.insert(l.end(), k.begin(), k.end());
        if (head) l.push_back(map);
        l.push_back("#EXTINF:2,");
        l.push_back("index_" + std::to_string(n) + ".mp4");
        break;
    }
  }
  std::string out;
  for (const std::string& x : l) out += x + "\n";
  return out;
}

hls::MediaPlaylist ParseOrDie(const std::string& text) {
  Result<hls::MediaPlaylist> p = hls::ParseMedia(text);
  EXPECT_TRUE(p.ok()) << p.status().ToString() << "\n" << text;
  return p.ok() ? std::move(p).value() : hls::MediaPlaylist();
}

AdMedia Fmp4Ad(std::string init) {
  AdMedia m;
  m.map = "URI=\"" + init + "\"";
  return m;
}

// Break [10 s, 16 s): slots 5, 6, 7 (fMP4 ads a0, a1, then fMP4 slate), return slot 8.
SpliceBreak CmafBreak() {
  SpliceBreak b = Break("b1", 10, 6, 2, 2);
  for (size_t i = 0; i < b.ad_segments.size(); ++i) {
    b.ad_segments[i].uri = "https://ads.example/ad1/a" + std::to_string(i) + ".m4s";
    b.ad_segments[i].media = Fmp4Ad("https://ads.example/ad1/init.mp4");
  }
  return b;
}

SpliceOptions CmafSsai() {
  SpliceOptions o = Ssai(2);
  o.slate = {"https://ads.example/slate/s.m4s", 2, Fmp4Ad("https://ads.example/slate/init.mp4")};
  return o;
}

TEST(CmafSplicerTest, ShakaBreakDeclaresAdInitAndClearKeyThenRestoresContent) {
  // Window slots 3..9: content, ads (5, 6), slate (7), content back (8, 9).
  SpliceResult r;
  EXPECT_EQ(SpliceText(ParseOrDie(CmafWindow(Packager::kShaka, 3, 7)), {CmafBreak()}, CmafSsai(), &r),
            Lines({"#EXTM3U",
                   "#EXT-X-VERSION:6",
                   "## Generated with https://github.com/shaka-project/shaka-packager version v3.2.0",
                   "#EXT-X-TARGETDURATION:2",
                   "#EXT-X-MEDIA-SEQUENCE:3",
                   "#EXT-X-DISCONTINUITY-SEQUENCE:0",
                   "#EXT-X-MAP:URI=\"init.mp4\"",
                   "#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"data:text/plain;base64,AAAAk1\",KEYFORMAT=\"urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed\",KEYFORMATVERSIONS=\"1\"",
                   "#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"skd://k1\",KEYFORMAT=\"com.apple.streamingkeydelivery\",KEYFORMATVERSIONS=\"1\"",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:06.000Z",
                   "#EXTINF:2.000,",
                   "seg_3.m4s",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:08.000Z",
                   "#EXTINF:2.000,",
                   "seg_4.m4s",
                   "#EXT-X-DISCONTINUITY",
                   "#EXT-X-KEY:METHOD=NONE",
                   "#EXT-X-MAP:URI=\"https://ads.example/ad1/init.mp4\"",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:10.000Z",
                   "#EXTINF:2.000,",
                   "https://ads.example/ad1/a0.m4s",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:12.000Z",
                   "#EXTINF:2.000,",
                   "https://ads.example/ad1/a1.m4s",
                   "#EXT-X-MAP:URI=\"https://ads.example/slate/init.mp4\"",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:14.000Z",
                   "#EXTINF:2.000,",
                   "https://ads.example/slate/s.m4s",
                   "#EXT-X-DISCONTINUITY",
                   "#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"data:text/plain;base64,AAAAk1\",KEYFORMAT=\"urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed\",KEYFORMATVERSIONS=\"1\"",
                   "#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"skd://k1\",KEYFORMAT=\"com.apple.streamingkeydelivery\",KEYFORMATVERSIONS=\"1\"",
                   "#EXT-X-MAP:URI=\"init.mp4\"",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:16.000Z",
                   "#EXTINF:2.000,",
                   "seg_8.m4s",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:18.000Z",
                   "#EXTINF:2.000,",
                   "seg_9.m4s"}));
  EXPECT_THAT(r.warnings, IsEmpty());
  EXPECT_THAT(Errors(hls::LintMedia(r.playlist)), IsEmpty());
}

TEST(CmafSplicerTest, WindowStartingMidBreakDeclaresTheAdInitFirst) {
  // Window slots 6..9: the origin's first segment (slot 6, with the content MAP and KEY) is an ad
  // slot; the content's tags must not stay on it, and come back at slot 8.
  EXPECT_EQ(SpliceText(ParseOrDie(CmafWindow(Packager::kBento4, 6, 4)), {CmafBreak()}, CmafSsai()),
            Lines({"#EXTM3U",
                   "#EXT-X-TARGETDURATION:2",
                   "#EXT-X-VERSION:6",
                   "#EXT-X-MEDIA-SEQUENCE:6",
                   "#EXT-X-DISCONTINUITY-SEQUENCE:1",
                   "#EXT-X-INDEPENDENT-SEGMENTS",
                   "#EXT-X-MAP:URI=\"https://ads.example/ad1/init.mp4\"",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:12.000Z",
                   "#EXTINF:2.000,",
                   "https://ads.example/ad1/a1.m4s",
                   "#EXT-X-MAP:URI=\"https://ads.example/slate/init.mp4\"",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:14.000Z",
                   "#EXTINF:2.000,",
                   "https://ads.example/slate/s.m4s",
                   "#EXT-X-DISCONTINUITY",
                   "#EXT-X-KEY:METHOD=AES-128,URI=\"https://keys.example/k1\",IV=0x00000000000000000000000000000001",
                   "#EXT-X-MAP:URI=\"media.mp4\",BYTERANGE=\"720@0\"",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:16.000Z",
                   "#EXTINF:2.000000,",
                   "seg-8.m4s",
                   "#EXTINF:2.000000,",
                   "seg-9.m4s"}));
}

TEST(CmafSplicerTest, WindowStartingOnTheReturnKeepsTheOriginsDeclarations) {
  // Slot 8 is the return and the origin's first segment: it carries the content's tags already.
  const std::string text =
      SpliceText(ParseOrDie(CmafWindow(Packager::kElemental, 8, 3)), {CmafBreak()}, CmafSsai());
  EXPECT_EQ(text, Lines({"#EXTM3U",
                         "#EXT-X-VERSION:6",
                         "#EXT-X-TARGETDURATION:2",
                         "#EXT-X-MEDIA-SEQUENCE:8",
                         "#EXT-X-DISCONTINUITY-SEQUENCE:1",
                         "#EXT-X-DISCONTINUITY",
                         "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:16.000Z",
                         "#EXT-X-KEY:METHOD=AES-128,URI=\"keys/k1.key\",KEYFORMAT=\"identity\",KEYFORMATVERSIONS=\"1\"",
                         "#EXT-X-MAP:URI=\"init.mp4\"",
                         "#EXTINF:2,",
                         "index_8.mp4",
                         "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:18.000Z",
                         "#EXTINF:2,",
                         "index_9.mp4",
                         "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:20.000Z",
                         "#EXTINF:2,",
                         "index_10.mp4"}));
}

TEST(CmafSplicerTest, KeyRotatedDuringTheBreakIsTheOneRestored) {
  // The content key rotates at slot 6, an ad slot: the return declares k2, not k1.
  SpliceResult r;
  const std::string text =
      SpliceText(ParseOrDie(CmafWindow(Packager::kElemental, 4, 6, /*rotate_at=*/6)), {CmafBreak()},
                 CmafSsai(), &r);
  EXPECT_THAT(text, HasSubstr("#EXT-X-DISCONTINUITY\n#EXT-X-KEY:METHOD=AES-128,URI=\"keys/k2.key\","
                              "KEYFORMAT=\"identity\",KEYFORMATVERSIONS=\"1\"\n#EXT-X-MAP:URI=\"init.mp4\"\n"
                              "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:16.000Z\n"));
  EXPECT_EQ(text.find("k1.key"), text.rfind("k1.key"));  // k1 only at the top
  EXPECT_THAT(Errors(hls::LintMedia(r.playlist)), IsEmpty());
}

TEST(CmafSplicerTest, EncryptedAdDeclaresItsOwnKey) {
  SpliceBreak b = CmafBreak();
  for (AdSegment& a : b.ad_segments) {
    a.media.keys = {"METHOD=AES-128,URI=\"https://ads.example/ad1/key\",IV=0x01"};
  }
  const std::string text = SpliceText(ParseOrDie(CmafWindow(Packager::kBento4, 3, 5)), {b}, CmafSsai());
  // The ad's key replaces the content's (same KEYFORMAT: no NONE needed); the clear slate after
  // it gets NONE.
  EXPECT_THAT(text, HasSubstr("#EXT-X-DISCONTINUITY\n#EXT-X-KEY:METHOD=AES-128,URI=\"https://ads.example/ad1/key\",IV=0x01\n"
                              "#EXT-X-MAP:URI=\"https://ads.example/ad1/init.mp4\"\n"));
  EXPECT_THAT(text, HasSubstr("#EXT-X-KEY:METHOD=NONE\n#EXT-X-MAP:URI=\"https://ads.example/slate/init.mp4\"\n"));
}

TEST(CmafSplicerTest, PodCreativesEachDeclareTheirInit) {
  PodCreative a = Creative("A", 4, 2, "https://ads.example/a");
  PodCreative b2 = Creative("B", 4, 2, "https://ads.example/b");
  a.media = Fmp4Ad("https://ads.example/a/init.mp4");
  b2.media = Fmp4Ad("https://ads.example/b/init.mp4");
  const std::vector<SpliceBreak> breaks = {PodBreak("p", 10, 8, {a, b2})};
  SpliceResult r;
  const std::string text =
      SpliceText(ParseOrDie(CmafWindow(Packager::kShaka, 4, 6)), breaks, CmafSsai(), &r);
  EXPECT_THAT(text, HasSubstr("#EXT-X-DISCONTINUITY\n#EXT-X-KEY:METHOD=NONE\n"
                              "#EXT-X-MAP:URI=\"https://ads.example/a/init.mp4\"\n"
                              "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:10.000Z\n#EXTINF:2.000,\n"
                              "https://ads.example/a/0.ts\n"));
  EXPECT_THAT(text, HasSubstr("#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"https://ads.example/b/init.mp4\"\n"
                              "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:14.000Z\n"));
  EXPECT_THAT(text, HasSubstr("#EXT-X-DISCONTINUITY\n#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"data:text/plain;base64,AAAAk1\""));
  EXPECT_THAT(text, HasSubstr("\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:18.000Z\n"));
  EXPECT_THAT(Errors(hls::LintMedia(r.playlist)), IsEmpty());
}

TEST(CmafSplicerTest, TsAdInFmp4ContentGetsNoContentMapAndAWarning) {
  // The minimum when an ad has no fMP4 rendition: the content's MAP is not repeated on it (a
  // MAP cannot be switched off, so the splicer says so), its KEY is ended.
  SpliceResult r;
  const std::string text = SpliceText(ParseOrDie(CmafWindow(Packager::kElemental, 4, 5)),
                                      {Break("b1", 10, 6, 3, 2)}, Ssai(2), &r);
  EXPECT_THAT(text, HasSubstr("#EXT-X-DISCONTINUITY\n#EXT-X-KEY:METHOD=NONE\n"
                              "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:10.000Z\n#EXTINF:2.000,\nad/a0.ts\n"));
  // The content's MAP: at the top and again on the return.
  EXPECT_THAT(text, HasSubstr("#EXT-X-DISCONTINUITY\n#EXT-X-KEY:METHOD=AES-128,URI=\"keys/k1.key\",KEYFORMAT="
                              "\"identity\",KEYFORMATVERSIONS=\"1\"\n#EXT-X-MAP:URI=\"init.mp4\"\n"
                              "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:16.000Z\n"));
  size_t maps = 0;
  for (size_t at = text.find("#EXT-X-MAP"); at != std::string::npos; at = text.find("#EXT-X-MAP", at + 1)) ++maps;
  EXPECT_EQ(maps, 2u);
  EXPECT_THAT(r.warnings, ::testing::Contains(HasSubstr("no init segment (MPEG-TS) after fMP4 content")));
}

TEST(CmafSplicerTest, Fmp4AdInClearTsContentRaisesTheVersionTo6) {
  const origin::SyntheticStreamSpec spec = Spec(2, 6, {{At(10), 4, 1}});
  SpliceBreak b = Break("b1", 10, 4, 2, 2);
  for (AdSegment& a : b.ad_segments) a.media = Fmp4Ad("https://ads.example/init.mp4");
  SpliceResult r;
  const std::string text = SpliceText(OriginAt(spec, 0, 20), {b}, Ssai(2), &r);
  EXPECT_THAT(text, HasSubstr("#EXT-X-VERSION:6\n"));  // RFC 8216 §7: MAP needs 6
  EXPECT_THAT(r.warnings, ::testing::Contains(HasSubstr("the ad's EXT-X-MAP stays in force")));
  // Before the break, nothing changes: TS content keeps version 3 and no MAP.
  const std::string before = SpliceText(OriginAt(spec, 0, 8), {b}, Ssai(2));
  EXPECT_THAT(before, HasSubstr("#EXT-X-VERSION:3\n"));
}

TEST(CmafSplicerTest, EveryWindowOfEveryPackagerLintsCleanAndDeclaresWhatIsInForce) {
  // Slide a 5-slot window over the break (slots 0..20) for each packager shape and check, on every
  // segment, that the MAP/KEY in force is the ad's for ad segments and the content's otherwise.
  for (Packager pk : {Packager::kShaka, Packager::kBento4, Packager::kElemental}) {
    hls::ReloadLinter reload;
    for (int first = 0; first <= 16; ++first) {
      SpliceResult r;
      const std::string text =
          SpliceText(ParseOrDie(CmafWindow(pk, first, 5, /*rotate_at=*/12)), {CmafBreak()}, CmafSsai(), &r);
      EXPECT_THAT(Errors(hls::LintMedia(r.playlist)), IsEmpty()) << text;
      EXPECT_THAT(Errors(reload.Observe(r.playlist)), IsEmpty()) << text;
      EXPECT_THAT(r.warnings, IsEmpty()) << text;
      std::string map;
      std::string key;
      for (const hls::MediaSegment& seg : r.playlist.segments()) {
        for (const hls::Tag& t : seg.tags()) {
          if (t.type == hls::TagType::kMap) map = t.value;
          if (t.type == hls::TagType::kKey) key = t.value;  // one KEYFORMAT but for shaka: last wins
        }
        const bool ad = seg.uri().starts_with("https://ads.example/");
        if (ad) {
          EXPECT_THAT(map, HasSubstr("https://ads.example/")) << seg.uri() << "\n" << text;
          EXPECT_TRUE(key.empty() || key == "METHOD=NONE") << seg.uri() << "\n" << text;
        } else {
          EXPECT_THAT(map, ::testing::AnyOf(HasSubstr("init.mp4\""), HasSubstr("media.mp4\""))) << seg.uri() << "\n" << text;
          EXPECT_THAT(key, HasSubstr("METHOD=")) << seg.uri() << "\n" << text;
          EXPECT_NE(key, "METHOD=NONE") << seg.uri() << "\n" << text;
        }
      }
    }
  }
}


TEST(CmafSplicerTest, AdMediaOfReadsTheAdPlaylistsInitAndKeysWithAbsoluteUris) {
  const hls::MediaPlaylist ad = ParseOrDie(Lines({
      "#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-TARGETDURATION:2", "#EXT-X-PLAYLIST-TYPE:VOD",
      "#EXT-X-MAP:URI=\"init.mp4\",BYTERANGE=\"800@0\"", "#EXTINF:2.0,", "a0.m4s",
      "#EXT-X-KEY:METHOD=AES-128,URI=\"../keys/k\",IV=0x01", "#EXTINF:2.0,", "a1.m4s",
      "#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"skd://x\",KEYFORMAT=\"com.apple.streamingkeydelivery\"",
      "#EXTINF:2.0,", "a2.m4s", "#EXT-X-KEY:METHOD=NONE", "#EXTINF:2.0,", "a3.m4s", "#EXT-X-ENDLIST"}));
  const std::vector<AdMedia> m = AdMediaOf(ad, "https://ads.example/c1/720p/index.m3u8");
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].map, "URI=\"https://ads.example/c1/720p/init.mp4\",BYTERANGE=\"800@0\"");
  EXPECT_THAT(m[0].keys, IsEmpty());
  EXPECT_THAT(m[1].keys, ::testing::ElementsAre("METHOD=AES-128,URI=\"https://ads.example/c1/keys/k\",IV=0x01"));
  EXPECT_THAT(m[2].keys, ::testing::ElementsAre("METHOD=AES-128,URI=\"https://ads.example/c1/keys/k\",IV=0x01",
                                                "METHOD=SAMPLE-AES,URI=\"skd://x\",KEYFORMAT=\"com.apple.streamingkeydelivery\""));
  EXPECT_THAT(m[3].keys, IsEmpty());
  EXPECT_EQ(m[3].map, m[0].map);
  // Unquoted or unreadable values are kept as written.
  EXPECT_EQ(ResolveTagUri("URI=init.mp4", "https://a/b.m3u8"), "URI=init.mp4");
  EXPECT_EQ(ResolveTagUri("URI=\"x", "https://a/b.m3u8"), "URI=\"x");
  EXPECT_EQ(ResolveTagUri("METHOD=NONE", "https://a/b.m3u8"), "METHOD=NONE");
}


// Issue 14: demuxed renditions of one break, as packagers write them. A shaka-packager-style
// WebVTT playlist (version line after the comment, no MAP) with blank_ads: every ad segment of the
// pod's layout is the blank WebVTT slate, on the variants' timeline (two creatives: 2 + 2 s, then
// slate), without warnings; a Bento4-style audio playlist (MAP with BYTERANGE, integer EXTINF)
// gets its creatives' audio with their init and the content's init again on return.
TEST(DemuxedSplicerTest, SubtitlesBlankAndAudioPerCreativeOnTheVariantsLayout) {
  std::string vtt = "#EXTM3U\n## Generated with https://github.com/shaka-project/shaka-packager version v3.2.0\n"
                    "#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:3\n";
  std::string aac = "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:3\n"
                    "#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=\"audio/en/init.mp4\",BYTERANGE=\"1040@0\"\n";
  for (int i = 3; i < 9; ++i) {
    const std::string pdt = "#EXT-X-PROGRAM-DATE-TIME:" + FormatIso8601Millis(At(2.0 * i)) + "\n";
    vtt += pdt + "#EXTINF:2.000,\ntext_" + std::to_string(i) + ".vtt\n";
    aac += pdt + "#EXTINF:2,\naudio/en/seg-" + std::to_string(i) + ".m4s\n";
  }
  SpliceBreak b = PodBreak("7", 8, 8, {Creative("c1", 2, 2, "https://ads.example/c1/en"),
                                        Creative("c2", 2, 2, "https://ads.example/c2/en")});
  SpliceOptions sub;
  sub.slate = {"https://ads.example/slate/blank.vtt", 2};
  sub.blank_ads = true;
  SpliceBreak blank = b;
  for (PodCreative& c : blank.creatives) c.segment_uris.clear();
  SpliceResult r;
  EXPECT_EQ(SpliceText(ParseOrDie(vtt), {blank}, sub, &r),
            Lines({"#EXTM3U",
                   "## Generated with https://github.com/shaka-project/shaka-packager version v3.2.0",
                   "#EXT-X-VERSION:6",
                   "#EXT-X-TARGETDURATION:2",
                   "#EXT-X-MEDIA-SEQUENCE:3",
                   "#EXT-X-DISCONTINUITY-SEQUENCE:0",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:06.000Z",
                   "#EXTINF:2.000,",
                   "text_3.vtt",
                   "#EXT-X-DISCONTINUITY",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:08.000Z",
                   "#EXTINF:2.000,",
                   "https://ads.example/slate/blank.vtt",
                   "#EXT-X-DISCONTINUITY",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:10.000Z",
                   "#EXTINF:2.000,",
                   "https://ads.example/slate/blank.vtt",
                   "#EXT-X-DISCONTINUITY",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:12.000Z",
                   "#EXTINF:2.000,",
                   "https://ads.example/slate/blank.vtt",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:14.000Z",
                   "#EXTINF:2.000,",
                   "https://ads.example/slate/blank.vtt",
                   "#EXT-X-DISCONTINUITY",
                   "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:16.000Z",
                   "#EXTINF:2.000,",
                   "text_8.vtt"}));
  EXPECT_THAT(r.warnings, IsEmpty());
  EXPECT_THAT(Errors(hls::LintMedia(r.playlist)), IsEmpty());

  SpliceOptions audio;
  audio.slate = {"https://ads.example/slate/silence.m4s", 2, {"URI=\"https://ads.example/slate/silence_init.mp4\"", {}}};
  for (PodCreative& c : b.creatives) c.media.map = "URI=\"https://ads.example/" + c.id + "/en/init.mp4\"";
  SpliceResult ra;
  const std::string out = SpliceText(ParseOrDie(aac), {b}, audio, &ra);
  EXPECT_THAT(ra.warnings, IsEmpty());
  EXPECT_THAT(Errors(hls::LintMedia(ra.playlist)), IsEmpty());
  // The same numbering and layout as the subtitles (and the variants): only URIs and inits differ.
  ASSERT_EQ(ra.playlist.segments().size(), r.playlist.segments().size());
  for (size_t i = 0; i < r.playlist.segments().size(); ++i) {
    EXPECT_EQ(ra.playlist.segments()[i].discontinuity(), r.playlist.segments()[i].discontinuity()) << i;
    EXPECT_EQ(ra.playlist.SegmentStartTime(i), r.playlist.SegmentStartTime(i)) << i;
  }
  EXPECT_THAT(out, HasSubstr("#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"https://ads.example/c1/en/init.mp4\"\n"
                             "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:08.000Z\n#EXTINF:2.000,\nhttps://ads.example/c1/en/0.ts\n"));
  EXPECT_THAT(out, HasSubstr("#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"audio/en/init.mp4\",BYTERANGE=\"1040@0\"\n"
                             "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:16.000Z\n"));
}

}  // namespace
}  // namespace ssai
