// `ssai conform --target observe`: a deployment we do not control, only watched (issue 16).
//
// No scenario and no control: the target profile's `observe` block names the deployment's
// output (`ssai.master_url`, with the `ssai` viewer headers) and, optionally, the origin it is
// derived from. For the run's duration the harness
//   - records the origin's multivariant playlist and every variant the way a player loads them
//     (reference/server/capture_recorder.h, RFC 8216 §6.3.4 reloads): the ground truth, its
//     markers read by the cue normalizer (any of the 7 flavours, DATERANGE, SCTE-35); without an
//     origin, the output itself is recorded and its own markers are the truth;
//   - plays `observe.viewers` viewers against the output: each loads the multivariant playlist,
//     then reloads every variant on an absolute schedule of target durations.
// The recording becomes the scenario (ScenarioFromRecording) and the viewers' responses the
// Observations; every output variant is judged against the origin variant of the same BANDWIDTH
// (else the nearest). Ads are told from content by `ad_uri_prefix`, else as segments whose file
// names the origin never listed. What the wire cannot show (KV, decisions, the cue API) is
// skipped with the reason.
#ifndef SSAI_CONFORMANCE_OBSERVE_TARGET_H_
#define SSAI_CONFORMANCE_OBSERVE_TARGET_H_

#include <functional>
#include <memory>

#include "conformance/http_target.h"

namespace ssai::conformance {

// `live` (optional): called once per break as soon as it can be judged (LiveBreak, target.h).
Result<std::unique_ptr<Target>> MakeObserveTargetFrom(TargetProfile profile,
                                                      std::function<void(const LiveBreak&)> live = {});

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_OBSERVE_TARGET_H_
