// A whole single-edge deployment in-process on a manual clock: a synthetic origin (republished as
// time moves), one coordinator, fake KV, durable store and decision service, and one edge
// (ManifestPath) running a build. Shared by the manifest-path tests and benchmarks; the
// conformance suite's multi-POP deployment is the simulator's run (conformance/builtin_target.h).
#ifndef SSAI_REFERENCE_SSAI_TESTING_DEPLOYMENT_H_
#define SSAI_REFERENCE_SSAI_TESTING_DEPLOYMENT_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "reference/media/origin/synthetic_origin.h"
#include "reference/ssai/builds.h"
#include "reference/ssai/coordinator.h"
#include "reference/ssai/manifest_path.h"
#include "reference/ssai/testing/fake_env.h"

namespace ssai::testing {

class Deployment {
 public:
  // Channel demo/sports with one rendition per spec rendition at
  // "http://origin/live/{name}.m3u8"; slate "http://ads/slate.ts" of the spec's segment duration.
  Deployment(const BuildSpec& build_spec, origin::SyntheticStreamSpec stream);
  // The fakes, the coordinator and the edge point at each other: the object stays where it is.
  Deployment(const Deployment&) = delete;
  Deployment& operator=(const Deployment&) = delete;

  // Adds an ad to the decision's pod: for each bitrate, a VOD playlist
  // "http://ads/{id}/{bps}.m3u8" of `segments` segments of `segment_s` seconds.
  void AddAd(const std::string& id, const std::vector<int64_t>& bitrates_bps, int segments,
             double segment_s);
  // Adds a creative of `duration_s` segmented at `segment_s` (the last segment shorter) to the
  // decision's pod, with segment_duration_s set: a pod of creatives (splicer.h).
  void AddCreative(const std::string& id, const std::vector<int64_t>& bitrates_bps, double duration_s,
                   double segment_s);
  // Starts the coordinator (recovery, KV) and the edge. Call after AddAd; Status of Start.
  Status Start();

  // Publishes the origin playlists for the current time.
  void Publish();
  // Moves time forward in 250 ms steps, republishing the origin (the poller reads it too).
  void AdvanceTo(UnixMicros t);
  // One request to the edge, completed on the manual clock.
  std::optional<ManifestResponse> Get(const std::string& file,
                                      std::optional<InsertionMode> mode = std::nullopt,
                                      const std::string& session = "");

  BuildSpec build;
  origin::SyntheticStreamSpec spec;
  ChannelConfig channel;
  ManualScheduler sched;
  FakeKvStore kv;
  FakeDurableStore durable;
  FakeOrigin origin;
  FakeDecision decision;
  FakeBeaconSink beacons;  // server-side tracking (beacons.h)
  std::unique_ptr<Coordinator> coordinator;
  LocalCoordinatorClient client;
  std::unique_ptr<ManifestPath> edge;
};

}  // namespace ssai::testing

#endif  // SSAI_REFERENCE_SSAI_TESTING_DEPLOYMENT_H_
