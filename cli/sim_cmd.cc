// `ssai sim SCENARIO --build NAME|all|all+defects|a,b --seed N --out DIR`: runs the deterministic
// simulator (simulator/README.md) and writes DIR/report.json, DIR/index.html and a table.
// With --sweep param=v1,v2 / --seeds A..B: many independent runs, one combined report; --shard i/n
// runs one shard of them and `ssai sim merge DIR...` combines the shards (simulator/sweep.h).
// The wall clock is read here only, for the progress line; the simulation never sees it.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <functional>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/progress.h"
#include "cli/files.h"
#include "cli/flags.h"
#include "conformance/expectations.h"
#include "conformance/report.h"
#include "conformance/runner.h"
#include "conformance/scenario.h"
#include "conformance/builtin_target.h"
#include "reference/base/json_input.h"
#include "reference/ssai/builds.h"
#include "simulator/report.h"
#include "simulator/run.h"
#include "simulator/scenario.h"
#include "simulator/sweep.h"

namespace ssai::cli {

namespace {

struct SimArgs {
  std::string scenario_path;
  std::string builds = "";
  uint64_t seed = 1;
  std::string out = "reports/sim";
  std::vector<std::string> overrides;
  std::vector<std::string> sweeps;
  std::string seeds;  // --seeds A..B | s1,s2
  std::string shard;  // --shard i/n | auto | auto/n
  bool seed_given = false;
  bool quiet = false;
  // --check (issue 18): judge each build's run with the conformance checks (sim:BUILD target).
  bool check = false;
  std::string profile;  // --profile: the checks' thresholds (default: the built-in defaults)
  // --check-sample: a population's observed cohorts per group (sim::RunOptions::check_sample).
  int check_sample = 1;
  bool check_sample_given = false;
};

struct MergeArgs {
  std::vector<std::string> inputs;
  std::string out = "reports/sim";
};

// Writes DIR/report.json and DIR/index.html; false (with a message) when DIR is not writable.
bool WriteReport(const std::string& dir, const std::string& json_text, const std::string& html) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (!WriteText(dir + "/report.json", json_text) || (!html.empty() && !WriteText(dir + "/index.html", html))) {
    std::cerr << "ssai sim: cannot write to '" << dir << "'\n";
    return false;
  }
  return true;
}

int RunSweepCmd(const SimArgs& a, const nlohmann::json& scenario_json, const std::vector<const BuildSpec*>& builds,
                std::chrono::steady_clock::time_point wall_start) {
  sim::SweepPlan plan;
  plan.scenario = scenario_json;
  for (const BuildSpec* b : builds) {
    if (std::find(plan.builds.begin(), plan.builds.end(), b->name) == plan.builds.end()) plan.builds.push_back(b->name);
  }
  for (const std::string& arg : a.sweeps) {
    Result<sim::SweepParam> p = sim::ParseSweepArg(arg);
    if (!p.ok()) {
      std::cerr << "ssai sim: " << p.status().message() << "\n";
      return 2;
    }
    plan.params.push_back(std::move(p).value());
  }
  if (!a.seeds.empty() && a.seed_given) {
    std::cerr << "ssai sim: give either --seed N or --seeds A..B, not both\n";
    return 2;
  }
  if (a.seeds.empty()) {
    plan.seeds = {a.seed};
  } else {
    Result<std::vector<uint64_t>> seeds = sim::ParseSeeds(a.seeds);
    if (!seeds.ok()) {
      std::cerr << "ssai sim: " << seeds.status().message() << "\n";
      return 2;
    }
    plan.seeds = std::move(seeds).value();
  }
  sim::Shard shard;
  if (!a.shard.empty()) {
    // --shard auto[/N]: the index (and count) from the job array's environment (sweep.h).
    std::string source;
    Result<sim::Shard> s =
        a.shard.starts_with("auto")
            ? sim::ResolveAutoShard(a.shard,
                                    [](const std::string& name) -> std::optional<std::string> {
                                      const char* v = std::getenv(name.c_str());
                                      return v ? std::optional<std::string>(v) : std::nullopt;
                                    },
                                    &source)
            : sim::ParseShard(a.shard);
    if (s.ok() && !source.empty() && !a.quiet) {
      std::fprintf(stderr, "shard %zu/%zu (from %s)\n", s->index, s->count, source.c_str());
    }
    if (!s.ok()) {
      std::cerr << "ssai sim: " << s.status().message() << "\n";
      return 2;
    }
    shard = *s;
  }
  if (Status s = sim::ValidatePlan(plan); !s.ok()) {
    std::cerr << "ssai sim: " << a.scenario_path << ": " << s.message() << "\n";
    return 2;
  }
  ProgressLine line;
  std::function<void(size_t, size_t, double)> progress;
  if (!a.quiet) {
    progress = [&](size_t done, size_t total, double f) {
      char text[96];
      std::snprintf(text, sizeof text, "[run %zu/%zu] %5.1f%% of all runs", done + 1, total,
                    (static_cast<double>(done) + f) * 100 / static_cast<double>(total));
      line.Show(text);
    };
  }
  if (!a.shard.empty()) {
    Result<nlohmann::json> r = sim::RunShard(plan, shard, progress);
    line.Clear();
    if (!r.ok()) {
      std::cerr << "ssai sim: " << r.status().message() << "\n";
      return 2;
    }
    if (!WriteReport(a.out, sim::SerializeReport(*r), "")) return 2;
    std::fprintf(stderr, "wrote shard %zu/%zu (%zu of %zu runs) to %s/report.json; combine the shards with "
                 "`ssai sim merge DIR... --out DIR`\n", shard.index, shard.count, (*r)["runs"].size(),
                 plan.runs(), a.out.c_str());
    return 0;
  }
  Result<nlohmann::json> r = sim::RunSweep(plan, progress);
  line.Clear();
  if (!r.ok()) {
    std::cerr << "ssai sim: " << r.status().message() << "\n";
    return 2;
  }
  if (!WriteReport(a.out, sim::SerializeReport(*r), sim::RenderSweepHtml(*r))) return 2;
  std::cout << sim::RenderSweepTable(*r);
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  std::fprintf(stderr, "wrote %s/report.json and %s/index.html (%zu runs, %.1f s)\n", a.out.c_str(), a.out.c_str(),
               plan.runs(), wall_s);
  return 0;
}

int RunMerge(const MergeArgs& a) {
  std::vector<nlohmann::json> shards;
  for (const std::string& in : a.inputs) {
    const std::string path = std::filesystem::is_directory(in) ? in + "/report.json" : in;
    std::string text;
    if (!ReadInput("ssai sim merge", path, kMaxShardReportBytes, &text)) return 2;
    Result<nlohmann::json> j = ParseJsonInput(text, path);
    if (!j.ok()) {
      std::cerr << "ssai sim merge: " << j.status().message() << "\n";
      return 2;
    }
    shards.push_back(std::move(j).value());
  }
  Result<nlohmann::json> r = sim::MergeShards(shards);  // catches what the JSON library throws
  if (!r.ok()) {
    std::cerr << "ssai sim " << r.status().message() << "\n";
    return 2;
  }
  if (!WriteReport(a.out, sim::SerializeReport(*r), sim::RenderSweepHtml(*r))) return 2;
  std::cout << sim::RenderSweepTable(*r);
  std::fprintf(stderr, "merged %zu shards: wrote %s/report.json and %s/index.html\n", shards.size(), a.out.c_str(),
               a.out.c_str());
  return 0;
}

int RunSim(const SimArgs& a) {
  if (a.scenario_path.empty()) {
    std::cerr << "ssai sim: a SCENARIO file is required (or `ssai sim merge DIR...`)\n";
    return 2;
  }
  // "ssai sim: PATH: cannot read: No such file or directory", "ssai sim: PATH: larger than 16 MiB"
  Result<nlohmann::json> parsed = sim::ReadScenarioFile(a.scenario_path, kMaxScenarioBytes);
  if (!parsed.ok()) {
    std::cerr << "ssai sim: " << parsed.status().message() << "\n";
    return 2;
  }
  nlohmann::json j = std::move(parsed).value();
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
  if (a.check && (!a.sweeps.empty() || !a.seeds.empty() || !a.shard.empty())) {
    std::cerr << "ssai sim: --check judges single runs; it does not combine with --sweep, --seeds or --shard\n";
    return 2;
  }
  if (!a.profile.empty() && !a.check) {
    std::cerr << "ssai sim: --profile sets the checks' thresholds: give it with --check\n";
    return 2;
  }
  if (a.check_sample_given && !a.check) {
    std::cerr << "ssai sim: --check-sample sets how many cohorts the checks observe: give it with --check\n";
    return 2;
  }
  if (a.check_sample_given && sc->viewers.listed) {
    std::cerr << "ssai sim: --check-sample samples a population's cohorts; " << a.scenario_path
              << " lists its viewers (all of them are judged)\n";
    return 2;
  }
  if (!a.sweeps.empty() || !a.seeds.empty() || !a.shard.empty()) return RunSweepCmd(a, j, builds, wall_start);
  // --check: the scenario as the conformance checks judge it (one channel, listed viewers or a
  // population's sampled cohorts on channel 0, ...), and the profile.
  std::optional<conformance::Scenario> judged;
  conformance::Profile profile;
  if (a.check || !sc->decision.vast.tag.empty()) {
    // decision.vast: the harness's VAST ad server plays it, configured from the judged scenario.
    Result<conformance::Scenario> cs = conformance::ScenarioOf(*sc, a.scenario_path, /*population_sample=*/a.check);
    if (!cs.ok()) {
      std::cerr << "ssai sim" << (a.check ? " --check: " : ": decision.vast needs a scenario the checks can judge: ")
                << a.scenario_path << ": " << cs.status().message() << "\n";
      return 2;
    }
    judged = std::move(cs).value();
  }
  if (!a.profile.empty()) {  // with --check (checked above)
    Result<conformance::Profile> p = conformance::LoadProfile(a.profile);
    if (!p.ok()) {
      std::cerr << "ssai sim: " << p.status().message() << "\n";
      return 2;
    }
    profile = *p;
  }
  std::vector<conformance::RunResult> check_runs;
  std::vector<nlohmann::json> results;
  ProgressLine line;
  for (size_t i = 0; i < builds.size(); ++i) {
    sim::RunOptions opt;
    if (!a.quiet) {
      opt.progress = [&, i](double f) {
        char shown[128];
        std::snprintf(shown, sizeof shown, "[build %zu/%zu] %s %5.1f%%; %5.1f%% of all", i + 1, builds.size(),
                      builds[i]->name.c_str(), f * 100,
                      (static_cast<double>(i) + f) * 100 / static_cast<double>(builds.size()));
        line.Show(shown);
      };
    }
    if (a.check) {
      // The same run, its listed viewers recorded and judged (conformance/builtin_target.h).
      conformance::BuiltinTarget target(*builds[i], "sim", a.seed);
      target.set_progress(opt.progress);
      target.set_check_sample(a.check_sample);
      conformance::RunResult run = conformance::RunOne(target, *judged, profile);
      line.Clear();
      if (!run.status.ok()) {
        std::cerr << "ssai sim: " << builds[i]->name << ": " << run.status.message() << "\n";
        return 2;
      }
      conformance::MarkExpected(&run);
      nlohmann::json entry = target.last_report();
      entry["checks"] = conformance::CheckSummaryJson(run);
      results.push_back(std::move(entry));
      check_runs.push_back(std::move(run));
      continue;
    }
    std::unique_ptr<conformance::HarnessVastDecision> vast;
    if (judged) opt.decision_service = conformance::VastDecisionService(*judged, *builds[i], &vast);
    Result<nlohmann::json> r = sim::RunBuild(*sc, *builds[i], a.seed, opt);
    line.Clear();
    if (!r.ok()) {
      std::cerr << "ssai sim: " << builds[i]->name << ": " << r.status().message() << "\n";
      return 2;
    }
    results.push_back(std::move(r).value());
  }
  nlohmann::json report = sim::MakeReport(*sc, a.seed, std::move(results));
  if (!WriteReport(a.out, sim::SerializeReport(report), sim::RenderHtml(report))) return 2;
  std::cout << sim::RenderTable(report);
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  std::fprintf(stderr, "wrote %s/report.json and %s/index.html (%.1f s)\n", a.out.c_str(), a.out.c_str(), wall_s);
  if (!a.check) return 0;
  // The checks' own reports (as `ssai conform` writes them) beside the simulator's.
  if (Status st = conformance::WriteReports(a.out + "/checks", check_runs, profile); !st.ok()) {
    std::cerr << "ssai sim: " << st.message() << "\n";
    return 2;
  }
  std::cout << conformance::SummaryTable(check_runs);
  const int64_t unexpected = conformance::UnexpectedFailures(check_runs);
  std::cout << (unexpected ? "FAIL: " : "PASS: ") << "checks: " << unexpected << " unexpected failures; reports in "
            << a.out << "/checks/{junit.xml,report.json,index.html}\n";
  return unexpected > 0 ? 1 : 0;
}

}  // namespace

void RegisterSimCommands(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<SimArgs>();
  CLI::App* sim = app.add_subcommand("sim", "Deterministic simulation of builds against KV/coordinator/origin models");
  sim->add_option("scenario", args->scenario_path, "Scenario JSON (fixtures/scenarios/*.json)");
  sim->add_option("--build", args->builds, "Build name, comma list, 'all' (correct builds) or 'all+defects'");
  sim->add_option("--seed", args->seed, "PRNG seed, 0..2^64-1 (same scenario + seed => identical report.json)")
      ->check(CheckSeed)
      ->each([args](const std::string&) { args->seed_given = true; });
  sim->add_option("--sweep", args->sweeps,
                  "Sweep a scenario field: path=v1,v2,... (repeatable: the cartesian product); one combined report");
  sim->add_option("--seeds", args->seeds, "Seeds A..B (inclusive) or s1,s2,...: one run per seed, combined report");
  sim->add_option("--shard", args->shard,
                  "i/n: run only runs k with k mod n == i and write a shard report for `ssai sim merge`; "
                  "auto or auto/n: i (and n) from a Kubernetes indexed Job (JOB_COMPLETION_INDEX) or a Slurm "
                  "job array (SLURM_ARRAY_TASK_ID, _MIN, _COUNT)");
  sim->add_option("--out", args->out, "Output directory for report.json and index.html");
  sim->add_option("--set", args->overrides, "Override a scenario field: path=value (repeatable)");
  sim->add_flag("--quiet", args->quiet, "No progress line");
  sim->add_flag("--check", args->check,
                "Judge each build's run with the conformance checks (the playlists its listed viewers, or a "
                "population's sampled cohorts on channel 0, were served, KV writes, decisions; the scenario's expect "
                "block); reports in OUT/checks, exit 1 on an unexpected failure");
  sim->add_option("--profile", args->profile, "With --check: the checks' profile JSON (default: built-in defaults)");
  sim->add_option("--check-sample", args->check_sample,
                  "With --check on a population scenario: cohorts observed per group (channel 0 x POP x rendition x "
                  "mode; the first N), each judged as one viewer")
      ->check(CLI::Range(1, 64))
      ->each([args](const std::string&) { args->check_sample_given = true; });
  auto margs = std::make_shared<MergeArgs>();
  CLI::App* merge = sim->add_subcommand("merge", "Combine shard reports (ssai sim --shard i/n) into one sweep report");
  merge->add_option("inputs", margs->inputs, "Shard output directories or their report.json files")->required();
  merge->add_option("--out", margs->out, "Output directory for the combined report.json and index.html");
  merge->callback([margs, &ctx] { ctx.exit_code = RunMerge(*margs); });
  sim->require_subcommand(0, 1);
  sim->callback([args, merge, &ctx] {
    if (merge->parsed()) return;
    ctx.exit_code = RunSim(*args);
  });
}

}  // namespace ssai::cli
