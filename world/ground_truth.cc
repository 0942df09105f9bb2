#include "world/ground_truth.h"

namespace ssai::world {

BreakSlots SlotsBySpliceTime(const origin::SyntheticStreamSpec& spec, UnixMicros start, UnixMicros end,
                             DurationMicros tolerance) {
  return {origin::FirstSegmentAtOrAfter(spec, start - tolerance), origin::FirstSegmentAtOrAfter(spec, end - tolerance)};
}

BreakSlots SlotsOfMarkedBreak(const origin::SyntheticStreamSpec& spec, UnixMicros start, UnixMicros end,
                              DurationMicros tolerance) {
  if (spec.cue_flavour == origin::CueFlavour::kDateRange) return SlotsBySpliceTime(spec, start, end, tolerance);
  return {origin::FirstSegmentAtOrAfter(spec, start), origin::FirstSegmentAtOrAfter(spec, end)};
}

TruthBreak MarkedBreak(const origin::SyntheticStreamSpec& spec, UnixMicros start, UnixMicros end,
                       DurationMicros tolerance) {
  return {start, end, SlotsOfMarkedBreak(spec, start, end, tolerance), false};
}

TruthBreak ApiBreak(const origin::SyntheticStreamSpec& spec, UnixMicros start, UnixMicros end,
                    DurationMicros tolerance) {
  return {start, end, SlotsBySpliceTime(spec, start, end, tolerance), true};
}

int BreakCovering(const std::vector<TruthBreak>& breaks, int64_t msn) {
  for (size_t b = 0; b < breaks.size(); ++b) {
    if (breaks[b].slots.Covers(msn)) return static_cast<int>(b);
  }
  return -1;
}

}  // namespace ssai::world
