// The origin playlist's cue markers as the read paths judge them against a ChannelState
// (read_path.h): which open or end a break, where they sit, and the first one the state does not
// explain (kv-channel-state probes the coordinator about it, kv-stateless holds it back).
#ifndef SSAI_REFERENCE_SSAI_READ_PATHS_MARKERS_H_
#define SSAI_REFERENCE_SSAI_READ_PATHS_MARKERS_H_

#include <cstddef>
#include <optional>
#include <string>

#include "reference/base/time.h"
#include "reference/media/cues/markers.h"
#include "reference/media/hls/playlist.h"
#include "reference/ssai/channel_state.h"
#include "reference/ssai/playlist_memo.h"

namespace ssai::read_paths {

// Whether a marker announces or continues a break (true) or ends one (false); nullopt for
// markers that say neither (a splice_null heartbeat, a non-break segmentation type).
std::optional<bool> MarkerOpensBreak(const cues::Marker& m);
// The time of the slot a marker is attached to (trailer markers: the end of the window).
std::optional<UnixMicros> MarkerTime(const hls::MediaPlaylist& p, const cues::Marker& m);

// The first cue marker in the origin playlist that `state` (null: none) does not explain: an
// OUT/CONT no break covers, or an IN inside a break the state still thinks is running.
struct Unexplained {
  std::string identity;  // "{msn}|{tag text}"
  size_t segment_index = 0;
};
std::optional<Unexplained> FindUnexplainedMarker(const OriginDoc& origin, const ChannelState* state);

}  // namespace ssai::read_paths

#endif  // SSAI_REFERENCE_SSAI_READ_PATHS_MARKERS_H_
