// Proves the suite works: every build x every scenario of fixtures/scenarios/conformance/ on the
// builtin target (builtin:all+defects: the simulator's runs of the scenarios, issue 18). Fails when a defect build passes every check its base
// build passes (the suite missed a bug), when a correct build fails an error-severity check that
// is not a known finding (expectations.h KnownFindings(), with the root causes R1..R6), when a
// known finding starts passing or fails differently, or when `ssai conform`'s verdict on the
// same runs (MarkExpected, UnexpectedFailures) is not "0 unexpected failures".
#include <algorithm>
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <set>

#include "conformance/expectations.h"
#include "conformance/runner.h"
#include "conformance/target.h"
#include "reference/ssai/builds.h"

namespace ssai::conformance {
namespace {

std::string Describe(const RunResult& r, bool errors_only) {
  std::string out = r.target + " | " + r.scenario + (r.status.ok() ? "" : " run failed: " + r.status.ToString()) + "\n";
  for (const CheckResult& c : r.checks) {
    if (c.outcome != Outcome::kFail || (errors_only && c.severity != Severity::kError)) continue;
    out += "  " + c.id + " (" + std::to_string(c.failures) + ")";
    if (!c.evidence.empty()) out += ": " + c.evidence[0].where + ": " + c.evidence[0].message;
    out += "\n";
    if (!c.evidence.empty() && !c.evidence[0].excerpt.empty()) out += c.evidence[0].excerpt;
  }
  return out;
}

void ProveMatrix() {
  Result<std::vector<Scenario>> scenarios = LoadScenarios("fixtures/scenarios/conformance");
  ASSERT_TRUE(scenarios.ok()) << scenarios.status().ToString();
  Result<Profile> profile = LoadProfile("conformance/profiles/default.json");
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  Result<std::vector<std::unique_ptr<Target>>> targets = MakeTargets("builtin:all+defects");
  ASSERT_TRUE(targets.ok());
  std::vector<RunResult> runs = RunMatrix(*targets, *scenarios, *profile);

  // A defect build is caught when it fails an error check in a scenario where the correct build it
  // is derived from (builds.h: "our best build with one bug each") passes that check, so a bug of
  // the base build never counts as catching the defect.
  auto base_of = [](const std::string& build) -> std::string {
    const BuildSpec* d = FindBuild(build);
    for (const BuildSpec& b : AllBuilds()) {
      if (!b.is_defect() && b.read_path == d->read_path && b.write_break_keys == d->write_break_keys &&
          b.write_channel_state == d->write_channel_state && b.coordinator_polls_origin == d->coordinator_polls_origin) {
        return b.name;
      }
    }
    return "";
  };
  std::map<std::pair<std::string, std::string>, std::set<std::string>> failed;  // (build, scenario) -> checks
  for (const RunResult& r : runs) {
    const std::string build = r.target.substr(r.target.find(':') + 1);
    for (const CheckResult& c : r.checks) {
      if (c.outcome == Outcome::kFail && c.severity == Severity::kError) failed[{build, r.scenario}].insert(c.id);
    }
  }
  std::map<std::string, std::set<std::string>> caught_by;  // defect build -> "check (scenario)"
  for (const RunResult& r : runs) {
    const std::string build = r.target.substr(r.target.find(':') + 1);
    if (r.defect) {
      caught_by[build];
      const std::set<std::string>& base_failed = failed[{base_of(build), r.scenario}];
      for (const std::string& c : failed[{build, r.scenario}]) {
        if (!base_failed.count(c)) caught_by[build].insert(c + " (" + r.scenario + ")");
      }
      if (!r.status.ok()) ADD_FAILURE() << Describe(r, true);
      continue;
    }
    for (const CheckResult& c : r.checks) {
      // Issue 19: every correct build used to warn in every scenario (a multivariant playlist
      // declaring EXT-X-VERSION:3 where its tags need 1).
      if (c.id == "hls.version.not_higher_than_needed") {
        EXPECT_NE(c.outcome, Outcome::kFail) << Describe(r, false);
      }
    }
    const KnownFinding* known = nullptr;
    for (const KnownFinding& k : KnownFindings()) {
      if (k.build == build && k.scenario == r.scenario && k.MeasuredOn(r.target)) known = &k;
    }
    std::string now_failing;
    for (const std::string& c : failed[{build, r.scenario}]) now_failing += (now_failing.empty() ? "" : " ") + c;
    if (r.ErrorFailures() > 0) {
      if (!known) {
        ADD_FAILURE() << "correct build fails an error check:\n" << Describe(r, true);
      } else if (known->checks != now_failing || !r.status.ok()) {
        ADD_FAILURE() << "known failure changed for " << build << " | " << r.scenario << ": listed \"" << known->checks
                      << "\", now \"" << now_failing << "\"\n" << Describe(r, true);
      }
    } else if (known) {
      ADD_FAILURE() << build << " | " << r.scenario << " now passes: remove it from KnownFindings() (expectations.cc)";
    }
  }
  std::cout << "defect build -> error checks that caught it (scenario), beyond its base build's failures\n";
  for (const auto& [build, checks] : caught_by) {
    std::cout << "  " << build << " (base " << base_of(build) << "):" << (checks.empty() ? " NOT CAUGHT" : "") << "\n";
    std::map<std::string, std::string> by_check;  // check -> scenarios
    for (const std::string& c : checks) {
      const size_t open = c.find(" (");
      std::string& list = by_check[c.substr(0, open)];
      list += (list.empty() ? "" : ", ") + c.substr(open + 2, c.size() - open - 3);
    }
    for (const auto& [check, scenarios_list] : by_check) std::cout << "      " << check << ": " << scenarios_list << "\n";
    EXPECT_FALSE(checks.empty()) << build << " fails nothing its base build passes: the suite misses this defect";
  }
  for (const auto& [build, checks] : ExpectedCatches()) {
    for (const std::string& c : checks) {
      bool found = false;
      for (const std::string& x : caught_by[build]) found |= x.rfind(c + " (", 0) == 0;
      EXPECT_TRUE(found) << build << " is no longer caught by " << c;
    }
  }

  // `ssai conform --target builtin:all+defects` on the same runs: every failure expected, every
  // defect build caught, so it exits 0 on a healthy tree.
  for (RunResult& r : runs) MarkExpected(&r);
  for (const RunResult& r : runs) {
    EXPECT_EQ(r.UnexpectedErrorFailures(), 0) << "ssai conform would report an unexpected failure:\n"
                                              << Describe(r, true);
  }
  int defects = 0;
  for (const DefectVerdict& v : DefectVerdicts(runs)) {
    ++defects;
    EXPECT_TRUE(v.caught()) << v.target;
  }
  // Every defect build has its verdict (counted from the builds, so one added is judged too).
  const auto defect_builds = std::count_if(AllBuilds().begin(), AllBuilds().end(), [](const BuildSpec& b) { return b.is_defect(); });
  EXPECT_EQ(defects, defect_builds);
  EXPECT_GE(defects, 16);  // 13, then issue 16's defect-sgai-top-variant and issue 14's two
  EXPECT_EQ(UnexpectedFailures(runs), 0);
}

TEST(ConformanceMatrixTest, DefectBuildsCaughtCorrectBuildsPass) { ProveMatrix(); }

}  // namespace
}  // namespace ssai::conformance
