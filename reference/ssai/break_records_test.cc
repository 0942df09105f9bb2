#include "reference/ssai/break_records.h"

#include <gtest/gtest.h>

namespace ssai {
namespace {

constexpr UnixMicros kT0 = 1'700'000'000LL * kMicrosPerSecond;

BreakRecord Break(const std::string& id, int64_t seq, UnixMicros start, DurationMicros length) {
  BreakRecord r;
  r.seq = seq;
  r.state.event_id = id;
  r.state.start_time = start;
  r.state.end_time = start + length;
  r.state.duration_s = MicrosToSeconds(length);
  return r;
}

TEST(BreakRecordsTest, FloorMillisAndFloorDivRoundTowardsMinusInfinity) {
  EXPECT_EQ(FloorMillis(1'234'567), 1'234'000);
  EXPECT_EQ(FloorMillis(-1), -1000);
  EXPECT_EQ(FloorMillis(-1000), -1000);
  EXPECT_EQ(FloorDiv(7, 2), 3);
  EXPECT_EQ(FloorDiv(-7, 2), -4);
  EXPECT_EQ(FloorDiv(-8, 2), -4);
}

TEST(BreakRecordsTest, ALaterBreakCutsTheOneBeforeItShort) {
  StagedBreaks s;
  s.records["a"] = Break("a", 1, kT0, 60 * kMicrosPerSecond);
  s.records["b"] = Break("b", 2, kT0 + 20 * kMicrosPerSecond, 30 * kMicrosPerSecond);
  ResolveOverlaps(&s);
  EXPECT_EQ(s.records["a"].state.end_time, kT0 + 20 * kMicrosPerSecond);
  EXPECT_DOUBLE_EQ(s.records["a"].state.duration_s, 20);
  EXPECT_FALSE(s.records["a"].cancelled);
  EXPECT_EQ(s.records["b"].state.end_time, kT0 + 50 * kMicrosPerSecond);
  EXPECT_EQ(s.cancelled, 0);
}

TEST(BreakRecordsTest, TheLaterAcceptedOfTwoBreaksWithOneStartWins) {
  StagedBreaks s;
  s.records["z"] = Break("z", 1, kT0, 30 * kMicrosPerSecond);
  s.records["a"] = Break("a", 2, kT0, 30 * kMicrosPerSecond);  // accepted later, sorts first by id
  ResolveOverlaps(&s);
  EXPECT_TRUE(s.records["z"].cancelled);
  EXPECT_FALSE(s.records["a"].cancelled);
  EXPECT_EQ(s.cancelled, 1);
}

TEST(BreakRecordsTest, CancelledBreaksNeitherCutNorGetCut) {
  StagedBreaks s;
  s.records["a"] = Break("a", 1, kT0, 60 * kMicrosPerSecond);
  s.records["b"] = Break("b", 2, kT0 + 10 * kMicrosPerSecond, 10 * kMicrosPerSecond);
  s.records["b"].cancelled = true;
  ResolveOverlaps(&s);
  EXPECT_EQ(s.records["a"].state.end_time, kT0 + 60 * kMicrosPerSecond);
}

TEST(BreakRecordsTest, HasOverlapsSaysWhetherResolveOverlapsWouldChangeAnything) {
  StagedBreaks s;
  s.records["a"] = Break("a", 1, kT0, 20 * kMicrosPerSecond);
  s.records["b"] = Break("b", 2, kT0 + 20 * kMicrosPerSecond, 30 * kMicrosPerSecond);  // starts as a ends
  EXPECT_FALSE(HasOverlaps(s.records));
  s.records["c"] = Break("c", 3, kT0 + 40 * kMicrosPerSecond, 30 * kMicrosPerSecond);  // inside b
  EXPECT_TRUE(HasOverlaps(s.records));
  s.records["c"].cancelled = true;  // a cancelled break overlaps nothing
  EXPECT_FALSE(HasOverlaps(s.records));
  s.records["c"].cancelled = false;
  const BreakRecords before = s.records;
  ResolveOverlaps(&s);
  EXPECT_NE(s.records, before);
  EXPECT_FALSE(HasOverlaps(s.records));  // resolved: nothing left to change
  const BreakRecords resolved = s.records;
  ResolveOverlaps(&s);
  EXPECT_EQ(s.records, resolved);
}

TEST(BreakRecordsTest, SortedByStartThenAcceptance) {
  BreakRecords recs;
  recs["x"] = Break("x", 3, kT0 + 5, 10);
  recs["y"] = Break("y", 2, kT0, 10);
  recs["w"] = Break("w", 1, kT0, 10);
  std::vector<const BreakRecord*> v = SortedByStart(recs);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0]->state.event_id, "w");
  EXPECT_EQ(v[1]->state.event_id, "y");
  EXPECT_EQ(v[2]->state.event_id, "x");
}

TEST(BreakRecordsTest, SetBreakEndMakesTheDurationKnown) {
  BreakRecord r = Break("a", 1, kT0, 60 * kMicrosPerSecond);
  r.duration_known = false;
  SetBreakEnd(&r, kT0 + 12'500'000);
  EXPECT_TRUE(r.duration_known);
  EXPECT_DOUBLE_EQ(r.state.duration_s, 12.5);
}

}  // namespace
}  // namespace ssai
