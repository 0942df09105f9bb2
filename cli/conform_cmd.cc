// `ssai conform`: the conformance suite (conformance/README.md).
//   ssai conform --list                     the check catalogue (id, severity, section, description)
//   ssai conform --list-builds              every build name, one per line (defect builds: defect-...)
//   ssai conform --target builtin:BUILD|builtin:all --scenario FILE|DIR [--profile P] --out DIR
//   ssai conform --target serve:BUILD --scenario FILE --out DIR                 (real time)
//   ssai conform --target http --target-profile T.json --scenario FILE --out DIR (real time)
// Exit status: 0 all error-severity checks pass, 1 one failed, 2 bad input or usage.
#include <chrono>
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "conformance/checks/catalogue.h"
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
  std::string profile;
  std::string target_profile;
  std::string out = "reports/conform";
  bool quiet = false;
};

int RunConform(const ConformArgs& a) {
  using namespace ssai::conformance;
  if (a.list) {
    for (const CheckInfo& c : Catalogue()) {
      std::cout << c.id << "\t" << SeverityName(c.severity) << "\t" << c.section << "\t" << c.description << "\n";
    }
    return 0;
  }
  if (a.list_builds) {
    for (const BuildSpec& b : AllBuilds()) std::cout << b.name << "\n";
    return 0;
  }
  if (a.target.empty() || a.scenario.empty()) {
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
  Result<std::vector<Scenario>> scenarios = LoadScenarios(a.scenario);
  if (!scenarios.ok()) {
    std::cerr << "ssai conform: " << scenarios.status().message() << "\n";
    return 2;
  }
  Result<std::vector<std::unique_ptr<Target>>> targets = MakeTargets(a.target, TargetOptions{a.target_profile});
  if (!targets.ok()) {
    std::cerr << "ssai conform: " << targets.status().message() << "\n";
    return 2;
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<RunResult> runs = RunMatrix(*targets, *scenarios, profile, [&](const RunResult& r) {
    if (a.quiet) return;
    std::cerr << (r.ErrorFailures() ? "FAIL " : "ok   ") << r.target << " | " << r.scenario << " ("
              << static_cast<int64_t>(r.wall_ms) << " ms)\n";
  });
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (Status s = WriteReports(a.out, runs, profile); !s.ok()) {
    std::cerr << "ssai conform: " << s.message() << "\n";
    return 2;
  }
  std::cout << SummaryTable(runs);
  int64_t errors = 0;
  for (const RunResult& r : runs) errors += r.ErrorFailures();
  std::cout << runs.size() << " runs in " << wall_s << " s; " << errors << " error-severity failures; reports in "
            << a.out << "/{junit.xml,report.json,index.html}\n";
  return errors > 0 ? 1 : 0;
}

}  // namespace

void RegisterConformCommands(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<ConformArgs>();
  CLI::App* c = app.add_subcommand("conform", "Conformance suite: checks x scenarios x targets, JUnit/JSON/HTML");
  c->add_flag("--list", args->list, "Print the check catalogue");
  c->add_flag("--list-builds", args->list_builds, "Print every build name (defect builds are defect-...)");
  c->add_option("--target", args->target,
                "builtin:BUILD, builtin:a,b, builtin:all (virtual time); serve:BUILD, http (real time, loopback)");
  c->add_option("--target-profile", args->target_profile, "The http target's profile JSON (fixtures/targets/)");
  c->add_option("--scenario", args->scenario, "Scenario JSON file or directory (fixtures/scenarios/conformance)");
  c->add_option("--profile", args->profile, "Profile JSON (default: built-in defaults = conformance/profiles/default.json)");
  c->add_option("--out", args->out, "Output directory for junit.xml, report.json, index.html");
  c->add_flag("--quiet", args->quiet, "No per-run progress lines");
  c->callback([args, &ctx] { ctx.exit_code = RunConform(*args); });
}

}  // namespace ssai::cli
