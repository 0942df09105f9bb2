#include "simulator/sweep.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>

#include "reference/ssai/builds.h"
#include "reference/base/json_input.h"
#include "reference/base/strings.h"
#include "simulator/metrics.h"
#include "simulator/report.h"
#include "simulator/run.h"
#include "simulator/table.h"

namespace ssai::sim {

namespace {

using json = nlohmann::json;

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t at = s.find(sep, start);
    out.emplace_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

Result<uint64_t> ParseU64(std::string_view text, std::string_view what) {
  if (text.empty() || text.size() > 20 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Status::InvalidArgument(std::string(what) + ": '" + std::string(text) + "' is not a non-negative integer");
  }
  uint64_t v = 0;
  for (char c : text) {
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) {
      return Status::InvalidArgument(std::string(what) + ": '" + std::string(text) + "' is too large");
    }
    v = v * 10 + d;
  }
  return v;
}

json ParseValue(const std::string& text) {
  json v = json::parse(text, nullptr, false);
  if (v.is_discarded()) v = text;
  return v;
}

// The metrics a row aggregates over seeds, in report order: (name, where in RunBuild's result).
// Percentiles of a run are of its viewer-weighted latency histogram.
struct MetricDef {
  const char* name;
  json (*get)(const json& b);
};

json AdLagP50(const json& b) {
  double sum = 0;
  int n = 0;
  for (const json& p : b["pops"]) {
    if (Num(p["ad_visibility_lag_s"]["count"]) > 0) {
      sum += Num(p["ad_visibility_lag_s"]["p50"]);
      ++n;
    }
  }
  return n ? json(sum / n) : json(nullptr);
}

const MetricDef kMetrics[] = {
    {"kv_hit_rate", [](const json& b) { return b["kv"]["hit_rate"]; }},
    {"latency_p50_ms", [](const json& b) { return b["latency_ms"]["p50"]; }},
    {"latency_p95_ms", [](const json& b) { return b["latency_ms"]["p95"]; }},
    {"latency_p99_ms", [](const json& b) { return b["latency_ms"]["p99"]; }},
    {"latency_max_ms", [](const json& b) { return b["latency_ms"]["max"]; }},
    {"missed_ad_viewer_s", [](const json& b) { return b["ads"]["missed_ad_viewer_s"]; }},
    {"missed_fraction", [](const json& b) { return b["ads"]["missed_fraction"]; }},
    {"ghost_ad_viewer_s", [](const json& b) { return b["ads"]["ghost_ad_viewer_s"]; }},
    {"ad_visibility_lag_p50_s", AdLagP50},
    {"cross_pop_disagreement", [](const json& b) { return b["disagreement"]["cross_pop"]; }},
    {"cross_rendition_disagreement", [](const json& b) { return b["disagreement"]["cross_rendition"]; }},
    {"coordinator_calls_per_s_peak", [](const json& b) { return b["coordinator"]["calls_per_s_peak"]; }},
    {"coordinator_overload_rejections", [](const json& b) { return b["coordinator"]["overload_rejections"]; }},
    {"kv_writes", [](const json& b) { return b["kv"]["writes"]; }},
    {"errors", [](const json& b) { return b["requests"]["errors"]; }},
    {"viewer_requests", [](const json& b) { return b["requests"]["viewer_requests"]; }},
    {"cost_usd_per_hour", [](const json& b) { return b["cost_usd"]["per_hour"]; }},
    {"lint_responses_with_errors", [](const json& b) { return b["lint"]["with_errors"]; }},
};

// The seed's expectations (report.h SeedExpectations) on one run's metrics.
// m[key], or null when m is not an object or lacks it (a merged shard report is input: const
// operator[] on a missing key would be undefined behaviour).
const json& Member(const json& m, const char* key) {
  static const json kNull;
  if (!m.is_object()) return kNull;
  auto it = m.find(key);
  return it == m.end() ? kNull : *it;
}

bool SeedHolds(const json& m) {
  const json& hr = Member(m, "kv_hit_rate");
  return hr.is_number() && Num(hr) >= 0.70 && Num(hr) <= 0.90 && Num(Member(m, "latency_p95_ms")) < 100;
}

}  // namespace

size_t SweepPlan::points() const {
  size_t n = 1;
  for (const SweepParam& p : params) {
    // Saturates: ValidatePlan refuses anything over 100000, so a product that wraps must not hide it.
    if (p.values.size() != 0 && n > SIZE_MAX / p.values.size()) return SIZE_MAX;
    n *= p.values.size();
  }
  return n;
}

Result<SweepParam> ParseSweepArg(std::string_view arg) {
  const std::string a(arg);
  const size_t eq = arg.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == arg.size()) {
    return Status::InvalidArgument("--sweep '" + a + "': expected param=v1,v2,... (e.g. viewers.viewers_per_channel=1000,10000)");
  }
  SweepParam p;
  p.path = a.substr(0, eq);
  for (const std::string& part : Split(p.path, '.')) {
    if (part.empty()) return Status::InvalidArgument("--sweep '" + a + "': empty component in parameter '" + p.path + "'");
  }
  p.values = Split(arg.substr(eq + 1), ',');
  for (const std::string& v : p.values) {
    if (v.empty()) return Status::InvalidArgument("--sweep '" + a + "': empty value in the list");
  }
  for (size_t i = 0; i < p.values.size(); ++i) {
    for (size_t k = 0; k < i; ++k) {
      if (p.values[i] == p.values[k]) {
        return Status::InvalidArgument("--sweep '" + a + "': value '" + p.values[i] + "' given twice");
      }
    }
  }
  return p;
}

Result<std::vector<uint64_t>> ParseSeeds(std::string_view arg) {
  const std::string a(arg);
  std::vector<uint64_t> seeds;
  const size_t dots = arg.find("..");
  if (dots != std::string_view::npos) {
    Result<uint64_t> lo = ParseU64(arg.substr(0, dots), "--seeds '" + a + "'");
    if (!lo.ok()) return lo.status();
    Result<uint64_t> hi = ParseU64(arg.substr(dots + 2), "--seeds '" + a + "'");
    if (!hi.ok()) return hi.status();
    if (*hi < *lo) return Status::InvalidArgument("--seeds '" + a + "': the range is empty (expected A..B with A <= B)");
    if (*hi - *lo >= kMaxSeeds) {
      return Status::InvalidArgument("--seeds '" + a + "': more than " + std::to_string(kMaxSeeds) + " seeds");
    }
    for (uint64_t s = *lo;; ++s) {
      seeds.push_back(s);
      if (s == *hi) break;
    }
    return seeds;
  }
  for (const std::string& part : Split(arg, ',')) {
    Result<uint64_t> s = ParseU64(part, "--seeds '" + a + "' (expected A..B or s1,s2,...)");
    if (!s.ok()) return s.status();
    if (std::find(seeds.begin(), seeds.end(), *s) != seeds.end()) {
      return Status::InvalidArgument("--seeds '" + a + "': seed " + part + " given twice");
    }
    seeds.push_back(*s);
  }
  if (seeds.size() > kMaxSeeds) {
    return Status::InvalidArgument("--seeds '" + a + "': more than " + std::to_string(kMaxSeeds) + " seeds");
  }
  return seeds;
}

Result<Shard> ParseShard(std::string_view arg) {
  const std::string a(arg);
  const size_t slash = arg.find('/');
  if (slash == std::string_view::npos) return Status::InvalidArgument("--shard '" + a + "': expected i/n (e.g. 0/4)");
  Result<uint64_t> i = ParseU64(arg.substr(0, slash), "--shard '" + a + "' index");
  if (!i.ok()) return i.status();
  Result<uint64_t> n = ParseU64(arg.substr(slash + 1), "--shard '" + a + "' count");
  if (!n.ok()) return n.status();
  if (*n == 0 || *n > 1'000'000) return Status::InvalidArgument("--shard '" + a + "': count must be in [1, 1000000]");
  if (*i >= *n) {
    return Status::InvalidArgument("--shard '" + a + "': index out of range (must be in [0, " + std::to_string(*n) +
                                   "), shards are numbered from 0)");
  }
  return Shard{static_cast<size_t>(*i), static_cast<size_t>(*n)};
}

Result<Shard> ResolveAutoShard(std::string_view arg,
                               const std::function<std::optional<std::string>(const std::string&)>& env,
                               std::string* source) {
  const std::string a(arg);
  const std::string where = "--shard '" + a + "'";
  std::optional<uint64_t> flag_count;
  if (arg != "auto") {
    if (!arg.starts_with("auto/")) return Status::InvalidArgument(where + ": expected auto or auto/N");
    Result<uint64_t> n = ParseU64(arg.substr(5), where + " count");
    if (!n.ok()) return n.status();
    flag_count = *n;
  }
  // A set variable must hold a decimal number; an unset one is nullopt.
  auto number = [&](const std::string& name) -> Result<std::optional<uint64_t>> {
    const std::optional<std::string> v = env(name);
    if (!v) return std::optional<uint64_t>();
    Result<uint64_t> n = ParseU64(*v, where + ": " + name);
    if (!n.ok()) return Status::InvalidArgument(where + ": " + name + "='" + *v + "' is not a non-negative integer");
    return std::optional<uint64_t>(*n);
  };
  SSAI_ASSIGN_OR_RETURN(std::optional<uint64_t> k8s_index, number("JOB_COMPLETION_INDEX"));
  SSAI_ASSIGN_OR_RETURN(std::optional<uint64_t> slurm_id, number("SLURM_ARRAY_TASK_ID"));
  if (!k8s_index && !slurm_id) {
    return Status::InvalidArgument(where + ": neither JOB_COMPLETION_INDEX (a Kubernetes indexed Job) nor "
                                   "SLURM_ARRAY_TASK_ID (a Slurm job array) is set; outside a job array give "
                                   "--shard i/n");
  }
  if (k8s_index && slurm_id) {
    return Status::InvalidArgument(where + ": both JOB_COMPLETION_INDEX and SLURM_ARRAY_TASK_ID are set; "
                                   "which one numbers the shards is ambiguous: give --shard i/n");
  }
  uint64_t index = 0;
  std::optional<uint64_t> env_count;
  std::string from;
  if (k8s_index) {
    from = "JOB_COMPLETION_INDEX";
    index = *k8s_index;
    SSAI_ASSIGN_OR_RETURN(env_count, number("JOB_COMPLETION_COUNT"));
  } else {
    from = "SLURM_ARRAY_TASK_ID";
    SSAI_ASSIGN_OR_RETURN(std::optional<uint64_t> lo, number("SLURM_ARRAY_TASK_MIN"));
    SSAI_ASSIGN_OR_RETURN(std::optional<uint64_t> hi, number("SLURM_ARRAY_TASK_MAX"));
    SSAI_ASSIGN_OR_RETURN(env_count, number("SLURM_ARRAY_TASK_COUNT"));
    const uint64_t min = lo.value_or(0);
    if (*slurm_id < min) {
      return Status::InvalidArgument(where + ": SLURM_ARRAY_TASK_ID=" + std::to_string(*slurm_id) +
                                     " is below SLURM_ARRAY_TASK_MIN=" + std::to_string(min));
    }
    index = *slurm_id - min;
    if (lo && hi && (*hi < *lo || (env_count && *hi - *lo + 1 != *env_count))) {
      return Status::InvalidArgument(where + ": the Slurm array is not contiguous (SLURM_ARRAY_TASK_MIN=" +
                                     std::to_string(*lo) + ", MAX=" + std::to_string(*hi) + ", COUNT=" +
                                     (env_count ? std::to_string(*env_count) : std::string("unset")) +
                                     "): submit it as --array=A-B (step 1, no list)");
    }
    if (lo && hi && !env_count) env_count = *hi - *lo + 1;
  }
  const std::string count_var = from == "JOB_COMPLETION_INDEX" ? "JOB_COMPLETION_COUNT" : "SLURM_ARRAY_TASK_COUNT";
  if (flag_count && env_count && *flag_count != *env_count) {
    return Status::InvalidArgument(where + ": count " + std::to_string(*flag_count) + " differs from " + count_var +
                                   "=" + std::to_string(*env_count));
  }
  if (!flag_count && !env_count) {
    return Status::InvalidArgument(where + ": " + from + " gives the index but nothing gives the count: use --shard "
                                   "auto/N (N = the Job's completions / the array's size) or set " + count_var);
  }
  const uint64_t count = flag_count ? *flag_count : *env_count;
  if (count == 0 || count > 1'000'000) {
    return Status::InvalidArgument(where + ": count must be in [1, 1000000], got " + std::to_string(count));
  }
  if (index >= count) {
    return Status::InvalidArgument(where + ": index " + std::to_string(index) + " (from " + from +
                                   ") out of range for " + std::to_string(count) + " shards (numbered from 0)");
  }
  if (source) *source = from;
  return Shard{static_cast<size_t>(index), static_cast<size_t>(count)};
}

RunCoord RunAt(const SweepPlan& plan, size_t run) {
  RunCoord c;
  c.build_index = run % plan.builds.size();
  run /= plan.builds.size();
  c.seed_index = run % plan.seeds.size();
  c.point = run / plan.seeds.size();
  return c;
}

namespace {

// The value index of every parameter at `point` (last parameter fastest).
std::vector<size_t> PointIndices(const SweepPlan& plan, size_t point) {
  std::vector<size_t> idx(plan.params.size());
  for (size_t i = plan.params.size(); i-- > 0;) {
    idx[i] = point % plan.params[i].values.size();
    point /= plan.params[i].values.size();
  }
  return idx;
}

}  // namespace

Result<json> PointScenarioJson(const SweepPlan& plan, size_t point) {
  json j = plan.scenario;
  const std::vector<size_t> idx = PointIndices(plan, point);
  for (size_t i = 0; i < plan.params.size(); ++i) {
    const SweepParam& p = plan.params[i];
    if (Status s = ApplyOverride(&j, p.path + "=" + p.values[idx[i]]); !s.ok()) {
      return s.WithContext("--sweep " + p.path);
    }
  }
  return j;
}

json PointJson(const SweepPlan& plan, size_t point) {
  json out = json::object();
  const std::vector<size_t> idx = PointIndices(plan, point);
  for (size_t i = 0; i < plan.params.size(); ++i) out[plan.params[i].path] = ParseValue(plan.params[i].values[idx[i]]);
  return out;
}

Status ValidatePlan(const SweepPlan& plan) {
  if (plan.seeds.empty()) return Status::InvalidArgument("no seeds");
  if (plan.builds.empty()) return Status::InvalidArgument("no builds");
  for (const std::string& b : plan.builds) {
    if (FindBuild(b) == nullptr) return Status::InvalidArgument("unknown build '" + b + "'");
  }
  for (size_t i = 0; i < plan.params.size(); ++i) {
    if (plan.params[i].values.empty()) return Status::InvalidArgument("--sweep " + plan.params[i].path + ": no values");
    for (size_t k = 0; k < i; ++k) {
      if (plan.params[k].path == plan.params[i].path) {
        return Status::InvalidArgument("--sweep " + plan.params[i].path + ": parameter swept twice");
      }
    }
  }
  if (plan.points() > 100000) return Status::InvalidArgument("--sweep: more than 100000 points");
  if (plan.seeds.size() > kMaxSeeds) {
    return Status::InvalidArgument("seeds: more than " + std::to_string(kMaxSeeds));
  }
  if (plan.builds.size() > 1000) return Status::InvalidArgument("builds: more than 1000");
  for (size_t p = 0; p < plan.points(); ++p) {
    Result<json> j = PointScenarioJson(plan, p);
    if (!j.ok()) return j.status();
    Result<Scenario> sc = ParseScenario(j->dump());
    if (!sc.ok()) {
      std::string where;
      const json point = PointJson(plan, p);
      for (const auto& [k, v] : point.items()) where += (where.empty() ? "" : ", ") + k + "=" + v.dump();
      return sc.status().WithContext(plan.params.empty() ? std::string("scenario") : "sweep point " + where);
    }
  }
  return Status::Ok();
}

json PlanToJson(const SweepPlan& plan) {
  json params = json::array();
  for (const SweepParam& p : plan.params) params.push_back({{"param", p.path}, {"values", p.values}});
  return {{"scenario", plan.scenario}, {"sweep", params}, {"seeds", plan.seeds}, {"builds", plan.builds}};
}

Result<SweepPlan> PlanFromJson(const json& j) {
  if (!j.is_object() || !j.contains("scenario") || !j.contains("sweep") || !j.contains("seeds") || !j.contains("builds")) {
    return Status::InvalidArgument("plan: expected {scenario, sweep, seeds, builds}");
  }
  SweepPlan plan;
  try {
    plan.scenario = j["scenario"];
    for (const json& p : j["sweep"]) {
      plan.params.push_back({p.at("param").get<std::string>(), p.at("values").get<std::vector<std::string>>()});
    }
    plan.seeds = j["seeds"].get<std::vector<uint64_t>>();
    plan.builds = j["builds"].get<std::vector<std::string>>();
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("plan: ") + e.what());
  }
  SSAI_RETURN_IF_ERROR(ValidatePlan(plan).WithContext("plan"));
  return plan;
}

json RunEntry(const SweepPlan& plan, size_t run, const json& b) {
  const RunCoord c = RunAt(plan, run);
  json metrics = json::object();
  for (const MetricDef& m : kMetrics) metrics[m.name] = m.get(b);
  return {{"run", run},
          {"point_index", c.point},
          {"seed", plan.seeds[c.seed_index]},
          {"build", plan.builds[c.build_index]},
          {"metrics", metrics},
          {"latency_hist_us", b["latency_hist_us"]}};
}

json MakeShardReport(const SweepPlan& plan, Shard shard, std::vector<json> runs) {
  return {{"schema", kShardSchema},
          {"scenario_name", plan.scenario.value("name", std::string("unnamed"))},
          {"plan", PlanToJson(plan)},
          {"shard", {{"index", shard.index}, {"count", shard.count}}},
          {"runs_total", plan.runs()},
          {"runs", std::move(runs)}};
}

namespace {
Result<json> MergeShardsChecked(const std::vector<json>& shards);
}  // namespace

Result<json> MergeShards(const std::vector<json>& shards) {
  // Shard reports are files a user passes: nothing the JSON library throws may escape.
  return CatchJsonErrors("merge", [&] { return MergeShardsChecked(shards); });
}

namespace {

Result<json> MergeShardsChecked(const std::vector<json>& shards) {
  if (shards.empty()) return Status::InvalidArgument("merge: no shard reports");
  const json* plan_json = nullptr;
  size_t count = 0;
  std::vector<int> have_shard;
  for (size_t s = 0; s < shards.size(); ++s) {
    const json& sh = shards[s];
    const std::string where = "merge: input " + std::to_string(s + 1);
    if (!sh.is_object() || sh.value("schema", "") != kShardSchema) {
      return Status::InvalidArgument(where + ": not a shard report (schema " + kShardSchema +
                                     "; written by ssai sim --shard i/n)");
    }
    if (!sh.contains("plan") || !sh.contains("shard") || !sh.contains("runs") || !sh["runs"].is_array() ||
        !sh["shard"].contains("index") || !sh["shard"].contains("count")) {
      return Status::InvalidArgument(where + ": missing plan, shard or runs");
    }
    const size_t n = Num(sh["shard"]["count"]) > 0 ? static_cast<size_t>(Num(sh["shard"]["count"])) : 0;
    const size_t i = static_cast<size_t>(Num(sh["shard"]["index"], -1) < 0 ? n : Num(sh["shard"]["index"]));
    if (n == 0 || i >= n) return Status::InvalidArgument(where + ": bad shard index/count");
    if (plan_json == nullptr) {
      plan_json = &sh["plan"];
      count = n;
      have_shard.assign(n, 0);
    } else if (sh["plan"] != *plan_json) {
      return Status::InvalidArgument(where + ": a different plan (scenario, --sweep, --seeds or --build differ) than input 1");
    } else if (n != count) {
      return Status::InvalidArgument(where + ": shard count " + std::to_string(n) + " differs from input 1's " +
                                     std::to_string(count));
    }
    if (have_shard[i]++) return Status::InvalidArgument(where + ": shard " + std::to_string(i) + "/" + std::to_string(n) + " given twice");
  }
  for (size_t i = 0; i < count; ++i) {
    if (!have_shard[i]) {
      return Status::InvalidArgument("merge: shard " + std::to_string(i) + "/" + std::to_string(count) + " is missing");
    }
  }
  Result<SweepPlan> plan = PlanFromJson(*plan_json);
  if (!plan.ok()) return plan.status().WithContext("merge");
  const size_t total = plan->runs();
  std::vector<const json*> runs(total, nullptr);
  for (const json& sh : shards) {
    for (const json& r : sh["runs"]) {
      const double k = Num(r.contains("run") ? r["run"] : json(), -1);
      if (k < 0 || k >= static_cast<double>(total) || !r.contains("metrics") || !r.contains("latency_hist_us")) {
        return Status::InvalidArgument("merge: a run entry without a valid run index, metrics or latency_hist_us");
      }
      const size_t ki = static_cast<size_t>(k);
      if (ki % count != sh["shard"]["index"].get<size_t>()) {
        return Status::InvalidArgument("merge: run " + std::to_string(ki) + " in the wrong shard");
      }
      if (runs[ki] != nullptr) return Status::InvalidArgument("merge: run " + std::to_string(ki) + " appears twice");
      runs[ki] = &r;
    }
  }
  for (size_t k = 0; k < total; ++k) {
    if (runs[k] == nullptr) return Status::InvalidArgument("merge: run " + std::to_string(k) + " is missing (incomplete shard)");
  }

  // Rows: (point, build), aggregated over seeds in plan order.
  const size_t B = plan->builds.size(), S = plan->seeds.size();
  json rows = json::array();
  json ordered = json::array();
  for (size_t k = 0; k < total; ++k) ordered.push_back(*runs[k]);
  for (size_t p = 0; p < plan->points(); ++p) {
    for (size_t b = 0; b < B; ++b) {
      json row = {{"build", plan->builds[b]}, {"point_index", p}, {"point", PointJson(*plan, p)}, {"seeds", S}};
      Histogram pooled;
      int64_t held = 0;
      for (const MetricDef& m : kMetrics) {
        double sum = 0, lo = 0, hi = 0;
        size_t n = 0;
        for (size_t s = 0; s < S; ++s) {
          const json& v = Member((*runs[(p * S + s) * B + b])["metrics"], m.name);
          if (!v.is_number()) continue;
          const double x = v.get<double>();
          lo = n == 0 ? x : std::min(lo, x);
          hi = n == 0 ? x : std::max(hi, x);
          sum += x;
          ++n;
        }
        row[m.name] = n == 0 ? json(nullptr)
                             : json{{"mean", sum / static_cast<double>(n)}, {"min", lo}, {"max", hi}, {"n", n}};
      }
      for (size_t s = 0; s < S; ++s) {
        const json& r = *runs[(p * S + s) * B + b];
        Result<Histogram> h = Histogram::FromJson(r["latency_hist_us"]);
        if (!h.ok()) return h.status().WithContext("merge: run " + std::to_string((p * S + s) * B + b) + " latency_hist_us");
        pooled.Merge(*h);
        held += SeedHolds(r["metrics"]) ? 1 : 0;
      }
      // All seeds' viewer requests pooled: the latency distribution of the whole sweep point.
      row["pooled_latency_ms"] = {{"count", pooled.count()}, {"p50", pooled.Percentile(50) * 1e-3},
                                  {"p95", pooled.Percentile(95) * 1e-3}, {"p99", pooled.Percentile(99) * 1e-3},
                                  {"max", pooled.max() * 1e-3}};
      row["seed_expectations_held"] = held;
      rows.push_back(std::move(row));
    }
  }
  return json{{"schema", kSweepSchema},
              {"scenario_name", plan->scenario.value("name", std::string("unnamed"))},
              {"plan", *plan_json},
              {"points", plan->points()},
              {"runs_total", total},
              {"rows", std::move(rows)},
              {"runs", std::move(ordered)}};
}

}  // namespace

Result<json> RunShard(const SweepPlan& plan, Shard shard, const std::function<void(size_t, size_t, double)>& progress) {
  SSAI_RETURN_IF_ERROR(ValidatePlan(plan));
  if (shard.count == 0 || shard.index >= shard.count) return Status::InvalidArgument("shard index out of range");
  const size_t total = plan.runs();
  const size_t mine = total / shard.count + (shard.index < total % shard.count ? 1 : 0);
  std::vector<json> runs;
  size_t cached_point = SIZE_MAX;
  Scenario scenario;
  for (size_t k = shard.index; k < total; k += shard.count) {
    const RunCoord c = RunAt(plan, k);
    if (c.point != cached_point) {
      Result<json> j = PointScenarioJson(plan, c.point);
      if (!j.ok()) return j.status();
      Result<Scenario> sc = ParseScenario(j->dump());
      if (!sc.ok()) return sc.status();
      scenario = std::move(sc).value();
      cached_point = c.point;
    }
    RunOptions opt;
    const size_t done = runs.size();
    if (progress) opt.progress = [&, done](double f) { progress(done, mine, f); };
    Result<json> r = RunBuild(scenario, *FindBuild(plan.builds[c.build_index]), plan.seeds[c.seed_index], opt);
    if (!r.ok()) {
      return r.status().WithContext("run " + std::to_string(k) + " (" + plan.builds[c.build_index] + ", seed " +
                                    std::to_string(plan.seeds[c.seed_index]) + ")");
    }
    runs.push_back(RunEntry(plan, k, *r));
  }
  return MakeShardReport(plan, shard, std::move(runs));
}

Result<json> RunSweep(const SweepPlan& plan, const std::function<void(size_t, size_t, double)>& progress) {
  Result<json> shard = RunShard(plan, Shard{0, 1}, progress);
  if (!shard.ok()) return shard.status();
  // Through text, as a shard file would be: the combined bytes cannot depend on the path taken.
  return MergeShards({json::parse(SerializeReport(*shard))});
}

namespace {

// The sweep table's columns: cells are mean over seeds [min..max].
constexpr TableColumn kSweepColumns[] = {
    {"build", -24, "the read-path build", true},
    {"point", -30, "the swept parameters' values", true},
    {"KV hit %", -20, "share of requests answered from KV: mean over seeds [min..max]"},
    {"P95 ms", -22, "95th percentile manifest latency: mean over seeds [min..max]"},
    {"missed ad %", -22, "scheduled ad viewer-seconds shown as content: mean [min..max]"},
    {"ghost ad viewer-s", -22, "viewer-seconds of ads shown after their break ended: mean [min..max]"},
    {"Phase 1 claims met", 0,
     "seeds whose run met the Phase 1 design's claims for this build: KV hit rate within 70-90 % and manifest "
     "P95 < 100 ms (docs/phase1-design.md) / seeds"},
};

std::vector<std::vector<std::string>> SweepRows(const json& combined) {
  auto cell = [](const json& m, double scale, const char* f) -> std::string {
    if (!m.is_object()) return "-";
    return Fmt(f, Num(m["mean"]) * scale) + " [" + Fmt(f, Num(m["min"]) * scale) + ".." + Fmt(f, Num(m["max"]) * scale) + "]";
  };
  std::vector<std::vector<std::string>> rows;
  for (const json& r : combined["rows"]) {
    std::string point;
    for (const auto& [k, v] : r["point"].items()) point += (point.empty() ? "" : " ") + k.substr(k.rfind('.') + 1) + "=" + v.dump();
    if (point.empty()) point = "-";
    rows.push_back({r["build"].get<std::string>(), point, cell(r["kv_hit_rate"], 100, "%.1f"),
                    cell(r["latency_p95_ms"], 1, "%.1f"), cell(r["missed_fraction"], 100, "%.2f"),
                    cell(r["ghost_ad_viewer_s"], 1, "%.0f"),
                    std::to_string(static_cast<long long>(Num(r["seed_expectations_held"]))) + "/" +
                        std::to_string(static_cast<long long>(Num(r["seeds"])))});
  }
  return rows;
}

}  // namespace

std::string RenderSweepTable(const json& combined) {
  const size_t seeds = combined["plan"]["seeds"].size();
  return "mean over " + std::to_string(seeds) + " seed" + (seeds == 1 ? "" : "s") + " [min..max]\n" +
         TextTable(kSweepColumns, SweepRows(combined));
}

std::string RenderSweepHtml(const json& combined) {
  const json& plan = combined["plan"];
  const std::string name = combined["scenario_name"];
  // x axis: the value of a single numeric parameter, else the point index.
  const bool numeric_x = plan["sweep"].size() == 1 && std::all_of(plan["sweep"][0]["values"].begin(),
                                                                    plan["sweep"][0]["values"].end(),
                                                                    [](const json& v) {
                                                                      return ParseValue(v.get<std::string>()).is_number();
                                                                    });
  const std::string x_label = numeric_x ? plan["sweep"][0]["param"].get<std::string>() : "sweep point";
  std::vector<std::string> builds = plan["builds"].get<std::vector<std::string>>();
  auto chart = [&](const std::string& title, const std::string& y_label, const char* metric, double scale) {
    std::vector<ChartLine> lines;
    for (const std::string& b : builds) {
      ChartLine l{b, {}, {}};
      for (const json& r : combined["rows"]) {
        if (r["build"] != b) continue;
        const double x = numeric_x ? r["point"].begin()->get<double>() : Num(r["point_index"]);
        const json& m = r[metric];
        if (!m.is_object()) continue;
        l.points.emplace_back(x, Num(m["mean"]) * scale);
        l.ranges.emplace_back(Num(m["min"]) * scale, Num(m["max"]) * scale);
      }
      if (!l.points.empty()) lines.push_back(std::move(l));
    }
    return SvgLineChart(title + " (mean, bars: min..max over seeds)", x_label, y_label, lines, false, 0);
  };
  std::string h = "<!doctype html><html><head><meta charset='utf-8'><title>ssai sim sweep: " + HtmlEscape(name) +
                  "</title><style>body{font-family:sans-serif;margin:20px;max-width:1340px}"
                  "pre{background:#f4f4f4;padding:8px;overflow-x:auto}.plots{display:flex;flex-wrap:wrap;gap:12px}"
                  + std::string(kTableCss) +
                  "</style></head><body>";
  h += "<h1>ssai sim sweep: " + HtmlEscape(name) + "</h1><p>";
  for (const json& p : plan["sweep"]) {
    std::string vals;
    for (const json& v : p["values"]) vals += (vals.empty() ? "" : ", ") + v.get<std::string>();
    h += "--sweep " + HtmlEscape(p["param"].get<std::string>()) + " = " + HtmlEscape(vals) + "; ";
  }
  h += std::to_string(plan["seeds"].size()) + " seeds (" + plan["seeds"].front().dump() + ".." +
       plan["seeds"].back().dump() + "), " + std::to_string(combined["runs_total"].get<size_t>()) +
       " independent runs. Source of truth: <a href='report.json'>report.json</a>.</p>";
  const size_t seeds = plan["seeds"].size();
  h += HtmlTable(kSweepColumns, SweepRows(combined),
                 "mean over " + std::to_string(seeds) + " seed" + (seeds == 1 ? "" : "s") +
                     " [min..max]; hover a header for its meaning");
  h += "<div class='plots'>";
  h += chart("Manifest P95", "ms", "latency_p95_ms", 1);
  h += chart("KV hit rate", "hit rate", "kv_hit_rate", 1);
  h += chart("Missed ad time", "fraction of scheduled ad viewer-s", "missed_fraction", 1);
  h += chart("Ghost ad time", "viewer-s", "ghost_ad_viewer_s", 1);
  h += "</div></body></html>\n";
  return h;
}

}  // namespace ssai::sim
