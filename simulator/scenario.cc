#include "simulator/scenario.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "reference/base/json_input.h"
#include "reference/base/json_text.h"
#include "reference/base/strings.h"
#include "reference/io/files.h"
#include "reference/ssai/adbreak_state.h"

namespace ssai::sim {

namespace {

using json = nlohmann::json;

// Reads fields of one JSON object; unknown keys are errors (a typo must not silently fall back
// to a default).
class Obj {
 public:
  Obj(const json* j, std::string path) : j_(j), path_(std::move(path)) {}
  Status CheckKnown(std::initializer_list<std::string_view> keys) const {
    if (j_ == nullptr) return Status::Ok();
    // "scenario.kv.x: unknown key (allowed: ...)"; "_..." keys and "comment" are documentation.
    return CheckKnownKeys(*j_, path_, keys, /*doc_keys=*/true);
  }
  const json* Get(const char* key) const {
    if (j_ == nullptr || !j_->is_object()) return nullptr;
    auto it = j_->find(key);
    return it == j_->end() ? nullptr : &*it;
  }
  std::string Path(const char* key) const { return path_ + "." + key; }
  // The typed readers are the one field reader's (json_input.h JsonFields): a number in
  // [min, max], or (min, max] with `open_min` (a share or a rate that must not be 0).
  Status Num(const char* key, double* out, double min, double max, bool open_min = false) const {
    return j_ == nullptr ? Status::Ok() : JsonFields(*j_, path_).Number(key, out, {.min = min, .max = max, .open_min = open_min});
  }
  template <typename I>
  Status Int(const char* key, I* out, double min, double max) const {
    return j_ == nullptr ? Status::Ok() : JsonFields(*j_, path_).Integer(key, out, {.min = min, .max = max});
  }
  Status Str(const char* key, std::string* out) const {
    return j_ == nullptr ? Status::Ok() : JsonFields(*j_, path_).String(key, out);
  }
  Status Bool(const char* key, bool* out) const {
    return j_ == nullptr ? Status::Ok() : JsonFields(*j_, path_).Bool(key, out);
  }
  // Optional fields: `out` is set only when the key is present.
  Status Num(const char* key, std::optional<double>* out, double min, double max) const {
    if (Get(key) == nullptr) return Status::Ok();
    double v = 0;
    SSAI_RETURN_IF_ERROR(Num(key, &v, min, max));
    *out = v;
    return Status::Ok();
  }
  Status Bool(const char* key, std::optional<bool>* out) const {
    if (Get(key) == nullptr) return Status::Ok();
    bool v = false;
    SSAI_RETURN_IF_ERROR(Bool(key, &v));
    *out = v;
    return Status::Ok();
  }
  Status Dist(const char* key, Distribution* out) const {
    const json* v = Get(key);
    if (v == nullptr) return Status::Ok();
    Result<Distribution> d = Distribution::FromJson(*v);
    if (!d.ok()) return d.status().WithContext(Path(key));
    *out = std::move(d).value();
    return Status::Ok();
  }
  Status Windows(const char* key, std::vector<Window>* out) const {
    const json* v = Get(key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_array()) return Status::InvalidArgument(Path(key) + ": must be an array of windows");
    out->clear();
    for (size_t i = 0; i < v->size(); ++i) {
      Obj w(&(*v)[i], Path(key) + "[" + std::to_string(i) + "]");
      SSAI_RETURN_IF_ERROR(w.CheckKnown({"start_s", "end_s", "pop", "extra_ms"}));
      Window win;
      SSAI_RETURN_IF_ERROR(w.Num("start_s", &win.start_s, 0, 1e9));
      SSAI_RETURN_IF_ERROR(w.Num("end_s", &win.end_s, 0, 1e9));
      SSAI_RETURN_IF_ERROR(w.Int("pop", &win.pop, -1, 1e6));
      SSAI_RETURN_IF_ERROR(w.Num("extra_ms", &win.extra_ms, 0, 1e9));
      if (win.end_s < win.start_s) return Status::InvalidArgument(w.Path("end_s") + ": before start_s");
      out->push_back(win);
    }
    return Status::Ok();
  }

 private:
  const json* j_;
  std::string path_;
};

Result<world::DecisionBehaviour> ParseBehaviour(const std::string& v, const std::string& where) {
  if (v == "answer") return world::DecisionBehaviour::kAnswer;
  if (v == "fail") return world::DecisionBehaviour::kFail;
  if (v == "hang") return world::DecisionBehaviour::kHang;
  return Status::InvalidArgument(where + ": must be \"answer\", \"fail\" or \"hang\", got \"" + v + "\"");
}

Result<InsertionMode> ParseMode(const std::string& v, const std::string& where) {
  if (v == "ssai") return InsertionMode::kSsai;
  if (v == "sgai") return InsertionMode::kSgai;
  return Status::InvalidArgument(where + ": must be \"ssai\" or \"sgai\", got \"" + v + "\"");
}

std::vector<origin::Rendition> DefaultRenditions() {
  return {{"v1080", 5'000'000, "1920x1080", "avc1.640028,mp4a.40.2"},
          {"v720", 2'500'000, "1280x720", "avc1.64001f,mp4a.40.2"},
          {"v480", 1'200'000, "854x480", "avc1.64001e,mp4a.40.2"},
          {"v360", 800'000, "640x360", "avc1.64001e,mp4a.40.2"}};
}

std::vector<PopSpec> DefaultPops() {
  std::vector<PopSpec> pops(3);
  pops[0].name = "near";
  pops[0].coordinator_rtt = Distribution::Uniform(15, 25);
  pops[1].name = "mid";
  pops[1].coordinator_rtt = Distribution::Uniform(70, 90);
  pops[2].name = "far";
  pops[2].coordinator_rtt = Distribution::Uniform(140, 160);
  return pops;
}

}  // namespace

origin::SyntheticStreamSpec DefaultOriginStream() {
  origin::SyntheticStreamSpec spec;
  spec.segment_duration_s = 2;
  spec.window_segments = 6;
  spec.cue_flavour = origin::CueFlavour::kCueOut;
  spec.renditions = DefaultRenditions();
  return spec;
}

double TraceFraction(const std::vector<TracePoint>& trace, double t_s) {
  if (trace.empty()) return 1;
  if (t_s <= trace.front().t_s) return trace.front().fraction;
  if (t_s >= trace.back().t_s) return trace.back().fraction;
  // First point after t_s; the trace is sorted by t_s.
  const auto hi = std::upper_bound(trace.begin(), trace.end(), t_s,
                                   [](double t, const TracePoint& p) { return t < p.t_s; });
  const auto lo = hi - 1;
  return lo->fraction + (hi->fraction - lo->fraction) * (t_s - lo->t_s) / (hi->t_s - lo->t_s);
}

namespace {

// [[t_s, fraction], ...] at `path` (scenario.viewers.trace, scenario.pops[i].trace).
Status ParseTrace(const json& tr, const std::string& path, std::vector<TracePoint>* out) {
  if (!tr.is_array() || tr.empty() || tr.size() > 100000) {
    return Status::InvalidArgument(path + ": must be an array of 1..100000 [t_s, fraction] points");
  }
  for (size_t i = 0; i < tr.size(); ++i) {
    const json& pt = tr[i];
    const std::string at = path + "[" + std::to_string(i) + "]";
    if (!pt.is_array() || pt.size() != 2 || !pt[0].is_number() || !pt[1].is_number()) {
      return Status::InvalidArgument(at + ": must be [t_s, fraction], two numbers, got " + pt.dump());
    }
    const double t = pt[0].get<double>(), frac = pt[1].get<double>();
    if (!(t >= 0 && t <= 1e9)) return Status::InvalidArgument(at + ": t_s must be in [0, 1e9], got " + pt[0].dump());
    if (!(frac >= 0 && frac <= 1000)) {
      return Status::InvalidArgument(at + ": fraction must be in [0, 1000], got " + pt[1].dump());
    }
    if (i > 0 && !(t > out->back().t_s)) {
      return Status::InvalidArgument(at + ": t_s must increase, got " + pt[0].dump() + " after " +
                                     json(out->back().t_s).dump());
    }
    out->push_back({t, frac});
  }
  return Status::Ok();
}

json TraceToJson(const std::vector<TracePoint>& trace) {
  json tr = json::array();
  for (const TracePoint& p : trace) tr.push_back({p.t_s, p.fraction});
  return tr;
}

}  // namespace

RunSize EstimateRunSize(const Scenario& s) {
  RunSize r;
  const double channels = s.channels, P = static_cast<double>(s.pops.size());
  const double R = static_cast<double>(s.origin.stream.renditions.size());
  const double modes = s.viewers.sgai_fraction > 0 && s.viewers.sgai_fraction < 1 ? 2 : 1;
  const double seg = s.origin.stream.segment_duration_s;
  // run.cc: slots span the measured window plus 60 s; two uint64 POP masks and two uint8
  // rendition masks per POP, per slot and channel.
  r.segments = std::ceil((s.duration_s + 60) / seg) + 2;
  r.tally_bytes = channels * r.segments * (2 * 8 + 2 * P);
  // Breaks from the warm-up to the end; every_s = 0 is a single break.
  const double every = s.origin.breaks.every_s;
  r.breaks = every > 0 ? std::floor((s.duration_s + s.warmup_s) / every) + 1 : 1;
  r.break_bytes = channels * r.breaks * (P /* break_seen_ */ + 160 /* truth + spec + coordinator record */);
  r.cohorts = channels * P * R * modes * s.viewers.cohorts_per_group;
  r.cohort_bytes = r.cohorts * 160;  // Cohort + its pending reload event in the queue
  r.channel_bytes = channels * (8192 + 1024 * P);  // config, origin spec, coordinator, KV keys per POP
  // Demuxed: every alternate has its playlists too, and a variant reload loads 1-2 more.
  const double A = static_cast<double>(s.origin.stream.audio.size() + s.origin.stream.subtitles.size());
  r.playlist_bytes = channels * (R + A) * 16384;    // the memo's parsed playlist and spliced outputs
  r.reloads = r.cohorts * s.duration_s / std::max(1.0, std::ceil(seg)) * s.origin.PlaylistsPerReload();
  return r;
}

Status CheckRunSize(const Scenario& s) {
  const RunSize r = EstimateRunSize(s);
  auto gb = [](double b) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f GiB", b / (1 << 30));
    return std::string(buf);
  };
  auto n = [](double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", x);
    return std::string(buf);
  };
  const std::string shape = "channels " + n(s.channels) + ", POPs " + n(static_cast<double>(s.pops.size())) +
                            ", renditions " + n(static_cast<double>(s.origin.stream.renditions.size())) +
                            ", viewers.cohorts_per_group " + n(s.viewers.cohorts_per_group) + ", duration_s " +
                            n(s.duration_s);
  if (r.bytes() > kMaxRunBytes) {
    std::string why;
    if (r.tally_bytes >= std::max({r.cohort_bytes, r.break_bytes, r.channel_bytes, r.playlist_bytes})) {
      why = "per-segment ad tallies: channels x " + n(r.segments) +
            " segments ((duration_s + 60) / origin.segment_duration_s) x (16 + 2 x POPs) bytes; reduce channels or "
            "duration_s, or raise origin.segment_duration_s";
    } else if (r.playlist_bytes >= std::max({r.cohort_bytes, r.break_bytes, r.channel_bytes})) {
      why = "playlist state (a parse and the spliced outputs per channel x rendition, ~16 KiB each); reduce "
            "channels or origin.renditions";
    } else if (r.cohort_bytes >= std::max(r.break_bytes, r.channel_bytes)) {
      why = n(r.cohorts) + " cohorts (channels x POPs x renditions x modes x viewers.cohorts_per_group); reduce "
            "channels, pops, origin.renditions or viewers.cohorts_per_group";
    } else if (r.break_bytes >= r.channel_bytes) {
      why = "break state: channels x " + n(r.breaks) +
            " breaks ((duration_s + warmup_s) / origin.breaks.every_s) x POPs; reduce channels or duration_s, or "
            "raise origin.breaks.every_s";
    } else {
      why = "per-channel state; reduce channels or pops";
    }
    return Status::InvalidArgument("scenario: too large to simulate (" + shape + "): a run would need about " +
                                   gb(r.bytes()) + " of memory, over the " + gb(kMaxRunBytes) +
                                   " limit; most of it for " + why);
  }
  if (r.reloads > kMaxRunReloads) {
    return Status::InvalidArgument("scenario: too long to simulate (" + shape + "): about " + n(r.reloads) +
                                   " playlist reloads (cohorts x duration_s / segment duration), over the limit of " +
                                   n(kMaxRunReloads) +
                                   "; reduce channels, duration_s, pops, origin.renditions or viewers.cohorts_per_group");
  }
  return Status::Ok();
}

namespace {

Result<Scenario> ParseScenarioJson(const json& root) {
  Scenario s;
  s.source = root;
  Obj top(&root, "scenario");
  // Keys of the conformance format before issue 18 made it this one: say where they went.
  if (top.Get("profile") != nullptr || top.Get("api_probes") != nullptr) {
    return Status::InvalidArgument(std::string("scenario.") + (top.Get("profile") != nullptr ? "profile" : "api_probes") +
                                   ": belongs in the scenario's expect block (expect.profile, expect.api_probes)");
  }
  SSAI_RETURN_IF_ERROR(top.CheckKnown({"name", "description", "duration_s", "start_time", "channels",
                                       "pops", "kv", "coordinator", "origin", "decision", "viewers",
                                       "cost", "builds", "series_interval_s", "warmup_s",
                                       "lint_sample_every", "mode", "api_cues", "faults", "expect"}));
  SSAI_RETURN_IF_ERROR(top.Str("name", &s.name));
  SSAI_RETURN_IF_ERROR(top.Str("description", &s.description));
  SSAI_RETURN_IF_ERROR(top.Num("duration_s", &s.duration_s, 1, 7 * 86400));
  SSAI_RETURN_IF_ERROR(top.Int("channels", &s.channels, 1, 100000));
  SSAI_RETURN_IF_ERROR(top.Num("series_interval_s", &s.series_interval_s, 1, 3600));
  SSAI_RETURN_IF_ERROR(top.Num("warmup_s", &s.warmup_s, 0, 86400));
  SSAI_RETURN_IF_ERROR(top.Int("lint_sample_every", &s.lint_sample_every, 0, 1e9));
  if (const json* t = top.Get("start_time")) {
    if (!t->is_string()) return Status::InvalidArgument("scenario.start_time: must be an ISO 8601 string");
    Result<UnixMicros> parsed = ParseIso8601(t->get<std::string>());
    if (!parsed.ok()) return parsed.status().WithContext("scenario.start_time");
    s.start_time = *parsed - *parsed % kMicrosPerSecond;
  }
  if (const json* b = top.Get("builds")) {
    if (!b->is_array()) return Status::InvalidArgument("scenario.builds: must be an array of names");
    for (const json& n : *b) {
      if (!n.is_string()) return Status::InvalidArgument("scenario.builds: must be an array of names");
      s.builds.push_back(n.get<std::string>());
    }
  }

  // POPs.
  if (const json* pops = top.Get("pops")) {
    if (!pops->is_array() || pops->empty() || pops->size() > 64) {
      return Status::InvalidArgument("scenario.pops: must be an array of 1..64 POPs");
    }
    for (size_t i = 0; i < pops->size(); ++i) {
      Obj p(&(*pops)[i], "scenario.pops[" + std::to_string(i) + "]");
      SSAI_RETURN_IF_ERROR(p.CheckKnown({"name", "viewer_share", "coordinator_rtt_ms", "trace", "kv_propagation_s",
                                         "kv_latency_ms", "kv_cache"}));
      PopSpec pop;
      pop.name = "pop" + std::to_string(i);
      pop.coordinator_rtt = Distribution::Fixed(50);
      SSAI_RETURN_IF_ERROR(p.Str("name", &pop.name));
      // > 0: a POP with no share has no viewers (leave it out), and all-zero shares divide by zero.
      SSAI_RETURN_IF_ERROR(p.Num("viewer_share", &pop.viewer_share, 0, 1e9, /*open_min=*/true));
      SSAI_RETURN_IF_ERROR(p.Dist("coordinator_rtt_ms", &pop.coordinator_rtt));
      if (const json* tr = p.Get("trace")) {
        SSAI_RETURN_IF_ERROR(ParseTrace(*tr, "scenario.pops[" + std::to_string(i) + "].trace", &pop.trace));
      }
      SSAI_RETURN_IF_ERROR(p.Num("kv_propagation_s", &pop.kv_propagation_s, 0, 86400));
      SSAI_RETURN_IF_ERROR(p.Num("kv_latency_ms", &pop.kv_latency_ms, 0, 600000));
      SSAI_RETURN_IF_ERROR(p.Bool("kv_cache", &pop.kv_cache));
      for (const PopSpec& other : s.pops) {
        if (other.name == pop.name) return Status::InvalidArgument(p.Path("name") + ": '" + pop.name + "' named twice");
      }
      s.pops.push_back(std::move(pop));
    }
  } else {
    s.pops = DefaultPops();
  }

  // KV.
  Obj kv(top.Get("kv"), "scenario.kv");
  SSAI_RETURN_IF_ERROR(kv.CheckKnown({"write_latency_ms", "propagation_ms", "hot_read_ms", "cold_read_ms",
                                      "cache_ttl_s", "list_staleness_s", "write_limit_per_key_s",
                                      "propagation_model", "outages", "latency_spikes", "partitions"}));
  SSAI_RETURN_IF_ERROR(kv.Dist("write_latency_ms", &s.kv.write_latency));
  SSAI_RETURN_IF_ERROR(kv.Dist("propagation_ms", &s.kv.propagation));
  SSAI_RETURN_IF_ERROR(kv.Dist("hot_read_ms", &s.kv.hot_read));
  SSAI_RETURN_IF_ERROR(kv.Dist("cold_read_ms", &s.kv.cold_read));
  SSAI_RETURN_IF_ERROR(kv.Int("cache_ttl_s", &s.kv.cache_ttl_s, 0, 86400));
  if (s.kv.cache_ttl_s > 0 && s.kv.cache_ttl_s < 30) {
    return Status::InvalidArgument("scenario.kv.cache_ttl_s: must be in [30, 86400] (Workers KV's minimum "
                                   "cacheTtl) or 0 (no POP cache, as Redis), got " +
                                   std::to_string(s.kv.cache_ttl_s));
  }
  std::string propagation_model = s.kv.propagation_model == KvSpec::PropagationModel::kSharedFifo ? "shared_fifo" : "per_pop";
  SSAI_RETURN_IF_ERROR(kv.Str("propagation_model", &propagation_model));
  if (propagation_model == "per_pop") {
    s.kv.propagation_model = KvSpec::PropagationModel::kPerPop;
  } else if (propagation_model == "shared_fifo") {
    s.kv.propagation_model = KvSpec::PropagationModel::kSharedFifo;
  } else {
    return Status::InvalidArgument("scenario.kv.propagation_model: must be per_pop or shared_fifo, got '" +
                                   propagation_model + "'");
  }
  SSAI_RETURN_IF_ERROR(kv.Int("list_staleness_s", &s.kv.list_staleness_s, 0, 86400));
  SSAI_RETURN_IF_ERROR(kv.Num("write_limit_per_key_s", &s.kv.write_limit_per_key_s, 0, 3600));
  SSAI_RETURN_IF_ERROR(kv.Windows("outages", &s.kv.outages));
  SSAI_RETURN_IF_ERROR(kv.Windows("latency_spikes", &s.kv.latency_spikes));
  SSAI_RETURN_IF_ERROR(kv.Windows("partitions", &s.kv.partitions));

  // Coordinator.
  Obj co(top.Get("coordinator"), "scenario.coordinator");
  SSAI_RETURN_IF_ERROR(co.CheckKnown({"service_ms", "soft_limit_rps", "storage_latency_ms", "origin_refresh_s",
                                      "poll_interval_s", "decision_timeout_s", "crashes", "locations"}));
  if (const json* locs = co.Get("locations")) {
    if (!locs->is_array() || locs->size() > 1000) {
      return Status::InvalidArgument("scenario.coordinator.locations: must be an array of at most 1000 locations");
    }
    for (size_t i = 0; i < locs->size(); ++i) {
      Obj lo(&(*locs)[i], "scenario.coordinator.locations[" + std::to_string(i) + "]");
      SSAI_RETURN_IF_ERROR(lo.CheckKnown({"name", "rtt_ms"}));
      CoordinatorLocation loc{"loc" + std::to_string(i), {}};
      SSAI_RETURN_IF_ERROR(lo.Str("name", &loc.name));
      const json* rtts = lo.Get("rtt_ms");
      if (rtts == nullptr || !rtts->is_array() || rtts->size() != s.pops.size()) {
        return Status::InvalidArgument(lo.Path("rtt_ms") + ": must be an array of one distribution per POP (" +
                                       std::to_string(s.pops.size()) + ")");
      }
      for (size_t p = 0; p < rtts->size(); ++p) {
        Result<Distribution> d = Distribution::FromJson((*rtts)[p]);
        if (!d.ok()) return d.status().WithContext(lo.Path("rtt_ms") + "[" + std::to_string(p) + "]");
        loc.rtt_per_pop.push_back(std::move(d).value());
      }
      s.coordinator.locations.push_back(std::move(loc));
    }
  }
  SSAI_RETURN_IF_ERROR(co.Dist("service_ms", &s.coordinator.service));
  SSAI_RETURN_IF_ERROR(co.Num("soft_limit_rps", &s.coordinator.soft_limit_rps, 1, 1e9));
  SSAI_RETURN_IF_ERROR(co.Dist("storage_latency_ms", &s.coordinator.storage_latency));
  SSAI_RETURN_IF_ERROR(co.Num("origin_refresh_s", &s.coordinator.origin_refresh_s, 0, 3600));
  SSAI_RETURN_IF_ERROR(co.Num("poll_interval_s", &s.coordinator.poll_interval_s, 0.1, 3600));
  SSAI_RETURN_IF_ERROR(co.Num("decision_timeout_s", &s.coordinator.decision_timeout_s, 0.001, 3600));
  SSAI_RETURN_IF_ERROR(co.Windows("crashes", &s.coordinator.crashes));

  // Origin: the synthetic origin's own fields through its parser (origin::ParseSpec, the one
  // origin parser), the simulator's beside them (fetch latency, edge cache, stalls, 404s, a
  // capture or a TS), and the breaks as a schedule (an object) or a list (an array).
  Obj og(top.Get("origin"), "scenario.origin");
  if (const json* o = top.Get("origin"); o != nullptr && !o->is_object()) {
    return Status::InvalidArgument("scenario.origin: must be an object");
  }
  if (og.Get("start_time") != nullptr) {
    return Status::InvalidArgument("scenario.origin.start_time: the stream starts at the scenario's start_time "
                                   "(give it at the top level)");
  }
  SSAI_RETURN_IF_ERROR(og.Str("capture", &s.origin.capture));
  SSAI_RETURN_IF_ERROR(og.Str("ts", &s.origin.ts));
  if (!s.origin.ts.empty() && !s.origin.capture.empty()) {
    return Status::InvalidArgument("scenario.origin.ts: not with origin.capture (one origin)");
  }
  if (!s.origin.ts.empty() && og.Get("breaks") != nullptr) {
    return Status::InvalidArgument("scenario.origin.breaks: not with origin.ts: the breaks are the TS's SCTE-35 cues");
  }
  if (!s.origin.capture.empty() && og.Get("breaks") != nullptr && og.Get("breaks")->is_array()) {
    return Status::InvalidArgument("scenario.origin.breaks: not with origin.capture: the breaks are the capture's markers");
  }
  {
    static constexpr std::string_view kSimulatorKeys[] = {"fetch_latency_ms", "edge_cache_ms", "stalls", "not_found",
                                                          "breaks", "capture", "ts"};
    json stream = json::object();
    if (const json* o = top.Get("origin")) {
      for (auto it = o->begin(); it != o->end(); ++it) {
        const std::string& key = it.key();
        if (key == "comment" || key.rfind('_', 0) == 0) continue;  // documentation
        if (std::find(std::begin(kSimulatorKeys), std::end(kSimulatorKeys), key) != std::end(kSimulatorKeys)) continue;
        stream[key] = it.value();
      }
    }
    const origin::SyntheticStreamSpec defaults = DefaultOriginStream();
    if (!stream.contains("segment_duration_s")) stream["segment_duration_s"] = defaults.segment_duration_s;
    if (!stream.contains("window_segments")) stream["window_segments"] = defaults.window_segments;
    if (!stream.contains("cue_flavour")) stream["cue_flavour"] = origin::CueFlavourName(defaults.cue_flavour);
    // The simulator's rendition defaults: "r{i}" at 1 Mbit/s.
    if (stream.contains("renditions") && stream["renditions"].is_array()) {
      for (size_t i = 0; i < stream["renditions"].size(); ++i) {
        json& r = stream["renditions"][i];
        if (!r.is_object()) continue;  // the parser names it
        if (!r.contains("name")) r["name"] = "r" + std::to_string(i);
        if (!r.contains("bandwidth_bps")) r["bandwidth_bps"] = 1'000'000;
      }
    }
    if (!stream.contains("renditions")) {
      json rs = json::array();
      for (const origin::Rendition& r : defaults.renditions) {
        rs.push_back({{"name", r.name}, {"bandwidth_bps", r.bandwidth_bps}, {"resolution", r.resolution}, {"codecs", r.codecs}});
      }
      stream["renditions"] = rs;
    }
    // CMAF segments are .m4s (the simulator's and the harness's default template for them).
    if (stream.value("container", "") == "cmaf" && !stream.contains("segment_uri_template")) {
      stream["segment_uri_template"] = "seg_{rendition}_{msn}.m4s";
    }
    stream["start_time"] = FormatIso8601Millis(s.start_time);
    // Listed breaks: at_s from the start, and an early CUE-IN's planned_duration_s.
    if (const json* br = og.Get("breaks"); br != nullptr && br->is_array()) {
      if (br->size() > origin::kMaxBreaks) {
        return Status::InvalidArgument("scenario.origin.breaks: at most " + std::to_string(origin::kMaxBreaks) + " breaks");
      }
      json listed = json::array();
      for (size_t i = 0; i < br->size(); ++i) {
        const std::string where = "scenario.origin.breaks[" + std::to_string(i) + "]";
        Obj bo(&(*br)[i], where);
        if (!(*br)[i].is_object()) return Status::InvalidArgument(where + ": must be an object");
        SSAI_RETURN_IF_ERROR(bo.CheckKnown({"at_s", "duration_s", "event_id", "planned_duration_s", "in_after_s", "cancelled"}));
        json b = (*br)[i];
        double at_s = 0;
        SSAI_RETURN_IF_ERROR(JsonFields(b, where).Number("at_s", &at_s, {.min = 0, .max = 7 * 86400, .required = true}));
        b.erase("at_s");
        b["start_time"] = FormatIso8601Millis(s.start_time + SecondsToMicros(at_s));
        if (b.contains("planned_duration_s")) {
          double planned_s = 0;
          SSAI_RETURN_IF_ERROR(JsonFields(b, where).Number("planned_duration_s", &planned_s, {.min = 0, .max = 86400, .open_min = true}));
          if (!b.contains("event_id") || !b["event_id"].is_number_unsigned() || b["event_id"].get<uint64_t>() > 0xFFFFFFFFull) {
            return Status::InvalidArgument(where + ": planned_duration_s needs an event_id");
          }
          s.origin.planned_duration_s[b["event_id"].get<uint32_t>()] = planned_s;
          b.erase("planned_duration_s");
        }
        listed.push_back(std::move(b));
      }
      stream["breaks"] = std::move(listed);
      s.origin.breaks_listed = true;
    }
    Result<origin::SyntheticStreamSpec> spec = origin::ParseSpec(stream.dump(), "scenario.origin");
    if (!spec.ok()) return spec.status();
    s.origin.stream = std::move(spec).value();
  }
  const origin::SyntheticStreamSpec& st = s.origin.stream;
  if (st.segment_duration_s < 0.5 || st.segment_duration_s > 60) {
    return Status::InvalidArgument("scenario.origin.segment_duration_s: must be in [0.5, 60]");
  }
  if (st.window_segments > 1000) return Status::InvalidArgument("scenario.origin.window_segments: must be in [1, 1000]");
  if (st.renditions.empty() || st.renditions.size() > 8) {
    return Status::InvalidArgument("scenario.origin.renditions: must be an array of 1..8 renditions");
  }
  if ((!st.audio.empty() || !st.subtitles.empty()) && (!s.origin.capture.empty() || !s.origin.ts.empty())) {
    return Status::InvalidArgument(std::string("scenario.origin.") + (st.audio.empty() ? "subtitles" : "audio") +
                                   ": the synthetic origin's (not with origin.capture or origin.ts)");
  }
  for (const auto& [id, planned_s] : s.origin.planned_duration_s) {
    if (st.cue_flavour != origin::CueFlavour::kCueOut && st.cue_flavour != origin::CueFlavour::kDateRange) {
      return Status::InvalidArgument("scenario.origin.breaks: planned_duration_s (early CUE-IN) needs cue_flavour cue_out or "
                                     "daterange (the other flavours carry the duration inside binary SCTE-35)");
    }
    const origin::ScheduledBreak* early = nullptr;
    for (const origin::ScheduledBreak& b : st.breaks) {
      if (b.event_id == id) early = &b;
    }
    if (early == nullptr) return Status::InvalidArgument("scenario.origin.breaks: planned_duration_s on unknown event_id");
    if (planned_s <= early->duration_s) {
      return Status::InvalidArgument("scenario.origin.breaks: planned_duration_s must exceed duration_s (an early IN)");
    }
    for (const origin::ScheduledBreak& b : st.breaks) {
      if (&b != early && b.duration_s == early->duration_s) {
        return Status::InvalidArgument("scenario.origin.breaks: an early-IN break's duration_s must differ from every other break's");
      }
    }
  }
  SSAI_RETURN_IF_ERROR(og.Dist("fetch_latency_ms", &s.origin.fetch_latency));
  SSAI_RETURN_IF_ERROR(og.Num("edge_cache_ms", &s.origin.edge_cache_ms, 0, 60000));
  SSAI_RETURN_IF_ERROR(og.Windows("stalls", &s.origin.stalls));
  SSAI_RETURN_IF_ERROR(og.Windows("not_found", &s.origin.not_found));
  Obj br(s.origin.breaks_listed ? nullptr : og.Get("breaks"), "scenario.origin.breaks");
  if (const json* b = og.Get("breaks"); b != nullptr && !b->is_object() && !b->is_array()) {
    return Status::InvalidArgument("scenario.origin.breaks: must be a schedule (an object) or a list of breaks (an array)");
  }
  SSAI_RETURN_IF_ERROR(br.CheckKnown({"first_s", "every_s", "duration_s", "stagger_s", "source"}));
  std::string source = "scte35";
  SSAI_RETURN_IF_ERROR(br.Str("source", &source));
  if (source == "api") {
    s.origin.breaks.source = BreakSource::kApi;
  } else if (source != "scte35") {
    return Status::InvalidArgument("scenario.origin.breaks.source: unknown '" + source + "' (scte35, api)");
  }
  if (s.origin.breaks.source == BreakSource::kApi && !s.origin.capture.empty()) {
    return Status::InvalidArgument("scenario.origin.breaks.source: 'api' needs the synthetic origin (a capture carries its own cues)");
  }
  SSAI_RETURN_IF_ERROR(br.Num("first_s", &s.origin.breaks.first_s, 0, 1e9));
  SSAI_RETURN_IF_ERROR(br.Num("every_s", &s.origin.breaks.every_s, 0, 1e9));
  SSAI_RETURN_IF_ERROR(br.Num("duration_s", &s.origin.breaks.duration_s, 1, 3600));
  SSAI_RETURN_IF_ERROR(br.Num("stagger_s", &s.origin.breaks.stagger_s, 0, 1e6));
  if (s.origin.breaks.every_s > 0 && s.origin.breaks.every_s <= s.origin.breaks.duration_s) {
    return Status::InvalidArgument("scenario.origin.breaks.every_s: must exceed duration_s (breaks never overlap)");
  }
  // "none": an origin without markers, whose breaks come only from the cue API.
  if (st.cue_flavour == origin::CueFlavour::kNone && s.origin.breaks.source != BreakSource::kApi &&
      !(s.origin.breaks_listed && st.breaks.empty())) {
    return Status::InvalidArgument("scenario.origin.cue_flavour: 'none' marks no break: give origin.breaks.source "
                                   "\"api\" or no origin breaks (\"breaks\": [])");
  }

  // Decision.
  Obj de(top.Get("decision"), "scenario.decision");
  SSAI_RETURN_IF_ERROR(de.CheckKnown({"latency_ms", "failure_rate", "ads_per_pod", "ad_duration_s", "pods_of_creatives",
                                      "behaviour", "pod_id", "ads", "vast"}));
  SSAI_RETURN_IF_ERROR(de.Dist("latency_ms", &s.decision.latency));
  SSAI_RETURN_IF_ERROR(de.Num("failure_rate", &s.decision.failure_rate, 0, 1));
  SSAI_RETURN_IF_ERROR(de.Int("ads_per_pod", &s.decision.ads_per_pod, 0, 100));
  SSAI_RETURN_IF_ERROR(de.Num("ad_duration_s", &s.decision.ad_duration_s, 1, 600));
  SSAI_RETURN_IF_ERROR(de.Bool("pods_of_creatives", &s.decision.pods_of_creatives));
  if (de.Get("behaviour") != nullptr) {
    std::string b;
    SSAI_RETURN_IF_ERROR(de.Str("behaviour", &b));
    SSAI_ASSIGN_OR_RETURN(s.decision.behaviour, ParseBehaviour(b, de.Path("behaviour")));
  }
  SSAI_RETURN_IF_ERROR(de.Str("pod_id", &s.decision.pod_id));
  if (const json* ads = de.Get("ads")) {
    if (!ads->is_array() || ads->size() > 100) return Status::InvalidArgument("scenario.decision.ads: must be an array of at most 100");
    if (de.Get("ads_per_pod") != nullptr || de.Get("ad_duration_s") != nullptr) {
      return Status::InvalidArgument("scenario.decision.ads: lists the pod; not with ads_per_pod or ad_duration_s");
    }
    for (size_t i = 0; i < ads->size(); ++i) {
      Obj a(&(*ads)[i], "scenario.decision.ads[" + std::to_string(i) + "]");
      if (!(*ads)[i].is_object()) {
        return Status::InvalidArgument("scenario.decision.ads[" + std::to_string(i) + "]: must be an object");
      }
      SSAI_RETURN_IF_ERROR(a.CheckKnown({"id", "duration_s", "segment_duration_s", "audio_languages"}));
      world::AdSpec ad;
      SSAI_RETURN_IF_ERROR(JsonFields((*ads)[i], "scenario.decision.ads[" + std::to_string(i) + "]").String("id", &ad.id, true));
      if (a.Get("duration_s") == nullptr) return Status::InvalidArgument(a.Path("duration_s") + ": missing");
      SSAI_RETURN_IF_ERROR(a.Num("duration_s", &ad.duration_s, 0, 3600, /*open_min=*/true));
      if (a.Get("segment_duration_s") != nullptr) {
        SSAI_RETURN_IF_ERROR(a.Num("segment_duration_s", &ad.segment_duration_s, 0.1, 60));
      }
      if (i > 0 && (ad.segment_duration_s > 0) != (s.decision.ads.back().segment_duration_s > 0)) {
        return Status::InvalidArgument(a.Path("segment_duration_s") + ": must be given on every ad or on none");
      }
      if (const json* langs = a.Get("audio_languages")) {
        if (!langs->is_array() || langs->empty() || langs->size() > kMaxAdAudioLanguages) {
          return Status::InvalidArgument(a.Path("audio_languages") + ": must be a non-empty array of at most " +
                                         std::to_string(kMaxAdAudioLanguages) + " languages");
        }
        for (const json& l : *langs) {
          const bool known = l.is_string() && std::any_of(s.origin.stream.audio.begin(), s.origin.stream.audio.end(),
                                                            [&](const origin::AlternateRendition& r) {
                                                              return r.language == l.get<std::string>();
                                                            });
          if (!known) return Status::InvalidArgument(a.Path("audio_languages") + ": not a language of origin.audio: " + l.dump());
          ad.audio_languages.push_back(l.get<std::string>());
        }
      }
      s.decision.ads.push_back(std::move(ad));
    }
  }
  if (const json* v = de.Get("vast")) {
    Obj vo(v, "scenario.decision.vast");
    SSAI_RETURN_IF_ERROR(vo.CheckKnown({"tag", "expect_error_code"}));
    SSAI_RETURN_IF_ERROR(JsonFields(*v, "scenario.decision.vast").String("tag", &s.decision.vast.tag, true));
    const std::string& tag = s.decision.vast.tag;
    const bool chars_ok = std::all_of(tag.begin(), tag.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' || c == '.';
    });
    if (tag.empty() || tag.size() > 128 || !chars_ok || tag.find("..") != std::string::npos || !tag.ends_with(".xml")) {
      return Status::InvalidArgument("scenario.decision.vast.tag: must be a path under /vast/ of the harness's ad server ending in .xml");
    }
    if (tag.starts_with("wrapper/")) {
      std::optional<int64_t> n = ParseInt64(tag.substr(8, tag.find('/', 8) - 8));
      if (!n || *n < 1 || *n > 20) return Status::InvalidArgument("scenario.decision.vast.tag: wrapper/{n}/...: n must be 1..20");
      s.decision.vast.wrappers = static_cast<int>(*n);
    }
    SSAI_RETURN_IF_ERROR(vo.Int("expect_error_code", &s.decision.vast.expect_error_code, 0, 999));
    if (s.decision.ads.empty()) {
      return Status::InvalidArgument("scenario.decision.vast: needs decision.ads (the ad server's pod)");
    }
    for (const world::AdSpec& a : s.decision.ads) {
      if (a.segment_duration_s <= 0 || a.segment_duration_s != s.decision.ads[0].segment_duration_s) {
        return Status::InvalidArgument("scenario.decision.ads: with decision.vast every ad gives the same segment_duration_s "
                                       "(the ad server's creatives are segmented at one duration)");
      }
    }
  }

  // Top-level mode (the listed viewers' default).
  if (top.Get("mode") != nullptr) {
    std::string m;
    SSAI_RETURN_IF_ERROR(top.Str("mode", &m));
    SSAI_ASSIGN_OR_RETURN(s.mode, ParseMode(m, "scenario.mode"));
  }
  const auto find_pop = [&](const std::string& name) {
    return std::any_of(s.pops.begin(), s.pops.end(), [&](const PopSpec& p) { return p.name == name; });
  };

  // Viewers: a population (an object) or a list of viewers (an array).
  const json* viewers_json = top.Get("viewers");
  if (viewers_json != nullptr && viewers_json->is_array()) {
    if (viewers_json->size() > 1000) return Status::InvalidArgument("scenario.viewers: a list of at most 1000 viewers");
    s.viewers.listed = true;
    int64_t total = 0;
    for (size_t i = 0; i < viewers_json->size(); ++i) {
      const std::string where = "scenario.viewers[" + std::to_string(i) + "]";
      const json& v = (*viewers_json)[i];
      if (!v.is_object()) return Status::InvalidArgument(where + ": must be an object");
      Obj vo(&v, where);
      SSAI_RETURN_IF_ERROR(vo.CheckKnown({"pop", "join_s", "leave_s", "renditions", "mode", "count"}));
      world::ListedViewer viewer;
      SSAI_RETURN_IF_ERROR(JsonFields(v, where).String("pop", &viewer.pop, true));
      if (!find_pop(viewer.pop)) return Status::InvalidArgument(where + ".pop: unknown pop '" + viewer.pop + "'");
      SSAI_RETURN_IF_ERROR(vo.Num("join_s", &viewer.join_s, 0, 7 * 86400));
      SSAI_RETURN_IF_ERROR(vo.Num("leave_s", &viewer.leave_s, 0, 7 * 86400));
      if (const json* rs = vo.Get("renditions")) {
        if (!rs->is_array()) return Status::InvalidArgument(where + ".renditions: must be an array of names");
        for (const json& r : *rs) {
          if (!r.is_string() || origin::FindRendition(s.origin.stream, r.get<std::string>()) == nullptr) {
            return Status::InvalidArgument(where + ".renditions: unknown rendition " + r.dump());
          }
          viewer.renditions.push_back(r.get<std::string>());
        }
      }
      if (vo.Get("mode") != nullptr) {
        std::string m;
        SSAI_RETURN_IF_ERROR(vo.Str("mode", &m));
        SSAI_ASSIGN_OR_RETURN(viewer.mode, ParseMode(m, where + ".mode"));
      }
      SSAI_RETURN_IF_ERROR(vo.Int("count", &viewer.count, 1, 1000));
      total += viewer.count;
      s.viewers.list.push_back(std::move(viewer));
    }
    if (total > 1000) return Status::InvalidArgument("scenario.viewers: at most 1000 listed viewers (counts included)");
    viewers_json = nullptr;  // the population fields keep their defaults (unused)
  } else if (viewers_json != nullptr && !viewers_json->is_object()) {
    return Status::InvalidArgument("scenario.viewers: must be a population (an object) or a list of viewers (an array)");
  } else if (s.mode == InsertionMode::kSgai) {
    return Status::InvalidArgument("scenario.mode: the listed viewers' default mode; a population's SGAI share is "
                                   "viewers.sgai_fraction");
  }
  Obj vw(viewers_json, "scenario.viewers");
  SSAI_RETURN_IF_ERROR(vw.CheckKnown({"viewers_per_channel", "rendition_shares", "sgai_fraction",
                                      "cohorts_per_group", "mean_session_s", "ramp_s", "trace"}));
  SSAI_RETURN_IF_ERROR(vw.Int("viewers_per_channel", &s.viewers.viewers_per_channel, 0, 1e10));
  SSAI_RETURN_IF_ERROR(vw.Num("sgai_fraction", &s.viewers.sgai_fraction, 0, 1));
  SSAI_RETURN_IF_ERROR(vw.Int("cohorts_per_group", &s.viewers.cohorts_per_group, 1, 64));
  SSAI_RETURN_IF_ERROR(vw.Num("mean_session_s", &s.viewers.mean_session_s, 1, 1e9));
  SSAI_RETURN_IF_ERROR(vw.Num("ramp_s", &s.viewers.ramp_s, 0, 1e9));
  if (const json* tr = vw.Get("trace")) {
    SSAI_RETURN_IF_ERROR(ParseTrace(*tr, "scenario.viewers.trace", &s.viewers.trace));
    if (s.viewers.ramp_s > 0) {
      return Status::InvalidArgument("scenario.viewers: trace and ramp_s exclude each other (a trace starting at 0 is a ramp)");
    }
  }
  for (size_t i = 0; i < s.pops.size(); ++i) {
    if (!s.pops[i].trace.empty() && s.viewers.ramp_s > 0) {
      return Status::InvalidArgument("scenario.pops[" + std::to_string(i) +
                                     "].trace: excludes scenario.viewers.ramp_s (a trace starting at 0 is a ramp)");
    }
  }
  if (const json* rs = vw.Get("rendition_shares")) {
    if (!rs->is_array() || rs->size() != s.origin.stream.renditions.size()) {
      return Status::InvalidArgument("scenario.viewers.rendition_shares: one number per rendition");
    }
    double total = 0;
    for (const json& x : *rs) {
      if (!x.is_number() || !(x.get<double>() >= 0 && x.get<double>() <= 1e9)) {
        return Status::InvalidArgument("scenario.viewers.rendition_shares: numbers in [0, 1e9], got " + x.dump());
      }
      s.viewers.rendition_shares.push_back(x.get<double>());
      total += x.get<double>();
    }
    if (!(total > 0)) return Status::InvalidArgument("scenario.viewers.rendition_shares: at least one must be > 0");
  } else {
    s.viewers.rendition_shares.assign(s.origin.stream.renditions.size(), 1.0);
  }

  Obj cost(top.Get("cost"), "scenario.cost");
  SSAI_RETURN_IF_ERROR(cost.CheckKnown({"kv_read_usd_per_million", "kv_write_usd_per_million",
                                        "coordinator_request_usd_per_million"}));
  SSAI_RETURN_IF_ERROR(cost.Num("kv_read_usd_per_million", &s.cost.kv_read_usd_per_million, 0, 1e6));
  SSAI_RETURN_IF_ERROR(cost.Num("kv_write_usd_per_million", &s.cost.kv_write_usd_per_million, 0, 1e6));
  SSAI_RETURN_IF_ERROR(cost.Num("coordinator_request_usd_per_million",
                                &s.cost.coordinator_request_usd_per_million, 0, 1e6));

  // Cue API calls on a schedule.
  if (const json* cues = top.Get("api_cues")) {
    if (!cues->is_array() || cues->size() > 10000) return Status::InvalidArgument("scenario.api_cues: must be an array of at most 10000");
    for (size_t i = 0; i < cues->size(); ++i) {
      const std::string where = "scenario.api_cues[" + std::to_string(i) + "]";
      const json& c = (*cues)[i];
      if (!c.is_object()) return Status::InvalidArgument(where + ": must be an object");
      Obj co2(&c, where);
      SSAI_RETURN_IF_ERROR(co2.CheckKnown({"at_s", "duration_s", "pod_id", "expect_duplicate", "action"}));
      world::ApiCueSpec cue;
      SSAI_RETURN_IF_ERROR(JsonFields(c, where).Number("at_s", &cue.at_s, {.min = 0, .max = 7 * 86400, .required = true}));
      if (const json* action = co2.Get("action")) {
        if (!action->is_string() || (*action != "start" && *action != "stop")) {
          return Status::InvalidArgument(where + ".action: must be \"start\" or \"stop\"");
        }
        cue.stop = *action == "stop";
      }
      if (cue.stop) {
        for (const char* start_only : {"duration_s", "pod_id", "expect_duplicate"}) {
          if (co2.Get(start_only) != nullptr) {
            return Status::InvalidArgument(where + "." + start_only + ": not allowed with action \"stop\"");
          }
        }
      } else {
        // The cue API's own range is checked by the target (the API probes send bad ones on purpose).
        SSAI_RETURN_IF_ERROR(
            JsonFields(c, where).Number("duration_s", &cue.duration_s, {.min = -86400, .max = 86400, .required = true}));
        SSAI_RETURN_IF_ERROR(co2.Str("pod_id", &cue.pod_id));
        SSAI_RETURN_IF_ERROR(co2.Bool("expect_duplicate", &cue.expect_duplicate));
      }
      s.api_cues.push_back(std::move(cue));
    }
    std::stable_sort(s.api_cues.begin(), s.api_cues.end(),
                     [](const world::ApiCueSpec& a, const world::ApiCueSpec& b) { return a.at_s < b.at_s; });
  }

  // Faults on a schedule (the fault windows of kv, coordinator and origin are the simulator's
  // other way to state them).
  if (const json* faults = top.Get("faults")) {
    if (!faults->is_array() || faults->size() > 10000) return Status::InvalidArgument("scenario.faults: must be an array of at most 10000");
    for (size_t i = 0; i < faults->size(); ++i) {
      const std::string where = "scenario.faults[" + std::to_string(i) + "]";
      const json& f = (*faults)[i];
      if (!f.is_object()) return Status::InvalidArgument(where + ": must be an object");
      Obj fo(&f, where);
      SSAI_RETURN_IF_ERROR(fo.CheckKnown({"at_s", "kind", "pop", "delay_s", "rtt_ms", "behaviour"}));
      world::FaultSpec fault;
      SSAI_RETURN_IF_ERROR(JsonFields(f, where).Number("at_s", &fault.at_s, {.min = 0, .max = 7 * 86400, .required = true}));
      SSAI_RETURN_IF_ERROR(JsonFields(f, where).String("kind", &fault.kind, true));
      if (fault.kind == "coordinator_restart") {
      } else if (fault.kind == "decision") {
        std::string b;
        SSAI_RETURN_IF_ERROR(JsonFields(f, where).String("behaviour", &b, true));
        SSAI_ASSIGN_OR_RETURN(fault.behaviour, ParseBehaviour(b, where + ".behaviour"));
      } else if (fault.kind == "kv_propagation" || fault.kind == "coordinator_rtt") {
        SSAI_RETURN_IF_ERROR(JsonFields(f, where).String("pop", &fault.pop, true));
        if (!find_pop(fault.pop)) return Status::InvalidArgument(where + ".pop: unknown pop '" + fault.pop + "'");
        const bool delay = fault.kind == "kv_propagation";
        SSAI_RETURN_IF_ERROR(JsonFields(f, where).Number(delay ? "delay_s" : "rtt_ms", &fault.value,
                                                         {.min = 0, .max = delay ? 86400.0 : 600000.0, .required = true}));
      } else {
        return Status::InvalidArgument(where + ".kind: must be coordinator_restart, decision, kv_propagation or "
                                       "coordinator_rtt, got \"" + fault.kind + "\"");
      }
      s.faults.push_back(std::move(fault));
    }
    std::stable_sort(s.faults.begin(), s.faults.end(),
                     [](const world::FaultSpec& a, const world::FaultSpec& b) { return a.at_s < b.at_s; });
  }

  // What a conformance run expects: read by the conformance side (conformance/scenario.cc), which
  // knows the profile's fields; an object here.
  if (const json* e = top.Get("expect")) {
    if (!e->is_object()) return Status::InvalidArgument("scenario.expect: must be an object");
    s.expect = *e;
  }

  // Fault windows name a POP by index: -1 (all) or one that exists.
  const auto check_pops = [&](const std::vector<Window>& ws, const std::string& path) -> Status {
    for (size_t i = 0; i < ws.size(); ++i) {
      if (ws[i].pop >= static_cast<int>(s.pops.size())) {
        return Status::InvalidArgument(path + "[" + std::to_string(i) + "].pop: must be -1 (all) or in [0, " +
                                       std::to_string(s.pops.size() - 1) + "] (a POP index), got " +
                                       std::to_string(ws[i].pop));
      }
    }
    return Status::Ok();
  };
  for (const auto& [path, windows] : FaultWindows(s)) SSAI_RETURN_IF_ERROR(check_pops(*windows, std::string(path)));
  // Every field is within its range; their product may still not fit (issue 13: 100,000
  // channels for 7 days died with bad_alloc). Refuse that now, naming what to reduce.
  SSAI_RETURN_IF_ERROR(CheckRunSize(s));
  return s;
}

}  // namespace

std::vector<std::pair<std::string_view, const std::vector<Window>*>> FaultWindows(const Scenario& s) {
  return {{"scenario.kv.outages", &s.kv.outages},           {"scenario.kv.latency_spikes", &s.kv.latency_spikes},
          {"scenario.kv.partitions", &s.kv.partitions},     {"scenario.coordinator.crashes", &s.coordinator.crashes},
          {"scenario.origin.stalls", &s.origin.stalls},     {"scenario.origin.not_found", &s.origin.not_found}};
}

std::vector<origin::ScheduledBreak> ChannelBreaks(const Scenario& s, int channel) {
  if (!s.origin.capture.empty() || !s.origin.ts.empty()) return {};
  if (s.origin.breaks_listed) return s.origin.stream.breaks;
  std::vector<origin::ScheduledBreak> out;
  const BreakScheduleSpec& b = s.origin.breaks;
  for (int k = 0;; ++k) {
    const double at_s = b.first_s + channel * b.stagger_s + k * b.every_s;
    if (at_s >= s.duration_s || (k > 0 && b.every_s <= 0)) break;
    out.push_back({s.start_time + SecondsToMicros(at_s), b.duration_s, static_cast<uint32_t>(1000 + k)});
  }
  return out;
}

Result<Scenario> ParseScenario(std::string_view json_text) {
  // Bounded nesting, and nothing the JSON library throws escapes (the readers below check types).
  SSAI_ASSIGN_OR_RETURN(json root, ParseJsonInput(json_text, "scenario"));
  return CatchJsonErrors("scenario", [&] { return ParseScenarioJson(root); });
}

Result<nlohmann::json> ReadScenarioFile(const std::string& path, size_t max_bytes) {
  SSAI_ASSIGN_OR_RETURN(std::string text, io::ReadInputToString(path, max_bytes));
  SSAI_ASSIGN_OR_RETURN(json j, ParseJsonInput(text, path));  // bounded nesting
  if (Status s = ResolveScenarioPaths(&j, path); !s.ok()) return s.WithContext(path);
  return j;
}

Status ResolveScenarioPaths(nlohmann::json* scenario_json, const std::string& scenario_file) {
  namespace fs = std::filesystem;
  if (!scenario_json->is_object() || !scenario_json->contains("origin") || !(*scenario_json)["origin"].is_object()) {
    return Status::Ok();  // ParseScenario reports what is wrong with it
  }
  json& origin = (*scenario_json)["origin"];
  const fs::path dir = fs::path(scenario_file).parent_path();
  for (const char* key : {"capture", "ts"}) {
    if (!origin.contains(key) || !origin[key].is_string()) continue;
    const std::string given = origin[key].get<std::string>();
    if (given.empty() || fs::path(given).is_absolute() || dir.empty()) continue;
    const fs::path resolved = (dir / given).lexically_normal();
    std::error_code ec;
    if (!fs::exists(resolved, ec) && fs::exists(given, ec)) {
      return Status::InvalidArgument("scenario.origin." + std::string(key) + ": '" + given + "' is not next to the scenario (" +
                                     resolved.string() + "): paths in a scenario file are relative to the file; "
                                     "write it relative to " + dir.string() + " or absolute");
    }
    origin[key] = resolved.string();
  }
  return Status::Ok();
}

Status ApplyOverride(nlohmann::json* scenario_json, std::string_view assignment) {
  const size_t eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return Status::InvalidArgument("override '" + std::string(assignment) + "': expected path=value");
  }
  const std::string path(assignment.substr(0, eq));
  const std::string text(assignment.substr(eq + 1));
  // The value and the path both add nesting to the scenario: keep the whole within kMaxJsonDepth.
  if (std::count(path.begin(), path.end(), '.') >= 16) {
    return Status::InvalidArgument("override '" + path + "': more than 16 path components");
  }
  if (Status s = CheckJsonNesting(text, kMaxJsonDepth - 16); !s.ok()) {
    return Status::InvalidArgument("override '" + path + "': " + s.message());
  }
  json value = json::parse(text, nullptr, false);
  if (value.is_discarded()) value = text;
  json* node = scenario_json;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (key.empty()) return Status::InvalidArgument("override '" + path + "': empty path component");
    if (!node->is_object()) {
      if (node->is_null()) *node = json::object();
      else return Status::InvalidArgument("override '" + path + "': '" + key + "' is inside a non-object");
    }
    if (dot == std::string::npos) {
      (*node)[key] = value;
      return Status::Ok();
    }
    node = &(*node)[key];
    start = dot + 1;
  }
}

nlohmann::json ScenarioToJson(const Scenario& s) {
  json pops = json::array();
  for (const PopSpec& p : s.pops) {
    pops.push_back({{"name", p.name}, {"viewer_share", p.viewer_share},
                    {"coordinator_rtt_ms", p.coordinator_rtt.ToJson()}});
    // Only when set, so scenarios without one keep their reports' bytes.
    if (!p.trace.empty()) pops.back()["trace"] = TraceToJson(p.trace);
  }
  auto windows = [](const std::vector<Window>& ws) {
    json a = json::array();
    for (const Window& w : ws) {
      a.push_back({{"start_s", w.start_s}, {"end_s", w.end_s}, {"pop", w.pop}, {"extra_ms", w.extra_ms}});
    }
    return a;
  };
  json rends = json::array();
  for (const origin::Rendition& r : s.origin.stream.renditions) {
    rends.push_back({{"name", r.name}, {"bandwidth_bps", r.bandwidth_bps}});
  }
  json j = {
      {"name", s.name},
      {"description", s.description},
      {"duration_s", s.duration_s},
      {"start_time", FormatIso8601Millis(s.start_time)},
      {"channels", s.channels},
      {"series_interval_s", s.series_interval_s},
      {"warmup_s", s.warmup_s},
      {"lint_sample_every", s.lint_sample_every},
      {"builds", s.builds},
      {"pops", pops},
      {"kv",
       {{"write_latency_ms", s.kv.write_latency.ToJson()},
        {"propagation_ms", s.kv.propagation.ToJson()},
        {"hot_read_ms", s.kv.hot_read.ToJson()},
        {"cold_read_ms", s.kv.cold_read.ToJson()},
        {"cache_ttl_s", s.kv.cache_ttl_s},
        {"propagation_model", s.kv.propagation_model == KvSpec::PropagationModel::kSharedFifo ? "shared_fifo" : "per_pop"},
        {"list_staleness_s", s.kv.list_staleness_s},
        {"write_limit_per_key_s", s.kv.write_limit_per_key_s},
        {"outages", windows(s.kv.outages)},
        {"latency_spikes", windows(s.kv.latency_spikes)},
        {"partitions", windows(s.kv.partitions)}}},
      {"coordinator",
       {{"service_ms", s.coordinator.service.ToJson()},
        {"soft_limit_rps", s.coordinator.soft_limit_rps},
        {"storage_latency_ms", s.coordinator.storage_latency.ToJson()},
        {"origin_refresh_s", s.coordinator.origin_refresh_s},
        {"poll_interval_s", s.coordinator.poll_interval_s},
        {"decision_timeout_s", s.coordinator.decision_timeout_s},
        {"crashes", windows(s.coordinator.crashes)}}},
      {"origin",
       {{"segment_duration_s", s.origin.stream.segment_duration_s},
        {"window_segments", s.origin.stream.window_segments},
        {"cue_flavour", origin::CueFlavourName(s.origin.stream.cue_flavour)},
        {"renditions", rends},
        {"fetch_latency_ms", s.origin.fetch_latency.ToJson()},
        {"edge_cache_ms", s.origin.edge_cache_ms},
        {"stalls", windows(s.origin.stalls)},
        {"not_found", windows(s.origin.not_found)},
        {"breaks",
         {{"first_s", s.origin.breaks.first_s},
          {"every_s", s.origin.breaks.every_s},
          {"duration_s", s.origin.breaks.duration_s},
          {"stagger_s", s.origin.breaks.stagger_s}}}}},
      {"decision",
       {{"latency_ms", s.decision.latency.ToJson()},
        {"failure_rate", s.decision.failure_rate},
        {"ads_per_pod", s.decision.ads_per_pod},
        {"ad_duration_s", s.decision.ad_duration_s},
        {"pods_of_creatives", s.decision.pods_of_creatives}}},
      {"viewers",
       {{"viewers_per_channel", s.viewers.viewers_per_channel},
        {"rendition_shares", s.viewers.rendition_shares},
        {"sgai_fraction", s.viewers.sgai_fraction},
        {"cohorts_per_group", s.viewers.cohorts_per_group},
        {"mean_session_s", s.viewers.mean_session_s},
        {"ramp_s", s.viewers.ramp_s}}},
      {"cost",
       {{"kv_read_usd_per_million", s.cost.kv_read_usd_per_million},
        {"kv_write_usd_per_million", s.cost.kv_write_usd_per_million},
        {"coordinator_request_usd_per_million", s.cost.coordinator_request_usd_per_million}}},
  };
  // Only when set, so scenarios without them keep their reports' bytes.
  if (!s.origin.capture.empty()) j["origin"]["capture"] = s.origin.capture;
  const origin::SyntheticStreamSpec& st = s.origin.stream;
  if (st.container != "ts") j["origin"]["container"] = st.container;
  for (int kind = 0; kind < 2; ++kind) {
    const std::vector<origin::AlternateRendition>& alts = kind == 0 ? st.audio : st.subtitles;
    if (alts.empty()) continue;
    json a = json::array();
    for (const origin::AlternateRendition& r : alts) {
      a.push_back({{"id", r.id}, {"name", r.name}, {"language", r.language}, {"default", r.is_default}});
    }
    j["origin"][kind == 0 ? "audio" : "subtitles"] = std::move(a);
  }
  if (!s.origin.ts.empty()) {
    j["origin"]["ts"] = s.origin.ts;
    j["origin"].erase("breaks");  // the TS's cues (a schedule next to it is refused)
  }
  if (s.origin.breaks.source == BreakSource::kApi) j["origin"]["breaks"]["source"] = "api";
  // The synthetic origin's other settings and what a conformance scenario states (issue 18), each
  // only when it differs from the default.
  const origin::SyntheticStreamSpec unset;
  if (st.target_duration_s != unset.target_duration_s) j["origin"]["target_duration_s"] = st.target_duration_s;
  if (st.repeat_cue != unset.repeat_cue) j["origin"]["repeat_cue"] = st.repeat_cue;
  if (st.omit_cue_in != unset.omit_cue_in) j["origin"]["omit_cue_in"] = st.omit_cue_in;
  if (st.pdt_on_every_segment != unset.pdt_on_every_segment) j["origin"]["pdt_on_every_segment"] = st.pdt_on_every_segment;
  if (st.pts_offset_ticks != unset.pts_offset_ticks) j["origin"]["pts_offset_ticks"] = st.pts_offset_ticks;
  if (st.segment_uri_template != unset.segment_uri_template && !(st.container == "cmaf" && st.segment_uri_template == "seg_{rendition}_{msn}.m4s")) {
    j["origin"]["segment_uri_template"] = st.segment_uri_template;
  }
  if (st.media != unset.media) j["origin"]["media"] = st.media;
  if (st.encryption != unset.encryption) j["origin"]["encryption"] = st.encryption;
  if (st.key_rotation_segments != unset.key_rotation_segments) j["origin"]["key_rotation_segments"] = st.key_rotation_segments;
  if (st.init_uri_template != unset.init_uri_template) j["origin"]["init_uri_template"] = st.init_uri_template;
  if (s.origin.breaks_listed) {
    json listed = json::array();
    for (const origin::ScheduledBreak& b : st.breaks) {
      json e = {{"at_s", MicrosToSeconds(b.start_time - s.start_time)}, {"duration_s", b.duration_s}, {"event_id", b.event_id}};
      if (b.in_after_s > 0) e["in_after_s"] = b.in_after_s;
      if (b.cancelled) e["cancelled"] = true;
      if (auto it = s.origin.planned_duration_s.find(b.event_id); it != s.origin.planned_duration_s.end()) {
        e["planned_duration_s"] = it->second;
      }
      listed.push_back(std::move(e));
    }
    j["origin"]["breaks"] = std::move(listed);
  }
  for (size_t i = 0; i < s.pops.size(); ++i) {
    const PopSpec& p = s.pops[i];
    if (p.kv_propagation_s) j["pops"][i]["kv_propagation_s"] = *p.kv_propagation_s;
    if (p.kv_latency_ms) j["pops"][i]["kv_latency_ms"] = *p.kv_latency_ms;
    if (p.kv_cache) j["pops"][i]["kv_cache"] = *p.kv_cache;
  }
  static constexpr const char* kBehaviours[] = {"answer", "fail", "hang"};
  if (s.decision.behaviour != world::DecisionBehaviour::kAnswer) {
    j["decision"]["behaviour"] = kBehaviours[static_cast<int>(s.decision.behaviour)];
  }
  if (s.decision.pod_id != DecisionSpec{}.pod_id) j["decision"]["pod_id"] = s.decision.pod_id;
  if (!s.decision.ads.empty()) {
    json ads = json::array();
    for (const world::AdSpec& a : s.decision.ads) {
      json e = {{"id", a.id}, {"duration_s", a.duration_s}};
      if (a.segment_duration_s > 0) e["segment_duration_s"] = a.segment_duration_s;
      if (!a.audio_languages.empty()) e["audio_languages"] = a.audio_languages;
      ads.push_back(std::move(e));
    }
    j["decision"]["ads"] = std::move(ads);
    j["decision"].erase("ads_per_pod");
    j["decision"].erase("ad_duration_s");
  }
  if (!s.decision.vast.tag.empty()) {
    j["decision"]["vast"] = {{"tag", s.decision.vast.tag}};
    if (s.decision.vast.expect_error_code > 0) j["decision"]["vast"]["expect_error_code"] = s.decision.vast.expect_error_code;
  }
  if (s.mode != InsertionMode::kSsai) j["mode"] = InsertionModeName(s.mode);
  if (s.viewers.listed) {
    json list = json::array();
    for (const world::ListedViewer& v : s.viewers.list) {
      json e = {{"pop", v.pop}, {"join_s", v.join_s}};
      if (v.leave_s) e["leave_s"] = *v.leave_s;
      if (!v.renditions.empty()) e["renditions"] = v.renditions;
      if (v.mode) e["mode"] = InsertionModeName(*v.mode);
      if (v.count != 1) e["count"] = v.count;
      list.push_back(std::move(e));
    }
    j["viewers"] = std::move(list);
  }
  if (!s.api_cues.empty()) {
    json cues = json::array();
    for (const world::ApiCueSpec& c : s.api_cues) {
      json e = {{"at_s", c.at_s}};
      if (c.stop) {
        e["action"] = "stop";
      } else {
        e["duration_s"] = c.duration_s;
        if (!c.pod_id.empty()) e["pod_id"] = c.pod_id;
        if (c.expect_duplicate) e["expect_duplicate"] = true;
      }
      cues.push_back(std::move(e));
    }
    j["api_cues"] = std::move(cues);
  }
  if (!s.faults.empty()) {
    json faults = json::array();
    for (const world::FaultSpec& f : s.faults) {
      json e = {{"at_s", f.at_s}, {"kind", f.kind}};
      if (!f.pop.empty()) e["pop"] = f.pop;
      if (f.kind == "kv_propagation") e["delay_s"] = f.value;
      if (f.kind == "coordinator_rtt") e["rtt_ms"] = f.value;
      if (f.kind == "decision") e["behaviour"] = kBehaviours[static_cast<int>(f.behaviour)];
      faults.push_back(std::move(e));
    }
    j["faults"] = std::move(faults);
  }
  if (!s.expect.empty()) j["expect"] = s.expect;
  if (!s.viewers.trace.empty()) j["viewers"]["trace"] = TraceToJson(s.viewers.trace);
  if (!s.coordinator.locations.empty()) {
    json locs = json::array();
    for (const CoordinatorLocation& l : s.coordinator.locations) {
      json rtts = json::array();
      for (const Distribution& d : l.rtt_per_pop) rtts.push_back(d.ToJson());
      locs.push_back({{"name", l.name}, {"rtt_ms", rtts}});
    }
    j["coordinator"]["locations"] = locs;
  }
  return j;
}

}  // namespace ssai::sim
