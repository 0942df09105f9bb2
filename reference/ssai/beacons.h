// Server-side ad tracking (MediaTailor's server-side reporting model, VAST 4.3 §2.3.4, §3.14),
// sans-I/O: which impression and quartile beacons are due for a viewer session, given the media
// playlists the edge delivers to it. The edge hands the due URLs to a BeaconSink (env.h); the
// server's implementation sends them asynchronously with a bounded queue.
//
// A viewer session is the `session` query parameter of a playlist request (MediaTailor's
// aws.sessionId; `[A-Za-z0-9._-]{1,64}`); the multivariant playlist passes it on to the variant
// URIs. Requests without one are anonymous: no beacons. A session lives on one edge (its state is
// this tracker's), and is forgotten after `session_idle_us` without a playlist (Google's Video
// Stitcher expires sessions 5 min after the last fetch).
//
// Delivered: this server does not proxy ad segments (MediaTailor fires on its /v1/segment
// requests), so a segment counts as delivered to a session when a media playlist listing it is
// delivered to that session, from the session's join point on: a player starts three target
// durations before the end of the first playlist it loads (RFC 8216 §6.3.3; hls.js
// liveSyncDurationCount 3), so on a session's first playlist the segments ending at or before
// (end of the window - 3 x TARGETDURATION) were never played and never count, then or later.
//
// Per session and creative (break event id + position in the pod), once each and in order
// (kBeaconEvents): the impressions and start with the creative's first segment; firstQuartile,
// midpoint, thirdQuartile with the segment holding 25/50/75 % of the creative's duration;
// complete with its last segment, unless the break's end cut the creative (then it was not
// played to the end). An event fires only after the one before it: a session that was not
// delivered the creative's first segment (it joined mid-creative) fires nothing for it, and one
// that missed the segment holding a quartile (a gap longer than the window) stops there.
#ifndef SSAI_REFERENCE_SSAI_BEACONS_H_
#define SSAI_REFERENCE_SSAI_BEACONS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "reference/base/time.h"
#include "reference/ssai/adbreak_state.h"
#include "reference/ssai/env.h"
#include "reference/ssai/splicer.h"

namespace ssai {

// A session id: [A-Za-z0-9._-]{1,64}.
bool IsValidSessionId(std::string_view id);

struct BeaconTrackerOptions {
  size_t max_sessions = 100'000;               // new sessions beyond this get no beacons (counted)
  DurationMicros session_idle_us = 300 * kMicrosPerSecond;
  size_t max_creatives_per_session = 64;       // the oldest creative's state goes first
  int join_holdback_target_durations = 3;      // RFC 8216 §6.3.3
};

struct BeaconTrackerStats {
  int64_t playlists = 0;          // playlists seen for sessions
  int64_t beacons = 0;            // beacons decided
  int64_t sessions_expired = 0;
  int64_t sessions_refused = 0;   // over max_sessions
};

class BeaconTracker {
 public:
  explicit BeaconTracker(BeaconTrackerOptions options = {}) : options_(options) {}

  // A media playlist was delivered to `session` at `now`: its window ends at `window_end` (the
  // last segment's end), its target duration is `target_duration_s`, `segments` are its creative
  // segments (SpliceResult::pod_segments, in play order) and `breaks` the channel's breaks (the
  // decisions give each creative's duration and URLs). Returns the beacons now due, in order.
  std::vector<Beacon> OnPlaylist(std::string_view session, UnixMicros now, UnixMicros window_end,
                                 int64_t target_duration_s, std::span<const PodSegmentRef> segments,
                                 std::span<const AdBreakState> breaks);

  // DEFECT(beacons_on_decision): every beacon of every creative of the breaks the playlist shows,
  // at once, as soon as the session sees the break (on the decision, not on delivery).
  std::vector<Beacon> OnDecision(std::string_view session, UnixMicros now,
                                 std::span<const PodSegmentRef> segments, std::span<const AdBreakState> breaks);

  size_t sessions() const { return sessions_.size(); }
  const BeaconTrackerStats& stats() const { return stats_; }

 private:
  struct Session {
    UnixMicros last_seen = 0;
    UnixMicros join_at = 0;
    // (event id, creative index) -> the next event index (kBeaconEvents) to fire.
    std::map<std::pair<std::string, int>, size_t> next;
  };
  Session* FindOrCreate(std::string_view session, UnixMicros now, UnixMicros join_at);
  void Expire(UnixMicros now);
  static void Append(const AdItem& item, std::string_view session, std::string_view event_id, size_t event,
                     UnixMicros now, std::vector<Beacon>* out);

  BeaconTrackerOptions options_;
  BeaconTrackerStats stats_;
  std::unordered_map<std::string, Session> sessions_;
  UnixMicros last_sweep_ = 0;
};

}  // namespace ssai

#endif  // SSAI_REFERENCE_SSAI_BEACONS_H_
