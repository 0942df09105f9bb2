// What a target run produced, in a target-neutral form: every playlist response the harness's
// viewers received (with the origin playlist it was made from), the KV writes and expiry probes
// the harness could see, decision-service requests, cue API results. The checks
// (checks/evaluate.h) only read this, so an HTTP target fills the same record from the wire and
// the checks it cannot feed are reported as skipped.
#ifndef SSAI_CONFORMANCE_OBSERVATIONS_H_
#define SSAI_CONFORMANCE_OBSERVATIONS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/status.h"
#include "reference/base/time.h"
#include "reference/ssai/coordinator.h"
#include "reference/ssai/splicer.h"

namespace ssai::conformance {

struct Fetch {
  std::string pop;
  std::string viewer;     // "pop1/v0"
  std::string rendition;  // empty for the multivariant playlist
  std::string url;        // what the viewer asked for
  InsertionMode mode = InsertionMode::kSsai;
  int64_t bandwidth_bps = 0;  // the rendition's
  UnixMicros request_time = 0;
  UnixMicros response_time = 0;
  int http_status = 0;
  std::string body;
  std::string origin_body;   // the origin playlist at request time (for lint baselines)
  std::string state_source;  // "kv-hit", "kv-miss", "coordinator", "none"; "" if unknown
  std::string event_id;      // the break the target says the newest slot is in ("" if unknown)
  int64_t reload = 0;        // the viewer's reload number (same for renditions loaded together)
  // A demuxed rendition (EXT-X-MEDIA, issue 14): "audio" or "subtitles"; "" for a variant.
  std::string alternate = {};
};

// Issue 16 (splice.sgai_asset_matches_rendition, sgai_assets.h): one asset an SGAI viewer found
// behind an interstitial (X-ASSET-URI, or one X-ASSET-LIST entry), with the viewer's variant.
struct SgaiAssetRecord {
  UnixMicros time = 0;  // when the viewer got the media playlist naming it
  std::string viewer;
  std::string rendition;
  int64_t bandwidth_bps = 0;  // the viewer's variant BANDWIDTH
  std::string interstitial_id;
  std::string list_url;   // the X-ASSET-LIST it came from ("" for X-ASSET-URI)
  std::string asset_url;  // "" when the list itself could not be read
  std::string error;      // the list or the asset could not be read (HTTP status, parse error)
  bool multivariant = false;       // the asset is a multivariant playlist (the player chooses)
  int variants = 0;                // its EXT-X-STREAM-INF count
  int64_t min_variant_bps = 0;     // its lowest BANDWIDTH
  int64_t declared_bitrate_bps = 0;  // a media playlist's peak EXT-X-BITRATE (bis §4.4.4.8), 0 if none
};

struct KvPut {
  UnixMicros time = 0;
  std::string key;
  std::string value;
  int64_t ttl_s = 0;
  bool accepted = true;
  std::string error;
};

struct KvExpiryProbe {
  std::string key;
  UnixMicros expires_at = 0;  // the last accepted write's absolute expiry
  UnixMicros probed_at = 0;
  std::vector<std::string> still_visible_at;  // locations ("central", POP names) that returned it
};

struct DecisionRequestRecord {
  UnixMicros time = 0;
  std::string event_id;
  double duration_s = 0;
};

struct CueApiRecord {
  UnixMicros time = 0;
  std::string body;
  bool ok = false;
  bool duplicate = false;
  bool expect_duplicate = false;
  int spec_index = -1;  // index into Scenario::api_cues
  std::string event_id;
  std::string error;
  // The break as acknowledged (startTime/endTime of the ack's AdBreakState); 0 when the target
  // does not say. A target may announce the break ahead of the cue (coordinator.h
  // api_cue_lead_us); the ground truth then uses the announced start (checks/truth.h GroundTruth).
  UnixMicros start_time = 0;
  UnixMicros end_time = 0;
  int http_status = 0;  // HTTP targets
  bool stop = false;       // a "stop" action (ApiCueSpec::stop): end_time is when it takes effect
  bool cancelled = false;  // the stop cancelled a break that had not started

  // The answer of a coordinator's cue API reached in-process (the builtin target, the simulator).
  void SetAnswer(const Result<CueResult>& r) {
    ok = r.ok();
    if (!r.ok()) {
      error = r.status().message();
      return;
    }
    duplicate = r->duplicate;
    cancelled = r->cancelled;
    event_id = r->state.event_id;
    start_time = r->state.start_time;
    end_time = r->state.end_time;
  }
};

struct ApiProbeRecord {
  std::string check_id;  // api.cue.*, api.auth.*
  std::string body;      // shown in evidence (truncated)
  std::string expected;  // substring the error must contain
  bool refused = false;
  std::string error;
  // HTTP targets: the status the probe must get (0: any 4xx), what came back, and the raw body
  // (api.error.json: a JSON object whose "error" names the problem).
  int expected_status = 0;
  int http_status = 0;
  std::string response_body;
  // Judged by class (a target profile's cue.api_checks "classes"): refused with one of these
  // statuses and a JSON body, in the target's own words; `expected` then only says what the probe
  // gets wrong. Empty: strict (the exact status and an error containing `expected`).
  std::vector<int> allowed_statuses;
};

// A segment URI's file name: its last path component without query or fragment
// (Observations::content_segment_names).
inline std::string SegmentFileName(std::string_view uri) {
  uri = uri.substr(0, uri.find_first_of("?#"));
  const size_t slash = uri.rfind('/');
  return std::string(slash == std::string_view::npos ? uri : uri.substr(slash + 1));
}

struct Scenario;

// Issue 15: what the harness's ad server received. A tracking beacon (impression, start,
// firstQuartile, midpoint, thirdQuartile, complete) for a viewer session, and the VAST traffic
// (ad tag and wrapper fetches, Error pings with their code).
struct BeaconRecord {
  UnixMicros time = 0;
  std::string session;   // the viewer's session id (Fetch::viewer with '/' -> '-')
  std::string event_id;  // the break, when the target says (builtin); "" over HTTP
  std::string ad_id;
  std::string event;
  std::string url;  // the beacon URL (an ad may have several impressions: InLine and wrappers)
};
struct VastFetchRecord {
  UnixMicros time = 0;
  std::string path;       // "/vast/wrapper/3/default.xml", "/vast/pod/default.xml", ...
  int wrapper_level = 0;  // n of /vast/wrapper/n/...; 0 for anything else
};
struct VastErrorPing {
  UnixMicros time = 0;
  int code = 0;
  std::string ad;
};

// The session id a harness viewer sends (`session` query parameter, beacons.h).
inline std::string SessionOfViewer(std::string viewer) {
  for (char& c : viewer) {
    if (c == '/') c = '-';
  }
  return viewer;
}

struct Observations {
  std::string target;
  std::string scenario;
  std::vector<Fetch> fetches;
  std::vector<SgaiAssetRecord> sgai_assets;  // issue 16: what SGAI viewers' interstitials name
  bool kv_observed = false;  // kv_puts / kv_expiry are meaningful
  std::vector<KvPut> kv_puts;
  std::vector<KvExpiryProbe> kv_expiry;
  bool decisions_observed = false;
  std::vector<DecisionRequestRecord> decision_requests;
  std::vector<CueApiRecord> cues;
  std::vector<ApiProbeRecord> api_probes;
  // Real-time targets run the scenario shifted to start here (ShiftedTo); 0 = as written.
  UnixMicros run_start = 0;
  bool http_api = false;  // the probes went over HTTP (api.auth.*, api.error.json apply)
  // The API is judged against our server's wording and limits (builtin, serve:); false for a
  // third-party target (cue.api_checks "classes"): the limit probes are skipped with the reason.
  bool api_strict = true;
  // The target says whether a cue was a duplicate (cue.duplicate_pointer); else
  // api.cue.duplicate_acknowledged is skipped with the reason.
  bool cue_duplicate_observed = true;
  // The harness knows the ad server's answers (its own decision service); false when the target
  // keeps its own ad server (target profile decision "own"): pod lengths are unknown.
  bool decisions_known = true;
  // Observe mode: the harness only watched (no cues, no API); api.* checks are skipped with that.
  bool observe_only = false;
  // How the checks tell ads from content when ad_uri_prefix is empty: a segment whose file name
  // (the URI's last path component, without query) is one of the origin's is content.
  std::set<std::string> content_segment_names;
  // Observe mode: the scenario the run turned out to be (its recorded origin and breaks); the
  // checks judge against it instead of the one the target was given.
  std::shared_ptr<const Scenario> judged_scenario;
  bool reads_kv = false;  // the build's read path consults KV (kv.hit_rate.min applies)
  // How the checks tell ads from content: URIs starting with ad_uri_prefix are ads (or slate,
  // when equal to slate_uri); everything else is content.
  std::string ad_uri_prefix;
  std::string slate_uri;
  // The slates of demuxed renditions (audio silence, blank WebVTT), slate like slate_uri (issue 14).
  std::vector<std::string> alternate_slate_uris;
  std::map<std::string, int64_t> stats;  // free-form counters for the report
  // Real-time targets: where each POP's viewers were sent, per insertion mode they played
  // ("ssai"/"sgai"): the URL templates with {org}/{channel} filled ({rendition} left), and which
  // profile block they came from ("pops.eu", or "ssai"/"sgai" at the top level). report.json
  // `pop_urls`; empty for the builtin target (no URLs).
  struct PopUrls {
    std::string from;
    std::string master_url;
    std::string variant_url;
  };
  std::map<std::string, std::map<std::string, PopUrls>> pop_urls;
  // Issue 15 (beacon.*, vast.*): viewers send `session` (their name, '/' -> '-') and the ad
  // server's log is read back.
  bool beacons_observed = false;
  std::vector<BeaconRecord> beacons;
  bool vast_observed = false;
  std::vector<VastFetchRecord> vast_fetches;
  std::vector<VastErrorPing> vast_error_pings;
};

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_OBSERVATIONS_H_
