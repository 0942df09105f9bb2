// `ssai sim SCENARIO --build NAME|all|all+defects|a,b --seed N --out DIR`: runs the deterministic
// simulator (simulator/README.md) and writes DIR/report.json, DIR/index.html and a table.
// The wall clock is read here only, for the progress line; the simulation never sees it.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "reference/ssai/builds.h"
#include "simulator/report.h"
#include "simulator/run.h"
#include "simulator/scenario.h"

namespace ssai::cli {

namespace {

struct SimArgs {
  std::string scenario_path;
  std::string builds = "";
  uint64_t seed = 1;
  std::string out = "reports/sim";
  std::vector<std::string> overrides;
  bool quiet = false;
};

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

int RunSim(const SimArgs& a) {
  std::string text;
  if (!ReadFile(a.scenario_path, &text)) {
    std::cerr << "ssai sim: cannot read scenario '" << a.scenario_path << "'\n";
    return 2;
  }
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    std::cerr << "ssai sim: " << a.scenario_path << ": not valid JSON\n";
    return 2;
  }
  for (const std::string& o : a.overrides) {
    if (Status s = sim::ApplyOverride(&j, o); !s.ok()) {
      std::cerr << "ssai sim: " << s.message() << "\n";
      return 2;
    }
  }
  Result<sim::Scenario> sc = sim::ParseScenario(j.dump());
  if (!sc.ok()) {
    std::cerr << "ssai sim: " << a.scenario_path << ": " << sc.status().message() << "\n";
    return 2;
  }
  std::vector<const BuildSpec*> builds;
  std::string names = a.builds;
  if (names.empty()) {
    for (const std::string& n : sc->builds) names += (names.empty() ? "" : ",") + n;
    if (names.empty()) names = "all";
  }
  std::stringstream ss(names);
  for (std::string n; std::getline(ss, n, ',');) {
    if (n == "all" || n == "all+defects") {
      for (const BuildSpec& b : AllBuilds()) {
        if (!b.is_defect() || n == "all+defects") builds.push_back(&b);
      }
      continue;
    }
    const BuildSpec* b = FindBuild(n);
    if (b == nullptr) {
      std::cerr << "ssai sim: unknown build '" << n << "' (known:";
      for (const BuildSpec& k : AllBuilds()) std::cerr << " " << k.name;
      std::cerr << ", all, all+defects)\n";
      return 2;
    }
    builds.push_back(b);
  }
  const auto wall_start = std::chrono::steady_clock::now();
  std::vector<nlohmann::json> results;
  for (size_t i = 0; i < builds.size(); ++i) {
    sim::RunOptions opt;
    auto last = std::chrono::steady_clock::now();
    bool printed = false;
    if (!a.quiet) {
      opt.progress = [&, i](double f) {
        const auto now = std::chrono::steady_clock::now();
        if (now - wall_start < std::chrono::seconds(1) || now - last < std::chrono::milliseconds(250)) return;
        last = now;
        printed = true;
        std::fprintf(stderr, "\r[%zu/%zu] %-28s %5.1f%%", i + 1, builds.size(), builds[i]->name.c_str(), f * 100);
      };
    }
    Result<nlohmann::json> r = sim::RunBuild(*sc, *builds[i], a.seed, opt);
    if (printed) std::fprintf(stderr, "\r%-60s\r", "");
    if (!r.ok()) {
      std::cerr << "ssai sim: " << builds[i]->name << ": " << r.status().message() << "\n";
      return 2;
    }
    results.push_back(std::move(r).value());
  }
  nlohmann::json report = sim::MakeReport(*sc, a.seed, std::move(results));
  std::error_code ec;
  std::filesystem::create_directories(a.out, ec);
  std::ofstream(a.out + "/report.json", std::ios::binary) << sim::SerializeReport(report);
  std::ofstream(a.out + "/index.html", std::ios::binary) << sim::RenderHtml(report);
  std::cout << sim::RenderTable(report);
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  std::fprintf(stderr, "wrote %s/report.json and %s/index.html (%.1f s)\n", a.out.c_str(), a.out.c_str(), wall_s);
  return 0;
}

}  // namespace

void RegisterSimCommands(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<SimArgs>();
  CLI::App* sim = app.add_subcommand("sim", "Deterministic simulation of builds against KV/coordinator/origin models");
  sim->add_option("scenario", args->scenario_path, "Scenario JSON (fixtures/scenarios/*.json)")->required();
  sim->add_option("--build", args->builds, "Build name, comma list, 'all' (correct builds) or 'all+defects'");
  sim->add_option("--seed", args->seed, "PRNG seed (same scenario + seed => identical report.json)");
  sim->add_option("--out", args->out, "Output directory for report.json and index.html");
  sim->add_option("--set", args->overrides, "Override a scenario field: path=value (repeatable)");
  sim->add_flag("--quiet", args->quiet, "No progress line");
  sim->callback([args, &ctx] { ctx.exit_code = RunSim(*args); });
}

}  // namespace ssai::cli
