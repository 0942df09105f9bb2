#include "reference/ssai/kv_publisher.h"

#include <gtest/gtest.h>

#include "reference/ssai/testing/fake_env.h"

namespace ssai {
namespace {

using testing::FakeKvStore;
using testing::ManualScheduler;

constexpr UnixMicros kT0 = 1'700'000'000LL * kMicrosPerSecond;
constexpr DurationMicros kS = kMicrosPerSecond;
constexpr int64_t kDocTtlS = 300;

class KvPublisherTest : public ::testing::Test {
 protected:
  ManualScheduler sched_{kT0};
  FakeKvStore kv_{&sched_};
  CoordinatorStats stats_;
  KvPublisher pub_{&sched_, &kv_, kDocTtlS, &stats_};
};

TEST_F(KvPublisherTest, BreakTtlIsTheSeedsAtTheStartAndShrinksTowardsTheEnd) {
  EXPECT_EQ(KvPublisher::BreakTtlS(45, kT0 + 45 * kS, kT0), 105);
  EXPECT_EQ(KvPublisher::BreakTtlS(45, kT0 + 45 * kS, kT0 + 40 * kS), 65);
  EXPECT_EQ(KvPublisher::BreakTtlS(45, kT0 + 45 * kS, kT0 + 100 * kS), 60);  // never under KV's minimum
}

TEST_F(KvPublisherTest, WritesAtMostOncePerSecondPerKeyCarryingTheNewestValue) {
  kv_.set_enforce_write_rate(true);
  pub_.Write("doc", "v1", std::nullopt);
  pub_.Flush();
  EXPECT_EQ(kv_.Peek("doc"), "v1");
  EXPECT_EQ(kv_.ExpiryOf("doc"), kT0 + kDocTtlS * kS);
  pub_.Write("doc", "v2", std::nullopt);
  pub_.Write("doc", "v3", std::nullopt);
  pub_.Flush();
  EXPECT_EQ(kv_.Peek("doc"), "v1");  // < 1 s after the last write: waits
  sched_.AdvanceBy(kS);
  EXPECT_EQ(kv_.Peek("doc"), "v3");
  EXPECT_EQ(stats_.kv_writes, 2);
  EXPECT_EQ(stats_.kv_writes_deferred, 2);
  EXPECT_EQ(kv_.rejected_puts, 0);
  const KvPublisher::Latest latest = pub_.LatestOf("doc");
  ASSERT_TRUE(latest.known);
  EXPECT_EQ(*latest.value, "v3");
}

TEST_F(KvPublisherTest, AFailedWriteIsRetriedWithBackoffAndWaitersLearnOfIt) {
  kv_.set_down(true);
  pub_.Write("adbreak:ch:e", "doc", kT0 + 600 * kS, 600);
  std::vector<Status> waited;
  pub_.WaitFor("adbreak:ch:e", [&](Status s) { waited.push_back(s); });
  pub_.Flush();
  ASSERT_EQ(waited.size(), 1u);
  EXPECT_FALSE(waited[0].ok());
  // In backoff: a waiter hears of the failure at once.
  pub_.WaitFor("adbreak:ch:e", [&](Status s) { waited.push_back(s); });
  ASSERT_EQ(waited.size(), 2u);
  EXPECT_FALSE(waited[1].ok());
  sched_.AdvanceBy(kS);       // retry 1 (1 s)
  sched_.AdvanceBy(2 * kS);   // retry 2 (2 s)
  EXPECT_EQ(stats_.kv_write_failures, 3);
  kv_.set_down(false);
  sched_.AdvanceBy(4 * kS);  // retry 3 (4 s) succeeds
  EXPECT_EQ(kv_.Peek("adbreak:ch:e"), "doc");
  pub_.WaitFor("adbreak:ch:e", [&](Status s) { waited.push_back(s); });
  ASSERT_EQ(waited.size(), 3u);
  EXPECT_TRUE(waited[2].ok());
}

TEST_F(KvPublisherTest, ABreakKeyPastItsExpiryIsNotWritten) {
  pub_.Write("adbreak:ch:e", "doc", kT0 - 61 * kS, 30);
  std::optional<Status> waited;
  pub_.WaitFor("adbreak:ch:e", [&](Status s) { waited = s; });
  pub_.Flush();
  ASSERT_TRUE(waited.has_value());
  EXPECT_EQ(waited->code(), StatusCode::kDeadlineExceeded);
  EXPECT_FALSE(kv_.Peek("adbreak:ch:e").has_value());
  EXPECT_EQ(stats_.kv_writes, 0);
}

TEST_F(KvPublisherTest, DeletesAndForgottenKeysLeaveNoWriterBehind) {
  kv_.set_latency(kS);
  pub_.Write("a", "1", std::nullopt);
  pub_.Flush();
  pub_.Forget("a");  // in flight: erased once idle
  EXPECT_EQ(pub_.writers(), 1u);
  sched_.AdvanceBy(kS);
  EXPECT_EQ(pub_.writers(), 0u);
  pub_.Write("b", "1", std::nullopt);
  pub_.Flush();
  sched_.AdvanceBy(2 * kS);
  pub_.Delete("b");
  EXPECT_TRUE(pub_.LatestOf("b").is_delete);
  pub_.Flush();
  sched_.AdvanceBy(2 * kS);
  EXPECT_FALSE(kv_.Peek("b").has_value());
  pub_.Forget("b");
  EXPECT_EQ(pub_.writers(), 0u);
}

TEST_F(KvPublisherTest, QuietUntilHoldsTheFirstWrite) {
  pub_.QuietUntil(kT0 + kS);
  pub_.Write("doc", "v1", std::nullopt);
  pub_.Flush();
  EXPECT_FALSE(kv_.Peek("doc").has_value());
  sched_.AdvanceBy(kS);
  EXPECT_EQ(kv_.Peek("doc"), "v1");
}

}  // namespace
}  // namespace ssai
