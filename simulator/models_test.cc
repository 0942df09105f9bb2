#include "simulator/models.h"

#include <gtest/gtest.h>

namespace ssai::sim {
namespace {

constexpr UnixMicros kT0 = 1'767'225'600LL * kMicrosPerSecond;

struct KvFixture {
  explicit KvFixture(KvSpec spec = Fixed()) : sim(kT0), kv(&sim, spec, 2, Rng(1), kT0) {}
  static KvSpec Fixed() {
    KvSpec s;
    s.write_latency = Distribution::Fixed(10);
    s.propagation = Distribution::Fixed(1000);
    s.hot_read = Distribution::Fixed(1);
    s.cold_read = Distribution::Fixed(40);
    s.list_staleness_s = 60;
    return s;
  }
  Status Put(const std::string& key, const std::string& value, int64_t ttl_s) {
    std::optional<Status> out;
    kv.Location(-1)->Put(key, value, ttl_s, [&](Status s) { out = s; });
    sim.RunUntil(sim.Now() + 20'000);
    return out.value_or(Status::Internal("no answer"));
  }
  std::optional<std::string> Get(int pop, const std::string& key, int64_t cache_ttl_s = 60) {
    std::optional<std::string> out;
    bool done = false;
    kv.Location(pop)->Get(key, {cache_ttl_s}, [&](Result<std::optional<std::string>> r) {
      EXPECT_TRUE(r.ok());
      if (r.ok()) out = *r;
      done = true;
    });
    sim.RunUntil(sim.Now() + 50'000);
    EXPECT_TRUE(done);
    return out;
  }
  std::vector<std::string> List(int pop, const std::string& prefix) {
    std::vector<std::string> out;
    kv.Location(pop)->List(prefix, [&](Result<std::vector<std::string>> r) {
      if (r.ok()) out = *r;
    });
    sim.RunUntil(sim.Now() + 50'000);
    return out;
  }
  void Advance(double s) { sim.RunUntil(sim.Now() + SecondsToMicros(s)); }
  Simulation sim;
  KvCluster kv;
};

TEST(KvModelTest, PropagationNegativeCachingAndExpiry) {
  KvFixture f;
  // POP 0 reads before the write: a miss, cached for cacheTtl (negative caching).
  EXPECT_EQ(f.Get(0, "k"), std::nullopt);
  ASSERT_TRUE(f.Put("k", "v1", 100).ok());
  // POP 1 has no cached copy but propagation (1 s) has not reached it yet.
  EXPECT_EQ(f.Get(1, "k"), std::nullopt);
  f.Advance(2);
  EXPECT_EQ(f.Get(0, "k"), std::nullopt);  // cached miss
  f.Advance(60);
  EXPECT_EQ(f.Get(0, "k"), "v1");          // cache expired: read-through
  EXPECT_EQ(f.kv.pop_stats(0).negative_hits, 1);
  // Absolute expiry: 100 s after the put, the value is gone even from a cache.
  f.Advance(40);
  EXPECT_EQ(f.Get(0, "k"), std::nullopt);
}

TEST(KvModelTest, WriteLimitTtlFloorAndLastWriteWins) {
  KvFixture f;
  EXPECT_EQ(f.Put("k", "v", 59).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(f.Put("k", "v1", 60).ok());
  EXPECT_EQ(f.Put("k", "v2", 60).code(), StatusCode::kResourceExhausted);  // < 1 s later
  f.Advance(1);
  EXPECT_TRUE(f.Put("k", "v3", 60).ok());
  f.Advance(2);
  EXPECT_EQ(f.Get(1, "k"), "v3");
  EXPECT_EQ(f.kv.stats().rejected_puts, 1);
  EXPECT_EQ(f.kv.stats().invalid_puts, 1);
}

TEST(KvModelTest, ListStalenessAndOutage) {
  KvSpec spec = KvFixture::Fixed();
  spec.outages.push_back({100, 110, -1, 0});
  KvFixture f(spec);
  EXPECT_TRUE(f.List(0, "adbreak:").empty());
  ASSERT_TRUE(f.Put("adbreak:c:1", "x", 300).ok());
  f.Advance(5);
  EXPECT_TRUE(f.List(0, "adbreak:").empty());  // snapshot younger than 60 s
  EXPECT_EQ(f.List(1, "adbreak:"), std::vector<std::string>{"adbreak:c:1"});
  f.Advance(60);
  EXPECT_EQ(f.List(0, "adbreak:"), std::vector<std::string>{"adbreak:c:1"});
  f.sim.RunUntil(kT0 + 101 * kMicrosPerSecond);
  bool failed = false;
  f.kv.Location(0)->Get("adbreak:c:1", {60}, [&](Result<std::optional<std::string>> r) {
    failed = !r.ok() && r.status().code() == StatusCode::kUnavailable;
  });
  f.Advance(1);
  EXPECT_TRUE(failed);
}

// Per-POP settings (the conformance builtin target's POPs, issue 18): a POP's own fixed
// propagation and latency, a POP that does not honour cacheTtl, a propagation change at run time
// that applies from the next write, every write attempt recorded, and a peek past the cache.
TEST(KvModelTest, PopSettingsPropagationChangeAndPutRecord) {
  KvFixture f;
  f.kv.set_record_puts(true);
  KvCluster::PopSettings far;
  far.propagation = Distribution::Fixed(10'000);
  far.read_latency = Distribution::Fixed(5);
  f.kv.SetPopSettings(1, far);
  KvCluster::PopSettings uncached;
  uncached.honour_cache_ttl = false;
  f.kv.SetPopSettings(0, uncached);

  EXPECT_EQ(f.Get(0, "k"), std::nullopt);  // POP 0 does not cache this miss
  EXPECT_EQ(f.Get(1, "k"), std::nullopt);  // POP 1 does
  ASSERT_TRUE(f.Put("k", "v1", 60).ok());
  f.Advance(2);
  EXPECT_EQ(f.Get(0, "k"), "v1") << "no cached miss at a POP that ignores cacheTtl";
  EXPECT_EQ(f.kv.pop_stats(0).cache_hits, 0);
  EXPECT_EQ(f.kv.PeekVisible(1, "k"), std::nullopt) << "10 s propagation to POP 1";
  f.Advance(9);
  EXPECT_EQ(f.kv.PeekVisible(1, "k"), "v1");
  EXPECT_EQ(f.Get(1, "k"), std::nullopt) << "the cached miss still answers";
  EXPECT_EQ(f.kv.PeekVisible(-1, "k"), "v1");

  // Read latency is POP 1's own 5 ms (the cached answer) while POP 0 keeps the spec's.
  const UnixMicros asked = f.sim.Now();
  UnixMicros answered = 0;
  f.kv.Location(1)->Get("k", {60}, [&](Result<std::optional<std::string>>) { answered = f.sim.Now(); });
  f.Advance(1);
  EXPECT_EQ(answered - asked, 5 * kMicrosPerMilli);

  // A new delay applies to writes from now on; v1 stays visible where it was.
  f.kv.SetPropagation(0, Distribution::Fixed(30'000));
  ASSERT_TRUE(f.Put("k", "v2", 60).ok());
  f.Advance(5);
  EXPECT_EQ(f.kv.PeekVisible(0, "k"), "v1");
  f.Advance(26);
  EXPECT_EQ(f.kv.PeekVisible(0, "k"), "v2");
  f.Advance(60);
  EXPECT_EQ(f.kv.PeekVisible(0, "k"), std::nullopt) << "expired";
  EXPECT_EQ(f.kv.PeekVisible(-1, "k"), std::nullopt);

  EXPECT_EQ(f.Put("k", "v3", 30).code(), StatusCode::kInvalidArgument);
  ASSERT_EQ(f.kv.puts().size(), 3u);
  EXPECT_EQ(f.kv.puts()[0].value, "v1");
  EXPECT_TRUE(f.kv.puts()[1].status.ok());
  EXPECT_EQ(f.kv.puts()[2].ttl_s, 30);
  EXPECT_EQ(f.kv.puts()[2].status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(f.kv.puts()[2].time, f.sim.Now() - 20'000);  // when it was asked (Put runs 20 ms)
}

TEST(KvModelTest, PutsAreNotRecordedUnlessAsked) {
  KvFixture f;
  ASSERT_TRUE(f.Put("k", "v", 60).ok());
  EXPECT_TRUE(f.kv.puts().empty());
}


// Issue 18: a conformance scenario's pod and ad server behaviour, played by the simulator's models.
TEST(DecisionModelTest, ListedPodAndBehaviour) {
  Simulation sim(kT0);
  DecisionSpec spec;
  spec.latency = Distribution::Fixed(20);
  spec.ads.resize(2);
  spec.ads[0].id = "c15";
  spec.ads[0].duration_s = 15;
  spec.ads[0].segment_duration_s = 2;
  spec.ads[1].id = "c7";
  spec.ads[1].duration_s = 7.5;
  spec.ads[1].segment_duration_s = 1.5;
  SimDecision decision(&sim, spec, {800'000, 2'500'000}, Rng(1));
  std::optional<Result<AdDecision>> got;
  DecisionClient::Request request;
  request.event_id = "7";
  request.pod_id = "pod-x";
  decision.Decide(request, [&](Result<AdDecision> d) { got = std::move(d); });
  sim.RunUntil(kT0 + 19'000);
  EXPECT_FALSE(got.has_value());  // after its latency
  sim.RunUntil(kT0 + 20'000);
  ASSERT_TRUE(got.has_value() && got->ok());
  ASSERT_EQ((*got)->items.size(), 2u);
  EXPECT_EQ((*got)->items[1].id, "c7");
  EXPECT_EQ((*got)->items[1].duration_s, 7.5);
  EXPECT_EQ((*got)->items[1].segment_duration_s, 1.5);
  // The origin serves each listed ad's playlist at its own duration and segment duration.
  OriginSpec ospec;
  ospec.fetch_latency = Distribution::Fixed(0);
  SimOrigin origin(&sim, ospec, {}, kT0, Rng(2));
  origin.set_listed_ads(spec.ads);
  std::string body;
  origin.Fetch("http://ads/c7/800000.m3u8", [&](Result<OriginClient::Response> r) { body = r.ok() ? r->body : ""; });
  sim.RunUntil(kT0 + 30'000);
  EXPECT_NE(body.find("#EXTINF:1.500,"), std::string::npos) << body;
  EXPECT_EQ(body.find("#EXTINF:2.000,"), std::string::npos) << body;
  // fail: every decision fails; hang: none is ever answered.
  spec.behaviour = world::DecisionBehaviour::kFail;
  SimDecision failing(&sim, spec, {800'000}, Rng(1));
  got.reset();
  failing.Decide(request, [&](Result<AdDecision> d) { got = std::move(d); });
  sim.RunUntil(kT0 + 60'000);
  ASSERT_TRUE(got.has_value());
  EXPECT_FALSE(got->ok());
  spec.behaviour = world::DecisionBehaviour::kHang;
  SimDecision hanging(&sim, spec, {800'000}, Rng(1));
  got.reset();
  hanging.Decide(request, [&](Result<AdDecision> d) { got = std::move(d); });
  sim.RunUntil(kT0 + 600'000'000);
  EXPECT_FALSE(got.has_value());
  EXPECT_EQ(hanging.requests(), 1);
}

}  // namespace
}  // namespace ssai::sim
