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

void WalkToMidBreak(testing::Deployment& d) {
  for (int i = 0; i < 3; ++i) d.AddAd("a" + std::to_string(i), {2'500'000}, 1, 6);
  (void)d.Start();
  // Walk up to t = 84 s so the coordinator has seen the cue and written KV.
  for (int s = 2; s <= 84; s += 2) {
    d.AdvanceTo(d.spec.start_time + s * kMicrosPerSecond);
    (void)d.Get("v720.m3u8");
  }
}

void BM_ManifestKvHit(benchmark::State& state, const char* build) {
  testing::Deployment e(*FindBuild(build), MidBreakSpec());
  WalkToMidBreak(e);
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
BENCHMARK_CAPTURE(BM_ManifestKvHit, kv_channel_state, "kv-channel-state");
BENCHMARK_CAPTURE(BM_ManifestKvHit, kv_hybrid, "kv-hybrid");

}  // namespace
}  // namespace ssai
