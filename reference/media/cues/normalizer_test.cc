#include "reference/media/cues/normalizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "reference/media/cues/cues_test_util.h"

namespace ssai::cues {
namespace {

using testing::B64;
using testing::Hex;
using testing::InsertCancel;
using testing::InsertIn;
using testing::InsertOut;
using testing::Live;
using testing::LiveStream;
using testing::PtsOf;
using testing::Segmentation;
using testing::TimeOf;

std::string Summary(const BreakEvent& e) {
  std::string s =
      std::string(EventKindName(e.kind)) + " " + e.event_id + " @" + std::to_string(e.msn);
  if (e.reason != EndReason::kNone) s += " " + std::string(EndReasonName(e.reason));
  return s;
}

std::vector<std::string> Summaries(const NormalizeResult& r) {
  std::vector<std::string> out;
  for (const BreakEvent& e : r.events) out.push_back(Summary(e));
  return out;
}

using V = std::vector<std::string>;

// ---------------------------------------------------------------------------------------------
// Golden fixture streams: `ssai hls cues fixtures/streams/<name>` output, checked by hand.
// ---------------------------------------------------------------------------------------------
std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(FixtureStreamsTest, MatchExpectedCues) {
  const std::filesystem::path root = "fixtures/streams";
  ASSERT_TRUE(std::filesystem::is_directory(root)) << "run from the repository root";
  int streams = 0;
  std::vector<std::filesystem::path> dirs;
  for (const auto& d : std::filesystem::directory_iterator(root)) {
    if (d.is_directory()) dirs.push_back(d.path());
  }
  std::sort(dirs.begin(), dirs.end());
  for (const auto& dir : dirs) {
    SCOPED_TRACE(dir.string());
    std::vector<std::string> names;
    for (const auto& f : std::filesystem::directory_iterator(dir)) {
      if (f.path().extension() == ".m3u8") names.push_back(f.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    ASSERT_FALSE(names.empty());
    Normalizer n;
    std::string actual;
    std::string last;
    auto emit = [&](const NormalizeResult& r, const std::string& file) {
      for (const BreakEvent& e : r.events) actual += EventToJsonLine(e, file) + "\n";
      for (const Diagnostic& w : r.warnings) ADD_FAILURE() << file << ": " << FormatDiagnostic(w);
    };
    for (const std::string& name : names) {
      // The same spelling `ssai hls cues fixtures/streams/<name>` uses.
      last = (root / dir.filename() / name).string();
      Result<hls::MediaPlaylist> p = hls::ParseMedia(ReadAll(dir / name));
      ASSERT_TRUE(p.ok()) << last << ": " << p.status().ToString();
      emit(n.Push(*p), last);
    }
    emit(n.Finish(), last);
    const std::filesystem::path expected = dir / "expected_cues.jsonl";
    ASSERT_TRUE(std::filesystem::exists(expected));
    EXPECT_EQ(actual, ReadAll(expected));
    ++streams;
  }
  EXPECT_GE(streams, 14);
}

// ---------------------------------------------------------------------------------------------
// Behaviour.
// ---------------------------------------------------------------------------------------------
TEST(NormalizerTest, CueOutInAcrossReloadsIsReportedOnce) {
  LiveStream s(20);
  s.Add(1006, "#EXT-X-CUE-OUT:10");
  for (int m = 1007; m <= 1010; ++m) s.Add(m, "#EXT-X-CUE-OUT-CONT:ElapsedTime=2,Duration=10");
  s.Add(1011, "#EXT-X-CUE-IN");
  std::vector<hls::MediaPlaylist> reloads = s.Reloads();
  // Every reload twice: identical reloads must not duplicate anything either.
  std::vector<hls::MediaPlaylist> doubled;
  for (const auto& p : reloads) {
    doubled.push_back(p);
    doubled.push_back(p);
  }
  NormalizeResult r = NormalizeReloads(doubled);
  EXPECT_EQ(Summaries(r), (V{"start cue-1006 @1006", "end cue-1006 @1011 in"}));
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].splice_time, TimeOf(1006));
  EXPECT_EQ(r.events[0].duration_s, 10.0);
  EXPECT_EQ(r.events[0].duration_source, DurationSource::kCueOut);
  EXPECT_EQ(r.events[1].splice_time, TimeOf(1011));
  EXPECT_EQ(r.events[1].duration_s, 10.0);
  EXPECT_EQ(r.events[1].duration_source, DurationSource::kMeasured);
  EXPECT_TRUE(r.warnings.empty());
}

TEST(NormalizerTest, ScteRepeatedOnEverySegmentIsDeduped) {
  const std::string cue = B64(InsertOut(777, PtsOf(1004), 6.0));
  LiveStream s(20);
  for (int m = 1004; m <= 1015; ++m) s.Add(m, "#EXT-OATCLS-SCTE35:" + cue);  // repeats past the IN
  s.Add(1004, "#EXT-X-CUE-OUT:6");
  s.Add(1005, "#EXT-X-CUE-OUT-CONT:ElapsedTime=2,Duration=6,SCTE35=" + cue);
  s.Add(1006, "#EXT-X-CUE-OUT-CONT:ElapsedTime=4,Duration=6,SCTE35=" + cue);
  s.Add(1007, "#EXT-X-CUE-IN");
  NormalizeResult r = NormalizeReloads(s.Reloads());
  EXPECT_EQ(Summaries(r), (V{"start 777 @1004", "end 777 @1007 in"}));
  EXPECT_EQ(r.events[0].flavour, Flavour::kOatclsScte35);
  EXPECT_EQ(r.events[0].duration_source, DurationSource::kBreakDuration);
  EXPECT_EQ(r.events[0].pts_ticks, PtsOf(1004));
}

TEST(NormalizerTest, CueOutBeforeOatclsOnTheSameSegmentTakesTheScteId) {
  hls::MediaPlaylist p = Live(
      1000, {{},
             {"#EXT-X-CUE-OUT:30", "#EXT-OATCLS-SCTE35:" + B64(InsertOut(9, PtsOf(1001), 20.0))},
             {}});
  Normalizer n;
  NormalizeResult r = n.Push(p);
  EXPECT_EQ(Summaries(r), (V{"start 9 @1001"}));
  EXPECT_EQ(r.events[0].duration_s, 20.0);  // break_duration beats CUE-OUT (scte35.md §4)
  EXPECT_EQ(r.events[0].flavour, Flavour::kOatclsScte35);
}

TEST(NormalizerTest, MidBreakJoinFromCueOutCont) {
  LiveStream s(16);
  for (int m = 1000; m <= 1003; ++m) {
    s.Add(m,
          "#EXT-X-CUE-OUT-CONT:ElapsedTime=" + std::to_string(4 + 2 * (m - 1000)) + ",Duration=12");
  }
  s.Add(1004, "#EXT-X-CUE-IN");
  NormalizeResult r = NormalizeReloads(s.Reloads());
  EXPECT_EQ(Summaries(r), (V{"start cue-998 @998", "end cue-998 @1004 in"}));
  EXPECT_EQ(r.events[0].splice_time, TimeOf(1000) - 4 * kMicrosPerSecond);
  EXPECT_EQ(r.events[0].duration_source, DurationSource::kCueOutCont);
  EXPECT_EQ(r.events[0].flavour, Flavour::kCueOutCont);
}

TEST(NormalizerTest, MidBreakJoinUsesTheScteIdInCont) {
  const std::string cue = B64(InsertOut(31, PtsOf(998), 10.0));
  hls::MediaPlaylist p =
      Live(1000, {{"#EXT-X-CUE-OUT-CONT:ElapsedTime=4,Duration=10,SCTE35=" + cue},
                  {"#EXT-X-CUE-OUT-CONT:ElapsedTime=6,Duration=10,SCTE35=" + cue},
                  {}});
  Normalizer n;
  NormalizeResult r = n.Push(p);
  EXPECT_EQ(Summaries(r), (V{"start 31 @998"}));
  EXPECT_EQ(r.events[0].duration_source, DurationSource::kBreakDuration);
}

TEST(NormalizerTest, ContAfterBreakEndedByDurationDoesNotReopen) {
  LiveStream s(20);
  s.Add(1004, "#EXT-X-CUE-OUT:4");
  // A packager that keeps sending CONT past the duration and never sends CUE-IN.
  for (int m = 1005; m <= 1010; ++m) {
    s.Add(m, "#EXT-X-CUE-OUT-CONT:" + std::to_string(2 * (m - 1004)) + "/4");
  }
  NormalizeResult r = NormalizeReloads(s.Reloads());
  EXPECT_EQ(Summaries(r), (V{"start cue-1004 @1004", "end cue-1004 @1006 duration"}));
}

TEST(NormalizerTest, MissingCueInEndsByDurationOnceTheTimelinePassesIt) {
  Normalizer n;
  // Break at 1002 for 4 s: ends at 1004's start. This window ends exactly there: the CUE-IN may
  // still come with segment 1004, so nothing ends yet.
  NormalizeResult a = n.Push(Live(1000, {{}, {}, {"#EXT-X-CUE-OUT:DURATION=4"}, {}}));
  EXPECT_EQ(Summaries(a), (V{"start cue-1002 @1002"}));
  // Segment 1004 is out without a CUE-IN: the timeline has passed start + duration.
  NormalizeResult b = n.Push(Live(1001, {{}, {"#EXT-X-CUE-OUT:DURATION=4"}, {}, {}}));
  ASSERT_EQ(Summaries(b), (V{"end cue-1002 @1004 duration"}));
  EXPECT_EQ(b.events[0].splice_time, TimeOf(1004));
  EXPECT_EQ(b.events[0].duration_source, DurationSource::kCueOut);
  EXPECT_EQ(b.events[0].line, 16);  // the EXTINF of the return segment
  EXPECT_TRUE(n.Finish().events.empty());
}

TEST(NormalizerTest, FinishEndsAPendingBreakByItsDuration) {
  Normalizer n;
  n.Push(Live(1000, {{}, {"#EXT-X-CUE-OUT:30"}, {}}));
  NormalizeResult f = n.Finish();
  ASSERT_EQ(Summaries(f), (V{"end cue-1001 @1016 duration"}));
  EXPECT_EQ(f.events[0].splice_time, TimeOf(1001) + 30 * kMicrosPerSecond);
  EXPECT_FALSE(n.break_open());
}

TEST(NormalizerTest, FinishWarnsAboutABreakWithoutDuration) {
  Normalizer n;
  n.Push(Live(1000, {{}, {"#EXT-X-CUE-OUT"}, {}}));
  NormalizeResult f = n.Finish();
  EXPECT_TRUE(f.events.empty());
  ASSERT_EQ(f.warnings.size(), 1u);
  EXPECT_NE(f.warnings[0].message.find("still open"), std::string::npos);
}

TEST(NormalizerTest, EarlyCueInEndsTheBreakEarly) {
  NormalizeResult r =
      NormalizeReloads({Live(1000, {{"#EXT-X-CUE-OUT:30"}, {}, {}, {"#EXT-X-CUE-IN"}, {}})});
  EXPECT_EQ(Summaries(r), (V{"start cue-1000 @1000", "end cue-1000 @1003 in"}));
  EXPECT_EQ(r.events[1].duration_s, 6.0);
}

TEST(NormalizerTest, TrailerCueOutIsAttachedToTheNextSegmentAndNotRepeated) {
  Normalizer n;
  NormalizeResult a = n.Push(Live(1000, {{}, {}}, {"#EXT-X-CUE-OUT:4"}));
  ASSERT_EQ(Summaries(a), (V{"start cue-1002 @1002"}));
  EXPECT_EQ(a.events[0].splice_time, TimeOf(1002));
  NormalizeResult b = n.Push(Live(1001, {{}, {"#EXT-X-CUE-OUT:4"}, {}}));
  EXPECT_TRUE(b.events.empty());
}

TEST(NormalizerTest, SpliceInsertInEndsAndPtsIsChecked) {
  hls::MediaPlaylist p = Live(1000, {{"#EXT-OATCLS-SCTE35:" + B64(InsertOut(5, PtsOf(1000), 20.0))},
                                     {},
                                     {"#EXT-OATCLS-SCTE35:" + B64(InsertIn(5, PtsOf(1002)))},
                                     {}});
  NormalizeResult r = NormalizeReloads({p});
  EXPECT_EQ(Summaries(r), (V{"start 5 @1000", "end 5 @1002 in"}));
  EXPECT_TRUE(r.warnings.empty());

  // IN whose PTS disagrees with the timeline by 8 s: ended anyway, with a warning.
  hls::MediaPlaylist q = Live(1000, {{"#EXT-OATCLS-SCTE35:" + B64(InsertOut(5, PtsOf(1000), 20.0))},
                                     {},
                                     {"#EXT-OATCLS-SCTE35:" + B64(InsertIn(5, PtsOf(1006)))},
                                     {}});
  NormalizeResult s = NormalizeReloads({q});
  EXPECT_EQ(Summaries(s), (V{"start 5 @1000", "end 5 @1002 in"}));
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].message.find("PTS says the break lasted 12.000 s"), std::string::npos)
      << s.warnings[0].message;
}

TEST(NormalizerTest, InForAnotherEventIsIgnoredWithAWarning) {
  hls::MediaPlaylist p = Live(1000, {{"#EXT-OATCLS-SCTE35:" + B64(InsertOut(5, PtsOf(1000), 20.0))},
                                     {"#EXT-OATCLS-SCTE35:" + B64(InsertIn(6, PtsOf(1001)))},
                                     {"#EXT-X-CUE-IN"}});
  NormalizeResult r = NormalizeReloads({p});
  EXPECT_EQ(Summaries(r), (V{"start 5 @1000", "end 5 @1002 in"}));
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].line, 9);
}

TEST(NormalizerTest, AutoReturnZeroWaitsForAnExplicitIn) {
  LiveStream s(14);
  s.Add(1002, "#EXT-OATCLS-SCTE35:" + B64(InsertOut(8, PtsOf(1002), 4.0, /*auto_return=*/false)));
  s.Add(1010, "#EXT-X-CUE-IN");
  NormalizeResult r = NormalizeReloads(s.Reloads());
  EXPECT_EQ(Summaries(r), (V{"start 8 @1002", "end 8 @1010 in"}));

  // Without the IN, Finish() falls back to the duration.
  LiveStream t(14);
  t.Add(1002, "#EXT-OATCLS-SCTE35:" + B64(InsertOut(8, PtsOf(1002), 4.0, false)));
  NormalizeResult u = NormalizeReloads(t.Reloads());
  EXPECT_EQ(Summaries(u), (V{"start 8 @1002", "end 8 @1004 finish"}));
}

TEST(NormalizerTest, CancelBeforeStartReportsCancelOnly) {
  const std::string cancel = B64(InsertCancel(3001));
  LiveStream s(12);
  s.Add(1003, "#EXT-OATCLS-SCTE35:" + cancel);
  s.Add(1004, "#EXT-OATCLS-SCTE35:" + cancel);
  NormalizeResult r = NormalizeReloads(s.Reloads());
  EXPECT_EQ(Summaries(r), (V{"cancel 3001 @1003 cancel"}));
}

TEST(NormalizerTest, CancelOfTheOpenBreakDropsItWithoutEnd) {
  hls::MediaPlaylist p =
      Live(1000, {{"#EXT-OATCLS-SCTE35:" + B64(InsertOut(12, PtsOf(1000), 10.0))},
                  {"#EXT-OATCLS-SCTE35:" + B64(InsertCancel(12))},
                  {},
                  {},
                  {},
                  {},
                  {},
                  {}});
  NormalizeResult r = NormalizeReloads({p});
  EXPECT_EQ(Summaries(r), (V{"start 12 @1000", "cancel 12 @1001 cancel"}));
}

TEST(NormalizerTest, SegmentationCancel) {
  hls::MediaPlaylist p = Live(
      1000, {{"#EXT-X-SPLICEPOINT-SCTE35:" + B64(Segmentation(PtsOf(1000), {{70, 0x34, 30.0}}))},
             {"#EXT-X-SPLICEPOINT-SCTE35:" +
              B64(Segmentation(PtsOf(1001), {{70, 0, std::nullopt, true}}))},
             {}});
  NormalizeResult r = NormalizeReloads({p});
  EXPECT_EQ(Summaries(r), (V{"start 70 @1000", "cancel 70 @1001 cancel"}));
}

TEST(NormalizerTest, SegmentationPairsOpenAndClose) {
  for (uint8_t start : {0x22, 0x30, 0x32, 0x34, 0x36}) {
    SCOPED_TRACE(static_cast<int>(start));
    hls::MediaPlaylist p = Live(
        1000,
        {{"#EXT-X-SPLICEPOINT-SCTE35:" + B64(Segmentation(PtsOf(1000), {{900, start, 20.0}}))},
         {},
         {"#EXT-X-SPLICEPOINT-SCTE35:" +
          B64(Segmentation(PtsOf(1002), {{900, static_cast<uint8_t>(start + 1), std::nullopt}}))},
         {}});
    NormalizeResult r = NormalizeReloads({p});
    EXPECT_EQ(Summaries(r), (V{"start 900 @1000", "end 900 @1002 in"}));
    EXPECT_EQ(r.events[0].segmentation_type_id, start);
    EXPECT_EQ(r.events[0].duration_source, DurationSource::kSegmentationDuration);
    EXPECT_TRUE(r.warnings.empty());
  }
}

TEST(NormalizerTest, NestedPlacementOpportunityStaysInsideTheBreak) {
  hls::MediaPlaylist p = Live(
      1000, {{"#EXT-X-SPLICEPOINT-SCTE35:" +
              B64(Segmentation(PtsOf(1000), {{1, 0x22, 12.0}, {2, 0x34, 6.0}}))},
             {},
             {},
             {"#EXT-X-SPLICEPOINT-SCTE35:" +
              B64(Segmentation(PtsOf(1003), {{2, 0x35, std::nullopt}, {3, 0x34, 6.0}}))},
             {},
             {},
             {"#EXT-X-SPLICEPOINT-SCTE35:" +
              B64(Segmentation(PtsOf(1006), {{3, 0x35, std::nullopt}, {1, 0x23, std::nullopt}}))},
             {}});
  NormalizeResult r = NormalizeReloads({p});
  EXPECT_EQ(Summaries(r), (V{"start 1 @1000", "end 1 @1006 in"}));
  EXPECT_EQ(r.events[0].duration_s, 12.0);
  EXPECT_TRUE(r.warnings.empty());
}

TEST(NormalizerTest, NonBreakSegmentationTypesAreNotes) {
  hls::MediaPlaylist p =
      Live(1000, {{std::string("#EXT-OATCLS-SCTE35:") + testing::kVecProgramStartEnd},
                  {std::string("#EXT-OATCLS-SCTE35:") + testing::kVecSpliceNull},
                  {}});
  NormalizeResult r = NormalizeReloads({p});
  EXPECT_TRUE(r.events.empty());
  EXPECT_TRUE(r.warnings.empty());
  ASSERT_EQ(r.notes.size(), 3u);
  EXPECT_NE(r.notes[0].message.find("0x11 (Program End)"), std::string::npos) << r.notes[0].message;
  EXPECT_NE(r.notes[2].message.find("Splice Null"), std::string::npos) << r.notes[2].message;
}

TEST(NormalizerTest, MismatchedSegmentationEndTypeWarns) {
  hls::MediaPlaylist p = Live(
      1000,
      {{"#EXT-X-SPLICEPOINT-SCTE35:" + B64(Segmentation(PtsOf(1000), {{4, 0x34, 20.0}}))},
       {"#EXT-X-SPLICEPOINT-SCTE35:" + B64(Segmentation(PtsOf(1001), {{4, 0x37, std::nullopt}}))},
       {}});
  NormalizeResult r = NormalizeReloads({p});
  EXPECT_EQ(Summaries(r), (V{"start 4 @1000", "end 4 @1001 in"}));
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].message.find("does not pair"), std::string::npos);
}

TEST(NormalizerTest, NextOutClosesTheOpenBreak) {
  hls::MediaPlaylist p = Live(1000, {{"#EXT-OATCLS-SCTE35:" + B64(InsertOut(1, PtsOf(1000), 30.0))},
                                     {},
                                     {},
                                     {"#EXT-OATCLS-SCTE35:" + B64(InsertOut(2, PtsOf(1003), 4.0))},
                                     {},
                                     {"#EXT-X-CUE-IN"}});
  NormalizeResult r = NormalizeReloads({p});
  EXPECT_EQ(Summaries(r),
            (V{"start 1 @1000", "end 1 @1003 next_out", "start 2 @1003", "end 2 @1005 in"}));
}

TEST(NormalizerTest, PlainCueOutRepeatedWhileOpenIsNotANewBreak) {
  hls::MediaPlaylist p = Live(
      1000,
      {{"#EXT-X-CUE-OUT:10"}, {"#EXT-X-CUE-OUT:10"}, {"#EXT-X-CUE-OUT:10"}, {"#EXT-X-CUE-IN"}, {}});
  NormalizeResult r = NormalizeReloads({p});
  EXPECT_EQ(Summaries(r), (V{"start cue-1000 @1000", "end cue-1000 @1003 in"}));
  EXPECT_EQ(r.notes.size(), 2u);
}

// Back-to-back breaks as packagers write them: a pod, then another pod starting on the segment
// where the first one's planned duration ends, with no CUE-IN in between (6 s segments).
constexpr char kBackToBack[] =
    "#EXTM3U\n"
    "#EXT-X-VERSION:3\n"
    "#EXT-X-TARGETDURATION:6\n"
    "#EXT-X-MEDIA-SEQUENCE:500\n"
    "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:00.000Z\n"
    "#EXTINF:6.000,\n"
    "content500.ts\n"
    "#EXT-X-CUE-OUT:12.000\n"
    "#EXTINF:6.000,\n"
    "ad501.ts\n"
    "#EXT-X-CUE-OUT-CONT:ElapsedTime=6.000,Duration=12.000\n"
    "#EXTINF:6.000,\n"
    "ad502.ts\n"
    "#EXT-X-CUE-OUT:12.000\n"  // line 14: where the first pod's 12 s end
    "#EXTINF:6.000,\n"
    "ad503.ts\n"
    "#EXT-X-CUE-OUT-CONT:ElapsedTime=6.000,Duration=12.000\n"
    "#EXTINF:6.000,\n"
    "ad504.ts\n"
    "#EXT-X-CUE-IN\n"
    "#EXTINF:6.000,\n"
    "content505.ts\n";

TEST(NormalizerTest, CueOutWhereThePreviousBreakEndsIsANewBreak) {
  Result<hls::MediaPlaylist> p = hls::ParseMedia(kBackToBack);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  NormalizeResult r = NormalizeReloads({*p});
  EXPECT_EQ(Summaries(r), (V{"start cue-501 @501", "end cue-501 @503 duration", "start cue-503 @503",
                             "end cue-503 @505 in"}));
  ASSERT_EQ(r.events.size(), 4u);
  EXPECT_EQ(r.events[1].duration_s, 12.0);
  EXPECT_EQ(r.events[2].line, 14);
  EXPECT_EQ(r.events[2].duration_s, 12.0);
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_TRUE(r.notes.empty());
}

TEST(NormalizerTest, CueOutWithinASecondOfThePlannedEndIsANewBreak) {
  // Planned 11.5 s: the next CUE-OUT, on the segment at 12 s, is 0.5 s after the planned end and
  // inside the expiry grace. Planned 12.5 s: it is 0.5 s before the planned end.
  struct Case {
    const char* planned;
    const char* first_end;
  } cases[] = {
      {"11.500", "end cue-501 @502 duration"},  // ends at 17.5 s, inside segment 502
      {"12.500", "end cue-501 @503 next_out"},  // cut short by the next pod at 18 s
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.planned);
    std::string text = kBackToBack;
    text.replace(text.find("#EXT-X-CUE-OUT:12.000"), 21, std::string("#EXT-X-CUE-OUT:") + c.planned);
    Result<hls::MediaPlaylist> p = hls::ParseMedia(text);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    NormalizeResult r = NormalizeReloads({*p});
    EXPECT_EQ(Summaries(r), (V{"start cue-501 @501", c.first_end, "start cue-503 @503", "end cue-503 @505 in"}));
  }
}

TEST(NormalizerTest, BackToBackBreaksAcrossSlidingReloads) {
  LiveStream s(24);
  s.Add(1004, "#EXT-X-CUE-OUT:6");
  s.Add(1005, "#EXT-X-CUE-OUT-CONT:2/6");
  s.Add(1006, "#EXT-X-CUE-OUT-CONT:4/6");
  s.Add(1007, "#EXT-X-CUE-OUT:4");  // 6 s after the first: a second pod, no CUE-IN between
  s.Add(1008, "#EXT-X-CUE-OUT-CONT:2/4");
  s.Add(1009, "#EXT-X-CUE-IN");
  NormalizeResult r = NormalizeReloads(s.Reloads());
  EXPECT_EQ(Summaries(r), (V{"start cue-1004 @1004", "end cue-1004 @1007 duration", "start cue-1007 @1007",
                             "end cue-1007 @1009 in"}));
  EXPECT_TRUE(r.warnings.empty());
}

TEST(NormalizerTest, MediaConvertCueOutDurationThenAttributesEndsByItsDuration) {
  // "#EXT-X-CUE-OUT:<duration>,SpliceType=...,Action=...,PAID=...": no CUE-IN; the duration
  // given first must end the break.
  Result<hls::MediaPlaylist> p = hls::ParseMedia(
      "#EXTM3U\n"
      "#EXT-X-VERSION:3\n"
      "#EXT-X-TARGETDURATION:2\n"
      "#EXT-X-MEDIA-SEQUENCE:1000\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:00.000Z\n"
      "#EXTINF:2.000,\n"
      "s1000.ts\n"
      "#EXT-X-CUE-OUT:4,SpliceType=VOD_DAI,Action=REPLACE,PAID=amazon.com/TEST2014020500000346,Acds=BA\n"
      "#EXTINF:2.000,\n"
      "s1001.ts\n"
      "#EXTINF:2.000,\n"
      "s1002.ts\n"
      "#EXTINF:2.000,\n"
      "s1003.ts\n"
      "#EXTINF:2.000,\n"
      "s1004.ts\n"
      "#EXTINF:2.000,\n"
      "s1005.ts\n");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  NormalizeResult r = NormalizeReloads({*p});
  EXPECT_EQ(Summaries(r), (V{"start cue-1001 @1001", "end cue-1001 @1003 duration"}));
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].duration_s, 4.0);
  EXPECT_EQ(r.events[0].duration_source, DurationSource::kCueOut);
  EXPECT_TRUE(r.warnings.empty());
}

TEST(NormalizerTest, ReusedEventIdIsScoped) {
  LiveStream s(24);
  s.Add(1002, "#EXT-OATCLS-SCTE35:" + B64(InsertOut(55, PtsOf(1002), 4.0)));
  s.Add(1004, "#EXT-X-CUE-IN");
  s.Add(1012, "#EXT-OATCLS-SCTE35:" + B64(InsertOut(55, PtsOf(1012), 4.0)));
  s.Add(1014, "#EXT-X-CUE-IN");
  NormalizeResult r = NormalizeReloads(s.Reloads());
  EXPECT_EQ(Summaries(r), (V{"start 55 @1002", "end 55 @1004 in", "start 55#1012 @1012",
                             "end 55#1012 @1014 in"}));
}

TEST(NormalizerTest, DateRangePlannedThenActualDuration) {
  const std::string start = "START-DATE=\"" + FormatIso8601Millis(TimeOf(1002)) + "\"";
  const std::string out =
      "#EXT-X-DATERANGE:ID=\"ad-1\"," + start +
      ",PLANNED-DURATION=20,SCTE35-OUT=" + Hex(InsertOut(77, PtsOf(1002), std::nullopt));
  const std::string out_actual =
      "#EXT-X-DATERANGE:ID=\"ad-1\"," + start +
      ",DURATION=6,PLANNED-DURATION=20,SCTE35-OUT=" + Hex(InsertOut(77, PtsOf(1002), std::nullopt));
  Normalizer n;
  NormalizeResult a = n.Push(Live(1000, {{}, {}, {out}, {}}));
  ASSERT_EQ(Summaries(a), (V{"start ad-1 @1002"}));
  EXPECT_EQ(a.events[0].time_source, TimeSource::kDateRange);
  EXPECT_EQ(a.events[0].duration_s, 20.0);
  EXPECT_EQ(a.events[0].duration_source, DurationSource::kDaterangePlanned);
  // The origin rewrites the tag with the actual DURATION (RFC 8216 §6.2.1); no IN tag follows.
  NormalizeResult b = n.Push(Live(1001, {{}, {out_actual}, {}, {}, {}, {}, {}}));
  ASSERT_EQ(Summaries(b), (V{"end ad-1 @1005 duration"}));
  EXPECT_EQ(b.events[0].duration_source, DurationSource::kDaterangeDuration);
  EXPECT_EQ(b.events[0].splice_time, TimeOf(1005));
}

TEST(NormalizerTest, DateRangeInWithoutStartDateEndsAtStartPlusDuration) {
  const std::string start = "START-DATE=\"" + FormatIso8601Millis(TimeOf(1001)) + "\"";
  hls::MediaPlaylist p = Live(
      1000, {{"#EXT-X-DATERANGE:ID=\"s\"," + start +
              ",PLANNED-DURATION=8,SCTE35-OUT=" + Hex(InsertOut(3, PtsOf(1001), 8.0))},
             {},
             {},
             {},
             {"#EXT-X-DATERANGE:ID=\"s\",DURATION=6,SCTE35-IN=" + Hex(InsertIn(3, PtsOf(1004)))},
             {}});
  NormalizeResult r = NormalizeReloads({p});
  EXPECT_EQ(Summaries(r), (V{"start s @1001", "end s @1004 in"}));
  EXPECT_EQ(r.events[1].splice_time, TimeOf(1004));
  EXPECT_TRUE(r.warnings.empty());
}

TEST(NormalizerTest, DateRangeIdReusedForALaterBreakIsANewBreak) {
  auto out = [](int64_t msn) {
    return "#EXT-X-DATERANGE:ID=\"ad\",START-DATE=\"" + FormatIso8601Millis(TimeOf(msn)) +
           "\",PLANNED-DURATION=2,SCTE35-OUT=" + Hex(InsertOut(1, PtsOf(msn), std::nullopt));
  };
  hls::MediaPlaylist p = Live(1000, {{out(1000)}, {}, {}, {}, {out(1004)}, {}, {}, {}});
  NormalizeResult r = NormalizeReloads({p});
  EXPECT_EQ(Summaries(r), (V{"start ad @1000", "end ad @1001 duration", "start ad#1004 @1004",
                             "end ad#1004 @1005 duration"}));
}

TEST(NormalizerTest, ExplicitCueInWinsOverACopiedOutSection) {
  const std::string cue = B64(InsertOut(42, PtsOf(1000), 20.0));
  hls::MediaPlaylist p = Live(1000, {{"#EXT-X-SCTE35:CUE=\"" + cue + "\",CUE-OUT=YES"},
                                     {},
                                     {"#EXT-X-SCTE35:CUE=\"" + cue + "\",CUE-IN=YES"},
                                     {}});
  NormalizeResult r = NormalizeReloads({p});
  EXPECT_EQ(Summaries(r), (V{"start 42 @1000", "end 42 @1002 in"}));
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].line, 12);
}

TEST(NormalizerTest, NoPdtUsesASyntheticTimelineAcrossReloads) {
  Normalizer n;
  NormalizeResult a = n.Push(Live(1000, {{}, {}, {"#EXT-X-CUE-OUT:4"}}, {}, /*pdt=*/false));
  ASSERT_EQ(a.events.size(), 1u);
  EXPECT_EQ(a.events[0].splice_time, 4 * kMicrosPerSecond);
  EXPECT_EQ(a.events[0].time_source, TimeSource::kSynthetic);
  ASSERT_EQ(a.notes.size(), 1u);
  // Next reload slid by two segments: times continue from the segments already seen.
  NormalizeResult b = n.Push(Live(1002, {{"#EXT-X-CUE-OUT:4"}, {}, {"#EXT-X-CUE-IN"}}, {}, false));
  ASSERT_EQ(Summaries(b), (V{"end cue-1002 @1004 in"}));
  EXPECT_EQ(b.events[0].splice_time, 8 * kMicrosPerSecond);
  EXPECT_EQ(b.events[0].time_source, TimeSource::kSynthetic);
  // A jump past the known window continues after the last known segment.
  NormalizeResult c = n.Push(Live(1010, {{"#EXT-X-CUE-OUT:2"}, {}, {}}, {}, false));
  ASSERT_EQ(c.events.size(), 2u);
  EXPECT_EQ(c.events[0].splice_time, 20 * kMicrosPerSecond);
}

TEST(NormalizerTest, MalformedMarkersWarnButDoNotDropValidOnes) {
  hls::MediaPlaylist p = Live(1000, {{"#EXT-OATCLS-SCTE35:%%%"},
                                     {std::string("#EXT-OATCLS-SCTE35:") + testing::kVecInvalidCrc},
                                     {"#EXT-X-CUE-OUT:garbage"},
                                     {"#EXT-X-CUE-OUT-CONT:ElapsedTime=?,Duration=?"},
                                     {"#EXT-X-CUE-IN"},
                                     {"#EXT-X-CUE-OUT:DURATION=4"},
                                     {},
                                     {},
                                     {}});
  NormalizeResult r = NormalizeReloads({p});
  EXPECT_EQ(Summaries(r), (V{"start cue-1002 @1002", "end cue-1002 @1004 in",
                             "start cue-1005 @1005", "end cue-1005 @1007 duration"}));
  std::vector<int> lines;
  for (const Diagnostic& d : r.warnings) lines.push_back(d.line);
  EXPECT_EQ(lines, (std::vector<int>{5, 9, 13, 17, 17}));
}

TEST(NormalizerTest, HugeNegativeAndNonFiniteValuesAreRejected) {
  hls::MediaPlaylist p = Live(1000, {{"#EXT-X-CUE-OUT:1e300"},
                                     {"#EXT-X-CUE-OUT-CONT:ElapsedTime=-5,Duration=nan"},
                                     {"#EXT-X-CUE-OUT-CONT:1e308/inf"},
                                     {"#EXT-X-CUE-IN"}});
  NormalizeResult r = NormalizeReloads({p});
  EXPECT_EQ(Summaries(r), (V{"start cue-1000 @1000", "end cue-1000 @1003 in"}));
  EXPECT_FALSE(r.events[0].duration_s);
  EXPECT_EQ(r.warnings.size(), 5u);
  // A wild jump of the media sequence on a synthetic timeline stays finite.
  Normalizer n;
  n.Push(Live(1000, {{}, {}}, {}, false));
  NormalizeResult j = n.Push(Live(int64_t{1} << 60, {{"#EXT-X-CUE-OUT:2"}, {}, {}}, {}, false));
  EXPECT_EQ(j.events.size(), 2u);
}

// Every fixture with each marker line damaged in a few ways: never crashes (ASan/UBSan build),
// and damage to one line never costs the markers on other lines more than that one break.
TEST(NormalizerTest, DamagedFixtureMarkersDoNotCrash) {
  const std::filesystem::path root = "fixtures/streams";
  ASSERT_TRUE(std::filesystem::is_directory(root));
  const auto damage = [](std::string line, int how) {
    switch (how) {
      case 0:
        return line.substr(0, line.size() / 2);  // truncated
      case 1:
        return line + ",,=\"\"=,";  // trailing junk
      case 2: {                     // digits → 9
        for (char& c : line)
          if (c >= '0' && c <= '8') c = '9';
        return line;
      }
      default: {  // one payload byte flipped
        size_t at = line.find(':');
        if (at != std::string::npos && at + 12 < line.size()) line[at + 12] ^= 0x01;
        return line;
      }
    }
  };
  int runs = 0;
  for (const auto& d : std::filesystem::directory_iterator(root)) {
    if (!d.is_directory()) continue;
    std::vector<std::string> names;
    for (const auto& f : std::filesystem::directory_iterator(d.path())) {
      if (f.path().extension() == ".m3u8") names.push_back(f.path().string());
    }
    std::sort(names.begin(), names.end());
    for (int how = 0; how < 4; ++how) {
      Normalizer n;
      for (const std::string& name : names) {
        std::string text = ReadAll(name), out;
        std::istringstream in(text);
        for (std::string line; std::getline(in, line);) {
          const bool marker =
              line.rfind("#EXT-X-CUE", 0) == 0 || line.rfind("#EXT-OATCLS", 0) == 0 ||
              line.rfind("#EXT-X-DATERANGE", 0) == 0 || line.rfind("#EXT-X-SCTE35", 0) == 0 ||
              line.rfind("#EXT-X-SPLICEPOINT", 0) == 0;
          out += (marker ? damage(line, how) : line) + "\n";
        }
        Result<hls::MediaPlaylist> p = hls::ParseMedia(out);
        if (!p.ok()) continue;  // damage may make the playlist itself invalid
        n.Push(*p);
        ++runs;
      }
      n.Finish();
    }
  }
  EXPECT_GT(runs, 100);
}

TEST(NormalizerTest, EventJson) {
  BreakEvent e;
  e.kind = EventKind::kEnd;
  e.event_id = "id\"1";
  e.splice_time = TimeOf(1001);
  e.duration_s = 6.5;
  e.duration_source = DurationSource::kMeasured;
  e.reason = EndReason::kIn;
  e.flavour = Flavour::kCueIn;
  e.msn = 1001;
  e.line = 12;
  e.pts_ticks = 90000;
  e.segmentation_type_id = 0x35;
  EXPECT_EQ(
      EventToJsonLine(e, "a/000.m3u8"),
      "{\"kind\":\"end\",\"event_id\":\"id\\\"1\",\"splice_time\":\"2026-01-15T12:00:02.000Z\","
      "\"time_source\":\"pdt\",\"duration_s\":6.5,\"duration_source\":\"measured\","
      "\"reason\":\"in\",\"flavour\":\"cue_in\",\"msn\":1001,\"file\":\"a/000.m3u8\","
      "\"line\":12,\"pts_ticks\":90000,\"segmentation_type_id\":\"0x35\"}");
  BreakEvent s;
  EXPECT_EQ(EventToJsonLine(s, "f"),
            "{\"kind\":\"start\",\"event_id\":\"\",\"splice_time\":\"1970-01-01T00:00:00.000Z\","
            "\"time_source\":\"pdt\",\"duration_s\":null,\"duration_source\":null,"
            "\"flavour\":\"cue_out\",\"msn\":0,\"file\":\"f\",\"line\":0}");
}

}  // namespace
}  // namespace ssai::cues
