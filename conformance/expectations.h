// Expected failures: what fails on a healthy tree, and why, so that `ssai conform` exits 0 on it
// and a real regression stands out (pytest's xfail, JUnit <skipped message="expected failure: ...">).
//
//  - A defect build (reference/ssai/builds.h, "defect-...": our best build with one deliberate
//    bug) exists to be caught: its error-severity failures are expected. A defect build that
//    fails no error check in any of the runs is itself a failure: the suite would miss that bug.
//  - Known findings: correct builds of the seed's designs that fail error checks by design
//    (KnownFindings(): build, scenario, exactly the failing checks, the cause), on the targets
//    each was measured on (builtin:, also named sim:; serve: for kv-hybrid's R4/R4b, which are the core's
//    read path and KV cache, not the harness's). Only the listed checks are expected; any other
//    failure of that run is real. conformance/matrix_test.cc pins the list both ways on the
//    builtin target (a listed pair that starts passing, or fails differently, turns it red).
#ifndef SSAI_CONFORMANCE_EXPECTATIONS_H_
#define SSAI_CONFORMANCE_EXPECTATIONS_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/runner.h"

namespace ssai::conformance {

struct KnownFinding {
  std::string build;
  std::string scenario;  // a scenario name of fixtures/scenarios/conformance
  std::string checks;    // exactly the error checks that fail, sorted, space-separated
  std::string causes;    // "R4", "R5 R5b": CauseText()
  // The kinds of target it was measured on, space-separated ("builtin sim", "builtin sim
  // serve"): a finding of the design shows on every target that runs the build, but is expected
  // only where a run showed exactly these checks failing (serve: is real time; a run there is
  // minutes). builtin: and sim: are the same runs (the simulator's) under two names.
  std::string targets = "builtin sim";
  bool MeasuredOn(std::string_view target) const;  // "serve:kv-hybrid" -> "serve" listed?
};
const std::vector<KnownFinding>& KnownFindings();
// One line on a cause ("R5" -> "kv-stateless reads KV only: ..."); "" when unknown.
std::string_view CauseText(std::string_view cause);

// Which check must catch each defect build (in some scenario of fixtures/scenarios/conformance):
// the suite's regression contract, enforced by matrix_test.cc.
const std::map<std::string, std::vector<std::string>>& ExpectedCatches();

// Sets CheckResult::expected_reason on the run's expected error failures (see above).
void MarkExpected(RunResult* run);

struct DefectVerdict {
  std::string target;                  // "builtin:defect-ignore-end"
  int runs = 0;
  std::vector<std::string> caught_by;  // "CHECK (scenario)", in run order
  bool caught() const { return !caught_by.empty(); }
};
// One per defect build among `runs` (in first-seen order), after MarkExpected.
std::vector<DefectVerdict> DefectVerdicts(const std::vector<RunResult>& runs);

// What makes `ssai conform` exit 1: unexpected error failures and failed runs, plus defect
// builds nobody caught.
int64_t UnexpectedFailures(const std::vector<RunResult>& runs);

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_EXPECTATIONS_H_
