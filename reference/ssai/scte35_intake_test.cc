#include "reference/ssai/scte35_intake.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace ssai {
namespace {

UnixMicros Iso(const char* text) { return *ParseIso8601(text); }
constexpr UnixMicros kNow = 1'768'478'400LL * kMicrosPerSecond;  // 2026-01-15T12:00:00Z

std::string Reload(const std::string& stream, int n) {
  char name[16];
  std::snprintf(name, sizeof(name), "%03d.m3u8", n);
  std::ifstream in("fixtures/streams/" + stream + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << stream << "/" << name << " (tests run from the repository root)";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Scte35IntakeTest : public ::testing::Test {
 protected:
  Scte35Intake::Options Options() { return {"ch", "default-pod"}; }
  // Feeds reloads [from, to] of a fixture stream, applying each to `staged` as the coordinator
  // does once the change is durable.
  void Feed(Scte35Intake& intake, const std::string& stream, int from, int to, StagedBreaks* staged) {
    for (int i = from; i <= to; ++i) {
      auto p = intake.Parse(Reload(stream, i));
      ASSERT_TRUE(p.ok()) << p.status().message();
      intake.Observe(**p, staged, kNow, std::nullopt);
      staged->created.clear();
    }
  }
  CoordinatorStats stats_;
};

TEST_F(Scte35IntakeTest, AnOutMakesABreakAndAnEarlyInEndsIt) {
  Scte35Intake intake(Options(), &stats_);
  StagedBreaks s;
  Feed(intake, "early_cue_in", 0, 0, &s);
  ASSERT_EQ(s.records.size(), 1u);
  const BreakRecord& r = s.records.begin()->second;
  EXPECT_EQ(r.state.event_id, "cue-2403");
  EXPECT_EQ(r.state.source, BreakSource::kScte35);
  EXPECT_EQ(r.state.start_time, Iso("2026-01-15T12:00:18.000Z"));
  EXPECT_DOUBLE_EQ(r.state.duration_s, 30);
  EXPECT_EQ(r.pod_request, "default-pod");
  EXPECT_EQ(r.state.created_at, kNow);
  ASSERT_TRUE(r.state.scte35_data.has_value());
  Feed(intake, "early_cue_in", 1, 6, &s);
  ASSERT_EQ(s.records.size(), 1u);
  EXPECT_EQ(s.records.begin()->second.state.end_time, Iso("2026-01-15T12:00:36.000Z"));
  EXPECT_DOUBLE_EQ(s.records.begin()->second.state.duration_s, 18);
}

TEST_F(Scte35IntakeTest, DefectIgnoreCueInRunsThePlannedDuration) {
  Scte35Intake::Options o = Options();
  o.defect_ignore_cue_in = true;
  Scte35Intake intake(o, &stats_);
  StagedBreaks s;
  Feed(intake, "early_cue_in", 0, 6, &s);
  ASSERT_EQ(s.records.size(), 1u);
  EXPECT_EQ(s.records.begin()->second.state.end_time, Iso("2026-01-15T12:00:48.000Z"));
}

TEST_F(Scte35IntakeTest, AFreshIntakeSeeingAHeldBreakAgainMakesNoSecondBreak) {
  Scte35Intake first(Options(), &stats_);
  StagedBreaks s;
  Feed(first, "cue_repeated_every_segment", 0, 0, &s);
  ASSERT_EQ(s.records.size(), 1u);
  Scte35Intake restarted(Options(), &stats_);  // a restarted coordinator: new normalizer
  Feed(restarted, "cue_repeated_every_segment", 1, 1, &s);
  EXPECT_EQ(s.records.size(), 1u);
  EXPECT_GE(stats_.duplicate_cues, 1);
}

TEST_F(Scte35IntakeTest, DefectNoCueDedupeMakesABreakPerReload) {
  Scte35Intake::Options o = Options();
  o.defect_no_cue_dedupe = true;
  Scte35Intake intake(o, &stats_);
  StagedBreaks s;
  Feed(intake, "cue_repeated_every_segment", 0, 1, &s);
  ASSERT_EQ(s.records.size(), 2u);
  EXPECT_TRUE(s.records.at("777").cancelled);  // replaced by the repeat at the same start
  EXPECT_FALSE(s.records.begin()->first == s.records.rbegin()->first);
  EXPECT_EQ(s.records.rbegin()->first.rfind("777~", 0), 0u);
}

TEST_F(Scte35IntakeTest, ACancelBeforeAnyStartMakesNoBreak) {
  Scte35Intake intake(Options(), &stats_);
  StagedBreaks s;
  Feed(intake, "cancelled_splice", 0, 10, &s);
  EXPECT_EQ(s.records.count("3001"), 0u);
  ASSERT_EQ(s.records.count("3002"), 1u);
  EXPECT_EQ(s.records.at("3002").state.start_time, Iso("2026-01-15T12:00:16.000Z"));
}

TEST_F(Scte35IntakeTest, BreaksBeforeTheRetiredHorizonAreIgnored) {
  Scte35Intake intake(Options(), &stats_);
  StagedBreaks s;
  auto p = intake.Parse(Reload("early_cue_in", 0));
  ASSERT_TRUE(p.ok());
  intake.Observe(**p, &s, kNow, Iso("2026-01-15T12:00:18.000Z"));
  EXPECT_TRUE(s.records.empty());
}

TEST_F(Scte35IntakeTest, RollbackMakesTheEventsComeAgain) {
  Scte35Intake intake(Options(), &stats_);
  auto p = intake.Parse(Reload("early_cue_in", 0));
  ASSERT_TRUE(p.ok());
  StagedBreaks refused;
  cues::Normalizer saved = intake.Observe(**p, &refused, kNow, std::nullopt);
  ASSERT_EQ(refused.created.size(), 1u);
  intake.Rollback(std::move(saved));  // the durable write failed
  StagedBreaks again;
  intake.Observe(**p, &again, kNow, std::nullopt);
  EXPECT_EQ(again.created, refused.created);
  StagedBreaks third;  // not rolled back: already seen
  intake.Observe(**p, &third, kNow, std::nullopt);
  EXPECT_TRUE(third.created.empty());
}

TEST_F(Scte35IntakeTest, IsRepeatOnlyForTheReloadTakenLastWithNoRollbackOrReset) {
  Scte35Intake intake(Options(), &stats_);
  auto p0 = intake.Parse(Reload("early_cue_in", 0));
  ASSERT_TRUE(p0.ok());
  EXPECT_FALSE(intake.IsRepeat(**p0));  // not taken yet
  StagedBreaks s;
  cues::Normalizer saved = intake.Observe(**p0, &s, kNow, std::nullopt);
  auto again = intake.Parse(Reload("early_cue_in", 0));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(intake.IsRepeat(**again));  // the same text parses to the same playlist
  const hls::MediaPlaylist copy = **p0;
  EXPECT_FALSE(intake.IsRepeat(copy));  // another playlist, even an equal one
  intake.Rollback(std::move(saved));
  EXPECT_FALSE(intake.IsRepeat(**p0));
  intake.Observe(**p0, &s, kNow, std::nullopt);
  EXPECT_TRUE(intake.IsRepeat(**p0));
  auto p1 = intake.Parse(Reload("early_cue_in", 1));
  ASSERT_TRUE(p1.ok());
  EXPECT_FALSE(intake.IsRepeat(**p1));
  intake.Observe(**p1, &s, kNow, std::nullopt);
  EXPECT_TRUE(intake.IsRepeat(**p1));
  intake.Reset();
  EXPECT_FALSE(intake.IsRepeat(**p1));
  Scte35Intake::Options defect = Options();
  defect.defect_no_cue_dedupe = true;  // resets the normalizer every reload: never a repeat
  Scte35Intake resetting(defect, &stats_);
  auto d = resetting.Parse(Reload("early_cue_in", 0));
  ASSERT_TRUE(d.ok());
  StagedBreaks ds;
  resetting.Observe(**d, &ds, kNow, std::nullopt);
  EXPECT_FALSE(resetting.IsRepeat(**d));
}

// What the coordinator's skip rests on (coordinator.cc ObserveText): observing a repeat changes
// nothing, now or later. Every fixture stream, each reload observed once by one intake and
// twice by another: the repeat makes no event, and the two agree on every reload after.
TEST_F(Scte35IntakeTest, ObservingARepeatChangesNothing) {
  for (const char* stream : {"adobe_cue", "cancelled_splice", "cue_out_bare_with_cont", "cue_out_colon",
                             "cue_out_cont_only", "cue_out_duration", "cue_repeated_every_segment", "daterange_scte35",
                             "early_cue_in", "ext_x_scte35", "missing_cue_in", "no_pdt", "oatcls_scte35", "pts_wrap",
                             "splicepoint_scte35", "time_signal_segmentation"}) {
    SCOPED_TRACE(stream);
    CoordinatorStats once_stats, twice_stats;
    Scte35Intake once(Options(), &once_stats), twice(Options(), &twice_stats);
    StagedBreaks a, b;
    int reloads = 0;
    for (int i = 0;; ++i) {
      char name[16];
      std::snprintf(name, sizeof(name), "%03d.m3u8", i);
      std::ifstream in(std::string("fixtures/streams/") + stream + "/" + name, std::ios::binary);
      if (!in.good()) break;
      std::stringstream ss;
      ss << in.rdbuf();
      auto pa = once.Parse(ss.str());
      auto pb = twice.Parse(ss.str());
      if (!pa.ok()) continue;
      ASSERT_TRUE(pb.ok());
      ++reloads;
      const UnixMicros now = kNow + i * kMicrosPerSecond;
      once.Observe(**pa, &a, now, std::nullopt);
      twice.Observe(**pb, &b, now, std::nullopt);
      EXPECT_TRUE(twice.IsRepeat(**twice.Parse(ss.str())));
      const BreakRecords before = b.records;
      const size_t created = b.created.size();
      twice.Observe(**pb, &b, now + kMicrosPerSecond / 2, std::nullopt);  // the repeat
      EXPECT_EQ(b.created.size(), created) << "reload " << i;
      EXPECT_EQ(b.records, before) << "reload " << i;
      EXPECT_EQ(a.records, b.records) << "reload " << i;
      EXPECT_EQ(a.alias, b.alias) << "reload " << i;
    }
    EXPECT_GT(reloads, 1);
    EXPECT_EQ(once_stats.duplicate_cues, twice_stats.duplicate_cues);
  }
}

TEST_F(Scte35IntakeTest, ParseRemembersTheLastTextAndRefusesGarbage) {
  Scte35Intake intake(Options(), &stats_);
  const std::string text = Reload("early_cue_in", 0);
  auto a = intake.Parse(text);
  auto b = intake.Parse(text);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->get(), b->get());  // parsed once
  EXPECT_FALSE(intake.Parse("not a playlist").ok());
  auto c = intake.Parse(text);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->get(), a->get());  // garbage did not replace it
}

}  // namespace
}  // namespace ssai
