#include "reference/ssai/read_paths/markers.h"

#include <algorithm>
#include <variant>
#include <vector>

#include "reference/ssai/splicer.h"

namespace ssai::read_paths {

std::optional<UnixMicros> MarkerTime(const hls::MediaPlaylist& p, const cues::Marker& m) {
  if (m.start_date) return m.start_date;
  if (m.segment_index < p.segments().size()) return p.SegmentStartTime(m.segment_index);
  if (p.segments().empty()) return std::nullopt;
  const size_t last = p.segments().size() - 1;
  std::optional<UnixMicros> t = p.SegmentStartTime(last);
  if (!t) return std::nullopt;
  return *t + SecondsToMicros(p.segments()[last].duration_s());
}

std::optional<bool> MarkerOpensBreak(const cues::Marker& m) {
  switch (m.direction) {
    case cues::Direction::kOut:
    case cues::Direction::kCont:
      return true;
    case cues::Direction::kIn:
      return false;
    case cues::Direction::kSignal:
      break;
  }
  if (!m.scte35) return std::nullopt;
  if (const auto* insert = std::get_if<scte35::SpliceInsert>(&m.scte35->command)) {
    if (insert->splice_event_cancel_indicator) return std::nullopt;
    return insert->out_of_network_indicator;
  }
  for (const auto& d : m.scte35->descriptors) {
    if (const auto* seg = std::get_if<scte35::SegmentationDescriptor>(&d)) {
      const uint8_t t = seg->segmentation_type_id;
      // SCTE 35 Table 22: break/ad/placement-opportunity starts are even, their ends odd.
      if (t >= 0x22 && t <= 0x37 && (t == 0x22 || t == 0x23 || t >= 0x30)) return t % 2 == 0;
    }
  }
  return std::nullopt;
}

std::optional<Unexplained> FindUnexplainedMarker(const OriginDoc& origin, const ChannelState* state) {
  static const std::vector<AdBreakState> kNoBreaks;
  const std::vector<AdBreakState>& breaks = state ? state->breaks : kNoBreaks;
  const hls::MediaPlaylist& playlist = *origin.media();
  for (const cues::Marker& marker : origin.Markers().markers) {
    std::optional<bool> opens = MarkerOpensBreak(marker);
    if (!opens) continue;
    std::optional<UnixMicros> t = MarkerTime(playlist, marker);
    if (!t) continue;
    bool unexplained = false;
    if (*opens) {
      // An OUT/CONT needs a break covering it.
      unexplained = std::none_of(breaks.begin(), breaks.end(), [&](const AdBreakState& b) {
        return *t >= b.start_time - kMicrosPerSecond && *t < b.end_time;
      });
    } else {
      // An IN inside a break (by the splicer's own slot rule) is an early return the state does
      // not know yet: content comes back at that slot, not at the state's end.
      unexplained = std::any_of(breaks.begin(), breaks.end(), [&](const AdBreakState& b) {
        return *t > b.start_time + kSpliceToleranceUs && *t < b.end_time - kSpliceToleranceUs;
      });
    }
    if (unexplained) {
      return Unexplained{std::to_string(marker.msn) + "|" + marker.text, marker.segment_index};
    }
  }
  return std::nullopt;
}

}  // namespace ssai::read_paths
