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
struct Fixture {
  std::string origin_text;
  hls::MediaPlaylist origin;
  std::vector<SpliceBreak> breaks;
  SpliceOptions options;

  Fixture() {
    const origin::SyntheticStreamSpec spec = bench::MidBreakSpec();
    origin_text = origin::MediaPlaylistAt(spec, spec.renditions[0], spec.start_time + 96 * kMicrosPerSecond);
    origin = hls::ParseMedia(origin_text).value();
    SpliceBreak b;
    b.event_id = "1001";
    b.start_time = spec.breaks[0].start_time;
    b.end_time = b.start_time + 30 * kMicrosPerSecond;
    for (int i = 0; i < 3; ++i) {
      b.ad_segments.push_back({"https://ads.example/pod/2500000/seg" + std::to_string(i) + ".ts", 6});
    }
    breaks = {b};
    options.slate = {"https://ads.example/slate/2500000.ts", 6};
    options.inserted_discontinuities_before = 4;
  }
};

const Fixture& F() {
  static const Fixture* f = new Fixture();
  return *f;
}

void BM_Splice(benchmark::State& state) {
  const Fixture& f = F();
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
BENCHMARK(BM_Splice);

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
