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

Result<DecisionBehaviour> ParseBehaviour(const std::string& s, const std::string& where) {
  if (s == "answer") return DecisionBehaviour::kAnswer;
  if (s == "fail") return DecisionBehaviour::kFail;
  if (s == "hang") return DecisionBehaviour::kHang;
  return Bad(where, "must be \"answer\", \"fail\" or \"hang\", got \"" + s + "\"");
}

Result<InsertionMode> ParseMode(const std::string& s, const std::string& where) {
  if (s == "ssai") return InsertionMode::kSsai;
  if (s == "sgai") return InsertionMode::kSgai;
  return Bad(where, "must be \"ssai\" or \"sgai\", got \"" + s + "\"");
}

Result<Scenario> ParseScenarioJson(json j, std::string file);
Status LoadCaptureOrigin(const std::string& dir, Scenario* s);

// origin.ts: packages the file live (ts_packager.h) and takes its breaks as the scenario's.
Status LoadTsOrigin(const std::string& path, Scenario* s) {
  namespace fs = std::filesystem;
  fs::path p(path);
  if (p.is_relative() && !s->file.empty()) p = fs::path(s->file).parent_path() / p;
  s->ts_path = p.string();
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
    s->origin.breaks.push_back(packager->ScheduledBreakOf(b, 0, s->origin.start_time));
  }
  if (Status v = origin::ValidateSpec(s->origin); !v.ok()) return Bad("origin.ts", s->ts_path + ": " + v.message());
  s->ts_origin = std::make_shared<const ts::TsPackager>(std::move(packager).value());
  return Status::Ok();
}

std::string ResolveNextToScenario(const std::string& path, const Scenario& s) {
  std::filesystem::path p(path);
  if (p.is_relative() && !s.file.empty()) p = std::filesystem::path(s.file).parent_path() / p;
  return p.string();
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
  s->capture_dir = ResolveNextToScenario(dir, *s);
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
  // Bounded nesting; nothing the JSON library throws escapes (the readers below check types).
  SSAI_ASSIGN_OR_RETURN(json j, ParseJsonInput(json_text, "scenario"));
  return CatchJsonErrors("scenario", [&] { return ParseScenarioJson(std::move(j), std::move(file)); });
}

namespace {

Result<Scenario> ParseScenarioJson(json j, std::string file) {
  SSAI_RETURN_IF_ERROR(CheckKeys(j, "scenario",
                                 {"name", "description", "origin", "mode", "duration_s", "pops", "viewers",
                                  "api_cues", "decision", "faults", "api_probes", "profile"}));
  Scenario s;
  s.file = std::move(file);
  SSAI_RETURN_IF_ERROR(JsonFields(j, "scenario").String("name", &s.name, true));
  SSAI_RETURN_IF_ERROR(JsonFields(j, "scenario").String("description", &s.description));
  SSAI_RETURN_IF_ERROR(JsonFields(j, "scenario").Number("duration_s", &s.duration_s, {.min = 0, .max = kMaxScenarioS}));
  if (s.duration_s <= 0) return Bad("scenario.duration_s", "must be in (0, 21600]");
  if (j.contains("mode")) {
    std::string m;
    SSAI_RETURN_IF_ERROR(JsonFields(j, "scenario").String("mode", &m));
    SSAI_ASSIGN_OR_RETURN(s.mode, ParseMode(m, "mode"));
  }
  SSAI_RETURN_IF_ERROR(JsonFields(j, "").Bool("api_probes", &s.api_probes));
  if (j.contains("profile")) {
    if (!j["profile"].is_object()) return Bad("profile", "must be a JSON object");
    s.profile_overrides = j["profile"];
    Result<Profile> check = ApplyProfileOverrides(Profile{}, s.profile_overrides);
    if (!check.ok()) return check.status();
  }

  // origin: the synthetic origin's JSON (synthetic_origin.h ParseSpec), plus two conveniences per
  // break: "at_s" (offset from start_time, instead of an ISO start_time) and
  // "planned_duration_s" (early CUE-IN: what the OUT announces).
  if (!j.contains("origin") || !j["origin"].is_object()) return Bad("origin", "missing or not an object");
  json o = j["origin"];
  if (!o.contains("start_time")) o["start_time"] = "2026-01-01T00:00:00Z";
  Result<UnixMicros> start = o["start_time"].is_string() ? ParseIso8601(o["start_time"].get<std::string>())
                                                           : Result<UnixMicros>(Bad("origin.start_time", "must be an ISO 8601 string"));
  if (!start.ok()) return Bad("origin.start_time", start.status().message());
  std::map<uint32_t, double> planned;
  if (o.contains("breaks")) {
    if (!o["breaks"].is_array()) return Bad("origin.breaks", "must be an array");
    for (size_t i = 0; i < o["breaks"].size(); ++i) {
      json& b = o["breaks"][i];
      const std::string where = "origin.breaks[" + std::to_string(i) + "]";
      if (!b.is_object()) return Bad(where, "must be an object");
      if (b.contains("at_s")) {
        double at_s = 0;
        SSAI_RETURN_IF_ERROR(JsonFields(b, where).Number("at_s", &at_s, {.min = 0, .max = kMaxScenarioS}));
        b["start_time"] = FormatIso8601Millis(*start + SecondsToMicros(at_s));
        b.erase("at_s");
      }
      if (b.contains("planned_duration_s")) {
        double planned_s = 0;
        SSAI_RETURN_IF_ERROR(
            JsonFields(b, where).Number("planned_duration_s", &planned_s, {.min = 0, .max = 86400, .open_min = true}));
        if (!b.contains("event_id") || !b["event_id"].is_number_unsigned()) {
          return Bad(where, "planned_duration_s needs an event_id");
        }
        planned[b["event_id"].get<uint32_t>()] = b["planned_duration_s"].get<double>();
        b.erase("planned_duration_s");
      }
    }
  }
  // origin.ts / origin.capture: the breaks come from the TS or the capture (below), not from the block.
  std::string capture_dir;
  if (o.contains("capture")) {
    if (!o["capture"].is_string() || o["capture"].get<std::string>().empty()) {
      return Bad("origin.capture", "must be a directory path");
    }
    capture_dir = o["capture"].get<std::string>();
    if (o.contains("breaks")) return Bad("origin.breaks", "not with origin.capture: the breaks are the capture's markers");
    if (o.contains("ts")) return Bad("origin.capture", "not with origin.ts: one origin");
    o.erase("capture");
  }
  std::string ts_path;
  if (o.contains("ts")) {
    if (!o["ts"].is_string() || o["ts"].get<std::string>().empty()) return Bad("origin.ts", "must be a file path");
    ts_path = o["ts"].get<std::string>();
    if (o.contains("breaks")) return Bad("origin.breaks", "not with origin.ts: the breaks are the TS's SCTE-35 cues");
    o.erase("ts");
  }
  // Unknown keys in the origin block are refused here too ("scenario.origin.omit_cue_ins: unknown
  // key"): a typo must not turn a failure scenario into a green run. Doc keys are dropped first.
  for (auto it = o.begin(); it != o.end();) {
    it = it.key().rfind('_', 0) == 0 || it.key() == "comment" ? o.erase(it) : std::next(it);
  }
  Result<origin::SyntheticStreamSpec> spec = origin::ParseSpec(o.dump(), "scenario.origin");
  if (!spec.ok()) return spec.status();
  s.origin = std::move(spec).value();
  if (!ts_path.empty()) SSAI_RETURN_IF_ERROR(LoadTsOrigin(ts_path, &s));
  if (!capture_dir.empty()) SSAI_RETURN_IF_ERROR(LoadCaptureOrigin(capture_dir, &s));
  for (const auto& [id, d] : planned) s.planned_duration_s[id] = d;
  if (!planned.empty()) {
    if (s.origin.cue_flavour != origin::CueFlavour::kCueOut && s.origin.cue_flavour != origin::CueFlavour::kDateRange) {
      return Bad("origin.breaks", "planned_duration_s (early CUE-IN) needs cue_flavour cue_out or daterange "
                                  "(the other flavours carry the duration inside binary SCTE-35)");
    }
    for (const auto& [id, d] : planned) {
      const origin::ScheduledBreak* early = nullptr;
      for (const origin::ScheduledBreak& b : s.origin.breaks) {
        if (b.event_id == id) early = &b;
      }
      if (early == nullptr) return Bad("origin.breaks", "planned_duration_s on unknown event_id");
      if (d <= early->duration_s) return Bad("origin.breaks", "planned_duration_s must exceed duration_s (an early IN)");
      for (const origin::ScheduledBreak& b : s.origin.breaks) {
        if (&b != early && b.duration_s == early->duration_s) {
          return Bad("origin.breaks", "an early-IN break's duration_s must differ from every other break's");
        }
      }
    }
  }
  std::set<std::string> renditions;
  for (const origin::Rendition& r : s.origin.renditions) renditions.insert(r.name);

  if (j.contains("pops")) {
    if (!j["pops"].is_array() || j["pops"].empty() || j["pops"].size() > 64) {
      return Bad("pops", "must be an array of 1..64 POPs");
    }
    for (size_t i = 0; i < j["pops"].size(); ++i) {
      const json& p = j["pops"][i];
      const std::string where = "pops[" + std::to_string(i) + "]";
      SSAI_RETURN_IF_ERROR(CheckKeys(p, where, {"name", "coordinator_rtt_ms", "kv_propagation_s", "kv_latency_ms", "kv_cache"}));
      PopSpec pop;
      SSAI_RETURN_IF_ERROR(JsonFields(p, where).String("name", &pop.name, true));
      SSAI_RETURN_IF_ERROR(JsonFields(p, where).Number("coordinator_rtt_ms", &pop.coordinator_rtt_ms, {.min = 0, .max = 600000}));
      SSAI_RETURN_IF_ERROR(JsonFields(p, where).Number("kv_propagation_s", &pop.kv_propagation_s, {.min = 0, .max = kMaxScenarioS}));
      SSAI_RETURN_IF_ERROR(JsonFields(p, where).Number("kv_latency_ms", &pop.kv_latency_ms, {.min = 0, .max = 600000}));
      SSAI_RETURN_IF_ERROR(JsonFields(p, where).Bool("kv_cache", &pop.kv_cache));
      if (pop.coordinator_rtt_ms < 0 || pop.kv_propagation_s < 0 || pop.kv_latency_ms < 0) {
        return Bad(where, "delays must be >= 0");
      }
      s.pops.push_back(pop);
    }
  } else {
    PopSpec pop;
    pop.name = "pop1";
    s.pops.push_back(pop);
  }
  auto find_pop = [&](const std::string& name) {
    return std::any_of(s.pops.begin(), s.pops.end(), [&](const PopSpec& p) { return p.name == name; });
  };

  if (j.contains("viewers")) {
    if (!j["viewers"].is_array() || j["viewers"].size() > 1000) return Bad("viewers", "must be an array of at most 1000");
    for (size_t i = 0; i < j["viewers"].size(); ++i) {
      const json& v = j["viewers"][i];
      const std::string where = "viewers[" + std::to_string(i) + "]";
      SSAI_RETURN_IF_ERROR(CheckKeys(v, where, {"pop", "join_s", "leave_s", "renditions", "mode", "count"}));
      ViewerSpec viewer;
      SSAI_RETURN_IF_ERROR(JsonFields(v, where).String("pop", &viewer.pop, true));
      if (!find_pop(viewer.pop)) return Bad(where + ".pop", "unknown pop '" + viewer.pop + "'");
      SSAI_RETURN_IF_ERROR(JsonFields(v, where).Number("join_s", &viewer.join_s, {.min = 0, .max = kMaxScenarioS}));
      if (v.contains("leave_s")) {
        double leave = 0;
        SSAI_RETURN_IF_ERROR(JsonFields(v, where).Number("leave_s", &leave, {.min = 0, .max = kMaxScenarioS}));
        viewer.leave_s = leave;
      }
      if (v.contains("renditions")) {
        if (!v["renditions"].is_array()) return Bad(where + ".renditions", "must be an array of names");
        for (const json& r : v["renditions"]) {
          if (!r.is_string() || !renditions.count(r.get<std::string>())) {
            return Bad(where + ".renditions", "unknown rendition " + r.dump());
          }
          viewer.renditions.push_back(r.get<std::string>());
        }
      }
      if (v.contains("mode")) {
        std::string m;
        SSAI_RETURN_IF_ERROR(JsonFields(v, where).String("mode", &m));
        SSAI_ASSIGN_OR_RETURN(viewer.mode, ParseMode(m, where + ".mode"));
      }
      SSAI_RETURN_IF_ERROR(JsonFields(v, where).Integer("count", &viewer.count, {.min = 1, .max = 1000}));
      s.viewers.push_back(viewer);
    }
  } else {
    for (const PopSpec& p : s.pops) {
      ViewerSpec viewer;
      viewer.pop = p.name;
      viewer.join_s = 0.1;
      s.viewers.push_back(viewer);
    }
  }

  if (j.contains("api_cues")) {
    if (!j["api_cues"].is_array() || j["api_cues"].size() > 10000) return Bad("api_cues", "must be an array of at most 10000");
    for (size_t i = 0; i < j["api_cues"].size(); ++i) {
      const json& c = j["api_cues"][i];
      const std::string where = "api_cues[" + std::to_string(i) + "]";
      SSAI_RETURN_IF_ERROR(CheckKeys(c, where, {"at_s", "duration_s", "pod_id", "expect_duplicate", "action"}));
      ApiCueSpec cue;
      SSAI_RETURN_IF_ERROR(JsonFields(c, where).Number("at_s", &cue.at_s, {.min = 0, .max = kMaxScenarioS, .required = true}));
      if (c.contains("action")) {
        if (!c["action"].is_string() || (c["action"] != "start" && c["action"] != "stop")) {
          return Bad(where + ".action", "must be \"start\" or \"stop\"");
        }
        cue.stop = c["action"] == "stop";
      }
      if (cue.stop) {
        for (const char* start_only : {"duration_s", "pod_id", "expect_duplicate"}) {
          if (c.contains(start_only)) return Bad(where + "." + start_only, "not allowed with action \"stop\"");
        }
        s.api_cues.push_back(cue);
        continue;
      }
      // The cue API's own range is checked by the target (api probes send bad ones on purpose).
      SSAI_RETURN_IF_ERROR(JsonFields(c, where).Number("duration_s", &cue.duration_s, {.min = -86400, .max = 86400, .required = true}));
      SSAI_RETURN_IF_ERROR(JsonFields(c, where).String("pod_id", &cue.pod_id));
      SSAI_RETURN_IF_ERROR(JsonFields(c, where).Bool("expect_duplicate", &cue.expect_duplicate));
      s.api_cues.push_back(cue);
    }
  }

  if (j.contains("decision")) {
    const json& d = j["decision"];
    SSAI_RETURN_IF_ERROR(CheckKeys(d, "decision", {"behaviour", "latency_ms", "pod_id", "ads", "vast"}));
    if (d.contains("behaviour")) {
      std::string b;
      SSAI_RETURN_IF_ERROR(JsonFields(d, "decision").String("behaviour", &b));
      SSAI_ASSIGN_OR_RETURN(s.decision.behaviour, ParseBehaviour(b, "decision.behaviour"));
    }
    SSAI_RETURN_IF_ERROR(JsonFields(d, "decision").Number("latency_ms", &s.decision.latency_ms, {.min = 0, .max = 600000}));
    SSAI_RETURN_IF_ERROR(JsonFields(d, "decision").String("pod_id", &s.decision.pod_id));
    if (d.contains("ads")) {
      if (!d["ads"].is_array() || d["ads"].size() > 100) return Bad("decision.ads", "must be an array of at most 100");
      for (size_t i = 0; i < d["ads"].size(); ++i) {
        const json& a = d["ads"][i];
        const std::string where = "decision.ads[" + std::to_string(i) + "]";
        SSAI_RETURN_IF_ERROR(CheckKeys(a, where, {"id", "duration_s", "segment_duration_s", "audio_languages"}));
        AdSpec ad;
        SSAI_RETURN_IF_ERROR(JsonFields(a, where).String("id", &ad.id, true));
        SSAI_RETURN_IF_ERROR(JsonFields(a, where).Number("duration_s", &ad.duration_s, {.min = 0, .max = 3600, .required = true}));
        if (ad.duration_s <= 0) return Bad(where + ".duration_s", "must be in (0, 3600]");
        SSAI_RETURN_IF_ERROR(JsonFields(a, where).Number("segment_duration_s", &ad.segment_duration_s, {.min = 0, .max = 60}));
        if (a.contains("segment_duration_s") && ad.segment_duration_s < 0.1) {
          return Bad(where + ".segment_duration_s", "must be in [0.1, 60]");
        }
        if (i > 0 && (ad.segment_duration_s > 0) != (s.decision.ads.back().segment_duration_s > 0)) {
          return Bad(where + ".segment_duration_s", "must be given on every ad or on none");
        }
        if (a.contains("audio_languages")) {
          const json& langs = a["audio_languages"];
          if (!langs.is_array() || langs.empty() || langs.size() > kMaxAdAudioLanguages) {
            return Bad(where + ".audio_languages", "must be a non-empty array of at most " +
                                                       std::to_string(kMaxAdAudioLanguages) + " languages");
          }
          for (const json& l : langs) {
            const bool known = l.is_string() && std::any_of(s.origin.audio.begin(), s.origin.audio.end(),
                                                              [&](const origin::AlternateRendition& r) {
                                                                return r.language == l.get<std::string>();
                                                              });
            if (!known) return Bad(where + ".audio_languages", "not a language of origin.audio: " + l.dump());
            ad.audio_languages.push_back(l.get<std::string>());
          }
        }
        s.decision.ads.push_back(ad);
      }
    }
  }
  if (!j.contains("decision") || !j["decision"].contains("ads")) {
    s.decision.ads = {{"a1", 8}, {"a2", 8}};
  }
  if (j.contains("decision") && j["decision"].contains("vast")) {
    const json& v = j["decision"]["vast"];
    SSAI_RETURN_IF_ERROR(CheckKeys(v, "decision.vast", {"tag", "expect_error_code"}));
    SSAI_RETURN_IF_ERROR(JsonFields(v, "decision.vast").String("tag", &s.decision.vast.tag, true));
    const std::string& tag = s.decision.vast.tag;
    const bool chars_ok = std::all_of(tag.begin(), tag.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' || c == '.';
    });
    if (tag.empty() || tag.size() > 128 || !chars_ok || tag.find("..") != std::string::npos || !tag.ends_with(".xml")) {
      return Bad("decision.vast.tag", "must be a path under /vast/ of the harness's ad server ending in .xml");
    }
    if (tag.starts_with("wrapper/")) {
      std::optional<int64_t> n = ParseInt64(tag.substr(8, tag.find('/', 8) - 8));
      if (!n || *n < 1 || *n > 20) return Bad("decision.vast.tag", "wrapper/{n}/...: n must be 1..20");
      s.decision.vast.wrappers = static_cast<int>(*n);
    }
    double code = 0;
    SSAI_RETURN_IF_ERROR(JsonFields(v, "decision.vast").Number("expect_error_code", &code, {.min = 0, .max = 999}));
    s.decision.vast.expect_error_code = static_cast<int>(code);
    for (const AdSpec& a : s.decision.ads) {
      if (a.segment_duration_s <= 0 || a.segment_duration_s != s.decision.ads[0].segment_duration_s) {
        return Bad("decision.ads", "with decision.vast every ad gives the same segment_duration_s (the ad server's "
                                   "creatives are segmented at one duration)");
      }
    }
  }

  if (j.contains("faults")) {
    if (!j["faults"].is_array() || j["faults"].size() > 10000) return Bad("faults", "must be an array of at most 10000");
    for (size_t i = 0; i < j["faults"].size(); ++i) {
      const json& f = j["faults"][i];
      const std::string where = "faults[" + std::to_string(i) + "]";
      SSAI_RETURN_IF_ERROR(CheckKeys(f, where, {"at_s", "kind", "pop", "delay_s", "rtt_ms", "behaviour"}));
      FaultSpec fault;
      SSAI_RETURN_IF_ERROR(JsonFields(f, where).Number("at_s", &fault.at_s, {.min = 0, .max = kMaxScenarioS, .required = true}));
      SSAI_RETURN_IF_ERROR(JsonFields(f, where).String("kind", &fault.kind, true));
      if (fault.kind == "coordinator_restart") {
      } else if (fault.kind == "decision") {
        std::string b;
        SSAI_RETURN_IF_ERROR(JsonFields(f, where).String("behaviour", &b, true));
        SSAI_ASSIGN_OR_RETURN(fault.behaviour, ParseBehaviour(b, where + ".behaviour"));
      } else if (fault.kind == "kv_propagation" || fault.kind == "coordinator_rtt") {
        SSAI_RETURN_IF_ERROR(JsonFields(f, where).String("pop", &fault.pop, true));
        if (!find_pop(fault.pop)) return Bad(where + ".pop", "unknown pop '" + fault.pop + "'");
        SSAI_RETURN_IF_ERROR(JsonFields(f, where).Number(fault.kind == "kv_propagation" ? "delay_s" : "rtt_ms", &fault.value, {.min = 0, .max = fault.kind == "kv_propagation" ? kMaxScenarioS : 600000, .required = true}));
        if (fault.value < 0) return Bad(where, "must be >= 0");
      } else {
        return Bad(where + ".kind", "must be coordinator_restart, decision, kv_propagation or coordinator_rtt, got \"" +
                                        fault.kind + "\"");
      }
      s.faults.push_back(fault);
    }
    std::stable_sort(s.faults.begin(), s.faults.end(),
                     [](const FaultSpec& a, const FaultSpec& b) { return a.at_s < b.at_s; });
  }
  return s;
}

}  // namespace

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
  // early); the OUT side is rewritten to announce the planned one.
  for (const auto& [event_id, planned_s] : scenario.planned_duration_s) {
    double actual_s = 0;
    for (const origin::ScheduledBreak& b : scenario.origin.breaks) {
      if (b.event_id == event_id) actual_s = b.duration_s;
    }
    const std::string actual = FormatDouble(actual_s), planned = FormatDouble(planned_s);
    std::vector<std::pair<std::string, std::string>> rewrites = {
        {"#EXT-X-CUE-OUT:DURATION=" + actual + "\n", "#EXT-X-CUE-OUT:DURATION=" + planned + "\n"},
        {",Duration=" + actual + "\n", ",Duration=" + planned + "\n"},
        {",PLANNED-DURATION=" + actual + ",", ",PLANNED-DURATION=" + planned + ","},
    };
    // CUE-OUT-CONT lines also carry the OUT's SCTE-35 (whose break_duration is the actual one):
    // announce the plan and drop the contradicting binary.
    const std::string cont = ",Duration=" + actual + ",SCTE35=";
    for (size_t at = text.find(cont); at != std::string::npos; at = text.find(cont, at)) {
      const size_t eol = text.find('\n', at);
      text.replace(at, (eol == std::string::npos ? text.size() : eol) - at, ",Duration=" + planned);
    }
    for (const auto& [from, to] : rewrites) {
      for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
      }
    }
  }
  return text;
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

// One VOD ad track: the creative at its segment duration, under `base` ("seg_{i}" + the
// container's extension; `init` the fMP4 init's URI relative to the playlist, CMAF only).
std::string AdTrackPlaylist(const Scenario& scenario, const AdSpec& ad, const std::string& init,
                            const std::string& base, const char* ts_extension) {
  const double seg_s = ad.segment_duration_s > 0 ? ad.segment_duration_s
                                                 : MicrosToSeconds(origin::SegmentDurationMicros(scenario.origin));
  hls::VodTrack t;
  t.duration_s = ad.duration_s;
  t.segment_s = seg_s;
  t.cmaf = CmafOrigin(scenario);
  t.init_uri = init;
  t.segment_prefix = base + "/seg_";
  t.segment_suffix = t.cmaf ? ".m4s" : ts_extension;
  return hls::VodPlaylist(t);
}

}  // namespace

std::string AdAudioPlaylist(const Scenario& scenario, const AdSpec& ad, const std::string& language,
                            const std::string& base) {
  return AdTrackPlaylist(scenario, ad, "audio_" + language + "/init.mp4", base, ".aac");
}

std::string AdMediaPlaylist(const Scenario& scenario, const AdSpec& ad, int64_t bps, const std::string& base) {
  return AdTrackPlaylist(scenario, ad, std::to_string(bps) + "/init.mp4", base, ".ts");
}

}  // namespace ssai::conformance
