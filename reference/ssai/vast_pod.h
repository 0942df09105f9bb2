// A resolved VAST response (reference/media/vast) as the decision the coordinator and splicer
// consume: a pod of creatives with their own timelines (AdItem::segment_duration_s set, splicer.h
// "Pods of creatives"). Sans-I/O: the server's VastDecisionClient fetches, this converts.
#ifndef SSAI_REFERENCE_SSAI_VAST_POD_H_
#define SSAI_REFERENCE_SSAI_VAST_POD_H_

#include <cstddef>
#include <string>
#include <vector>

#include "reference/media/vast/vast.h"
#include "reference/ssai/adbreak_state.h"

namespace ssai {

struct VastPodOptions {
  // The segment duration of the creatives' HLS renditions (the ad preparation's profile:
  // MediaTailor transcodes to 2 s segments by default).
  double segment_duration_s = 2;
  // Ads may end this long after the break's end before the next one is dropped.
  double fit_tolerance_s = 0.25;
};

// The pod for a break of `break_duration_s`: ads in play order, each an AdItem whose variants are
// its spliceable MediaFiles (bitrate kb/s x 1000; one without a bitrate gets 1 b/s, so
// PickVariant treats it as the lowest), id "{Ad@id or creative id}" made unique. Ads that start
// at or after the break's end are dropped (VAST 4.3 "Ad Pods": tail ads that do not fit a live
// break may be dropped); the ad playing at the end is kept and truncated there by the splicer
// (MediaTailor truncates the ad playing at the avail's end; Video Stitcher's default CUT_CURRENT).
AdDecision DecisionFromVast(const vast::ResolvedPod& pod, double break_duration_s, std::string pod_id,
                            const VastPodOptions& options = {});

// The Error URLs of `failures` to fire: [ERRORCODE] expanded with each failure's code, about:blank
// and empty ones left out, at most `max` (a hostile response cannot make us fire thousands).
std::vector<std::string> ErrorPings(const std::vector<vast::AdFailure>& failures, size_t max = 16);

}  // namespace ssai

#endif  // SSAI_REFERENCE_SSAI_VAST_POD_H_
