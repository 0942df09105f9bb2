#include "simulator/sweep.h"

#include <map>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "simulator/report.h"

namespace ssai::sim {
namespace {

using json = nlohmann::json;

// Tiny and fast: 1 channel, 2 POPs, 2 renditions, 100 s, one break.
SweepPlan TinyPlan() {
  SweepPlan plan;
  plan.scenario = json::parse(R"({
    "name": "tiny-sweep", "duration_s": 70, "warmup_s": 20, "channels": 1,
    "pops": [{"name": "a", "coordinator_rtt_ms": 20}, {"name": "b", "coordinator_rtt_ms": 120}],
    "origin": {"renditions": [{"name": "hi", "bandwidth_bps": 2500000}, {"name": "lo", "bandwidth_bps": 800000}],
               "breaks": {"first_s": 21, "every_s": 0, "duration_s": 30}},
    "viewers": {"viewers_per_channel": 200, "cohorts_per_group": 1}})");
  plan.params = {{"kv.cache_ttl_s", {"30", "60"}}};
  plan.seeds = {1, 2};
  plan.builds = {"kv-hybrid", "kv-channel-state"};
  return plan;
}

TEST(SweepTest, ParseArguments) {
  Result<SweepParam> p = ParseSweepArg("viewers.viewers_per_channel=1000,10000");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->path, "viewers.viewers_per_channel");
  EXPECT_EQ(p->values, (std::vector<std::string>{"1000", "10000"}));
  EXPECT_FALSE(ParseSweepArg("viewers").ok());
  EXPECT_FALSE(ParseSweepArg("=1,2").ok());
  EXPECT_FALSE(ParseSweepArg("a=").ok());
  EXPECT_FALSE(ParseSweepArg("a=1,,2").ok());
  EXPECT_FALSE(ParseSweepArg("a..b=1").ok());
  EXPECT_FALSE(ParseSweepArg("a=1,1").ok());

  EXPECT_EQ(*ParseSeeds("1..4"), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(*ParseSeeds("7"), (std::vector<uint64_t>{7}));
  EXPECT_EQ(*ParseSeeds("3,1"), (std::vector<uint64_t>{3, 1}));
  EXPECT_FALSE(ParseSeeds("4..1").ok());
  EXPECT_FALSE(ParseSeeds("1..x").ok());
  EXPECT_FALSE(ParseSeeds("-1").ok());
  EXPECT_FALSE(ParseSeeds("1,1").ok());
  EXPECT_FALSE(ParseSeeds("0..100000").ok());
  EXPECT_FALSE(ParseSeeds("99999999999999999999999").ok());

  Result<Shard> s = ParseShard("1/3");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->index, 1u);
  EXPECT_EQ(s->count, 3u);
  EXPECT_EQ(ParseShard("2/2").status().message(),
            "--shard '2/2': index out of range (must be in [0, 2), shards are numbered from 0)");
  EXPECT_FALSE(ParseShard("0/0").ok());
  EXPECT_FALSE(ParseShard("1").ok());
  EXPECT_FALSE(ParseShard("a/2").ok());
}

// --shard auto: the index and count from a job array's environment (a map here, getenv in the CLI).
Result<Shard> AutoShard(std::string_view arg, const std::map<std::string, std::string>& vars,
                        std::string* source = nullptr) {
  return ResolveAutoShard(
      arg,
      [&](const std::string& name) -> std::optional<std::string> {
        const auto it = vars.find(name);
        return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
      },
      source);
}

TEST(SweepTest, AutoShardFromAKubernetesIndexedJob) {
  std::string source;
  Result<Shard> s = AutoShard("auto/8", {{"JOB_COMPLETION_INDEX", "3"}}, &source);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->index, 3u);
  EXPECT_EQ(s->count, 8u);
  EXPECT_EQ(source, "JOB_COMPLETION_INDEX");
  // The count from JOB_COMPLETION_COUNT when the Job sets it; with auto/N too, they must agree.
  s = AutoShard("auto", {{"JOB_COMPLETION_INDEX", "0"}, {"JOB_COMPLETION_COUNT", "4"}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->count, 4u);
  EXPECT_NE(AutoShard("auto/5", {{"JOB_COMPLETION_INDEX", "0"}, {"JOB_COMPLETION_COUNT", "4"}}).status().message().find(
                "count 5 differs from JOB_COMPLETION_COUNT=4"),
            std::string::npos);
  // No count anywhere: Kubernetes does not tell a pod its Job's completions.
  EXPECT_NE(AutoShard("auto", {{"JOB_COMPLETION_INDEX", "1"}}).status().message().find("use --shard auto/N"),
            std::string::npos);
  EXPECT_NE(AutoShard("auto/4", {{"JOB_COMPLETION_INDEX", "4"}}).status().message().find(
                "index 4 (from JOB_COMPLETION_INDEX) out of range for 4 shards"),
            std::string::npos);
  EXPECT_NE(AutoShard("auto/4", {{"JOB_COMPLETION_INDEX", "x1"}}).status().message().find(
                "JOB_COMPLETION_INDEX='x1' is not a non-negative integer"),
            std::string::npos);
  EXPECT_NE(AutoShard("auto/4", {{"JOB_COMPLETION_INDEX", ""}}).status().message().find("JOB_COMPLETION_INDEX=''"),
            std::string::npos);
}

TEST(SweepTest, AutoShardFromASlurmArray) {
  // sbatch --array=1-4: ids 1..4 are shards 0..3.
  std::string source;
  Result<Shard> s = AutoShard("auto", {{"SLURM_ARRAY_TASK_ID", "3"}, {"SLURM_ARRAY_TASK_MIN", "1"},
                                       {"SLURM_ARRAY_TASK_MAX", "4"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}, &source);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->index, 2u);
  EXPECT_EQ(s->count, 4u);
  EXPECT_EQ(source, "SLURM_ARRAY_TASK_ID");
  // MIN unset: ids from 0; the count from auto/N.
  s = AutoShard("auto/2", {{"SLURM_ARRAY_TASK_ID", "1"}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->index, 1u);
  EXPECT_EQ(s->count, 2u);
  // A stepped or listed array (--array=0-6:2, --array=1,5,9) numbers no contiguous shards.
  EXPECT_NE(AutoShard("auto", {{"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_MIN", "0"},
                               {"SLURM_ARRAY_TASK_MAX", "6"}, {"SLURM_ARRAY_TASK_COUNT", "4"}})
                .status().message().find("not contiguous"),
            std::string::npos);
  EXPECT_NE(AutoShard("auto", {{"SLURM_ARRAY_TASK_ID", "0"}, {"SLURM_ARRAY_TASK_MIN", "1"}}).status().message().find(
                "below SLURM_ARRAY_TASK_MIN=1"),
            std::string::npos);
  EXPECT_NE(AutoShard("auto/3", {{"SLURM_ARRAY_TASK_ID", "0"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}).status().message().find(
                "differs from SLURM_ARRAY_TASK_COUNT=4"),
            std::string::npos);
}

TEST(SweepTest, AutoShardErrors) {
  EXPECT_NE(AutoShard("auto/4", {}).status().message().find(
                "neither JOB_COMPLETION_INDEX (a Kubernetes indexed Job) nor SLURM_ARRAY_TASK_ID"),
            std::string::npos);
  EXPECT_NE(AutoShard("auto/4", {{"JOB_COMPLETION_INDEX", "0"}, {"SLURM_ARRAY_TASK_ID", "0"}}).status().message().find(
                "both JOB_COMPLETION_INDEX and SLURM_ARRAY_TASK_ID"),
            std::string::npos);
  EXPECT_NE(AutoShard("autox", {{"JOB_COMPLETION_INDEX", "0"}}).status().message().find("expected auto or auto/N"),
            std::string::npos);
  EXPECT_NE(AutoShard("auto/0", {{"JOB_COMPLETION_INDEX", "0"}}).status().message().find("count must be"),
            std::string::npos);
  EXPECT_FALSE(AutoShard("auto/", {{"JOB_COMPLETION_INDEX", "0"}}).ok());
}

TEST(SweepTest, RunOrderAndPoints) {
  SweepPlan plan = TinyPlan();
  plan.params.push_back({"viewers.sgai_fraction", {"0", "0.5", "1"}});
  EXPECT_EQ(plan.points(), 6u);
  EXPECT_EQ(plan.runs(), 24u);  // 6 points x 2 seeds x 2 builds
  RunCoord c = RunAt(plan, 23);
  EXPECT_EQ(c.point, 5u);
  EXPECT_EQ(c.seed_index, 1u);
  EXPECT_EQ(c.build_index, 1u);
  c = RunAt(plan, 6);  // (point 1 x 2 + seed 1) x 2 + build 0
  EXPECT_EQ(c.point, 1u);
  EXPECT_EQ(c.seed_index, 1u);
  EXPECT_EQ(c.build_index, 0u);
  // Last parameter varies fastest.
  EXPECT_EQ(PointJson(plan, 1), json::parse(R"({"kv.cache_ttl_s": 30, "viewers.sgai_fraction": 0.5})"));
  EXPECT_EQ(PointJson(plan, 3), json::parse(R"({"kv.cache_ttl_s": 60, "viewers.sgai_fraction": 0})"));
  Result<json> j = PointScenarioJson(plan, 5);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["kv"]["cache_ttl_s"], 60);
  EXPECT_EQ((*j)["viewers"]["sgai_fraction"], 1);
  EXPECT_EQ((*j)["viewers"]["viewers_per_channel"], 200);
}

TEST(SweepTest, ValidateNamesTheBadParameter) {
  SweepPlan plan = TinyPlan();
  plan.params = {{"viewers.viewrs_per_channel", {"1", "2"}}};
  Status s = ValidatePlan(plan);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("viewrs_per_channel"), std::string::npos) << s.message();
  plan.params = {{"kv.cache_ttl_s", {"60", "10"}}};
  s = ValidatePlan(plan);
  EXPECT_NE(s.message().find("kv.cache_ttl_s=10"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("must be in [30"), std::string::npos) << s.message();
  plan = TinyPlan();
  plan.builds = {"kv-hybird"};
  EXPECT_EQ(ValidatePlan(plan).message(), "unknown build 'kv-hybird'");
}

// The issue's requirement: merge(shard 0/2, shard 1/2) == the unsharded combined report, byte for
// byte; and the combined report aggregates per (point, build) over the seeds.
TEST(SweepTest, ShardedMergeEqualsUnsharded) {
  const SweepPlan plan = TinyPlan();
  Result<json> whole = RunSweep(plan);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  Result<json> s0 = RunShard(plan, Shard{0, 2});
  Result<json> s1 = RunShard(plan, Shard{1, 2});
  ASSERT_TRUE(s0.ok() && s1.ok());
  EXPECT_EQ((*s0)["runs"].size(), 4u);
  EXPECT_EQ((*s1)["runs"].size(), 4u);
  // Through text, in either order.
  Result<json> merged = MergeShards({json::parse(SerializeReport(*s1)), json::parse(SerializeReport(*s0))});
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_EQ(SerializeReport(*merged), SerializeReport(*whole));
  // Three shards, the same bytes too.
  std::vector<json> three;
  for (size_t i = 0; i < 3; ++i) three.push_back(json::parse(SerializeReport(*RunShard(plan, Shard{i, 3}))));
  EXPECT_EQ(SerializeReport(*MergeShards(three)), SerializeReport(*whole));

  const json& c = *whole;
  EXPECT_EQ(c["schema"], kSweepSchema);
  EXPECT_EQ(c["runs_total"], 8);
  ASSERT_EQ(c["rows"].size(), 4u);  // 2 points x 2 builds
  for (const json& row : c["rows"]) {
    EXPECT_EQ(row["seeds"], 2);
    const json& p95 = row["latency_p95_ms"];
    EXPECT_LE(p95["min"].get<double>(), p95["mean"].get<double>());
    EXPECT_LE(p95["mean"].get<double>(), p95["max"].get<double>());
    EXPECT_GT(row["pooled_latency_ms"]["count"].get<int64_t>(), 0);
  }
  // Row (point 1, kv-channel-state): its mean is the mean of its two runs.
  const json& row = c["rows"][3];
  EXPECT_EQ(row["build"], "kv-channel-state");
  EXPECT_EQ(row["point"], json::parse(R"({"kv.cache_ttl_s": 60})"));
  double sum = 0;
  for (const json& r : c["runs"]) {
    if (r["point_index"] == 1 && r["build"] == "kv-channel-state") sum += r["metrics"]["latency_p95_ms"].get<double>();
  }
  EXPECT_DOUBLE_EQ(row["latency_p95_ms"]["mean"].get<double>(), sum / 2);
  EXPECT_NE(RenderSweepTable(c).find("kv-channel-state"), std::string::npos);
  const std::string html = RenderSweepHtml(c);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  // Issue 19: the table is a <table> (no overflowing <pre>) whose headers carry their meaning.
  EXPECT_EQ(html.find("<pre>"), std::string::npos);
  EXPECT_NE(html.find("<td class='name'>cache_ttl_s=60</td>"), std::string::npos) << html;
  EXPECT_NE(html.find("<th title='seeds whose run met the Phase 1 design"), std::string::npos);
}

TEST(SweepTest, MergeRejectsIncompleteOrMismatchedShards) {
  SweepPlan plan = TinyPlan();
  plan.params.clear();
  plan.seeds = {1};
  plan.builds = {"kv-hybrid"};
  // Shard reports with no runs in them are enough to test the bookkeeping.
  const json s0 = MakeShardReport(plan, Shard{0, 2}, {});
  const json s1 = MakeShardReport(plan, Shard{1, 2}, {});
  EXPECT_EQ(MergeShards({s0}).status().message(), "merge: shard 1/2 is missing");
  EXPECT_EQ(MergeShards({s0, s0}).status().message(), "merge: input 2: shard 0/2 given twice");
  EXPECT_EQ(MergeShards({s0, s1}).status().message(), "merge: run 0 is missing (incomplete shard)");
  SweepPlan other = plan;
  other.seeds = {2};
  EXPECT_NE(MergeShards({s0, MakeShardReport(other, Shard{1, 2}, {})}).status().message().find("different plan"),
            std::string::npos);
  EXPECT_NE(MergeShards({json::object()}).status().message().find("not a shard report"), std::string::npos);
}

// issue 13: shard reports are files a user passes; wrong types are errors, never an abort.
TEST(SweepTest, MergeOfMalformedShardsIsAnError) {
  SweepPlan plan = TinyPlan();
  plan.params.clear();
  plan.seeds = {1};
  plan.builds = {"kv-hybrid"};
  json bad_schema = MakeShardReport(plan, Shard{0, 1}, {});
  bad_schema["schema"] = 5;  // value("schema", "") threw type_error.302
  Result<json> r = MergeShards({bad_schema});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind("merge: type must be string", 0), 0u) << r.status().message();
  json bad_index = MakeShardReport(plan, Shard{0, 1}, {});
  bad_index["shard"]["index"] = "0";
  EXPECT_FALSE(MergeShards({bad_index}).ok());
  json bad_runs = MakeShardReport(plan, Shard{0, 1}, {});
  bad_runs["runs"] = json::array({{{"run", 0}, {"metrics", 7}, {"latency_hist_us", json::object()}}});
  EXPECT_FALSE(MergeShards({bad_runs}).ok());
  bad_runs["runs"] = json::array({{{"run", 0}, {"metrics", json::object()}, {"latency_hist_us", {{"buckets", {{1, -5}}}}}}});
  EXPECT_FALSE(MergeShards({bad_runs}).ok());
}

}  // namespace
}  // namespace ssai::sim
