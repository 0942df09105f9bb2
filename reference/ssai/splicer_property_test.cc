// Property test: random synthetic origins (segment duration 1-6 s, window 3-10, every cue
// flavour, random break schedules and pods) spliced at 200 consecutive reloads in 3 renditions.
// Every output must lint clean (LintMedia errors, ReloadLinter anything), renditions must agree
// on everything but URIs, and dropping a finished break into the ledger must not change a byte.
// Seeded and portable (SplitMix64, no std::*_distribution): the same cases on every machine.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "reference/base/splitmix64.h"
#include "reference/media/hls/lint.h"
#include "reference/media/hls/playlist.h"
#include "reference/media/origin/synthetic_origin.h"
#include "reference/ssai/splicer.h"

namespace ssai {
namespace {

class TestRng : public ::ssai::SplitMix64 {
 public:
  using ::ssai::SplitMix64::SplitMix64;
  bool Chance(int percent) { return Range(0, 99) < percent; }
};

constexpr int kSpecs = 24;
constexpr int kReloads = 200;

struct Case {
  origin::SyntheticStreamSpec spec;
  InsertionMode mode = InsertionMode::kSsai;
  std::vector<SpliceBreak> breaks;  // without pods (added per rendition)
  std::vector<int> pod_sizes;
};

Case RandomCase(TestRng& rng) {
  Case c;
  origin::SyntheticStreamSpec& spec = c.spec;
  const int64_t d_ms = rng.Range(1000, 6000);
  spec.segment_duration_s = static_cast<double>(d_ms) / 1000;
  spec.window_segments = static_cast<int>(rng.Range(3, 10));
  spec.start_time = ParseIso8601("2026-01-15T12:00:00Z").value() + rng.Range(0, 86'400'000) * 1000;
  spec.renditions = {{"lo", 800'000, "640x360", "avc1.4d401e,mp4a.40.2"},
                     {"mid", 2'500'000, "1280x720", "avc1.64001f,mp4a.40.2"},
                     {"hi", 6'000'000, "1920x1080", "avc1.640028,mp4a.40.2"}};
  const origin::CueFlavour flavours[] = {
      origin::CueFlavour::kNone,      origin::CueFlavour::kCueOut,     origin::CueFlavour::kOatcls,
      origin::CueFlavour::kDateRange, origin::CueFlavour::kExtXScte35, origin::CueFlavour::kSplicepoint};
  spec.cue_flavour = flavours[rng.Range(0, 5)];
  spec.repeat_cue = rng.Chance(60);
  spec.pdt_on_every_segment = rng.Chance(70);
  c.mode = rng.Chance(25) ? InsertionMode::kSgai : InsertionMode::kSsai;

  // Breaks over the ~120 segments the reloads cover; cue times at random ms, not on boundaries.
  int64_t t_ms = d_ms * rng.Range(2, 12);
  for (uint32_t id = 1; t_ms < d_ms * 140; ++id) {
    const int64_t dur_ms = rng.Chance(10) ? rng.Range(300, d_ms) : rng.Range(d_ms, d_ms * 10);
    origin::ScheduledBreak b;
    b.start_time = spec.start_time + (t_ms + (rng.Chance(30) ? 0 : rng.Range(0, d_ms - 1))) * 1000;
    b.duration_s = static_cast<double>(dur_ms) / 1000;
    b.event_id = 1000 + id;
    spec.breaks.push_back(b);
    SpliceBreak sb;
    sb.event_id = "brk-" + std::to_string(b.event_id);
    sb.start_time = b.start_time;
    sb.end_time = b.start_time + dur_ms * 1000;
    sb.asset_uri = "https://ads.example/pod/" + std::to_string(b.event_id) + ".m3u8";
    c.breaks.push_back(sb);
    c.pod_sizes.push_back(static_cast<int>(rng.Range(0, dur_ms / d_ms + 2)));
    // Next break: back to back sometimes, else after a gap.
    t_ms = (sb.end_time - spec.start_time) / 1000 + (rng.Chance(15) ? 0 : d_ms * rng.Range(1, 20));
  }
  EXPECT_TRUE(origin::ValidateSpec(spec).ok()) << origin::ValidateSpec(spec).ToString();
  return c;
}

// The coordinator's ledger for the first `dropped` breaks (it knows the channel's segment grid):
// the distinct slots that got a DISCONTINUITY, i.e. 2 per break covering a slot start, with the
// junction slot of back-to-back breaks counted once.
std::pair<int64_t, int64_t> SlotsOf(const Case& c, size_t k) {
  return {origin::FirstSegmentAtOrAfter(c.spec, c.breaks[k].start_time - kSpliceToleranceUs),
          origin::FirstSegmentAtOrAfter(c.spec, c.breaks[k].end_time - kSpliceToleranceUs)};
}

int64_t Ledger(const Case& c, size_t dropped) {
  int64_t n = 0, last = -1;
  for (size_t k = 0; k < dropped; ++k) {
    auto [out, in] = SlotsOf(c, k);
    if (out >= in) continue;
    n += (out != last) + 1;
    last = in;
  }
  return n;
}

// How many leading breaks the coordinator may drop when the window starts at `first_msn`: those
// whose return slot has left the window, but never a break whose return slot is the first ad
// slot of a break still passed (splicer.h: junction chains leave together).
size_t Droppable(const Case& c, int64_t first_msn) {
  size_t dropped = 0;
  while (dropped < c.breaks.size() && SlotsOf(c, dropped).second < first_msn) ++dropped;
  auto has_slots = [&](size_t k) { return SlotsOf(c, k).first < SlotsOf(c, k).second; };
  while (dropped > 0) {
    size_t next = dropped, prev = dropped;
    while (next < c.breaks.size() && !has_slots(next)) ++next;
    while (prev > 0 && !has_slots(prev - 1)) --prev;
    if (next == c.breaks.size() || prev == 0) break;
    if (SlotsOf(c, prev - 1).second != SlotsOf(c, next).first) break;
    dropped = prev - 1;  // junction with a break still passed: keep it too
  }
  return dropped;
}

struct Out {
  hls::MediaPlaylist playlist;
  std::string text;
};

std::vector<std::string> DateRangeLines(const hls::MediaPlaylist& p) {
  std::vector<std::string> out;
  for (const hls::MediaSegment& s : p.segments()) {
    for (const hls::Tag& t : s.tags()) {
      if (t.type == hls::TagType::kDateRange) out.push_back(t.ToLine());
    }
  }
  for (const hls::Tag& t : p.trailer()) {
    if (t.type == hls::TagType::kDateRange) out.push_back(t.ToLine());
  }
  return out;
}

TEST(SplicerPropertyTest, RandomOriginsLintCleanAndRenditionsAgree) {
  TestRng rng(0x55A1'2026'0115ull);
  int64_t total_ads = 0, total_slate = 0, total_in_break = 0;
  for (int ci = 0; ci < kSpecs; ++ci) {
    const Case c = RandomCase(rng);
    const DurationMicros d_us = origin::SegmentDurationMicros(c.spec);
    SCOPED_TRACE("case " + std::to_string(ci) + ": " + origin::SerializeSpec(c.spec) + " mode " +
                 std::string(InsertionModeName(c.mode)));
    // Pods per rendition: conditioned ad segments of the channel's duration.
    std::vector<std::vector<SpliceBreak>> breaks(c.spec.renditions.size(), c.breaks);
    for (size_t r = 0; r < breaks.size(); ++r) {
      for (size_t b = 0; b < c.breaks.size(); ++b) {
        for (int i = 0; i < c.pod_sizes[b]; ++i) {
          breaks[r][b].ad_segments.push_back(
              {"https://ads.example/" + c.spec.renditions[r].name + "/" + c.breaks[b].event_id +
                   "/" + std::to_string(i) + ".ts",
               MicrosToSeconds(d_us)});
        }
      }
    }
    std::vector<hls::ReloadLinter> reload(c.spec.renditions.size());
    UnixMicros now = c.spec.start_time + rng.Range(0, 3) * d_us;
    for (int step = 0; step < kReloads; ++step) {
      now += rng.Range(d_us / 4, d_us);
      std::vector<Out> outs;
      for (size_t r = 0; r < c.spec.renditions.size(); ++r) {
        Result<hls::MediaPlaylist> origin =
            hls::ParseMedia(origin::MediaPlaylistAt(c.spec, c.spec.renditions[r], now));
        ASSERT_TRUE(origin.ok()) << origin.status().ToString();
        // The coordinator drops a break once its return slot has left the window and counts its
        // discontinuities in the ledger.
        SpliceOptions options;
        options.mode = c.mode;
        options.slate = {"https://ads.example/" + c.spec.renditions[r].name + "/slate.ts",
                         MicrosToSeconds(d_us)};
        const size_t dropped = Droppable(c, origin->media_sequence());
        options.inserted_discontinuities_before = Ledger(c, dropped);
        std::span<const SpliceBreak> live(breaks[r].data() + dropped, breaks[r].size() - dropped);
        Result<SpliceResult> spliced = Splice(*origin, live, options);
        ASSERT_TRUE(spliced.ok()) << spliced.status().ToString();
        Out o{spliced->playlist, hls::Serialize(spliced->playlist)};
        SCOPED_TRACE("step " + std::to_string(step) + " rendition " + c.spec.renditions[r].name +
                     "\n" + o.text);
        // Same bytes when every break is passed and the ledger is 0.
        SpliceOptions all = options;
        all.inserted_discontinuities_before = 0;
        Result<SpliceResult> full = Splice(*origin, breaks[r], all);
        ASSERT_TRUE(full.ok());
        EXPECT_EQ(hls::Serialize(full->playlist), o.text);

        for (const hls::Finding& f : hls::LintMedia(o.playlist)) {
          EXPECT_NE(f.severity, hls::Severity::kError) << hls::FormatFinding(f);
        }
        for (const hls::Finding& f : reload[r].Observe(o.playlist)) {
          ADD_FAILURE() << hls::FormatFinding(f);
        }
        // No ad or slate in a slot at or after its break's end (minus the tolerance).
        for (size_t i = 0; i < o.playlist.segments().size(); ++i) {
          const bool ad = o.playlist.segments()[i].uri().starts_with("https://ads.example/");
          const UnixMicros start = *o.playlist.SegmentStartTime(i);
          bool inside = false;
          for (const SpliceBreak& b : c.breaks) {
            inside |= start >= b.start_time - kSpliceToleranceUs &&
                      start < b.end_time - kSpliceToleranceUs;
          }
          EXPECT_EQ(ad, inside && c.mode == InsertionMode::kSsai) << "segment " << i;
        }
        if (r == 0) {
          total_ads += spliced->ad_segments;
          total_slate += spliced->slate_segments;
          total_in_break += spliced->in_break;
        }
        outs.push_back(std::move(o));
      }
      // Cross-rendition alignment (bis §6.2.4).
      const hls::MediaPlaylist& a = outs[0].playlist;
      for (size_t r = 1; r < outs.size(); ++r) {
        const hls::MediaPlaylist& b = outs[r].playlist;
        ASSERT_EQ(a.media_sequence(), b.media_sequence());
        ASSERT_EQ(a.discontinuity_sequence(), b.discontinuity_sequence());
        ASSERT_EQ(a.segments().size(), b.segments().size());
        for (size_t i = 0; i < a.segments().size(); ++i) {
          EXPECT_EQ(a.segments()[i].discontinuity(), b.segments()[i].discontinuity()) << i;
          EXPECT_EQ(a.SegmentStartTime(i), b.SegmentStartTime(i)) << i;
          EXPECT_EQ(a.segments()[i].program_date_time(), b.segments()[i].program_date_time()) << i;
          EXPECT_EQ(a.segments()[i].duration_s(), b.segments()[i].duration_s()) << i;
        }
        EXPECT_EQ(DateRangeLines(a), DateRangeLines(b));
      }
      if (::testing::Test::HasFailure()) return;  // one readable failure, not thousands
    }
  }
  // The cases exercise what they should.
  EXPECT_GT(total_ads, 500);
  EXPECT_GT(total_slate, 50);
  EXPECT_GT(total_in_break, 200);
}

}  // namespace
}  // namespace ssai
