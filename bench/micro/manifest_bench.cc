// The manifest path on a KV hit: origin fetch (in-memory), state lookup in KV, ad pod from the
// edge's cache, splice, serialize — everything an edge does per request but the network.
#include <benchmark/benchmark.h>

#include <memory>
#include <optional>
#include <string>

#include "reference/media/origin/synthetic_origin.h"
#include "reference/ssai/coordinator.h"
#include "reference/ssai/manifest_path.h"
#include "reference/ssai/testing/fake_env.h"

namespace ssai {
namespace {

using testing::FakeDecision;
using testing::FakeDurableStore;
using testing::FakeKvStore;
using testing::FakeOrigin;
using testing::ManualScheduler;

// 6 s segments, a 10-segment window at t = 84 s: mid-break (break [60 s, 90 s), pod of 3 ads).
struct Edge {
  explicit Edge(const std::string& build_name)
      : sched(ParseIso8601("2026-01-15T12:00:00Z").value()), kv(&sched), durable(&sched),
        origin(&sched), decision(&sched) {
    const BuildSpec& build = *FindBuild(build_name);
    spec.segment_duration_s = 6;
    spec.window_segments = 10;
    spec.start_time = sched.Now();
    spec.renditions = {{"v720", 2'500'000, "1280x720", "avc1.64001f,mp4a.40.2"}};
    spec.cue_flavour = origin::CueFlavour::kCueOut;
    spec.breaks = {{spec.start_time + 60 * kMicrosPerSecond, 30, 1001}};
    channel.org = "demo";
    channel.channel = "sports";
    channel.renditions = {{"v720", 2'500'000, "http://origin/live/v720.m3u8"}};
    channel.slate = {"http://ads/slate.ts", 6};
    decision.decision.pod_id = "pod";
    for (int i = 0; i < 3; ++i) {
      const std::string url = "http://ads/a" + std::to_string(i) + "/2500000.m3u8";
      origin.Set(url, "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.000,\nseg.ts\n#EXT-X-ENDLIST\n");
      decision.decision.items.push_back({"a" + std::to_string(i), 6, {{2'500'000, url}}});
    }
    coordinator = std::make_unique<Coordinator>(channel, CoordinatorEnv{&sched, &kv, &durable, &origin, &decision},
                                                CoordinatorOptionsFor(build, {}));
    coordinator->Start([](Status) {});
    client.Add(coordinator.get());
    edge = std::make_unique<ManifestPath>(build, std::vector<ChannelConfig>{channel},
                                          ManifestPathEnv{&sched, &kv, &client, &origin});
    // Walk up to t = 84 s so the coordinator has seen the cue and written KV.
    for (int s = 0; s <= 84; ++s) {
      sched.AdvanceTo(spec.start_time + s * kMicrosPerSecond);
      origin.Set(channel.renditions[0].origin_url,
                 origin::MediaPlaylistAt(spec, spec.renditions[0], sched.Now()));
      if (s % 2 == 0) Get();
    }
  }

  ManifestResponse Get() {
    std::optional<ManifestResponse> out;
    edge->Handle({"demo", "sports", "v720.m3u8", {}}, [&](ManifestResponse r) { out = std::move(r); });
    sched.RunDue();
    return std::move(out).value();
  }

  origin::SyntheticStreamSpec spec;
  ChannelConfig channel;
  ManualScheduler sched;
  FakeKvStore kv;
  FakeDurableStore durable;
  FakeOrigin origin;
  FakeDecision decision;
  std::unique_ptr<Coordinator> coordinator;
  LocalCoordinatorClient client;
  std::unique_ptr<ManifestPath> edge;
};

void BM_ManifestKvHit(benchmark::State& state, const char* build) {
  Edge e(build);
  ManifestResponse check = e.Get();
  if (check.source != StateSource::kKvHit || check.ad_segments != 3 || check.coordinator_calls != 0) {
    state.SkipWithError("not a mid-break KV hit");
    return;
  }
  for (auto _ : state) {
    ManifestResponse r = e.Get();
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK_CAPTURE(BM_ManifestKvHit, kv_channel_state, "kv-channel-state");
BENCHMARK_CAPTURE(BM_ManifestKvHit, kv_hybrid, "kv-hybrid");

}  // namespace
}  // namespace ssai
