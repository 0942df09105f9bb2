#include "reference/ssai/decision_waiter.h"

#include <gtest/gtest.h>

#include "reference/ssai/testing/fake_env.h"

namespace ssai {
namespace {

using testing::FakeDecision;
using testing::ManualScheduler;

constexpr DurationMicros kTimeoutUs = 2 * kMicrosPerSecond;

AdDecision OneAd(std::string pod_id) {
  AdDecision d;
  d.pod_id = std::move(pod_id);
  d.items = {{"ad1", 15, {{800000, "https://ads.test/ad1/800k.m3u8"}}}};
  return d;
}

class DecisionWaiterTest : public ::testing::Test {
 protected:
  ManualScheduler sched_;
  FakeDecision decision_{&sched_};
  CoordinatorStats stats_;
  DecisionClient::Request request_{"ch", "e1", "pod-7", 30};
  std::vector<AdDecision> got_;
  void Decide(DecisionWaiter& w) {
    w.Decide(request_, [this](AdDecision d) { got_.push_back(std::move(d)); });
  }
};

TEST_F(DecisionWaiterTest, AnAnswerInTimeIsThePod) {
  decision_.decision = OneAd("");
  decision_.latency = kTimeoutUs / 2;
  DecisionWaiter w(&sched_, &decision_, kTimeoutUs, &stats_);
  Decide(w);
  sched_.AdvanceBy(kTimeoutUs * 2);
  ASSERT_EQ(got_.size(), 1u);
  EXPECT_EQ(got_[0].items.size(), 1u);
  EXPECT_EQ(got_[0].pod_id, "pod-7");  // the service named none: the requested pod
  ASSERT_EQ(decision_.requests.size(), 1u);
  EXPECT_EQ(decision_.requests[0].event_id, "e1");
  EXPECT_EQ(stats_.decision_requests, 1);
  EXPECT_EQ(stats_.decision_timeouts, 0);
}

TEST_F(DecisionWaiterTest, ALateAnswerIsSlateOnceAndTheAnswerIsDropped) {
  decision_.decision = OneAd("x");
  decision_.latency = kTimeoutUs * 2;
  DecisionWaiter w(&sched_, &decision_, kTimeoutUs, &stats_);
  Decide(w);
  sched_.AdvanceBy(kTimeoutUs);
  ASSERT_EQ(got_.size(), 1u);
  EXPECT_TRUE(got_[0].items.empty());
  EXPECT_EQ(got_[0].pod_id, "pod-7");
  sched_.AdvanceBy(kTimeoutUs * 2);
  EXPECT_EQ(got_.size(), 1u);
  EXPECT_EQ(stats_.decision_timeouts, 1);
}

TEST_F(DecisionWaiterTest, FailuresAndEmptyPodsAreSlateAndCounted) {
  DecisionWaiter w(&sched_, &decision_, kTimeoutUs, &stats_);
  decision_.behaviour = FakeDecision::Behaviour::kFail;
  Decide(w);
  decision_.behaviour = FakeDecision::Behaviour::kAnswer;
  decision_.decision = AdDecision{"empty", {}};
  Decide(w);
  sched_.AdvanceBy(kTimeoutUs * 2);
  ASSERT_EQ(got_.size(), 2u);
  EXPECT_TRUE(got_[0].items.empty());
  EXPECT_TRUE(got_[1].items.empty());
  EXPECT_EQ(got_[1].pod_id, "pod-7");
  EXPECT_EQ(stats_.decision_failures, 2);
  EXPECT_EQ(stats_.decision_timeouts, 0);
  EXPECT_EQ(sched_.pending(), 0u);  // the timeouts were cancelled
}

TEST_F(DecisionWaiterTest, WithoutAServiceEveryBreakGetsSlateAtOnce) {
  DecisionWaiter w(&sched_, nullptr, kTimeoutUs, &stats_);
  Decide(w);
  ASSERT_EQ(got_.size(), 1u);
  EXPECT_TRUE(got_[0].items.empty());
  EXPECT_EQ(stats_.decision_requests, 0);
}

TEST_F(DecisionWaiterTest, NothingIsCalledOnceTheWaiterIsGone) {
  decision_.decision = OneAd("x");
  decision_.latency = kTimeoutUs / 2;
  {
    DecisionWaiter w(&sched_, &decision_, kTimeoutUs, &stats_);
    Decide(w);
  }
  sched_.AdvanceBy(kTimeoutUs * 2);
  EXPECT_TRUE(got_.empty());
}

}  // namespace
}  // namespace ssai
