// `ssai fidelity SCENARIO --build B --out DIR`: the simulator's prediction for a scenario checked
// against a real loopback deployment of it (fidelity/deploy.h), metric by metric and POP by POP
// (fidelity/compare.h). Writes DIR/report.json and DIR/index.html, prints the table.
// Exit: 0 every judged metric within tolerance, 1 one is not, 2 bad input or a deployment that
// could not start (the message names what).
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/files.h"
#include "cli/flags.h"
#include "fidelity/compare.h"
#include "fidelity/deploy.h"
#include "reference/base/json_input.h"
#include "reference/ssai/builds.h"
#include "simulator/run.h"
#include "simulator/scenario.h"

namespace ssai::cli {
namespace {

struct FidelityArgs {
  std::string scenario_path;
  std::string build = "kv-hybrid";
  std::string out = "reports/fidelity";
  uint64_t seed = 1;
  std::string redis_server = "redis-server";
  fidelity::Tolerances tolerances;
  bool quiet = false;
};

int RunFidelity(const FidelityArgs& a) {
  Result<nlohmann::json> parsed = sim::ReadScenarioFile(a.scenario_path, kMaxScenarioBytes);
  if (!parsed.ok()) {
    std::cerr << "ssai fidelity: " << parsed.status().message() << "\n";
    return 2;
  }
  Result<sim::Scenario> sc = sim::ParseScenario(parsed->dump());
  if (!sc.ok()) {
    std::cerr << "ssai fidelity: " << a.scenario_path << ": " << sc.status().message() << "\n";
    return 2;
  }
  const BuildSpec* build = FindBuild(a.build);
  if (build == nullptr || build->is_defect()) {
    std::cerr << "ssai fidelity: --build: '" << a.build << "' is not a correct build (known:";
    for (const BuildSpec& k : AllBuilds()) {
      if (!k.is_defect()) std::cerr << " " << k.name;
    }
    std::cerr << ")\n";
    return 2;
  }
  if (Status s = fidelity::CheckDeployable(*sc); !s.ok()) {
    std::cerr << "ssai fidelity: " << a.scenario_path << ": " << s.message() << "\n";
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(a.out, ec);
  if (ec) {
    std::cerr << "ssai fidelity: cannot create '" << a.out << "': " << ec.message() << "\n";
    return 2;
  }
  fidelity::DeployOptions opt;
  opt.build = a.build;
  opt.seed = a.seed;
  opt.redis_server = a.redis_server;
  opt.work_dir = a.out + "/deployment";
  if (!a.quiet) opt.progress = [](const std::string& line) { std::cerr << "fidelity: " << line << std::endl; };
  std::fprintf(stderr, "fidelity: %s on loopback for %.0f s (+ %.0f s warm-up), build %s\n", sc->name.c_str(),
               sc->duration_s, sc->warmup_s, a.build.c_str());
  Result<fidelity::Measurement> m = fidelity::RunDeployment(*sc, opt);
  if (!m.ok()) {
    std::cerr << "ssai fidelity: " << m.status().message() << "\n";
    return 2;
  }
  // The prediction: the same scenario on the same start time (so segment grids and break slots
  // coincide with the deployment's), the same build and seed.
  sim::Scenario predicted_sc = *sc;
  predicted_sc.start_time = m->start_time;
  Result<nlohmann::json> predicted = sim::RunBuild(predicted_sc, *build, a.seed);
  if (!predicted.ok()) {
    std::cerr << "ssai fidelity: simulator: " << predicted.status().message() << "\n";
    return 2;
  }
  nlohmann::json comparison = fidelity::Compare(*predicted, m->measured, a.tolerances);
  nlohmann::json report = {{"scenario_name", sc->name},
                           {"build", a.build},
                           {"seed", a.seed},
                           {"start_time", m->deployment["start_time"]},
                           {"scenario", sim::ScenarioToJson(predicted_sc)},
                           {"comparison", comparison},
                           {"measured", m->measured},
                           {"predicted", *predicted},
                           {"deployment", m->deployment}};
  if (!WriteText(a.out + "/report.json", report.dump(2) + "\n") ||
      !WriteText(a.out + "/index.html", fidelity::CompareHtml(report))) {
    std::cerr << "ssai fidelity: cannot write to '" << a.out << "'\n";
    return 2;
  }
  std::cout << fidelity::CompareText(comparison);
  std::fprintf(stderr, "wrote %s/report.json and %s/index.html\n", a.out.c_str(), a.out.c_str());
  return comparison["verdict"]["pass"].get<bool>() ? 0 : 1;
}

}  // namespace

void RegisterFidelityCommand(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<FidelityArgs>();
  CLI::App* f = app.add_subcommand(
      "fidelity", "Run a scenario as a real loopback deployment (Redis, coordinator, edges, viewers) and compare it "
                  "with the simulator's prediction (docs/fidelity.md)");
  f->add_option("scenario", args->scenario_path, "Simulator scenario JSON (e.g. fixtures/scenarios/fidelity-short.json)")
      ->required();
  f->add_option("--build", args->build, "A correct build")->capture_default_str();
  f->add_option("--out", args->out, "Output directory: report.json, index.html, deployment/ (logs)")->capture_default_str();
  f->add_option("--seed", args->seed, "Seed of the simulator, the viewers' phases and the injected delays")
      ->check(CheckSeed)
      ->capture_default_str();
  f->add_option("--redis-server", args->redis_server, "The redis-server binary")->capture_default_str();
  f->add_option("--hit-tolerance-points", args->tolerances.hit_rate_points, "KV hit rate: allowed difference, points")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  f->add_option("--lag-tolerance", args->tolerances.lag_fraction, "Viewer lag P50/P95: allowed relative difference")
      ->check(CLI::Range(0.0, 10.0))
      ->capture_default_str();
  f->add_option("--calls-tolerance", args->tolerances.calls_fraction, "Coordinator calls: allowed relative difference")
      ->check(CLI::Range(0.0, 10.0))
      ->capture_default_str();
  f->add_flag("--quiet", args->quiet, "No progress lines");
  f->callback([args, &ctx] { ctx.exit_code = RunFidelity(*args); });
}

}  // namespace ssai::cli
