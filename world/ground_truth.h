// The ground truth of a scenario's ad breaks: which origin slots a correct SSAI server fills with
// each break, and what a missed or ghost ad second is. One definition for every harness that
// judges a deployment against a scenario: the simulator (simulator/run.cc), the conformance
// checks (conformance/scenario.cc GroundTruth) and `ssai fidelity` (fidelity/deploy.cc), so they
// cannot disagree on where a break splices (issue 18).
//
// Slots are origin segments by media sequence number (splicer.h "Slots": the splicer keeps one
// output segment per origin slot, so an MSN names the same instant in every rendition and reload).
#ifndef SSAI_WORLD_GROUND_TRUTH_H_
#define SSAI_WORLD_GROUND_TRUTH_H_

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "reference/base/time.h"
#include "reference/media/origin/synthetic_origin.h"
#include "reference/ssai/splicer.h"

namespace ssai::world {

// The slots [first_msn, end_msn) a break fills; empty when it covers no slot start.
struct BreakSlots {
  int64_t first_msn = 0;
  int64_t end_msn = 0;
  bool empty() const { return end_msn <= first_msn; }
  bool Covers(int64_t msn) const { return msn >= first_msn && msn < end_msn; }
};

// A break asked for by its splice time (an EXT-X-DATERANGE's START-DATE, an API cue's acknowledged
// startTime) and its end: splicer.h "Slots", the first slot starting at or after start - tolerance
// up to the first starting at or after end - tolerance (a cue a few ms after a boundary, from PDT
// rounding, still takes that boundary).
BreakSlots SlotsBySpliceTime(const origin::SyntheticStreamSpec& spec, UnixMicros start, UnixMicros end,
                             DurationMicros tolerance = kSpliceToleranceUs);

// A break the synthetic origin marks in `spec.cue_flavour` (synthetic_origin.h):
//  - a tag on a segment (cue_out, oatcls, ext_x_scte35, splicepoint): the OUT tag is on the first
//    segment starting at or after the break start and the IN on the first at or after its end; the
//    server splices the marked segments, whatever the tolerance;
//  - daterange: START-DATE is the break start itself (RFC 8216bis §4.4.5.1), so the splicer's rule
//    on the times applies: a break starting within `tolerance` after a boundary takes that boundary
//    (the origin announces it with the segment START-DATE falls in, so that slot is not yet out).
BreakSlots SlotsOfMarkedBreak(const origin::SyntheticStreamSpec& spec, UnixMicros start, UnixMicros end,
                              DurationMicros tolerance = kSpliceToleranceUs);

// Who marks a break decides where it splices: the synthetic origin's marking (SlotsOfMarkedBreak),
// or a splice time the splicer's rule applies to (SlotsBySpliceTime) — a recording's or the TS
// packager's markers (a tagged segment's start, a DATERANGE's START-DATE: each carries its own
// splice time) and an API cue's acknowledged startTime. One decision for the simulator and the
// conformance checks (issue 18).
enum class MarkedBy { kSyntheticOrigin, kRecording, kCueApi };
BreakSlots SlotsOf(MarkedBy by, const origin::SyntheticStreamSpec& spec, UnixMicros start, UnixMicros end,
                   DurationMicros tolerance = kSpliceToleranceUs);

// One break of the truth.
struct TruthBreak {
  UnixMicros cue_time = 0;  // the splice time the cue asks for: viewers' lag is measured from it
  UnixMicros end_time = 0;  // when it ends (an early return's or a stop's time when there is one)
  BreakSlots slots;
  bool api = false;  // announced through the cue API: no marker in the playlist
};
TruthBreak MarkedBreak(const origin::SyntheticStreamSpec& spec, UnixMicros start, UnixMicros end,
                       DurationMicros tolerance = kSpliceToleranceUs);
TruthBreak ApiBreak(const origin::SyntheticStreamSpec& spec, UnixMicros start, UnixMicros end,
                    DurationMicros tolerance = kSpliceToleranceUs);

// A cue API stop (issue 16) that takes effect at `effective` (the acknowledgement's endTime when
// it gives one, else the time it was sent): the break playing then ends there (its slots end at
// the first slot starting at or after `effective`, by the splicer's rule), or, when none is
// playing, the next break to start is cancelled (no slots, end_time = cue_time). A break with no
// slots (cancelled, or covering no slot start) neither plays nor is cancelled. `breaks` in cue
// order. Returns the index of the break it changed, -1 when none; the break was cancelled when its
// cue_time is after `effective`. The one stop rule: the simulator applies it to its truth
// (std::vector<TruthBreak>) and the conformance checks to theirs (conformance/checks/truth.h, a
// TruthBreak with a label and the decision's pod), hence a template over types derived from
// TruthBreak.
template <typename Break>
int ApplyStop(const origin::SyntheticStreamSpec& spec, std::vector<Break>* breaks, UnixMicros effective,
              DurationMicros tolerance = kSpliceToleranceUs) {
  static_assert(std::is_base_of_v<TruthBreak, Break>, "ApplyStop judges world::TruthBreak's times and slots");
  for (size_t b = 0; b < breaks->size(); ++b) {
    TruthBreak& t = (*breaks)[b];
    if (t.slots.empty() || !(t.cue_time <= effective && effective < t.end_time)) continue;
    t.end_time = effective;
    t.slots.end_msn = std::max(t.slots.first_msn, SlotsBySpliceTime(spec, t.cue_time, effective, tolerance).end_msn);
    return static_cast<int>(b);
  }
  for (size_t b = 0; b < breaks->size(); ++b) {
    TruthBreak& t = (*breaks)[b];
    if (t.slots.empty() || t.cue_time <= effective) continue;
    t.slots = {};
    t.end_time = t.cue_time;
    return static_cast<int>(b);
  }
  return -1;
}

// The break whose slots hold `msn` (index into `breaks`), -1 when none does.
int BreakCovering(const std::vector<TruthBreak>& breaks, int64_t msn);

// Ad time as a viewer holding one response sees it: a response is judged by its newest slot (the
// live edge it plays towards) and held until the viewer's next reload. Scheduled: the truth puts
// that slot in a break; missed: scheduled but the response shows content there; ghost: the
// response shows an ad where the truth has none.
struct AdSeconds {
  double scheduled = 0, missed = 0, ghost = 0;
  // `weight` viewers held a response whose newest slot the truth puts in a break (`truth_in`) or
  // not, showing an ad there (`served_ad`) or not, for `held_s` seconds.
  void Add(bool truth_in, bool served_ad, double weight, double held_s) {
    const double s = weight * held_s;
    if (truth_in) scheduled += s;
    if (truth_in && !served_ad) missed += s;
    if (!truth_in && served_ad) ghost += s;
  }
  // Another tally's (a viewer's, a POP's) added to this one.
  AdSeconds& operator+=(const AdSeconds& o) {
    scheduled += o.scheduled;
    missed += o.missed;
    ghost += o.ghost;
    return *this;
  }
};

}  // namespace ssai::world

#endif  // SSAI_WORLD_GROUND_TRUTH_H_
