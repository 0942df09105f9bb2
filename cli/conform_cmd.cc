// `ssai conform`: the conformance suite (conformance/README.md).
//   ssai conform --list                     the check catalogue (id, severity, section, description)
//   ssai conform --list-builds              every build name, one per line (defect builds: defect-...)
//   ssai conform --target builtin:BUILD|builtin:all|builtin:all+defects --scenario FILE|DIR [--profile P] --out DIR
//   ssai conform --target sim:BUILD|sim:all|sim:all+defects ... (the same runs, named sim:)
//                [-k SUBSTRING]...                              only the checks whose id contains one
//   ssai conform --target serve:BUILD --scenario FILE --out DIR                 (real time)
//   ssai conform --target http --target-profile T.json --scenario FILE --out DIR (real time)
//   ssai conform --target observe --target-profile T.json --duration S --out DIR (watch only;
//                one line per break on stdout as soon as it is judged, then the summary)
// Exit status: 0 no unexpected error-severity failure (a defect build's failures and the known
// findings of conformance/expectations.h are expected; a defect build nothing caught is not),
// 1 otherwise, 2 bad input or usage (and a run that could not start for the user's setup: an
// https:// certificate the target profile's `tls` does not trust).
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "conformance/checks/catalogue.h"
#include "conformance/expectations.h"
#include "conformance/report.h"
#include "conformance/runner.h"
#include "conformance/target.h"
#include "reference/ssai/builds.h"

namespace ssai::cli {

namespace {

struct ConformArgs {
  bool list = false;
  bool list_builds = false;
  std::string target;
  std::string scenario;
  double duration_s = 0;  // observe
  std::string profile;
  std::string target_profile;
  std::string out = "reports/conform";
  std::vector<std::string> select;  // -k
  bool quiet = false;
};

int RunConform(const ConformArgs& a) {
  using namespace ssai::conformance;
  if (!a.select.empty()) {
    bool any = false;
    for (const CheckInfo& c : Catalogue()) any |= CheckSelected(a.select, c.id);
    if (!any) {
      std::cerr << "ssai conform: -k selects no check of the catalogue (see `ssai conform --list`)\n";
      return 2;
    }
  }
  if (a.list) {
    for (const CheckInfo& c : Catalogue()) {
      if (!CheckSelected(a.select, c.id)) continue;
      std::cout << c.id << "\t" << SeverityName(c.severity) << "\t" << c.section << "\t" << c.description << "\n";
    }
    return 0;
  }
  if (a.list_builds) {
    for (const BuildSpec& b : AllBuilds()) std::cout << b.name << "\n";
    return 0;
  }
  const bool observe = a.target == "observe";
  if (observe && !a.scenario.empty()) {
    std::cerr << "ssai conform: --target observe takes no --scenario (the deployment is only watched; --duration S)\n";
    return 2;
  }
  if (!observe && a.duration_s > 0) {
    std::cerr << "ssai conform: --duration is for --target observe (a scenario says its own duration)\n";
    return 2;
  }
  if (a.target.empty() || (a.scenario.empty() && !observe)) {
    std::cerr << "ssai conform: --target and --scenario are required (or --list, --list-builds)\n";
    return 2;
  }
  Profile profile;
  if (!a.profile.empty()) {
    Result<Profile> p = LoadProfile(a.profile);
    if (!p.ok()) {
      std::cerr << "ssai conform: " << p.status().message() << "\n";
      return 2;
    }
    profile = *p;
  }
  Result<std::vector<Scenario>> scenarios = std::vector<Scenario>(1);
  if (observe) {
    // The run's scenario is what the recording turns out to be (observe_target.h).
    scenarios->front().name = "observe";
    scenarios->front().duration_s = a.duration_s > 0 ? a.duration_s : 60;
  } else {
    scenarios = LoadScenarios(a.scenario);
  }
  if (!scenarios.ok()) {
    std::cerr << "ssai conform: " << scenarios.status().message() << "\n";
    return 2;
  }
  TargetOptions options{a.target_profile, {}};
  if (observe) {
    // Live output (issue 16): one line per break as soon as it is judged, flushed, on stdout;
    // -k keeps the same checks the final report keeps.
    options.live = [&a](const LiveBreak& b) {
      LiveBreak shown = b;
      std::erase_if(shown.failures, [&](const auto& f) { return !CheckSelected(a.select, f.first); });
      std::cout << FormatLiveBreak(shown) << std::endl;
    };
  }
  Result<std::vector<std::unique_ptr<Target>>> targets = MakeTargets(a.target, options);
  if (!targets.ok()) {
    std::cerr << "ssai conform: " << targets.status().message() << "\n";
    return 2;
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<RunResult> runs = RunMatrix(*targets, *scenarios, profile, [&](RunResult& r) {
    FilterChecks(a.select, &r);
    MarkExpected(&r);
    if (a.quiet) return;
    std::cerr << (r.UnexpectedErrorFailures() ? "FAIL  " : r.ExpectedFailures() ? "xfail " : "ok    ") << r.target
              << " | " << r.scenario << " (" << static_cast<int64_t>(r.wall_ms) << " ms)\n";
  });
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (Status s = WriteReports(a.out, runs, profile); !s.ok()) {
    std::cerr << "ssai conform: " << s.message() << "\n";
    return 2;
  }
  std::cout << SummaryTable(runs);
  // A run that could not start because of the user's setup (an https:// certificate the profile
  // does not trust): bad input, like a bad profile, not a finding about the target.
  int setup_errors = 0;
  for (const RunResult& r : runs) {
    if (r.status.code() != StatusCode::kFailedPrecondition) continue;
    std::cerr << "ssai conform: " << r.target << ": " << r.status.message() << "\n";
    ++setup_errors;
  }
  if (setup_errors > 0) return 2;
  int64_t expected = 0;
  for (const RunResult& r : runs) expected += r.ExpectedFailures();
  const int64_t unexpected = UnexpectedFailures(runs);
  std::cout << (unexpected ? "FAIL: " : "PASS: ") << runs.size() << " runs in " << wall_s << " s; " << unexpected
            << " unexpected failures, " << expected << " expected; reports in " << a.out
            << "/{junit.xml,report.json,index.html}\n";
  return unexpected > 0 ? 1 : 0;
}

}  // namespace

void RegisterConformCommands(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<ConformArgs>();
  CLI::App* c = app.add_subcommand("conform", "Conformance suite: checks x scenarios x targets, JUnit/JSON/HTML");
  c->add_flag("--list", args->list, "Print the check catalogue");
  c->add_flag("--list-builds", args->list_builds, "Print every build name (defect builds are defect-...)");
  c->add_option("--target", args->target,
                "builtin:BUILD, builtin:a,b, builtin:all (the correct builds), builtin:all+defects (the "
                "simulator's run, virtual time; sim:... names the same runs); serve:BUILD, http (real "
                "time, loopback); observe (watch a deployment, --duration S)");
  c->add_option("--target-profile", args->target_profile, "The http or observe target's profile JSON (fixtures/targets/)");
  c->add_option("--duration", args->duration_s, "observe: seconds to watch the deployment (default 60)")
      ->check(CLI::Range(1.0, 86400.0));
  c->add_option("--scenario", args->scenario, "Scenario JSON file or directory (fixtures/scenarios/conformance)");
  c->add_option("--profile", args->profile, "Profile JSON (default: built-in defaults = conformance/profiles/default.json)");
  c->add_option("--out", args->out, "Output directory for junit.xml, report.json, index.html");
  c->add_option("-k", args->select,
                "Only the checks whose id contains SUBSTRING (repeatable: any of them), e.g. -k splice. -k ttl.")
      ->option_text("SUBSTRING")
      ->allow_extra_args(false);
  c->add_flag("--quiet", args->quiet, "No per-run progress lines");
  c->callback([args, &ctx] { ctx.exit_code = RunConform(*args); });
}

}  // namespace ssai::cli
