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
