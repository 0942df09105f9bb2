// Runs scenarios against targets and collects the check results; the reports (report.h) and the
// CLI (`ssai conform`) sit on top.
#ifndef SSAI_CONFORMANCE_RUNNER_H_
#define SSAI_CONFORMANCE_RUNNER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "conformance/checks/evaluate.h"
#include "conformance/profile.h"
#include "conformance/scenario.h"
#include "conformance/target.h"

namespace ssai::conformance {

struct RunResult {
  std::string target;
  bool defect = false;
  std::string scenario;
  std::string scenario_file;
  Status status;  // the run itself failed (the target could not run the scenario)
  std::vector<CheckResult> checks;  // catalogue order
  std::map<std::string, int64_t> stats;
  double wall_ms = 0;

  int64_t ErrorFailures() const;
  int64_t WarningFailures() const;
  // Ids of the checks that failed (any severity).
  std::vector<std::string> FailedChecks() const;
};

// Every (target, scenario) pair, targets outer. `progress` (optional) sees each result.
std::vector<RunResult> RunMatrix(const std::vector<std::unique_ptr<Target>>& targets,
                                 const std::vector<Scenario>& scenarios, const Profile& profile,
                                 const std::function<void(const RunResult&)>& progress = {});

// One run: the scenario's profile overrides are applied on top of `profile`.
RunResult RunOne(Target& target, const Scenario& scenario, const Profile& profile);

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_RUNNER_H_
