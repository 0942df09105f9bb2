#include "reference/ssai/vast_pod.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "reference/io/files.h"

namespace ssai {
namespace {

using ::testing::ElementsAre;

vast::ResolvedPod Pod3() {
  Result<std::string> xml = io::ReadFileToString("fixtures/vast/pod3.xml");
  EXPECT_TRUE(xml.ok());
  vast::Resolver r;
  r.Start(xml.ok() ? *xml : "");
  Result<vast::ResolvedPod> pod = r.Finish();
  EXPECT_TRUE(pod.ok()) << pod.status().ToString();
  return pod.ok() ? *pod : vast::ResolvedPod{};
}

std::vector<std::string> Ids(const AdDecision& d) {
  std::vector<std::string> ids;
  for (const AdItem& i : d.items) ids.push_back(i.id);
  return ids;
}

TEST(VastPodTest, PodOfThreeCreativesWithTheirDurations) {
  const AdDecision d = DecisionFromVast(Pod3(), 60, "pod-1");
  EXPECT_EQ(d.pod_id, "pod-1");
  EXPECT_THAT(Ids(d), ElementsAre("p15", "p30", "p7"));
  EXPECT_TRUE(d.IsPod());
  EXPECT_EQ(d.items[2].duration_s, 7.5);
  EXPECT_EQ(d.items[0].segment_duration_s, 2.0);
  ASSERT_EQ(d.items[0].variants.size(), 1u);
  EXPECT_EQ(d.items[0].variants[0].bitrate_bps, 800'000);
  EXPECT_EQ(d.items[0].variants[0].url, "http://cdn.example/p15/800000.m3u8");
  // Server-side tracking (beacons.h): the Impression of each creative.
  EXPECT_THAT(d.items[0].tracking.at("impression"), ElementsAre("http://ads.example/imp?ad=p15"));
}

TEST(VastPodTest, TrackingComesFromTheInLineAndEveryWrapperBounded) {
  vast::ResolvedPod pod;
  vast::ResolvedAd ad;
  ad.id = "a";
  ad.creative.duration_s = 10;
  vast::MediaFile f;
  f.url = "http://cdn/a.m3u8";
  f.type = "application/x-mpegURL";
  f.bitrate_kbps = 800;
  ad.spliceable = {f};
  ad.impressions = {"http://inline/imp", "about:blank", "http://wrapper/imp", "http://inline/imp"};
  ad.tracking = {{"start", "http://t/start", ""},     {"midpoint", "http://t/mid", ""},
                 {"progress", "http://t/p", "00:00:05"}, {"pause", "http://t/pause", ""},
                 {"complete", "http://w/complete", ""}};
  for (int i = 0; i < 40; ++i) ad.tracking.push_back({"firstQuartile", "http://t/q1?" + std::to_string(i), ""});
  pod.ads.push_back(ad);
  const AdDecision d = DecisionFromVast(pod, 30, "p");
  ASSERT_EQ(d.items.size(), 1u);
  const auto& t = d.items[0].tracking;
  EXPECT_THAT(t.at("impression"), ElementsAre("http://inline/imp", "http://wrapper/imp"));
  EXPECT_THAT(t.at("start"), ElementsAre("http://t/start"));
  EXPECT_THAT(t.at("midpoint"), ElementsAre("http://t/mid"));
  EXPECT_THAT(t.at("complete"), ElementsAre("http://w/complete"));
  EXPECT_EQ(t.at("firstQuartile").size(), kMaxBeaconUrlsPerEvent);
  EXPECT_FALSE(t.count("progress"));
  EXPECT_FALSE(t.count("pause"));
  EXPECT_FALSE(t.count("thirdQuartile"));
}

TEST(VastPodTest, TailAdsThatStartAfterTheBreakAreDroppedTheLastOneIsKeptToBeCut) {
  // 40 s break: p15 [0,15), p30 [15,45) is cut at 40 by the splicer, p7 would start at 45: dropped.
  EXPECT_THAT(Ids(DecisionFromVast(Pod3(), 40, "p")), ElementsAre("p15", "p30"));
  // 15 s break: p15 exactly fills it.
  EXPECT_THAT(Ids(DecisionFromVast(Pod3(), 15, "p")), ElementsAre("p15"));
  EXPECT_THAT(Ids(DecisionFromVast(Pod3(), 10, "p")), ElementsAre("p15"));
}

TEST(VastPodTest, ErrorPingsExpandTheCodeAndSkipAboutBlank) {
  std::vector<vast::AdFailure> f = {{302, "depth", {"http://a/e?c=[ERRORCODE]", "about:blank"}},
                                    {403, "media", {"http://b/e/[ERRORCODE]"}}};
  EXPECT_THAT(ErrorPings(f), ElementsAre("http://a/e?c=302", "http://b/e/403"));
  EXPECT_THAT(ErrorPings(f, 1), ElementsAre("http://a/e?c=302"));
}

}  // namespace
}  // namespace ssai
