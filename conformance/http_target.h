// Real-time targets: a deployment reached over HTTP on loopback.
//
//   http     a third-party deployment described by a target profile (TargetProfile, a JSON file
//            documented in conformance/README.md): URL templates for the multivariant and media
//            playlists ({org}, {channel}, {rendition}), the cue API (method, URL, body template,
//            auth header), optional response header for KV hit/miss, optional metrics URL, and
//            where the harness listens so the target can use its origin and decision service.
//   serve:B  our own server (reference/server, in-process on a real clock) with build B, deployed
//            as the scenario's POPs say: one coordinator (cue API, decisions, KV writes) and one
//            edge per POP on its own loopback port, each with the POP's coordinator round trip,
//            KV propagation delay, KV latency and read cache (ServePopEdges), all sharing one
//            in-process KV store; pointed at the harness's origin and decision service. The
//            harness then drives it as it drives an `http` target (the same TargetProfile,
//            generated, with each POP's viewers on their POP's edge) and injects the scenario's
//            run-time faults (kv_propagation, coordinator_rtt, coordinator_restart, decision).
//
// Either way the harness (HarnessServices) serves, on 127.0.0.1, the scenario's synthetic origin
// shifted to start now (GET /origin/{rendition}.m3u8), the ad media playlists (GET
// /ads/{id}/{bps}.m3u8), a slate URI, and a decision service (POST /decision, the body
// reference/server's HttpDecisionClient sends) that behaves as the scenario says and records every
// request. Viewers poll in real time (one thread each, reloading every target duration on an
// absolute schedule, RFC 8216 §6.3.4), cues and probes go through the real HTTP API. What the
// wire cannot show (KV puts, expiry) is left out of Observations and those checks are skipped.
#ifndef SSAI_CONFORMANCE_HTTP_TARGET_H_
#define SSAI_CONFORMANCE_HTTP_TARGET_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/target.h"
#include "reference/server/http_client.h"

namespace ssai::conformance {

// `--target observe` (observe_target.h): the deployment is only watched. `ssai.master_url` is
// its output; `origin_url` (optional) the multivariant playlist it is derived from, recorded
// alongside as the ground truth (without it, the output's own markers are the truth and
// `ad_uri_prefix` is required); `viewers` players follow the output.
struct ObserveSpec {
  std::string origin_url;
  int viewers = 2;
  // Session initialisation (MediaTailor's POST /v1/session/..., DAI's stream request): each
  // viewer first sends `session_body` to `session_url` and plays the multivariant URL found at
  // `session_pointer` in the JSON answer (relative URLs resolve against session_url), instead
  // of ssai.master_url. Empty session_url: no session step.
  std::string session_url;
  std::string session_method = "POST";
  std::string session_body = "{}";
  std::string session_pointer = "/manifestUrl";
};

// How a target ends a break early (the profile's `cue.stop`): the same placeholders as cue.body
// but {duration}/{pod_id}; method and URL default to the cue's. The acknowledgement is read with
// the cue's pointers (event id, endTime = when the stop takes effect).
struct CueStopSpec {
  std::string method;  // empty: cue.method
  std::string url;     // empty: cue.url
  std::string body;
};

struct TargetProfile {
  std::string name = "http";
  std::string org;      // {org} in the templates
  std::string channel;  // {channel}
  // How viewers of one insertion mode reach the target: URL templates ({org}, {channel},
  // {rendition}) and request headers (values may use {token}). A deployment may select SGAI by a
  // query parameter, a path, a header or a user agent; each mode says its own.
  struct Playlists {
    std::string master_url;   // "http://127.0.0.1:8080/{org}/{channel}/master.m3u8"; empty = not fetched
    std::string variant_url;  // "http://127.0.0.1:8080/{org}/{channel}/{rendition}.m3u8"
    std::map<std::string, std::string> headers;
  };
  Playlists ssai;                  // the `ssai` block, or top-level master_url/variant_url
  std::optional<Playlists> sgai;   // absent: a scenario with SGAI viewers is refused by name
  std::string viewer_token;        // {token} in viewer headers
  std::string viewer_token_env;
  struct Cue {
    std::string method = "POST";
    std::string url;  // required
    // Placeholders {org} {channel} {duration} {pod_id} {pod_id_field} (`,"pod_id":"..."` or
    // empty) {now_iso} {now_epoch_s} {now_epoch_ms}; `{name|default}` gives a default
    // for a value the scenario leaves empty (e.g. {pod_id|house-pod}).
    std::string body = R"({"org":"{org}","channel":"{channel}","duration":{duration}{pod_id_field}})";
    std::string content_type = "application/json";
    std::string auth_header = "Authorization";
    std::string auth_value = "Bearer {token}";  // {token}: `token`, else the env var `token_env`
    std::string token;
    std::string token_env;
    // JSON pointers into a 200 answer (RFC 6901); empty = the target does not say.
    std::string event_id_pointer = "/eventId";
    std::string duplicate_pointer = "/duplicate";
    std::string start_time_pointer = "/adBreak/startTime";
    std::string end_time_pointer = "/adBreak/endTime";
    // How the time pointers' values read: "auto" (an ISO 8601 string, or a number: epoch
    // milliseconds when > 1e11, else epoch seconds), "iso8601", "epoch_s", "epoch_ms".
    std::string time_format = "auto";
    // Absent: the target cannot end a break early; a scenario with a "stop" cue is refused.
    std::optional<CueStopSpec> stop;
    bool probes = true;  // run the api.* probes (auth, validation) when the scenario asks
    // "classes": a probe passes when it is refused with a fitting 4xx and a machine-readable body,
    // in the target's own words and limits; "strict": our server's exact wording, statuses and
    // limits (128-char pod id, 64 KiB body), as `serve:` uses.
    std::string api_checks = "classes";
  } cue;
  // Who decides the ads: "harness" (the target calls the harness's decision service), "vast"
  // (the target calls the harness's VAST ad server, GET {harness}/vast/tag.xml?...: the
  // scenario's VAST tag, or the pod of its ads; decision faults apply to it; vast.*/beacon.* are
  // judged) or "own" (the target keeps its own ad server: decision checks are skipped with the
  // reason and decision faults are refused by name).
  std::string decision = "harness";
  std::optional<ObserveSpec> observe;  // a profile with this block needs no `cue`
  std::string state_source_header;  // e.g. "X-SSAI-State-Source"; empty = unknown
  std::string metrics_url;          // fetched before and after the run (stats: bytes); optional
  // Where the harness serves origin + decision (the target must be configured to use them).
  std::string harness_listen = "127.0.0.1:0";
  // Ad/slate URI recognition; default: the harness's own /ads/ prefix and /slate.ts.
  std::string ad_uri_prefix;
  std::string slate_uri;
  // https:// URLs (issue 16: real deployments are https-only): whom to trust. Default: the
  // system CA store; `tls.ca_file` (relative to the profile) a private CA's PEM bundle;
  // `tls.insecure: true` verifies nothing (a lab setup; the run says so on stderr).
  server::TlsOptions tls;
  // Issue 15: the query parameter naming the viewer session on media playlist requests (each
  // harness viewer sends its own, beacons.h); empty = none sent. serve: sets "session".
  std::string session_param;
  // Per-POP playlists (the profile's `pops` block; serve: sets one edge per POP): a viewer of a
  // POP listed here asks these instead of the top-level ssai/sgai, e.g. one CDN hostname per
  // region. A POP listed here that the scenario does not have is refused by name at run time
  // (CheckRealTimeScenario), as is an SGAI viewer of a listed POP without its own `sgai` block (it
  // does not fall back to another POP's host). With `pops` the top-level `ssai` is optional; a
  // scenario POP not listed then needs it.
  struct PopPlaylists {
    Playlists ssai;
    std::optional<Playlists> sgai;
  };
  std::map<std::string, PopPlaylists> pops;
  bool has_top_level_ssai = true;  // false: only `pops` name playlists
};

// Unknown keys are errors; every error names the field ("cue.url: missing").
Result<TargetProfile> ParseTargetProfile(std::string_view json_text);
Result<TargetProfile> LoadTargetProfile(const std::string& path);

// "http" with a profile file, or "serve:BUILD".
Result<std::unique_ptr<Target>> MakeHttpTarget(const std::string& profile_path);
Result<std::unique_ptr<Target>> MakeServeTarget(std::string_view build);
// What `serve:` deploys for each POP (issue 18): one edge (server::Server, role edge) per POP,
// its round trip to the one coordinator injected (inject.coordinator_latency_ms, whole ms), its
// KV location in the shared in-process store (reference/server/shared_kv.h) with the POP's
// propagation delay and per-operation latency, and its read cache (kv.cache_ttl_s: the builds'
// cacheTtl when kv_cache, else 0). The edge waits for the coordinator as long as the coordinator
// may wait for a decision, plus the round trip: with the server's defaults (timeouts.coordinator_ms
// 1000 < timeouts.decision_ms 1500) an edge asking about a break whose decision service hangs
// gives up first and serves content over the break's first slots, where the builtin target's edge
// (no timeout) waits and serves slate. Exposed for tests.
struct ServePopEdge {
  std::string pop;
  int64_t coordinator_latency_ms = 0;
  int64_t coordinator_timeout_ms = 0;
  DurationMicros kv_propagation_us = 0;
  DurationMicros kv_latency_us = 0;
  int64_t kv_cache_ttl_s = 0;
};
std::vector<ServePopEdge> ServePopEdges(const Scenario& scenario);
// "observe" with a profile file that has an `observe` block (observe_target.cc).
Result<std::unique_ptr<Target>> MakeObserveTarget(const std::string& profile_path,
                                                  std::function<void(const LiveBreak&)> live = {});

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_HTTP_TARGET_H_
