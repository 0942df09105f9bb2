#include "reference/ssai/testing/fake_env.h"

#include <gtest/gtest.h>

namespace ssai::testing {
namespace {

TEST(ManualSchedulerTest, RunsInTimeThenInsertionOrder) {
  ManualScheduler s(0);
  std::string order;
  s.RunAt(20, [&] { order += "c"; });
  s.RunAt(10, [&] { order += "a"; });
  s.RunAt(10, [&] { order += "b"; s.RunAt(15, [&] { order += "x"; }); });
  auto cancelled = s.RunAt(12, [&] { order += "!"; });
  s.Cancel(cancelled);
  s.AdvanceTo(19);
  EXPECT_EQ(order, "abx");
  EXPECT_EQ(s.Now(), 19);
  s.AdvanceBy(1);
  EXPECT_EQ(order, "abxc");
}

TEST(FakeKvStoreTest, ExpiryVisibilityAndWriteRate) {
  ManualScheduler s(0);
  FakeKvStore kv(&s);
  kv.set_visibility_delay(2 * kMicrosPerSecond);
  Status put;
  kv.Put("adbreak:ch:1", "v1", 60, [&](Status st) { put = st; });
  ASSERT_TRUE(put.ok());
  std::optional<std::string> got = "unset";
  kv.Get("adbreak:ch:1", {}, [&](auto r) { got = *r; });
  EXPECT_EQ(got, std::nullopt);  // not visible yet
  kv.Put("adbreak:ch:1", "v2", 60, [&](Status st) { put = st; });
  EXPECT_EQ(put.code(), StatusCode::kResourceExhausted);  // 1 write/s/key
  s.AdvanceBy(2 * kMicrosPerSecond);
  kv.Get("adbreak:ch:1", {}, [&](auto r) { got = *r; });
  EXPECT_EQ(got, "v1");
  std::vector<std::string> keys;
  kv.List("adbreak:ch:", [&](auto r) { keys = *r; });
  EXPECT_EQ(keys, std::vector<std::string>{"adbreak:ch:1"});
  s.AdvanceTo(60 * kMicrosPerSecond);
  kv.Get("adbreak:ch:1", {}, [&](auto r) { got = *r; });
  EXPECT_EQ(got, std::nullopt);  // expired
  kv.Put("k", "v", 59, [&](Status st) { put = st; });
  EXPECT_EQ(put.code(), StatusCode::kInvalidArgument);
}

TEST(FakeDecisionTest, LatencyAndHang) {
  ManualScheduler s(0);
  FakeDecision d(&s);
  d.latency = 100;
  d.decision.pod_id = "p";
  std::optional<std::string> pod;
  d.Decide({}, [&](Result<AdDecision> r) { pod = r->pod_id; });
  EXPECT_FALSE(pod);
  s.AdvanceBy(100);
  EXPECT_EQ(pod, "p");
  d.behaviour = FakeDecision::Behaviour::kHang;
  bool called = false;
  d.Decide({}, [&](Result<AdDecision>) { called = true; });
  s.AdvanceBy(1'000'000);
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace ssai::testing
