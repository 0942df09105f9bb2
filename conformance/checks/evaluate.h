// Runs the catalogue's checks over one target run's Observations, against the scenario's ground
// truth and the profile's thresholds. Pure: no I/O, and no clock of its own (the caller may pass
// one to have the evaluation timed; the results do not depend on it).
#ifndef SSAI_CONFORMANCE_CHECKS_EVALUATE_H_
#define SSAI_CONFORMANCE_CHECKS_EVALUATE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "conformance/checks/catalogue.h"
#include "conformance/observations.h"
#include "conformance/profile.h"
#include "conformance/scenario.h"

namespace ssai::conformance {

enum class Outcome { kPass, kFail, kSkip };
std::string_view OutcomeName(Outcome outcome);  // "pass" | "fail" | "skip"

struct Evidence {
  std::string where;     // viewer, POP and URL, or the KV key / cue body
  double t_s = 0;        // virtual time, seconds from the scenario's start
  std::string time;      // the same instant in ISO 8601
  std::string message;   // what is wrong
  std::string excerpt;   // playlist lines around the problem ("" when not about a playlist)
};

struct CheckResult {
  std::string id;
  Severity severity = Severity::kError;
  Outcome outcome = Outcome::kSkip;
  int64_t evaluated = 0;  // how many things were checked (playlists, slots, puts, ...)
  int64_t failures = 0;
  std::string note;       // why skipped, or a one-line summary (a rate, a P95)
  std::vector<Evidence> evidence;  // the first max_evidence_per_check failures
  // Every failure counted by the break it belongs to ("origin event 1001", "api cue at 100 s",
  // "before the first break"), in time order: which breaks failed, however many there were.
  std::vector<std::pair<std::string, int64_t>> failures_by_break;
  // Measured, not deterministic (never used by a check): the time spent evaluating this check
  // (each evaluation phase's time split over the checks it touched), plus, from the runner, this
  // check's share of the target run. JUnit's testcase time.
  double time_ms = 0;
  // Set by ClassifyExpected (expectations.h): why this failure is expected ("" = it is not).
  std::string expected_reason;
};

// One result per catalogue check, in catalogue order. `now_ms` (optional): a monotonic clock in
// milliseconds; when given, each result's time_ms is its measured evaluation time.
std::vector<CheckResult> Evaluate(const Observations& observations, const Scenario& scenario,
                                  const Profile& profile, const std::function<double()>& now_ms = {});

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_CHECKS_EVALUATE_H_
