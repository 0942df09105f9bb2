// The per-channel coordinator (see coordinator.h for the contract).
//
// Shape of the implementation:
//  - Input gate. Every call becomes an Op in `queue_`; Pump() runs one at a time; an op ends by
//    calling its `gate_done`. Completions may arrive synchronously (env.h completion rules), so
//    Pump() is a trampoline, never recursive.
//  - Records. One BreakRecord per break ever accepted (until retired), keyed by event id; the
//    authoritative copy is in the DurableStore under "{channelId}:break:{eventId}", plus
//    "{channelId}:meta" (version, retired part of the ledger). A change is made on a staged copy,
//    written durably, and only then applied (so a refused cue leaves no trace in memory, and an
//    SCTE-35 event whose write failed is seen again: the normalizer is rolled back too).
//  - Every op ends in Finish(): retire old breaks, rebuild ChannelState (ledger, version), persist
//    what is not yet durable (decisions, version), reconcile KV with the wanted documents.
//  - KV writers. One KeyWriter per KV key coalesces writes to <= 1 per second per key (Workers KV
//    limit, kv_and_measurement.md §1): a change <1 s after the last write waits for last+1 s and
//    carries the newest value; failures are retried with backoff (1 s doubling to 30 s).
#include "reference/ssai/coordinator.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "reference/base/strings.h"
#include "reference/media/cues/normalizer.h"
#include "reference/media/hls/playlist.h"
#include "reference/ssai/adbreak_state_json.h"
#include "reference/ssai/splicer.h"

namespace ssai {

using internal::Json;

namespace {

// Two SCTE-35 OUTs for one event id whose splice times differ by at most this are one break
// (the normalizer's same_break_tolerance_us default).
constexpr DurationMicros kSameBreakToleranceUs = 1'000'000;
constexpr DurationMicros kKvWriteSpacingUs = 1'000'000;  // Workers KV: 1 write/s per key
constexpr DurationMicros kKvRetryMaxUs = 30'000'000;

// Break times are kept at millisecond precision, the precision of the JSON documents, so a
// record read back from the DurableStore equals the one written.
UnixMicros FloorMillis(UnixMicros t) {
  UnixMicros q = t / kMicrosPerMilli;
  if (t % kMicrosPerMilli != 0 && t < 0) --q;
  return q * kMicrosPerMilli;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool IsAllowedCueField(const std::string& key) {
  return key == "org" || key == "channel" || key == "duration" || key == "pod_id" || key == "action" ||
         key == "event_id";
}

constexpr size_t kMaxEventIdLength = 256;

Status CheckEventId(std::string_view id) {
  if (id.size() > kMaxEventIdLength) {
    return internal::FieldError("event_id", "longer than " + std::to_string(kMaxEventIdLength) + " characters (" +
                                                std::to_string(id.size()) + ")");
  }
  for (char c : id) {
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) {
      return internal::FieldError("event_id", "must be printable ASCII without spaces");
    }
  }
  return Status::Ok();
}

Status CheckName(std::string_view field, std::string_view value) {
  if (value.empty()) return internal::FieldError(field, "must not be empty");
  if (!IsValidName(value)) {
    return internal::FieldError(
        field, "must match [A-Za-z0-9_-]{1,64}, got '" + std::string(value.substr(0, 80)) + "'");
  }
  return Status::Ok();
}

Status CheckDuration(double d) {
  if (!std::isfinite(d) || d <= 0 || d > kMaxBreakDurationS) {
    return internal::FieldError("duration",
                                "must be > 0 and <= 3600 seconds, got " + FormatDouble(d));
  }
  return Status::Ok();
}

Status CheckPodId(std::string_view pod_id) {
  if (pod_id.size() > kMaxPodIdLength) {
    return internal::FieldError("pod_id", "longer than " + std::to_string(kMaxPodIdLength) +
                                              " characters (" + std::to_string(pod_id.size()) +
                                              ")");
  }
  return Status::Ok();
}

// What scte35Data.signalType says for an event: the SCTE-35 command when the marker carried a
// decodable section, else the marker flavour ("cue_out", "daterange", ...).
std::string SignalTypeOf(const cues::BreakEvent& e) {
  if (e.segmentation_type_id) return "time_signal";
  if (e.pts_ticks) return "splice_insert";
  return std::string(cues::FlavourName(e.flavour));
}

// Calls `done` once every one of `n` parts reported, with the first non-OK status.
class Join {
 public:
  static std::function<void(Status)> Make(int n, std::function<void(Status)> done) {
    auto j = std::make_shared<Join>();
    j->left_ = n;
    j->done_ = std::move(done);
    if (n == 0) {
      j->done_(Status::Ok());
      return [](Status) {};
    }
    return [j](Status s) {
      if (!s.ok() && j->status_.ok()) j->status_ = s;
      if (--j->left_ == 0) j->done_(j->status_);
    };
  }

 private:
  int left_ = 0;
  Status status_;
  std::function<void(Status)> done_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Cue API parsing (the seed's POST /cue body).

Status ValidateCueRequest(const CueRequest& r) {
  SSAI_RETURN_IF_ERROR(CheckName("org", r.org));
  SSAI_RETURN_IF_ERROR(CheckName("channel", r.channel));
  if (r.action == CueAction::kStop) return CheckEventId(r.event_id);
  SSAI_RETURN_IF_ERROR(CheckDuration(r.duration_s));
  return CheckPodId(r.pod_id);
}

Result<CueRequest> ParseCueRequest(std::string_view body) {
  if (body.size() > kMaxCueBodyBytes) {
    return internal::FieldError("body", "more than " + std::to_string(kMaxCueBodyBytes) + " bytes");
  }
  SSAI_ASSIGN_OR_RETURN(Json j, internal::ParseObject(body, "cue request"));
  // Unknown fields first: "durration" is better reported as itself than as "duration: missing".
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!IsAllowedCueField(it.key())) {
      return Status::InvalidArgument("unknown field '" + it.key().substr(0, 80) +
                                     "' (allowed: org, channel, duration, pod_id, action, event_id)");
    }
  }
  CueRequest r;
  SSAI_ASSIGN_OR_RETURN(r.org, internal::GetString(j, "org", "org"));
  SSAI_RETURN_IF_ERROR(CheckName("org", r.org));
  SSAI_ASSIGN_OR_RETURN(r.channel, internal::GetString(j, "channel", "channel"));
  SSAI_RETURN_IF_ERROR(CheckName("channel", r.channel));
  if (j.contains("action") && !j["action"].is_null()) {
    SSAI_ASSIGN_OR_RETURN(std::string action, internal::GetString(j, "action", "action"));
    if (action == "stop") {
      r.action = CueAction::kStop;
    } else if (action != "start") {
      return internal::FieldError("action", "must be \"start\" or \"stop\", got '" + action.substr(0, 80) + "'");
    }
  }
  if (r.action == CueAction::kStop) {
    for (const char* start_only : {"duration", "pod_id"}) {
      if (j.contains(start_only)) return internal::FieldError(start_only, "not allowed with action \"stop\"");
    }
    if (j.contains("event_id") && !j["event_id"].is_null()) {
      SSAI_ASSIGN_OR_RETURN(r.event_id, internal::GetString(j, "event_id", "event_id"));
      SSAI_RETURN_IF_ERROR(CheckEventId(r.event_id));
    }
    return r;
  }
  if (j.contains("event_id")) return internal::FieldError("event_id", "only with action \"stop\"");
  SSAI_ASSIGN_OR_RETURN(r.duration_s, internal::GetNumber(j, "duration", "duration"));
  SSAI_RETURN_IF_ERROR(CheckDuration(r.duration_s));
  auto pod = j.find("pod_id");
  if (pod != j.end() && !pod->is_null()) {  // optional; null = absent
    SSAI_ASSIGN_OR_RETURN(r.pod_id, internal::GetString(j, "pod_id", "pod_id"));
    SSAI_RETURN_IF_ERROR(CheckPodId(r.pod_id));
  }
  return r;
}

// ---------------------------------------------------------------------------------------------

struct Coordinator::Impl {
  using Done = std::function<void()>;
  enum class OpKind { kStart, kCue, kGetState, kObserve, kPoll, kHeartbeat };
  struct Op {
    OpKind kind;
    std::function<void(Done)> run;
    std::function<void(Status)> fail;             // Start failed: the op never runs
    CoordinatorClient::StateCallback state_done;  // kGetState: answered together with the op ahead
  };

  struct BreakRecord {
    AdBreakState state;  // discontinuities_before is never set here (it is derived)
    int64_t seq = 0;     // acceptance order (ties on start_time: the later one wins)
    bool cancelled = false;
    bool decided = false;
    bool duration_known = true;
    double requested_duration_s = 0;  // manual: the cue's duration (duplicate detection)
    std::string pod_request;          // the pod id asked of the decision service
    friend bool operator==(const BreakRecord&, const BreakRecord&) = default;
  };
  using Records = std::map<std::string, BreakRecord>;
  // A change in preparation: applied only once durable.
  struct Staged {
    Records records;
    std::map<std::string, std::string> alias;  // normalizer event id -> record id
    int64_t next_seq = 1;
    std::vector<std::string> created;
    int64_t cancelled = 0;
  };

  struct KeyWriter {
    std::optional<UnixMicros> last_issue;
    bool in_flight = false;
    bool has_pending = false;
    bool pending_delete = false;
    std::string latest;  // newest value handed over (pending or written); "" with latest_delete
    bool latest_delete = false;
    std::optional<UnixMicros> end_time;  // break keys: TTL from it; none: the chstate TTL
    double duration_s = 0;               // break keys
    std::optional<Scheduler::TimerId> timer;
    UnixMicros retry_at = 0;
    DurationMicros backoff = 0;
    Status last_status;
    std::vector<std::function<void(Status)>> waiters;            // for the pending value
    std::vector<std::function<void(Status)>> in_flight_waiters;  // for the write in flight
  };

  Impl(ChannelConfig c, CoordinatorEnv e, CoordinatorOptions o)
      : config(std::move(c)), env(e), options(std::move(o)), channel_id(config.channel_id()) {
    state.channel_id = channel_id;
  }

  ~Impl() {
    for (auto& [key, w] : writers) {
      if (w.timer) env.scheduler->Cancel(*w.timer);
    }
    if (poll_timer) env.scheduler->Cancel(*poll_timer);
    if (heartbeat_timer) env.scheduler->Cancel(*heartbeat_timer);
  }

  // Wraps a callback given to the environment so it does nothing once this Impl is gone.
  template <typename F>
  auto Guard(F f) {
    return [alive = std::weak_ptr<int>(alive_), f = std::move(f)](auto&&... args) mutable {
      if (alive.expired()) return;
      f(std::forward<decltype(args)>(args)...);
    };
  }

  UnixMicros Now() const { return env.scheduler->Now(); }
  std::string DurableBreakKey(std::string_view event_id) const {
    return channel_id + ":break:" + std::string(event_id);
  }
  std::string DurablePrefix() const { return channel_id + ":"; }
  std::string DurableMetaKey() const { return channel_id + ":meta"; }

  // ----- input gate ---------------------------------------------------------------------------

  void Enqueue(Op op, bool front = false) {
    if (start_error && op.kind != OpKind::kStart) {
      op.fail(*start_error);
      return;
    }
    if (front) {
      queue.push_front(std::move(op));
    } else {
      queue.push_back(std::move(op));
    }
    if (busy || !ready) {
      stats.max_queue_depth =
          std::max<int64_t>(stats.max_queue_depth, static_cast<int64_t>(queue.size()));
    }
    Pump();
  }

  void Pump() {
    if (pumping) return;
    pumping = true;
    while (!busy && !queue.empty() && (ready || queue.front().kind == OpKind::kStart)) {
      Op op = std::move(queue.front());
      queue.pop_front();
      busy = true;
      op.run([this] {
        busy = false;
        Pump();  // re-entry returns at once while the loop above is active
      });
    }
    pumping = false;
  }

  // ----- records, staging, durability ---------------------------------------------------------

  // SerializeRecord, remembered per record id: every operation diffs every record against the
  // durable image (twice per GetChannelState) and records rarely change, so the JSON is only
  // rebuilt for a record that differs (operator==) from the one it was built from.
  const std::string& SerializedRecord(const std::string& id, const BreakRecord& r) {
    auto it = serialized_records.find(id);
    if (it == serialized_records.end() || !(it->second.first == r)) {
      // Retire erases a record's entry; this only bounds ids that never became records.
      if (serialized_records.size() > 2 * records.size() + 16) serialized_records.clear();
      auto& slot = serialized_records[id];
      slot = {r, SerializeRecord(r)};
      return slot.second;
    }
    return it->second.second;
  }

  std::string SerializeRecord(const BreakRecord& r) const {
    Json j;
    j["seq"] = r.seq;
    j["cancelled"] = r.cancelled;
    j["decided"] = r.decided;
    j["durationKnown"] = r.duration_known;
    j["requestedDuration"] = internal::Seconds(r.requested_duration_s);
    j["podRequest"] = r.pod_request;
    j["state"] = internal::AdBreakStateToJson(r.state);
    return j.dump();
  }

  Result<BreakRecord> ParseRecord(std::string_view text) const {
    SSAI_ASSIGN_OR_RETURN(Json j, internal::ParseObject(text, "break record"));
    BreakRecord r;
    SSAI_ASSIGN_OR_RETURN(r.seq, internal::GetInteger(j, "seq", "seq"));
    const std::pair<const char*, bool*> flags[] = {
        {"cancelled", &r.cancelled}, {"decided", &r.decided}, {"durationKnown", &r.duration_known}};
    for (const auto& [name, field] : flags) {
      auto it = j.find(name);
      if (it == j.end() || !it->is_boolean())
        return internal::FieldError(name, "must be a boolean");
      *field = it->get<bool>();
    }
    SSAI_ASSIGN_OR_RETURN(r.requested_duration_s,
                          internal::GetNumber(j, "requestedDuration", "requestedDuration"));
    SSAI_ASSIGN_OR_RETURN(r.pod_request, internal::GetString(j, "podRequest", "podRequest"));
    auto st = j.find("state");
    if (st == j.end()) return internal::FieldError("state", "missing");
    SSAI_ASSIGN_OR_RETURN(r.state, internal::AdBreakStateFromJson(*st, "state."));
    r.state.discontinuities_before.reset();
    return r;
  }

  std::string SerializeMeta() const {
    Json j;
    j["version"] = state.version;
    j["retiredDiscontinuities"] = retired_discontinuities;
    if (retired_media_sequence != 0) j["retiredMediaSequence"] = retired_media_sequence;
    if (retired_through) {
      j["retiredThroughUs"] = *retired_through;
    } else {
      j["retiredThroughUs"] = nullptr;
    }
    j["nextSeq"] = next_seq;
    return j.dump();
  }

  Staged Stage() const {
    Staged s;
    s.records = records;
    s.alias = alias;
    s.next_seq = next_seq;
    return s;
  }

  // Writes `puts` one after the other (so a store that is down refuses the first and nothing is
  // half written), recording each success in `durable_image`.
  void PutSequential(std::shared_ptr<std::vector<std::pair<std::string, std::string>>> puts,
                     size_t i, std::function<void(Status)> done) {
    if (i == puts->size()) return done(Status::Ok());
    const std::string key = (*puts)[i].first;
    std::string value = (*puts)[i].second;
    env.durable->Put(key, value, Guard([this, puts, i, key, value, done](Status s) {
                       if (!s.ok()) {
                         ++stats.durable_failures;
                         return done(s);
                       }
                       durable_image[key] = value;
                       PutSequential(puts, i + 1, done);
                     }));
  }

  // Everything in `recs` (and the meta record) that differs from what the store confirmed.
  std::shared_ptr<std::vector<std::pair<std::string, std::string>>> DurableDiff(const Records& recs,
                                                                                bool with_meta) {
    auto puts = std::make_shared<std::vector<std::pair<std::string, std::string>>>();
    for (const auto& [id, rec] : recs) {
      std::string key = DurableBreakKey(id);
      const std::string& value = SerializedRecord(id, rec);
      auto it = durable_image.find(key);
      if (it == durable_image.end() || it->second != value)
        puts->emplace_back(key, value);
    }
    if (with_meta) {
      std::string meta = SerializeMeta();
      auto it = durable_image.find(DurableMetaKey());
      if (it == durable_image.end() || it->second != meta)
        puts->emplace_back(DurableMetaKey(), meta);
    }
    return puts;
  }

  // Makes `staged` durable, then applies it. On failure nothing is applied: kUnavailable.
  void Commit(std::shared_ptr<Staged> staged, std::function<void(Status)> done) {
    auto puts = DurableDiff(staged->records, /*with_meta=*/false);
    PutSequential(puts, 0, [this, staged, done](Status s) {
      if (!s.ok()) {
        return done(Status::Unavailable("durable store: " + s.message()));
      }
      records = std::move(staged->records);
      alias = std::move(staged->alias);
      next_seq = staged->next_seq;
      stats.breaks_created += static_cast<int64_t>(staged->created.size());
      stats.breaks_cancelled += staged->cancelled;
      done(Status::Ok());
    });
  }

  // Best effort: decisions and the version are persisted when the store answers; what fails is
  // in the next diff.
  void Persist(Done done) {
    auto puts = DurableDiff(records, /*with_meta=*/true);
    PutSequential(puts, 0, [done](Status) { done(); });
  }

  // Breaks never overlap (splicer.h): sorted by start, a break that starts before the previous
  // one ends cuts it there ("the next OUT ends the previous", normalizer.h); one that starts at
  // the same instant replaces it (the earlier one is dropped, as if cancelled before its start).
  static void ResolveOverlaps(Staged* s) {
    std::vector<BreakRecord*> live;
    for (auto& [id, r] : s->records) {
      if (!r.cancelled) live.push_back(&r);
    }
    std::sort(live.begin(), live.end(), [](const BreakRecord* a, const BreakRecord* b) {
      return a->state.start_time != b->state.start_time ? a->state.start_time < b->state.start_time
                                                        : a->seq < b->seq;
    });
    BreakRecord* prev = nullptr;
    for (BreakRecord* b : live) {
      if (prev && prev->state.end_time > b->state.start_time) {
        if (prev->state.start_time == b->state.start_time) {
          prev->cancelled = true;
          ++s->cancelled;
        } else {
          SetEnd(prev, b->state.start_time);
        }
      }
      prev = b;
    }
  }

  static void SetEnd(BreakRecord* r, UnixMicros end) {
    r->state.end_time = end;
    r->state.duration_s = MicrosToSeconds(end - r->state.start_time);
    r->duration_known = true;
  }

  // ----- SCTE-35 events -----------------------------------------------------------------------

  std::string ResolveId(const Staged& s, const std::string& normalizer_id) const {
    auto it = s.alias.find(normalizer_id);
    return it == s.alias.end() ? normalizer_id : it->second;
  }

  static std::string UniqueId(const Records& recs, const std::string& base, const std::string& sep,
                              int64_t hint) {
    if (!recs.count(base)) return base;
    std::string id = base + sep + std::to_string(hint);
    for (int n = 2; recs.count(id); ++n)
      id = base + sep + std::to_string(hint) + "." + std::to_string(n);
    return id;
  }

  void ApplyStart(const cues::BreakEvent& e, Staged* s) {
    const UnixMicros start = FloorMillis(e.splice_time);
    if (retired_through && start <= *retired_through) return;  // older than the ledger's horizon
    if (!options.defect_no_cue_dedupe) {
      // The same OUT seen again (a restarted coordinator's fresh normalizer, or a repeat the
      // normalizer let through): same event id, same splice point => the same break.
      for (auto& [id, r] : s->records) {
        const bool same_id = id == e.event_id || id.rfind(e.event_id + "#", 0) == 0;
        if (same_id && std::llabs(r.state.start_time - start) <= kSameBreakToleranceUs) {
          s->alias[e.event_id] = id;
          ++stats.duplicate_cues;
          return;
        }
      }
      // The same splice point under another id (conformance R6b). A fresh normalizer (a
      // restarted coordinator) that no longer sees the OUT joins the running break from
      // CUE-OUT-CONT at segment time - ElapsedTime, and takes the id of the SCTE-35 section the
      // CONT carries (splice_event_id, SCTE 35 §9.7.3) where the OUT it replaced was a plain
      // CUE-OUT ("cue-<msn>"), or the reverse. The held break already occupies that splice point
      // (breaks never overlap, and the normalizer merges OUTs within this tolerance into one
      // break): it is the same break. Making a new one would cancel the held break (same start:
      // ResolveOverlaps keeps the later) and ask the decision service again, so edges would swap
      // the pod already playing for another one (or slate) under a new event id.
      for (auto& [id, r] : s->records) {
        if (r.cancelled || r.state.source != BreakSource::kScte35) continue;
        if (std::llabs(r.state.start_time - start) <= kSameBreakToleranceUs &&
            start < r.state.end_time) {
          s->alias[e.event_id] = id;
          ++stats.duplicate_cues;
          return;
        }
      }
    }
    // DEFECT(defect_no_cue_dedupe): with the switch on, the check above is skipped and the
    // normalizer is reset before every reload (ObserveText), so every reload that still shows the
    // OUT makes a new break (id "<id>~<n>") that replaces the previous one.
    const std::string id = options.defect_no_cue_dedupe
                               ? UniqueId(s->records, e.event_id, "~", s->next_seq)
                               : UniqueId(s->records, e.event_id, "#", e.msn);
    BreakRecord r;
    r.seq = s->next_seq++;
    r.state.channel_id = channel_id;
    r.state.event_id = id;
    r.state.source = BreakSource::kScte35;
    r.state.start_time = start;
    double d = e.duration_s.value_or(0);
    r.duration_known = std::isfinite(d) && d > 0;
    if (!r.duration_known) d = kDefaultScte35BreakS;
    d = std::min(d, kMaxBreakDurationS);
    r.state.end_time = FloorMillis(start + SecondsToMicros(d));
    if (r.state.end_time <= start) r.state.end_time = start + kMicrosPerMilli;
    r.state.duration_s = MicrosToSeconds(r.state.end_time - start);
    r.state.created_at = FloorMillis(Now());
    r.state.scte35_data =
        Scte35Data{FormatIso8601Millis(e.splice_time), SignalTypeOf(e), e.event_id, e.msn};
    r.pod_request = config.default_pod_id;
    r.requested_duration_s = r.state.duration_s;
    r.state.decision.pod_id = r.pod_request;
    s->alias[e.event_id] = id;
    s->created.push_back(id);
    s->records.emplace(id, std::move(r));
  }

  void CancelRecord(BreakRecord* r, Staged* s) {
    r->cancelled = true;
    ++s->cancelled;
  }

  void ApplyEnd(const cues::BreakEvent& e, Staged* s) {
    auto it = s->records.find(ResolveId(*s, e.event_id));
    if (it == s->records.end() || it->second.cancelled) return;
    // DEFECT(defect_ignore_cue_in): an explicit IN does not end the break; it runs its planned
    // duration.
    if (options.defect_ignore_cue_in && e.reason == cues::EndReason::kIn) return;
    BreakRecord& r = it->second;
    const UnixMicros end = FloorMillis(e.splice_time);
    if (end <= r.state.start_time) {
      // IN at the OUT's own splice point: no slot was ever in the break.
      CancelRecord(&r, s);
    } else if (end < r.state.end_time || (!r.duration_known && end != r.state.end_time)) {
      // Early CUE-IN (or the IN of a break whose length was unknown): the break ends there.
      SetEnd(&r, end);
    }
  }

  void ApplyCancel(const cues::BreakEvent& e, Staged* s) {
    auto it = s->records.find(ResolveId(*s, e.event_id));
    if (it == s->records.end() || it->second.cancelled) return;
    BreakRecord& r = it->second;
    const UnixMicros now = FloorMillis(Now());
    if (now < r.state.start_time) {
      // Cancelled before its start (SCTE 35 §9.7.3 splice_event_cancel_indicator): it goes away
      // and inserts no discontinuity.
      CancelRecord(&r, s);
    } else {
      // Already playing: it ends now (what has played stays played, and counts in the ledger).
      const UnixMicros end = std::max(now, r.state.start_time + kMicrosPerMilli);
      if (end < r.state.end_time) SetEnd(&r, end);
    }
  }

  // Parses an origin playlist, runs it through the normalizer and makes the resulting breaks
  // durable (then asks the decision service for the new ones). A bad playlist or a durable
  // failure leaves everything as it was (the normalizer too, so the events come again).
  void ObserveText(std::string_view text, std::function<void(Status)> done) {
    last_origin_look = Now();
    // The origin usually answers with the text it gave last time: parse it once (exactly the
    // same playlist either way; only text that parsed is remembered).
    if (!last_parsed || last_parsed_text != text) {
      Result<hls::MediaPlaylist> parsed = hls::ParseMedia(text);
      if (!parsed.ok()) {
        ++stats.origin_errors;
        return done(Status::InvalidArgument("origin playlist: " + parsed.status().message()));
      }
      last_parsed = std::make_shared<const hls::MediaPlaylist>(std::move(parsed).value());
      last_parsed_text.assign(text);
    }
    std::shared_ptr<const hls::MediaPlaylist> playlist = last_parsed;
    RememberGrid(*playlist);
    auto saved = std::make_shared<cues::Normalizer>(normalizer);
    if (options.defect_no_cue_dedupe)
      normalizer = cues::Normalizer();  // DEFECT seam (see ApplyStart)
    cues::NormalizeResult result = normalizer.Push(*playlist);
    auto staged = std::make_shared<Staged>(Stage());
    for (const cues::BreakEvent& e : result.events) {
      switch (e.kind) {
        case cues::EventKind::kStart:
          ApplyStart(e, staged.get());
          break;
        case cues::EventKind::kEnd:
          ApplyEnd(e, staged.get());
          break;
        case cues::EventKind::kCancel:
          ApplyCancel(e, staged.get());
          break;
      }
    }
    ResolveOverlaps(staged.get());
    Commit(staged, [this, saved, done](Status s) {
      if (!s.ok()) {
        normalizer = *saved;
        return done(s);
      }
      DecideAll([done] { done(Status::Ok()); });
    });
  }

  void RefreshOrigin(bool force, std::function<void(Status)> done) {
    const RenditionConfig* rendition =
        options.cue_rendition.empty()
            ? (config.renditions.empty() ? nullptr : &config.renditions.front())
            : config.FindRendition(options.cue_rendition);
    if (!rendition || !env.origin) {
      if (!options.cue_rendition.empty() && !rendition) {
        return done(Status::NotFound("cue_rendition '" + options.cue_rendition +
                                     "' is not a rendition of " + channel_id));
      }
      return done(Status::Ok());  // nothing to look at
    }
    if (!force && last_origin_look && Now() - *last_origin_look < options.origin_refresh_us) {
      return done(Status::Ok());
    }
    last_origin_look = Now();
    ++stats.origin_fetches;
    const std::string url = rendition->origin_url;
    env.origin->Fetch(
        url, Guard([this, url, done](Result<OriginClient::Response> r) {
          if (!r.ok()) {
            ++stats.origin_errors;
            return done(Status(r.status().code(), "origin " + url + ": " + r.status().message()));
          }
          if (r->http_status != 200) {
            ++stats.origin_errors;
            return done(
                Status::Unavailable("origin " + url + ": HTTP " + std::to_string(r->http_status)));
          }
          ObserveText(r->body, done);
        }));
  }

  // ----- decisions ----------------------------------------------------------------------------

  // Asks for a pod for every break that has none yet and has not ended, one after the other.
  // A break is asked for once in this coordinator's life: timeout, failure and an empty pod all
  // leave it decided (slate).
  void DecideAll(Done done) {
    const UnixMicros now = Now();
    for (auto& [id, r] : records) {
      if (!r.cancelled && !r.decided && r.state.end_time > now) {
        const std::string event_id = id;
        return RequestDecision(event_id, [this, done] { DecideAll(done); });
      }
    }
    done();
  }

  void RequestDecision(const std::string& id, Done done) {
    BreakRecord& r = records.at(id);
    if (!env.decision) {
      SetDecision(id, AdDecision{r.pod_request, {}});
      return done();
    }
    ++stats.decision_requests;
    DecisionClient::Request req{channel_id, id, r.pod_request, r.state.duration_s};
    auto settled = std::make_shared<bool>(false);
    const std::string pod = r.pod_request;
    // The timer goes first: the answer may come before Decide returns.
    auto timer = std::make_shared<Scheduler::TimerId>();
    *timer = env.scheduler->RunAt(Now() + options.decision_timeout_us,
                                  Guard([this, settled, id, pod, done] {
                                    if (*settled) return;
                                    *settled = true;
                                    ++stats.decision_timeouts;
                                    SetDecision(id, AdDecision{pod, {}});  // slate
                                    done();
                                  }));
    env.decision->Decide(req, Guard([this, settled, timer, id, pod, done](Result<AdDecision> d) {
                           if (*settled) return;  // too late: the break already has slate
                           *settled = true;
                           env.scheduler->Cancel(*timer);
                           if (!d.ok() || d->items.empty()) {
                             ++stats.decision_failures;
                             SetDecision(id, AdDecision{pod, {}});
                           } else {
                             AdDecision decision = std::move(d).value();
                             if (decision.pod_id.empty()) decision.pod_id = pod;
                             SetDecision(id, std::move(decision));
                           }
                           done();
                         }));
  }

  void SetDecision(const std::string& id, AdDecision d) {
    auto it = records.find(id);
    if (it == records.end()) return;
    it->second.state.decision = std::move(d);
    it->second.decided = true;
  }

  // ----- ledger, ChannelState -----------------------------------------------------------------

  std::vector<const BreakRecord*> SortedRecords() const {
    std::vector<const BreakRecord*> v;
    for (const auto& [id, r] : records) v.push_back(&r);
    std::sort(v.begin(), v.end(), [](const BreakRecord* a, const BreakRecord* b) {
      return a->state.start_time != b->state.start_time ? a->state.start_time < b->state.start_time
                                                        : a->seq < b->seq;
    });
    return v;
  }

  // What one break adds to the ledgers (splicer.h): a seed-style break inserted 2 DISCONTINUITY
  // tags (one on its first ad slot, one on the first content slot after it) and keeps
  // MEDIA-SEQUENCE; a pod of creatives (AdDecision::IsPod) one per piece + the return, and K - M
  // to MEDIA-SEQUENCE, laid out over its span on the origin's slot grid (PodBreakNumbering; the
  // edges' splicer lays it out the same way). Without a grid seen yet, the last numbering
  // computed for the break is kept.
  BreakNumbering NumberingOf(const BreakRecord& r) const {
    if (!r.state.decision.IsPod()) return {2, 0};
    std::vector<PodTiming> timings;
    for (const AdItem& item : r.state.decision.items) {
      timings.push_back({item.duration_s, item.segment_duration_s.value_or(0)});
    }
    auto cached = numbering_cache.find(r.state.event_id);
    if (!origin_grid || origin_grid->segment_us <= 0) {
      return cached != numbering_cache.end() ? cached->second : BreakNumbering{2, 0};
    }
    const DurationMicros slot_us = origin_grid->segment_us;
    const DurationMicros slate_us =
        config.slate.duration_s > 0 ? SecondsToMicros(config.slate.duration_s) : slot_us;
    const DurationMicros span_us =
        SpanOnGrid(r.state.start_time, r.state.end_time, origin_grid->boundary, slot_us);
    const BreakNumbering n = PodBreakNumbering(timings, span_us, slot_us, slate_us);
    numbering_cache[r.state.event_id] = n;
    return n;
  }

  struct LedgerEntry {
    int64_t discontinuities_before = 0;
    int64_t media_sequence_before = 0;
    BreakNumbering own;
  };
  // A break's discontinuities_before / media_sequence_before: the sums over the breaks before
  // it, retired ones included.
  std::map<std::string, LedgerEntry> Ledger(int64_t* total, int64_t* msn_total = nullptr) const {
    std::map<std::string, LedgerEntry> ledger;
    int64_t d = retired_discontinuities;
    int64_t m = retired_media_sequence;
    for (const BreakRecord* r : SortedRecords()) {
      if (r->cancelled) continue;
      const BreakNumbering n = NumberingOf(*r);
      ledger[r->state.event_id] = {d, m, n};
      d += n.discontinuities;
      m += n.media_sequence_delta;
    }
    *total = d;
    if (msn_total != nullptr) *msn_total = m;
    return ledger;
  }

  AdBreakState Published(const BreakRecord& r, const std::map<std::string, LedgerEntry>& ledger) const {
    AdBreakState s = r.state;
    auto it = ledger.find(r.state.event_id);
    s.discontinuities_before = it == ledger.end() ? 0 : it->second.discontinuities_before;
    if (r.state.decision.IsPod() && it != ledger.end()) {
      s.discontinuities = it->second.own.discontinuities;
      s.media_sequence_delta = it->second.own.media_sequence_delta;
    }
    if (it != ledger.end() && it->second.media_sequence_before != 0) {
      s.media_sequence_before = it->second.media_sequence_before;
    }
    return s;
  }

  // Rebuilds `state`; the version goes up when its content changed.
  void Rebuild() {
    const UnixMicros now = Now();
    ChannelState next;
    next.channel_id = channel_id;
    auto ledger = Ledger(&next.discontinuities_total, &next.media_sequence_total);
    for (const BreakRecord* r : SortedRecords()) {
      if (r->cancelled) continue;
      if (r->state.end_time + options.keep_ended_us <= now) continue;  // ended long ago
      next.breaks.push_back(Published(*r, ledger));
    }
    if (next.breaks != state.breaks || next.discontinuities_total != state.discontinuities_total ||
        next.media_sequence_total != state.media_sequence_total ||
        state.updated_at == 0) {
      next.version = state.version + 1;
      next.updated_at = now;
      state = std::move(next);
    }
  }

  // Folds breaks that left every playlist window (ended keep_ended_us ago) into the meta record's
  // counter, so records do not pile up. Meta first, then the records go (best effort: Start
  // ignores records at or before the watermark).
  void Retire(Done done) {
    const UnixMicros now = Now();
    std::vector<const BreakRecord*> sorted = SortedRecords();
    size_t n = 0;
    int64_t add = 0;
    while (n < sorted.size()) {
      const BreakRecord* r = sorted[n];
      const UnixMicros gone = r->cancelled ? r->state.start_time : r->state.end_time;
      if (gone + options.keep_ended_us > now) break;
      ++n;
    }
    // Never split a group of records with one start time across the watermark.
    while (n > 0 && n < sorted.size() &&
           sorted[n]->state.start_time == sorted[n - 1]->state.start_time)
      --n;
    if (n == 0) return done();
    int64_t add_msn = 0;
    for (size_t i = 0; i < n; ++i) {
      if (sorted[i]->cancelled) continue;
      const BreakNumbering bn = NumberingOf(*sorted[i]);
      add += bn.discontinuities;
      add_msn += bn.media_sequence_delta;
    }
    std::vector<std::string> ids;
    for (size_t i = 0; i < n; ++i) ids.push_back(sorted[i]->state.event_id);
    const UnixMicros through = sorted[n - 1]->state.start_time;
    const int64_t old_retired = retired_discontinuities;
    const int64_t old_retired_msn = retired_media_sequence;
    const std::optional<UnixMicros> old_through = retired_through;
    retired_discontinuities += add;
    retired_media_sequence += add_msn;
    retired_through = through;
    const std::string meta = SerializeMeta();
    env.durable->Put(DurableMetaKey(), meta,
                     Guard([this, ids, meta, old_retired, old_retired_msn, old_through, done](Status s) {
                       if (!s.ok()) {
                         ++stats.durable_failures;
                         retired_discontinuities = old_retired;
                         retired_media_sequence = old_retired_msn;
                         retired_through = old_through;
                         return done();
                       }
                       durable_image[DurableMetaKey()] = meta;
                       for (const std::string& id : ids) {
                         records.erase(id);
                         numbering_cache.erase(id);
                         serialized_records.erase(id);
                         const std::string key = DurableBreakKey(id);
                         durable_image.erase(key);
                         env.durable->Delete(key, Guard([this](Status ds) {
                                               if (!ds.ok()) ++stats.durable_failures;
                                             }));
                         auto w = writers.find(AdBreakKey(channel_id, id));
                         if (w != writers.end() && !w->second.in_flight && !w->second.has_pending) {
                           if (w->second.timer) env.scheduler->Cancel(*w->second.timer);
                           writers.erase(w);
                         } else if (w != writers.end()) {
                           retired_writers.insert(w->first);  // erased once idle (ForgetIfRetired)
                         }
                       }
                       for (auto it = alias.begin(); it != alias.end();) {
                         it = records.count(it->second) ? std::next(it) : alias.erase(it);
                       }
                       done();
                     }));
  }

  // ----- KV -----------------------------------------------------------------------------------

  // expirationTtl for a break key: the seed's floor(duration)+60, but never past ~60 s after
  // endTime: min(floor(duration), ceil(seconds from now to endTime)) + 60, so never under 60 (KV's
  // minimum). Written at startTime (or up to a second after it, e.g. after the decision) that is
  // exactly the seed's value (105 for 45 s); a rewrite after an early CUE-IN, or after a restart
  // mid-break, gets a shorter one, so the key goes away ~60 s after the real end instead of
  // floor(new duration)+60 s after the rewrite.
  static int64_t BreakTtlS(double duration_s, UnixMicros end_time, UnixMicros now) {
    const DurationMicros left = std::max<DurationMicros>(0, end_time - FloorMillis(now));
    const int64_t left_s = FloorDiv(left + kMicrosPerSecond - 1, kMicrosPerSecond);  // ceil
    return std::min(AdBreakTtlSeconds(duration_s), left_s + kAdBreakTtlMarginS);
  }

  // Hands a value (or a delete) to the key's writer; KickAll sends what may be sent now.
  void Write(const std::string& key, std::string value, std::optional<UnixMicros> end_time,
             double duration_s = 0, bool is_delete = false) {
    retired_writers.erase(key);  // the key is wanted again
    KeyWriter& w = writers[key];
    if (w.has_pending || w.in_flight ||
        (w.last_issue && Now() - *w.last_issue < kKvWriteSpacingUs)) {
      ++stats.kv_writes_deferred;
    }
    w.latest = is_delete ? std::string() : value;
    w.latest_delete = is_delete;
    w.pending_delete = is_delete;
    w.has_pending = true;
    w.end_time = end_time;
    w.duration_s = duration_s;
    w.backoff = 0;  // a new value goes out at the next free slot
    w.retry_at = 0;
    to_kick.push_back(key);
  }

  void KickAll() {
    std::vector<std::string> keys;
    keys.swap(to_kick);
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (const std::string& k : keys) Kick(k);
  }

  void Kick(const std::string& key) {
    auto it = writers.find(key);
    if (it == writers.end()) return;
    KeyWriter& w = it->second;
    if (w.in_flight || !w.has_pending || w.timer) return;
    UnixMicros earliest =
        w.last_issue ? *w.last_issue + kKvWriteSpacingUs : std::max(Now(), kv_quiet_until);
    earliest = std::max(earliest, w.retry_at);
    if (earliest > Now()) {
      w.timer = env.scheduler->RunAt(earliest, Guard([this, key] {
                                       auto wit = writers.find(key);
                                       if (wit == writers.end()) return;
                                       wit->second.timer.reset();
                                       Kick(key);
                                     }));
      return;
    }
    Issue(key);
  }

  void Issue(const std::string& key) {
    KeyWriter& w = writers.at(key);
    const UnixMicros now = Now();
    // A break key whose document would already have expired is not worth writing any more.
    if (w.end_time && now >= *w.end_time + kAdBreakTtlMarginS * kMicrosPerSecond &&
        !w.pending_delete) {
      w.has_pending = false;
      std::vector<std::function<void(Status)>> waiters = std::move(w.waiters);
      w.waiters.clear();
      ForgetIfRetired(key);
      for (auto& cb : waiters) cb(Status::DeadlineExceeded("break ended before KV took the write"));
      return;
    }
    w.has_pending = false;
    w.in_flight = true;
    w.last_issue = now;
    w.in_flight_waiters = std::move(w.waiters);
    w.waiters.clear();
    ++stats.kv_writes;
    const bool is_delete = w.pending_delete;
    const std::string value = w.latest;
    auto on_done =
        Guard([this, key, value, is_delete](Status s) { OnWritten(key, value, is_delete, s); });
    if (is_delete) {
      env.kv->Delete(key, on_done);
    } else {
      const int64_t ttl =
          w.end_time ? BreakTtlS(w.duration_s, *w.end_time, now) : options.channel_state_ttl_s;
      env.kv->Put(key, value, ttl, on_done);
    }
  }

  void OnWritten(const std::string& key, const std::string& value, bool is_delete, Status s) {
    auto it = writers.find(key);
    if (it == writers.end()) return;
    KeyWriter& w = it->second;
    w.in_flight = false;
    w.last_status = s;
    std::vector<std::function<void(Status)>> waiters = std::move(w.in_flight_waiters);
    w.in_flight_waiters.clear();
    if (!s.ok()) {
      ++stats.kv_write_failures;
      if (!w.has_pending) {
        // Retry the same value later, backing off (1 s, 2 s, ... 30 s) while KV keeps failing.
        w.has_pending = true;
        w.pending_delete = is_delete;
        w.latest = value;
        w.latest_delete = is_delete;
        w.backoff = w.backoff == 0 ? kKvWriteSpacingUs : std::min(w.backoff * 2, kKvRetryMaxUs);
        w.retry_at = Now() + w.backoff;
      }
    } else {
      w.backoff = 0;
      w.retry_at = 0;
    }
    if (ForgetIfRetired(key)) {
      for (auto& cb : waiters) cb(s);
      return;
    }
    for (auto& cb : waiters) cb(s);
    Kick(key);
  }

  // Erases the writer of a retired break once nothing is pending or in flight for it (Retire
  // could not: it was busy). Returns whether it was erased.
  bool ForgetIfRetired(const std::string& key) {
    auto it = writers.find(key);
    if (it == writers.end() || it->second.in_flight || it->second.has_pending) return false;
    if (retired_writers.erase(key) == 0) return false;
    if (it->second.timer) env.scheduler->Cancel(*it->second.timer);
    writers.erase(it);
    return true;
  }

  // Calls `cb` with how the write of the key's newest value went (at once when nothing is being
  // written, or when the key is in failure backoff: the caller learns of the failure now).
  void WaitFor(const std::string& key, std::function<void(Status)> cb) {
    auto it = writers.find(key);
    if (it == writers.end()) return cb(Status::Ok());
    KeyWriter& w = it->second;
    if (w.has_pending) {
      if (w.retry_at > 0 && !w.last_status.ok()) return cb(w.last_status);
      w.waiters.push_back(std::move(cb));
    } else if (w.in_flight) {
      w.in_flight_waiters.push_back(std::move(cb));
    } else {
      cb(w.last_status);
    }
  }

  // Brings KV in line with the records: break keys for breaks that have not ended (and rewrites
  // of ones this coordinator wrote, e.g. shortened by a CUE-IN after their end), deletes for
  // cancelled ones it wrote, and the channel document.
  void Reconcile(bool recovering, bool force_channel_state) {
    if (!env.kv) return;
    const UnixMicros now = Now();
    if (options.write_break_keys) {
      int64_t total = 0;
      auto ledger = Ledger(&total);
      for (const auto& [id, r] : records) {
        const std::string key = AdBreakKey(channel_id, id);
        auto w = writers.find(key);
        if (r.cancelled) {
          if (w != writers.end() && !w->second.latest_delete)
            Write(key, "", std::nullopt, 0, /*is_delete=*/true);
          continue;
        }
        const UnixMicros horizon = recovering
                                       ? r.state.end_time + kAdBreakTtlMarginS * kMicrosPerSecond
                                       : r.state.end_time;
        if (w == writers.end() && now >= horizon) continue;
        std::string doc = SerializeAdBreakState(Published(r, ledger));
        if (w == writers.end() || w->second.latest_delete || w->second.latest != doc) {
          Write(key, std::move(doc), r.state.end_time, r.state.duration_s);
        }
      }
    }
    if (options.write_channel_state) {
      const std::string key = ChannelStateKey(channel_id);
      // Rebuilt only when the state differs from the one last serialized (most calls change nothing).
      if (!serialized_state || !(serialized_state->first == state)) {
        serialized_state.emplace(state, SerializeChannelState(state));
      }
      std::string doc = serialized_state->second;
      auto w = writers.find(key);
      if (force_channel_state || w == writers.end() || w->second.latest != doc) {
        Write(key, std::move(doc), std::nullopt);
      }
    }
  }

  struct FinishOptions {
    bool recovering = false;
    bool force_channel_state = false;
    std::vector<std::string> wait_keys;   // KV keys whose write `kv_done` reports
    std::function<void(Status)> kv_done;  // may be empty
  };

  // The end of every operation: retire, rebuild, persist, write KV; then the gate opens (KV
  // completions are reported to `kv_done` later, without holding the gate).
  void Finish(FinishOptions fo, Done gate_done) {
    auto fop = std::make_shared<FinishOptions>(std::move(fo));
    Retire([this, fop, gate_done] {
      Rebuild();
      Persist([this, fop, gate_done] {
        Reconcile(fop->recovering, fop->force_channel_state);
        if (fop->kv_done) {
          auto join = Join::Make(static_cast<int>(fop->wait_keys.size()), fop->kv_done);
          for (const std::string& k : fop->wait_keys) WaitFor(k, join);
        }
        KickAll();
        gate_done();
      });
    });
  }

  // ----- operations ---------------------------------------------------------------------------

  void StartOp(std::function<void(Status)> done, Done gate_done) {
    env.durable->Scan(
        DurablePrefix(), Guard([this, done, gate_done](
                                   Result<std::vector<std::pair<std::string, std::string>>> rows) {
          if (!rows.ok()) {
            ++stats.durable_failures;
            Status s = Status::Unavailable("durable store: " + rows.status().message());
            start_error = s;
            std::deque<Op> waiting;
            waiting.swap(queue);
            for (Op& op : waiting) op.fail(s);
            done(s);
            return gate_done();
          }
          Status recovery = Recover(*rows);
          // A restarted coordinator does not know when its predecessor last wrote each key, and
          // KV allows one write per second per key: it waits one spacing before its first write
          // (found by the conformance suite, R6: the restart's first put was rejected).
          if (!rows->empty()) kv_quiet_until = Now() + kKvWriteSpacingUs;
          start_error.reset();
          ready = true;
          normalizer = cues::Normalizer();
          DecideAll([this, recovery, done, gate_done] {
            FinishOptions fo;
            fo.recovering = true;
            Finish(std::move(fo), [this, recovery, done, gate_done] {
              ArmTimers();
              done(recovery);
              gate_done();
            });
          });
        }));
  }

  // Rebuilds records from the store's rows. Unreadable rows are skipped and reported (DataLoss);
  // the coordinator runs with the rest.
  Status Recover(const std::vector<std::pair<std::string, std::string>>& rows) {
    records.clear();
    alias.clear();
    durable_image.clear();
    std::string errors;
    int bad = 0;
    int64_t version = 0;
    const std::string meta_key = DurableMetaKey();
    const std::string break_prefix = channel_id + ":break:";
    for (const auto& [key, value] : rows) {
      if (key != meta_key) continue;
      Result<Json> j = internal::ParseObject(value, "meta record");
      Result<int64_t> v =
          j.ok() ? internal::GetInteger(*j, "version", "version") : Result<int64_t>(j.status());
      Result<int64_t> rd =
          j.ok() ? internal::GetInteger(*j, "retiredDiscontinuities", "retiredDiscontinuities")
                 : Result<int64_t>(j.status());
      Result<int64_t> ns =
          j.ok() ? internal::GetInteger(*j, "nextSeq", "nextSeq") : Result<int64_t>(j.status());
      if (!v.ok() || !rd.ok() || !ns.ok()) {
        ++bad;
        errors += " " + key + ": " +
                  (!v.ok()    ? v.status()
                   : !rd.ok() ? rd.status()
                              : ns.status())
                      .message();
        continue;
      }
      version = *v;
      retired_discontinuities = *rd;
      if (auto rm = j->find("retiredMediaSequence"); rm != j->end() && rm->is_number_integer()) {
        retired_media_sequence = rm->get<int64_t>();
      }
      next_seq = std::max(next_seq, *ns);
      auto t = j->find("retiredThroughUs");
      if (t != j->end() && t->is_number_integer()) retired_through = t->get<int64_t>();
      durable_image[key] = value;
    }
    for (const auto& [key, value] : rows) {
      if (key.rfind(break_prefix, 0) != 0) continue;
      Result<BreakRecord> r = ParseRecord(value);
      if (!r.ok()) {
        ++bad;
        errors += " " + key + ": " + r.status().message();
        continue;
      }
      if (retired_through && r->state.start_time <= *retired_through) {
        env.durable->Delete(key, Guard([](Status) {}));  // retired; its delete had not gone through
        continue;
      }
      next_seq = std::max(next_seq, r->seq + 1);
      durable_image[key] = value;
      const std::string id = r->state.event_id;
      records[id] = std::move(r).value();
    }
    // A commit that failed half way (a new break written, the cut of the one before it not) can
    // leave overlapping records: resolve them as the commit would have (Persist writes the cut).
    Staged s;
    s.records = std::move(records);
    ResolveOverlaps(&s);
    records = std::move(s.records);
    // A restart is a change: edges see a version above every one published before it.
    state = ChannelState();
    state.channel_id = channel_id;
    state.version = version;
    if (bad > 0) {
      return Status::DataLoss(std::to_string(bad) + " durable record(s) unreadable:" + errors);
    }
    return Status::Ok();
  }

  void ArmTimers() {
    if (stopped) return;
    if (options.poll_origin && !poll_timer) SchedulePoll();
    if (env.kv && options.write_channel_state && !heartbeat_timer) ScheduleHeartbeat();
  }

  void SchedulePoll() {
    poll_timer = env.scheduler->RunAt(
        Now() + options.poll_interval_us, Guard([this] {
          poll_timer.reset();
          if (stopped) return;
          SchedulePoll();
          if (poll_queued) return;  // the previous poll is still waiting: do not pile them up
          poll_queued = true;
          Enqueue(Op{OpKind::kPoll,
                     [this](Done gate_done) {
                       poll_queued = false;
                       RefreshOrigin(/*force=*/true, [this, gate_done](Status s) {
                         last_poll_status = s;
                         Finish({}, gate_done);
                       });
                     },
                     [this](Status) { poll_queued = false; }, nullptr});
        }));
  }

  void ScheduleHeartbeat() {
    heartbeat_timer =
        env.scheduler->RunAt(Now() + options.channel_state_heartbeat_us, Guard([this] {
                               heartbeat_timer.reset();
                               if (stopped) return;
                               ScheduleHeartbeat();
                               Enqueue(Op{OpKind::kHeartbeat,
                                          [this](Done gate_done) {
                                            FinishOptions fo;
                                            fo.force_channel_state = true;
                                            Finish(std::move(fo), gate_done);
                                          },
                                          [](Status) {}, nullptr});
                             }));
  }

  void CueOp(const CueRequest& req, std::function<void(Result<CueResult>)> done, Done gate_done) {
    const UnixMicros now = FloorMillis(Now());
    const std::string pod = req.pod_id.empty() ? config.default_pod_id : req.pod_id;
    if (!options.defect_no_cue_dedupe) {
      // The seed's cue API has no idempotency key; an operator (or a retrying client) sending
      // the same cue again while its break plays means that break, not a second one.
      const BreakRecord* last = nullptr;
      for (const auto& [id, r] : records) {
        if (r.state.source == BreakSource::kManual && !r.cancelled && (!last || r.seq > last->seq))
          last = &r;
      }
      // Upcoming (announced ahead, api_cue_lead_us) or active.
      if (last && now < last->state.end_time && last->requested_duration_s == req.duration_s &&
          last->pod_request == pod) {
        ++stats.duplicate_cues;
        int64_t total = 0;
        CueResult result{Published(*last, Ledger(&total)), true, Status::Ok()};
        done(std::move(result));
        return gate_done();
      }
    }
    // DEFECT(defect_no_cue_dedupe): the duplicate check above is skipped; the repeat becomes a
    // new break that cuts the previous one short.
    auto staged = std::make_shared<Staged>(Stage());
    // The seed's id; a second break in the same second (a different cue, or a defect build's
    // repeat) gets "_2", "_3", ... so ids stay unique.
    const std::string base =
        "manual_" + channel_id + "_" + std::to_string(FloorDiv(now, kMicrosPerSecond));
    std::string id = base;
    for (int n = 2; staged->records.count(id); ++n) id = base + "_" + std::to_string(n);
    BreakRecord r;
    r.seq = staged->next_seq++;
    r.state.channel_id = channel_id;
    r.state.event_id = id;
    r.state.source = BreakSource::kManual;
    const UnixMicros start = ApiCueStart(now);
    r.state.start_time = start;
    r.state.end_time = FloorMillis(start + SecondsToMicros(req.duration_s));
    if (r.state.end_time <= start) r.state.end_time = start + kMicrosPerMilli;
    r.state.duration_s = MicrosToSeconds(r.state.end_time - start);
    r.state.created_at = now;
    r.state.decision.pod_id = pod;
    r.requested_duration_s = req.duration_s;
    r.pod_request = pod;
    staged->created.push_back(id);
    staged->records.emplace(id, std::move(r));
    ResolveOverlaps(staged.get());
    Commit(staged, [this, id, done, gate_done](Status s) {
      if (!s.ok()) {
        done(s);  // not durable => not acknowledged
        return gate_done();
      }
      RequestDecision(id, [this, id, done, gate_done] { FinishCue(id, CueResult{}, std::nullopt, done, gate_done); });
    });
  }

  // action "stop": ends the break playing at the instant a cue received now would start (the
  // same notice for an end as for a start), or cancels the next announced one; made durable,
  // then written to KV like any change (edges holding the old endTime are what
  // ttl.no_ad_after_stop judges).
  void StopOp(const CueRequest& req, std::function<void(Result<CueResult>)> done, Done gate_done) {
    const UnixMicros now = FloorMillis(Now());
    const UnixMicros effective = FloorMillis(ApiCueStart(now));
    auto staged = std::make_shared<Staged>(Stage());
    BreakRecord* target = nullptr;
    if (!req.event_id.empty()) {
      auto it = staged->records.find(req.event_id);
      if (it == staged->records.end() || it->second.cancelled) {
        done(Status::NotFound("event_id: no break '" + req.event_id.substr(0, 80) + "' on channel " + channel_id));
        return gate_done();
      }
      target = &it->second;
    } else {
      // The break playing at the effective instant, else the next one announced (a manual break
      // announced ahead, or an SCTE-35 OUT with a future splice time).
      for (auto& [id, r] : staged->records) {
        if (r.cancelled || r.state.end_time <= effective) continue;
        if (r.state.start_time <= effective) {
          target = &r;
          break;
        }
        if (!target || r.state.start_time < target->state.start_time) target = &r;
      }
    }
    if (target == nullptr || target->state.end_time <= effective) {
      done(Status::FailedPrecondition("no break playing or announced on channel " + channel_id +
                                      " at " + FormatIso8601Millis(effective)));
      return gate_done();
    }
    const std::string id = target->state.event_id;
    const bool cancelled = target->state.start_time >= effective;
    if (options.defect_ignore_cue_in) {
      // DEFECT(defect_ignore_cue_in): the stop is acknowledged, the break runs its planned end.
    } else if (cancelled) {
      CancelRecord(target, staged.get());
    } else {
      SetEnd(target, effective);
    }
    Commit(staged, [this, id, cancelled, effective, done, gate_done](Status s) {
      if (!s.ok()) {
        done(s);  // not durable => not acknowledged
        return gate_done();
      }
      CueResult result;
      result.cancelled = cancelled;
      // The acknowledgement's endTime is when the stop takes effect, also for a cancelled break
      // (then at or before its startTime: it never plays).
      FinishCue(id, std::move(result), effective, done, gate_done);
    });
  }

  // The end of a cue-API operation on break `id` (a start after its decision, or a stop): the
  // break as acknowledged (`acknowledged_end` replacing its endTime when given) goes to `done`
  // with how its KV writes went, once they are done.
  void FinishCue(const std::string& id, CueResult result, std::optional<UnixMicros> acknowledged_end,
                 std::function<void(Result<CueResult>)> done, Done gate_done) {
    FinishOptions fo;
    if (env.kv && options.write_break_keys) fo.wait_keys.push_back(AdBreakKey(channel_id, id));
    if (env.kv && options.write_channel_state) fo.wait_keys.push_back(ChannelStateKey(channel_id));
    auto shared = std::make_shared<CueResult>(std::move(result));
    fo.kv_done = [shared, done](Status kv) {
      shared->kv_write = kv;
      done(*shared);
    };
    // Filled in before Finish issues any write (a write may complete synchronously).
    int64_t total = 0;
    shared->state = Published(records.at(id), Ledger(&total));
    if (acknowledged_end) shared->state.end_time = *acknowledged_end;
    Finish(std::move(fo), gate_done);
  }

  // When a cue received at `now` starts (CoordinatorOptions::api_cue_lead_us): `now` in the
  // seed's behaviour, else the first segment boundary of the origin's grid at or after
  // now + lead + one target duration.
  UnixMicros ApiCueStart(UnixMicros now) const {
    if (options.api_cue_lead_us <= 0) return now;
    constexpr DurationMicros kUnknownTargetDurationUs = 6 * kMicrosPerSecond;  // no origin look yet
    if (!origin_grid || origin_grid->segment_us <= 0 || now - origin_grid->seen_at > 60 * kMicrosPerSecond) {
      return now + options.api_cue_lead_us + kUnknownTargetDurationUs;
    }
    const UnixMicros earliest = now + options.api_cue_lead_us + origin_grid->target_duration_us;
    const UnixMicros b = origin_grid->boundary;
    if (earliest <= b) return b;
    const int64_t steps = (earliest - b + origin_grid->segment_us - 1) / origin_grid->segment_us;
    return b + steps * origin_grid->segment_us;
  }

  // The origin's segment grid as last seen (the end of its newest segment, its duration and the
  // target duration), for ApiCueStart.
  void RememberGrid(const hls::MediaPlaylist& playlist) {
    const auto& segs = playlist.segments();
    if (segs.empty()) return;
    std::optional<UnixMicros> last_start = playlist.SegmentStartTime(segs.size() - 1);
    if (!last_start) return;
    OriginGrid g;
    g.segment_us = SecondsToMicros(segs.back().duration_s());
    g.boundary = *last_start + g.segment_us;
    g.target_duration_us = playlist.target_duration_s().value_or(6) * kMicrosPerSecond;
    g.seen_at = Now();
    origin_grid = g;
  }

  // Answers the GetChannelState op and every GetChannelState waiting right behind it with the
  // same state: they would have read the same thing (one origin fetch for all of them).
  void AnswerStates(const CoordinatorClient::StateCallback& first) {
    std::vector<CoordinatorClient::StateCallback> cbs{first};
    while (!queue.empty() && queue.front().kind == OpKind::kGetState) {
      cbs.push_back(std::move(queue.front().state_done));
      queue.pop_front();
      ++stats.operations;
    }
    ChannelState copy = state;
    for (auto& cb : cbs) cb(copy);
  }

  // --- members ---
  ChannelConfig config;
  CoordinatorEnv env;
  CoordinatorOptions options;
  std::string channel_id;
  ChannelState state;
  CoordinatorStats stats;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);

  std::deque<Op> queue;
  bool busy = false;
  bool pumping = false;
  bool ready = false;
  std::optional<Status> start_error;

  Records records;
  std::map<std::string, std::string> alias;
  int64_t next_seq = 1;
  int64_t retired_discontinuities = 0;
  int64_t retired_media_sequence = 0;  // MEDIA-SEQUENCE ledger of retired pod breaks
  mutable std::map<std::string, BreakNumbering> numbering_cache;  // by event id (NumberingOf)
  std::optional<UnixMicros> retired_through;
  std::map<std::string, std::string> durable_image;  // key -> value the store confirmed
  // Memos of pure functions of their key (see SerializedRecord, ObserveText, Reconcile).
  std::map<std::string, std::pair<BreakRecord, std::string>> serialized_records;
  std::string last_parsed_text;
  std::shared_ptr<const hls::MediaPlaylist> last_parsed;
  std::optional<std::pair<ChannelState, std::string>> serialized_state;

  cues::Normalizer normalizer;
  std::optional<UnixMicros> last_origin_look;
  struct OriginGrid {
    UnixMicros boundary = 0;        // end of the newest segment (PDT + duration)
    DurationMicros segment_us = 0;  // its duration
    DurationMicros target_duration_us = 0;
    UnixMicros seen_at = 0;
  };
  std::optional<OriginGrid> origin_grid;
  Status last_poll_status;

  std::map<std::string, KeyWriter> writers;
  std::set<std::string> retired_writers;  // writers of retired breaks, busy when they retired
  UnixMicros kv_quiet_until = 0;  // no KV write before this (set on a restart)
  std::vector<std::string> to_kick;

  std::optional<Scheduler::TimerId> poll_timer;
  std::optional<Scheduler::TimerId> heartbeat_timer;
  bool stopped = false;
  bool poll_queued = false;
};

// ---------------------------------------------------------------------------------------------

Coordinator::Coordinator(ChannelConfig config, CoordinatorEnv env, CoordinatorOptions options)
    : impl_(std::make_unique<Impl>(std::move(config), env, std::move(options))) {}

Coordinator::~Coordinator() = default;

void Coordinator::Start(std::function<void(Status)> done) {
  Impl* impl = impl_.get();
  impl->stopped = false;
  impl->start_error.reset();
  impl->Enqueue(Impl::Op{Impl::OpKind::kStart,
                         [impl, done](Impl::Done gate_done) { impl->StartOp(done, gate_done); },
                         [done](Status s) { done(s); }, nullptr},
                /*front=*/true);
}

void Coordinator::Stop() {
  Impl* impl = impl_.get();
  impl->stopped = true;
  if (impl->poll_timer) impl->env.scheduler->Cancel(*impl->poll_timer);
  if (impl->heartbeat_timer) impl->env.scheduler->Cancel(*impl->heartbeat_timer);
  impl->poll_timer.reset();
  impl->heartbeat_timer.reset();
}

void Coordinator::Cue(const CueRequest& request, std::function<void(Result<CueResult>)> done) {
  Impl* impl = impl_.get();
  // Routing errors and field errors need no state: answered at once, not queued.
  if (request.org != impl->config.org) {
    return done(Status::NotFound("org: unknown org '" + request.org.substr(0, 80) +
                                 "' (this coordinator serves '" + impl->config.org + "')"));
  }
  if (request.channel != impl->config.channel) {
    return done(Status::NotFound("channel: unknown channel '" + request.channel.substr(0, 80) +
                                 "' for org '" + impl->config.org + "'"));
  }
  Status valid = ValidateCueRequest(request);
  if (!valid.ok()) return done(valid);
  impl->Enqueue(Impl::Op{Impl::OpKind::kCue,
                         [impl, request, done](Impl::Done gate_done) {
                           ++impl->stats.operations;
                           if (request.action == CueAction::kStop) return impl->StopOp(request, done, gate_done);
                           impl->CueOp(request, done, gate_done);
                         },
                         [done](Status s) { done(s); }, nullptr});
}

void Coordinator::GetChannelState(std::function<void(Result<ChannelState>)> done) {
  Impl* impl = impl_.get();
  impl->Enqueue(Impl::Op{Impl::OpKind::kGetState,
                         [impl, done](Impl::Done gate_done) {
                           ++impl->stats.operations;
                           // An origin that is down or sends garbage does not fail the answer:
                           // the edge gets the state as the coordinator knows it.
                           impl->RefreshOrigin(/*force=*/false, [impl, done, gate_done](Status) {
                             impl->Finish({}, [impl, done, gate_done] {
                               impl->AnswerStates(done);
                               gate_done();
                             });
                           });
                         },
                         [done](Status s) { done(s); }, done});
}

void Coordinator::ObserveOrigin(std::string_view playlist_text, std::function<void(Status)> done) {
  Impl* impl = impl_.get();
  impl->Enqueue(Impl::Op{Impl::OpKind::kObserve,
                         [impl, text = std::string(playlist_text), done](Impl::Done gate_done) {
                           ++impl->stats.operations;
                           impl->ObserveText(text, [impl, done, gate_done](Status s) {
                             impl->Finish({}, [done, gate_done, s] {
                               done(s);
                               gate_done();
                             });
                           });
                         },
                         done, nullptr});
}

const ChannelState& Coordinator::state() const { return impl_->state; }
const CoordinatorStats& Coordinator::stats() const { return impl_->stats; }
const ChannelConfig& Coordinator::config() const { return impl_->config; }
Coordinator::Footprint Coordinator::footprint() const {
  return {impl_->records.size(), impl_->writers.size(), impl_->serialized_records.size()};
}

void LocalCoordinatorClient::Add(Coordinator* coordinator) { coordinators_.push_back(coordinator); }

void LocalCoordinatorClient::GetChannelState(std::string_view channel_id, StateCallback done) {
  for (Coordinator* c : coordinators_) {
    if (c->config().channel_id() == channel_id) return c->GetChannelState(std::move(done));
  }
  done(Status::NotFound("no coordinator for channel '" + std::string(channel_id) + "'"));
}

}  // namespace ssai
