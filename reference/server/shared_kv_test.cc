// SharedKv: several locations (one per in-process server) over one central store, on a manual
// clock: per-location propagation (a far POP sees a write later and keeps the old value until
// then), latency, Workers KV's write rules, deletes, run-time delay changes, and many threads.
#include "reference/server/shared_kv.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "reference/server/kv_cache.h"
#include "reference/ssai/testing/fake_env.h"

namespace ssai::server {
namespace {

using ssai::testing::ManualScheduler;

class SharedKvTest : public ::testing::Test {
 protected:
  std::optional<std::string> Read(SharedKvLocation& at, const std::string& key) {
    std::optional<std::string> out = "no completion";
    at.Get(key, {}, [&](Result<std::optional<std::string>> r) { out = r.ok() ? *r : "error"; });
    sched_.RunDue();
    return out;
  }
  Status Write(SharedKvLocation& at, const std::string& key, const std::string& value) {
    Status out = Status::Internal("no completion");
    at.Put(key, value, 60, [&](Status s) { out = s; });
    sched_.RunDue();
    return out;
  }

  ManualScheduler sched_;
  SharedKv central_;
  SharedKvLocation writer_{&central_, &sched_, 0, 0};
  SharedKvLocation near_{&central_, &sched_, 2 * kMicrosPerSecond, 0};
  SharedKvLocation far_{&central_, &sched_, 30 * kMicrosPerSecond, 0};
};

TEST_F(SharedKvTest, EachLocationSeesAWriteAfterItsOwnPropagationDelay) {
  ASSERT_TRUE(Write(writer_, "k", "v1").ok());
  EXPECT_EQ(Read(writer_, "k"), "v1");
  EXPECT_EQ(Read(near_, "k"), std::nullopt);
  sched_.AdvanceBy(2 * kMicrosPerSecond);
  EXPECT_EQ(Read(near_, "k"), "v1");
  EXPECT_EQ(Read(far_, "k"), std::nullopt);
  sched_.AdvanceBy(28 * kMicrosPerSecond);
  EXPECT_EQ(Read(far_, "k"), "v1");
}

TEST_F(SharedKvTest, AFarLocationKeepsTheOldValueUntilTheNewOneArrives) {
  ASSERT_TRUE(Write(writer_, "k", "v1").ok());
  sched_.AdvanceBy(31 * kMicrosPerSecond);
  ASSERT_TRUE(Write(writer_, "k", "v2").ok());
  sched_.AdvanceBy(3 * kMicrosPerSecond);
  EXPECT_EQ(Read(near_, "k"), "v2");
  EXPECT_EQ(Read(far_, "k"), "v1");
  Status del = Status::Internal("no completion");
  writer_.Delete("k", [&](Status s) { del = s; });
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(Read(writer_, "k"), std::nullopt);
  EXPECT_EQ(Read(near_, "k"), "v2");  // the delete is on its way too
  sched_.AdvanceBy(30 * kMicrosPerSecond);
  EXPECT_EQ(Read(far_, "k"), std::nullopt);
}

TEST_F(SharedKvTest, KeepsWorkersKvWriteRules) {
  ASSERT_TRUE(Write(writer_, "k", "v1").ok());
  EXPECT_EQ(Write(writer_, "k", "v2").code(), StatusCode::kResourceExhausted);  // 1 write/s per key
  EXPECT_EQ(central_.rejected_puts(), 1);
  Status short_ttl = Status::Internal("no completion");
  writer_.Put("j", "v", 59, [&](Status s) { short_ttl = s; });
  EXPECT_EQ(short_ttl.code(), StatusCode::kInvalidArgument);
  sched_.AdvanceBy(61 * kMicrosPerSecond);  // absolute expiry: 60 s
  EXPECT_EQ(Read(writer_, "k"), std::nullopt);
}

TEST_F(SharedKvTest, LatencyDelaysTheCompletionOnTheLocationsScheduler) {
  SharedKvLocation slow(&central_, &sched_, 0, 5 * kMicrosPerMilli);
  ASSERT_TRUE(Write(writer_, "k", "v").ok());
  bool done = false;
  slow.Get("k", {}, [&](Result<std::optional<std::string>>) { done = true; });
  sched_.AdvanceBy(4 * kMicrosPerMilli);
  EXPECT_FALSE(done);
  sched_.AdvanceBy(1 * kMicrosPerMilli);
  EXPECT_TRUE(done);
}

TEST_F(SharedKvTest, ADelayChangeAppliesToWritesFromThenOn) {
  ASSERT_TRUE(Write(writer_, "a", "1").ok());
  sched_.AdvanceBy(1 * kMicrosPerSecond);
  near_.set_propagation_delay(20 * kMicrosPerSecond);  // a fault mid-run
  ASSERT_TRUE(Write(writer_, "b", "1").ok());
  sched_.AdvanceBy(1 * kMicrosPerSecond);
  EXPECT_EQ(Read(near_, "a"), "1");  // written before: its 2 s
  EXPECT_EQ(Read(near_, "b"), std::nullopt);
  sched_.AdvanceBy(19 * kMicrosPerSecond);
  EXPECT_EQ(Read(near_, "b"), "1");
}

TEST_F(SharedKvTest, ListShowsWhatTheLocationSees) {
  ASSERT_TRUE(Write(writer_, "adbreak:c:1", "x").ok());
  ASSERT_TRUE(Write(writer_, "other", "x").ok());
  std::vector<std::string> keys;
  near_.List("adbreak:", [&](Result<std::vector<std::string>> r) { keys = *r; });
  EXPECT_TRUE(keys.empty());
  sched_.AdvanceBy(2 * kMicrosPerSecond);
  near_.List("adbreak:", [&](Result<std::vector<std::string>> r) { keys = *r; });
  EXPECT_EQ(keys, std::vector<std::string>{"adbreak:c:1"});
}

TEST_F(SharedKvTest, TheServersReadCacheComposesOnTop) {
  // kv_cache: a cached miss hides a write that has reached the location (cacheTtl, misses included).
  CachingKvStore cached(&near_, &sched_, 60);
  std::optional<std::string> out = "x";
  cached.Get("k", {}, [&](Result<std::optional<std::string>> r) { out = *r; });
  EXPECT_EQ(out, std::nullopt);
  ASSERT_TRUE(Write(writer_, "k", "v").ok());
  sched_.AdvanceBy(10 * kMicrosPerSecond);
  EXPECT_EQ(Read(near_, "k"), "v");
  cached.Get("k", {}, [&](Result<std::optional<std::string>> r) { out = *r; });
  EXPECT_EQ(out, std::nullopt);
}

TEST_F(SharedKvTest, ManyThreadsWriteAndReadSafely) {
  // Each thread its own keys and clock-free reads; what matters is no race (TSan/ASan builds).
  SharedKv central;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&central, t] {
      for (int i = 0; i < 500; ++i) {
        const std::string key = "k" + std::to_string(t) + "-" + std::to_string(i);
        ASSERT_TRUE(central.Write(key, "v", 60, 1'000'000 + i).ok());
        EXPECT_TRUE(central.Visible(key, 1'000'000 + i, [](UnixMicros) { return 0; }).has_value());
        (void)central.VisibleKeys("k", 1'000'000 + i, [](UnixMicros) { return 0; });
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(central.puts(), 2000);
}

}  // namespace
}  // namespace ssai::server
