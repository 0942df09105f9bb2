// CachingKvStore over the in-memory fake KV, on a manual clock. The "coordinator" writes the
// store directly (another location); the "edge" reads through the cache.
#include "reference/server/kv_cache.h"

#include <gtest/gtest.h>

#include "reference/ssai/testing/fake_env.h"

namespace ssai::server {
namespace {

using ssai::testing::FakeKvStore;
using ssai::testing::ManualScheduler;

class KvCacheTest : public ::testing::Test {
 protected:
  // What a Get through the cache answered (the fake completes inline at zero latency).
  Result<std::optional<std::string>> Read(const std::string& key) {
    Result<std::optional<std::string>> out = Status::Internal("no completion");
    cache_.Get(key, {}, [&](Result<std::optional<std::string>> r) { out = std::move(r); });
    sched_.RunDue();
    return out;
  }
  Status WriteDirect(const std::string& key, const std::string& value) {
    Status out = Status::Internal("no completion");
    store_.Put(key, value, 60, [&](Status s) { out = s; });
    return out;
  }

  ManualScheduler sched_;
  FakeKvStore store_{&sched_};
  CachingKvStore cache_{&store_, &sched_, /*cache_ttl_s=*/30, /*max_entries=*/3};
};

TEST_F(KvCacheTest, AValueIsServedFromTheCacheUntilItsTtl) {
  store_.set_enforce_write_rate(false);
  ASSERT_TRUE(WriteDirect("k", "v1").ok());
  EXPECT_EQ(Read("k")->value_or(""), "v1");
  EXPECT_EQ(store_.gets, 1);
  ASSERT_TRUE(WriteDirect("k", "v2").ok());  // another location's write
  sched_.AdvanceBy(29 * kMicrosPerSecond);
  EXPECT_EQ(Read("k")->value_or(""), "v1") << "cached for cache_ttl_s";
  EXPECT_EQ(store_.gets, 1);
  EXPECT_EQ(cache_.hits, 1);
  sched_.AdvanceBy(1 * kMicrosPerSecond);  // 30 s: the entry has expired
  EXPECT_EQ(Read("k")->value_or(""), "v2");
  EXPECT_EQ(store_.gets, 2);
}

TEST_F(KvCacheTest, AMissIsCachedToo) {
  Result<std::optional<std::string>> miss = Read("break");
  ASSERT_TRUE(miss.ok());
  EXPECT_FALSE(miss->has_value());
  ASSERT_TRUE(WriteDirect("break", "started").ok());
  sched_.AdvanceBy(10 * kMicrosPerSecond);
  EXPECT_FALSE(Read("break")->has_value()) << "the cached miss hides the new break (Workers cacheTtl)";
  EXPECT_EQ(cache_.negative_hits, 1);
  EXPECT_EQ(store_.gets, 1);
  sched_.AdvanceBy(20 * kMicrosPerSecond);
  EXPECT_EQ(Read("break")->value_or(""), "started");
}

TEST_F(KvCacheTest, ADeletedKeyIsServedUntilTheCachedEntryExpires) {
  ASSERT_TRUE(WriteDirect("k", "ad").ok());
  EXPECT_EQ(Read("k")->value_or(""), "ad");
  store_.Delete("k", [](Status) {});
  EXPECT_EQ(Read("k")->value_or(""), "ad") << "ghost: the cache still holds it";
  sched_.AdvanceBy(31 * kMicrosPerSecond);
  EXPECT_FALSE(Read("k")->has_value());
}

TEST_F(KvCacheTest, ErrorsAreNotCached) {
  store_.set_down(true);
  EXPECT_FALSE(Read("k").ok());
  store_.set_down(false);
  ASSERT_TRUE(WriteDirect("k", "v").ok());
  EXPECT_EQ(Read("k")->value_or(""), "v");
  EXPECT_EQ(store_.gets, 2);
}

TEST_F(KvCacheTest, OwnWritesDropTheEntryAndAReadInFlightDoesNotRepopulate) {
  EXPECT_FALSE(Read("k")->has_value());  // cached miss
  Status put = Status::Internal("no completion");
  cache_.Put("k", "mine", 60, [&](Status s) { put = s; });
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(Read("k")->value_or(""), "mine") << "the writer sees its own write";
  // A read that started before a write must not cache its (older) answer.
  store_.set_latency(100 * kMicrosPerMilli);
  sched_.AdvanceBy(31 * kMicrosPerSecond);
  std::optional<std::string> late;
  cache_.Get("k", {}, [&](Result<std::optional<std::string>> r) { late = r.ok() ? r->value_or("") : "error"; });
  store_.set_enforce_write_rate(false);
  cache_.Delete("k", [](Status) {});
  sched_.AdvanceBy(200 * kMicrosPerMilli);
  EXPECT_EQ(late, std::optional<std::string>("mine"));  // passed on ...
  const int64_t gets_before = store_.gets;
  Result<std::optional<std::string>> after = Status::Internal("no completion");
  cache_.Get("k", {}, [&](Result<std::optional<std::string>> r) { after = std::move(r); });
  sched_.AdvanceBy(200 * kMicrosPerMilli);
  EXPECT_EQ(store_.gets, gets_before + 1) << "... but not cached";
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->has_value());
}

TEST_F(KvCacheTest, BoundedEntries) {
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(Read("k" + std::to_string(i)).ok());
  EXPECT_EQ(cache_.size(), 3u);
  sched_.AdvanceBy(31 * kMicrosPerSecond);
  EXPECT_TRUE(Read("fresh").ok());  // full: expired entries are swept first
  EXPECT_EQ(cache_.size(), 1u);
}

}  // namespace
}  // namespace ssai::server
