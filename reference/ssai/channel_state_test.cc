#include "reference/ssai/channel_state.h"

#include <gtest/gtest.h>

namespace ssai {
namespace {

AdBreakState Break(const char* id, const char* start, double duration_s, int64_t before) {
  AdBreakState b;
  b.channel_id = "ch_demo_sports";
  b.event_id = id;
  b.source = BreakSource::kScte35;
  b.start_time = *ParseIso8601(start);
  b.duration_s = duration_s;
  b.end_time = b.start_time + SecondsToMicros(duration_s);
  b.created_at = b.start_time - 4 * kMicrosPerSecond;
  b.decision.pod_id = "pod";
  b.discontinuities_before = before;
  return b;
}

TEST(ChannelStateTest, RoundTripAndActive) {
  ChannelState s;
  s.channel_id = "ch_demo_sports";
  s.version = 7;
  s.updated_at = *ParseIso8601("2026-01-01T00:10:00.000Z");
  s.breaks = {Break("1", "2026-01-01T00:05:00.000Z", 30, 4), Break("2", "2026-01-01T00:10:00.000Z", 60, 6)};
  s.discontinuities_total = 8;
  EXPECT_EQ(ChannelStateKey(s.channel_id), "chstate:ch_demo_sports");
  Result<ChannelState> back = ParseChannelState(SerializeChannelState(s));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, s);
  EXPECT_EQ(s.DiscontinuitiesBeforeFirst(), 4);
  EXPECT_EQ(s.ActiveAt(*ParseIso8601("2026-01-01T00:05:29.999Z"))->event_id, "1");
  EXPECT_EQ(s.ActiveAt(*ParseIso8601("2026-01-01T00:05:30.000Z")), nullptr);
  EXPECT_EQ(s.ActiveAt(*ParseIso8601("2026-01-01T00:10:30.000Z"))->event_id, "2");
  s.breaks.clear();
  EXPECT_EQ(s.DiscontinuitiesBeforeFirst(), 8);
}

TEST(ChannelStateTest, ErrorsNameTheNestedField) {
  ChannelState s;
  s.channel_id = "c";
  s.breaks = {Break("1", "2026-01-01T00:05:00.000Z", 30, 0)};
  std::string doc = SerializeChannelState(s);
  doc.replace(doc.find(R"("duration":30)"), 13, R"("duration":-1)");
  Result<ChannelState> r = ParseChannelState(doc);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("breaks[0].duration: must be > 0"), std::string::npos)
      << r.status().message();
  EXPECT_FALSE(ParseChannelState(R"({"channelId":"c"})").ok());
  EXPECT_FALSE(ParseChannelState("nope").ok());
}

// A POP's stale copy of a break stopped early (planned 30 s) next to the fresh key of the break
// after it: the later start ends the earlier break; the same start keeps the one read later.
TEST(ChannelStateTest, SortAndEndOverlapsLetsTheLaterStartWin) {
  std::vector<AdBreakState> breaks = {Break("next", "2026-01-01T00:05:10.000Z", 8, 2),
                                      Break("stale", "2026-01-01T00:05:00.000Z", 30, 0)};
  SortAndEndOverlaps(&breaks);
  ASSERT_EQ(breaks.size(), 2u);
  EXPECT_EQ(breaks[0].event_id, "stale");
  EXPECT_EQ(breaks[0].end_time, breaks[1].start_time);
  EXPECT_EQ(breaks[0].duration_s, 10);
  EXPECT_EQ(breaks[1].event_id, "next");
  EXPECT_EQ(breaks[1].duration_s, 8);

  std::vector<AdBreakState> same = {Break("a", "2026-01-01T00:05:00.000Z", 30, 0),
                                    Break("b", "2026-01-01T00:05:00.000Z", 20, 0)};
  SortAndEndOverlaps(&same);
  ASSERT_EQ(same.size(), 1u);
  EXPECT_EQ(same[0].event_id, "b");
}

}  // namespace
}  // namespace ssai
