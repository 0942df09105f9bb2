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

// The build's section of report.json (schema in README.md).
Result<nlohmann::json> RunBuild(const Scenario& scenario, const BuildSpec& build, uint64_t seed,
                                const RunOptions& options = {});

}  // namespace ssai::sim

#endif  // SSAI_SIMULATOR_RUN_H_
