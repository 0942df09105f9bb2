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
