#include "reference/ssai/beacons.h"

#include <gtest/gtest.h>

namespace ssai {
namespace {

constexpr UnixMicros kT0 = 1'767'225'600'000'000;  // 2026-01-01

AdItem Creative(std::string id, double duration_s) {
  AdItem item;
  item.id = id;
  item.duration_s = duration_s;
  item.segment_duration_s = 2;
  for (std::string_view e : kBeaconEvents) item.tracking[std::string(e)] = {"http://ads/" + id + "/" + std::string(e)};
  return item;
}

AdBreakState Break(std::vector<AdItem> items) {
  AdBreakState b;
  b.event_id = "e1";
  b.decision.items = std::move(items);
  return b;
}

// Creative `c`'s segments of `seg_s` from `start`, as the splicer lays them out (last shorter).
std::vector<PodSegmentRef> Segments(int c, UnixMicros start, double duration_s, double seg_s, double cut_at_s = 1e9) {
  std::vector<PodSegmentRef> out;
  for (double o = 0; o < duration_s - 1e-6 && o < cut_at_s - 1e-6; o += seg_s) {
    const double len = std::min({seg_s, duration_s - o, cut_at_s - o});
    out.push_back({"e1", c, start + SecondsToMicros(o), SecondsToMicros(len), SecondsToMicros(o),
                   cut_at_s < duration_s && o + len >= cut_at_s - 1e-6});
  }
  return out;
}

std::vector<std::string> Events(const std::vector<Beacon>& bs) {
  std::vector<std::string> out;
  for (const Beacon& b : bs) out.push_back(b.ad_id + ":" + b.event);
  return out;
}

std::span<const PodSegmentRef> First(const std::vector<PodSegmentRef>& v, size_t n) {
  return std::span<const PodSegmentRef>(v).first(n);
}

TEST(BeaconTrackerTest, QuartilesFireOnceEachWithTheSegmentsThatReachThem) {
  // 7.5 s at 2 s: [0,2) [2,4) [4,6) [6,7.5); quartiles at 1.875, 3.75, 5.625.
  const std::vector<AdBreakState> breaks = {Break({Creative("a", 7.5)})};
  const std::vector<PodSegmentRef> segs = Segments(0, kT0, 7.5, 2);
  BeaconTracker t;
  // The first playlist ends 6 s after the creative's first segment: the player starts at
  // end - 3 x 2 s = the creative's start.
  auto got = t.OnPlaylist("s1", kT0, kT0 + 6'000'000, 2, First(segs, 1), breaks);
  EXPECT_EQ(Events(got), (std::vector<std::string>{"a:impression", "a:start", "a:firstQuartile"}));
  EXPECT_EQ(got[0].url, "http://ads/a/impression");
  EXPECT_EQ(got[0].session, "s1");
  EXPECT_TRUE(t.OnPlaylist("s1", kT0 + 2'000'000, kT0 + 8'000'000, 2, First(segs, 1), breaks).empty());
  EXPECT_EQ(Events(t.OnPlaylist("s1", kT0 + 4'000'000, kT0 + 10'000'000, 2, First(segs, 2), breaks)),
            std::vector<std::string>{"a:midpoint"});
  EXPECT_EQ(Events(t.OnPlaylist("s1", kT0 + 6'000'000, kT0 + 12'000'000, 2, segs, breaks)),
            (std::vector<std::string>{"a:thirdQuartile", "a:complete"}));
  EXPECT_TRUE(t.OnPlaylist("s1", kT0 + 8'000'000, kT0 + 14'000'000, 2, segs, breaks).empty());
  // Another session gets its own.
  EXPECT_EQ(t.OnPlaylist("s2", kT0 + 8'000'000, kT0 + 9'500'000, 2, segs, breaks).size(), 0u)
      << "joined 3.5 s into the creative: its first segment was never played";
  EXPECT_EQ(t.sessions(), 2u);
}

TEST(BeaconTrackerTest, ASessionThatJoinedMidCreativeFiresNothingForIt) {
  const std::vector<AdBreakState> breaks = {Break({Creative("a", 8), Creative("b", 4)})};
  std::vector<PodSegmentRef> segs = Segments(0, kT0, 8, 2);
  for (const PodSegmentRef& s : Segments(1, kT0 + 8'000'000, 4, 2)) segs.push_back(s);
  BeaconTracker t;
  // Window ends at 8 s: the player starts at 2 s, into creative a.
  EXPECT_TRUE(t.OnPlaylist("s", kT0, kT0 + 8'000'000, 2, First(segs, 4), breaks).empty());
  // b starts after the join point: it fires; a never does, even when listed again.
  EXPECT_EQ(Events(t.OnPlaylist("s", kT0 + 2'000'000, kT0 + 12'000'000, 2, segs, breaks)),
            (std::vector<std::string>{"b:impression", "b:start", "b:firstQuartile", "b:midpoint",
                                      "b:thirdQuartile", "b:complete"}));
}

// Found by the conformance suite (kv-stateless, far POP): an edge that learns of a break late lists
// the pod's first segment already 6 s behind the live edge; a session that has been watching since
// before the break joined at its first playlist (no ads in it), so the impression still fires.
TEST(BeaconTrackerTest, ASessionJoinsAtItsFirstPlaylistEvenWithoutAds) {
  const std::vector<AdBreakState> breaks = {Break({Creative("a", 8)})};
  const std::vector<PodSegmentRef> segs = Segments(0, kT0, 8, 2);
  BeaconTracker t;
  EXPECT_TRUE(t.OnPlaylist("s", kT0 - 10'000'000, kT0 - 4'000'000, 2, {}, breaks).empty());
  EXPECT_EQ(Events(t.OnPlaylist("s", kT0 + 8'000'000, kT0 + 12'000'000, 2, segs, breaks)),
            (std::vector<std::string>{"a:impression", "a:start", "a:firstQuartile", "a:midpoint", "a:thirdQuartile",
                                      "a:complete"}));
  // A session whose first playlist is this late one joined 6 s behind its end: nothing for a.
  EXPECT_TRUE(t.OnPlaylist("late", kT0 + 8'000'000, kT0 + 12'000'000, 2, segs, breaks).empty());
}

TEST(BeaconTrackerTest, ACreativeCutByTheBreakEndNeverCompletes) {
  const std::vector<AdBreakState> breaks = {Break({Creative("a", 10)})};
  const std::vector<PodSegmentRef> segs = Segments(0, kT0, 10, 2, /*cut_at_s=*/7);  // 2 2 2 1(cut)
  ASSERT_TRUE(segs.back().cut);
  BeaconTracker t;
  EXPECT_EQ(Events(t.OnPlaylist("s", kT0, kT0 + 6'000'000, 2, segs, breaks)),
            (std::vector<std::string>{"a:impression", "a:start", "a:firstQuartile", "a:midpoint"}))
      << "thirdQuartile (7.5 s) lies past the cut at 7 s";
}

TEST(BeaconTrackerTest, SessionsAreBoundedAndExpire) {
  const std::vector<AdBreakState> breaks = {Break({Creative("a", 2)})};
  const std::vector<PodSegmentRef> segs = Segments(0, kT0, 2, 2);
  BeaconTrackerOptions o;
  o.max_sessions = 1;
  BeaconTracker t(o);
  EXPECT_EQ(t.OnPlaylist("s1", kT0, kT0 + 2'000'000, 2, segs, breaks).size(), 6u);
  EXPECT_TRUE(t.OnPlaylist("s2", kT0, kT0 + 2'000'000, 2, segs, breaks).empty());
  EXPECT_EQ(t.stats().sessions_refused, 1);
  // s1 idle past session_idle_us: s2 takes its place.
  const UnixMicros later = kT0 + o.session_idle_us + kMicrosPerSecond;
  EXPECT_EQ(t.OnPlaylist("s2", later, kT0 + 2'000'000, 2, segs, breaks).size(), 6u);
  EXPECT_EQ(t.sessions(), 1u);
  EXPECT_EQ(t.stats().sessions_expired, 1);
}

TEST(BeaconTrackerTest, OnDecisionFiresEverythingAtOnce) {
  const std::vector<AdBreakState> breaks = {Break({Creative("a", 8), Creative("b", 8)})};
  const std::vector<PodSegmentRef> segs = Segments(0, kT0, 8, 2);
  BeaconTracker t;
  EXPECT_EQ(t.OnDecision("s", kT0, First(segs, 1), breaks).size(), 12u);
  EXPECT_TRUE(t.OnDecision("s", kT0, First(segs, 1), breaks).empty());
}

TEST(BeaconTrackerTest, SessionIds) {
  EXPECT_TRUE(IsValidSessionId("abc-DEF_1.2"));
  EXPECT_FALSE(IsValidSessionId(""));
  EXPECT_FALSE(IsValidSessionId(std::string(65, 'a')));
  EXPECT_FALSE(IsValidSessionId("a/b"));
  EXPECT_FALSE(IsValidSessionId("a b"));
}

}  // namespace
}  // namespace ssai
