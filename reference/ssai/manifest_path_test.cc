// The manifest path end to end in-process: synthetic origin, coordinator, fake KV, decision
// service, and one edge per build, walked through an ad break reload by reload on a manual clock.
#include "reference/ssai/manifest_path.h"

#include <iostream>
#include <map>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "reference/media/hls/lint.h"
#include "reference/media/origin/synthetic_origin.h"
#include "reference/ssai/coordinator.h"
#include "reference/ssai/testing/deployment.h"

namespace ssai {
namespace {


constexpr UnixMicros kStart = 1'767'225'600LL * kMicrosPerSecond;  // 2026-01-01T00:00:00Z
constexpr UnixMicros kBreakStart = kStart + 60 * kMicrosPerSecond;
constexpr double kBreakS = 20;

origin::SyntheticStreamSpec Spec(origin::CueFlavour flavour) {
  origin::SyntheticStreamSpec spec;
  spec.segment_duration_s = 2;
  spec.window_segments = 6;
  spec.start_time = kStart;
  spec.renditions = {{"v720", 2'500'000, "1280x720", "avc1.64001f,mp4a.40.2"},
                     {"v360", 800'000, "640x360", "avc1.64001e,mp4a.40.2"}};
  spec.cue_flavour = flavour;
  spec.breaks = {{kBreakStart, kBreakS, 1001}};
  return spec;
}

// Two 8 s ads (4 × 2 s segments at 800 kb/s and 2.5 Mb/s) for a 20 s break.
struct Deployment : testing::Deployment {
  explicit Deployment(const BuildSpec& build_spec, origin::CueFlavour flavour = origin::CueFlavour::kCueOut)
      : testing::Deployment(build_spec, Spec(flavour)) {
    for (const char* ad : {"a1", "a2"}) AddAd(ad, {800'000, 2'500'000}, 4, 2);
    const Status started = Start();
    EXPECT_TRUE(started.ok()) << started.ToString();
  }

  ManifestResponse Get(const std::string& file, std::optional<InsertionMode> mode = std::nullopt) {
    std::optional<ManifestResponse> out = testing::Deployment::Get(file, mode);
    EXPECT_TRUE(out.has_value()) << "no response for " << file;
    return out.value_or(ManifestResponse{});
  }
};

std::vector<std::string> ErrorFindings(const std::vector<hls::Finding>& findings) {
  std::vector<std::string> out;
  for (const hls::Finding& f : findings) {
    if (f.severity == hls::Severity::kError) out.push_back(hls::FormatFinding(f));
  }
  return out;
}

class CorrectBuildTest
    : public ::testing::TestWithParam<std::tuple<std::string, origin::CueFlavour>> {};

// Every correct build, for every marker flavour the origin can send, shows the break on both
// renditions, bitrate-matched, for its duration, with valid playlists across reloads (before,
// joining mid-break, during, return, after), and nothing after the end.
TEST_P(CorrectBuildTest, WalksABreak) {
  const BuildSpec* build = FindBuild(std::get<0>(GetParam()));
  ASSERT_NE(build, nullptr);
  Deployment d(*build, std::get<1>(GetParam()));
  std::map<std::string, hls::ReloadLinter> reload;
  int ad_responses = 0;
  for (UnixMicros t = kStart + 40 * kMicrosPerSecond; t <= kStart + 110 * kMicrosPerSecond;
       t += 2 * kMicrosPerSecond) {
    d.AdvanceTo(t);
    std::optional<int64_t> msn, dsn;
    for (const char* rendition : {"v720", "v360"}) {
      ManifestResponse r = d.Get(std::string(rendition) + ".m3u8");
      ASSERT_EQ(r.http_status, 200) << r.body;
      Result<hls::MediaPlaylist> p = hls::ParseMedia(r.body);
      ASSERT_TRUE(p.ok()) << p.status().ToString() << "\n" << r.body;
      EXPECT_EQ(ErrorFindings(hls::LintMedia(*p)), std::vector<std::string>{}) << r.body;
      EXPECT_EQ(ErrorFindings(reload[rendition].Observe(*p)), std::vector<std::string>{}) << r.body;
      // Renditions agree on numbering.
      if (msn) {
        EXPECT_EQ(p->media_sequence(), *msn);
        EXPECT_EQ(p->discontinuity_sequence(), *dsn);
      }
      msn = p->media_sequence();
      dsn = p->discontinuity_sequence();
      const std::string other = std::string(rendition) == "v720" ? "800000" : "2500000";
      EXPECT_EQ(r.body.find("_" + other + "_"), std::string::npos) << "wrong bitrate\n" << r.body;
      // No ad segment starts at or after the break's end.
      for (size_t i = 0; i < p->segments().size(); ++i) {
        const bool is_ad = p->segments()[i].uri().find("http://ads/") == 0;
        const UnixMicros slot = *p->SegmentStartTime(i);
        if (is_ad) {
          EXPECT_GE(slot, kBreakStart - kSpliceToleranceUs);
          EXPECT_LT(slot, kBreakStart + SecondsToMicros(kBreakS));
        }
      }
      if (r.ad_segments > 0) ++ad_responses;
    }
  }
  EXPECT_GT(ad_responses, 10);
}

INSTANTIATE_TEST_SUITE_P(
    Builds, CorrectBuildTest,
    ::testing::Combine(::testing::Values("do-only", "kv-hybrid", "kv-hybrid-direct", "kv-stateless",
                                         "kv-channel-state"),
                       ::testing::Values(origin::CueFlavour::kCueOut, origin::CueFlavour::kOatcls,
                                         origin::CueFlavour::kDateRange, origin::CueFlavour::kExtXScte35,
                                         origin::CueFlavour::kSplicepoint)),
    [](const auto& param_info) {
      std::string n = std::get<0>(param_info.param) + "_" +
                      std::string(origin::CueFlavourName(std::get<1>(param_info.param)));
      std::replace(n.begin(), n.end(), '-', '_');
      return n;
    });

// A viewer joining mid-break gets the ads from its first playlist; an edge started mid-break
// (no memory) agrees with one that saw the whole break.
TEST(ManifestPathTest, MidBreakJoinMatchesALongLivedEdge) {
  for (const char* name : {"kv-hybrid", "kv-channel-state", "do-only"}) {
    Deployment d(*FindBuild(name));
    for (UnixMicros t = kStart + 50 * kMicrosPerSecond; t <= kBreakStart + 10 * kMicrosPerSecond;
         t += 2 * kMicrosPerSecond) {
      d.AdvanceTo(t);
      d.Get("v720.m3u8");
    }
    ManifestResponse old_edge = d.Get("v720.m3u8");
    ManifestPath fresh(*FindBuild(name), {d.channel}, ManifestPathEnv{&d.sched, &d.kv, &d.client, &d.origin});
    std::optional<ManifestResponse> joined;
    fresh.Handle({"demo", "sports", "v720.m3u8", {}}, [&](ManifestResponse r) { joined = r; });
    d.sched.RunDue();
    ASSERT_TRUE(joined) << name;
    EXPECT_TRUE(joined->in_break) << name;
    EXPECT_EQ(joined->body, old_edge.body) << name;
  }
}

// Issue 14: a CMAF + AES-128 origin and fMP4 ads whose playlists declare a relative init. The
// edge declares each ad's own init (resolved against its ad playlist) and METHOD=NONE after the
// DISCONTINUITY, and the content's KEY and MAP again on return (their URIs made absolute like the
// content's segments, absolute_content_uris); every reload lints clean.
TEST(ManifestPathTest, CmafEncryptedBreakDeclaresAdInitAndRestoresContent) {
  origin::SyntheticStreamSpec spec = Spec(origin::CueFlavour::kCueOut);
  spec.container = "cmaf";
  spec.encryption = "aes-128";
  spec.segment_uri_template = "seg_{rendition}_{msn}.m4s";
  testing::Deployment d(*FindBuild("kv-channel-state"), spec);
  for (const char* ad : {"a1", "a2"}) {
    d.AddAd(ad, {800'000, 2'500'000}, 4, 2);
    for (int64_t bps : {800'000, 2'500'000}) {
      std::string p = "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n"
                      "#EXT-X-MAP:URI=\"init.mp4\"\n";
      for (int i = 0; i < 4; ++i) p += "#EXTINF:2.000,\n" + std::to_string(bps) + "/" + std::to_string(i) + ".m4s\n";
      d.origin.Set("http://ads/" + std::string(ad) + "/" + std::to_string(bps) + ".m3u8", p + "#EXT-X-ENDLIST\n");
    }
  }
  // A TS slate in fMP4 content would be warned about (splicer.h): an fMP4 slate with its init.
  d.channel.slate = {"http://ads/slate.m4s", 2, {"URI=\"http://ads/slate_init.mp4\"", {}}};
  ASSERT_TRUE(d.Start().ok());
  hls::ReloadLinter reload;
  bool saw_ad = false, saw_return = false;
  for (UnixMicros t = kStart + 50 * kMicrosPerSecond; t <= kBreakStart + 40 * kMicrosPerSecond; t += 2 * kMicrosPerSecond) {
    d.AdvanceTo(t);
    std::optional<ManifestResponse> r = d.Get("v720.m3u8");
    ASSERT_TRUE(r && r->http_status == 200);
    Result<hls::MediaPlaylist> p = hls::ParseMedia(r->body);
    ASSERT_TRUE(p.ok()) << r->body;
    EXPECT_THAT(ErrorFindings(hls::LintMedia(*p)), ::testing::IsEmpty()) << r->body;
    EXPECT_THAT(ErrorFindings(reload.Observe(*p)), ::testing::IsEmpty()) << r->body;
    EXPECT_THAT(r->warnings, ::testing::IsEmpty()) << r->body;
    saw_ad = saw_ad || r->body.find("#EXT-X-DISCONTINUITY\n#EXT-X-KEY:METHOD=NONE\n"
                                    "#EXT-X-MAP:URI=\"http://ads/a1/init.mp4\"\n") != std::string::npos;
    saw_return = saw_return || r->body.find("#EXT-X-DISCONTINUITY\n#EXT-X-KEY:METHOD=AES-128,"
                                            "URI=\"http://origin/live/key_0.bin\",IV=0x00000000000000000000000000000000\n"
                                            "#EXT-X-MAP:URI=\"http://origin/live/init_v720.mp4\"\n#EXT-X-CUE-IN\n") != std::string::npos;
  }
  EXPECT_TRUE(saw_ad);
  EXPECT_TRUE(saw_return);
}

// KV down: builds with a coordinator fall back to it; the stream keeps its ads.
TEST(ManifestPathTest, KvDownFallsBackToTheCoordinator) {
  for (const char* name : {"kv-hybrid", "kv-channel-state"}) {
    Deployment d(*FindBuild(name));
    d.AdvanceTo(kBreakStart + 6 * kMicrosPerSecond);
    d.Get("v720.m3u8");
    d.kv.set_down(true);
    ManifestResponse r = d.Get("v720.m3u8");
    EXPECT_EQ(r.http_status, 200) << name;
    EXPECT_EQ(r.source, StateSource::kKvMiss) << name;
    EXPECT_EQ(r.coordinator_calls, 1) << name;
    EXPECT_GT(r.ad_segments, 0) << name;
    EXPECT_FALSE(r.warnings.empty()) << name;
  }
}

// The coordinator restarts mid-break on the same durable store: the break, its decision and the
// numbering survive, and the playlists do not change across the restart.
TEST(ManifestPathTest, CoordinatorRestartMidBreak) {
  Deployment d(*FindBuild("kv-channel-state"));
  hls::ReloadLinter reload;
  d.AdvanceTo(kBreakStart + 4 * kMicrosPerSecond);
  ManifestResponse before = d.Get("v720.m3u8");
  ASSERT_TRUE(before.in_break);
  reload.Observe(*hls::ParseMedia(before.body));
  const size_t decisions = d.decision.requests.size();
  d.coordinator = std::make_unique<Coordinator>(
      d.channel, CoordinatorEnv{&d.sched, &d.kv, &d.durable, &d.origin, &d.decision},
      CoordinatorOptionsFor(*FindBuild("kv-channel-state"), {}));
  d.coordinator->Start([](Status s) { EXPECT_TRUE(s.ok()) << s.ToString(); });
  d.sched.RunDue();
  d.client = LocalCoordinatorClient();
  d.client.Add(d.coordinator.get());
  for (UnixMicros t = kBreakStart + 6 * kMicrosPerSecond; t < kBreakStart + 40 * kMicrosPerSecond;
       t += 2 * kMicrosPerSecond) {
    d.AdvanceTo(t);
    ManifestResponse r = d.Get("v720.m3u8");
    Result<hls::MediaPlaylist> p = hls::ParseMedia(r.body);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(ErrorFindings(reload.Observe(*p)), std::vector<std::string>{}) << r.body;
  }
  EXPECT_EQ(d.decision.requests.size(), decisions);  // the decision was recovered, not redone
}

TEST(ManifestPathTest, StateSourcesPerBuild) {
  {
    Deployment d(*FindBuild("do-only"));
    d.AdvanceTo(kStart + 30 * kMicrosPerSecond);
    ManifestResponse r = d.Get("v720.m3u8");
    EXPECT_EQ(r.source, StateSource::kCoordinator);
    EXPECT_EQ(r.coordinator_calls, 1);
    EXPECT_EQ(r.kv_reads, 0);
  }
  {
    // The seed's Phase 1: outside a break every request misses KV and asks the coordinator;
    // inside it KV hits.
    Deployment d(*FindBuild("kv-hybrid"));
    d.AdvanceTo(kStart + 30 * kMicrosPerSecond);
    ManifestResponse before = d.Get("v720.m3u8");
    EXPECT_EQ(before.source, StateSource::kKvMiss);
    EXPECT_EQ(before.coordinator_calls, 1);
    d.AdvanceTo(kBreakStart + 8 * kMicrosPerSecond);
    d.Get("v720.m3u8");  // the coordinator learns of the cue on request, writes KV
    ManifestResponse during = d.Get("v720.m3u8");
    EXPECT_EQ(during.source, StateSource::kKvHit);
    EXPECT_EQ(during.coordinator_calls, 0);
    EXPECT_TRUE(during.in_break);
    EXPECT_EQ(during.event_id, "cue-30");  // plain CUE-OUT carries no id: the normalizer's
  }
  {
    // Ours: the channel document answers outside breaks too.
    Deployment d(*FindBuild("kv-channel-state"));
    d.AdvanceTo(kStart + 30 * kMicrosPerSecond);
    ManifestResponse r = d.Get("v720.m3u8");
    EXPECT_EQ(r.source, StateSource::kKvHit);
    EXPECT_EQ(r.coordinator_calls, 0);
    // The OUT marker appears: one probe, then hits again.
    d.AdvanceTo(kBreakStart + 2 * kMicrosPerSecond);
    ManifestResponse first = d.Get("v720.m3u8");
    EXPECT_EQ(first.coordinator_calls, 1);
    EXPECT_TRUE(first.in_break);
    ManifestResponse second = d.Get("v360.m3u8");
    EXPECT_EQ(second.coordinator_calls, 0);
    EXPECT_TRUE(second.in_break);
  }
}

TEST(ManifestPathTest, SgaiInterstitial) {
  Deployment d(*FindBuild("kv-channel-state"));
  d.AdvanceTo(kBreakStart + 4 * kMicrosPerSecond);
  ManifestResponse r = d.Get("v720.m3u8", InsertionMode::kSgai);
  ASSERT_EQ(r.http_status, 200);
  EXPECT_NE(r.body.find("CLASS=\"com.apple.hls.interstitial\""), std::string::npos) << r.body;
  EXPECT_EQ(r.ad_segments, 0);
  const size_t at = r.body.find("X-ASSET-LIST=\"");
  ASSERT_NE(at, std::string::npos);
  const std::string list = r.body.substr(at + 14, r.body.find('"', at + 14) - at - 14);
  ManifestResponse assets = d.Get(list);
  ASSERT_EQ(assets.http_status, 200) << assets.body;
  // Issue 16: each creative is a multivariant playlist the player chooses from, the same list
  // for every viewer (so the DATERANGE stays identical across variants).
  const std::string hex = list.substr(3, list.size() - 3 - 5);
  EXPECT_EQ(assets.body, R"({"ASSETS":[{"DURATION":8.0,"URI":"am-)" + hex + R"(-0.m3u8"},{"DURATION":8.0,"URI":"am-)" +
                             hex + R"(-1.m3u8"}]})");
  EXPECT_EQ(d.Get("v360.m3u8", InsertionMode::kSgai).body.find("X-ASSET-LIST=\"" + list + "\"") != std::string::npos, true);
  ManifestResponse creative = d.Get("am-" + hex + "-1.m3u8");
  ASSERT_EQ(creative.http_status, 200) << creative.body;
  EXPECT_EQ(creative.body,
            "#EXTM3U\n#EXT-X-INDEPENDENT-SEGMENTS\n"
            "#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS=\"avc1.64001e,mp4a.40.2\"\nhttp://ads/a2/800000.m3u8\n"
            "#EXT-X-STREAM-INF:BANDWIDTH=2500000,RESOLUTION=1280x720,CODECS=\"avc1.64001f,mp4a.40.2\"\nhttp://ads/a2/2500000.m3u8\n");
  Result<hls::MasterPlaylist> parsed = hls::ParseMaster(creative.body);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_THAT(hls::LintMaster(*parsed), ::testing::IsEmpty());
  // No such creative, a bad name: 404, not a crash.
  EXPECT_EQ(d.Get("am-" + hex + "-2.m3u8").http_status, 404);
  EXPECT_EQ(d.Get("am-zz-0.m3u8").http_status, 404);
  EXPECT_EQ(d.Get("am-" + hex + ".m3u8").http_status, 404);
  EXPECT_EQ(d.Get("am-" + hex + "--1.m3u8").http_status, 404);
  // A real event id ("manual_ch_demo_sports_1796545030") is 64 hex digits: the name is longer
  // than a rendition name may be and still reaches the asset handler (it was a 400 that stopped
  // hls.js in tests/test_clients.py); past the cap it is an invalid name.
  const std::string long_hex(64, 'a');
  ManifestResponse long_name = d.Get("am-" + long_hex + "-0.m3u8");
  EXPECT_EQ(long_name.http_status, 404) << long_name.body;
  EXPECT_NE(long_name.body.find("asset: no creative"), std::string::npos) << long_name.body;
  EXPECT_EQ(d.Get("am-" + std::string(600, 'a') + "-0.m3u8").http_status, 400);
}

TEST(ManifestPathTest, SgaiTopVariantDefectNamesTheTopMediaPlaylist) {
  Deployment d(*FindBuild("defect-sgai-top-variant"));
  d.AdvanceTo(kBreakStart + 4 * kMicrosPerSecond);
  ManifestResponse r = d.Get("v360.m3u8", InsertionMode::kSgai);
  const size_t at = r.body.find("X-ASSET-LIST=\"");
  ASSERT_NE(at, std::string::npos) << r.body;
  const std::string list = r.body.substr(at + 14, r.body.find('"', at + 14) - at - 14);
  EXPECT_EQ(d.Get(list).body,
            R"({"ASSETS":[{"DURATION":8.0,"URI":"http://ads/a1/2500000.m3u8"},{"DURATION":8.0,"URI":"http://ads/a2/2500000.m3u8"}]})");
}

TEST(ManifestPathTest, BadRequestsAndOriginFailures) {
  Deployment d(*FindBuild("kv-hybrid"));
  d.AdvanceTo(kStart + 30 * kMicrosPerSecond);
  EXPECT_EQ(d.Get("v1080.m3u8").http_status, 404);
  EXPECT_EQ(d.Get("../etc.m3u8").http_status, 400);
  EXPECT_EQ(d.Get("v720.ts").http_status, 404);
  std::optional<ManifestResponse> r;
  d.edge->Handle({"demo", "nope", "v720.m3u8", {}}, [&](ManifestResponse x) { r = x; });
  EXPECT_EQ(r->http_status, 404);
  d.edge->Handle({"de/mo", "sports", "v720.m3u8", {}}, [&](ManifestResponse x) { r = x; });
  EXPECT_EQ(r->http_status, 400);
  EXPECT_NE(r->body.find("org: invalid name"), std::string::npos);

  // Origin down: the last good playlist while fresh, then 502.
  ASSERT_EQ(d.Get("v720.m3u8").http_status, 200);
  d.origin.set_down(true);
  ManifestResponse stale = d.Get("v720.m3u8");
  EXPECT_EQ(stale.http_status, 200);
  EXPECT_TRUE(stale.served_stale_origin);
  d.sched.AdvanceBy(7 * kMicrosPerSecond);
  ManifestResponse down = d.Get("v720.m3u8");
  EXPECT_EQ(down.http_status, 502);
  EXPECT_NE(down.body.find("origin is down"), std::string::npos);
  // A broken playlist is a 502 naming the line.
  d.origin.set_down(false);
  d.origin.Set("http://origin/live/v720.m3u8", "#EXTM3U\n#EXTINF:abc,\nseg.ts\n");
  ManifestResponse broken = d.Get("v720.m3u8");
  EXPECT_EQ(broken.http_status, 502);
  EXPECT_NE(broken.body.find("line 2"), std::string::npos) << broken.body;
}

// Mid-break the origin drops its PDTs: the break cannot be placed, and that is the origin's fault,
// a 502 naming the reason, never a 500 (issue 13: a huge origin playlist answered 500 mid-break).
TEST(ManifestPathTest, OriginWithoutPdtMidBreakIs502) {
  Deployment d(*FindBuild("kv-hybrid"));
  d.AdvanceTo(kBreakStart + 4 * kMicrosPerSecond);
  ManifestResponse in_break = d.Get("v720.m3u8");
  ASSERT_EQ(in_break.http_status, 200);
  ASSERT_TRUE(in_break.in_break);
  d.origin.Set("http://origin/live/v720.m3u8",
               "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:40\n#EXTINF:2.000,\nseg40.ts\n"
               "#EXTINF:2.000,\nseg41.ts\n");
  ManifestResponse r = d.Get("v720.m3u8");
  EXPECT_EQ(r.http_status, 502) << r.body;
  EXPECT_NE(r.body.find("origin: the origin playlist has no EXT-X-PROGRAM-DATE-TIME"), std::string::npos) << r.body;
}

TEST(ManifestPathTest, CoordinatorDownServesContent) {
  Deployment d(*FindBuild("do-only"));
  d.AdvanceTo(kBreakStart + 4 * kMicrosPerSecond);
  // A coordinator client that always fails.
  struct Down : CoordinatorClient {
    void GetChannelState(std::string_view, StateCallback done) override {
      done(Status::Unavailable("coordinator overloaded"));
    }
  } down;
  ManifestPath edge(*FindBuild("do-only"), {d.channel}, ManifestPathEnv{&d.sched, &d.kv, &down, &d.origin});
  std::optional<ManifestResponse> r;
  edge.Handle({"demo", "sports", "v720.m3u8", {}}, [&](ManifestResponse x) { r = x; });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->http_status, 200);
  EXPECT_EQ(r->source, StateSource::kNone);
  EXPECT_EQ(r->ad_segments, 0);
  EXPECT_FALSE(r->warnings.empty());
}

TEST(ManifestPathTest, MasterPointsAtTheEdge) {
  Deployment d(*FindBuild("kv-hybrid"));
  ManifestResponse r = d.Get("master.m3u8");
  EXPECT_EQ(r.body,
            "#EXTM3U\n#EXT-X-INDEPENDENT-SEGMENTS\n"
            "#EXT-X-STREAM-INF:BANDWIDTH=2500000,RESOLUTION=1280x720,CODECS=\"avc1.64001f,mp4a.40.2\"\n"
            "v720.m3u8\n"
            "#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS=\"avc1.64001e,mp4a.40.2\"\n"
            "v360.m3u8\n");
  {
    Result<hls::Playlist> parsed = hls::Parse(r.body);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    const auto* master = std::get_if<hls::MasterPlaylist>(&*parsed);
    ASSERT_NE(master, nullptr);
    // RFC 8216 §4.3.4.2 satisfied, and no EXT-X-VERSION higher than needed (it used to declare
    // 3 where nothing needs more than 1: hls.version.not_higher_than_needed): no finding at all.
    for (const hls::Finding& f : hls::LintMaster(*master)) ADD_FAILURE() << hls::FormatFinding(f);
  }
  d.channel.origin_master_url = "http://origin/live/master.m3u8";
  // With demuxed audio and subtitles (issue 14): their EXT-X-MEDIA URIs point at the origin.
  origin::SyntheticStreamSpec with_alternates = d.spec;
  with_alternates.audio = {{"aud_en", "English", "en", true}};
  with_alternates.subtitles = {{"sub_en", "English", "en", false}};
  d.origin.Set(d.channel.origin_master_url, origin::MasterPlaylist(with_alternates));
  ManifestPath edge(*FindBuild("kv-hybrid"), {d.channel}, ManifestPathEnv{&d.sched, &d.kv, &d.client, &d.origin});
  std::optional<ManifestResponse> m;
  edge.Handle({"demo", "sports", "master.m3u8", {}}, [&](ManifestResponse x) { m = x; });
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("\nv720.m3u8\n"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("URI=\"http://origin/live/aud_en.m3u8\""), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("URI=\"http://origin/live/sub_en.m3u8\""), std::string::npos) << m->body;
}

// CODECS and RESOLUTION are written only when configured: an audio-only rendition has CODECS and
// no RESOLUTION; a rendition with neither gets BANDWIDTH alone (and the linter says CODECS is
// missing there, RFC 8216 §4.3.4.2 SHOULD).
TEST(ManifestPathTest, MasterWritesCodecsAndResolutionWhenConfigured) {
  Deployment d(*FindBuild("kv-hybrid"));
  ChannelConfig ch = d.channel;
  ch.renditions = {{"v180", 400'000, "http://origin/live/v180.m3u8", "avc1.42c01e,mp4a.40.2", "320x180"},
                   {"audio", 64'000, "http://origin/live/audio.m3u8", "mp4a.40.2", ""},
                   {"bare", 100'000, "http://origin/live/bare.m3u8"}};
  ManifestPath edge(*FindBuild("kv-hybrid"), {ch}, ManifestPathEnv{&d.sched, &d.kv, &d.client, &d.origin});
  std::optional<ManifestResponse> m;
  edge.Handle({"demo", "sports", "master.m3u8", {}}, [&](ManifestResponse x) { m = x; });
  ASSERT_TRUE(m);
  EXPECT_EQ(m->http_status, 200);
  EXPECT_EQ(m->body,
            "#EXTM3U\n#EXT-X-INDEPENDENT-SEGMENTS\n"
            "#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=320x180,CODECS=\"avc1.42c01e,mp4a.40.2\"\n"
            "v180.m3u8\n"
            "#EXT-X-STREAM-INF:BANDWIDTH=64000,CODECS=\"mp4a.40.2\"\naudio.m3u8\n"
            "#EXT-X-STREAM-INF:BANDWIDTH=100000\nbare.m3u8\n");
  // What a player reads back: the parser sees the same attributes.
  Result<hls::Playlist> parsed = hls::Parse(m->body);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const auto* master = std::get_if<hls::MasterPlaylist>(&*parsed);
  ASSERT_NE(master, nullptr);
  const std::vector<hls::VariantInfo> variants = master->Variants();
  ASSERT_EQ(variants.size(), 3u);
  EXPECT_EQ(variants[0].codecs, "avc1.42c01e,mp4a.40.2");
  EXPECT_EQ(variants[0].resolution, "320x180");
  EXPECT_EQ(variants[1].codecs, "mp4a.40.2");
  EXPECT_EQ(variants[1].resolution, "");
  std::vector<int> codecs_missing_lines;
  for (const hls::Finding& f : hls::LintMaster(*master)) {
    if (f.rule_id == "hls.master.codecs_present") codecs_missing_lines.push_back(f.line);
  }
  EXPECT_EQ(codecs_missing_lines, std::vector<int>{7});  // the "bare" variant's EXT-X-STREAM-INF
}


// A pod of three creatives with their own durations (15 s, 30 s, 7.5 s at 2 s segments) in a
// 60 s break, on every correct build: each creative opens with a DISCONTINUITY, slate fills the
// last 7.5 s, renditions and reloads agree, and after the break MEDIA-SEQUENCE is the origin's + 1
// (31 segments for 30 slots) and DISCONTINUITY-SEQUENCE + 5 (3 creatives, slate, return).
TEST(ManifestPathTest, PodOfCreativesOnEveryBuild) {
  for (const char* name : {"do-only", "kv-hybrid", "kv-hybrid-direct", "kv-stateless", "kv-channel-state"}) {
    SCOPED_TRACE(name);
    origin::SyntheticStreamSpec spec = Spec(origin::CueFlavour::kCueOut);
    spec.breaks = {{kBreakStart, 60, 1001}};
    testing::Deployment d(*FindBuild(name), spec);
    d.AddCreative("c15", {800'000, 2'500'000}, 15, 2);
    d.AddCreative("c30", {800'000, 2'500'000}, 30, 2);
    d.AddCreative("c7", {800'000, 2'500'000}, 7.5, 2);
    ASSERT_TRUE(d.Start().ok());
    std::map<std::string, hls::ReloadLinter> reload;
    bool saw_junction = false;
    for (UnixMicros t = kStart + 40 * kMicrosPerSecond; t <= kStart + 160 * kMicrosPerSecond;
         t += 1 * kMicrosPerSecond) {
      d.AdvanceTo(t);
      std::optional<int64_t> msn, dsn;
      for (const char* rendition : {"v720", "v360"}) {
        std::optional<ManifestResponse> r = d.Get(std::string(rendition) + ".m3u8");
        ASSERT_TRUE(r.has_value());
        ASSERT_EQ(r->http_status, 200) << r->body;
        Result<hls::MediaPlaylist> p = hls::ParseMedia(r->body);
        ASSERT_TRUE(p.ok()) << r->body;
        EXPECT_EQ(ErrorFindings(hls::LintMedia(*p)), std::vector<std::string>{}) << r->body;
        EXPECT_EQ(ErrorFindings(reload[rendition].Observe(*p)), std::vector<std::string>{}) << r->body;
        if (msn) {
          EXPECT_EQ(p->media_sequence(), *msn) << r->body;
          EXPECT_EQ(p->discontinuity_sequence(), *dsn) << r->body;
        }
        msn = p->media_sequence();
        dsn = p->discontinuity_sequence();
        const auto& segs = p->segments();
        for (size_t i = 1; i < segs.size(); ++i) {
          if (segs[i].uri().find("c30_") != std::string::npos && segs[i - 1].uri().find("c15_") != std::string::npos) {
            EXPECT_TRUE(segs[i].discontinuity()) << r->body;
            saw_junction = true;
          }
        }
      }
    }
    Result<hls::MediaPlaylist> o = hls::ParseMedia(
        origin::MediaPlaylistAt(spec, spec.renditions[0], kStart + 160 * kMicrosPerSecond));
    ASSERT_TRUE(o.ok());
    std::optional<ManifestResponse> last = d.Get("v720.m3u8");
    Result<hls::MediaPlaylist> p = hls::ParseMedia(last->body);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->media_sequence(), o->media_sequence() + 1) << last->body;
    EXPECT_EQ(p->discontinuity_sequence(), o->discontinuity_sequence() + 5) << last->body;
    // The response still names its newest slot in the origin's numbering (what a ground truth
    // kept in origin slots judges it by: world/ground_truth.h), one less than its text's.
    EXPECT_EQ(last->newest_slot_msn, o->SequenceNumberOf(o->segments().size() - 1));
    EXPECT_EQ(last->newest_slot_msn, p->SequenceNumberOf(p->segments().size() - 1) - 1);
    EXPECT_TRUE(saw_junction);
  }
}

// Server-side tracking (beacons.h) through the manifest path: a session that reloads through a
// pod of three creatives fires each creative's impression, start, quartiles and complete once
// and in order; a session that joins mid-pod fires nothing for the creative it joined into; an
// anonymous viewer fires nothing; the multivariant playlist passes the session on; the defect
// build fires a creative's complete before its last segment was delivered.
std::map<std::string, std::vector<std::string>> BySessionAndAd(const std::vector<Beacon>& fired) {
  std::map<std::string, std::vector<std::string>> out;
  for (const Beacon& b : fired) out[b.session + "/" + b.ad_id].push_back(b.event);
  return out;
}

TEST(ManifestPathTest, ServerSideBeaconsFollowDelivery) {
  for (const char* name : {"kv-channel-state", "kv-stateless", "defect-beacons-on-decision"}) {
    SCOPED_TRACE(name);
    const bool defect = std::string(name).starts_with("defect");
    origin::SyntheticStreamSpec spec = Spec(origin::CueFlavour::kCueOut);
    spec.breaks = {{kBreakStart, 60, 1001}};
    testing::Deployment d(*FindBuild(name), spec);
    d.AddCreative("c15", {800'000, 2'500'000}, 15, 2);
    d.AddCreative("c30", {800'000, 2'500'000}, 30, 2);
    d.AddCreative("c7", {800'000, 2'500'000}, 7.5, 2);
    for (AdItem& item : d.decision.decision.items) {
      for (std::string_view e : kBeaconEvents) {
        item.tracking[std::string(e)] = {"http://ads/track/" + item.id + "/" + std::string(e)};
      }
    }
    ASSERT_TRUE(d.Start().ok());
    std::optional<ManifestResponse> master = d.Get("master.m3u8", std::nullopt, "s1");
    ASSERT_TRUE(master.has_value());
    EXPECT_NE(master->body.find("v720.m3u8?session=s1"), std::string::npos) << master->body;
    std::optional<ManifestResponse> bad = d.Get("v720.m3u8", std::nullopt, "a/b");
    ASSERT_TRUE(bad.has_value());
    EXPECT_EQ(bad->http_status, 400);
    // When c15's segment holding its complete was delivered to s1 (or never, before then).
    std::optional<UnixMicros> c15_complete_at;
    size_t c15_before_last_segment = 0;
    for (UnixMicros t = kStart + 40 * kMicrosPerSecond; t <= kStart + 130 * kMicrosPerSecond; t += 2 * kMicrosPerSecond) {
      d.AdvanceTo(t);
      for (const char* rendition : {"v720", "v360"}) {
        ASSERT_EQ(d.Get(std::string(rendition) + ".m3u8", std::nullopt, "s1")->http_status, 200);
        ASSERT_EQ(d.Get(std::string(rendition) + ".m3u8")->http_status, 200);  // anonymous
      }
      if (t >= kBreakStart + 30 * kMicrosPerSecond) {
        ASSERT_EQ(d.Get("v720.m3u8", std::nullopt, "late")->http_status, 200);
      }
      std::optional<ManifestResponse> r = d.Get("v360.m3u8", std::nullopt, "s1");
      const bool has_last_c15 = r->body.find("c15_800000_7.ts") != std::string::npos;
      for (const Beacon& b : d.beacons.fired) {
        if (b.session == "s1" && b.ad_id == "c15" && b.event == "complete" && !c15_complete_at) c15_complete_at = t;
      }
      if (c15_complete_at && *c15_complete_at == t && !has_last_c15) ++c15_before_last_segment;
    }
    const auto got = BySessionAndAd(d.beacons.fired);
    const std::vector<std::string> all(kBeaconEvents.begin(), kBeaconEvents.end());
    for (const char* ad : {"c15", "c30", "c7"}) {
      ASSERT_TRUE(got.count(std::string("s1/") + ad)) << ad;
      EXPECT_EQ(got.at(std::string("s1/") + ad), all) << ad;
    }
    for (const auto& [key, events] : got) {
      EXPECT_TRUE(key.starts_with("s1/") || key.starts_with("late/")) << key;
    }
    if (!defect) {
      EXPECT_EQ(c15_before_last_segment, 0u);
      // "late" joined 30 s into the break and starts 6 s behind the live edge, 24 s in: during c30
      // (15 s .. 45 s), so c15 and c30 never fire for it.
      EXPECT_FALSE(got.count("late/c15"));
      EXPECT_FALSE(got.count("late/c30"));
      EXPECT_EQ(got.at("late/c7"), all);
      EXPECT_EQ(d.edge->beacon_tracker().sessions(), 2u);
    } else {
      EXPECT_EQ(c15_before_last_segment, 1u) << "the defect fires complete with the first segment";
      EXPECT_TRUE(got.count("late/c15"));
    }
    for (const Beacon& b : d.beacons.fired) EXPECT_EQ(b.url, "http://ads/track/" + b.ad_id + "/" + b.event);
  }
}

// Issue 14: a CMAF presentation with demuxed audio (en default, fr) and WebVTT subtitles (en).
// A pod of two creatives: a1 has audio in en and fr, a2 only in en (heard on both renditions).
struct DemuxedDeployment : testing::Deployment {
  static origin::SyntheticStreamSpec DemuxedSpec() {
    origin::SyntheticStreamSpec spec = Spec(origin::CueFlavour::kCueOut);
    spec.container = "cmaf";
    spec.segment_uri_template = "seg_{rendition}_{msn}.m4s";
    spec.audio = {{"aud_en", "English", "en", true}, {"aud_fr", "Francais", "fr", false}};
    spec.subtitles = {{"sub_en", "English", "en", false}};
    return spec;
  }
  explicit DemuxedDeployment(const BuildSpec& build_spec) : testing::Deployment(build_spec, DemuxedSpec()) {
    channel.slate = {"http://ads/slate.m4s", 2, {"URI=\"http://ads/slate_init.mp4\"", {}}};
    AddCreative("a1", {800'000, 2'500'000}, 8, 2);
    AddCreative("a2", {800'000, 2'500'000}, 8, 2);
    for (AdItem& item : decision.decision.items) {
      for (const AdVariant& v : item.variants) {  // fMP4 video with its init (shaka-packager-style)
        std::string p = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-VERSION:6\n#EXT-X-MEDIA-SEQUENCE:0\n"
                        "#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-MAP:URI=\"init_" + std::to_string(v.bitrate_bps) + ".mp4\"\n";
        for (int i = 0; i < 4; ++i) {
          p += "#EXTINF:2.000,\n" + item.id + "_" + std::to_string(v.bitrate_bps) + "_" + std::to_string(i) + ".m4s\n";
        }
        origin.Set(v.url, p + "#EXT-X-ENDLIST\n");
      }
      for (const char* lang : {"en", "fr"}) {
        if (item.id == "a2" && std::string(lang) == "fr") continue;
        const std::string url = "http://ads/" + item.id + "/audio_" + lang + ".m3u8";
        // Bento4-style: version 6, MAP before the first EXTINF, integer EXTINF.
        std::string p = "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-TARGETDURATION:2\n"
                        "#EXT-X-MAP:URI=\"audio_" + std::string(lang) + "/init.mp4\"\n";
        for (int i = 0; i < 4; ++i) p += "#EXTINF:2,\naudio_" + std::string(lang) + "/" + std::to_string(i) + ".m4s\n";
        origin.Set(url, p + "#EXT-X-ENDLIST\n");
        item.audio.push_back({lang, url});
      }
    }
    const Status started = Start();
    EXPECT_TRUE(started.ok()) << started.ToString();
  }
};

std::vector<std::string> DateRangeLines(const std::string& body) {
  std::vector<std::string> out;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("#EXT-X-DATERANGE")) out.push_back(line);
  }
  return out;
}

TEST(ManifestPathTest, DemuxedAudioAndSubtitlesSplicedInLockstep) {
  for (const BuildSpec& build : AllBuilds()) {
    if (build.is_defect()) continue;
    DemuxedDeployment d(build);
    std::map<std::string, hls::ReloadLinter> reload;
    int ad_reloads = 0;
    for (UnixMicros t = kBreakStart - 4 * kMicrosPerSecond; t <= kBreakStart + 36 * kMicrosPerSecond;
         t += 2 * kMicrosPerSecond) {
      d.AdvanceTo(t);
      std::map<std::string, hls::MediaPlaylist> got;
      std::map<std::string, std::string> body;
      for (const char* file : {"v720", "aud_en", "aud_fr", "sub_en"}) {
        std::optional<ManifestResponse> r = d.Get(std::string(file) + ".m3u8");
        ASSERT_TRUE(r && r->http_status == 200) << build.name << " " << file;
        for (const std::string& w : r->warnings) {
          // kv-stateless holds the cue segment back until KV explains it (README "Builds").
          EXPECT_TRUE(w.starts_with("held back ")) << build.name << " " << file << ": " << w;
        }
        Result<hls::MediaPlaylist> p = hls::ParseMedia(r->body);
        ASSERT_TRUE(p.ok()) << r->body;
        EXPECT_THAT(ErrorFindings(hls::LintMedia(*p)), ::testing::IsEmpty()) << file << "\n" << r->body;
        EXPECT_THAT(ErrorFindings(reload[file].Observe(*p)), ::testing::IsEmpty()) << file << "\n" << r->body;
        got.emplace(file, std::move(p).value());
        body[file] = r->body;
      }
      const hls::MediaPlaylist& v = got.at("v720");
      for (const char* file : {"aud_en", "aud_fr", "sub_en"}) {
        const hls::MediaPlaylist& a = got.at(file);
        SCOPED_TRACE(build.name + " " + file + " at +" + std::to_string((t - kBreakStart) / kMicrosPerSecond) +
                     " s\n" + body["v720"] + "---\n" + body[file]);
        EXPECT_EQ(a.media_sequence(), v.media_sequence());
        EXPECT_EQ(a.discontinuity_sequence(), v.discontinuity_sequence());
        EXPECT_EQ(DateRangeLines(body[file]), DateRangeLines(body["v720"]));
        ASSERT_EQ(a.segments().size(), v.segments().size());
        for (size_t i = 0; i < v.segments().size(); ++i) {
          const hls::MediaSegment& vs = v.segments()[i];
          const hls::MediaSegment& as = a.segments()[i];
          EXPECT_EQ(as.discontinuity(), vs.discontinuity()) << i;
          EXPECT_EQ(as.duration_s(), vs.duration_s()) << i;
          EXPECT_EQ(a.SegmentStartTime(i), v.SegmentStartTime(i)) << i;
          const bool video_ad = vs.uri().starts_with("http://ads/");
          EXPECT_EQ(as.uri().starts_with("http://ads/"), video_ad) << i << " " << as.uri();
          if (!video_ad) continue;
          const std::string_view file_name(file);
          if (file_name == "sub_en") {
            EXPECT_EQ(as.uri(), "http://ads/blank.vtt");
          } else if (vs.uri() == "http://ads/slate.m4s") {
            EXPECT_EQ(as.uri(), "http://ads/slate_audio.m4s");
          } else {
            // a2 has English only: heard on the French rendition too.
            const bool a2 = vs.uri().find("/a2_") != std::string::npos;
            const std::string lang = file_name == "aud_fr" && !a2 ? "fr" : "en";
            EXPECT_TRUE(as.uri().starts_with("http://ads/" + std::string(a2 ? "a2" : "a1") + "/audio_" + lang + "/"))
                << as.uri();
          }
        }
      }
      ad_reloads += v.segments().back().uri().starts_with("http://ads/");
    }
    EXPECT_GE(ad_reloads, 8) << build.name;
  }
}

// 24 s into the 20 s break (2 × 8 s creatives, then 4 s of slate): the French audio and the
// subtitles, as served, next to the variant (same MEDIA-SEQUENCE 36, DISCONTINUITY-SEQUENCE 1,
// markers and PDTs). The audio slate declares its own init; the return restores the content's.
TEST(ManifestPathTest, DemuxedPlaylistsAtTheReturn) {
  DemuxedDeployment d(*FindBuild("kv-channel-state"));
  d.AdvanceTo(kBreakStart + 24 * kMicrosPerSecond);
  std::optional<ManifestResponse> fr = d.Get("aud_fr.m3u8");
  std::optional<ManifestResponse> sub = d.Get("sub_en.m3u8");
  ASSERT_TRUE(fr && sub);
  EXPECT_EQ(fr->body,
      "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:36\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n"
      "#EXT-X-MAP:URI=\"http://ads/slate_audio_init.mp4\"\n"
      "#EXT-X-CUE-OUT-CONT:ElapsedTime=12.000,Duration=20,SCTE35=/DAlAAAAAAAAAP/wFAUAAAPpf+/+AFJlwP4AG3dAAAEAAAAAvBYdPQ==\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:01:12.000Z\n#EXTINF:2.000,\nhttp://ads/slate_audio.m4s\n"
      "#EXT-X-CUE-OUT-CONT:ElapsedTime=14.000,Duration=20,SCTE35=/DAlAAAAAAAAAP/wFAUAAAPpf+/+AFJlwP4AG3dAAAEAAAAAvBYdPQ==\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:01:14.000Z\n#EXTINF:2.000,\nhttp://ads/slate_audio.m4s\n"
      "#EXT-X-CUE-OUT-CONT:ElapsedTime=16.000,Duration=20,SCTE35=/DAlAAAAAAAAAP/wFAUAAAPpf+/+AFJlwP4AG3dAAAEAAAAAvBYdPQ==\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:01:16.000Z\n#EXTINF:2.000,\nhttp://ads/slate_audio.m4s\n"
      "#EXT-X-CUE-OUT-CONT:ElapsedTime=18.000,Duration=20,SCTE35=/DAlAAAAAAAAAP/wFAUAAAPpf+/+AFJlwP4AG3dAAAEAAAAAvBYdPQ==\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:01:18.000Z\n#EXTINF:2.000,\nhttp://ads/slate_audio.m4s\n"
      "#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"http://origin/live/init_aud_fr.mp4\"\n#EXT-X-CUE-IN\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:01:20.000Z\n#EXTINF:2.000,\nhttp://origin/live/seg_aud_fr_40.m4s\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:01:22.000Z\n#EXTINF:2.000,\nhttp://origin/live/seg_aud_fr_41.m4s\n");
  EXPECT_EQ(sub->body,
      "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:36\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n"
      "#EXT-X-CUE-OUT-CONT:ElapsedTime=12.000,Duration=20,SCTE35=/DAlAAAAAAAAAP/wFAUAAAPpf+/+AFJlwP4AG3dAAAEAAAAAvBYdPQ==\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:01:12.000Z\n#EXTINF:2.000,\nhttp://ads/blank.vtt\n"
      "#EXT-X-CUE-OUT-CONT:ElapsedTime=14.000,Duration=20,SCTE35=/DAlAAAAAAAAAP/wFAUAAAPpf+/+AFJlwP4AG3dAAAEAAAAAvBYdPQ==\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:01:14.000Z\n#EXTINF:2.000,\nhttp://ads/blank.vtt\n"
      "#EXT-X-CUE-OUT-CONT:ElapsedTime=16.000,Duration=20,SCTE35=/DAlAAAAAAAAAP/wFAUAAAPpf+/+AFJlwP4AG3dAAAEAAAAAvBYdPQ==\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:01:16.000Z\n#EXTINF:2.000,\nhttp://ads/blank.vtt\n"
      "#EXT-X-CUE-OUT-CONT:ElapsedTime=18.000,Duration=20,SCTE35=/DAlAAAAAAAAAP/wFAUAAAPpf+/+AFJlwP4AG3dAAAEAAAAAvBYdPQ==\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:01:18.000Z\n#EXTINF:2.000,\nhttp://ads/blank.vtt\n"
      "#EXT-X-DISCONTINUITY\n#EXT-X-CUE-IN\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:01:20.000Z\n#EXTINF:2.000,\nhttp://origin/live/sub_en_40.vtt\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:01:22.000Z\n#EXTINF:2.000,\nhttp://origin/live/sub_en_41.vtt\n");
}

// The multivariant playlist points every alternate the channel splices at the edge: generated
// from the configuration, or the origin's rewritten whatever the packager's attribute order,
// quoting and version line (shaka-packager, Bento4, MediaTailor-shaped EXT-X-MEDIA lines).
TEST(ManifestPathTest, MultivariantPointsAlternatesAtTheEdge) {
  DemuxedDeployment d(*FindBuild("kv-channel-state"));
  std::optional<ManifestResponse> generated = d.Get("master.m3u8", std::nullopt, "s1");
  ASSERT_TRUE(generated && generated->http_status == 200);
  EXPECT_EQ(generated->body,
            "#EXTM3U\n#EXT-X-INDEPENDENT-SEGMENTS\n"
            "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"aud_en\",LANGUAGE=\"en\",DEFAULT=YES,AUTOSELECT=YES,"
            "URI=\"aud_en.m3u8?session=s1\"\n"
            "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"aud_fr\",LANGUAGE=\"fr\",DEFAULT=NO,AUTOSELECT=YES,"
            "URI=\"aud_fr.m3u8?session=s1\"\n"
            "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"sub\",NAME=\"sub_en\",LANGUAGE=\"en\",DEFAULT=NO,AUTOSELECT=YES,"
            "URI=\"sub_en.m3u8?session=s1\"\n"
            "#EXT-X-STREAM-INF:BANDWIDTH=2500000,RESOLUTION=1280x720,CODECS=\"avc1.64001f,mp4a.40.2\",AUDIO=\"aud\","
            "SUBTITLES=\"sub\"\nv720.m3u8?session=s1\n"
            "#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS=\"avc1.64001e,mp4a.40.2\",AUDIO=\"aud\","
            "SUBTITLES=\"sub\"\nv360.m3u8?session=s1\n");

  struct Case {
    const char* packager;
    std::string master;
    std::vector<std::string> expected_media;  // the EXT-X-MEDIA lines served
  };
  const std::vector<Case> cases = {
      {"shaka-packager",  // URI first, version 6, CHANNELS, relative URIs
       "#EXTM3U\n## Generated with https://github.com/shaka-project/shaka-packager version v2.6.1\n"
       "#EXT-X-VERSION:6\n"
       "#EXT-X-MEDIA:TYPE=AUDIO,URI=\"aud_en.m3u8\",GROUP-ID=\"default-audio-group\",LANGUAGE=\"en\","
       "NAME=\"stream_4\",DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"2\"\n"
       "#EXT-X-MEDIA:TYPE=AUDIO,URI=\"aud_fr.m3u8\",GROUP-ID=\"default-audio-group\",LANGUAGE=\"fr\","
       "NAME=\"stream_5\",AUTOSELECT=YES,CHANNELS=\"2\"\n"
       "#EXT-X-MEDIA:TYPE=SUBTITLES,URI=\"sub_en.m3u8\",GROUP-ID=\"default-text-group\",LANGUAGE=\"en\","
       "NAME=\"stream_6\",AUTOSELECT=YES\n"
       "#EXT-X-STREAM-INF:BANDWIDTH=2656000,AVERAGE-BANDWIDTH=2500000,CODECS=\"avc1.64001f,mp4a.40.2\","
       "RESOLUTION=1280x720,AUDIO=\"default-audio-group\",SUBTITLES=\"default-text-group\"\nv720.m3u8\n",
       {"#EXT-X-MEDIA:TYPE=AUDIO,URI=\"aud_en.m3u8?session=s1\",GROUP-ID=\"default-audio-group\",LANGUAGE=\"en\","
        "NAME=\"stream_4\",DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"2\"",
        "#EXT-X-MEDIA:TYPE=AUDIO,URI=\"aud_fr.m3u8?session=s1\",GROUP-ID=\"default-audio-group\",LANGUAGE=\"fr\","
        "NAME=\"stream_5\",AUTOSELECT=YES,CHANNELS=\"2\"",
        "#EXT-X-MEDIA:TYPE=SUBTITLES,URI=\"sub_en.m3u8?session=s1\",GROUP-ID=\"default-text-group\","
        "LANGUAGE=\"en\",NAME=\"stream_6\",AUTOSELECT=YES"}},
      {"Bento4",  // URI last, absolute origin URIs; an audio entry with no URI (in the variant) and
                  // one the channel does not splice (stays the origin's)
       "#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-INDEPENDENT-SEGMENTS\n"
       "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio_aac\",NAME=\"English\",LANGUAGE=\"en\",AUTOSELECT=YES,DEFAULT=YES,"
       "URI=\"http://origin/live/aud_en.m3u8\"\n"
       "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio_aac\",NAME=\"Deutsch\",LANGUAGE=\"de\",AUTOSELECT=YES,DEFAULT=NO,"
       "URI=\"audio/de/mp4a.m3u8\"\n"
       "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"muxed\",NAME=\"main\",DEFAULT=YES,AUTOSELECT=YES\n"
       "#EXT-X-STREAM-INF:AUDIO=\"audio_aac\",AVERAGE-BANDWIDTH=2500000,BANDWIDTH=2600000,CODECS=\"avc1.64001f,mp4a.40.2\","
       "RESOLUTION=1280x720\nv720.m3u8\n",
       {"#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio_aac\",NAME=\"English\",LANGUAGE=\"en\",AUTOSELECT=YES,DEFAULT=YES,"
        "URI=\"aud_en.m3u8?session=s1\"",
        "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio_aac\",NAME=\"Deutsch\",LANGUAGE=\"de\",AUTOSELECT=YES,DEFAULT=NO,"
        "URI=\"http://origin/live/audio/de/mp4a.m3u8\"",
        "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"muxed\",NAME=\"main\",DEFAULT=YES,AUTOSELECT=YES"}},
      {"MediaTailor-shaped",  // FORCED on subtitles, CHARACTERISTICS, version 3
       "#EXTM3U\n#EXT-X-VERSION:3\n"
       "#EXT-X-MEDIA:LANGUAGE=\"fr\",AUTOSELECT=YES,FORCED=NO,TYPE=SUBTITLES,URI=\"sub_en.m3u8\",GROUP-ID=\"subs\","
       "DEFAULT=NO,NAME=\"English\",CHARACTERISTICS=\"public.accessibility.transcribes-spoken-dialog\"\n"
       "#EXT-X-STREAM-INF:CODECS=\"avc1.64001f,mp4a.40.2\",AVERAGE-BANDWIDTH=2500000,RESOLUTION=1280x720,"
       "SUBTITLES=\"subs\",BANDWIDTH=2600000\nv720.m3u8\n",
       {"#EXT-X-MEDIA:LANGUAGE=\"fr\",AUTOSELECT=YES,FORCED=NO,TYPE=SUBTITLES,URI=\"sub_en.m3u8?session=s1\","
        "GROUP-ID=\"subs\",DEFAULT=NO,NAME=\"English\","
        "CHARACTERISTICS=\"public.accessibility.transcribes-spoken-dialog\""}},
  };
  for (const Case& c : cases) {
    d.channel.origin_master_url = "http://origin/live/master.m3u8";
    d.origin.Set(d.channel.origin_master_url, c.master);
    ManifestPath edge(d.build, {d.channel}, ManifestPathEnv{&d.sched, &d.kv, &d.client, &d.origin});
    std::optional<ManifestResponse> r;
    edge.Handle({"demo", "sports", "master.m3u8", std::nullopt, "s1"}, [&](ManifestResponse x) { r = std::move(x); });
    d.sched.RunDue();
    ASSERT_TRUE(r && r->http_status == 200) << c.packager;
    std::vector<std::string> media;
    std::istringstream in(r->body);
    for (std::string line; std::getline(in, line);) {
      if (line.starts_with("#EXT-X-MEDIA:")) media.push_back(line);
    }
    EXPECT_EQ(media, c.expected_media) << c.packager << "\n" << r->body;
    EXPECT_NE(r->body.find("\nv720.m3u8?session=s1\n"), std::string::npos) << c.packager << "\n" << r->body;
  }
}

}  // namespace
}  // namespace ssai
