// The manifest path on a KV hit: origin fetch (in-memory), state lookup in KV, ad pod from the
// edge's cache, splice, serialize — everything an edge does per request but the network.
#include <benchmark/benchmark.h>

#include <memory>
#include <optional>
#include <string>

#include "bench/micro/mid_break_spec.h"
#include "reference/media/origin/synthetic_origin.h"
#include "reference/ssai/coordinator.h"
#include "reference/ssai/manifest_path.h"
#include "reference/ssai/testing/deployment.h"

namespace ssai {
namespace {

// MidBreakSpec() at t = 84 s is mid-break (break [60 s, 90 s), pod of 3 ads).
using bench::MidBreakSpec;

void WalkToMidBreak(testing::Deployment& d, bool cmaf) {
  for (int i = 0; i < 3; ++i) {
    d.AddAd("a" + std::to_string(i), {2'500'000}, 1, 6);
    // CMAF: fMP4 ads with their own init (replacing the TS ad playlist AddAd published).
    if (cmaf) {
      d.origin.Set("http://ads/a" + std::to_string(i) + "/2500000.m3u8",
                   "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:6\n#EXT-X-PLAYLIST-TYPE:VOD\n"
                   "#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:6.000,\nseg0.m4s\n#EXT-X-ENDLIST\n");
    }
  }
  if (cmaf) d.channel.slate = {"http://ads/slate.m4s", 6, {"URI=\"http://ads/slate_init.mp4\"", {}}};
  (void)d.Start();
  // Walk up to t = 84 s so the coordinator has seen the cue and written KV.
  for (int s = 2; s <= 84; s += 2) {
    d.AdvanceTo(d.spec.start_time + s * kMicrosPerSecond);
    (void)d.Get("v720.m3u8");
  }
}

void BM_ManifestKvHit(benchmark::State& state, const char* build, bool cmaf) {
  origin::SyntheticStreamSpec spec = MidBreakSpec();
  if (cmaf) {  // CMAF + AES-128 (issue 14): EXT-X-MAP/EXT-X-KEY declared around the ads
    spec.container = "cmaf";
    spec.encryption = "aes-128";
    spec.segment_uri_template = "seg_{rendition}_{msn}.m4s";
  }
  testing::Deployment e(*FindBuild(build), spec);
  WalkToMidBreak(e, cmaf);
  ManifestResponse check = e.Get("v720.m3u8").value();
  if (check.source != StateSource::kKvHit || check.ad_segments != 3 || check.coordinator_calls != 0) {
    state.SkipWithError("not a mid-break KV hit");
    return;
  }
  for (auto _ : state) {
    std::optional<ManifestResponse> r = e.Get("v720.m3u8");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK_CAPTURE(BM_ManifestKvHit, kv_channel_state, "kv-channel-state", false);
BENCHMARK_CAPTURE(BM_ManifestKvHit, kv_channel_state_cmaf, "kv-channel-state", true);
BENCHMARK_CAPTURE(BM_ManifestKvHit, kv_hybrid, "kv-hybrid", false);
BENCHMARK_CAPTURE(BM_ManifestKvHit, kv_hybrid_cmaf, "kv-hybrid", true);

}  // namespace
}  // namespace ssai
