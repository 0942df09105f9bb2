#include "reference/media/vast/vast.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "reference/io/files.h"

namespace ssai::vast {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Fixture(const std::string& name) {
  Result<std::string> text = io::ReadFileToString("fixtures/vast/" + name);
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  return text.ok() ? *text : "";
}

// Runs a resolver against a map of URL -> body; a missing URL is a fetch failure (timeout).
Result<ResolvedPod> Resolve(const std::string& top, const std::map<std::string, std::string>& web,
                            Resolver* r) {
  r->Start(top);
  while (auto url = r->next_url()) {
    auto it = web.find(*url);
    if (it == web.end()) {
      r->OnFetchFailed(Status::DeadlineExceeded("timed out after 1000 ms"));
    } else {
      r->OnFetched(it->second);
    }
  }
  return r->Finish();
}

std::string WrapperTo(const std::string& url, const std::string& err) {
  return "<VAST version=\"4.0\"><Ad id=\"w\"><Wrapper><AdSystem>x</AdSystem><VASTAdTagURI>" + url +
         "</VASTAdTagURI><Impression>http://imp/" + err + "</Impression><Error>http://err/" + err +
         "?c=[ERRORCODE]</Error></Wrapper></Ad></VAST>";
}

TEST(VastParseTest, InlineV4WithNamespaceCdataAndWhitespace) {
  Result<Document> doc = Parse(Fixture("inline_v4.xml"));
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->version, "4.2");
  ASSERT_EQ(doc->ads.size(), 1u);
  const Ad& ad = doc->ads[0];
  EXPECT_EQ(ad.id, "ad-15s");
  EXPECT_FALSE(ad.wrapper);
  EXPECT_EQ(ad.ad_system, "ssai-lab test ad server");
  EXPECT_THAT(ad.impressions, ElementsAre("http://ads.example/imp?ad=15s"));
  EXPECT_THAT(ad.errors, ElementsAre("http://ads.example/error?ad=15s&code=[ERRORCODE]"));
  ASSERT_EQ(ad.linears.size(), 1u);
  const LinearCreative& c = ad.linears[0];
  EXPECT_EQ(c.duration_s, 15.0);
  EXPECT_EQ(c.ad_id, "15s");
  EXPECT_EQ(c.universal_ad_id, "SSAI0015000H");
  ASSERT_EQ(c.media_files.size(), 3u);
  EXPECT_EQ(c.media_files[0].url, "http://cdn.example/15s_720p.mp4");
  EXPECT_EQ(c.media_files[0].delivery, "progressive");
  EXPECT_EQ(c.media_files[0].codec, "avc1.64001f");
  EXPECT_EQ(c.media_files[2].bitrate_kbps, 2500);
  EXPECT_EQ(c.media_files[2].width, 1280);
  EXPECT_FALSE(IsSpliceable(c.media_files[0]));
  EXPECT_TRUE(IsSpliceable(c.media_files[1]));
  std::vector<std::string> events;
  for (const TrackingEvent& e : c.tracking) events.push_back(e.event);
  EXPECT_THAT(events, ElementsAre("start", "firstQuartile", "midpoint", "thirdQuartile", "complete"));
  EXPECT_EQ(c.tracking[2].url, "http://ads.example/t?ad=15s&e=mid");
}

TEST(VastParseTest, InlineV3WithoutNamespace) {
  Result<Document> doc = Parse(Fixture("inline_v3.xml"));
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->version, "3.0");
  const LinearCreative& c = doc->ads[0].linears[0];
  EXPECT_EQ(c.ad_id, "v3ad");
  EXPECT_EQ(c.duration_s, 30.0);
  EXPECT_EQ(c.media_files[0].bitrate_kbps, 900);  // maxBitrate when no bitrate
  EXPECT_TRUE(IsSpliceable(c.media_files[0]));    // application/vnd.apple.mpegurl
  EXPECT_EQ(c.tracking[0].url, "http://ads.example/t?ad=v3&e=start");
}

TEST(VastParseTest, PrefixedNamespace) {
  Result<Document> doc = Parse(
      "<v:VAST xmlns:v=\"http://www.iab.com/VAST\" version=\"4.0\"><v:Ad id=\"a\"><v:Wrapper>"
      "<v:VASTAdTagURI>http://x/y</v:VASTAdTagURI></v:Wrapper></v:Ad></v:VAST>");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_TRUE(doc->ads[0].wrapper);
  EXPECT_EQ(doc->ads[0].ad_tag_uri, "http://x/y");
}

TEST(VastParseTest, Durations) {
  EXPECT_EQ(ParseDuration("00:00:15"), 15.0);
  EXPECT_EQ(ParseDuration(" 00:00:07.500 "), 7.5);
  EXPECT_EQ(ParseDuration("01:02:03.25"), 3723.25);
  EXPECT_EQ(ParseDuration("00:00:15.1234"), std::nullopt);
  EXPECT_EQ(ParseDuration("15"), std::nullopt);
  EXPECT_EQ(ParseDuration("00:61:00"), std::nullopt);
  EXPECT_EQ(ParseDuration("-1:00:00"), std::nullopt);
}

TEST(VastParseTest, ErrorsCarryVastCodes) {
  EXPECT_EQ(ErrorCodeOf(Parse("").status()), 303);
  EXPECT_EQ(ErrorCodeOf(Parse("  \n").status()), 303);
  EXPECT_EQ(ErrorCodeOf(Parse(Fixture("malformed.xml")).status()), 100);
  EXPECT_EQ(ErrorCodeOf(Parse("not xml at all <").status()), 100);
  EXPECT_EQ(ErrorCodeOf(Parse("<VMAP version=\"1.0\"/>").status()), 101);
  EXPECT_EQ(ErrorCodeOf(Parse("<VAST/>").status()), 101);
  EXPECT_EQ(ErrorCodeOf(Parse("<VAST version=\"5.0\"/>").status()), 102);
  EXPECT_EQ(ErrorCodeOf(Parse("<VAST version=\"4.0\"><Ad/></VAST>").status()), 101);
  EXPECT_EQ(ErrorCodeOf(Parse("<VAST version=\"4.0\"><Ad><Wrapper/></Ad></VAST>").status()), 101);
  EXPECT_EQ(ErrorCodeOf(Parse("<VAST version=\"4.0\"><Ad><InLine><Creatives><Creative><Linear>"
                              "<Duration>soon</Duration></Linear></Creative></Creatives></InLine></Ad></VAST>")
                            .status()),
            101);
  EXPECT_THAT(Parse(Fixture("malformed.xml")).status().message(), HasSubstr("VAST 100: malformed XML"));
  EXPECT_EQ(ErrorCodeOf(Status::Ok()), 0);
  EXPECT_EQ(ErrorCodeOf(Status::Internal("other")), 900);
  // An empty <VAST> parses; the resolver calls it 303 and fires the root Error.
  Result<Document> empty = Parse(Fixture("empty.xml"));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->ads.empty());
  EXPECT_THAT(empty->errors, ElementsAre("http://ads.example/nofill?code=[ERRORCODE]"));
}

TEST(VastParseTest, ErrorMacro) {
  EXPECT_EQ(ExpandErrorMacro("http://e/x?code=[ERRORCODE]&b=1", 303), "http://e/x?code=303&b=1");
  EXPECT_EQ(ExpandErrorMacro("http://e/x?code=%5BERRORCODE%5D", 100), "http://e/x?code=100");
  EXPECT_EQ(ExpandErrorMacro("http://e/x", 100), "http://e/x");
  EXPECT_TRUE(IsFireable("http://e/x"));
  EXPECT_FALSE(IsFireable("about:blank"));
  EXPECT_FALSE(IsFireable("  "));
}

TEST(VastResolverTest, InlinePicksHlsMediaFiles) {
  Resolver r;
  Result<ResolvedPod> pod = Resolve(Fixture("inline_v4.xml"), {}, &r);
  ASSERT_TRUE(pod.ok()) << pod.status().ToString();
  ASSERT_EQ(pod->ads.size(), 1u);
  EXPECT_EQ(pod->ads[0].spliceable.size(), 2u);
  EXPECT_EQ(pod->ads[0].wrapper_depth, 0);
  EXPECT_EQ(r.fetches(), 0);
}

TEST(VastResolverTest, PodInSequenceOrder) {
  Resolver r;
  Result<ResolvedPod> pod = Resolve(Fixture("pod3.xml"), {}, &r);
  ASSERT_TRUE(pod.ok()) << pod.status().ToString();
  std::vector<std::string> ids;
  std::vector<double> durations;
  for (const ResolvedAd& a : pod->ads) {
    ids.push_back(a.id);
    durations.push_back(*a.creative.duration_s);
  }
  EXPECT_THAT(ids, ElementsAre("p15", "p30", "p7"));
  EXPECT_THAT(durations, ElementsAre(15, 30, 7.5));
}

TEST(VastResolverTest, WrapperAddsImpressionsErrorsAndTracking) {
  Resolver r;
  Result<ResolvedPod> pod =
      Resolve(Fixture("wrapper.xml"), {{"http://exchange.example/vast/inline_v4.xml", Fixture("inline_v4.xml")}}, &r);
  ASSERT_TRUE(pod.ok()) << pod.status().ToString();
  const ResolvedAd& a = pod->ads[0];
  EXPECT_EQ(a.wrapper_depth, 1);
  EXPECT_THAT(a.impressions, ElementsAre("http://exchange.example/imp", "http://ads.example/imp?ad=15s"));
  EXPECT_THAT(a.error_urls, ElementsAre("http://exchange.example/err?code=[ERRORCODE]",
                                        "http://ads.example/error?ad=15s&code=[ERRORCODE]"));
  EXPECT_EQ(a.tracking.size(), 6u);  // the wrapper's complete + the InLine's five
  EXPECT_EQ(r.fetches(), 1);
}

TEST(VastResolverTest, ChainOfFiveIsFollowedSixIsNot) {
  std::map<std::string, std::string> web;
  for (int i = 1; i <= 5; ++i) web["http://w/" + std::to_string(i)] = WrapperTo("http://w/" + std::to_string(i + 1), std::to_string(i));
  web["http://w/6"] = Fixture("inline_v4.xml");
  // Top-level wrapper + 4 more = 5 wrappers, then the InLine: followed.
  {
    std::map<std::string, std::string> five = web;
    five["http://w/5"] = Fixture("inline_v4.xml");
    Resolver r;
    Result<ResolvedPod> pod = Resolve(WrapperTo("http://w/1", "0"), five, &r);
    ASSERT_TRUE(pod.ok()) << pod.status().ToString();
    EXPECT_EQ(pod->ads[0].wrapper_depth, 5);
  }
  // Six wrappers: 302, the sixth is never fetched, every wrapper's Error is to fire.
  Resolver r;
  Result<ResolvedPod> pod = Resolve(WrapperTo("http://w/1", "0"), web, &r);
  ASSERT_FALSE(pod.ok());
  EXPECT_EQ(ErrorCodeOf(pod.status()), 302);
  EXPECT_EQ(r.fetches(), 5);
  ASSERT_EQ(r.failures().size(), 1u);
  EXPECT_EQ(r.failures()[0].error_urls.size(), 6u);
}

TEST(VastResolverTest, LoopTimeoutEmptyAndBadMediaAreCoded) {
  {
    Resolver r;  // a -> b -> a
    Result<ResolvedPod> pod =
        Resolve(WrapperTo("http://a", "0"), {{"http://a", WrapperTo("http://b", "a")}, {"http://b", WrapperTo("http://a", "b")}}, &r);
    EXPECT_EQ(ErrorCodeOf(pod.status()), 300);
    EXPECT_THAT(pod.status().message(), HasSubstr("loop"));
  }
  {
    Resolver r;
    Result<ResolvedPod> pod = Resolve(WrapperTo("http://gone", "0"), {}, &r);
    EXPECT_EQ(ErrorCodeOf(pod.status()), 301);
    EXPECT_THAT(r.failures()[0].error_urls, ElementsAre("http://err/0?c=[ERRORCODE]"));
  }
  {
    Resolver r;  // wrapper to an empty VAST: 303, the wrapper's and the empty response's Errors
    Result<ResolvedPod> pod = Resolve(WrapperTo("http://e", "0"), {{"http://e", Fixture("empty.xml")}}, &r);
    EXPECT_EQ(ErrorCodeOf(pod.status()), 303);
    EXPECT_THAT(r.failures()[0].error_urls,
                ElementsAre("http://err/0?c=[ERRORCODE]", "http://ads.example/nofill?code=[ERRORCODE]"));
  }
  {
    Resolver r;
    Result<ResolvedPod> pod = Resolve(Fixture("empty.xml"), {}, &r);
    EXPECT_EQ(ErrorCodeOf(pod.status()), 303);
    EXPECT_THAT(r.failures()[0].error_urls, ElementsAre("http://ads.example/nofill?code=[ERRORCODE]"));
  }
  {
    Resolver r;
    Result<ResolvedPod> pod = Resolve(Fixture("progressive_only.xml"), {}, &r);
    EXPECT_EQ(ErrorCodeOf(pod.status()), 403);
    EXPECT_THAT(r.failures()[0].error_urls, ElementsAre("http://ads.example/err?ad=mp4&c=[ERRORCODE]"));
  }
  {
    Resolver r;
    Result<ResolvedPod> pod = Resolve(Fixture("malformed.xml"), {}, &r);
    EXPECT_EQ(ErrorCodeOf(pod.status()), 100);
  }
  {
    Resolver r;  // wrapper to malformed XML: 100 with the wrapper's Error
    Result<ResolvedPod> pod = Resolve(WrapperTo("http://m", "0"), {{"http://m", "<VAST"}}, &r);
    EXPECT_EQ(ErrorCodeOf(pod.status()), 100);
    EXPECT_EQ(r.failures()[0].error_urls.size(), 1u);
  }
}

TEST(VastResolverTest, FollowAdditionalWrappersFalse) {
  const std::string top =
      "<VAST version=\"4.0\"><Ad><Wrapper followAdditionalWrappers=\"false\"><VASTAdTagURI>http://1"
      "</VASTAdTagURI></Wrapper></Ad></VAST>";
  Resolver r;
  Result<ResolvedPod> pod = Resolve(top, {{"http://1", WrapperTo("http://2", "1")}}, &r);
  EXPECT_EQ(ErrorCodeOf(pod.status()), 300);
  EXPECT_EQ(r.fetches(), 1);
}

TEST(VastResolverTest, ByteAndDocumentBounds) {
  ResolverOptions o;
  o.max_total_bytes = 600;
  Resolver r(o);
  Result<ResolvedPod> pod = Resolve(WrapperTo("http://big", "0"), {{"http://big", Fixture("inline_v4.xml")}}, &r);
  EXPECT_EQ(ErrorCodeOf(pod.status()), 300);
  EXPECT_THAT(pod.status().message(), HasSubstr("600 bytes"));
}

TEST(VastResolverTest, FailedPodAdReplacedByStandAloneAd) {
  const std::string top =
      "<VAST version=\"4.0\">"
      "<Ad id=\"s1\" sequence=\"1\"><Wrapper><VASTAdTagURI>http://gone</VASTAdTagURI>"
      "<Error>http://err/s1?c=[ERRORCODE]</Error></Wrapper></Ad>"
      "<Ad id=\"s2\" sequence=\"2\"><InLine><Creatives><Creative><Linear><Duration>00:00:10</Duration>"
      "<MediaFiles><MediaFile delivery=\"streaming\" type=\"application/x-mpegURL\" width=\"1\" height=\"1\">"
      "http://cdn/s2.m3u8</MediaFile></MediaFiles></Linear></Creative></Creatives></InLine></Ad>"
      "<Ad id=\"backup\"><InLine><Creatives><Creative><Linear><Duration>00:00:05</Duration>"
      "<MediaFiles><MediaFile delivery=\"streaming\" type=\"application/x-mpegURL\" width=\"1\" height=\"1\">"
      "http://cdn/b.m3u8</MediaFile></MediaFiles></Linear></Creative></Creatives></InLine></Ad>"
      "</VAST>";
  Resolver r;
  Result<ResolvedPod> pod = Resolve(top, {}, &r);
  ASSERT_TRUE(pod.ok()) << pod.status().ToString();
  ASSERT_EQ(pod->ads.size(), 2u);
  EXPECT_EQ(pod->ads[0].id, "backup");
  EXPECT_EQ(pod->ads[1].id, "s2");
  ASSERT_EQ(pod->failures.size(), 1u);  // s1's Error still fires, with 301
  EXPECT_EQ(pod->failures[0].code, 301);
}

TEST(VastResolverTest, FinishBeforeDoneIsRefused) {
  Resolver r;
  r.Start(WrapperTo("http://1", "0"));
  ASSERT_TRUE(r.next_url().has_value());
  EXPECT_EQ(r.Finish().status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace ssai::vast
