// One simulation run: a scenario x a build x a seed -> a JSON result (the build's entry in
// report.json). A pure function of its arguments: no wall clock, no threads, no global state.
//
// Viewers are cohorts (README.md "Aggregation"): the viewers of one channel x POP x rendition x
// mode are split into cohorts_per_group cohorts with staggered reload phases; each cohort reload is
// ONE request through the real ssai::ManifestPath of its POP, and its viewer count weights every
// metric it produces and the coordinator load model.
#ifndef SSAI_SIMULATOR_RUN_H_
#define SSAI_SIMULATOR_RUN_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "conformance/observations.h"
#include "reference/base/status.h"
#include "reference/ssai/builds.h"
#include "reference/ssai/coordinator.h"
#include "reference/ssai/env.h"
#include "simulator/scenario.h"

namespace ssai::sim {

// A simulated channel's org and channel ids (its playlist paths /sim/ch{c}/..., its cue API body).
inline constexpr char kSimOrg[] = "sim";
inline std::string SimChannelName(int channel) { return "ch" + std::to_string(channel); }

// What an observed population run's sample may record at most (RunOptions::check_sample): each
// request is kept with its response and origin playlist, ~8 KB.
inline constexpr int64_t kMaxObservedRequests = 1'000'000;

struct RunOptions {
  // Called now and then with the fraction of virtual time done (the CLI prints progress; the
  // library never reads a clock).
  std::function<void(double fraction)> progress;
  // Cohort reloads whose inputs are unchanged are answered from their group's last answer
  // without running the edge (README.md "Answer reuse"). Off only to compare (tests).
  bool reuse_answers = true;
  // Issue 18 (`ssai sim --check`, the conformance target sim:BUILD): record what the listed
  // viewers were served, each response with the origin playlist of its request time, the KV
  // writes, decision requests and cue acknowledgements, as a conformance target records a run
  // (conformance/observations.h), for the checks. Null: nothing recorded. Recording changes no
  // result: the report is the same with and without it.
  conformance::Observations* observations = nullptr;
  // A population run with `observations` (issue 18, `ssai sim --check` on a population scenario):
  // the first check_sample cohorts of each of channel 0's groups (POP x rendition x mode; all of
  // a group's when it has fewer) are observed, each as one viewer "{pop}/cohort-{index}": every
  // request it makes (its variant and the demuxed renditions it loads with it) and every answer it
  // is given by answer reuse, each with the origin playlist of its request time, as a listed
  // player's (README.md "Judging a population"). Only channel 0 is recorded (the checks judge one
  // channel): its cue calls, decision requests, KV writes and beacons. Ignored with listed viewers
  // (all of them are observed). At least 1. A sample that could record more than
  // kMaxObservedRequests requests is refused (RunBuild's error names it).
  int check_sample = 1;
  // A decision service instead of the model (SimDecision), made once for this run's scheduler and
  // owned by the caller: how a harness plugs in an ad server the simulator may not link (the
  // conformance harness's VAST ad server for decision.vast, conformance/vast_harness.h). Its
  // answers must point at the simulated origin's ad playlists (SimOrigin::AdPlaylistUrl). Null:
  // the model; a scenario with decision.vast is then refused by name.
  std::function<DecisionClient*(Scheduler* scheduler)> decision_service;
  // Called once, 1 s after the viewers arrive, with channel 0's coordinator cue API as an
  // operator's system reaches it (no edge in between): how a harness sends calls of its own (the
  // conformance API probes, expect.api_probes). Null: none.
  using CueApi = std::function<void(const CueRequest&, std::function<void(Result<CueResult>)>)>;
  std::function<void(const CueApi& cue)> operator_calls;
};

struct SimCapture;  // models.h
}  // namespace ssai::sim
namespace ssai::ts {
class TsPackager;
}  // namespace ssai::ts
namespace ssai::sim {

// Capture replay (scenario origin.capture; README.md "Capture replay"): how the capture's stream
// time lines up with virtual time, and the breaks its own markers announce.
struct CaptureTimeline {
  std::shared_ptr<const SimCapture> capture;
  UnixMicros stream_start = 0;  // stream time at capture offset 0 (= the simulation's start)
  UnixMicros msn0_start = 0;    // where MSN 0 starts on the capture's segment grid
  double segment_s = 0;         // its segment duration
  // [start, end) per break: the cue rendition's (the first scenario rendition's) snapshots in
  // order through cues::NormalizeReloads; an end from the IN, else the duration, else the
  // capture's end; a break cancelled before it starts is none.
  std::vector<std::pair<UnixMicros, UnixMicros>> truth;
};
Result<CaptureTimeline> CaptureTimelineOf(std::shared_ptr<const SimCapture> capture, const Scenario& scenario);

// TS origin (scenario origin.ts; README.md "TS origin"): the live packager over the file, looping,
// placed so that a loop starts exactly when the viewers arrive (scenario start_time; earlier
// loops play during warmup_s), and its breaks on that timeline: the ground truth.
struct TsTimeline {
  std::shared_ptr<const ts::TsPackager> packager;
  UnixMicros pdt_start = 0;  // segment 0 of loop 0 (MSN 0 of the stream)
  struct Break {
    UnixMicros start = 0, end = 0;  // TsPackager::MarkedBreakOf: as its markers carry it
  };
  // Every loop's breaks that end after the viewers arrive and start before the run's end, in order.
  std::vector<Break> truth;
};
// `ts` is the file's bytes (the caller reads scenario.origin.ts). Errors name origin.ts and the
// file: not a TS, no video, segments not all segment_duration_s long.
Result<TsTimeline> TsTimelineOf(std::string ts, const Scenario& scenario);

// The build's section of report.json (schema in README.md).
Result<nlohmann::json> RunBuild(const Scenario& scenario, const BuildSpec& build, uint64_t seed,
                                const RunOptions& options = {});

}  // namespace ssai::sim

#endif  // SSAI_SIMULATOR_RUN_H_
