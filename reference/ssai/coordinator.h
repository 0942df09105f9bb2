// The per-channel coordinator (the seed's Channel Durable Object), sans-I/O.
//
// One Coordinator object per channel; it handles one operation at a time, in arrival order (the
// Durable Object's input gate): a call that arrives while another is waiting on I/O is queued, so
// its state never interleaves. It:
//  - accepts cues from the cue API (validated CueRequest) and from SCTE-35 markers it finds in the
//    origin playlist (through cues::Normalizer), creating each break once;
//  - asks the decision service for a pod (with a timeout; timeout, error or an empty pod => the
//    break is filled with slate), once per break;
//  - persists every accepted break in its DurableStore BEFORE acknowledging it, and recovers them
//    all in Start(), so a restarted coordinator honours every acknowledged cue;
//  - writes KV: per-break keys "adbreak:{channelId}:{eventId}" with expirationTtl
//    floor(duration)+60 (the seed), and/or the channel document "chstate:{channelId}"
//    (kv-channel-state), coalescing writes so no key gets more than one write per second;
//  - answers GetChannelState for edges (do-only, and kv-hybrid on a KV miss), after checking the
//    origin for new cues when its last look is older than origin_refresh_us (on-request
//    detection, as the seed does); or polls the origin on a timer (kv-stateless).
//  - keeps the discontinuity ledger (AdBreakState::discontinuities_before): each break not
//    cancelled before its start adds 2 for the breaks after it (see splicer.h); breaks never
//    overlap (a later OUT cuts the running break short).
#ifndef SSAI_REFERENCE_SSAI_COORDINATOR_H_
#define SSAI_REFERENCE_SSAI_COORDINATOR_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/status.h"
#include "reference/base/time.h"
#include "reference/ssai/adbreak_state.h"
#include "reference/ssai/channel.h"
#include "reference/ssai/channel_state.h"
#include "reference/ssai/env.h"

namespace ssai {

// What a cue asks: a new break (the seed's only action), or the end of one now (issue 16: an
// operator returning to the programme early, the API's counterpart of an early SCTE-35 return).
enum class CueAction { kStart, kStop };

// The cue API body, as the seed's POST /cue takes it: {"org","channel","duration","pod_id"?},
// plus {"action":"stop","event_id"?} to end a break early.
struct CueRequest {
  std::string org;
  std::string channel;
  double duration_s = 0;  // kStart only
  std::string pod_id;     // kStart, optional; at most kMaxPodIdLength characters
  CueAction action = CueAction::kStart;
  // kStop, optional: the break to end; empty = the break playing when the stop takes effect,
  // else the next announced one.
  std::string event_id;
};
constexpr size_t kMaxPodIdLength = 128;
constexpr size_t kMaxCueBodyBytes = 64 * 1024;

// Parses and validates; the error names the field ("duration: must be a number, got string",
// "duration: must be > 0 and <= 3600 seconds", "org: missing", "pod_id: longer than 128
// characters", "body: more than 65536 bytes", "unknown field 'durration'", "action: must be
// \"start\" or \"stop\"", "duration: not allowed with action \"stop\"").
Result<CueRequest> ParseCueRequest(std::string_view json_body);
// The field checks of ParseCueRequest on a CueRequest built in code (names, duration range,
// pod_id length); Coordinator::Cue runs them too. Does not check which channel it names.
Status ValidateCueRequest(const CueRequest& request);

// The channel-state document ("chstate:{channelId}") must be present as long as the channel
// lives, so the coordinator rewrites it every heartbeat with a TTL many heartbeats long: a KV
// outage of a few minutes, or a few lost heartbeats, never makes it expire. After the coordinator
// stops, the document lingers at most kChannelStateTtlS (its breaks carry their own end times, so
// a stale document never extends a break).
constexpr DurationMicros kChannelStateHeartbeatUs = 30 * kMicrosPerSecond;
constexpr int64_t kChannelStateTtlS = 300;
// An SCTE-35 OUT without any duration (a bare CUE-OUT) gets this planned duration until its IN
// arrives; such a break (and only such a break) may also be lengthened by a later IN.
constexpr double kDefaultScte35BreakS = 60;

struct CueResult {
  AdBreakState state;
  bool duplicate = false;  // the same cue again inside the break: no new break was made
  Status kv_write;         // how the KV write went (a failed KV write does not fail the cue:
                           // the break is durable and the next write retries)
  bool cancelled = false;  // kStop before the break started: it never plays (state as announced)
};

struct CoordinatorOptions {
  DurationMicros decision_timeout_us = kDefaultDecisionTimeoutUs;
  // On-request detection: refetch the origin when the last look is older than this. 0 (the
  // default, as the seed's Durable Object does) looks on every call; calls queued behind one
  // another share one fetch. Anything larger lets an edge that already shows a new OUT marker
  // get an answer from an older view, and turn a content slot into an ad on its next reload
  // (found by the conformance suite, R1).
  DurationMicros origin_refresh_us = 0;
  // kv-stateless: poll the origin on a timer every poll_interval_us (1–2 s in the seed's plan).
  bool poll_origin = false;
  DurationMicros poll_interval_us = 1 * kMicrosPerSecond;
  // What to write to KV.
  bool write_break_keys = true;       // adbreak:{channelId}:{eventId}
  bool write_channel_state = false;   // chstate:{channelId}
  // Ended breaks stay in ChannelState this long after their end (they can still be in a window).
  DurationMicros keep_ended_us = 120 * kMicrosPerSecond;
  // The rendition whose origin playlist the coordinator reads for cues (empty = the first).
  std::string cue_rendition;
  // kv-channel-state: rewrite "chstate:{channelId}" this often even when nothing changed, with this
  // expirationTtl (see kChannelStateHeartbeatUs).
  DurationMicros channel_state_heartbeat_us = kChannelStateHeartbeatUs;
  int64_t channel_state_ttl_s = kChannelStateTtlS;

  // Cue API lead (the conformance suite's R3). The seed starts a manual break at the moment
  // POST /cue arrives. Edges that learn of it later (a KV document still cached at a far POP, a
  // background refresh due in a second) then serve the first slot of the break as content and
  // flip it to an ad on the next reload (a URI changing its media sequence number, RFC 8216
  // §6.2.1). When this is > 0 the coordinator announces the break ahead instead, the way an
  // SCTE-35 splice_insert carries a future splice_time (SCTE 35 §9.7.3, pre-roll): startTime =
  // the first origin segment boundary at or after receipt + api_cue_lead_us + one target
  // duration (the last origin playlist it read gives the grid; without one, receipt + lead +
  // 6 s unaligned). The acknowledgement carries the announced startTime; duration, endTime -
  // startTime, the body and the event id ("manual_{channelId}_{unixsec}" of the receipt time)
  // are the seed's. 0 = the seed's behaviour (startTime = receipt).
  DurationMicros api_cue_lead_us = 0;

  // Defect switches (defect builds only; see builds.h). Never set in a correct build.
  bool defect_no_cue_dedupe = false;  // a repeated cue makes a second break
  bool defect_ignore_cue_in = false;  // an early CUE-IN (or an API stop) does not end the break
};

struct CoordinatorEnv {
  Scheduler* scheduler = nullptr;
  KvStore* kv = nullptr;  // may be null (do-only writes no KV)
  DurableStore* durable = nullptr;
  OriginClient* origin = nullptr;
  DecisionClient* decision = nullptr;
};

struct CoordinatorStats {
  int64_t operations = 0;         // calls served
  int64_t max_queue_depth = 0;    // the most operations waiting at once
  int64_t origin_fetches = 0;
  int64_t decision_requests = 0;
  int64_t decision_timeouts = 0;
  int64_t decision_failures = 0;  // errors and empty pods: slate
  int64_t kv_writes = 0;
  int64_t kv_write_failures = 0;
  int64_t breaks_created = 0;
  int64_t duplicate_cues = 0;     // manual duplicates and SCTE-35 repeats the coordinator caught
  // Additions to the lead's list:
  int64_t origin_errors = 0;       // fetch failures, non-200 answers, unparsable playlists
  int64_t durable_failures = 0;    // DurableStore calls that failed
  int64_t kv_writes_deferred = 0;  // changes that waited for the key's 1 write/s slot
  int64_t breaks_cancelled = 0;    // cancelled before their start (SCTE-35 cancel, superseded)
};

class Coordinator {
 public:
  Coordinator(ChannelConfig config, CoordinatorEnv env, CoordinatorOptions options);
  ~Coordinator();
  Coordinator(const Coordinator&) = delete;
  Coordinator& operator=(const Coordinator&) = delete;

  // Recovers the accepted breaks from durable storage and rewrites KV for the live ones. Calls
  // made before Start completes wait in the queue.
  void Start(std::function<void(Status)> done);
  // Stops the poller and the channel-state heartbeat; pending callbacks (and pending KV writes)
  // are still completed.
  void Stop();

  // POST /cue. Event id "manual_{channelId}_{unixsec}" (the seed's). A cue for this channel with
  // the same duration and pod while its previous manual break is still upcoming or active is a
  // duplicate. The break starts at receipt, or api_cue_lead_us ahead (CoordinatorOptions).
  // action kStop ends a break instead, at the instant a start would begin (receipt, or the
  // api_cue_lead_us boundary: edges get the same notice of an end as of a start); a break that
  // has not started by then is cancelled. The result's endTime is when the stop takes effect
  // (at or before startTime for a cancelled break). Nothing to stop: FailedPrecondition; an
  // unknown event_id: NotFound.
  void Cue(const CueRequest& request, std::function<void(Result<CueResult>)> done);

  // GET channel state (CoordinatorClient). Checks the origin first if the last look is stale.
  void GetChannelState(std::function<void(Result<ChannelState>)> done);

  // Feeds an origin playlist the caller already has (tests; the poller uses it too).
  void ObserveOrigin(std::string_view playlist_text, std::function<void(Status)> done);

  // The state as of now, without I/O.
  const ChannelState& state() const;
  const CoordinatorStats& stats() const;
  const ChannelConfig& config() const;

  // What the coordinator holds in memory, for tests and soaks: each must stay bounded by the
  // live breaks (records are kept keep_ended_us after they end, then retired with their state).
  struct Footprint {
    size_t records = 0;             // breaks not yet retired
    size_t kv_writers = 0;          // per-key KV write state (break keys + the channel document)
    size_t serialized_records = 0;  // memo of each record's durable JSON
  };
  Footprint footprint() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// An in-process CoordinatorClient over a set of coordinators (tests, the simulator adds latency
// around it, `ssai serve --role all`).
class LocalCoordinatorClient : public CoordinatorClient {
 public:
  void Add(Coordinator* coordinator);  // keyed by its channel_id()
  void GetChannelState(std::string_view channel_id, StateCallback done) override;

 private:
  std::vector<Coordinator*> coordinators_;
};

}  // namespace ssai

#endif  // SSAI_REFERENCE_SSAI_COORDINATOR_H_
