#include "reference/server/inject.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>

#include "reference/server/config.h"
#include "reference/ssai/testing/fake_env.h"

namespace ssai::server {
namespace {

// Answers at once with a state naming the channel and counts calls.
class ImmediateCoordinator : public CoordinatorClient {
 public:
  void GetChannelState(std::string_view channel_id, StateCallback done) override {
    ++calls;
    ChannelState s;
    s.channel_id = std::string(channel_id);
    done(s);
  }
  int calls = 0;
};

TEST(InjectedLatencyCoordinatorClientTest, DelaysEachCallWithinTheRange) {
  testing::ManualScheduler sched;
  ImmediateCoordinator inner;
  InjectedLatencyCoordinatorClient client(&inner, &sched, 50, 200, /*seed=*/7);
  for (int i = 0; i < 20; ++i) {
    const UnixMicros start = sched.Now();
    std::optional<UnixMicros> answered_at;
    client.GetChannelState("ch_demo_sports", [&](Result<ChannelState> st) {
      ASSERT_TRUE(st.ok());
      EXPECT_EQ(st->channel_id, "ch_demo_sports");
      answered_at = sched.Now();
    });
    sched.AdvanceBy(49'999);
    EXPECT_FALSE(answered_at.has_value()) << "answered before the 50 ms minimum";
    sched.AdvanceBy(150'001);
    ASSERT_TRUE(answered_at.has_value()) << "not answered within the 200 ms maximum";
    EXPECT_GE(*answered_at - start, 50'000);
    EXPECT_LE(*answered_at - start, 200'000);
  }
  EXPECT_EQ(inner.calls, 20);
  EXPECT_EQ(client.calls, 20);
}

TEST(InjectedLatencyCoordinatorClientTest, SameSeedSameDelaysAndSpreadOverTheRange) {
  testing::ManualScheduler sched;
  ImmediateCoordinator inner;
  InjectedLatencyCoordinatorClient a(&inner, &sched, 50, 200, 3), b(&inner, &sched, 50, 200, 3);
  DurationMicros lo = 1'000'000, hi = 0;
  for (int i = 0; i < 1000; ++i) {
    const DurationMicros d = a.NextDelayUs();
    EXPECT_EQ(d, b.NextDelayUs());
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_LT(lo, 60'000);
  EXPECT_GT(hi, 190'000);
}

TEST(InjectConfigTest, ParsesTheRangeAndNamesTheFieldOnError) {
  const std::string channel =
      R"("channels": [{"org": "demo", "channel": "sports", "origin_base_url": "http://127.0.0.1:1",
                       "renditions": [{"name": "v720", "bandwidth_bps": 2500000}]}])";
  Result<ServerConfig> ok = ParseServerConfig(R"({"inject": {"coordinator_latency_ms": [50, 200]}, )" + channel + "}");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->inject_coordinator_latency_min_ms, 50);
  EXPECT_EQ(ok->inject_coordinator_latency_max_ms, 200);
  Result<ServerConfig> off = ParseServerConfig("{" + channel + "}");
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->inject_coordinator_latency_max_ms, 0);
  for (const char* bad : {R"({"inject": {"coordinator_latency_ms": [200, 50]}})",
                          R"({"inject": {"coordinator_latency_ms": 50}})",
                          R"({"inject": {"coordinator_latency_ms": [-1, 5]}})"}) {
    Result<ServerConfig> r = ParseServerConfig(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("inject.coordinator_latency_ms"), std::string::npos) << r.status().message();
  }
  Result<ServerConfig> typo = ParseServerConfig(R"({"inject": {"coordinator_latency": [1, 2]}})");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("inject.coordinator_latency"), std::string::npos);
}

}  // namespace
}  // namespace ssai::server
