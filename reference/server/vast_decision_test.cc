// VastDecisionClient against the harness's ad server (DecisionService VAST mode) on loopback:
// pods, wrapper chains, and every error case falling back with the right code fired at the
// Error URLs the ad server records.
#include "reference/server/vast_decision.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "reference/media/vast/vast.h"
#include "reference/server/services.h"

namespace ssai::server {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

DecisionConfig Config() {
  DecisionConfig dc;
  dc.ad_segment_duration_s = 2;
  Result<DecisionCatalogue> cat = ParseDecisionCatalogue(R"({"default_pod": "pod3", "pods": {"pod3": {"items": [
      {"id": "c15", "duration": 15, "segmentDuration": 2, "variants": {"800000": "{self}/ads/c15/800000.m3u8", "2500000": "{self}/ads/c15/2500000.m3u8"}},
      {"id": "c30", "duration": 30, "segmentDuration": 2, "variants": {"800000": "{self}/ads/c30/800000.m3u8", "2500000": "{self}/ads/c30/2500000.m3u8"}},
      {"id": "c7", "duration": 7.5, "segmentDuration": 2, "variants": {"800000": "{self}/ads/c7/800000.m3u8", "2500000": "{self}/ads/c7/2500000.m3u8"}}]}}})");
  EXPECT_TRUE(cat.ok()) << cat.status().ToString();
  dc.catalogue = *cat;
  return dc;
}

class VastDecisionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    service_ = std::make_unique<DecisionService>(Config());
    service_->vast_timeout_ms = 1500;
    service_->RegisterRoutes(http_.http());
    ASSERT_TRUE(http_.Bind("127.0.0.1", 0).ok());
    service_->set_self_url(http_.base_url());
    http_.Serve();
  }
  void TearDown() override { http_.Stop(); }

  // One decision through a real HttpFetcher; waits for the error pings to land.
  Result<AdDecision> Decide(const std::string& path, double duration_s, size_t expect_pings = 0,
                            VastDecisionClient** client_out = nullptr) {
    boost::asio::io_context io;
    auto guard = boost::asio::make_work_guard(io);
    HttpFetcher fetcher(io, 2, 1 << 20);
    VastDecisionOptions o;
    o.url = http_.base_url() + path;
    o.timeout_ms = 400;
    o.segment_duration_s = 2;
    VastDecisionClient client(&fetcher, o);
    std::optional<Result<AdDecision>> out;
    boost::asio::post(io, [&] {
      client.Decide({"ch", "ev", "pod3", duration_s}, [&](Result<AdDecision> r) { out = std::move(r); });
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while ((!out || service_->received_pings().size() < expect_pings) && std::chrono::steady_clock::now() < deadline) {
      io.run_for(std::chrono::milliseconds(20));
    }
    wrapper_fetches_ = client.wrapper_fetches;
    error_pings_ = client.error_pings;
    guard.reset();
    fetcher.Shutdown();
    if (!out) return Status::DeadlineExceeded("no decision");
    return *out;
  }
  std::vector<std::string> Pings() {
    std::vector<std::string> v;
    for (const DecisionService::Ping& p : service_->received_pings()) v.push_back(p.kind + "?" + p.query);
    return v;
  }

  HttpService http_;
  std::unique_ptr<DecisionService> service_;
  int64_t wrapper_fetches_ = 0;
  int64_t error_pings_ = 0;
};

std::vector<std::string> Ids(const AdDecision& d) {
  std::vector<std::string> ids;
  for (const AdItem& i : d.items) ids.push_back(i.id);
  return ids;
}

TEST_F(VastDecisionTest, InlinePodOfThreeCreatives) {
  Result<AdDecision> d = Decide("/vast/pod/{pod}.xml", 60);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_THAT(Ids(*d), ElementsAre("c15", "c30", "c7"));
  EXPECT_TRUE(d->IsPod());
  EXPECT_EQ(d->items[2].duration_s, 7.5);
  ASSERT_EQ(d->items[0].variants.size(), 2u);
  EXPECT_EQ(d->items[0].variants[1].bitrate_bps, 2'500'000);
  EXPECT_EQ(d->items[0].variants[1].url, http_.base_url() + "/ads/c15/2500000.m3u8");
  EXPECT_TRUE(Pings().empty());
}

TEST_F(VastDecisionTest, WrapperChainOfThree) {
  Result<AdDecision> d = Decide("/vast/wrapper/3/default.xml", 60);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_THAT(Ids(*d), ElementsAre("c15", "c30", "c7"));
  EXPECT_EQ(wrapper_fetches_, 3);
}

TEST_F(VastDecisionTest, ShortBreakDropsTailAds) {
  Result<AdDecision> d = Decide("/vast/pod/pod3.xml", 20);
  ASSERT_TRUE(d.ok());
  EXPECT_THAT(Ids(*d), ElementsAre("c15", "c30"));  // c30 cut at 20 s by the splicer
}

TEST_F(VastDecisionTest, SixWrappersAre302AndEveryWrapperErrorFires) {
  Result<AdDecision> d = Decide("/vast/wrapper/6/pod3.xml", 60, 6);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(vast::ErrorCodeOf(d.status()), 302);
  EXPECT_EQ(wrapper_fetches_, 5);
  EXPECT_THAT(Pings(), UnorderedElementsAre("error?ad=w6&code=302", "error?ad=w5&code=302", "error?ad=w4&code=302",
                                            "error?ad=w3&code=302", "error?ad=w2&code=302", "error?ad=w1&code=302"));
}

TEST_F(VastDecisionTest, ErrorCasesFallBackWithTheirCodes) {
  Result<AdDecision> loop = Decide("/vast/loop.xml", 30, 2);  // both documents of the loop
  EXPECT_EQ(vast::ErrorCodeOf(loop.status()), 300);
  Result<AdDecision> empty = Decide("/vast/empty.xml", 30, 3);
  EXPECT_EQ(vast::ErrorCodeOf(empty.status()), 303);
  Result<AdDecision> malformed = Decide("/vast/malformed.xml", 30);
  EXPECT_EQ(vast::ErrorCodeOf(malformed.status()), 100);
  Result<AdDecision> mp4 = Decide("/vast/mp4/pod3.xml", 30, 6);
  EXPECT_EQ(vast::ErrorCodeOf(mp4.status()), 403);
  Result<AdDecision> timeout = Decide("/vast/wrapper-timeout.xml", 30, 7);
  EXPECT_EQ(vast::ErrorCodeOf(timeout.status()), 301);
  // Pings of one decision are fired concurrently (the fetcher's pool): any order.
  EXPECT_THAT(Pings(), UnorderedElementsAre("error?ad=loop&code=300", "error?ad=loop&code=300", "error?ad=none&code=303", "error?ad=c15&code=403",
                                   "error?ad=c30&code=403", "error?ad=c7&code=403", "error?ad=to-timeout&code=301"));
  Result<AdDecision> down = Decide("/vast/nope.xml", 30);  // 404 from the ad server itself
  EXPECT_FALSE(down.ok());
}

TEST_F(VastDecisionTest, ChainOutOfTimeBudgetIs301) {
  // Each wrapper answers at once, the budget runs out during a chain of 20: 301 before the pod.
  VastDecisionOptions o;
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  HttpFetcher fetcher(io, 2, 1 << 20);
  o.url = http_.base_url() + "/vast/wrapper-timeout.xml";
  o.timeout_ms = 5000;
  o.total_timeout_ms = 300;
  VastDecisionClient client(&fetcher, o);
  std::optional<Result<AdDecision>> out;
  const auto t0 = std::chrono::steady_clock::now();
  boost::asio::post(io, [&] { client.Decide({"ch", "ev", "pod3", 30}, [&](Result<AdDecision> r) { out = std::move(r); }); });
  while (!out && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) io.run_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(vast::ErrorCodeOf(out->status()), 301);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1200));
  guard.reset();
  fetcher.Shutdown();
}

TEST(ExpandAdTagTest, Macros) {
  EXPECT_EQ(ExpandAdTag("http://a/vast?d={duration}&c={channel}&e={event}&p={pod}",
                        {"ch 1", "ev/2", "p&3", 30.5}),
            "http://a/vast?d=30.5&c=ch%201&e=ev%2F2&p=p%263");
}

}  // namespace
}  // namespace ssai::server
