// The ground truth the checks judge a target by: each break's label, times and slots as the
// scenario (and the target's cue acknowledgements) say, placed by world/ground_truth.h, the one
// truth the simulator and `ssai fidelity` use too. Part of the checks library (links neither the
// server nor the test fakes).
#ifndef SSAI_CONFORMANCE_CHECKS_TRUTH_H_
#define SSAI_CONFORMANCE_CHECKS_TRUTH_H_

#include <string>
#include <vector>

#include "conformance/profile.h"
#include "conformance/scenario.h"
#include "reference/base/time.h"
#include "world/ground_truth.h"

namespace ssai::conformance {

// The ground truth a target is judged against: where each break splices is world/ground_truth.h's
// (the simulator's and `ssai fidelity`'s too), with the profile's splice tolerance. A
// world::TruthBreak (cue_time, end_time, slots, api: what the stop rule world::ApplyStop changes,
// the same for the simulator and the checks) with what the checks also need: its label, its slots
// as times, and the decision's pod.
struct TruthBreak : world::TruthBreak {
  std::string label;             // "origin event 1001", "api cue at 100 s"
  UnixMicros splice_point = 0;   // start of the break's first slot (slots.first_msn)
  UnixMicros return_point = 0;   // start of the first slot after it (slots.end_msn)
  double duration_s = 0;         // end_time - cue_time, in seconds
  double pod_s = 0;              // ad seconds the decision gives (0: slate only)
  double planned_duration_s = 0; // what the OUT announced (early IN), else duration_s
  bool pod_of_creatives = false;  // the decision is a pod of creatives (AdSpec::segment_duration_s)
};
// `acknowledged` (optional): the cue API's answers; an API cue whose acknowledgement carries a
// start time (a target announcing the break ahead, coordinator.h api_cue_lead_us) is due from
// that start, else from the time the scenario sends it (the seed's startTime = receipt).
struct CueApiRecord;
std::vector<TruthBreak> GroundTruth(const Scenario& scenario, const Profile& profile,
                                    const std::vector<CueApiRecord>* acknowledged = nullptr);

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_CHECKS_TRUTH_H_
