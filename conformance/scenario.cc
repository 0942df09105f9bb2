#include "conformance/scenario.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "conformance/observations.h"
#include "reference/base/json_input.h"
#include "reference/base/strings.h"
#include "reference/base/url.h"
#include "reference/io/files.h"
#include "reference/media/cues/normalizer.h"
#include "reference/media/hls/playlist.h"
#include "reference/media/hls/vod_playlist.h"
#include "reference/media/origin/capture.h"
#include "reference/media/ts/ts_packager.h"
#include "reference/server/asio_env.h"
#include "reference/server/capture_origin.h"
#include "reference/server/config.h"
#include "reference/server/services.h"
#include "reference/server/ts_origin.h"
#include "simulator/scenario.h"
#include "world/ad_server.h"
#include "world/early_cue_in.h"

namespace ssai::conformance {

struct CapturedOrigin {
  origin::CaptureReplay replay{origin::Capture{}};
  std::map<std::string, std::string> files;  // file name -> body
  UnixMicros stream_start = 0;  // the instant of capture offset 0
  std::set<std::string> outside;  // files resolving outside the directory (403, capture_origin.h)
  UnixMicros parse_start = 0;   // origin.start_time as loaded (ShiftedTo moves the scenario's)
  // Rendition name -> recorded path; a name missing here is "/{name}.m3u8" (origin.capture).
  std::map<std::string, std::string> paths;

  std::string PathOf(const std::string& name) const {
    auto it = paths.find(name);
    return it != paths.end() ? it->second : "/" + name + ".m3u8";
  }
};

namespace {

using nlohmann::json;

Status Bad(const std::string& where, const std::string& what) {
  return Status::InvalidArgument(where + ": " + what);
}

// "_..." keys and "comment" are documentation (json_input.h CheckKnownKeys).
Status CheckKeys(const json& j, const std::string& where, std::initializer_list<std::string_view> allowed) {
  return CheckKnownKeys(j, where, allowed, /*doc_keys=*/true);
}

// Every number of a scenario has a range: times within the longest run, delays within an hour
// or a day. Out of range (or NaN-like) is refused with the path and the range (JsonFields).
constexpr double kMaxScenarioS = 6 * 3600;


Status LoadCaptureOrigin(const std::string& dir, Scenario* s);

// origin.ts: packages the file live (ts_packager.h) and takes its breaks as the scenario's.
Status LoadTsOrigin(const std::string& path, Scenario* s) {
  s->ts_path = path;  // resolved next to the scenario file by its reader (sim::ResolveScenarioPaths)
  Result<std::string> bytes = io::ReadFileToString(s->ts_path, ts::kMaxScenarioTsBytes);
  if (!bytes.ok()) return Bad("origin.ts", bytes.status().message());
  ts::TsPackagerOptions o;
  o.segment_s = s->origin.segment_duration_s;
  o.loop = true;
  o.flavour = s->origin.cue_flavour;
  o.pdt_start = s->origin.start_time;
  o.window_segments = s->origin.window_segments;
  o.name = s->origin.renditions.front().name;
  o.repeat_cue = s->origin.repeat_cue;
  Result<ts::TsPackager> packager = ts::TsPackager::Create(std::move(bytes).value(), o);
  if (!packager.ok()) return Bad("origin.ts", s->ts_path + ": " + packager.status().message());
  // The checks assume one segment duration (segment_duration_s), as the synthetic origin has.
  if (Status u = packager->CheckUniformSegments(s->origin.segment_duration_s); !u.ok()) {
    return Bad("origin.ts", s->ts_path + ": " + u.message());
  }
  const int64_t k = static_cast<int64_t>(packager->segments().size());
  for (const ts::TsBreak& b : packager->breaks()) {
    if (b.out_segment >= k) continue;  // a later loop
    s->origin.breaks.push_back(packager->MarkedBreakOf(b, 0, s->origin.start_time));
  }
  if (Status v = origin::ValidateSpec(s->origin); !v.ok()) return Bad("origin.ts", s->ts_path + ": " + v.message());
  s->ts_origin = std::make_shared<const ts::TsPackager>(std::move(packager).value());
  return Status::Ok();
}

// The capture's timeline and breaks onto `s` (scenario.h origin.capture); `paths` maps rendition
// names to recorded paths (empty: "/{name}.m3u8").
Status InstallCaptureOrigin(server::LoadedCapture loaded, std::map<std::string, std::string> paths, Scenario* s) {
  auto c = std::make_shared<CapturedOrigin>();
  c->replay = origin::CaptureReplay(std::move(loaded.capture));
  c->files = std::move(loaded.files);
  c->outside = std::move(loaded.outside);
  c->paths = std::move(paths);
  for (size_t i = 0; i < s->origin.renditions.size(); ++i) {
    const std::string path = c->PathOf(s->origin.renditions[i].name);
    if (!c->replay.HasPath(path)) {
      return Bad("origin.renditions[" + std::to_string(i) + "].name", "the capture has no " + path);
    }
  }
  // The first rendition's distinct snapshots, as a player sees them.
  const std::string path = c->PathOf(s->origin.renditions.front().name);
  std::vector<hls::MediaPlaylist> reloads;
  std::vector<int64_t> offsets;
  std::string last_file;
  for (const origin::CaptureEntry* e : c->replay.EntriesFor(path)) {
    if (!e->ok() || e->file == last_file || c->files.count(e->file) == 0) continue;
    last_file = e->file;
    Result<hls::MediaPlaylist> p = hls::ParseMedia(c->files.at(e->file));
    if (!p.ok() || p->segments().empty()) continue;
    reloads.push_back(std::move(p).value());
    offsets.push_back(e->offset_ms);
  }
  const std::string where = s->capture_dir + " " + path + ": ";
  if (reloads.empty()) return Bad("origin.capture", where + "no snapshot with segments");
  const hls::MediaPlaylist& first = reloads.front();
  const size_t n = first.segments().size();
  const std::optional<UnixMicros> first_start = first.SegmentStartTime(0);
  const std::optional<UnixMicros> last_start = first.SegmentStartTime(n - 1);
  if (!first_start || !last_start) return Bad("origin.capture", where + "no PROGRAM-DATE-TIME");
  const DurationMicros seg = origin::SegmentDurationMicros(s->origin);
  for (const hls::MediaPlaylist& p : reloads) {
    for (const hls::MediaSegment& x : p.segments()) {
      if (std::llabs(SecondsToMicros(x.duration_s()) - seg) > 1000) {
        return Bad("origin.capture", where + "a segment of " + FormatDouble(x.duration_s()) +
                                         " s: not segment_duration_s (the checks assume one duration)");
      }
    }
  }
  // Offset 0 of the capture is the first snapshot's live edge minus its offset; the run starts at
  // the first segment boundary from there (MSN m starts at msn0 + m x seg).
  c->stream_start = *last_start + seg - offsets.front() * kMicrosPerMilli;
  const UnixMicros msn0 = *first_start - first.media_sequence() * seg;
  const int64_t k = (c->stream_start - msn0 + seg - 1) / seg;
  s->origin.start_time = msn0 + k * seg;
  c->parse_start = s->origin.start_time;
  // Ground truth: the capture's markers (cues/normalizer.h), each break once.
  std::map<std::string, const cues::BreakEvent*> open;
  std::set<uint32_t> used;
  const cues::NormalizeResult events = cues::NormalizeReloads(reloads);
  std::vector<std::pair<const cues::BreakEvent*, const cues::BreakEvent*>> pairs;
  for (const cues::BreakEvent& e : events.events) {
    if (e.kind == cues::EventKind::kStart) {
      open[e.event_id] = &e;
    } else if (e.kind == cues::EventKind::kEnd) {
      if (auto it = open.find(e.event_id); it != open.end()) {
        pairs.emplace_back(it->second, &e);
        open.erase(it);
      }
    } else {
      open.erase(e.event_id);  // cancelled: no break
    }
  }
  std::vector<std::pair<const cues::BreakEvent*, uint32_t>> numbered;
  for (const auto& [start, end] : pairs) {
    uint32_t id = 0;
    bool numeric = !start->event_id.empty() && start->event_id.size() <= 10 &&
                   std::all_of(start->event_id.begin(), start->event_id.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    if (numeric && std::stoull(start->event_id) <= 0xFFFFFFFFull) id = static_cast<uint32_t>(std::stoull(start->event_id));
    else numeric = false;
    if (numeric && used.insert(id).second) {
      numbered.emplace_back(start, id);
    } else {
      numbered.emplace_back(start, 0);
    }
  }
  uint32_t next = 1;
  for (size_t i = 0; i < pairs.size(); ++i) {
    uint32_t id = numbered[i].second;
    if (id == 0) {
      while (used.count(next) != 0) ++next;
      id = next;
      used.insert(id);
    }
    origin::ScheduledBreak b;
    b.start_time = pairs[i].first->splice_time;
    b.duration_s = MicrosToSeconds(pairs[i].second->splice_time - pairs[i].first->splice_time);
    b.event_id = id;
    if (b.duration_s <= 0) continue;
    s->origin.breaks.push_back(b);
    if (pairs[i].first->duration_s && *pairs[i].first->duration_s > b.duration_s + 0.001) {
      s->planned_duration_s[id] = *pairs[i].first->duration_s;
    }
  }
  if (Status v = origin::ValidateSpec(s->origin); !v.ok()) return Bad("origin.capture", where + v.message());
  s->capture_origin = std::move(c);
  return Status::Ok();
}

// origin.capture: the capture, its timeline and its breaks (scenario.h).
Status LoadCaptureOrigin(const std::string& dir, Scenario* s) {
  s->capture_dir = dir;  // resolved next to the scenario file by its reader (sim::ResolveScenarioPaths)
  // The server's loader: everything read at load time, symlinks out of the directory refused.
  Result<server::LoadedCapture> loaded = server::LoadCaptureDir(s->capture_dir);
  if (!loaded.ok()) return Bad("origin.capture", loaded.status().message());
  return InstallCaptureOrigin(std::move(loaded).value(), {}, s);
}

// Moves every PROGRAM-DATE-TIME and DATERANGE START-DATE / END-DATE of `text` by `shift`.
std::string ShiftDates(const std::string& text, DurationMicros shift) {
  if (shift == 0) return text;
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  auto shifted = [&](std::string_view iso) -> std::string {
    Result<UnixMicros> t = ParseIso8601(iso);
    return t.ok() ? FormatIso8601Millis(*t + shift) : std::string(iso);
  };
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string line = text.substr(pos, eol - pos);
    constexpr std::string_view kPdt = "#EXT-X-PROGRAM-DATE-TIME:";
    if (line.rfind(kPdt, 0) == 0) {
      line = std::string(kPdt) + shifted(std::string_view(line).substr(kPdt.size()));
    } else if (line.rfind("#EXT-X-DATERANGE:", 0) == 0) {
      for (std::string_view attr : {"START-DATE=\"", "END-DATE=\""}) {
        const size_t a = line.find(attr);
        if (a == std::string::npos) continue;
        const size_t v = a + attr.size();
        const size_t q = line.find('"', v);
        if (q == std::string::npos) continue;
        line.replace(v, q - v, shifted(std::string_view(line).substr(v, q - v)));
      }
    }
    out += line;
    if (eol < text.size()) out += '\n';
    pos = eol + 1;
  }
  return out;
}

}  // namespace

Result<Scenario> ParseScenario(std::string_view json_text, std::string file) {
  // One format, one parser (issue 18): the simulator's reads the file (bounded nesting, every
  // field's type and range, unknown keys, paths next to the file); then what the targets play is
  // taken from it.
  SSAI_ASSIGN_OR_RETURN(json j, ParseJsonInput(json_text, "scenario"));
  if (!j.is_object()) return Bad("scenario", "must be a JSON object");
  if (!j.contains("name")) return Bad("scenario.name", "missing (a conformance scenario is named in every report)");
  if (!file.empty()) SSAI_RETURN_IF_ERROR(sim::ResolveScenarioPaths(&j, file));
  SSAI_ASSIGN_OR_RETURN(sim::Scenario parsed, sim::ParseScenario(j.dump()));
  return CatchJsonErrors("scenario", [&] { return ScenarioOf(parsed, std::move(file)); });
}

namespace {

// The one value a target takes where the scenario may give a distribution: its median (a number
// in the file is that number). conformance/README.md "Scenarios".
double OneValue(const sim::Distribution& d) { return d.MedianMs(); }

}  // namespace

Result<Scenario> ScenarioOf(const sim::Scenario& in, std::string file, bool population_sample) {
  Scenario s;
  s.file = std::move(file);
  s.name = in.name;
  s.description = in.description;
  s.duration_s = in.duration_s;
  if (s.duration_s > kMaxScenarioS) return Bad("scenario.duration_s", "the conformance targets run at most 21600 s");
  s.mode = in.mode;
  s.warmup_s = in.warmup_s;
  if (in.warmup_s > 3600) return Bad("scenario.warmup_s", "the conformance targets warm up at most 3600 s");
  // A population's sample is taken on channel 0 (the origin's breaks below are channel 0's).
  const bool sampled = population_sample && !in.viewers.listed;
  if (in.channels != 1 && !sampled) {
    return Bad("scenario.channels", "the conformance targets run one channel, got " + std::to_string(in.channels) +
                                        " (give \"channels\": 1)");
  }
  // What the targets do not play is refused by name, never dropped.
  for (const auto& [path, windows] : sim::FaultWindows(in)) {
    if (!windows->empty()) {
      return Bad(std::string(path), "the simulator's fault windows; a conformance scenario's faults are `faults`");
    }
  }
  if (!in.coordinator.locations.empty()) return Bad("scenario.coordinator.locations", "one coordinator; give pops[].coordinator_rtt_ms");
  if (in.kv.propagation_model != sim::KvSpec::PropagationModel::kPerPop) {
    return Bad("scenario.kv.propagation_model", "the conformance targets propagate per POP (per_pop)");
  }
  if (in.origin.edge_cache_ms > 0) return Bad("scenario.origin.edge_cache_ms", "not played by the conformance targets (0)");

  // KV: fixed values (each POP's, or the kv block's).
  s.kv_write_latency_ms = OneValue(in.kv.write_latency);
  s.kv_list_staleness_s = in.kv.list_staleness_s;
  s.kv_cache_ttl_s = in.kv.cache_ttl_s;
  s.decision_timeout_s = in.coordinator.decision_timeout_s;

  // Origin: the stream from the scenario's start, its breaks the one channel's (sim::ChannelBreaks:
  // listed, or the schedule's, as the simulator places them).
  s.origin = in.origin.stream;
  s.origin.start_time = in.start_time;
  s.planned_duration_s = in.origin.planned_duration_s;
  const bool api_schedule = in.origin.breaks.source == sim::BreakSource::kApi;
  s.origin.breaks.clear();
  for (const origin::ScheduledBreak& b : sim::ChannelBreaks(in, 0)) {
    if (api_schedule) {
      ApiCueSpec cue;
      cue.at_s = MicrosToSeconds(b.start_time - in.start_time);
      cue.duration_s = b.duration_s;
      s.api_cues.push_back(std::move(cue));
    } else {
      s.origin.breaks.push_back(b);
    }
  }
  if (!in.origin.ts.empty()) SSAI_RETURN_IF_ERROR(LoadTsOrigin(in.origin.ts, &s));
  if (!in.origin.capture.empty()) SSAI_RETURN_IF_ERROR(LoadCaptureOrigin(in.origin.capture, &s));

  // POPs: fixed round trips and KV settings.
  for (size_t i = 0; i < in.pops.size(); ++i) {
    const sim::PopSpec& p = in.pops[i];
    const std::string where = "scenario.pops[" + std::to_string(i) + "]";
    PopSpec pop;
    pop.name = p.name;
    pop.coordinator_rtt_ms = OneValue(p.coordinator_rtt);
    pop.kv_cache = p.kv_cache.value_or(in.kv.cache_ttl_s > 0);
    pop.kv_propagation_s = p.kv_propagation_s.value_or(OneValue(in.kv.propagation) / 1000);
    // One read latency per POP: a cached read's where the POP caches (most reads), else the store's.
    pop.kv_latency_ms = p.kv_latency_ms.value_or(OneValue(pop.kv_cache ? in.kv.hot_read : in.kv.cold_read));
    if (!p.trace.empty() && !sampled) return Bad(where + ".trace", "an audience curve; the conformance targets play listed viewers");
    s.pops.push_back(std::move(pop));
  }

  // Viewers: the listed ones.
  if (!in.viewers.listed && !sampled) {
    return Bad("scenario.viewers", "the conformance targets play listed viewers: give viewers as an array "
                                   "([{\"pop\": ..., \"join_s\": ...}]), not a population");
  }
  s.viewers = in.viewers.list;
  s.api_cues.insert(s.api_cues.end(), in.api_cues.begin(), in.api_cues.end());
  std::stable_sort(s.api_cues.begin(), s.api_cues.end(), [](const ApiCueSpec& a, const ApiCueSpec& b) { return a.at_s < b.at_s; });
  s.faults = in.faults;

  // The decision service: its behaviour (a failure rate of 0 or 1), one latency, the pod.
  s.decision.behaviour = in.decision.behaviour;
  if (in.decision.failure_rate == 1 && s.decision.behaviour == DecisionBehaviour::kAnswer) {
    s.decision.behaviour = DecisionBehaviour::kFail;
  } else if (in.decision.failure_rate != 0 && in.decision.failure_rate != 1) {
    return Bad("scenario.decision.failure_rate", "the conformance targets' ad server answers or fails (0 or 1; or behaviour)");
  }
  s.decision.latency_ms = OneValue(in.decision.latency);
  s.decision.pod_id = in.decision.pod_id;
  s.decision.ads = in.decision.ads;
  if (s.decision.ads.empty()) {
    // The pod a population scenario describes: ads_per_pod ads of ad_duration_s, named as the
    // simulator's decision model names them ("ad0", "ad1", ...: simulator/models.cc SimDecision,
    // whose run `ssai sim --check` judges; the checks know a beacon's creative by its id),
    // creatives segmented at the channel's segment duration when pods_of_creatives.
    for (int i = 0; i < in.decision.ads_per_pod; ++i) {
      AdSpec ad;
      ad.id = "ad" + std::to_string(i);
      ad.duration_s = in.decision.ad_duration_s;
      if (in.decision.pods_of_creatives) ad.segment_duration_s = s.origin.segment_duration_s;
      s.decision.ads.push_back(std::move(ad));
    }
  }
  s.decision.vast = in.decision.vast;

  // The expect block.
  const json& e = in.expect;
  SSAI_RETURN_IF_ERROR(CheckKeys(e, "scenario.expect", {"profile", "api_probes"}));
  SSAI_RETURN_IF_ERROR(JsonFields(e, "scenario.expect").Bool("api_probes", &s.api_probes));
  if (e.contains("profile")) {
    if (!e["profile"].is_object()) return Bad("scenario.expect.profile", "must be a JSON object");
    s.profile_overrides = e["profile"];
    Result<Profile> check = ApplyProfileOverrides(Profile{}, s.profile_overrides);
    if (!check.ok()) return check.status().WithContext("scenario.expect");
  }
  s.world = std::make_shared<const sim::Scenario>(in);
  return s;
}

Result<std::vector<Scenario>> LoadScenarios(const std::string& path) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const fs::directory_entry& e : fs::directory_iterator(path, ec)) {
      if (e.path().extension() == ".json") files.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) return Status::NotFound("no *.json scenarios in " + path);
  } else {
    files.push_back(path);
  }
  std::vector<Scenario> out;
  for (const std::string& f : files) {
    Result<std::string> text = io::ReadFileToString(f, kMaxConformanceFileBytes);
    if (!text.ok()) return text.status().WithContext("scenario");  // "scenario: F: cannot read: ..."
    Result<Scenario> s = ParseScenario(*text, f);
    if (!s.ok()) return Status::InvalidArgument(f + ": " + s.status().message());
    out.push_back(std::move(s).value());
  }
  return out;
}

std::string OriginPlaylistAt(const Scenario& scenario, const origin::Rendition& rendition, UnixMicros now) {
  if (scenario.ts_origin) return scenario.ts_origin->MediaPlaylistAt(now, scenario.origin.start_time);
  if (const CapturedOrigin* c = scenario.capture_origin.get()) {
    // Capture offset of `now`; the newest good snapshot of the rendition then (or its first).
    const DurationMicros shift = scenario.origin.start_time - c->parse_start;
    const int64_t offset_ms = (now - shift - c->stream_start) / kMicrosPerMilli;
    const std::vector<const origin::CaptureEntry*> entries = c->replay.EntriesFor(c->PathOf(rendition.name));
    const origin::CaptureEntry* pick = nullptr;
    for (const origin::CaptureEntry* e : entries) {
      if (!e->ok() || c->files.count(e->file) == 0) continue;
      if (pick != nullptr && e->offset_ms > offset_ms) break;
      pick = e;
    }
    return pick == nullptr ? std::string() : ShiftDates(c->files.at(pick->file), shift);
  }
  std::string text = origin::MediaPlaylistAt(scenario.origin, rendition, now);
  if (scenario.planned_duration_s.empty()) return text;
  // Early CUE-IN: the origin was rendered with each break's actual duration (so its IN comes
  // early); the OUT side announces the planned one (world/early_cue_in.h, the simulator's too).
  return world::AnnouncePlannedDurations(std::move(text), scenario.origin.breaks, scenario.planned_duration_s);
}

server::HttpResponse OriginMediaAt(const Scenario& scenario, std::string_view path, UnixMicros now) {
  if (scenario.ts_origin) return server::TsOriginResponse(*scenario.ts_origin, path, now, scenario.origin.start_time);
  if (const CapturedOrigin* c = scenario.capture_origin.get(); c != nullptr && path.starts_with("/")) {
    const DurationMicros shift = scenario.origin.start_time - c->parse_start;
    const int64_t offset_ms = (now - shift - c->stream_start) / kMicrosPerMilli;
    // The harness serves rendition r at /origin/{r}.m3u8, so a relative segment URI of its
    // snapshots lands here; the recorder kept it next to the recorded playlist path.
    for (const origin::Rendition& r : scenario.origin.renditions) {
      const std::string recorded = c->PathOf(r.name);
      const std::string candidate = recorded.substr(0, recorded.rfind('/')) + std::string(path);
      if (!c->replay.HasPath(candidate)) continue;
      server::CaptureOriginService::Answer a =
          server::CaptureOriginService::AnswerFrom(c->replay, c->files, c->outside, candidate, offset_ms);
      server::HttpResponse res{a.status, std::move(a.content_type), std::move(a.body), {}};
      return res.Header("Cache-Control", a.status == 200 ? "max-age=3600" : "no-store");
    }
  }
  return server::JsonErrorResponse(404, "no '" + std::string(path) + "' on this origin");
}

server::DecisionConfig ScenarioAdServerConfig(const Scenario& scenario,
                                              const std::function<std::string(const std::string&, int64_t)>& playlist_url) {
  server::DecisionConfig c;
  AdDecision pod;
  pod.pod_id = scenario.decision.pod_id;
  for (const AdSpec& ad : scenario.decision.ads) {
    AdItem item{ad.id, ad.duration_s, {}};
    for (const origin::Rendition& r : scenario.origin.renditions) {
      item.variants.push_back({r.bandwidth_bps, playlist_url(ad.id, r.bandwidth_bps)});
    }
    std::sort(item.variants.begin(), item.variants.end(),
              [](const AdVariant& a, const AdVariant& b) { return a.bitrate_bps < b.bitrate_bps; });
    pod.items.push_back(std::move(item));
  }
  c.catalogue.pods["default"] = pod;
  c.catalogue.default_pod = "default";
  return c;
}

UnixMicros RecordedStreamStart(const Scenario& scenario) {
  return scenario.capture_origin ? scenario.capture_origin->stream_start : 0;
}

std::string RecordedPathOf(const Scenario& scenario, const std::string& rendition_name) {
  return scenario.capture_origin ? scenario.capture_origin->PathOf(rendition_name) : std::string();
}

Result<Scenario> ScenarioFromRecording(const std::string& dir, const std::string& name, double duration_s) {
  Result<server::LoadedCapture> loaded = server::LoadCaptureDir(dir);
  if (!loaded.ok()) return loaded.status();
  const origin::Capture& cap = loaded->capture;
  const std::string base_url = cap.header.url;
  std::string base, master_path;
  if (Status st = server::SplitHttpUrl(base_url, &base, &master_path, /*allow_https=*/true); !st.ok()) return st.WithContext("recording");
  // The multivariant playlist as first recorded.
  const std::string* master_text = nullptr;
  for (const origin::CaptureEntry& e : cap.entries) {
    if (e.path == master_path && e.ok() && loaded->files.count(e.file)) {
      master_text = &loaded->files.at(e.file);
      break;
    }
  }
  if (master_text == nullptr) return Status::Unavailable(base_url + ": no answer recorded");
  Result<hls::Playlist> parsed = hls::Parse(*master_text);
  if (!parsed.ok()) return Status::InvalidArgument(base_url + ": " + parsed.status().message());
  const auto* master = std::get_if<hls::MasterPlaylist>(&*parsed);
  if (master == nullptr) return Status::InvalidArgument(base_url + ": a media playlist; observe needs the multivariant one");
  Scenario s;
  s.name = name;
  s.duration_s = duration_s;
  std::map<std::string, std::string> paths;
  for (const hls::VariantInfo& v : master->Variants()) {
    std::string vbase, vpath;
    if (!server::SplitHttpUrl(ResolveUrl(base_url, v.uri), &vbase, &vpath, /*allow_https=*/true).ok() || vbase != base) continue;  // another host
    origin::Rendition r;
    r.name = "v" + std::to_string(s.origin.renditions.size());
    r.bandwidth_bps = v.bandwidth;
    r.resolution = v.resolution;
    r.codecs = v.codecs;
    paths[r.name] = vpath;
    s.origin.renditions.push_back(std::move(r));
  }
  if (s.origin.renditions.empty()) return Status::InvalidArgument(base_url + ": no variant on the same host was recorded");
  // The timeline's segment duration and window: the first variant's first playlist with segments.
  for (const origin::CaptureEntry& e : cap.entries) {
    if (e.path != paths.at("v0") || !e.ok() || !loaded->files.count(e.file)) continue;
    Result<hls::MediaPlaylist> p = hls::ParseMedia(loaded->files.at(e.file));
    if (!p.ok() || p->segments().empty()) continue;
    s.origin.segment_duration_s = std::round(p->segments().front().duration_s() * 1000) / 1000;
    s.origin.window_segments = static_cast<int>(p->segments().size());
    s.origin.target_duration_s = p->target_duration_s().value_or(0);
    break;
  }
  s.capture_dir = dir;
  Status st = InstallCaptureOrigin(std::move(loaded).value(), std::move(paths), &s);
  if (!st.ok()) return Status::InvalidArgument(base_url + ": " + st.message());
  return s;
}

bool CmafOrigin(const Scenario& scenario) { return scenario.origin.container == "cmaf"; }

std::vector<std::string> AdAudioLanguages(const Scenario& scenario, const AdSpec& ad) {
  if (!ad.audio_languages.empty()) return ad.audio_languages;
  std::vector<std::string> out;
  for (const origin::AlternateRendition& a : scenario.origin.audio) {
    if (std::find(out.begin(), out.end(), a.language) == out.end()) out.push_back(a.language);
  }
  return out;
}

std::string OriginAlternatePlaylistAt(const Scenario& scenario, const origin::AlternateRendition& alt,
                                      bool subtitles, UnixMicros now) {
  return origin::AlternatePlaylistAt(scenario.origin, alt, subtitles, now);
}

namespace {

// One VOD ad track: the creative at its segment duration, as the harness's ad server serves it
// (world::AdTrack).
std::string AdTrackPlaylist(const Scenario& scenario, const AdSpec& ad, const std::string& base, const char* ts_extension) {
  const double seg_s = ad.segment_duration_s > 0 ? ad.segment_duration_s
                                                 : MicrosToSeconds(origin::SegmentDurationMicros(scenario.origin));
  return hls::VodPlaylist(world::AdTrack(ad.duration_s, seg_s, CmafOrigin(scenario), base, ts_extension));
}

}  // namespace

std::string AdAudioPlaylist(const Scenario& scenario, const AdSpec& ad, const std::string& language,
                            const std::string& base) {
  return AdTrackPlaylist(scenario, ad, base, ".aac");
}

std::string AdMediaPlaylist(const Scenario& scenario, const AdSpec& ad, int64_t bps, const std::string& base) {
  return AdTrackPlaylist(scenario, ad, base, ".ts");
}

}  // namespace ssai::conformance
