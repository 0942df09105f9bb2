// The scenario parts every harness plays the same way (issue 18): the fault scheduler, the cue
// API's stop rule on the truth, the POST /cue body and the early CUE-IN rewrite.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "reference/ssai/coordinator.h"
#include "reference/ssai/testing/fake_env.h"
#include "world/early_cue_in.h"
#include "world/faults.h"
#include "world/ground_truth.h"
#include "world/scenario_parts.h"

namespace ssai::world {
namespace {

constexpr UnixMicros kStart = 1'767'225'600LL * kMicrosPerSecond;  // a slot boundary

struct RecordingSink : FaultSink {
  void RestartCoordinator() override { log.push_back(At() + " restart"); }
  void SetDecisionBehaviour(DecisionBehaviour b) override { log.push_back(At() + " decision " + std::to_string(static_cast<int>(b))); }
  void SetKvPropagation(int pop, double delay_s) override {
    log.push_back(At() + " kv pop" + std::to_string(pop) + " " + std::to_string(static_cast<int>(delay_s)));
  }
  void SetCoordinatorRtt(int pop, double rtt_ms) override {
    log.push_back(At() + " rtt pop" + std::to_string(pop) + " " + std::to_string(static_cast<int>(rtt_ms)));
  }
  std::string At() const { return std::to_string((sched->Now() - kStart) / kMicrosPerSecond); }
  testing::ManualScheduler* sched = nullptr;
  std::vector<std::string> log;
};

TEST(FaultsTest, EachFaultAtItsTimeOnItsPop) {
  testing::ManualScheduler sched(kStart - 5 * kMicrosPerSecond);  // a warm-up before t0
  RecordingSink sink;
  sink.sched = &sched;
  std::vector<FaultSpec> faults = {{10, "kv_propagation", "far", 60, DecisionBehaviour::kAnswer},
                                   {10, "coordinator_restart", "", 0, DecisionBehaviour::kAnswer},
                                   {20, "decision", "", 0, DecisionBehaviour::kHang},
                                   {30, "coordinator_rtt", "near", 400, DecisionBehaviour::kAnswer}};
  ASSERT_TRUE(ScheduleFaults(&sched, kStart, faults, {"near", "far"}, &sink).ok());
  sched.AdvanceTo(kStart + 9 * kMicrosPerSecond);
  EXPECT_TRUE(sink.log.empty());
  sched.AdvanceTo(kStart + 60 * kMicrosPerSecond);
  // Two at one instant apply in the list's order.
  EXPECT_EQ(sink.log, (std::vector<std::string>{"10 kv pop1 60", "10 restart", "20 decision 2", "30 rtt pop0 400"}));
}

TEST(FaultsTest, UnknownPopOrKindIsNamedAndNothingIsScheduled) {
  testing::ManualScheduler sched(kStart);
  RecordingSink sink;
  sink.sched = &sched;
  std::vector<FaultSpec> faults = {{1, "coordinator_restart", "", 0, DecisionBehaviour::kAnswer},
                                   {2, "coordinator_rtt", "mars", 10, DecisionBehaviour::kAnswer}};
  EXPECT_EQ(ScheduleFaults(&sched, kStart, faults, {"near"}, &sink).message(), "scenario.faults[1].pop: unknown pop 'mars'");
  faults[1] = {2, "meteor", "", 0, DecisionBehaviour::kAnswer};
  EXPECT_EQ(ScheduleFaults(&sched, kStart, faults, {"near"}, &sink).message(),
            "scenario.faults[1].kind: must be coordinator_restart, decision, kv_propagation or coordinator_rtt, got \"meteor\"");
  sched.AdvanceTo(kStart + 10 * kMicrosPerSecond);
  EXPECT_TRUE(sink.log.empty());
}

origin::SyntheticStreamSpec Stream() {
  origin::SyntheticStreamSpec spec;
  spec.segment_duration_s = 2;
  spec.start_time = kStart;
  spec.renditions = {{"v720", 2'500'000, "1280x720", "avc1.64001f,mp4a.40.2"}};
  return spec;
}

TEST(ApplyStopTest, EndsThePlayingBreakOrCancelsTheNext) {
  const origin::SyntheticStreamSpec spec = Stream();
  auto at = [](double s) { return kStart + SecondsToMicros(s); };
  std::vector<TruthBreak> breaks = {ApiBreak(spec, at(20), at(80)), ApiBreak(spec, at(100), at(120))};
  const BreakSlots second = breaks[1].slots;
  // 41.1 s into the first: it ends at the first slot starting at or after then (42 s, MSN 21).
  EXPECT_EQ(ApplyStop(spec, &breaks, at(41.1)), 0);
  EXPECT_EQ(breaks[0].end_time, at(41.1));
  EXPECT_EQ(breaks[0].slots.first_msn, 10);
  EXPECT_EQ(breaks[0].slots.end_msn, 21);
  // Nothing playing at 90 s: the next break is cancelled.
  EXPECT_EQ(ApplyStop(spec, &breaks, at(90)), 1);
  EXPECT_TRUE(breaks[1].slots.empty());
  EXPECT_NE(second.end_msn, breaks[1].slots.end_msn);
  // Nothing left to stop.
  EXPECT_EQ(ApplyStop(spec, &breaks, at(95)), -1);
}

TEST(CueBodyTest, WhatTheCueApiParses) {
  ApiCueSpec start{10, 25.5, "pod-x", false, false};
  Result<CueRequest> r = ParseCueRequest(CueBody(start, "org", "ch"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->action, CueAction::kStart);
  EXPECT_EQ(r->duration_s, 25.5);
  EXPECT_EQ(r->pod_id, "pod-x");
  EXPECT_EQ(r->channel, "ch");
  ApiCueSpec stop;
  stop.stop = true;
  r = ParseCueRequest(CueBody(stop, "org", "ch"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->action, CueAction::kStop);
  // The cue API's own range check applies to a harness's call too.
  ApiCueSpec negative{10, -5, "", false, false};
  EXPECT_FALSE(ParseCueRequest(CueBody(negative, "org", "ch")).ok());
}

TEST(EarlyCueInTest, TheOutAnnouncesThePlanAndTheInStays) {
  origin::SyntheticStreamSpec spec = Stream();
  spec.cue_flavour = origin::CueFlavour::kCueOut;
  spec.repeat_cue = true;
  spec.breaks = {{kStart + 20 * kMicrosPerSecond, 20, 7}};
  const std::string actual = origin::MediaPlaylistAt(spec, spec.renditions[0], kStart + 32 * kMicrosPerSecond);
  ASSERT_NE(actual.find("#EXT-X-CUE-OUT:DURATION=20\n"), std::string::npos) << actual;
  const std::string planned = AnnouncePlannedDurations(actual, spec.breaks, {{7, 60}});
  EXPECT_NE(planned.find("#EXT-X-CUE-OUT:DURATION=60\n"), std::string::npos) << planned;
  EXPECT_EQ(planned.find("DURATION=20"), std::string::npos) << planned;
  EXPECT_EQ(planned.find("SCTE35="), std::string::npos) << planned;  // the CONT's contradicting binary dropped
  // Its IN still comes after the actual 20 s.
  const std::string later = AnnouncePlannedDurations(
      origin::MediaPlaylistAt(spec, spec.renditions[0], kStart + 44 * kMicrosPerSecond), spec.breaks, {{7, 60}});
  EXPECT_NE(later.find("#EXT-X-CUE-IN"), std::string::npos) << later;
  // Another event's break is left alone.
  EXPECT_EQ(AnnouncePlannedDurations(actual, spec.breaks, {{8, 60}}), actual);
}

}  // namespace
}  // namespace ssai::world
