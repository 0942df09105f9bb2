// PlaylistMemo (playlist_memo.h): an unchanged origin response (same version, or same text when
// there is no version) is not parsed again; a changed one is; splice outputs are reused only for
// equal inputs; and edges sharing one memo serve the same bytes as edges with their own.
#include "reference/ssai/playlist_memo.h"

#include <gtest/gtest.h>

#include <map>

#include "reference/media/origin/synthetic_origin.h"
#include "reference/ssai/testing/deployment.h"

namespace ssai {
namespace {

constexpr std::string_view kA =
    "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:7\n"
    "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:14.000Z\n#EXTINF:2.000,\ns7.ts\n#EXTINF:2.000,\ns8.ts\n";
constexpr std::string_view kB =
    "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:8\n"
    "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:16.000Z\n#EXTINF:2.000,\ns8.ts\n#EXT-X-CUE-OUT:DURATION=4\n"
    "#EXTINF:2.000,\ns9.ts\n";
const std::string kUrl = "http://origin/live/v720.m3u8";

TEST(PlaylistMemoTest, UnchangedVersionSkipsParse) {
  PlaylistMemo memo;
  auto first = memo.Parse(kUrl, 5, kA);
  ASSERT_TRUE(first.ok());
  // Same version: the remembered parse, whatever the bytes (the version vouches for them).
  auto again = memo.Parse(kUrl, 5, kB);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(first->get(), again->get());
  EXPECT_EQ((*again)->media()->media_sequence(), 7);
  EXPECT_EQ(memo.stats().parses, 1);
  EXPECT_EQ(memo.stats().parse_hits, 1);
}

TEST(PlaylistMemoTest, NewVersionIsParsedAgain) {
  PlaylistMemo memo;
  auto a = memo.Parse(kUrl, 5, kA);
  auto b = memo.Parse(kUrl, 6, kB);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->get(), b->get());
  EXPECT_EQ((*b)->media()->media_sequence(), 8);
  EXPECT_EQ((*b)->Markers().markers.size(), 1u);  // the CUE-OUT, extracted once on demand
  EXPECT_EQ(memo.stats().parses, 2);
  EXPECT_EQ(memo.stats().parse_hits, 0);
}

TEST(PlaylistMemoTest, WithoutVersionTheTextDecides) {
  PlaylistMemo memo;
  auto a = memo.Parse(kUrl, 0, kA);
  auto same = memo.Parse(kUrl, 0, std::string(kA));  // equal text, another buffer
  auto b = memo.Parse(kUrl, 0, kB);
  ASSERT_TRUE(a.ok() && same.ok() && b.ok());
  EXPECT_EQ(a->get(), same->get());
  EXPECT_NE(a->get(), b->get());
  EXPECT_EQ(memo.stats().parses, 2);
  EXPECT_EQ(memo.stats().parse_hits, 1);
  // Another URL with the same text is its own entry.
  auto other = memo.Parse("http://origin/live/v360.m3u8", 0, kA);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->get(), a->get());
}

TEST(PlaylistMemoTest, UnparsableBodyIsNotRemembered) {
  PlaylistMemo memo;
  auto a = memo.Parse(kUrl, 1, kA);
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(memo.Parse(kUrl, 2, "not a playlist").ok());
  auto back = memo.Parse(kUrl, 1, kA);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->get(), a->get());
}

TEST(PlaylistMemoTest, SpliceOutputReusedOnlyForEqualInputs) {
  PlaylistMemo memo;
  auto doc = memo.Parse(kUrl, 1, kA);
  ASSERT_TRUE(doc.ok());
  SpliceBreak br;
  br.event_id = "e1";
  br.start_time = 10;
  br.end_time = 20;
  br.ad_segments = {{"http://ads/a/1.ts", 2}};
  SpliceOptions opt;
  SpliceOutput out;
  out.body = "spliced";
  memo.PutSplice(kUrl, *doc, "kv-channel-state|absolute", {br}, opt, out);

  std::vector<SpliceBreak> same{br};
  const SpliceOutput* hit = memo.FindSplice(kUrl, doc->get(), "kv-channel-state|absolute", same, opt);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->body, "spliced");

  std::vector<SpliceBreak> other_ad{br};
  other_ad[0].ad_segments[0].uri = "http://ads/b/1.ts";  // e.g. another bitrate's pod
  EXPECT_EQ(memo.FindSplice(kUrl, doc->get(), "kv-channel-state|absolute", other_ad, opt), nullptr);
  SpliceOptions ledger = opt;
  ledger.inserted_discontinuities_before = 2;
  EXPECT_EQ(memo.FindSplice(kUrl, doc->get(), "kv-channel-state|absolute", same, ledger), nullptr);
  EXPECT_EQ(memo.FindSplice(kUrl, doc->get(), "kv-hybrid|absolute", same, opt), nullptr);
  // Pods of creatives: the MEDIA-SEQUENCE ledger and the creatives are inputs too.
  SpliceOptions msn_ledger = opt;
  msn_ledger.media_sequence_offset_before = 1;
  EXPECT_EQ(memo.FindSplice(kUrl, doc->get(), "kv-channel-state|absolute", same, msn_ledger), nullptr);
  std::vector<SpliceBreak> pod{br};
  pod[0].creatives = {{"c1", 7.5, 2, {"http://ads/c1/0.ts"}}};
  EXPECT_EQ(memo.FindSplice(kUrl, doc->get(), "kv-channel-state|absolute", pod, opt), nullptr);
  memo.PutSplice(kUrl, *doc, "kv-channel-state|absolute", pod, opt, out);
  ASSERT_NE(memo.FindSplice(kUrl, doc->get(), "kv-channel-state|absolute", pod, opt), nullptr);
  pod[0].creatives[0].segment_uris[0] = "http://ads/c1/hi/0.ts";  // another rendition's URIs
  EXPECT_EQ(memo.FindSplice(kUrl, doc->get(), "kv-channel-state|absolute", pod, opt), nullptr);

  // A new origin version: the old outputs are gone with the old parse.
  auto next = memo.Parse(kUrl, 2, kB);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(memo.FindSplice(kUrl, doc->get(), "kv-channel-state|absolute", same, opt), nullptr);
  EXPECT_EQ(memo.FindSplice(kUrl, next->get(), "kv-channel-state|absolute", same, opt), nullptr);
}

// An origin that stamps each distinct body with a version, as the simulator's does.
class VersioningOrigin : public OriginClient {
 public:
  explicit VersioningOrigin(OriginClient* inner) : inner_(inner) {}
  void Fetch(std::string_view url, Callback done) override {
    inner_->Fetch(url, [this, done = std::move(done)](Result<Response> r) {
      if (r.ok()) {
        auto [it, added] = versions_.emplace(r->body, versions_.size() + 1);
        r->version = it->second;
      }
      done(std::move(r));
    });
  }

 private:
  OriginClient* inner_;
  std::map<std::string, uint64_t> versions_;
};

constexpr UnixMicros kStart = 1'767'225'600LL * kMicrosPerSecond;

// Two edges sharing one memo (a versioned origin, as the simulator's POPs) and one comparing text
// answer every reload through a break with exactly the bytes of the deployment's own edge.
TEST(PlaylistMemoTest, SharedMemoServesTheSameBytes) {
  origin::SyntheticStreamSpec spec;
  spec.segment_duration_s = 2;
  spec.window_segments = 6;
  spec.start_time = kStart;
  spec.renditions = {{"v720", 2'500'000, "", ""}, {"v360", 800'000, "", ""}};
  spec.cue_flavour = origin::CueFlavour::kCueOut;
  spec.breaks = {{kStart + 60 * kMicrosPerSecond, 20, 1001}};
  testing::Deployment d(*FindBuild("kv-channel-state"), spec);
  d.AddAd("a1", {800'000, 2'500'000}, 4, 2);
  ASSERT_TRUE(d.Start().ok());

  PlaylistMemo shared, texts;
  VersioningOrigin versioned(&d.origin);
  ManifestPath a1(d.build, {d.channel}, ManifestPathEnv{&d.sched, &d.kv, &d.client, &versioned, &shared});
  ManifestPath a2(d.build, {d.channel}, ManifestPathEnv{&d.sched, &d.kv, &d.client, &versioned, &shared});
  ManifestPath c(d.build, {d.channel}, ManifestPathEnv{&d.sched, &d.kv, &d.client, &d.origin, &texts});
  auto get = [&](ManifestPath& edge, const std::string& file) {
    std::optional<ManifestResponse> out;
    edge.Handle({d.channel.org, d.channel.channel, file, std::nullopt},
                [&](ManifestResponse r) { out = std::move(r); });
    d.sched.RunDue();
    return out;
  };
  int in_break = 0;
  for (UnixMicros t = kStart + 40 * kMicrosPerSecond; t <= kStart + 100 * kMicrosPerSecond; t += kMicrosPerSecond) {
    d.AdvanceTo(t);
    for (const std::string file : {"v720.m3u8", "v360.m3u8"}) {
      std::optional<ManifestResponse> own = d.Get(file);
      ASSERT_TRUE(own.has_value());
      ASSERT_EQ(own->http_status, 200);
      for (ManifestPath* edge : {&a1, &a2, &c}) {
        std::optional<ManifestResponse> r = get(*edge, file);
        ASSERT_TRUE(r.has_value());
        EXPECT_EQ(r->body, own->body) << "at +" << (t - kStart) / kMicrosPerSecond << " s " << file;
        EXPECT_EQ(r->in_break, own->in_break);
        EXPECT_EQ(r->ad_segments, own->ad_segments);
        EXPECT_EQ(r->event_id, own->event_id);
      }
      in_break += own->in_break ? 1 : 0;
    }
  }
  EXPECT_GT(in_break, 0);
  EXPECT_GT(shared.stats().parse_hits, 0);   // a2 reads a1's parse
  EXPECT_GT(shared.stats().splice_hits, 0);  // and its output
  EXPECT_GT(texts.stats().parse_hits, 0);    // an unchanged reload, recognised by its text
}

}  // namespace
}  // namespace ssai
