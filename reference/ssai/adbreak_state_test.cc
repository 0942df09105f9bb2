#include "reference/ssai/adbreak_state.h"

#include <gtest/gtest.h>

namespace ssai {
namespace {

// The KV value from the seed's PHASE1_COMPLETE.md, verbatim.
constexpr char kSeedExample[] = R"({
  "channelId": "ch_demo_sports",
  "eventId": "manual_ch_demo_sports_1762233694",
  "source": "manual",
  "startTime": "2025-11-04T05:21:34.000Z",
  "duration": 45,
  "endTime": "2025-11-04T05:22:19.000Z",
  "decision": {
    "podId": "final-test",
    "items": []
  },
  "createdAt": "2025-11-04T05:21:34.000Z"
})";

TEST(AdBreakStateTest, SeedExampleParses) {
  Result<AdBreakState> s = ParseAdBreakState(kSeedExample);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->channel_id, "ch_demo_sports");
  EXPECT_EQ(s->event_id, "manual_ch_demo_sports_1762233694");
  EXPECT_EQ(s->source, BreakSource::kManual);
  EXPECT_EQ(s->start_time, 1762233694LL * kMicrosPerSecond);
  EXPECT_EQ(s->duration_s, 45);
  EXPECT_EQ(s->end_time, s->start_time + 45 * kMicrosPerSecond);
  EXPECT_EQ(s->decision.pod_id, "final-test");
  EXPECT_TRUE(s->decision.items.empty());
  EXPECT_FALSE(s->scte35_data.has_value());
  // The seed's key and TTL: the listed key expired at 1762233800 = write time + 105 s.
  EXPECT_EQ(AdBreakKey(s->channel_id, s->event_id),
            "adbreak:ch_demo_sports:manual_ch_demo_sports_1762233694");
  EXPECT_EQ(AdBreakTtlSeconds(s->duration_s), 105);
}

TEST(AdBreakStateTest, SerializesInTheSeedsShape) {
  AdBreakState s = *ParseAdBreakState(kSeedExample);
  EXPECT_EQ(SerializeAdBreakState(s),
            R"({"channelId":"ch_demo_sports","eventId":"manual_ch_demo_sports_1762233694",)"
            R"("source":"manual","startTime":"2025-11-04T05:21:34.000Z","duration":45,)"
            R"("endTime":"2025-11-04T05:22:19.000Z","decision":{"podId":"final-test","items":[]},)"
            R"("createdAt":"2025-11-04T05:21:34.000Z"})");
}

TEST(AdBreakStateTest, RoundTripWithItemsAndScte35) {
  AdBreakState s;
  s.channel_id = "ch1";
  s.event_id = "scte35_1207959695";
  s.source = BreakSource::kScte35;
  s.start_time = *ParseIso8601("2026-01-01T00:00:00.000Z");
  s.duration_s = 30.5;
  s.end_time = s.start_time + SecondsToMicros(30.5);
  s.created_at = s.start_time - 2 * kMicrosPerSecond;
  s.decision.pod_id = "pod-7";
  s.decision.items.push_back({"ad-a", 15, {{800000, "https://ads/a/800k.m3u8"}, {2500000, "https://ads/a/2500k.m3u8"}}});
  s.decision.items.push_back({"ad-b", 15.5, {{800000, "https://ads/b/800k.m3u8"}}});
  s.decision.items[1].tracking["impression"] = {"https://t/imp?ad=b", "https://wrapper/imp"};
  s.decision.items[1].tracking["complete"] = {"https://t/c?ad=b"};
  s.scte35_data = Scte35Data{"2026-01-01T00:00:00.000Z", "splice_insert", "1207959695", 2};
  s.discontinuities_before = 6;
  ASSERT_TRUE(Validate(s).ok()) << Validate(s).ToString();
  Result<AdBreakState> back = ParseAdBreakState(SerializeAdBreakState(s));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, s);
  EXPECT_DOUBLE_EQ(back->decision.TotalDurationSeconds(), 30.5);
  EXPECT_EQ(AdBreakTtlSeconds(30.5), 90);
}

// Found by ssai_json_fuzzer: sub-millisecond digits broke the round trip.
TEST(AdBreakStateTest, TimesAreMilliseconds) {
  std::string doc = kSeedExample;
  doc.replace(doc.find("05:21:34.000Z\",\n  \"duration"), 13, "05:21:34.0002Z");
  Result<AdBreakState> s = ParseAdBreakState(doc);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->start_time, 1762233694LL * kMicrosPerSecond);
  EXPECT_EQ(*ParseAdBreakState(SerializeAdBreakState(*s)), *s);
}

TEST(AdBreakStateTest, ActiveIsHalfOpen) {
  AdBreakState s = *ParseAdBreakState(kSeedExample);
  EXPECT_FALSE(s.IsActiveAt(s.start_time - 1));
  EXPECT_TRUE(s.IsActiveAt(s.start_time));
  EXPECT_TRUE(s.IsActiveAt(s.end_time - 1));
  EXPECT_FALSE(s.IsActiveAt(s.end_time));
}

struct BadCase {
  const char* find;
  const char* replace;
  const char* expected_message;
};

TEST(AdBreakStateTest, ErrorsNameTheField) {
  const BadCase cases[] = {
      {R"("duration": 45)", R"("duration": "45")", "duration: must be a number, got string"},
      {R"("duration": 45)", R"("duration": 0)", "duration: must be > 0"},
      {R"("duration": 45)", R"("duration": 3601)", "duration: must be > 0"},
      {R"("source": "manual")", R"("source": "cron")", "source: 'cron' is not one of"},
      {R"("startTime": "2025-11-04T05:21:34.000Z")", R"("startTime": "yesterday")", "startTime: date-time"},
      {R"("endTime": "2025-11-04T05:22:19.000Z")", R"("endTime": "2025-11-04T05:22:20.000Z")", "endTime: must equal startTime + duration"},
      {R"("channelId": "ch_demo_sports",)", "", "channelId: missing"},
      {R"("channelId": "ch_demo_sports")", R"("channelId": "a:b")", "channelId: must not contain ':'"},
      {R"("items": [])", R"("items": {})", "decision.items: must be an array"},
      {R"("items": [])", R"("items": [{"id": "x", "duration": -1, "variants": {}}])", "decision.items[0].duration: must be >= 0"},
      {R"("items": [])", R"("items": [{"id": "x", "duration": 5, "variants": {"fast": "u"}}])", R"(decision.items[0].variants["fast"]: key is not a bitrate)"},
      {R"("podId": "final-test",)", "", "decision.podId: missing"},
      {R"("items": [])", R"("items": [{"id": "x", "duration": 5, "variants": {}, "tracking": {"click": ["u"]}}])", "decision.items[0].tracking.click: not one of impression"},
      {R"("items": [])", R"("items": [{"id": "x", "duration": 5, "variants": {}, "tracking": {"start": "u"}}])", "decision.items[0].tracking.start: must be an array"},
      {R"("items": [])", R"("items": [{"id": "x", "duration": 5, "variants": {}, "tracking": {"start": [""]}}])", "decision.items[0].tracking.start: URL must be 1..2048 bytes"},
      {R"("createdAt")", R"("discontinuitiesBefore": -2, "createdAt")", "discontinuitiesBefore: must be an integer >= 0"},
  };
  for (const BadCase& c : cases) {
    std::string doc = kSeedExample;
    size_t at = doc.find(c.find);
    ASSERT_NE(at, std::string::npos) << c.find;
    doc.replace(at, std::string(c.find).size(), c.replace);
    Result<AdBreakState> r = ParseAdBreakState(doc);
    ASSERT_FALSE(r.ok()) << doc;
    EXPECT_NE(r.status().message().find(c.expected_message), std::string::npos)
        << "got: " << r.status().message() << "\nwant: " << c.expected_message;
  }
}

TEST(AdBreakStateTest, MalformedJsonSaysWhere) {
  Result<AdBreakState> r = ParseAdBreakState(R"({"channelId": "x",)");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("AdBreakState JSON"), std::string::npos);
  EXPECT_FALSE(ParseAdBreakState("[]").ok());
  EXPECT_FALSE(ParseAdBreakState("").ok());
}

}  // namespace
}  // namespace ssai
