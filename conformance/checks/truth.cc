#include "conformance/checks/truth.h"

#include <algorithm>

#include "conformance/observations.h"
#include "reference/base/strings.h"
#include "world/ground_truth.h"

namespace ssai::conformance {

DecisionBehaviour DecisionBehaviourAt(const Scenario& scenario, UnixMicros t) {
  DecisionBehaviour b = scenario.decision.behaviour;
  for (const FaultSpec& f : scenario.faults) {
    if (f.kind == "decision" && scenario.At(f.at_s) <= t) b = f.behaviour;
  }
  return b;
}

Scenario ShiftedTo(const Scenario& s, UnixMicros start) {
  Scenario out = s;
  const DurationMicros delta = start - s.origin.start_time;
  out.origin.start_time = start;
  for (origin::ScheduledBreak& b : out.origin.breaks) b.start_time += delta;
  return out;
}

std::vector<TruthBreak> GroundTruth(const Scenario& scenario, const Profile& profile,
                                    const std::vector<CueApiRecord>* acknowledged) {
  const origin::SyntheticStreamSpec& spec = scenario.origin;
  const DurationMicros tol = SecondsToMicros(profile.splice_tolerance_s);
  const DurationMicros seg = origin::SegmentDurationMicros(spec);
  double pod_s = 0;
  for (const AdSpec& a : scenario.decision.ads) pod_s += a.duration_s;
  const bool pod_of_creatives = !scenario.decision.ads.empty() && scenario.decision.ads[0].segment_duration_s > 0;
  // Where each break splices: world/ground_truth.h, the one truth the simulator and `ssai
  // fidelity` judge by too (a tagged break on its marked segments, a DATERANGE or API break by the
  // splicer's rule with this profile's tolerance; who marks a break decides: world::SlotsOf).
  const world::MarkedBy origin_marks = scenario.capture_origin != nullptr || scenario.ts_origin != nullptr
                                           ? world::MarkedBy::kRecording
                                           : world::MarkedBy::kSyntheticOrigin;
  auto point = [&](int64_t msn) { return origin::SegmentStart(spec, msn); };
  std::vector<TruthBreak> out;
  auto add = [&](std::string label, UnixMicros cue, double duration_s, double planned_s, bool api) {
    TruthBreak b;
    b.label = std::move(label);
    b.cue_time = cue;
    b.duration_s = duration_s;
    b.planned_duration_s = planned_s;
    b.end_time = cue + SecondsToMicros(duration_s);
    b.api = api;
    b.slots = world::SlotsOf(api ? world::MarkedBy::kCueApi : origin_marks, spec, cue, b.end_time, tol);
    b.splice_point = point(b.slots.first_msn);
    b.return_point = point(b.slots.end_msn);
    // The coordinator asks for a decision when it first sees the cue: for an origin marker, once
    // the marked segment is published.
    const DecisionBehaviour d = DecisionBehaviourAt(scenario, b.splice_point + seg);
    b.pod_s = d == DecisionBehaviour::kAnswer ? pod_s : 0;
    // A VAST response that fails (bad XML, no fill, wrapper limit, ...) gives slate.
    if (scenario.decision.vast.expect_error_code > 0) b.pod_s = 0;
    b.pod_of_creatives = b.pod_s > 0 && pod_of_creatives;
    out.push_back(b);
  };
  if (spec.cue_flavour != origin::CueFlavour::kNone) {
    for (const origin::ScheduledBreak& b : spec.breaks) {
      auto planned = scenario.planned_duration_s.find(b.event_id);
      add("origin event " + std::to_string(b.event_id), b.start_time, b.duration_s,
          planned == scenario.planned_duration_s.end() ? b.duration_s : planned->second, /*api=*/false);
    }
  }
  for (size_t i = 0; i < scenario.api_cues.size(); ++i) {
    const ApiCueSpec& c = scenario.api_cues[i];
    if (c.expect_duplicate || c.stop) continue;
    UnixMicros cue = scenario.At(c.at_s);
    std::string label = "api cue at " + FormatDouble(c.at_s) + " s";
    if (acknowledged) {
      for (const CueApiRecord& r : *acknowledged) {
        if (r.spec_index == static_cast<int>(i) && r.ok && !r.duplicate && r.start_time > 0) {
          // Announced ahead (api.cue.start_announced bounds how far): due from the announced start.
          label += " (announced for +" + FormatDouble(MicrosToSeconds(r.start_time - r.time)) + " s)";
          cue = r.start_time;
        }
      }
    }
    add(std::move(label), cue, c.duration_s, c.duration_s, /*api=*/true);
  }
  std::sort(out.begin(), out.end(), [](const TruthBreak& a, const TruthBreak& b) { return a.cue_time < b.cue_time; });
  // Stops (issue 16), in time order, by world::ApplyStop (the simulator's rule too): each ends the
  // break playing when it takes effect (the acknowledgement's endTime when the target gives one,
  // else the time it was sent), or cancels the next break when none is playing then. A stop the
  // target refused changes nothing. A cancelled break leaves the truth (no slots, nothing to judge).
  for (size_t i = 0; i < scenario.api_cues.size(); ++i) {
    const ApiCueSpec& c = scenario.api_cues[i];
    if (!c.stop) continue;
    UnixMicros effective = scenario.At(c.at_s);
    if (acknowledged) {
      const CueApiRecord* ack = nullptr;
      for (const CueApiRecord& r : *acknowledged) {
        if (r.spec_index == static_cast<int>(i)) ack = &r;
      }
      if (ack == nullptr || !ack->ok) continue;
      effective = ack->end_time > 0 ? ack->end_time : ack->time;
    }
    const int changed = world::ApplyStop(spec, &out, effective, tol);
    if (changed < 0) continue;
    TruthBreak& b = out[static_cast<size_t>(changed)];
    if (b.cue_time > effective) {
      out.erase(out.begin() + changed);
      continue;
    }
    b.duration_s = MicrosToSeconds(b.end_time - b.cue_time);
    b.return_point = point(b.slots.end_msn);
    b.label += " (stopped at " + FormatDouble(c.at_s) + " s)";
  }
  return out;
}

}  // namespace ssai::conformance
