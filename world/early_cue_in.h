// An origin's early CUE-IN (a scenario's origin.breaks[].planned_duration_s): the OUT announces
// a planned duration and the IN comes when the break actually ends, earlier. One rewrite for
// every harness that plays it (issue 18): the conformance targets' origin
// (conformance/scenario.cc OriginPlaylistAt) and the simulator's (simulator/models.h SimOrigin).
#ifndef SSAI_WORLD_EARLY_CUE_IN_H_
#define SSAI_WORLD_EARLY_CUE_IN_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "reference/media/origin/synthetic_origin.h"

namespace ssai::world {

// `text`: a synthetic origin's media playlist rendered with each break's actual duration (so its
// IN comes at the actual end). Each break named in `planned_s` (event id -> planned duration)
// has its OUT side rewritten to announce the planned duration: CUE-OUT's DURATION, CUE-OUT-CONT's
// Duration (whose binary SCTE-35, carrying the actual break_duration, is dropped) and DATERANGE's
// PLANNED-DURATION (cue_out and daterange flavours; the parser refuses the others).
std::string AnnouncePlannedDurations(std::string text, const std::vector<origin::ScheduledBreak>& breaks,
                                     const std::map<uint32_t, double>& planned_s);

}  // namespace ssai::world

#endif  // SSAI_WORLD_EARLY_CUE_IN_H_
