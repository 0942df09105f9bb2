// Models of everything around the core, in virtual time: the KV (central store + POP caches),
// the origin, the decision service, the coordinator's durable storage, and the network + load
// model between POPs and the per-channel coordinators. Each implements one reference/ssai/env.h
// interface, so the real ssai::Coordinator and ssai::ManifestPath run on top unchanged.
// Each model draws from its own Rng stream (Rng::Stream), so models never shift each other's numbers.
#ifndef SSAI_SIMULATOR_MODELS_H_
#define SSAI_SIMULATOR_MODELS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "conformance/observations.h"
#include "reference/media/origin/capture.h"
#include "reference/media/ts/ts_packager.h"
#include "reference/media/origin/synthetic_origin.h"
#include "reference/ssai/builds.h"
#include "reference/ssai/coordinator.h"
#include "reference/ssai/env.h"
#include "simulator/kernel.h"
#include "simulator/metrics.h"
#include "simulator/random.h"
#include "simulator/scenario.h"

namespace ssai::sim {

// ---------------------------------------------------------------------------------------------
// KV: one central store, N POP locations.
//  - Put: rejected if expiration_ttl_s < 60 (kInvalidArgument) or within write_limit_per_key_s of
//    the key's last accepted write (kResourceExhausted); else committed at central after a write
//    latency; last write wins (commit order). Each POP's read-through sees the commit after its
//    own propagation delay (drawn per write and POP; a partitioned POP only after the partition).
//  - Get at a POP: a cached entry (value or miss) younger than cacheTtl answers (hot latency);
//    otherwise read-through (cold latency) and cache the answer for cacheTtl. Absolute expiry
//    always wins: an expired value reads as absent, cached or not.
//  - List at a POP: a snapshot per prefix, refreshed when older than list_staleness_s.
//  - Faults: outages fail every operation, latency spikes add latency, partitions fail
//    read-throughs and list refreshes at the POP (cached answers still served).
class KvCluster {
 public:
  struct PopStats {
    int64_t gets = 0, cache_hits = 0, negative_hits = 0, read_throughs = 0;
    int64_t lists = 0, list_refreshes = 0, errors = 0;
  };
  struct Stats {
    int64_t puts = 0, rejected_puts = 0, invalid_puts = 0, deletes = 0, failed_writes = 0;
    int64_t adbreak_puts = 0, adbreak_ttl_ok = 0;  // ttl == floor(duration) + 60
    Histogram put_ttl_s;
  };

  // Fault windows (spec.outages, ...) are seconds after `windows_t0`: the scenario's start, when
  // viewers arrive (after the warm-up), the clock breaks and origin faults use too.
  // Any Scheduler: the simulator's Simulation, or the conformance builtin target's (issue 18).
  KvCluster(Scheduler* sim, const KvSpec& spec, int pops, Rng rng, UnixMicros windows_t0);
  ~KvCluster();
  // POP i's view (a KvStore for that POP's ManifestPath); pop == -1: the coordinator's writer
  // (reads go to central, fresh).
  KvStore* Location(int pop);
  const PopStats& pop_stats(int pop) const { return pop_stats_[pop]; }
  const Stats& stats() const { return stats_; }

  // What one POP does differently from the spec (the conformance scenario gives each POP fixed
  // values: its propagation delay, its KV latency, whether it honours cacheTtl).
  struct PopSettings {
    std::optional<Distribution> propagation;   // instead of spec.propagation (kPerPop)
    std::optional<Distribution> read_latency;  // instead of spec.hot_read and spec.cold_read
    bool honour_cache_ttl = true;              // false: no POP cache, every read goes through
  };
  void SetPopSettings(int pop, PopSettings settings);
  // From now on, writes reach `pop` after `propagation` (the kv_propagation fault). A version
  // keeps the visibility time of the delay in force when it was written, so a change never hides
  // a version a POP already sees.
  void SetPropagation(int pop, Distribution propagation);

  // Every write attempt (Put) with its outcome, kept when record_puts is on (the conformance
  // target's obs.kv_puts; off in the simulator, whose runs write millions of times).
  struct PutRecord {
    UnixMicros time = 0;
    std::string key;
    std::string value;
    int64_t ttl_s = 0;
    Status status;
  };
  void set_record_puts(bool on) { record_puts_ = on; }
  const std::vector<PutRecord>& puts() const { return put_log_; }
  // The value `pop` would read through to now, bypassing its cache (pop -1: central); nullopt when
  // absent, deleted or expired. For probes (TTL expiry) and tests: counts nothing.
  std::optional<std::string> PeekVisible(int pop, std::string_view key) const;

  // A POP's cached copy of a key (Get fills it; entries are overwritten, never erased).
  struct CacheEntry {
    bool present = false;
    std::string value;
    UnixMicros expires_at = 0;  // absolute expiry of the cached value
    UnixMicros cached_until = 0;
    UnixMicros filled_at = 0;
    uint64_t fill = 0;  // numbers the read-throughs that filled an entry (CachedFill)
  };
  // For answers reused without a read (run.cc "answer reuse", simulator/README.md):
  // `pop`'s cache entry for `key`, null when the key was never cached there. The pointer stays
  // valid for the cluster's life (entries are never erased), so the caller keeps it instead of
  // looking the key up per reused read (the string-keyed lookup was ~6 % of a perf-100ch run).
  const CacheEntry* CachedEntry(int pop, std::string_view key) const;
  // The fill number of cache entry `e` (CachedEntry) when it was cached no later than
  // `filled_by` and still answers a read at `read_at` (no outage now, the cache entry and a
  // present value's absolute expiry both later); 0 when not (or `e` null).
  uint64_t CachedFill(const CacheEntry* e, UnixMicros filled_by, UnixMicros read_at) const;
  // What a Get answered from that cache would draw and count (hot latency with any spike).
  DurationMicros HotReadLatency(int pop) { return Latency(spec_.hot_read, pop); }
  // A read at `read_at` by `pop` answered by its entry `e` still holding the fill numbered `fill`
  // (CachedFill's conditions): counted as a Get answered from the POP cache, true; false (nothing
  // counted) when it would not be.
  bool ReadCachedAgain(int pop, const CacheEntry* e, uint64_t fill, UnixMicros filled_by, UnixMicros read_at);

 private:
  class View;
  struct Version {
    UnixMicros committed_at = 0;
    UnixMicros expires_at = 0;
    bool deleted = false;
    std::string value;
    std::vector<UnixMicros> visible_at;  // per POP
  };
  struct Key {
    std::vector<Version> versions;  // commit order; only the last few are kept
    UnixMicros last_write = -1;
  };
  struct ListSnapshot {
    std::vector<std::string> keys;
    UnixMicros fetched_at = 0;
  };

  DurationMicros Latency(const Distribution& d, int pop);
  bool Down() const;
  bool Partitioned(int pop) const;
  DurationMicros PartitionEnd(int pop, UnixMicros t) const;
  // The value `pop` reads through to at `now` (pop -1: central, fresh); nullptr when absent,
  // deleted or expired (KvVisibleVersion, reference/ssai/kv_limits.h: the rule SharedKv shares).
  const Version* Visible(const Key& k, int pop, UnixMicros now) const;

  void Get(int pop, std::string_view key, const KvStore::GetOptions& options, KvStore::GetCallback done);
  void Put(int pop, std::string_view key, std::string value, int64_t ttl_s, KvStore::DoneCallback done);
  void List(int pop, std::string_view prefix, KvStore::ListCallback done);
  void Delete(int pop, std::string_view key, KvStore::DoneCallback done);
  void Write(std::string_view key, Version v, KvStore::DoneCallback done);
  void RecordPut(std::string_view key, const std::string& value, int64_t ttl_s, const Status& status);
  const Distribution& PropagationTo(int pop) const {
    return pop_settings_.empty() || !pop_settings_[static_cast<size_t>(pop)].propagation
               ? spec_.propagation
               : *pop_settings_[static_cast<size_t>(pop)].propagation;
  }

  Scheduler* sim_;  // a sim::Simulation in the simulator
  KvSpec spec_;
  int pops_;
  Rng rng_;
  UnixMicros t0_;
  UnixMicros fifo_visible_at_ = 0;  // kSharedFifo: when the newest write became visible
  uint64_t fills_ = 0;
  std::map<std::string, Key, std::less<>> central_;
  // Looked up by string_view without building a key (C++20 heterogeneous lookup).
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view k) const { return std::hash<std::string_view>{}(k); }
  };
  // Per POP. Hashed, not ordered: nothing iterates it, and a Get's lookup among the POP's keys
  // (chstate:... of every channel) compared their long common prefix at each tree level (~1 % of
  // a perf-100ch run). Entries are never erased, and rehashing keeps references valid, so
  // CachedEntry's pointers stay valid.
  std::vector<std::unordered_map<std::string, CacheEntry, KeyHash, std::equal_to<>>> cache_;
  std::vector<std::map<std::string, ListSnapshot, std::less<>>> lists_;
  std::vector<std::unique_ptr<View>> views_;  // [0] = writer (-1), [i+1] = POP i
  std::vector<PopStats> pop_stats_;
  Stats stats_;
  std::vector<PopSettings> pop_settings_;  // empty: every POP as the spec says
  bool record_puts_ = false;
  std::vector<PutRecord> put_log_;
};

// After a run whose viewers stopped at `viewers_end` and whose writers (coordinators) are
// stopped: lets pending writes land, runs `sim` to every written key's last expiry (in rounds: a
// write may land meanwhile) and asks every location for each key (central, then the POPs,
// named by `pop_names` in index order): the conformance kv expiry checks' probes, for every
// run on this model (the conformance builtin target). Needs set_record_puts(true).
std::vector<conformance::KvExpiryProbe> ProbeKvExpiry(Simulation* sim, const KvCluster& kv, UnixMicros viewers_end,
                                                      const std::vector<std::string>& pop_names);

// The rest of what an observed run on these models records at its end (the conformance builtin
// target): the KV write log as the record's puts, and the run's `stats` (conformance
// report.json): fetches and unanswered ones, the coordinator's counters and restarts, origin
// fetches, decision requests, each POP's KV gets and lists and its coordinator calls
// (`coordinator_calls_per_pop`, in POP order).
void RecordRunEnd(const KvCluster& kv, const std::vector<std::string>& pop_names, const CoordinatorStats& coordinator,
                  int64_t restarts, int64_t origin_fetches, const std::vector<int64_t>& coordinator_calls_per_pop,
                  conformance::Observations* obs);

// ---------------------------------------------------------------------------------------------
// A capture directory loaded for replay (scenario origin.capture): the index and every snapshot
// body it names. `version` numbers the distinct files (Response::version: one file, one body).
struct SimCapture {
  std::string dir;
  origin::CaptureReplay replay{origin::Capture{}};
  std::map<std::string, std::string, std::less<>> bodies;   // file name -> text
  std::map<std::string, uint64_t, std::less<>> versions;    // file name -> 1, 2, ...
};
// Reads DIR/index.jsonl and the files it names (the simulator's only file reads, at set-up).
Result<std::shared_ptr<const SimCapture>> LoadSimCapture(const std::string& dir);

// ---------------------------------------------------------------------------------------------
// Origin: the synthetic live origin per channel (reference/media/origin), with fetch latency,
// stalls (the playlist freezes) and 404 windows; ad media playlists (VOD) under http://ads/.
// URLs: http://origin/{channel_index}/{rendition}.m3u8 (demuxed: also {audio or subtitle id}.m3u8),
// http://ads/{ad_id}/{bitrate}.m3u8 and http://ads/{ad_id}/audio_{lang}.m3u8 (fMP4 with an
// EXT-X-MAP when origin.container is "cmaf").
class SimOrigin : public OriginClient {
 public:
  SimOrigin(Simulation* sim, const OriginSpec& spec, std::vector<origin::SyntheticStreamSpec> channels,
            UnixMicros t0, Rng rng);
  void Fetch(std::string_view url, Callback done) override;
  static std::string PlaylistUrl(int channel, std::string_view rendition);
  // An ad's media playlist at `bps` as this origin serves it (any decision service's answers point here).
  static std::string AdPlaylistUrl(std::string_view ad, int64_t bps) {
    return "http://ads/" + std::string(ad) + "/" + std::to_string(bps) + ".m3u8";
  }
  int64_t fetches() const { return fetches_; }
  // For answers reused without a fetch (run.cc "answer reuse"): the fetch's latency draw and
  // its count, as Fetch would make them.
  DurationMicros DrawFetchLatency() { return spec_.fetch_latency.SampleUs(rng_); }
  void CountFetch() { ++fetches_; }
  // The next Fetch takes this latency instead of a draw (a reuse that was refused after drawing
  // it: the real request then arrives when the check assumed).
  void UseForNextFetch(DurationMicros latency) { next_latency_ = latency; }
  // The playlist an origin URL serves at `at` (its fault windows applied), computed afresh: what
  // a fetch made then returns, without its latency, count or cache (the checks' origin baseline,
  // RunOptions::observations). "" for an ad playlist, an unknown URL, a 404 window or a capture
  // without a response.
  std::string PlaylistAt(std::string_view url, UnixMicros at) const;
  void set_ad_duration_s(double s) { ad_duration_s_ = s; }
  // A listed pod (decision.ads): each ad's own duration and creative segment duration (0: the
  // channel's), by ad id; other ads take ad_duration_s.
  void set_listed_ads(const std::vector<world::AdSpec>& ads) {
    for (const world::AdSpec& a : ads) listed_ads_[a.id] = {a.duration_s, a.segment_duration_s};
  }
  // Replay `capture` instead: every channel's rendition R is the capture's path "/R.m3u8", served
  // as the snapshot current at capture offset (now - start) ms (the last one after the capture
  // ends: the stream freezes). Fetch latency still applies; stalls and not_found do not.
  void UseCapture(std::shared_ptr<const SimCapture> capture, UnixMicros start) {
    capture_ = std::move(capture);
    capture_start_ = start;
  }
  // Or the live TS packager (origin.ts): every channel's every rendition serves its playlist at
  // now, segment 0 at `pdt_start`. Fetch latency, stalls and not_found apply.
  void UseTs(std::shared_ptr<const ts::TsPackager> packager, UnixMicros pdt_start) {
    ts_ = std::move(packager);
    ts_start_ = pdt_start;
  }

 private:
  struct Cached {
    int64_t msn = -2;
    std::string body;
    uint64_t version = 0;  // Response::version: a new one whenever body changes
  };
  Simulation* sim_;
  OriginSpec spec_;
  std::vector<origin::SyntheticStreamSpec> channels_;
  UnixMicros t0_;
  Rng rng_;
  // -> (channel, r): r < renditions.size() a variant, then the audio, then the subtitle renditions.
  std::map<std::string, std::pair<int, int>, std::less<>> urls_;
  std::vector<std::vector<Cached>> cache_;  // [channel][r]
  std::shared_ptr<const SimCapture> capture_;
  UnixMicros capture_start_ = 0;
  std::shared_ptr<const ts::TsPackager> ts_;
  UnixMicros ts_start_ = 0;
  int64_t fetches_ = 0;
  DurationMicros next_latency_ = -1;  // UseForNextFetch
  uint64_t versions_ = 0;  // last Response::version handed out (unique over all URLs)
  double ad_duration_s_ = 15;
  std::map<std::string, std::pair<double, double>, std::less<>> listed_ads_;  // id -> (duration_s, segment_s)
};

// Decision service: latency, failure rate, a pod of N ads with one variant per rendition bitrate.
class SimDecision : public DecisionClient {
 public:
  SimDecision(Scheduler* sim, const DecisionSpec& spec, std::vector<int64_t> bitrates, Rng rng);
  void Decide(const Request& request, Callback done) override;
  int64_t requests() const { return requests_; }
  int64_t failures() const { return failures_; }
  // The ad playlists' segment duration (SimOrigin): the creatives' when pods_of_creatives.
  void set_segment_duration_s(double s) { segment_duration_s_ = s; }
  // From now on the ad server answers, fails every decision or never answers (the scenario's
  // "decision" fault; decision.behaviour is the one it starts with).
  void set_behaviour(world::DecisionBehaviour behaviour) { spec_.behaviour = behaviour; }
  // Demuxed channels (origin.audio): each ad brings its audio in these languages, default first
  // (AdItem::audio, http://ads/{ad}/audio_{lang}.m3u8).
  void set_audio_languages(std::vector<std::string> languages) { audio_languages_ = std::move(languages); }

 private:
  Scheduler* sim_;
  DecisionSpec spec_;
  std::vector<int64_t> bitrates_;
  std::vector<std::string> audio_languages_;
  Rng rng_;
  int64_t requests_ = 0, failures_ = 0;
  double segment_duration_s_ = 2;
};

// The coordinator's strongly consistent storage (a Durable Object's), outliving coordinator
// restarts. Latency per call from storage_latency.
class SimDurableStore : public DurableStore {
 public:
  SimDurableStore(Scheduler* sim, Distribution latency, Rng rng)
      : sim_(sim), latency_(std::move(latency)), rng_(std::move(rng)) {}
  void Put(std::string_view key, std::string value, DoneCallback done) override;
  void Delete(std::string_view key, DoneCallback done) override;
  void Scan(std::string_view prefix,
            std::function<void(Result<std::vector<std::pair<std::string, std::string>>>)> done) override;

 private:
  Scheduler* sim_;
  Distribution latency_;
  Rng rng_;
  std::map<std::string, std::string, std::less<>> data_;
};

// ---------------------------------------------------------------------------------------------
// The coordinators (one real ssai::Coordinator per channel) behind a network and load model.
//  - Each POP reaches them over its own CoordinatorClient (Link(pop)), paying that POP's RTT.
//  - Load: a fluid single-queue model per channel. Weighted calls (a cohort's viewers) are
//    reported with AddLoad after each request; the arrival rate over the last second gives the
//    utilization rho = rate * mean service; a call waits the M/D/1 mean queueing time
//    rho/(2(1-rho)) * service (Pollaczek-Khinchine) plus its service time. Above the soft limit
//    (1000 req/s) a call is rejected with kResourceExhausted with probability 1 - limit/rate.
//  - Crashes: in a crash window calls fail with kUnavailable and in-flight calls fail; at the
//    window's end a new Coordinator starts on the same durable store (recovering its breaks).
class CoordinatorFleet {
 public:
  struct ChannelLoad {
    int64_t bucket = -1;        // current 1 s bucket index
    double current = 0, previous = 0;  // weighted calls in the current / previous bucket
    double peak_rate = 0;
    double peak_queue = 0;      // mean queue length at the peak utilization (M/D/1 Lq)
    double rejected = 0;        // weighted calls rejected as overloaded
    double unavailable = 0;     // weighted calls failed by a crash
  };

  CoordinatorFleet(Simulation* sim, const Scenario& scenario, const BuildSpec& build,
                   std::vector<ChannelConfig> channels, CoordinatorEnv env, Rng rng);
  ~CoordinatorFleet();
  // Starts every coordinator now; crash windows are seconds after `t0` (as KvCluster's windows).
  void Start(UnixMicros t0);
  CoordinatorClient* Link(int pop);
  // POST /cue from the operator's system to `channel`'s coordinator (no edge network in between;
  // not counted in the load model: a few per break). Fails kUnavailable while the coordinator is
  // down, or when it crashes before answering (the cue was not acknowledged).
  void Cue(int channel, const CueRequest& request, std::function<void(Result<CueResult>)> done);
  // The "coordinator_restart" fault (world/faults.h): every channel's coordinator is destroyed
  // now (calls and cues in flight fail, as in a crash) and a new one starts at once on the same
  // durable store, recovering its breaks. Counted in restarts().
  void RestartNow();
  // The "coordinator_rtt" fault: from now on every call from POP `pop` takes this round trip,
  // whatever the channel's coordinator location.
  void SetRtt(int pop, Distribution rtt);
  // Reports weighted coordinator calls that just happened at `channel` (for the load model).
  void AddLoad(int channel, double weighted_calls);
  const ChannelLoad& load(int channel) const { return loads_[channel]; }
  // Coordinator stats summed over channels (and restarts).
  CoordinatorStats TotalStats() const;
  int64_t restarts() const { return restarts_; }
  // The run is over: every coordinator stops (no more heartbeats or KV writes), as before the
  // KV expiry probes (ProbeKvExpiry).
  void StopAll() {
    for (const std::unique_ptr<Coordinator>& c : live_) {
      if (c) c->Stop();
    }
  }

 private:
  class LinkImpl;
  void Call(int pop, std::string_view channel_id, CoordinatorClient::StateCallback done);
  double RateNow(int channel);
  void Crash(int channel);
  void Restart(int channel);
  bool IsDown(int channel) const { return down_[channel]; }

  Simulation* sim_;
  const Scenario& scenario_;
  BuildSpec build_;
  std::vector<ChannelConfig> channels_;
  CoordinatorEnv env_;
  Rng rng_;
  double service_mean_s_;
  std::map<std::string, int, std::less<>> by_id_;
  std::vector<std::unique_ptr<Coordinator>> live_;
  std::vector<CoordinatorStats> retired_stats_;
  std::vector<bool> down_;
  std::vector<std::map<uint64_t, CoordinatorClient::StateCallback>> in_flight_;
  std::vector<std::map<uint64_t, std::function<void(Result<CueResult>)>>> cues_in_flight_;
  uint64_t next_call_ = 0;
  std::vector<ChannelLoad> loads_;
  std::vector<std::unique_ptr<LinkImpl>> links_;
  std::vector<std::optional<Distribution>> rtt_override_;  // per POP (SetRtt)
  int64_t restarts_ = 0;
};

}  // namespace ssai::sim

#endif  // SSAI_SIMULATOR_MODELS_H_
