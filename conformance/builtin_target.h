// The builtin target: one build of reference/ssai/builds.h (correct or defect) run by the
// simulator itself on the conformance scenario (issue 18, "one world"): sim::RunBuild on the
// simulator scenario the file was read from (Scenario::world), its listed viewers recorded as
// Observations (sim::RunOptions::observations) and judged by the checks like every other target.
// There is no second harness: the origin, KV, durable storage, coordinator fleet, POP links,
// decision service, faults, cue calls and players are the simulator's, with the scenario's fixed
// values as fixed distributions. `ssai sim --check` is this target on the simulator's side: one
// run gives the simulator's report and the checks' verdicts.
//
//   players: the multivariant playlist at join, then every rendition they play together every
//            target duration (RFC 8216 §6.3.4), one beacon session each (player_choice.h)
//   decision.vast: the harness's VAST ad server + the server's VAST client (vast_harness.h)
//   expect.api_probes: the cue API probes sent to the coordinator in-process (probes.h)
//
// A whole scenario runs in tens of milliseconds of wall time. Manifest latency is measured from
// request to response on the virtual clock: the modelled RTT + KV latency + queueing.
#ifndef SSAI_CONFORMANCE_BUILTIN_TARGET_H_
#define SSAI_CONFORMANCE_BUILTIN_TARGET_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "conformance/target.h"
#include "conformance/vast_harness.h"
#include "reference/ssai/builds.h"

namespace ssai::conformance {

// decision.vast: the harness's VAST ad server for a simulator run (sim::RunOptions::decision_service),
// made into `holder` (for Collect after the run); an empty function without decision.vast.
// `scenario` and `build` must outlive the run.
std::function<DecisionClient*(Scheduler*)> VastDecisionService(const Scenario& scenario, const BuildSpec& build,
                                                               std::unique_ptr<HarnessVastDecision>* holder);

class BuiltinTarget : public Target {
 public:
  // `family` names the runs: "builtin" (builtin:BUILD) or "sim" (sim:BUILD, the same runs under the
  // simulator's name, as `ssai sim --check` reports them).
  explicit BuiltinTarget(BuildSpec build, std::string family = "builtin", uint64_t seed = 1)
      : build_(std::move(build)), family_(std::move(family)), seed_(seed) {}
  std::string name() const override { return family_ + ":" + build_.name; }
  bool is_defect() const override { return build_.is_defect(); }
  Result<Observations> Run(const Scenario& scenario, const Profile& profile) override;
  const BuildSpec& build() const { return build_; }
  // The simulator's report of the last run (its build entry, sim::RunBuild); null before one.
  const nlohmann::json& last_report() const { return last_report_; }
  // Progress of the runs to come (sim::RunOptions::progress).
  void set_progress(std::function<void(double)> progress) { progress_ = std::move(progress); }
  // A population scenario's observed cohorts per group (sim::RunOptions::check_sample).
  void set_check_sample(int cohorts) { check_sample_ = cohorts; }

 private:
  BuildSpec build_;
  std::string family_;
  uint64_t seed_;
  nlohmann::json last_report_;
  std::function<void(double)> progress_;
  int check_sample_ = 1;
};

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_BUILTIN_TARGET_H_
