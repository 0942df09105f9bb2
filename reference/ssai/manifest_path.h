// The manifest path: one edge's handling of a playlist request, sans-I/O.
//
//   request (org, channel, rendition or master)
//     -> origin playlist (OriginClient; the last good copy when the origin fails, if fresh enough)
//     -> ad-break state, from where the build says (KV, coordinator, both)
//     -> ad pods resolved for the rendition's bandwidth (ad media playlists, cached: they are VOD)
//     -> Splice -> serialized playlist
//   plus where the state came from (kv-hit, kv-miss, coordinator, none) for metrics and the
//   X-SSAI-State-Source response header.
//
// One ManifestPath per edge (per POP in the simulator); it keeps the edge's memory: the freshest
// ChannelState it has seen per channel (by version), the last good origin playlists, the ad
// playlists. It must outlive the callbacks of the requests it is handling.
#ifndef SSAI_REFERENCE_SSAI_MANIFEST_PATH_H_
#define SSAI_REFERENCE_SSAI_MANIFEST_PATH_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/status.h"
#include "reference/base/time.h"
#include "reference/ssai/beacons.h"
#include "reference/ssai/builds.h"
#include "reference/ssai/channel.h"
#include "reference/ssai/channel_state.h"
#include "reference/ssai/env.h"
#include "reference/ssai/playlist_memo.h"
#include "reference/ssai/splicer.h"

namespace ssai {

enum class StateSource {
  kNone,         // no state consulted, or it could not be had (served without ads)
  kKvHit,        // KV answered
  kKvMiss,       // KV had nothing usable; the coordinator answered
  kCoordinator,  // the build asks the coordinator directly (do-only)
};
std::string_view StateSourceName(StateSource source);  // "none", "kv-hit", "kv-miss", "coordinator"

struct ManifestRequest {
  std::string org;
  std::string channel;
  std::string file;  // "master.m3u8" or "{rendition}.m3u8"
  std::optional<InsertionMode> mode;  // from the query string or user agent; else the channel's
  // The viewer session (query parameter `session`, beacons.h): server-side beacons are fired for
  // it, and the multivariant playlist passes it on to the variant URIs. Empty: anonymous.
  std::string session = {};
  // The viewer's address and User-Agent, forwarded on its beacons (Beacon::device_*): the server
  // fills them from the connection (or a trusted front's X-Forwarded-For) and checks them
  // (beacon_sender.h ForwardableIp / ForwardableUserAgent); "" = not sent.
  std::string device_ip = {};
  std::string device_user_agent = {};
  // Where the viewer reached this channel ("http://edge.example/{org}/{channel}/"; the server
  // takes it from the Host header): SGAI asset lists name each creative's asset playlist under it.
  // hls.js resolves an asset list's relative URIs against the page, not the list (a 404 in
  // tests/test_clients.py), so an absolute URI is what players can use. "" = relative names.
  std::string public_base_url = {};
};

struct ManifestResponse {
  int http_status = 200;
  std::string body;  // the playlist, or a JSON error {"error": "..."} for 4xx/5xx
  std::string content_type = "application/vnd.apple.mpegurl";
  StateSource source = StateSource::kNone;
  // What happened, for metrics and tests.
  bool in_break = false;
  std::string event_id;  // the break the newest slot is in, if any
  // The newest slot's media sequence number in the ORIGIN's numbering (the slot `in_break` speaks
  // of: the origin playlist's last segment); nullopt for anything but a media playlist. The
  // output's own numbers differ once a pod of creatives has emitted K segments for M slots
  // (splicer.h "Pods of creatives": the MEDIA-SEQUENCE ledger), so a harness that keeps its ground
  // truth in origin slots (world/ground_truth.h) judges a response by this, not by its text.
  std::optional<int64_t> newest_slot_msn;
  int ad_segments = 0;
  int slate_segments = 0;
  int kv_reads = 0;           // get + list operations
  int coordinator_calls = 0;
  // The coordinator call was this edge's probe about an unexplained marker: one call on behalf of
  // every request arriving meanwhile (single-flight), not one per viewer. The simulator weights it 1.
  bool coordinator_probe = false;
  // Background refreshes this request started (kv-channel-state) and did not wait for.
  int coordinator_background_calls = 0;
  bool served_stale_origin = false;
  int beacons = 0;  // server-side beacons this delivery made due (handed to ManifestPathEnv::beacons)
  std::vector<std::string> warnings;
  // kv-channel-state: non-zero when this answer is a pure function of (the origin playlist, the
  // KV document read, the edge's channel memo at this generation): no marker left unexplained,
  // no ad playlist fetched, no stale origin. Another request for the same rendition and mode
  // that meets the same origin playlist, the same KV document and the same generation (see
  // ManifestPath::ChannelViewOf), with no background refresh due, gets these bytes again. The
  // simulator uses it to answer cohorts without running the path (simulator/README.md
  // "Answer reuse"); the server ignores it.
  uint64_t reuse_generation = 0;
};

struct ManifestPathOptions {
  int64_t kv_cache_ttl_s = 60;  // KvStore::GetOptions::cache_ttl_s
  // The last good origin playlist is served when the origin fails, for at most this long.
  DurationMicros origin_last_good_max_age_us = 6 * kMicrosPerSecond;
  // kv-channel-state: how often one edge may ask the coordinator about one unexplained marker.
  DurationMicros marker_probe_interval_us = 2 * kMicrosPerSecond;
  // kv-channel-state: an edge refreshes its channel state from the coordinator in the background
  // at most this often (single-flight; no request waits for it), so a cue from the API, which
  // leaves no marker in the origin, reaches every POP within about this plus one round trip
  // even while its KV location still caches the old document. Costs one call per edge per
  // channel per interval, whatever the audience. 0 turns it off.
  DurationMicros channel_state_refresh_us = 1 * kMicrosPerSecond;
  // Rewrite relative content segment URIs to absolute origin URLs, so any player can fetch them
  // without the edge proxying segments.
  bool absolute_content_uris = true;
  BeaconTrackerOptions beacons;  // sessions of server-side tracking (beacons.h)
};

struct ManifestPathEnv {
  Scheduler* scheduler = nullptr;
  KvStore* kv = nullptr;                    // this edge's KV location (null for do-only)
  CoordinatorClient* coordinator = nullptr;
  OriginClient* origin = nullptr;           // origin playlists and ad playlists
  // Parses and splice outputs shared with other edges reading the same origin (the simulator's
  // POPs); null: the edge keeps its own. Must outlive the ManifestPath.
  PlaylistMemo* memo = nullptr;
  // Where server-side beacons go (beacons.h); null: none are fired.
  BeaconSink* beacons = nullptr;
};

class ManifestPath {
 public:
  ManifestPath(BuildSpec build, std::vector<ChannelConfig> channels, ManifestPathEnv env,
               ManifestPathOptions options = {});
  ~ManifestPath();
  ManifestPath(const ManifestPath&) = delete;
  ManifestPath& operator=(const ManifestPath&) = delete;

  void Handle(const ManifestRequest& request, std::function<void(ManifestResponse)> done);

  const BuildSpec& build() const;
  const ChannelConfig* FindChannel(std::string_view org, std::string_view channel) const;
  const BeaconTracker& beacon_tracker() const;

  // The edge's view of channel `index` (its position in the ChannelConfig list), for
  // ManifestResponse::reuse_generation: `generation` changes whenever the channel's freshest
  // state or last KV document does; a request arriving at `next_refresh_due` or later, with no
  // coordinator call in flight, starts a background refresh (kv-channel-state). nullopt before
  // the channel's first request.
  struct ChannelView {
    uint64_t generation = 0;
    bool call_in_flight = false;
    UnixMicros next_refresh_due = 0;
  };
  std::optional<ChannelView> ChannelViewOf(size_t index) const;
  // What a request for channel `index` arriving now would start besides its answer, for one
  // answered from a reusable answer instead: the background refresh when due. Returns the
  // coordinator calls started (ManifestResponse::coordinator_background_calls).
  int StartDueRefresh(size_t index);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ssai

#endif  // SSAI_REFERENCE_SSAI_MANIFEST_PATH_H_
