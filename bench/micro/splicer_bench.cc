// Splicer microbenchmarks: the manifest path's CPU per request on a KV hit (state lookup aside).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench/micro/mid_break_spec.h"
#include "reference/media/hls/playlist.h"
#include "reference/media/origin/synthetic_origin.h"
#include "reference/ssai/splicer.h"

namespace ssai {
namespace {

// A 10-segment 6 s variant mid-break: break [60 s, 90 s) covers slots 10..14, the window is
// slots 6..15 at t=96 s (4 content, 3 ads, 2 slate, 1 return). Pod of 3 ads.
// cmaf: the same stream as CMAF + AES-128 (EXT-X-MAP, EXT-X-KEY) with fMP4 ads and slate, so the
// splicer also declares the ads' init, METHOD=NONE and the content's KEY/MAP on return (issue 14).
struct Fixture {
  std::string origin_text;
  hls::MediaPlaylist origin;
  std::vector<SpliceBreak> breaks;
  SpliceOptions options;

  explicit Fixture(bool cmaf = false) {
    origin::SyntheticStreamSpec spec = bench::MidBreakSpec();
    if (cmaf) {
      spec.container = "cmaf";
      spec.encryption = "aes-128";
      spec.segment_uri_template = "seg_{rendition}_{msn}.m4s";
    }
    origin_text = origin::MediaPlaylistAt(spec, spec.renditions[0], spec.start_time + 96 * kMicrosPerSecond);
    origin = hls::ParseMedia(origin_text).value();
    SpliceBreak b;
    b.event_id = "1001";
    b.start_time = spec.breaks[0].start_time;
    b.end_time = b.start_time + 30 * kMicrosPerSecond;
    for (int i = 0; i < 3; ++i) {
      b.ad_segments.push_back({"https://ads.example/pod/2500000/seg" + std::to_string(i) + ".ts", 6});
    }
    if (cmaf) {
      for (AdSegment& a : b.ad_segments) a.media.map = "URI=\"https://ads.example/pod/2500000/init.mp4\"";
    }
    breaks = {b};
    options.slate = {"https://ads.example/slate/2500000.ts", 6};
    if (cmaf) options.slate.media.map = "URI=\"https://ads.example/slate/init.mp4\"";
    options.inserted_discontinuities_before = 4;
  }
};

const Fixture& F(bool cmaf = false) {
  static const Fixture* ts = new Fixture(false);
  static const Fixture* fmp4 = new Fixture(true);
  return cmaf ? *fmp4 : *ts;
}

void BM_Splice(benchmark::State& state) {
  const Fixture& f = F(state.range(0) != 0);
  Result<SpliceResult> check = Splice(f.origin, f.breaks, f.options);
  if (!check.ok() || check->ad_segments != 3 || check->slate_segments != 2) {
    state.SkipWithError("fixture is not mid-break with a 3-ad pod");
    return;
  }
  for (auto _ : state) {
    Result<SpliceResult> r = Splice(f.origin, f.breaks, f.options);
    benchmark::DoNotOptimize(r);
  }
}
// Arg 0: MPEG-TS in the clear; 1: CMAF + AES-128 with fMP4 ads (side by side, issue 14).
BENCHMARK(BM_Splice)->ArgName("cmaf")->Arg(0)->Arg(1);

void BM_SpliceParseSerialize(benchmark::State& state) {
  const Fixture& f = F();
  std::string out;
  for (auto _ : state) {
    Result<hls::MediaPlaylist> p = hls::ParseMedia(f.origin_text);
    Result<SpliceResult> r = Splice(std::move(p).value(), f.breaks, f.options);
    out.clear();
    hls::SerializeTo(r->playlist, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(f.origin_text.size()));
}
BENCHMARK(BM_SpliceParseSerialize);

}  // namespace
}  // namespace ssai
