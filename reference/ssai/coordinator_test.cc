#include "reference/ssai/coordinator.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "reference/base/encoding.h"
#include "reference/media/scte35/splice_info_section.h"
#include "reference/ssai/testing/fake_env.h"

namespace ssai {
namespace {

using testing::FakeDecision;
using testing::FakeDurableStore;
using testing::FakeKvStore;
using testing::FakeOrigin;
using testing::ManualScheduler;

constexpr UnixMicros kT0 = 1'700'000'000LL * kMicrosPerSecond;
constexpr const char* kOriginUrl = "https://origin.test/sports/v720.m3u8";
constexpr const char* kBreakPrefix = "adbreak:ch_demo_sports:";

UnixMicros Iso(const char* text) { return *ParseIso8601(text); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path << " (tests run from the repository root)";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Reload(const std::string& stream, int n) {
  char name[16];
  std::snprintf(name, sizeof(name), "%03d.m3u8", n);
  return ReadFile("fixtures/streams/" + stream + "/" + name);
}

ChannelConfig Config() {
  ChannelConfig c;
  c.org = "demo";
  c.channel = "sports";
  c.origin_master_url = "https://origin.test/sports/master.m3u8";
  c.renditions = {{"v720", 2'000'000, kOriginUrl}};
  c.default_pod_id = "default-pod";
  return c;
}

AdDecision TwoAds() {
  AdDecision d;
  d.pod_id = "pod-7";
  d.items = {{"ad1", 15, {{800000, "https://ads.test/ad1/800k.m3u8"}}},
             {"ad2", 30, {{800000, "https://ads.test/ad2/800k.m3u8"}}}};
  return d;
}

CueRequest Cue45(std::string pod = "test") { return {"demo", "sports", 45, std::move(pod), CueAction::kStart, ""}; }

// The fakes on one manual clock, and a coordinator over them.
class CoordinatorTest : public ::testing::Test {
 protected:
  explicit CoordinatorTest(UnixMicros start = kT0) : sched_(start) {}

  CoordinatorEnv Env(FakeKvStore* kv = nullptr) {
    return {&sched_, kv ? kv : &kv_, &durable_, &origin_, &decision_};
  }

  std::unique_ptr<Coordinator> Make(CoordinatorOptions options = {}, FakeKvStore* kv = nullptr) {
    auto c = std::make_unique<Coordinator>(Config(), Env(kv), options);
    std::optional<Status> started;
    c->Start([&](Status s) { started = s; });
    sched_.RunDue();
    EXPECT_TRUE(started.has_value());
    if (started) {
      EXPECT_TRUE(started->ok()) << started->ToString();
    }
    return c;
  }

  // Runs a cue to completion (advancing the clock until it answers, at most `limit`).
  Result<CueResult> CueNow(Coordinator* c, const CueRequest& r,
                           DurationMicros limit = 10 * kMicrosPerSecond) {
    std::optional<Result<CueResult>> got;
    c->Cue(r, [&](Result<CueResult> res) { got = std::move(res); });
    const UnixMicros until = sched_.Now() + limit;
    while (!got && sched_.Now() < until) sched_.AdvanceBy(1000);
    EXPECT_TRUE(got.has_value()) << "cue not answered";
    if (!got) return Status::Internal("no answer");
    return *got;
  }

  Status Observe(Coordinator* c, const std::string& text) {
    std::optional<Status> got;
    c->ObserveOrigin(text, [&](Status s) { got = s; });
    sched_.RunDue();
    EXPECT_TRUE(got.has_value());
    return got.value_or(Status::Internal("no answer"));
  }

  ChannelState GetState(Coordinator* c) {
    std::optional<Result<ChannelState>> got;
    c->GetChannelState([&](Result<ChannelState> s) { got = std::move(s); });
    sched_.RunDue();
    EXPECT_TRUE(got.has_value() && got->ok());
    return got && got->ok() ? got->value() : ChannelState{};
  }

  AdBreakState KvBreak(const std::string& event_id, FakeKvStore* kv = nullptr) {
    std::optional<std::string> v = (kv ? kv : &kv_)->Peek(kBreakPrefix + event_id);
    EXPECT_TRUE(v.has_value()) << "no KV key for " << event_id;
    if (!v) return {};
    Result<AdBreakState> s = ParseAdBreakState(*v);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : AdBreakState{};
  }

  int64_t KvTtlS(const std::string& key, UnixMicros written_at, FakeKvStore* kv = nullptr) {
    std::optional<UnixMicros> e = (kv ? kv : &kv_)->ExpiryOf(key);
    EXPECT_TRUE(e.has_value()) << key;
    return e ? (*e - written_at) / kMicrosPerSecond : -1;
  }

  ManualScheduler sched_;
  FakeKvStore kv_{&sched_};
  FakeDurableStore durable_{&sched_};
  FakeOrigin origin_{&sched_};
  FakeDecision decision_{&sched_};
};

// Fixture streams have PDTs on 2026-01-15; the coordinator's clock starts there.
class CoordinatorScte35Test : public CoordinatorTest {
 protected:
  CoordinatorScte35Test() : CoordinatorTest(Iso("2026-01-15T12:00:00.000Z")) {}
  // Moves the clock to the end of the reload's last segment (a live origin publishes it then).
  void AtLiveEdge(const std::string& text) {
    Result<hls::MediaPlaylist> p = hls::ParseMedia(text);
    ASSERT_TRUE(p.ok());
    const size_t last = p->segments().size() - 1;
    const UnixMicros end =
        *p->SegmentStartTime(last) + SecondsToMicros(p->segments()[last].duration_s());
    if (end > sched_.Now()) sched_.AdvanceTo(end);
  }
};

// ---------------------------------------------------------------------------------------------
// ParseCueRequest

TEST(ParseCueRequestTest, AcceptsTheSeedBody) {
  Result<CueRequest> r =
      ParseCueRequest(R"({"org":"demo","channel":"sports","duration":45,"pod_id":"test"})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->org, "demo");
  EXPECT_EQ(r->channel, "sports");
  EXPECT_EQ(r->duration_s, 45);
  EXPECT_EQ(r->pod_id, "test");
  r = ParseCueRequest(R"({"org":"demo","channel":"sports","duration":30.5})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->pod_id, "");
  r = ParseCueRequest(R"({"org":"demo","channel":"sports","duration":3600,"pod_id":null})");
  ASSERT_TRUE(r.ok()) << "3600 s is the limit, inclusive; null pod_id = absent";
  r = ParseCueRequest(R"({"org":"demo","channel":"sports","duration":1,"pod_id":")" +
                      std::string(kMaxPodIdLength, 'p') + "\"}");
  EXPECT_TRUE(r.ok()) << "128 characters are allowed";
}

TEST(ParseCueRequestTest, EachBadFieldIsNamed) {
  const std::string long_pod(kMaxPodIdLength + 1, 'p');
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"channel":"sports","duration":45})", "org: missing"},
      {R"({"org":7,"channel":"sports","duration":45})", "org: must be a string, got number"},
      {R"({"org":"de/mo","channel":"sports","duration":45})",
       "org: must match [A-Za-z0-9_-]{1,64}, got 'de/mo'"},
      {R"({"org":"","channel":"sports","duration":45})", "org: must not be empty"},
      {R"({"org":"demo","duration":45})", "channel: missing"},
      {R"({"org":"demo","channel":"../x","duration":45})",
       "channel: must match [A-Za-z0-9_-]{1,64}, got '../x'"},
      {R"({"org":"demo","channel":"sports"})", "duration: missing"},
      {R"({"org":"demo","channel":"sports","duration":"45"})",
       "duration: must be a number, got string"},
      {R"({"org":"demo","channel":"sports","duration":true})",
       "duration: must be a number, got boolean"},
      {R"({"org":"demo","channel":"sports","duration":0})",
       "duration: must be > 0 and <= 3600 seconds, got 0"},
      {R"({"org":"demo","channel":"sports","duration":-5})",
       "duration: must be > 0 and <= 3600 seconds, got -5"},
      {R"({"org":"demo","channel":"sports","duration":3600.5})",
       "duration: must be > 0 and <= 3600 seconds, got 3600.5"},
      {R"({"org":"demo","channel":"sports","duration":45,"pod_id":7})",
       "pod_id: must be a string, got number"},
      {R"({"org":"demo","channel":"sports","duration":45,"pod_id":")" + long_pod + "\"}",
       "pod_id: longer than 128 characters (129)"},
      {R"({"org":"demo","channel":"sports","durration":45})",
       "unknown field 'durration' (allowed: org, channel, duration, pod_id, action, event_id)"},
      {R"({"org":"demo","channel":"sports","action":"pause"})", "action: must be \"start\" or \"stop\", got 'pause'"},
      {R"({"org":"demo","channel":"sports","action":"stop","duration":30})",
       "duration: not allowed with action \"stop\""},
      {R"({"org":"demo","channel":"sports","action":"stop","event_id":"a b"})",
       "event_id: must be printable ASCII without spaces"},
      {R"({"org":"demo","channel":"sports","duration":45,"event_id":"x"})", "event_id: only with action \"stop\""},
      {R"(["demo"])", "cue request JSON: must be an object"},
  };
  for (const auto& [body, message] : cases) {
    Result<CueRequest> r = ParseCueRequest(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << body;
    EXPECT_EQ(r.status().message(), message) << body;
  }
  Result<CueRequest> r = ParseCueRequest(R"({"org":"demo",)");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind("cue request JSON: ", 0), 0u) << r.status().message();

  std::string big = R"({"org":"demo","channel":"sports","duration":45,"pod_id":")" +
                    std::string(kMaxCueBodyBytes, 'x') + "\"}";
  r = ParseCueRequest(big);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "body: more than 65536 bytes");
}

TEST(ParseCueRequestTest, StopNeedsNoDurationAndMayNameTheBreak) {
  Result<CueRequest> r = ParseCueRequest(R"({"org":"demo","channel":"sports","action":"stop"})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->action, CueAction::kStop);
  EXPECT_EQ(r->event_id, "");
  r = ParseCueRequest(R"({"org":"demo","channel":"sports","action":"stop","event_id":"manual_ch_demo_sports_1"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->event_id, "manual_ch_demo_sports_1");
  r = ParseCueRequest(R"({"org":"demo","channel":"sports","duration":45,"action":"start"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->action, CueAction::kStart);
}

// ---------------------------------------------------------------------------------------------
// Manual cues

// Three 2 s segments ending at kT0: the origin grid has boundaries at kT0 + 2k s.
std::string ThreeSegmentsEndingAtT0() {
  return "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:10\n"
         "#EXT-X-PROGRAM-DATE-TIME:" + FormatIso8601Millis(kT0 - 6 * kMicrosPerSecond) + "\n"
         "#EXTINF:2.000,\ns10.ts\n#EXTINF:2.000,\ns11.ts\n#EXTINF:2.000,\ns12.ts\n";
}

CueRequest StopCue(std::string event_id = "") {
  CueRequest r{"demo", "sports", 0, "", CueAction::kStop, ""};
  r.action = CueAction::kStop;
  r.event_id = std::move(event_id);
  return r;
}

// Issue 16: a stop ends the playing break where a start would begin (here, without a lead, at
// receipt), durably and in KV; the next stop finds nothing to end.
TEST_F(CoordinatorTest, StopEndsThePlayingBreakDurablyAndInKv) {
  auto c = Make();
  ASSERT_TRUE(CueNow(c.get(), Cue45()).ok());
  const std::string id = "manual_ch_demo_sports_1700000000";
  sched_.AdvanceTo(kT0 + 20 * kMicrosPerSecond);
  Result<CueResult> stop = CueNow(c.get(), StopCue());
  ASSERT_TRUE(stop.ok()) << stop.status().ToString();
  EXPECT_FALSE(stop->cancelled);
  EXPECT_EQ(stop->state.event_id, id);
  EXPECT_EQ(stop->state.end_time, kT0 + 20 * kMicrosPerSecond);
  EXPECT_EQ(stop->state.duration_s, 20);
  EXPECT_TRUE(stop->kv_write.ok());
  EXPECT_EQ(KvBreak(id).end_time, kT0 + 20 * kMicrosPerSecond);
  EXPECT_NE(durable_.contents().at("ch_demo_sports:break:" + id).find("\"duration\":20"), std::string::npos);
  EXPECT_FALSE(GetState(c.get()).breaks.front().IsActiveAt(kT0 + 21 * kMicrosPerSecond));

  Result<CueResult> again = CueNow(c.get(), StopCue());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(again.status().message().find("no break playing or announced on channel ch_demo_sports"), std::string::npos);
  Result<CueResult> unknown = CueNow(c.get(), StopCue("nope"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(unknown.status().message(), "event_id: no break 'nope' on channel ch_demo_sports");
  // A new cue after the stop is a new break, not a duplicate of the stopped one.
  Result<CueResult> next = CueNow(c.get(), Cue45());
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->duplicate);
}

// With a lead the stop takes effect on the boundary a start would (the same notice to edges);
// a break announced ahead and stopped before it starts is cancelled.
TEST_F(CoordinatorTest, StopWithLeadEndsOnTheBoundaryAndCancelsAnUpcomingBreak) {
  CoordinatorOptions options;
  options.api_cue_lead_us = 1 * kMicrosPerSecond;
  auto c = Make(options);
  const std::string origin = ThreeSegmentsEndingAtT0();
  ASSERT_TRUE(Observe(c.get(), origin).ok());
  Result<CueResult> start = CueNow(c.get(), Cue45());
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(start->state.start_time, kT0 + 4 * kMicrosPerSecond);
  // Stopped at once: it would start at kT0 + 4 s, which is where the stop takes effect too.
  Result<CueResult> stop = CueNow(c.get(), StopCue(start->state.event_id));
  ASSERT_TRUE(stop.ok()) << stop.status().ToString();
  EXPECT_TRUE(stop->cancelled);
  EXPECT_TRUE(GetState(c.get()).breaks.empty());
  EXPECT_EQ(c->stats().breaks_cancelled, 1);

  // A second break, stopped while it plays (kT0 + 20.3 s): lead + target duration -> kT0 + 24 s.
  sched_.AdvanceTo(kT0 + 10 * kMicrosPerSecond);
  ASSERT_TRUE(Observe(c.get(), origin).ok());
  Result<CueResult> second = CueNow(c.get(), Cue45("other"));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->state.start_time, kT0 + 14 * kMicrosPerSecond);
  sched_.AdvanceTo(kT0 + 20 * kMicrosPerSecond + 300'000);
  Result<CueResult> stop2 = CueNow(c.get(), StopCue());
  ASSERT_TRUE(stop2.ok());
  EXPECT_FALSE(stop2->cancelled);
  EXPECT_EQ(stop2->state.event_id, second->state.event_id);
  EXPECT_EQ(stop2->state.end_time, kT0 + 24 * kMicrosPerSecond);
}

// R3 (conformance/matrix_test.cc): with api_cue_lead_us the break is announced ahead, on the
// first origin segment boundary at or after receipt + lead + one target duration, like an
// SCTE-35 splice_insert with a future splice_time; the body, the duration and the seed's event
// id (from the receipt time) are unchanged, and the ack carries the announced start.
TEST_F(CoordinatorTest, ApiCueLeadAnnouncesTheBreakOnASegmentBoundaryAhead) {
  CoordinatorOptions options;
  options.api_cue_lead_us = 1 * kMicrosPerSecond;
  auto c = Make(options);
  const std::string origin = ThreeSegmentsEndingAtT0();
  ASSERT_TRUE(Observe(c.get(), origin).ok());
  sched_.AdvanceBy(300'000);  // the cue arrives at kT0 + 0.3 s
  Result<CueResult> r = CueNow(c.get(), Cue45());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // kT0 + 0.3 + 1 (lead) + 2 (target duration) = kT0 + 3.3 -> the boundary at kT0 + 4 s.
  EXPECT_EQ(r->state.start_time, kT0 + 4 * kMicrosPerSecond);
  EXPECT_EQ(r->state.end_time, kT0 + 49 * kMicrosPerSecond);
  EXPECT_EQ(r->state.duration_s, 45);
  EXPECT_EQ(r->state.event_id, "manual_ch_demo_sports_1700000000");
  EXPECT_EQ(r->state.created_at, kT0 + 300'000);
  // Not active yet, but the break exists: the same cue again before it starts is a duplicate.
  EXPECT_FALSE(r->state.IsActiveAt(sched_.Now()));
  Result<CueResult> again = CueNow(c.get(), Cue45());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->state.event_id, r->state.event_id);
  EXPECT_EQ(c->stats().breaks_created, 1);
}

TEST_F(CoordinatorTest, ApiCueLeadWithoutAnOriginLookUsesADefaultTargetDuration) {
  CoordinatorOptions options;
  options.api_cue_lead_us = 1 * kMicrosPerSecond;
  auto c = Make(options);
  Result<CueResult> r = CueNow(c.get(), Cue45());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->state.start_time, kT0 + 7 * kMicrosPerSecond);  // lead + 6 s, unaligned
  EXPECT_EQ(r->state.end_time, kT0 + 52 * kMicrosPerSecond);
}

TEST_F(CoordinatorTest, ApiCueWithoutLeadStartsAtReceiptAsTheSeed) {
  auto c = Make();
  sched_.AdvanceBy(300'000);
  Result<CueResult> r = CueNow(c.get(), Cue45());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state.start_time, kT0 + 300'000);
}

TEST_F(CoordinatorTest, CueIsDurableBeforeAckThenDecisionThenKvWithSeedTtl) {
  auto c = Make();
  durable_.set_latency(10'000);
  decision_.latency = 100'000;
  decision_.decision = TwoAds();
  std::optional<Result<CueResult>> got;
  c->Cue(Cue45(), [&](Result<CueResult> r) { got = std::move(r); });
  const std::string id = "manual_ch_demo_sports_1700000000";
  const std::string durable_key = "ch_demo_sports:break:" + id;

  // Before the durable write completes: nothing asked, nothing acknowledged.
  EXPECT_TRUE(decision_.requests.empty());
  EXPECT_FALSE(got.has_value());
  sched_.AdvanceBy(10'000);
  // Durable now; the decision service is asked only after that, and KV is still untouched.
  ASSERT_TRUE(durable_.contents().count(durable_key));
  EXPECT_NE(durable_.contents().at(durable_key).find("\"decided\":false"), std::string::npos);
  ASSERT_EQ(decision_.requests.size(), 1u);
  EXPECT_EQ(decision_.requests[0].event_id, id);
  EXPECT_EQ(decision_.requests[0].pod_id, "test");
  EXPECT_EQ(decision_.requests[0].duration_s, 45);
  EXPECT_FALSE(got.has_value());
  EXPECT_EQ(kv_.puts, 0);

  sched_.AdvanceBy(100'000);  // the decision
  sched_.AdvanceBy(10'000);   // the decided record's durable write
  EXPECT_FALSE(got.has_value());
  sched_.AdvanceBy(10'000);  // the meta record (version), then KV
  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(got->ok()) << got->status().ToString();
  const CueResult& res = got->value();
  EXPECT_FALSE(res.duplicate);
  EXPECT_TRUE(res.kv_write.ok());
  EXPECT_EQ(res.state.event_id, id);
  EXPECT_EQ(res.state.source, BreakSource::kManual);
  EXPECT_EQ(res.state.start_time, kT0);
  EXPECT_EQ(res.state.end_time, kT0 + 45 * kMicrosPerSecond);
  EXPECT_EQ(res.state.duration_s, 45);
  EXPECT_EQ(res.state.decision, TwoAds());
  EXPECT_EQ(res.state.discontinuities_before, 0);
  EXPECT_NE(durable_.contents().at(durable_key).find("\"decided\":true"), std::string::npos);

  // KV: the seed's key, document and TTL floor(45)+60 = 105 s.
  EXPECT_EQ(KvBreak(id), res.state);
  EXPECT_EQ(KvTtlS(kBreakPrefix + id, kT0 + 130'000), 105);
  EXPECT_FALSE(kv_.Peek("chstate:ch_demo_sports").has_value()) << "write_channel_state is off";
  EXPECT_EQ(c->stats().breaks_created, 1);
  EXPECT_EQ(c->stats().decision_requests, 1);
  EXPECT_EQ(c->state().breaks.size(), 1u);
  EXPECT_EQ(c->state().discontinuities_total, 2);
}

TEST_F(CoordinatorTest, CueForAnotherChannelOrBadFieldsIsRefusedAtOnce) {
  auto c = Make();
  std::optional<Result<CueResult>> got;
  c->Cue({"other", "sports", 45, "", CueAction::kStart, ""}, [&](Result<CueResult> r) { got = std::move(r); });
  ASSERT_TRUE(got && !got->ok());
  EXPECT_EQ(got->status().code(), StatusCode::kNotFound);
  EXPECT_EQ(got->status().message(), "org: unknown org 'other' (this coordinator serves 'demo')");
  got.reset();
  c->Cue({"demo", "news", 45, "", CueAction::kStart, ""}, [&](Result<CueResult> r) { got = std::move(r); });
  ASSERT_TRUE(got && !got->ok());
  EXPECT_EQ(got->status().message(), "channel: unknown channel 'news' for org 'demo'");
  got.reset();
  c->Cue({"demo", "sports", 4000, "", CueAction::kStart, ""}, [&](Result<CueResult> r) { got = std::move(r); });
  ASSERT_TRUE(got && !got->ok());
  EXPECT_EQ(got->status().message(), "duration: must be > 0 and <= 3600 seconds, got 4000");
  got.reset();
  c->Cue({"demo", "sports", 45, std::string(200, 'p'), CueAction::kStart, ""},
         [&](Result<CueResult> r) { got = std::move(r); });
  ASSERT_TRUE(got && !got->ok());
  EXPECT_EQ(got->status().message(), "pod_id: longer than 128 characters (200)");
  EXPECT_EQ(durable_.contents().size(), 1u) << "only the meta record written at start";
  EXPECT_EQ(c->stats().operations, 0);
}

TEST_F(CoordinatorTest, RepeatedCueInsideTheBreakIsADuplicate) {
  decision_.decision = TwoAds();
  auto c = Make();
  Result<CueResult> first = CueNow(c.get(), Cue45());
  ASSERT_TRUE(first.ok());
  sched_.AdvanceBy(5 * kMicrosPerSecond);
  Result<CueResult> again = CueNow(c.get(), Cue45());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->state, first->state);
  EXPECT_EQ(c->stats().breaks_created, 1);
  EXPECT_EQ(c->stats().duplicate_cues, 1);
  EXPECT_EQ(decision_.requests.size(), 1u) << "one decision per break";
  EXPECT_EQ(c->state().breaks.size(), 1u);

  // A different cue is a new break: it cuts the running one short (breaks never overlap).
  Result<CueResult> other = CueNow(c.get(), {"demo", "sports", 30, "test", CueAction::kStart, ""});
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->duplicate);
  EXPECT_EQ(other->state.event_id, "manual_ch_demo_sports_1700000005");
  EXPECT_EQ(other->state.discontinuities_before, 2);
  ASSERT_EQ(c->state().breaks.size(), 2u);
  EXPECT_EQ(c->state().breaks[0].end_time, kT0 + 5 * kMicrosPerSecond);
  EXPECT_EQ(KvBreak(first->state.event_id).end_time, kT0 + 5 * kMicrosPerSecond) << "KV rewritten";

  // After the break ends, the same cue is a new break again.
  sched_.AdvanceBy(31 * kMicrosPerSecond);
  Result<CueResult> later = CueNow(c.get(), {"demo", "sports", 30, "test", CueAction::kStart, ""});
  ASSERT_TRUE(later.ok());
  EXPECT_FALSE(later->duplicate);
  EXPECT_EQ(later->state.discontinuities_before, 4);
  EXPECT_EQ(kv_.rejected_puts, 0);
}

TEST_F(CoordinatorTest, DecisionTimeoutGivesSlateAndTheLateAnswerIsIgnored) {
  decision_.decision = TwoAds();
  decision_.latency = 5 * kMicrosPerSecond;  // timeout is 2 s
  auto c = Make();
  std::optional<Result<CueResult>> got;
  c->Cue(Cue45(), [&](Result<CueResult> r) { got = std::move(r); });
  sched_.AdvanceBy(2 * kMicrosPerSecond - 1);
  EXPECT_FALSE(got.has_value());
  sched_.AdvanceBy(1);
  ASSERT_TRUE(got && got->ok());
  EXPECT_TRUE(got->value().state.decision.items.empty());
  EXPECT_EQ(got->value().state.decision.pod_id, "test");
  EXPECT_EQ(c->stats().decision_timeouts, 1);
  const int64_t puts = kv_.puts;
  const std::string id = got->value().state.event_id;
  sched_.AdvanceBy(10 * kMicrosPerSecond);  // the late answer arrives
  EXPECT_TRUE(c->state().breaks[0].decision.items.empty());
  EXPECT_TRUE(KvBreak(id).decision.items.empty());
  EXPECT_EQ(kv_.puts, puts);
  EXPECT_EQ(decision_.requests.size(), 1u);
  EXPECT_EQ(c->stats().decision_failures, 0);
}

TEST_F(CoordinatorTest, DecisionFailureAndEmptyPodGiveSlate) {
  decision_.behaviour = FakeDecision::Behaviour::kFail;
  auto c = Make();
  Result<CueResult> r = CueNow(c.get(), Cue45(""));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->state.decision.items.empty());
  EXPECT_EQ(r->state.decision.pod_id, "default-pod") << "no pod in the cue: the channel's default";
  EXPECT_EQ(c->stats().decision_failures, 1);

  sched_.AdvanceBy(60 * kMicrosPerSecond);
  decision_.behaviour = FakeDecision::Behaviour::kAnswer;
  decision_.decision = AdDecision{"empty", {}};
  r = CueNow(c.get(), Cue45());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->state.decision.items.empty());
  EXPECT_EQ(c->stats().decision_failures, 2);
  EXPECT_EQ(c->stats().decision_timeouts, 0);
}

TEST_F(CoordinatorTest, KvDownStillAcknowledgesAndALaterWriteSucceeds) {
  decision_.decision = TwoAds();
  auto c = Make();
  kv_.set_down(true);
  Result<CueResult> r = CueNow(c.get(), Cue45());
  ASSERT_TRUE(r.ok()) << "the break is durable: the cue is acknowledged";
  EXPECT_EQ(r->kv_write.code(), StatusCode::kUnavailable);
  EXPECT_GE(c->stats().kv_write_failures, 1);
  EXPECT_FALSE(kv_.Peek(kBreakPrefix + r->state.event_id).has_value());
  sched_.AdvanceBy(3 * kMicrosPerSecond);  // retries at +1 s and +3 s fail too
  EXPECT_FALSE(kv_.Peek(kBreakPrefix + r->state.event_id).has_value());
  kv_.set_down(false);
  sched_.AdvanceBy(4 * kMicrosPerSecond);  // next retry (backoff 4 s)
  EXPECT_EQ(KvBreak(r->state.event_id), r->state);
  // Rewritten late, it still expires ~60 s after the end, not 105 s after the write.
  EXPECT_EQ(*kv_.ExpiryOf(kBreakPrefix + r->state.event_id), kT0 + 105 * kMicrosPerSecond);
  EXPECT_EQ(kv_.rejected_puts, 0);
}

TEST_F(CoordinatorTest, DurableStoreDownRefusesTheCue) {
  auto c = Make();
  durable_.set_down(true);
  Result<CueResult> r = CueNow(c.get(), Cue45());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(), "durable store: durable store is down");
  EXPECT_TRUE(c->state().breaks.empty());
  EXPECT_TRUE(decision_.requests.empty());
  EXPECT_EQ(kv_.puts, 0);
  EXPECT_EQ(c->stats().breaks_created, 0);
  durable_.set_down(false);
  r = CueNow(c.get(), Cue45());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(c->state().breaks.size(), 1u);
}

TEST_F(CoordinatorTest, RestartMidBreakRecoversEveryBreakAndTheLedger) {
  decision_.decision = TwoAds();
  CoordinatorOptions options;
  options.write_channel_state = true;
  ChannelState before;
  std::string second_id;
  {
    auto c = Make(options);
    ASSERT_TRUE(CueNow(c.get(), Cue45()).ok());
    sched_.AdvanceBy(50 * kMicrosPerSecond);
    Result<CueResult> r = CueNow(c.get(), {"demo", "sports", 30, "second", CueAction::kStart, ""});
    ASSERT_TRUE(r.ok());
    second_id = r->state.event_id;
    EXPECT_EQ(r->state.discontinuities_before, 2);
    sched_.AdvanceBy(10 * kMicrosPerSecond);  // mid second break
    before = c->state();
  }  // the coordinator goes away (pending timers with it)
  ASSERT_EQ(before.breaks.size(), 2u);
  const size_t decisions = decision_.requests.size();

  FakeKvStore fresh_kv(&sched_);  // e.g. KV lost the keys
  // A restarted coordinator waits one KV write spacing (1 s) before rewriting its keys: its
  // predecessor may have written them within the last second.
  auto c = std::make_unique<Coordinator>(Config(), Env(&fresh_kv), options);
  std::optional<Status> started;
  c->Start([&](Status s) { started = s; });
  sched_.RunDue();
  EXPECT_FALSE(fresh_kv.Peek("chstate:ch_demo_sports").has_value()) << "wrote within 1 s of restart";
  sched_.AdvanceBy(kMicrosPerSecond);
  ASSERT_TRUE(started.has_value());
  ASSERT_TRUE(started->ok()) << started->ToString();
  ChannelState after = c->state();
  EXPECT_EQ(after.breaks, before.breaks) << "every acknowledged break, decisions and ledger intact";
  EXPECT_EQ(after.discontinuities_total, 4);
  EXPECT_GT(after.version, before.version);
  EXPECT_EQ(decision_.requests.size(), decisions) << "decisions are not asked again";
  // KV rewritten for the live break; TTL = 19 s left (after the 1 s wait) + 60.
  EXPECT_EQ(KvBreak(second_id, &fresh_kv), after.breaks[1]);
  EXPECT_EQ(KvTtlS(kBreakPrefix + second_id, sched_.Now(), &fresh_kv), 79);
  ASSERT_TRUE(fresh_kv.Peek("chstate:ch_demo_sports").has_value());
  Result<ChannelState> doc = ParseChannelState(*fresh_kv.Peek("chstate:ch_demo_sports"));
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->breaks, after.breaks);
  // A third break continues the ledger.
  sched_.AdvanceBy(30 * kMicrosPerSecond);
  Result<CueResult> r = CueNow(c.get(), {"demo", "sports", 10, "", CueAction::kStart, ""});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state.discontinuities_before, 4);
}

TEST_F(CoordinatorTest, RetiredBreaksKeepCountingInTheLedger) {
  auto c = Make();
  ASSERT_TRUE(CueNow(c.get(), {"demo", "sports", 10, "", CueAction::kStart, ""}).ok());
  sched_.AdvanceBy(20 * kMicrosPerSecond);
  ASSERT_TRUE(CueNow(c.get(), {"demo", "sports", 10, "", CueAction::kStart, ""}).ok());
  sched_.AdvanceBy(200 * kMicrosPerSecond);  // both ended more than keep_ended_us ago
  ChannelState s = GetState(c.get());
  EXPECT_TRUE(s.breaks.empty());
  EXPECT_EQ(s.discontinuities_total, 4);
  EXPECT_EQ(durable_.contents().size(), 1u) << "only the meta record is left";
  EXPECT_NE(durable_.contents().at("ch_demo_sports:meta").find("\"retiredDiscontinuities\":4"),
            std::string::npos);
  auto c2 = Make();
  EXPECT_EQ(c2->state().discontinuities_total, 4);
  Result<CueResult> r = CueNow(c2.get(), {"demo", "sports", 10, "", CueAction::kStart, ""});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state.discontinuities_before, 4);
}

// A pod of creatives (splicer.h): the break adds one DISCONTINUITY per piece + the return, and
// K - M to the MEDIA-SEQUENCE ledger, laid out on the origin's grid; both survive retirement
// and a restart (meta record).
TEST_F(CoordinatorTest, PodOfCreativesMovesBothLedgers) {
  auto c = Make();
  const std::string origin = ThreeSegmentsEndingAtT0();
  ASSERT_TRUE(Observe(c.get(), origin).ok());
  AdDecision pod;
  pod.pod_id = "vast";
  for (const char* id : {"a", "b"}) {
    AdItem item{id, 7.5, {{800000, std::string("https://ads.test/") + id + "/800k.m3u8"}}};
    item.segment_duration_s = 2;
    pod.items.push_back(item);
  }
  decision_.decision = pod;
  sched_.AdvanceBy(300'000);
  // 20 s from kT0 + 0.3 s: slots kT0 + 2 .. kT0 + 22 (10 slots); 2, 2, 2, 1.5 | 2, 2, 2, 1.5 |
  // slate 2, 2, 1: 11 segments, 4 discontinuities (A, B, slate, return).
  Result<CueResult> r = CueNow(c.get(), {"demo", "sports", 20, "", CueAction::kStart, ""});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ChannelState s = GetState(c.get());
  ASSERT_EQ(s.breaks.size(), 1u);
  EXPECT_EQ(s.breaks[0].discontinuities, 4);
  EXPECT_EQ(s.breaks[0].media_sequence_delta, 1);
  EXPECT_EQ(s.discontinuities_total, 4);
  EXPECT_EQ(s.media_sequence_total, 1);
  Result<ChannelState> round = ParseChannelState(SerializeChannelState(s));
  ASSERT_TRUE(round.ok());
  EXPECT_EQ(*round, s);
  // A seed-style break after it: 2 and 0, and it carries the pod break's ledgers.
  decision_.decision = TwoAds();
  sched_.AdvanceBy(30 * kMicrosPerSecond);
  Result<CueResult> r2 = CueNow(c.get(), {"demo", "sports", 10, "", CueAction::kStart, ""});
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->state.discontinuities_before, 4);
  EXPECT_EQ(r2->state.media_sequence_before, 1);
  EXPECT_FALSE(r2->state.discontinuities.has_value());
  sched_.AdvanceBy(200 * kMicrosPerSecond);  // both retire
  s = GetState(c.get());
  EXPECT_TRUE(s.breaks.empty());
  EXPECT_EQ(s.discontinuities_total, 6);
  EXPECT_EQ(s.media_sequence_total, 1);
  EXPECT_NE(durable_.contents().at("ch_demo_sports:meta").find("\"retiredMediaSequence\":1"), std::string::npos);
  auto c2 = Make();
  EXPECT_EQ(c2->state().media_sequence_total, 1);
  EXPECT_EQ(c2->state().discontinuities_total, 6);
}

// The soak of issue 13: a cue every 10 s (30 s breaks, so most cues land in the running break)
// on a KV that takes 3 s per write, with reads in between, for 30 minutes. What the coordinator
// keeps must follow the live breaks: once the cues stop and every break has retired, nothing
// of them is left (a retired break's KV writer or durable-JSON memo was kept before).
TEST_F(CoordinatorTest, MemoryFollowsLiveBreaksUnderSteadyCues) {
  kv_.set_latency(3 * kMicrosPerSecond);
  CoordinatorOptions options;
  options.write_channel_state = true;
  auto c = Make(options);
  size_t max_records = 0;
  for (int i = 0; i < 180; ++i) {
    c->Cue({"demo", "sports", 30, "", CueAction::kStart, ""}, [](Result<CueResult>) {});
    for (int k = 0; k < 10; ++k) {
      sched_.AdvanceBy(kMicrosPerSecond);
      c->GetChannelState([](Result<ChannelState>) {});
    }
    max_records = std::max(max_records, c->footprint().records);
    EXPECT_LE(c->footprint().serialized_records, c->footprint().records + 1) << "at cue " << i;
  }
  // A cue inside the running break is its duplicate, so a break starts every 40 s; ended ones
  // are kept keep_ended_us (120 s).
  EXPECT_GE(max_records, 3u);
  EXPECT_LE(max_records, 6u);
  for (int k = 0; k < 600; ++k) {
    sched_.AdvanceBy(kMicrosPerSecond);
    c->GetChannelState([](Result<ChannelState>) {});
  }
  const Coordinator::Footprint f = c->footprint();
  EXPECT_EQ(f.records, 0u);
  EXPECT_EQ(f.serialized_records, 0u);
  EXPECT_EQ(f.kv_writers, 1u) << "only the channel document's writer";
}

// A break retired while its KV write is still in flight (KV slower than keep_ended_us) must not
// leave its writer behind once the write completes.
TEST_F(CoordinatorTest, WriterOfARetiredBreakGoesWhenItsWriteCompletes) {
  kv_.set_latency(200 * kMicrosPerSecond);
  auto c = Make();
  c->Cue({"demo", "sports", 10, "", CueAction::kStart, ""}, [](Result<CueResult>) {});
  for (int k = 0; k < 400; ++k) {
    sched_.AdvanceBy(kMicrosPerSecond);
    c->GetChannelState([](Result<ChannelState>) {});
  }
  EXPECT_EQ(c->footprint().records, 0u);
  EXPECT_EQ(c->footprint().kv_writers, 0u);
}

TEST_F(CoordinatorTest, StartFailureFailsQueuedCalls) {
  durable_.set_down(true);
  Coordinator c(Config(), Env(), {});
  std::optional<Result<ChannelState>> queued;
  c.GetChannelState([&](Result<ChannelState> s) { queued = std::move(s); });
  EXPECT_FALSE(queued.has_value()) << "calls before Start wait";
  std::optional<Status> started;
  c.Start([&](Status s) { started = s; });
  sched_.RunDue();
  ASSERT_TRUE(started.has_value());
  EXPECT_EQ(started->code(), StatusCode::kUnavailable);
  ASSERT_TRUE(queued.has_value());
  EXPECT_FALSE(queued->ok());
  // Start again once the store is back.
  durable_.set_down(false);
  started.reset();
  c.Start([&](Status s) { started = s; });
  sched_.RunDue();
  ASSERT_TRUE(started && started->ok());
  queued.reset();
  c.GetChannelState([&](Result<ChannelState> s) { queued = std::move(s); });
  sched_.RunDue();
  ASSERT_TRUE(queued && queued->ok());
}

// ---------------------------------------------------------------------------------------------
// KV write coalescing, queueing, heartbeat

TEST_F(CoordinatorTest, BurstsAreCoalescedToOneWritePerSecondPerKey) {
  CoordinatorOptions options;
  options.write_channel_state = true;
  auto c = Make(options);
  ASSERT_EQ(kv_.puts, 1) << "chstate written at start";
  // Five different cues 200 ms apart: each changes chstate, and each cuts the previous break.
  std::vector<std::optional<Result<CueResult>>> got(5);
  for (int i = 0; i < 5; ++i) {
    sched_.AdvanceBy(200'000);
    c->Cue({"demo", "sports", 40.0 + i, "", CueAction::kStart, ""},
           [&got, i](Result<CueResult> r) { got[i] = std::move(r); });
    sched_.RunDue();
  }
  sched_.AdvanceBy(3 * kMicrosPerSecond);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(got[i] && got[i]->ok()) << i;
    EXPECT_TRUE(got[i]->value().kv_write.ok()) << i;
  }
  EXPECT_EQ(kv_.rejected_puts, 0) << "never more than one write per second to a key";
  EXPECT_GT(c->stats().kv_writes_deferred, 0);
  // The newest value won.
  Result<ChannelState> doc = ParseChannelState(*kv_.Peek("chstate:ch_demo_sports"));
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->version, c->state().version);
  EXPECT_EQ(doc->breaks, c->state().breaks);
  // Chstate: start, +200 ms, then +1.2 s carrying the newest value: 3 writes, not 6.
  // Breaks: the 5 new keys, plus cut ones rewritten (coalesced for keys written <1 s before).
  EXPECT_LT(c->stats().kv_writes, 6 + 5 + 4);
  EXPECT_EQ(KvTtlS("chstate:ch_demo_sports", kT0 + 1'200'000), kChannelStateTtlS);
}

TEST_F(CoordinatorTest, CallsArrivingDuringADecisionWaitInTheQueue) {
  decision_.decision = TwoAds();
  decision_.latency = 1 * kMicrosPerSecond;
  origin_.Set(kOriginUrl, "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\na.ts\n");
  auto c = Make();
  std::vector<std::string> order;
  c->Cue(Cue45(), [&](Result<CueResult> r) { order.push_back(r.ok() ? "cue" : "cue-failed"); });
  std::vector<ChannelState> states;
  for (int i = 0; i < 3; ++i) {
    c->GetChannelState([&](Result<ChannelState> s) {
      order.push_back("state");
      if (s.ok()) states.push_back(*s);
    });
  }
  std::optional<Result<CueResult>> dup;
  c->Cue(Cue45(), [&](Result<CueResult> r) {
    order.push_back("cue2");
    dup = std::move(r);
  });
  sched_.RunDue();
  EXPECT_TRUE(order.empty()) << "everything waits for the decision of the first cue";
  EXPECT_EQ(c->stats().max_queue_depth, 4);
  sched_.AdvanceBy(kMicrosPerSecond);
  EXPECT_EQ(order, (std::vector<std::string>{"cue", "state", "state", "state", "cue2"}));
  ASSERT_EQ(states.size(), 3u);
  for (const ChannelState& s : states) EXPECT_EQ(s.breaks.size(), 1u);
  EXPECT_EQ(origin_.fetches, 1) << "one origin fetch shared by the queued callers";
  ASSERT_TRUE(dup && dup->ok());
  EXPECT_TRUE(dup->value().duplicate);
  EXPECT_EQ(c->stats().operations, 5);
}

TEST_F(CoordinatorTest, ChannelStateHeartbeatKeepsTheDocumentAlive) {
  CoordinatorOptions options;
  options.write_channel_state = true;
  auto c = Make(options);
  const std::string key = "chstate:ch_demo_sports";
  ASSERT_TRUE(kv_.Peek(key).has_value());
  EXPECT_EQ(*kv_.ExpiryOf(key), kT0 + kChannelStateTtlS * kMicrosPerSecond);
  sched_.AdvanceBy(kChannelStateHeartbeatUs);
  EXPECT_EQ(kv_.puts, 2);
  EXPECT_EQ(*kv_.ExpiryOf(key), sched_.Now() + kChannelStateTtlS * kMicrosPerSecond);
  sched_.AdvanceBy(10 * kChannelStateHeartbeatUs);
  EXPECT_EQ(kv_.puts, 12);
  c->Stop();
  sched_.AdvanceBy(10 * kChannelStateHeartbeatUs);
  EXPECT_EQ(kv_.puts, 12) << "Stop() ends the heartbeat";
}

// ---------------------------------------------------------------------------------------------
// SCTE-35 from origin playlists

TEST_F(CoordinatorScte35Test, EarlyCueInShortensTheBreakAcrossReloads) {
  auto c = Make();
  const std::string r0 = Reload("early_cue_in", 0);
  AtLiveEdge(r0);  // 12:00:36
  ASSERT_TRUE(Observe(c.get(), r0).ok());
  ASSERT_EQ(c->state().breaks.size(), 1u);
  AdBreakState b = c->state().breaks[0];
  EXPECT_EQ(b.event_id, "cue-2403");
  EXPECT_EQ(b.source, BreakSource::kScte35);
  EXPECT_EQ(b.start_time, Iso("2026-01-15T12:00:18.000Z"));
  EXPECT_EQ(b.duration_s, 30);
  ASSERT_TRUE(b.scte35_data.has_value());
  EXPECT_EQ(b.scte35_data->pdt, "2026-01-15T12:00:18.000Z");
  EXPECT_EQ(b.scte35_data->signal_type, "cue_out");
  EXPECT_EQ(b.scte35_data->event_id, "cue-2403");
  EXPECT_EQ(b.scte35_data->segment_number, 2403);
  EXPECT_EQ(KvBreak("cue-2403"), b);
  // Detected 18 s into a 30 s break: the key lives until ~60 s after the end.
  EXPECT_EQ(KvTtlS(std::string(kBreakPrefix) + "cue-2403", sched_.Now()), 72);
  EXPECT_EQ(decision_.requests.size(), 1u);

  const std::string r1 = Reload("early_cue_in", 1);
  AtLiveEdge(r1);  // 12:00:42: CUE-IN at 12:00:36
  ASSERT_TRUE(Observe(c.get(), r1).ok());
  b = c->state().breaks[0];
  EXPECT_EQ(b.end_time, Iso("2026-01-15T12:00:36.000Z"));
  EXPECT_EQ(b.duration_s, 18);
  EXPECT_EQ(KvBreak("cue-2403"), b) << "KV rewritten with the shortened break";
  EXPECT_EQ(KvTtlS(std::string(kBreakPrefix) + "cue-2403", sched_.Now()), 60) << "KV minimum";
  const int64_t version = c->state().version;
  for (int i = 2; i <= 6; ++i) {
    const std::string r = Reload("early_cue_in", i);
    AtLiveEdge(r);
    ASSERT_TRUE(Observe(c.get(), r).ok()) << i;
  }
  EXPECT_EQ(c->state().version, version);
  EXPECT_EQ(c->stats().breaks_created, 1);
  EXPECT_EQ(decision_.requests.size(), 1u);
  EXPECT_EQ(kv_.rejected_puts, 0);
}

TEST_F(CoordinatorScte35Test, CueRepeatedOnEverySegmentMakesOneBreakEach) {
  auto c = Make();
  for (int i = 0; i <= 16; ++i) {
    const std::string r = Reload("cue_repeated_every_segment", i);
    AtLiveEdge(r);
    ASSERT_TRUE(Observe(c.get(), r).ok()) << i;
  }
  EXPECT_EQ(c->stats().breaks_created, 2);
  EXPECT_EQ(decision_.requests.size(), 2u);
  ChannelState s = c->state();
  ASSERT_EQ(s.breaks.size(), 2u);
  EXPECT_EQ(s.breaks[0].event_id, "777");
  EXPECT_EQ(s.breaks[0].scte35_data->signal_type, "splice_insert");
  EXPECT_EQ(s.breaks[0].discontinuities_before, 0);
  EXPECT_EQ(s.breaks[1].event_id, "778");
  EXPECT_EQ(s.breaks[1].discontinuities_before, 2);
  EXPECT_EQ(s.discontinuities_total, 4);
}

TEST_F(CoordinatorScte35Test, DaterangeAndOatclsFromTheOriginThroughGetChannelState) {
  CoordinatorOptions refresh_1s;
  refresh_1s.origin_refresh_us = kMicrosPerSecond;
  auto c = Make(refresh_1s);
  origin_.Set(kOriginUrl, Reload("daterange_scte35", 0));
  AtLiveEdge(Reload("daterange_scte35", 0));
  ChannelState s = GetState(c.get());
  ASSERT_EQ(s.breaks.size(), 1u);
  EXPECT_EQ(s.breaks[0].event_id, "splice-1001");
  EXPECT_EQ(s.breaks[0].start_time, Iso("2026-01-15T12:00:10.000Z"));
  EXPECT_EQ(s.breaks[0].duration_s, 10);
  EXPECT_EQ(origin_.fetches, 1);
  // Within origin_refresh_us: no second fetch.
  sched_.AdvanceBy(500'000);
  GetState(c.get());
  EXPECT_EQ(origin_.fetches, 1);

  // A different stream on the same channel later: OATCLS + CUE-OUT/CONT/IN.
  FakeDurableStore other_store(&sched_);
  CoordinatorEnv env = Env();
  env.durable = &other_store;
  auto c2 = std::make_unique<Coordinator>(Config(), env, CoordinatorOptions{});
  c2->Start([](Status) {});
  for (int i = 0; i <= 11; ++i) {
    const std::string r = Reload("oatcls_scte35", i);
    origin_.Set(kOriginUrl, r);
    AtLiveEdge(r);
    GetState(c2.get());
  }
  ASSERT_EQ(c2->state().breaks.size(), 1u);
  const AdBreakState& b = c2->state().breaks[0];
  EXPECT_EQ(b.event_id, "1207959695");
  EXPECT_EQ(b.start_time, Iso("2026-01-15T12:00:18.000Z"));
  EXPECT_EQ(b.end_time, Iso("2026-01-15T12:01:18.000Z")) << "the CUE-IN at 60 s, before 60.29 s";
  EXPECT_EQ(b.scte35_data->signal_type, "splice_insert");
  EXPECT_EQ(c2->stats().breaks_created, 1);
}

TEST_F(CoordinatorScte35Test, BadPlaylistIsAnErrorAndKeepsTheState) {
  auto c = Make();
  const std::string r0 = Reload("early_cue_in", 0);
  AtLiveEdge(r0);
  ASSERT_TRUE(Observe(c.get(), r0).ok());
  const ChannelState before = c->state();
  Status s = Observe(c.get(), "this is not a playlist");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message().rfind("origin playlist: ", 0), 0u) << s.message();
  EXPECT_EQ(c->state(), before);
  // Through GetChannelState: the origin sends garbage or fails; the edge still gets the state.
  origin_.Set(kOriginUrl, "#EXTM3U\n#EXTINF:abc,\nx.ts\n");
  sched_.AdvanceBy(2 * kMicrosPerSecond);
  EXPECT_EQ(GetState(c.get()).breaks, before.breaks);
  origin_.set_down(true);
  sched_.AdvanceBy(2 * kMicrosPerSecond);
  EXPECT_EQ(GetState(c.get()).breaks, before.breaks);
  origin_.set_down(false);
  origin_.Set(kOriginUrl, "", 503);
  sched_.AdvanceBy(2 * kMicrosPerSecond);
  EXPECT_EQ(GetState(c.get()).breaks, before.breaks);
  EXPECT_EQ(c->stats().origin_errors, 4);
}

TEST_F(CoordinatorScte35Test, DurableFailureOnAnScte35BreakIsRetriedOnTheNextReload) {
  auto c = Make();
  durable_.set_down(true);
  const std::string r0 = Reload("early_cue_in", 0);
  AtLiveEdge(r0);
  EXPECT_EQ(Observe(c.get(), r0).code(), StatusCode::kUnavailable);
  EXPECT_TRUE(c->state().breaks.empty());
  EXPECT_EQ(kv_.puts, 0) << "nothing goes to KV that is not durable";
  durable_.set_down(false);
  ASSERT_TRUE(Observe(c.get(), r0).ok());
  ASSERT_EQ(c->state().breaks.size(), 1u) << "the normalizer was rolled back: the OUT comes again";
  EXPECT_EQ(c->state().breaks[0].event_id, "cue-2403");
}

TEST_F(CoordinatorScte35Test, RestartedCoordinatorDoesNotRecreateTheBreak) {
  const std::string r0 = Reload("early_cue_in", 0);
  AtLiveEdge(r0);
  {
    auto c = Make();
    ASSERT_TRUE(Observe(c.get(), r0).ok());
  }
  auto c = Make();
  ASSERT_EQ(c->state().breaks.size(), 1u);
  ASSERT_TRUE(Observe(c.get(), r0).ok()) << "a fresh normalizer sees the OUT again";
  EXPECT_EQ(c->state().breaks.size(), 1u);
  EXPECT_EQ(c->stats().breaks_created, 0);
  EXPECT_EQ(c->stats().duplicate_cues, 1);
  const std::string r1 = Reload("early_cue_in", 1);
  AtLiveEdge(r1);
  ASSERT_TRUE(Observe(c.get(), r1).ok());
  EXPECT_EQ(c->state().breaks[0].duration_s, 18) << "the CUE-IN still finds the recovered break";
  EXPECT_EQ(decision_.requests.size(), 1u);
}

// A playlist of 2 s segments from msn `first` starting at 12:00:00 + 2 s * (first - 100), with
// `tags` written before the segment of that msn.
std::string Playlist(int64_t first, int count, const std::map<int64_t, std::string>& tags) {
  std::string out = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:" +
                    std::to_string(first) + "\n";
  const UnixMicros t0 = Iso("2026-01-15T12:00:00.000Z");
  for (int64_t msn = first; msn < first + count; ++msn) {
    auto it = tags.find(msn);
    if (it != tags.end()) out += it->second + "\n";
    out +=
        "#EXT-X-PROGRAM-DATE-TIME:" + FormatIso8601Millis(t0 + (msn - 100) * 2 * kMicrosPerSecond) +
        "\n";
    out += "#EXTINF:2.000,\nseg" + std::to_string(msn) + ".ts\n";
  }
  return out;
}

// A splice_insert section (base64), as EXT-OATCLS-SCTE35 and CUE-OUT-CONT SCTE35= carry it.
std::string SpliceInsertBase64(uint32_t id, bool cancel, double duration_s) {
  scte35::SpliceInsert si;
  si.splice_event_id = id;
  if (cancel) {
    si.splice_event_cancel_indicator = true;
  } else {
    si.out_of_network_indicator = true;
    si.splice_time = {true, 900000 + id};
    si.break_duration = scte35::BreakDuration{true, scte35::SecondsToTicks(duration_s)};
    si.unique_program_id = 1;
  }
  scte35::SpliceInfoSection s;
  s.command = si;
  s.splice_command_type = scte35::CommandType(s.command);
  Result<Bytes> bytes = scte35::Encode(s);
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? Base64Encode(*bytes) : "";
}

std::string Oatcls(uint32_t id, bool cancel, double duration_s) {
  return "#EXT-OATCLS-SCTE35:" + SpliceInsertBase64(id, cancel, duration_s);
}

// The conformance suite's R6b (scenario coordinator_restart): the origin opens a break with a
// plain CUE-OUT (event id "cue-<msn>") and repeats it on every segment as CUE-OUT-CONT carrying
// the splice_insert (splice_event_id 10001). A coordinator restarted after the OUT slid out of the
// window joins the break from CUE-OUT-CONT alone: its fresh normalizer opens it at segment time -
// ElapsedTime under the section's id "10001". That is the break the journal already holds (same
// splice point): no new break, no second decision (it would flip ad slots to another pod or
// slate), the same event id (edges key KV and the splice by it).
TEST_F(CoordinatorScte35Test, RestartedMidBreakJoinsTheHeldBreakFromCueOutContAlone) {
  decision_.decision = TwoAds();
  const std::string section = SpliceInsertBase64(10001, false, 24);
  auto cont = [&](int elapsed_s) {
    return "#EXT-X-CUE-OUT-CONT:ElapsedTime=" + std::to_string(elapsed_s) +
           ".000,Duration=24,SCTE35=" + section;
  };
  const std::string before = Playlist(100, 6, {{104, "#EXT-X-CUE-OUT:DURATION=24"}, {105, cont(2)}});
  AtLiveEdge(before);  // 12:00:12, 4 s into the break that starts at 12:00:08
  {
    auto c = Make();
    ASSERT_TRUE(Observe(c.get(), before).ok());
    ASSERT_EQ(c->state().breaks.size(), 1u);
    EXPECT_EQ(c->state().breaks[0].event_id, "cue-104");
  }
  ASSERT_EQ(decision_.requests.size(), 1u);
  const AdBreakState held = KvBreak("cue-104");
  ASSERT_EQ(held.decision, TwoAds());
  // A second request would now get no ads (slate): the flip the conformance suite saw.
  decision_.decision.items.clear();

  auto c = Make();
  const std::string after =
      Playlist(106, 6, {{106, cont(4)}, {107, cont(6)}, {108, cont(8)}, {109, cont(10)},
                        {110, cont(12)}, {111, cont(14)}});
  AtLiveEdge(after);  // 12:00:24: the CUE-OUT (msn 104) has left the window
  ASSERT_TRUE(Observe(c.get(), after).ok());
  ASSERT_EQ(c->state().breaks.size(), 1u);
  const AdBreakState& b = c->state().breaks[0];
  EXPECT_EQ(b.event_id, "cue-104") << "the held break keeps its identity";
  EXPECT_EQ(b.start_time, Iso("2026-01-15T12:00:08.000Z"));
  EXPECT_EQ(b.end_time, Iso("2026-01-15T12:00:32.000Z"));
  EXPECT_EQ(b.decision, held.decision) << "the pod decided before the restart";
  EXPECT_EQ(b.discontinuities_before, 0);
  EXPECT_EQ(c->state().discontinuities_total, 2);
  EXPECT_EQ(c->stats().breaks_created, 0);
  EXPECT_EQ(c->stats().breaks_cancelled, 0);
  EXPECT_EQ(c->stats().duplicate_cues, 1);
  EXPECT_EQ(decision_.requests.size(), 1u) << "one decision per break, across restarts";
  EXPECT_FALSE(kv_.Peek(std::string(kBreakPrefix) + "10001").has_value());

  // The IN of the joined break ends the held one.
  const std::string in = Playlist(109, 6, {{109, cont(10)}, {110, cont(12)}, {111, cont(14)},
                                           {112, cont(16)}, {113, "#EXT-X-CUE-IN"}});
  AtLiveEdge(in);  // 12:00:30: CUE-IN at 12:00:26
  ASSERT_TRUE(Observe(c.get(), in).ok());
  ASSERT_EQ(c->state().breaks.size(), 1u);
  EXPECT_EQ(c->state().breaks[0].event_id, "cue-104");
  EXPECT_EQ(c->state().breaks[0].end_time, Iso("2026-01-15T12:00:26.000Z"));
  EXPECT_EQ(decision_.requests.size(), 1u);
}

TEST_F(CoordinatorScte35Test, CancelBeforeStartRemovesTheBreakAndItsDiscontinuities) {
  // The coordinator's clock is behind the origin's PDT, so the OUT at 12:00:08 is still ahead.
  auto c = Make();
  ASSERT_TRUE(Observe(c.get(), Playlist(100, 5, {{104, Oatcls(4001, false, 6)}})).ok());
  ASSERT_EQ(c->state().breaks.size(), 1u);
  EXPECT_GT(c->state().breaks[0].start_time, sched_.Now());
  EXPECT_TRUE(kv_.Peek(std::string(kBreakPrefix) + "4001").has_value())
      << "upcoming breaks are in KV";
  sched_.AdvanceBy(2 * kMicrosPerSecond);
  ASSERT_TRUE(
      Observe(c.get(),
              Playlist(101, 5, {{104, Oatcls(4001, false, 6)}, {105, Oatcls(4001, true, 0)}}))
          .ok());
  EXPECT_TRUE(c->state().breaks.empty());
  EXPECT_EQ(c->state().discontinuities_total, 0);
  EXPECT_EQ(c->stats().breaks_cancelled, 1);
  EXPECT_FALSE(kv_.Peek(std::string(kBreakPrefix) + "4001").has_value()) << "KV key deleted";
  // The next break numbers as if the cancelled one never existed.
  sched_.AdvanceTo(Iso("2026-01-15T12:00:30.000Z"));
  ASSERT_TRUE(Observe(c.get(), Playlist(110, 5, {{114, Oatcls(4002, false, 4)}})).ok());
  ASSERT_EQ(c->state().breaks.size(), 1u);
  EXPECT_EQ(c->state().breaks[0].event_id, "4002");
  EXPECT_EQ(c->state().breaks[0].discontinuities_before, 0);
  EXPECT_EQ(kv_.rejected_puts, 0);
}

TEST_F(CoordinatorScte35Test, PollerFetchesOnATimerUntilStopped) {
  CoordinatorOptions options;
  options.poll_origin = true;
  options.poll_interval_us = 2 * kMicrosPerSecond;
  options.write_channel_state = true;
  origin_.Set(kOriginUrl, Reload("early_cue_in", 0));
  sched_.AdvanceTo(Iso("2026-01-15T12:00:34.000Z"));
  auto c = Make(options);
  EXPECT_EQ(origin_.fetches, 0);
  sched_.AdvanceBy(2 * kMicrosPerSecond);
  EXPECT_EQ(origin_.fetches, 1);
  ASSERT_EQ(c->state().breaks.size(), 1u);
  EXPECT_TRUE(kv_.Peek(std::string(kBreakPrefix) + "cue-2403").has_value());
  Result<ChannelState> doc = ParseChannelState(*kv_.Peek("chstate:ch_demo_sports"));
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->breaks.size(), 1u);
  origin_.Set(kOriginUrl, Reload("early_cue_in", 1));
  sched_.AdvanceBy(6 * kMicrosPerSecond);
  EXPECT_EQ(origin_.fetches, 4);
  EXPECT_EQ(c->state().breaks[0].duration_s, 18);
  EXPECT_EQ(KvBreak("cue-2403").duration_s, 18);
  c->Stop();
  sched_.AdvanceBy(20 * kMicrosPerSecond);
  EXPECT_EQ(origin_.fetches, 4);
  EXPECT_EQ(c->stats().operations, 0) << "polls are not caller operations";
  EXPECT_EQ(kv_.rejected_puts, 0);
}

// ---------------------------------------------------------------------------------------------
// Defect switches

TEST_F(CoordinatorTest, DefectNoCueDedupeMakesASecondBreak) {
  CoordinatorOptions options;
  options.defect_no_cue_dedupe = true;
  auto c = Make(options);
  ASSERT_TRUE(CueNow(c.get(), Cue45()).ok());
  sched_.AdvanceBy(5 * kMicrosPerSecond);
  Result<CueResult> again = CueNow(c.get(), Cue45());
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->duplicate);
  EXPECT_EQ(c->stats().breaks_created, 2);
  EXPECT_EQ(again->state.discontinuities_before, 2);
  EXPECT_EQ(decision_.requests.size(), 2u);
}

TEST_F(CoordinatorScte35Test, DefectNoCueDedupeRemakesTheScte35BreakOnEveryReload) {
  CoordinatorOptions options;
  options.defect_no_cue_dedupe = true;
  auto c = Make(options);
  for (int i = 0; i <= 4; ++i) {
    const std::string r = Reload("cue_repeated_every_segment", i);
    AtLiveEdge(r);
    ASSERT_TRUE(Observe(c.get(), r).ok()) << i;
  }
  EXPECT_GT(c->stats().breaks_created, 2);
  EXPECT_GT(decision_.requests.size(), 2u);
}

TEST_F(CoordinatorScte35Test, DefectIgnoreCueInKeepsThePlannedEnd) {
  CoordinatorOptions options;
  options.defect_ignore_cue_in = true;
  auto c = Make(options);
  for (int i = 0; i <= 2; ++i) {
    const std::string r = Reload("early_cue_in", i);
    AtLiveEdge(r);
    ASSERT_TRUE(Observe(c.get(), r).ok()) << i;
  }
  ASSERT_EQ(c->state().breaks.size(), 1u);
  EXPECT_EQ(c->state().breaks[0].duration_s, 30);
  EXPECT_EQ(c->state().breaks[0].end_time, Iso("2026-01-15T12:00:48.000Z"));
}

// ---------------------------------------------------------------------------------------------

TEST_F(CoordinatorTest, LocalCoordinatorClientRoutesByChannelId) {
  auto c = Make();
  ASSERT_TRUE(CueNow(c.get(), Cue45()).ok());
  LocalCoordinatorClient client;
  client.Add(c.get());
  std::optional<Result<ChannelState>> got;
  client.GetChannelState("ch_demo_sports", [&](Result<ChannelState> s) { got = std::move(s); });
  sched_.RunDue();
  ASSERT_TRUE(got && got->ok());
  EXPECT_EQ(got->value().breaks.size(), 1u);
  got.reset();
  client.GetChannelState("ch_demo_news", [&](Result<ChannelState> s) { got = std::move(s); });
  ASSERT_TRUE(got && !got->ok());
  EXPECT_EQ(got->status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace ssai
