// Sweeps: many independent runs (sweep point x seed x build) of one scenario, combined into one
// report. Each run is a pure function of (scenario at that point, build, seed), so a sweep can be
// split over processes (`--shard i/n`: run k belongs to shard k mod n) and the shards merged; the
// combined report is built from the runs sorted by run index, so
//   Merge(shard 0/n, ..., shard n-1/n) == the unsharded combined report, byte for byte.
// The unsharded path goes through the same code (one shard 0/1, serialized and parsed back).
//
// Run index k = (point * seeds + seed_index) * builds + build_index, points in row-major order
// over the --sweep parameters (the last parameter varies fastest).
#ifndef SSAI_SIMULATOR_SWEEP_H_
#define SSAI_SIMULATOR_SWEEP_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/base/status.h"
#include "simulator/scenario.h"

namespace ssai::sim {

constexpr const char* kSweepSchema = "ssai-sim-sweep/1";
constexpr const char* kShardSchema = "ssai-sim-shard/1";

struct SweepParam {
  std::string path;                 // scenario field, dotted ("viewers.viewers_per_channel")
  std::vector<std::string> values;  // as given; each parsed as JSON, else taken as a string
};

struct SweepPlan {
  nlohmann::json scenario;          // the scenario JSON as given (after --set), before sweep values
  std::vector<SweepParam> params;   // empty: one point (the scenario itself)
  std::vector<uint64_t> seeds;
  std::vector<std::string> builds;  // build names, in report order

  size_t points() const;
  size_t runs() const { return points() * seeds.size() * builds.size(); }
};

struct Shard {
  size_t index = 0;
  size_t count = 1;
};

struct RunCoord {
  size_t point = 0, seed_index = 0, build_index = 0;
};

// "path=v1,v2,..." -> SweepParam. Errors name the argument.
Result<SweepParam> ParseSweepArg(std::string_view arg);
// "A..B" (inclusive, A <= B) or "s1,s2,...": at most kMaxSeeds seeds.
Result<std::vector<uint64_t>> ParseSeeds(std::string_view arg);
// "i/n" with 0 <= i < n.
Result<Shard> ParseShard(std::string_view arg);
// `--shard auto` / `--shard auto/N` (README.md "Sweeps beyond one machine"): the shard from the
// job array the process runs in, through `env` (a variable's value, nullopt when unset; the CLI
// passes getenv, tests a map: the library reads no environment itself).
//  - Kubernetes indexed Job: index = JOB_COMPLETION_INDEX; count = N of auto/N (Kubernetes gives
//    a pod no variable holding spec.completions), else JOB_COMPLETION_COUNT if the Job sets it.
//  - Slurm job array: index = SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN (MIN unset: 0); count =
//    SLURM_ARRAY_TASK_COUNT, else N. The array must be contiguous (--array=A-B, step 1): with MIN
//    and MAX set, MAX - MIN + 1 must equal the count.
// When both auto/N and the environment give a count they must agree. Errors: neither
// JOB_COMPLETION_INDEX nor SLURM_ARRAY_TASK_ID set, both set, a value not a number, no count,
// index out of range. `source` (optional) gets the variable the index came from.
Result<Shard> ResolveAutoShard(std::string_view arg,
                               const std::function<std::optional<std::string>(const std::string&)>& env,
                               std::string* source = nullptr);
constexpr size_t kMaxSeeds = 100000;

RunCoord RunAt(const SweepPlan& plan, size_t run);
// The scenario JSON of one sweep point (the plan's scenario with that point's values applied).
Result<nlohmann::json> PointScenarioJson(const SweepPlan& plan, size_t point);
// {"param": value, ...} of one point (values parsed as --set parses them).
nlohmann::json PointJson(const SweepPlan& plan, size_t point);
// Every point parses as a scenario and every build exists; errors name the --sweep parameter.
Status ValidatePlan(const SweepPlan& plan);

nlohmann::json PlanToJson(const SweepPlan& plan);
Result<SweepPlan> PlanFromJson(const nlohmann::json& j);

// A run's entry in a shard/combined report: the headline metrics of RunBuild's result and its
// mergeable latency histogram.
nlohmann::json RunEntry(const SweepPlan& plan, size_t run, const nlohmann::json& build_result);

// {"schema": kShardSchema, "plan", "shard": {"index","count"}, "runs_total", "runs": [RunEntry...]}
nlohmann::json MakeShardReport(const SweepPlan& plan, Shard shard, std::vector<nlohmann::json> runs);

// Shard reports (any order) -> the combined report (schema kSweepSchema): the same plan in every
// shard, every run exactly once. Rows: one per (point, build), aggregated over seeds.
Result<nlohmann::json> MergeShards(const std::vector<nlohmann::json>& shards);

// Runs the plan's runs that belong to `shard` (run k: k mod count == index) -> a shard report.
// progress(run_done, runs_in_shard, fraction of the current run) for the CLI's progress line.
Result<nlohmann::json> RunShard(const SweepPlan& plan, Shard shard,
                                const std::function<void(size_t, size_t, double)>& progress = {});
// Every run, combined: exactly MergeShards({RunShard(plan, 0/1)}) after a JSON text round trip,
// so that a sharded sweep merges to the same bytes.
Result<nlohmann::json> RunSweep(const SweepPlan& plan,
                                const std::function<void(size_t, size_t, double)>& progress = {});

std::string RenderSweepTable(const nlohmann::json& combined);
std::string RenderSweepHtml(const nlohmann::json& combined);

}  // namespace ssai::sim

#endif  // SSAI_SIMULATOR_SWEEP_H_
