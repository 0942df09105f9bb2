// The sim:BUILD target (issue 18, "one world"): the conformance scenario run by the simulator
// itself (sim::RunBuild on the scenario it was parsed from, Scenario::world), its listed viewers
// recorded as Observations (sim::RunOptions::observations) and judged by the same checks as
// every other target. `ssai sim --check` is this target on the simulator's side: one run gives
// the simulator's report and the checks' verdicts.
//
// Beside builtin:BUILD (the same core and the same KV, clock and storage models, with the
// conformance harness's own viewers, links and decision service) it shows where the two
// harnesses still differ; the simulator's viewers reload on their own schedule (a listed
// player loads its renditions together every target duration, as the builtin's), its POP links
// and decision latency are the scenario's distributions.
#ifndef SSAI_CONFORMANCE_SIM_TARGET_H_
#define SSAI_CONFORMANCE_SIM_TARGET_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "conformance/target.h"
#include "conformance/vast_harness.h"
#include "reference/ssai/builds.h"
#include "simulator/run.h"

namespace ssai::conformance {

// decision.vast: the harness's VAST ad server for a simulator run (sim::RunOptions::decision_service),
// made into `holder` (for Collect after the run); an empty function without decision.vast.
// `scenario` and `build` must outlive the run.
std::function<DecisionClient*(Scheduler*)> VastDecisionService(const Scenario& scenario, const BuildSpec& build,
                                                               std::unique_ptr<HarnessVastDecision>* holder);

class SimTarget : public Target {
 public:
  SimTarget(BuildSpec build, uint64_t seed = 1) : build_(std::move(build)), seed_(seed) {}
  std::string name() const override { return "sim:" + build_.name; }
  bool is_defect() const override { return build_.is_defect(); }
  Result<Observations> Run(const Scenario& scenario, const Profile& profile) override;
  // The simulator's report of the last run (its build entry, sim::RunBuild); null before one.
  const nlohmann::json& last_report() const { return last_report_; }
  // Progress of the runs to come (sim::RunOptions::progress).
  void set_progress(std::function<void(double)> progress) { progress_ = std::move(progress); }
  // A population scenario's observed cohorts per group (sim::RunOptions::check_sample).
  void set_check_sample(int cohorts) { check_sample_ = cohorts; }

 private:
  BuildSpec build_;
  uint64_t seed_;
  nlohmann::json last_report_;
  std::function<void(double)> progress_;
  int check_sample_ = 1;
};

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_SIM_TARGET_H_
