// Runs scenarios against targets and collects the check results; the reports (report.h) and the
// CLI (`ssai conform`) sit on top.
#ifndef SSAI_CONFORMANCE_RUNNER_H_
#define SSAI_CONFORMANCE_RUNNER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
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
  std::map<std::string, std::map<std::string, Observations::PopUrls>> pop_urls;  // Observations::pop_urls
  double wall_ms = 0;

  // Error-severity failures, expected or not, plus 1 when the run itself failed.
  int64_t ErrorFailures() const;
  // Those not marked expected by ClassifyExpected (expectations.h), plus a failed run: what
  // makes `ssai conform` exit 1.
  int64_t UnexpectedErrorFailures() const;
  // Error-severity failures marked expected (a defect build's, a known finding's).
  int64_t ExpectedFailures() const;
  int64_t WarningFailures() const;
  // Ids of the checks that failed (any severity).
  std::vector<std::string> FailedChecks() const;
};

// Keeps only the checks whose id contains one of `substrings` (`ssai conform -k`, as pytest -k
// selects by substring; several are ORed). Empty: keeps everything.
void FilterChecks(const std::vector<std::string>& substrings, RunResult* run);
bool CheckSelected(const std::vector<std::string>& substrings, std::string_view id);

// Every (target, scenario) pair, targets outer. `progress` (optional) sees each result as it
// comes and may amend it (filter checks, mark expected failures) before it is stored.
std::vector<RunResult> RunMatrix(const std::vector<std::unique_ptr<Target>>& targets,
                                 const std::vector<Scenario>& scenarios, const Profile& profile,
                                 const std::function<void(RunResult&)>& progress = {});

// One run: the scenario's profile overrides are applied on top of `profile`.
RunResult RunOne(Target& target, const Scenario& scenario, const Profile& profile);

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_RUNNER_H_
