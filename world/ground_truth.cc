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

BreakSlots SlotsOf(MarkedBy by, const origin::SyntheticStreamSpec& spec, UnixMicros start, UnixMicros end,
                   DurationMicros tolerance) {
  return by == MarkedBy::kSyntheticOrigin ? SlotsOfMarkedBreak(spec, start, end, tolerance)
                                          : SlotsBySpliceTime(spec, start, end, tolerance);
}

TruthBreak MarkedBreak(const origin::SyntheticStreamSpec& spec, UnixMicros start, UnixMicros end,
                       DurationMicros tolerance) {
  return {start, end, SlotsOf(MarkedBy::kSyntheticOrigin, spec, start, end, tolerance), false};
}

TruthBreak ApiBreak(const origin::SyntheticStreamSpec& spec, UnixMicros start, UnixMicros end,
                    DurationMicros tolerance) {
  return {start, end, SlotsOf(MarkedBy::kCueApi, spec, start, end, tolerance), true};
}

int BreakCovering(const std::vector<TruthBreak>& breaks, int64_t msn) {
  for (size_t b = 0; b < breaks.size(); ++b) {
    if (breaks[b].slots.Covers(msn)) return static_cast<int>(b);
  }
  return -1;
}

}  // namespace ssai::world
