#include "reference/server/config.h"

#include <algorithm>
#include <cstdlib>
#include <set>

#include <nlohmann/json.hpp>

#include "reference/base/json_input.h"
#include "reference/io/files.h"
#include "reference/media/origin/synthetic_origin.h"
#include "reference/server/redis_kv.h"
#include "reference/ssai/builds.h"

namespace ssai::server {
namespace {

using Json = nlohmann::json;

Status FieldError(const std::string& path, const std::string& what) {
  return Status::InvalidArgument(path + ": " + what);
}

bool IsHttpUrl(std::string_view url) { return url.starts_with("http://") && url.size() > 7; }

Result<AdDecision> ParsePod(const Json& j, const std::string& path, const std::string& pod_id) {
  if (!j.is_object()) return FieldError(path, "must be an object");
  SSAI_RETURN_IF_ERROR(JsonFields(j, path).CheckKnown({"items"}));
  AdDecision d;
  d.pod_id = pod_id;
  auto items = j.find("items");
  if (items == j.end()) return d;
  if (!items->is_array()) return FieldError(path + ".items", "must be an array");
  for (size_t i = 0; i < items->size(); ++i) {
    const Json& ij = (*items)[i];
    const std::string ip = path + ".items[" + std::to_string(i) + "]";
    if (!ij.is_object()) return FieldError(ip, "must be an object");
    SSAI_RETURN_IF_ERROR(JsonFields(ij, ip).CheckKnown({"id", "duration", "variants", "segmentDuration", "audio"}));
    AdItem item;
    SSAI_RETURN_IF_ERROR(JsonFields(ij, ip).String("id", &item.id, true));
    if (!IsValidName(item.id)) return FieldError(ip + ".id", "must match [A-Za-z0-9_-]{1,64}");
    if (!ij.contains("duration")) return FieldError(ip + ".duration", "missing");
    SSAI_RETURN_IF_ERROR(JsonFields(ij, ip).Number("duration", &item.duration_s, {.min = 0.001, .max = 3600}));
    auto variants = ij.find("variants");
    if (variants == ij.end() || !variants->is_object() || variants->empty()) {
      return FieldError(ip + ".variants", "must be a non-empty object of bitrate -> URL");
    }
    for (auto it = variants->begin(); it != variants->end(); ++it) {
      const std::string vp = ip + ".variants[\"" + it.key() + "\"]";
      int64_t bps = 0;
      try {
        size_t used = 0;
        bps = std::stoll(it.key(), &used);
        if (used != it.key().size() || bps <= 0) bps = 0;
      } catch (...) {
        bps = 0;
      }
      if (bps <= 0) return FieldError(vp, "key must be a bitrate in bits/s");
      if (!it.value().is_string() || it.value().get<std::string>().empty()) return FieldError(vp, "must be a URL");
      item.variants.push_back({bps, it.value().get<std::string>()});
    }
    std::sort(item.variants.begin(), item.variants.end(),
              [](const AdVariant& a, const AdVariant& b) { return a.bitrate_bps < b.bitrate_bps; });
    if (ij.contains("segmentDuration")) {
      // A pod of creatives with their own timelines (splicer.h); set on every item or none.
      double sd = 0;
      SSAI_RETURN_IF_ERROR(JsonFields(ij, ip).Number("segmentDuration", &sd, {.min = 0.1, .max = 60}));
      item.segment_duration_s = sd;
    }
    if (auto au = ij.find("audio"); au != ij.end()) {
      // Demuxed audio per language, the ad's default first (adbreak_state.h AdAudio, issue 14).
      if (!au->is_array() || au->size() > kMaxAdAudioLanguages) {
        return FieldError(ip + ".audio", "must be an array of at most " + std::to_string(kMaxAdAudioLanguages) +
                                             " {\"language\", \"url\"}");
      }
      for (size_t k = 0; k < au->size(); ++k) {
        const Json& aj = (*au)[k];
        const std::string ap = ip + ".audio[" + std::to_string(k) + "]";
        if (!aj.is_object()) return FieldError(ap, "must be an object {\"language\", \"url\"}");
        SSAI_RETURN_IF_ERROR(JsonFields(aj, ap).CheckKnown({"language", "url"}));
        AdAudio a;
        SSAI_RETURN_IF_ERROR(JsonFields(aj, ap).String("language", &a.language, false));
        SSAI_RETURN_IF_ERROR(JsonFields(aj, ap).String("url", &a.url, true));
        if (a.url.empty()) return FieldError(ap + ".url", "must be a URL");
        item.audio.push_back(std::move(a));
      }
    }
    d.items.push_back(std::move(item));
  }
  size_t with_segments = 0;
  for (const AdItem& item : d.items) with_segments += item.segment_duration_s ? 1 : 0;
  if (with_segments != 0 && with_segments != d.items.size()) {
    return FieldError(path + ".items", "segmentDuration must be given on every item or on none");
  }
  return d;
}

Result<DecisionCatalogue> CatalogueFromJson(const Json& j, const std::string& path) {
  if (!j.is_object()) return FieldError(path.empty() ? "catalogue" : path, "must be an object");
  SSAI_RETURN_IF_ERROR(JsonFields(j, path).CheckKnown({"default_pod", "pods"}));
  DecisionCatalogue c;
  SSAI_RETURN_IF_ERROR(JsonFields(j, path).String("default_pod", &c.default_pod));
  auto pods = j.find("pods");
  if (pods != j.end()) {
    if (!pods->is_object()) return FieldError(JsonPath(path, "pods"), "must be an object of pod id -> pod");
    for (auto it = pods->begin(); it != pods->end(); ++it) {
      SSAI_ASSIGN_OR_RETURN(AdDecision d, ParsePod(it.value(), JsonPath(path, "pods") + "." + it.key(), it.key()));
      c.pods[it.key()] = std::move(d);
    }
  }
  if (!c.default_pod.empty() && !c.pods.count(c.default_pod)) {
    return FieldError(JsonPath(path, "default_pod"), "no pod '" + c.default_pod + "' in pods");
  }
  return c;
}

std::string Resolve(std::string_view base_dir, const std::string& path) {
  if (path.empty() || path.front() == '/' || base_dir.empty()) return path;
  return std::string(base_dir) + "/" + path;
}

// {"uri", "duration_s", "init_uri"}: a channel's or an alternate's slate. An fMP4 slate (CMAF
// channels, issue 14) names its init segment, declared as EXT-X-MAP before it.
Status ReadSlate(const Json& j, const std::string& path, AdSegment* slate) {
  SSAI_RETURN_IF_ERROR(JsonFields(j, path).CheckKnown({"uri", "duration_s", "init_uri"}));
  SSAI_RETURN_IF_ERROR(JsonFields(j, path).String("uri", &slate->uri, true));
  SSAI_RETURN_IF_ERROR(JsonFields(j, path).Number("duration_s", &slate->duration_s, {.min = 0.001, .max = 60}));
  std::string init;
  SSAI_RETURN_IF_ERROR(JsonFields(j, path).String("init_uri", &init, false));
  if (init.find_first_of("\"\r\n") != std::string::npos) {
    return FieldError(path + ".init_uri", "must not contain '\"' or a line break");
  }
  if (!init.empty()) slate->media.map = "URI=\"" + init + "\"";
  return Status::Ok();
}

Result<ChannelConfig> ParseChannel(const Json& j, const std::string& path) {
  if (!j.is_object()) return FieldError(path, "must be an object");
  SSAI_RETURN_IF_ERROR(JsonFields(j, path).CheckKnown({"org", "channel", "mode", "origin_master_url", "origin_base_url",
                                           "renditions", "alternates", "slate", "default_pod_id"}));
  ChannelConfig c;
  SSAI_RETURN_IF_ERROR(JsonFields(j, path).String("org", &c.org, true));
  SSAI_RETURN_IF_ERROR(JsonFields(j, path).String("channel", &c.channel, true));
  SSAI_RETURN_IF_ERROR(JsonFields(j, path).String("origin_master_url", &c.origin_master_url));
  std::string base;
  SSAI_RETURN_IF_ERROR(JsonFields(j, path).String("origin_base_url", &base));
  while (!base.empty() && base.back() == '/') base.pop_back();
  SSAI_RETURN_IF_ERROR(JsonFields(j, path).String("default_pod_id", &c.default_pod_id));
  std::string mode = "ssai";
  SSAI_RETURN_IF_ERROR(JsonFields(j, path).String("mode", &mode));
  if (mode == "ssai" || mode == "SSAI") {
    c.default_mode = InsertionMode::kSsai;
  } else if (mode == "sgai" || mode == "SGAI") {
    c.default_mode = InsertionMode::kSgai;
  } else {
    return FieldError(path + ".mode", "must be \"ssai\" or \"sgai\", got \"" + mode + "\"");
  }
  auto rs = j.find("renditions");
  if (rs == j.end() || !rs->is_array() || rs->empty()) {
    return FieldError(path + ".renditions", "must be a non-empty array");
  }
  for (size_t i = 0; i < rs->size(); ++i) {
    const Json& rj = (*rs)[i];
    const std::string rp = path + ".renditions[" + std::to_string(i) + "]";
    if (!rj.is_object()) return FieldError(rp, "must be an object");
    SSAI_RETURN_IF_ERROR(JsonFields(rj, rp).CheckKnown({"name", "bandwidth_bps", "origin_url", "codecs", "resolution"}));
    RenditionConfig r;
    SSAI_RETURN_IF_ERROR(JsonFields(rj, rp).String("name", &r.name, true));
    if (!rj.contains("bandwidth_bps")) return FieldError(rp + ".bandwidth_bps", "missing");
    SSAI_RETURN_IF_ERROR(JsonFields(rj, rp).Integer("bandwidth_bps", &r.bandwidth_bps, {.min = 1, .max = 1'000'000'000'000}));
    SSAI_RETURN_IF_ERROR(JsonFields(rj, rp).String("origin_url", &r.origin_url));
    // Written into the multivariant playlist's EXT-X-STREAM-INF (RFC 8216 §4.3.4.2).
    if (rj.contains("codecs")) {
      SSAI_RETURN_IF_ERROR(JsonFields(rj, rp).String("codecs", &r.codecs));
      if (!IsValidCodecs(r.codecs)) {
        return FieldError(rp + ".codecs", "expected a comma-separated codec list like \"avc1.64001f,mp4a.40.2\" "
                                          "(printable ASCII, no '\"'), got '" + r.codecs + "'");
      }
    }
    if (rj.contains("resolution")) {
      SSAI_RETURN_IF_ERROR(JsonFields(rj, rp).String("resolution", &r.resolution));
      if (!IsValidResolution(r.resolution)) {
        return FieldError(rp + ".resolution", "expected WIDTHxHEIGHT, got '" + r.resolution + "'");
      }
    }
    if (r.origin_url.empty()) {
      if (base.empty()) return FieldError(rp + ".origin_url", "missing (and no origin_base_url)");
      r.origin_url = base + "/" + r.name + ".m3u8";
    }
    c.renditions.push_back(std::move(r));
  }
  // Demuxed audio and subtitle renditions (issue 14, channel.h RenditionConfig), spliced in
  // lockstep with the variants: {"name", "type": "audio"|"subtitles", "group_id", "language",
  // "default", "origin_url", "slate": {"uri", "duration_s", "init_uri"}} (the slate: silence in
  // the rendition's format, or a blank WebVTT segment).
  if (auto as = j.find("alternates"); as != j.end()) {
    if (!as->is_array()) return FieldError(path + ".alternates", "must be an array");
    if (as->size() > 64) return FieldError(path + ".alternates", "at most 64 renditions");
    for (size_t i = 0; i < as->size(); ++i) {
      const Json& aj = (*as)[i];
      const std::string ap = path + ".alternates[" + std::to_string(i) + "]";
      if (!aj.is_object()) return FieldError(ap, "must be an object");
      SSAI_RETURN_IF_ERROR(
          JsonFields(aj, ap).CheckKnown({"name", "type", "group_id", "language", "default", "origin_url", "slate"}));
      RenditionConfig r;
      SSAI_RETURN_IF_ERROR(JsonFields(aj, ap).String("name", &r.name, true));
      std::string type;
      SSAI_RETURN_IF_ERROR(JsonFields(aj, ap).String("type", &type, true));
      if (type != "audio" && type != "subtitles") return FieldError(ap + ".type", "must be \"audio\" or \"subtitles\"");
      r.kind = type == "audio" ? RenditionKind::kAudio : RenditionKind::kSubtitles;
      r.group_id = r.kind == RenditionKind::kAudio ? "aud" : "sub";
      SSAI_RETURN_IF_ERROR(JsonFields(aj, ap).String("group_id", &r.group_id));
      SSAI_RETURN_IF_ERROR(JsonFields(aj, ap).String("language", &r.language));
      for (const std::string* v : {&r.group_id, &r.language}) {
        if (v->find_first_of("\"\r\n,") != std::string::npos) {
          return FieldError(ap + (v == &r.group_id ? ".group_id" : ".language"), "must not contain '\"', ',' or a line break");
        }
      }
      SSAI_RETURN_IF_ERROR(JsonFields(aj, ap).Bool("default", &r.is_default));
      SSAI_RETURN_IF_ERROR(JsonFields(aj, ap).String("origin_url", &r.origin_url));
      if (r.origin_url.empty()) {
        if (base.empty()) return FieldError(ap + ".origin_url", "missing (and no origin_base_url)");
        r.origin_url = base + "/" + r.name + ".m3u8";
      }
      auto sl = aj.find("slate");
      if (sl == aj.end() || !sl->is_object()) {
        return FieldError(ap + ".slate", "must be an object: what this rendition plays where ads have no media for it");
      }
      SSAI_RETURN_IF_ERROR(ReadSlate(*sl, ap + ".slate", &r.slate));
      c.alternates.push_back(std::move(r));  // names checked with the variants' (ValidateServerConfig)
    }
  }
  auto slate = j.find("slate");
  if (slate != j.end()) {
    if (!slate->is_object()) return FieldError(path + ".slate", "must be an object");
    SSAI_RETURN_IF_ERROR(ReadSlate(*slate, path + ".slate", &c.slate));
  }
  return c;
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAll: return "all";
    case Role::kEdge: return "edge";
    case Role::kCoordinator: return "coordinator";
  }
  return "all";
}

Result<Role> ParseRole(std::string_view name) {
  if (name == "all") return Role::kAll;
  if (name == "edge") return Role::kEdge;
  if (name == "coordinator") return Role::kCoordinator;
  return Status::InvalidArgument("role: must be all, edge or coordinator, got '" + std::string(name) + "'");
}

Result<DecisionCatalogue> ParseDecisionCatalogue(std::string_view json) {
  // Bounded nesting; nothing the JSON library throws escapes (the readers check every type).
  SSAI_ASSIGN_OR_RETURN(Json j, ParseJsonInput(json, "catalogue"));
  return CatchJsonErrors("catalogue", [&] { return CatalogueFromJson(j, ""); });
}

Status ParseListen(std::string_view text, std::string* host, int* port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Status::InvalidArgument("listen: expected HOST:PORT, got '" + std::string(text) + "'");
  }
  const std::string p(text.substr(colon + 1));
  int v = -1;
  try {
    size_t used = 0;
    v = std::stoi(p, &used);
    if (used != p.size()) v = -1;
  } catch (...) {
    v = -1;
  }
  if (v < 0 || v > 65535) return Status::InvalidArgument("listen: bad port '" + p + "'");
  *host = std::string(text.substr(0, colon));
  *port = v;
  return Status::Ok();
}

namespace {
Result<ServerConfig> ParseServerConfigJson(const Json& j, std::string_view base_dir);
}  // namespace

Result<ServerConfig> ParseServerConfig(std::string_view json, std::string_view base_dir) {
  // Bounded nesting; nothing the JSON library throws escapes (the readers check every type).
  SSAI_ASSIGN_OR_RETURN(Json j, ParseJsonInput(json, "config"));
  return CatchJsonErrors("config", [&] { return ParseServerConfigJson(j, base_dir); });
}

namespace {

Result<ServerConfig> ParseServerConfigJson(const Json& j, std::string_view base_dir) {
  if (!j.is_object()) return Status::InvalidArgument("config: must be a JSON object");
  SSAI_RETURN_IF_ERROR(JsonFields(j, "").CheckKnown({"role", "listen", "build", "kv", "journal_path", "coordinator_url",
                                         "auth", "timeouts", "limits", "decision", "channels", "comment", "inject",
                                         "log"}));
  ServerConfig c;
  std::string role = "all";
  SSAI_RETURN_IF_ERROR(JsonFields(j, "").String("role", &role));
  SSAI_ASSIGN_OR_RETURN(c.role, ParseRole(role));
  std::string listen;
  SSAI_RETURN_IF_ERROR(JsonFields(j, "").String("listen", &listen));
  if (!listen.empty()) SSAI_RETURN_IF_ERROR(ParseListen(listen, &c.listen_host, &c.port));
  SSAI_RETURN_IF_ERROR(JsonFields(j, "").String("build", &c.build));
  SSAI_RETURN_IF_ERROR(JsonFields(j, "").String("journal_path", &c.journal_path));
  c.journal_path = Resolve(base_dir, c.journal_path);
  SSAI_RETURN_IF_ERROR(JsonFields(j, "").String("coordinator_url", &c.coordinator_url));
  if (auto kv = j.find("kv"); kv != j.end()) {
    if (!kv->is_object()) return FieldError("kv", "must be an object");
    SSAI_RETURN_IF_ERROR(JsonFields(*kv, "kv").CheckKnown({"backend", "propagation_delay_ms", "primary", "replica",
                                                "timeout_ms", "cache_ttl_s"}));
    SSAI_RETURN_IF_ERROR(JsonFields(*kv, "kv").String("backend", &c.kv_backend));
    SSAI_RETURN_IF_ERROR(JsonFields(*kv, "kv").Integer("propagation_delay_ms", &c.kv_propagation_delay_ms, {.min = 0, .max = 600'000}));
    SSAI_RETURN_IF_ERROR(JsonFields(*kv, "kv").String("primary", &c.kv_redis_primary));
    SSAI_RETURN_IF_ERROR(JsonFields(*kv, "kv").String("replica", &c.kv_redis_replica));
    SSAI_RETURN_IF_ERROR(JsonFields(*kv, "kv").Integer("timeout_ms", &c.kv_timeout_ms, {.min = 1, .max = 60'000}));
    SSAI_RETURN_IF_ERROR(JsonFields(*kv, "kv").Integer("cache_ttl_s", &c.kv_cache_ttl_s, {.min = 0, .max = 86'400}));
  }
  if (auto auth = j.find("auth"); auth != j.end()) {
    if (!auth->is_object()) return FieldError("auth", "must be an object");
    SSAI_RETURN_IF_ERROR(JsonFields(*auth, "auth").CheckKnown({"token", "token_env", "disabled", "jwt_secret",
                                                    "jwt_secret_env", "jwt_audience"}));
    SSAI_RETURN_IF_ERROR(JsonFields(*auth, "auth").String("token", &c.cue_token));
    std::string env;
    SSAI_RETURN_IF_ERROR(JsonFields(*auth, "auth").String("token_env", &env));
    if (!env.empty() && c.cue_token.empty()) {
      if (const char* v = std::getenv(env.c_str())) c.cue_token = v;
    }
    SSAI_RETURN_IF_ERROR(JsonFields(*auth, "auth").String("jwt_secret", &c.jwt_secret));
    std::string jwt_env;
    SSAI_RETURN_IF_ERROR(JsonFields(*auth, "auth").String("jwt_secret_env", &jwt_env));
    if (!jwt_env.empty() && c.jwt_secret.empty()) {
      const char* v = std::getenv(jwt_env.c_str());
      if (v == nullptr || *v == '\0') {
        return FieldError("auth.jwt_secret_env", "environment variable " + jwt_env + " is not set");
      }
      c.jwt_secret = v;
    }
    SSAI_RETURN_IF_ERROR(JsonFields(*auth, "auth").String("jwt_audience", &c.jwt_audience));
    SSAI_RETURN_IF_ERROR(JsonFields(*auth, "auth").Bool("disabled", &c.auth_disabled));
  }
  if (auto t = j.find("timeouts"); t != j.end()) {
    if (!t->is_object()) return FieldError("timeouts", "must be an object");
    SSAI_RETURN_IF_ERROR(JsonFields(*t, "timeouts").CheckKnown({"origin_ms", "decision_ms", "coordinator_ms", "request_ms",
                                                    "origin_last_good_max_age_ms"}));
    SSAI_RETURN_IF_ERROR(JsonFields(*t, "timeouts").Integer("origin_ms", &c.origin_timeout_ms, {.min = 1, .max = 60'000}));
    SSAI_RETURN_IF_ERROR(JsonFields(*t, "timeouts").Integer("decision_ms", &c.decision_timeout_ms, {.min = 1, .max = 60'000}));
    SSAI_RETURN_IF_ERROR(JsonFields(*t, "timeouts").Integer("coordinator_ms", &c.coordinator_timeout_ms, {.min = 1, .max = 60'000}));
    SSAI_RETURN_IF_ERROR(JsonFields(*t, "timeouts").Integer("request_ms", &c.request_timeout_ms, {.min = 1, .max = 120'000}));
    SSAI_RETURN_IF_ERROR(
        JsonFields(*t, "timeouts").Integer("origin_last_good_max_age_ms", &c.origin_last_good_max_age_ms, {.min = 0, .max = 600'000}));
  }
  if (auto l = j.find("limits"); l != j.end()) {
    if (!l->is_object()) return FieldError("limits", "must be an object");
    // Gone with cpp-httplib's inbound thread pool: say so rather than "unknown field".
    if (l->contains("http_threads")) {
      return FieldError("limits.http_threads", "no longer exists: HTTP is served on the core thread (remove it)");
    }
    SSAI_RETURN_IF_ERROR(JsonFields(*l, "limits").CheckKnown({"worker_threads", "max_origin_body_bytes",
                                                  "master_max_age_s", "origin_cache_ms",
                                                  "journal_compact_after_records", "journal_max_group_records"}));
    SSAI_RETURN_IF_ERROR(JsonFields(*l, "limits").Integer("origin_cache_ms", &c.origin_cache_ms, {.min = 0, .max = 60'000}));
    SSAI_RETURN_IF_ERROR(JsonFields(*l, "limits").Integer("worker_threads", &c.worker_threads, {.min = 1, .max = 256}));
    SSAI_RETURN_IF_ERROR(JsonFields(*l, "limits").Integer("max_origin_body_bytes", &c.max_origin_body_bytes, {.min = 1024, .max = 256 * 1024 * 1024}));
    SSAI_RETURN_IF_ERROR(JsonFields(*l, "limits").Integer("master_max_age_s", &c.master_max_age_s, {.min = 0, .max = 86400}));
    SSAI_RETURN_IF_ERROR(JsonFields(*l, "limits").Integer("journal_compact_after_records", &c.journal_compact_after_records, {.min = 1, .max = 100'000'000}));
    SSAI_RETURN_IF_ERROR(
        JsonFields(*l, "limits").Integer("journal_max_group_records", &c.journal_max_group_records, {.min = 1, .max = 1'000'000}));
  }
  if (auto log = j.find("log"); log != j.end()) {
    // What the server logs (log.h): {"level": "info", "format": "text"|"json", "path": "",
    // "access_log": false}; the path is resolved like journal_path, "" = stderr.
    if (!log->is_object()) return FieldError("log", "must be an object");
    SSAI_RETURN_IF_ERROR(JsonFields(*log, "log").CheckKnown({"level", "format", "path", "access_log"}));
    std::string level = "info", format = "text";
    SSAI_RETURN_IF_ERROR(JsonFields(*log, "log").String("level", &level));
    Result<LogLevel> parsed = ParseLogLevel(level);
    if (!parsed.ok()) return FieldError("log.level", "must be debug, info, warn, error or off");
    c.log.level = *parsed;
    SSAI_RETURN_IF_ERROR(JsonFields(*log, "log").String("format", &format));
    if (format != "text" && format != "json") return FieldError("log.format", "must be text or json");
    c.log.json = format == "json";
    SSAI_RETURN_IF_ERROR(JsonFields(*log, "log").String("path", &c.log.path));
    c.log.path = Resolve(base_dir, c.log.path);
    SSAI_RETURN_IF_ERROR(JsonFields(*log, "log").Bool("access_log", &c.log.access_log));
  }
  if (auto inj = j.find("inject"); inj != j.end()) {
    if (!inj->is_object()) return FieldError("inject", "must be an object");
    SSAI_RETURN_IF_ERROR(JsonFields(*inj, "inject").CheckKnown({"coordinator_latency_ms"}));
    if (auto lat = inj->find("coordinator_latency_ms"); lat != inj->end()) {
      if (!lat->is_array() || lat->size() != 2 || !(*lat)[0].is_number_integer() ||
          !(*lat)[1].is_number_integer()) {
        return FieldError("inject.coordinator_latency_ms", "must be [min_ms, max_ms] (integers)");
      }
      const int64_t lo = (*lat)[0].get<int64_t>(), hi = (*lat)[1].get<int64_t>();
      if (lo < 0 || hi < lo || hi > 60'000) {
        return FieldError("inject.coordinator_latency_ms", "must satisfy 0 <= min_ms <= max_ms <= 60000");
      }
      c.inject_coordinator_latency_min_ms = lo;
      c.inject_coordinator_latency_max_ms = hi;
    }
  }
  if (auto d = j.find("decision"); d != j.end()) {
    if (!d->is_object()) return FieldError("decision", "must be an object");
    SSAI_RETURN_IF_ERROR(JsonFields(*d, "decision").CheckKnown({"url", "catalogue", "catalogue_file", "latency_ms",
                                                    "failure_rate", "ad_segment_duration_s", "seed", "media",
                                                    "format", "device_ip_from", "container"}));
    SSAI_RETURN_IF_ERROR(JsonFields(*d, "decision").String("url", &c.decision.url));
    SSAI_RETURN_IF_ERROR(JsonFields(*d, "decision").String("device_ip_from", &c.decision.device_ip_from));
    if (c.decision.device_ip_from != "peer" && c.decision.device_ip_from != "x-forwarded-for") {
      return FieldError("decision.device_ip_from",
                        "must be peer or x-forwarded-for, got '" + c.decision.device_ip_from.substr(0, 32) + "'");
    }
    SSAI_RETURN_IF_ERROR(JsonFields(*d, "decision").String("format", &c.decision.format));
    if (c.decision.format != "json" && c.decision.format != "vast") {
      return FieldError("decision.format", "must be json or vast, got '" + c.decision.format + "'");
    }
    if (c.decision.format == "vast" && c.decision.url.empty()) {
      return FieldError("decision.format", "vast needs decision.url (the ad tag)");
    }
    SSAI_RETURN_IF_ERROR(JsonFields(*d, "decision").Integer("latency_ms", &c.decision.latency_ms, {.min = 0, .max = 60'000}));
    SSAI_RETURN_IF_ERROR(JsonFields(*d, "decision").Number("failure_rate", &c.decision.failure_rate, {.min = 0, .max = 1}));
    SSAI_RETURN_IF_ERROR(
        JsonFields(*d, "decision").Number("ad_segment_duration_s", &c.decision.ad_segment_duration_s, {.min = 0.1, .max = 60}));
    SSAI_RETURN_IF_ERROR(JsonFields(*d, "decision").Integer("seed", &c.decision.seed, {.min = 0}));
    SSAI_RETURN_IF_ERROR(JsonFields(*d, "decision").String("media", &c.decision.media));
    if (c.decision.media != "none" && c.decision.media != "ffmpeg") {
      return FieldError("decision.media", "must be none or ffmpeg, got '" + c.decision.media + "'");
    }
    SSAI_RETURN_IF_ERROR(JsonFields(*d, "decision").String("container", &c.decision.container));
    if (c.decision.container != "ts" && c.decision.container != "cmaf") {
      return FieldError("decision.container", "must be ts or cmaf, got '" + c.decision.container + "'");
    }
    if (auto cat = d->find("catalogue"); cat != d->end()) {
      SSAI_ASSIGN_OR_RETURN(c.decision.catalogue, CatalogueFromJson(*cat, "decision.catalogue"));
    }
    std::string file;
    SSAI_RETURN_IF_ERROR(JsonFields(*d, "decision").String("catalogue_file", &file));
    if (!file.empty()) {
      // "decision.catalogue_file: DIR/FILE: cannot read: No such file or directory"
      Result<std::string> text_or = io::ReadFileToString(Resolve(base_dir, file), kMaxCatalogueBytes);
      if (!text_or.ok()) return text_or.status().WithContext("decision.catalogue_file");
      const std::string& text = *text_or;
      Result<DecisionCatalogue> cat = ParseDecisionCatalogue(text);
      if (!cat.ok()) return cat.status().WithContext("decision.catalogue_file " + file);
      c.decision.catalogue = std::move(cat).value();
    }
  }
  if (auto chs = j.find("channels"); chs != j.end()) {
    if (!chs->is_array()) return FieldError("channels", "must be an array");
    for (size_t i = 0; i < chs->size(); ++i) {
      SSAI_ASSIGN_OR_RETURN(ChannelConfig ch, ParseChannel((*chs)[i], "channels[" + std::to_string(i) + "]"));
      c.channels.push_back(std::move(ch));
    }
  }
  SSAI_RETURN_IF_ERROR(ValidateServerConfig(c));
  return c;
}

}  // namespace

Status ValidateServerConfig(const ServerConfig& c) {
  if (FindBuild(c.build) == nullptr) return FieldError("build", "unknown build '" + c.build + "'");
  if (c.kv_backend != "sim" && c.kv_backend != "redis") {
    return FieldError("kv.backend", "must be \"sim\" or \"redis\", got \"" + c.kv_backend + "\"");
  }
  if (c.kv_backend == "redis") {
    std::string host;
    int port = 0;
    if (c.kv_redis_primary.empty()) return FieldError("kv.primary", "backend redis needs the primary's HOST:PORT");
    if (Status s = ParseHostPort(c.kv_redis_primary, &host, &port); !s.ok()) return FieldError("kv.primary", s.message());
    if (!c.kv_redis_replica.empty()) {
      if (Status s = ParseHostPort(c.kv_redis_replica, &host, &port); !s.ok()) return FieldError("kv.replica", s.message());
    }
  } else if (!c.kv_redis_primary.empty() || !c.kv_redis_replica.empty()) {
    return FieldError("kv.primary", "only for backend redis");
  }
  if (c.role == Role::kEdge && !IsHttpUrl(c.coordinator_url)) {
    return FieldError("coordinator_url", "role edge needs the coordinator's http:// base URL");
  }
  if (!c.decision.url.empty() && !IsHttpUrl(c.decision.url)) {
    return FieldError("decision.url", "must be an http:// URL");
  }
  std::set<std::string> ids;
  for (size_t i = 0; i < c.channels.size(); ++i) {
    const ChannelConfig& ch = c.channels[i];
    const std::string p = "channels[" + std::to_string(i) + "]";
    if (!IsValidName(ch.org)) return FieldError(p + ".org", "must match [A-Za-z0-9_-]{1,64}");
    if (!IsValidName(ch.channel)) return FieldError(p + ".channel", "must match [A-Za-z0-9_-]{1,64}");
    if (!ids.insert(ch.channel_id()).second) return FieldError(p, "duplicate channel " + ch.org + "/" + ch.channel);
    if (!ch.origin_master_url.empty() && !IsHttpUrl(ch.origin_master_url)) {
      return FieldError(p + ".origin_master_url", "must be an http:// URL");
    }
    std::set<std::string> names;
    for (size_t r = 0; r < ch.renditions.size(); ++r) {
      const RenditionConfig& rc = ch.renditions[r];
      const std::string rp = p + ".renditions[" + std::to_string(r) + "]";
      if (!IsValidName(rc.name) || rc.name == "master") return FieldError(rp + ".name", "must match [A-Za-z0-9_-]{1,64}, not 'master'");
      if (!names.insert(rc.name).second) return FieldError(rp + ".name", "duplicate rendition " + rc.name);
      if (!IsHttpUrl(rc.origin_url)) return FieldError(rp + ".origin_url", "must be an http:// URL");
    }
    // Alternates are served at {name}.m3u8 beside the variants: one name space.
    for (size_t r = 0; r < ch.alternates.size(); ++r) {
      const RenditionConfig& rc = ch.alternates[r];
      const std::string rp = p + ".alternates[" + std::to_string(r) + "]";
      if (!IsValidName(rc.name) || rc.name == "master") return FieldError(rp + ".name", "must match [A-Za-z0-9_-]{1,64}, not 'master'");
      if (!names.insert(rc.name).second) return FieldError(rp + ".name", "duplicate rendition " + rc.name);
      if (!IsHttpUrl(rc.origin_url)) return FieldError(rp + ".origin_url", "must be an http:// URL");
    }
  }
  return Status::Ok();
}

Result<ServerConfig> LoadServerConfig(const std::string& path) {
  // "PATH: cannot read: ...", "PATH: larger than 1 MiB" (the cap applies while reading)
  SSAI_ASSIGN_OR_RETURN(std::string text, io::ReadFileToString(path, kMaxConfigBytes));
  std::string dir;
  if (size_t slash = path.rfind('/'); slash != std::string::npos) dir = path.substr(0, slash);
  Result<ServerConfig> c = ParseServerConfig(text, dir);
  if (!c.ok()) return c.status().WithContext(path);
  return c;
}

nlohmann::json RenditionConfigJson(const origin::Rendition& r) {
  Json rj = {{"name", r.name}, {"bandwidth_bps", r.bandwidth_bps}};
  if (!r.codecs.empty()) rj["codecs"] = r.codecs;
  if (!r.resolution.empty()) rj["resolution"] = r.resolution;
  return rj;
}

}  // namespace ssai::server
