#include "conformance/runner.h"

#include <algorithm>
#include <chrono>
#include <vector>

namespace ssai::conformance {

namespace {

// Every answered playlist request's latency, as the run's P50 and P95 (stats latency_p50_us,
// latency_p95_us): the report charts them per target, so two targets that model the same
// deployment differently show it (issue 18: builtin P95 122 ms vs serve: 4-15 ms).
void AddLatencyStats(const Observations& obs, std::map<std::string, int64_t>* stats) {
  std::vector<int64_t> us;
  for (const Fetch& f : obs.fetches) {
    if (f.response_time > 0 && f.response_time >= f.request_time) us.push_back(f.response_time - f.request_time);
  }
  if (us.empty()) return;
  std::sort(us.begin(), us.end());
  auto at = [&](double q) { return us[static_cast<size_t>(q * static_cast<double>(us.size() - 1) + 0.5)]; };
  (*stats)["latency_p50_us"] = at(0.50);
  (*stats)["latency_p95_us"] = at(0.95);
}

}  // namespace

int64_t RunResult::ErrorFailures() const {
  int64_t n = status.ok() ? 0 : 1;
  for (const CheckResult& c : checks) n += c.outcome == Outcome::kFail && c.severity == Severity::kError;
  return n;
}

int64_t RunResult::UnexpectedErrorFailures() const {
  int64_t n = status.ok() ? 0 : 1;
  for (const CheckResult& c : checks) {
    n += c.outcome == Outcome::kFail && c.severity == Severity::kError && c.expected_reason.empty();
  }
  return n;
}

int64_t RunResult::ExpectedFailures() const {
  int64_t n = 0;
  for (const CheckResult& c : checks) {
    n += c.outcome == Outcome::kFail && c.severity == Severity::kError && !c.expected_reason.empty();
  }
  return n;
}

int64_t RunResult::WarningFailures() const {
  int64_t n = 0;
  for (const CheckResult& c : checks) n += c.outcome == Outcome::kFail && c.severity == Severity::kWarning;
  return n;
}

std::vector<std::string> RunResult::FailedChecks() const {
  std::vector<std::string> out;
  for (const CheckResult& c : checks) {
    if (c.outcome == Outcome::kFail) out.push_back(c.id);
  }
  return out;
}

RunResult RunOne(Target& target, const Scenario& scenario, const Profile& profile) {
  RunResult r;
  r.target = target.name();
  r.defect = target.is_defect();
  r.scenario = scenario.name;
  r.scenario_file = scenario.file;
  // Wall time is only reported, never used by a check (results stay deterministic).
  const auto t0 = std::chrono::steady_clock::now();
  Result<Profile> effective = ApplyProfileOverrides(profile, scenario.profile_overrides);
  if (!effective.ok()) {
    r.status = effective.status();
    return r;
  }
  auto now_ms = [] {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
  };
  Result<Observations> obs = target.Run(scenario, *effective);
  const double target_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!obs.ok()) {
    r.status = obs.status();
  } else {
    r.checks = Evaluate(*obs, obs->judged_scenario ? *obs->judged_scenario : scenario, *effective, now_ms);
    r.stats = obs->stats;
    r.pop_urls = obs->pop_urls;
    AddLatencyStats(*obs, &r.stats);
    // Every check needs the run: each carries an equal share of it, so a suite's test cases add
    // up to the suite's time (what JUnit consumers sum).
    for (CheckResult& c : r.checks) c.time_ms += target_ms / static_cast<double>(r.checks.size());
  }
  r.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

bool CheckSelected(const std::vector<std::string>& substrings, std::string_view id) {
  if (substrings.empty()) return true;
  for (const std::string& s : substrings) {
    if (id.find(s) != std::string_view::npos) return true;
  }
  return false;
}

void FilterChecks(const std::vector<std::string>& substrings, RunResult* run) {
  if (substrings.empty()) return;
  std::erase_if(run->checks, [&](const CheckResult& c) { return !CheckSelected(substrings, c.id); });
}

std::vector<RunResult> RunMatrix(const std::vector<std::unique_ptr<Target>>& targets,
                                 const std::vector<Scenario>& scenarios, const Profile& profile,
                                 const std::function<void(RunResult&)>& progress) {
  std::vector<RunResult> out;
  for (const std::unique_ptr<Target>& t : targets) {
    for (const Scenario& s : scenarios) {
      out.push_back(RunOne(*t, s, profile));
      if (progress) progress(out.back());
    }
  }
  return out;
}

}  // namespace ssai::conformance
