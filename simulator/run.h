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
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/base/status.h"
#include "reference/ssai/builds.h"
#include "simulator/scenario.h"

namespace ssai::sim {

struct RunOptions {
  // Called now and then with the fraction of virtual time done (the CLI prints progress; the
  // library never reads a clock).
  std::function<void(double fraction)> progress;
};

struct SimCapture;  // models.h

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

// The build's section of report.json (schema in README.md).
Result<nlohmann::json> RunBuild(const Scenario& scenario, const BuildSpec& build, uint64_t seed,
                                const RunOptions& options = {});

}  // namespace ssai::sim

#endif  // SSAI_SIMULATOR_RUN_H_
