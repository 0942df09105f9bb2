// `ssai serve` configuration: a JSON file (see README.md for the format), overridable by flags.
#ifndef SSAI_REFERENCE_SERVER_CONFIG_H_
#define SSAI_REFERENCE_SERVER_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "reference/base/status.h"
#include "reference/server/log.h"
#include "reference/ssai/adbreak_state.h"
#include "reference/ssai/channel.h"
#include "reference/ssai/env.h"

namespace ssai::origin {
struct Rendition;
}  // namespace ssai::origin

namespace ssai::server {

enum class Role { kAll, kEdge, kCoordinator };
std::string_view RoleName(Role role);  // "all" | "edge" | "coordinator"
Result<Role> ParseRole(std::string_view name);

// A pod catalogue for the built-in decision service. Ad URLs may contain "{self}", replaced by the
// base URL of the server that serves the catalogue (its /ads/ route makes the ad playlists).
struct DecisionCatalogue {
  std::map<std::string, AdDecision> pods;  // by pod id
  std::string default_pod;                 // used when the request names no known pod; "" = none
};
// {"default_pod": "p1", "pods": {"p1": {"items": [{"id": "a1", "duration": 15,
//   "variants": {"800000": "{self}/ads/a1/800000.m3u8"}}]}}}
// Input caps (applied while reading): a config is hand-written, a few KiB; a catalogue may list
// many pods.
inline constexpr size_t kMaxConfigBytes = size_t{1} << 20;
inline constexpr size_t kMaxCatalogueBytes = size_t{4} << 20;

Result<DecisionCatalogue> ParseDecisionCatalogue(std::string_view json);

struct DecisionConfig {
  std::string url;  // a remote decision service (POST); empty = the built-in catalogue
  // What `url` speaks: "json" (the seed's POST /decision, HttpDecisionClient) or "vast" (an ad
  // tag GET answering VAST 4; macros {duration} {channel} {event} {pod}; vast_decision.h: wrappers
  // followed, a pod of creatives segmented at ad_segment_duration_s, slate and the Error URLs
  // fired on failure).
  std::string format = "json";
  DecisionCatalogue catalogue;
  int64_t latency_ms = 0;     // built-in: added latency per decision
  double failure_rate = 0;    // built-in: fraction of decisions that fail (0..1)
  double ad_segment_duration_s = 2;  // segments of the /ads/ playlists; VAST: of the creatives' HLS
  uint64_t seed = 1;          // built-in failure draws
  // Built-in: what GET /ads/{id}/{bps}_{i}.ts serves: "none" (404) or "ffmpeg" (real MPEG-TS,
  // media_library.h).
  std::string media = "none";
  // Built-in: the ads' container (issue 14): "ts" (default) or "cmaf" (fMP4 for CMAF channels:
  // each ad variant playlist declares its own EXT-X-MAP {bps}_init.mp4 and lists {bps}_{i}.m4s, so
  // the splice is CMAF to CMAF).
  std::string container = "ts";
  // Server-side beacons' X-Device-IP (beacon_sender.h): "peer" (the connection's address) or
  // "x-forwarded-for" (the last entry, appended by a trusted front; only behind one).
  std::string device_ip_from = "peer";
};

struct ServerConfig {
  Role role = Role::kAll;
  std::string listen_host = "127.0.0.1";
  int port = 8080;  // 0 = any free port
  std::string build = "kv-hybrid";
  // KV backend: "sim" (in-process, real clock) or "redis" (redis_kv.h: the coordinator writes
  // `kv_redis_primary`, an edge reads `kv_redis_replica`, or the primary if empty).
  std::string kv_backend = "sim";
  int64_t kv_propagation_delay_ms = 0;
  std::string kv_redis_primary;  // "host:port"
  std::string kv_redis_replica;  // "host:port"; empty = read the primary
  int64_t kv_timeout_ms = 200;   // Redis connect and command timeout
  int64_t kv_cache_ttl_s = 0;    // edge read cache incl. misses (kv_cache.h, Workers cacheTtl); 0 = off
  std::string journal_path;     // durable store journal; empty = memory only (development)
  // Journal tuning (asio_env.h JournalDurableStore::Options): compaction threshold and group size.
  int64_t journal_compact_after_records = 1000;
  size_t journal_max_group_records = 4096;
  std::string coordinator_url;  // role edge: the coordinator's base URL
  // Cue API auth: bearer token compared in constant time; `auth_disabled` is the dev switch.
  std::string cue_token;
  bool auth_disabled = false;
  // Or a JWT HS256 signed with this secret (jwt_auth.h); `jwt_audience` non-empty = aud checked.
  std::string jwt_secret;
  std::string jwt_audience;
  // Bounds on every outbound call and every request.
  int64_t origin_timeout_ms = 2000;
  int64_t decision_timeout_ms = kDefaultDecisionTimeoutUs / kMicrosPerMilli;  // env.h: one default
  // An edge's wait for the coordinator: longer than decision_timeout_ms plus a far POP's round
  // trip, since the coordinator answers a new break only once its decision arrives or times out
  // (slate). At 1000 ms an edge of a split deployment gave up first on a hung decision and served
  // content over the break's first slots (found by conformance serve:'s per-POP edges, issue 18).
  int64_t coordinator_timeout_ms = 2500;
  int64_t request_timeout_ms = 5000;
  int64_t origin_last_good_max_age_ms = 6000;
  // 2 MiB, MediaTailor's origin-manifest quota: a larger live playlist is a misconfigured window,
  // and every copy of one costs the core thread a parse and a splice (issue 13 measured 0.5 s and
  // 200 MB RSS at 3.9 MB). Larger answers are a failed fetch: the last good copy, then 502.
  size_t max_origin_body_bytes = 2 * 1024 * 1024;
  int worker_threads = 4;  // outbound HTTP calls
  int64_t master_max_age_s = 30;  // Cache-Control of multivariant playlists
  // The edge reuses an origin playlist this long (and coalesces concurrent fetches); 0 = off.
  int64_t origin_cache_ms = 250;
  // Benchmarks (`inject`): every edge -> coordinator call waits uniform [min, max] ms first (the
  // seed's Durable Object read latency, 50-200 ms); 0/0 = off.
  int64_t inject_coordinator_latency_min_ms = 0;
  int64_t inject_coordinator_latency_max_ms = 0;
  DecisionConfig decision;
  std::vector<ChannelConfig> channels;
  LogOptions log;  // what the server logs, where (log.h); `ssai serve` logs info to stderr
};

// Parses and validates (channel names, URLs, no duplicate channels); errors name the field
// ("channels[1].renditions[0].origin_url: missing"). Relative file paths in the config
// (decision.catalogue_file, journal_path) are resolved against `base_dir`.
Result<ServerConfig> ParseServerConfig(std::string_view json, std::string_view base_dir = "");
Result<ServerConfig> LoadServerConfig(const std::string& path);
Status ValidateServerConfig(const ServerConfig& config);

// A config's `channels[].renditions[]` entry for an origin rendition, for the harnesses that
// write configs (conformance `serve:`, `ssai fidelity`): name, bandwidth_bps, and the origin's
// CODECS/RESOLUTION when it has them (for the multivariant playlist, RFC 8216 §4.3.4.2).
nlohmann::json RenditionConfigJson(const origin::Rendition& rendition);

// "host:port" -> (host, port); port 0 allowed.
Status ParseListen(std::string_view text, std::string* host, int* port);

}  // namespace ssai::server

#endif  // SSAI_REFERENCE_SERVER_CONFIG_H_
