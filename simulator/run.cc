#include "simulator/run.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>

#include "conformance/player_choice.h"
#include "conformance/sgai_assets.h"
#include "reference/media/cues/normalizer.h"
#include "reference/media/hls/lint.h"
#include "reference/media/hls/playlist.h"
#include "reference/media/ts/ts_packager.h"
#include "reference/io/files.h"
#include "reference/base/strings.h"
#include "reference/ssai/adbreak_state.h"
#include "reference/ssai/manifest_path.h"
#include "reference/ssai/origin_cache.h"
#include "reference/ssai/splicer.h"
#include "simulator/kernel.h"
#include "simulator/metrics.h"
#include "simulator/models.h"
#include "world/ad_server.h"
#include "world/faults.h"
#include "world/ground_truth.h"

namespace ssai::sim {

namespace {

using json = nlohmann::json;

// A 64-bit hash of a response body, to tell a changed playlist from an unchanged one; only
// equality is used (no hash value reaches the report). Four independent lanes of eight bytes
// each per 32-byte step: one lane's serial multiply chain was ~3 % of a run (every changed
// answer is hashed), FNV-1a's byte-serial chain before it ~5 %.
uint64_t BodyHash(const std::string& s) {
  constexpr uint64_t kMul = 0x9e3779b97f4a7c15ULL;
  uint64_t h[4] = {0xcbf29ce484222325ULL ^ s.size(), 0x84222325cbf29ce4ULL, 0x243f6a8885a308d3ULL,
                   0x13198a2e03707344ULL};
  const char* p = s.data();
  size_t i = 0;
  for (; i + 32 <= s.size(); i += 32) {
    for (int l = 0; l < 4; ++l) {
      uint64_t w;
      std::memcpy(&w, p + i + 8 * l, 8);
      h[l] = (h[l] ^ w) * kMul;
      h[l] ^= h[l] >> 32;
    }
  }
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h[0] = (h[0] ^ w) * kMul;
    h[0] ^= h[0] >> 32;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p + i, s.size() - i);
  uint64_t x = (h[0] ^ tail) * kMul;
  x = (x ^ (x >> 29) ^ h[1]) * kMul;
  x = (x ^ (x >> 29) ^ h[2]) * kMul;
  x = (x ^ (x >> 29) ^ h[3]) * kMul;
  return x ^ (x >> 29);
}

// The newest segment of a playlist is the slate (the channel's, http://ads/slate...).
bool NewestIsSlate(std::string_view body) {
  while (!body.empty() && body.back() == '\n') body.remove_suffix(1);
  const size_t eol = body.rfind('\n');
  return body.substr(eol == std::string_view::npos ? 0 : eol + 1).starts_with("http://ads/slate");
}

// Independent PRNG streams, one per model (Rng::Stream index).
enum StreamId { kKvStream = 0, kOriginStream, kDecisionStream, kDurableStream, kNetworkStream, kViewerStream };

struct Cohort {
  int32_t channel;
  int16_t pop;
  int8_t rendition;
  bool sgai;
  int8_t audio;  // demuxed: the audio rendition it loads with every variant reload (-1: none)
  int32_t group;  // its channel x POP x rendition x mode group (World::GroupAnswer)
  int64_t viewers;
  double target;          // steady-state viewers of this cohort
  UnixMicros last_update;
  uint64_t last_hash;
};

// Server-side tracking beacons (issue 15): the edges' real BeaconTracker decides (ManifestPath
// fires for each SSAI cohort's session "c{index}"); each beacon counts the cohort's viewers at
// that moment, per channel and break and per event (kBeaconEvents). A cohort is one session whose
// audience changes: viewers who join it mid-creative are counted from the next event on, those
// who leave stop counting, so per-event counts are viewer-weighted estimates, not per-viewer
// exact (README.md "Beacons").
//
// Beside what was fired, what the viewers were delivered says what should have been (README.md
// "Beacons": expected, duplicates, for unserved ads): each SSAI cohort's playlists are read as a
// player reads them (a creative's segments `http://ads/{ad}/{bps}/seg_{i}.ts` and their EXTINF), and
// a creative's events fall due by the rule the server documents (beacons.h) from the wire alone,
// not from the tracker's state.
class SimBeacons : public BeaconSink {
 public:
  explicit SimBeacons(const std::vector<Cohort>* cohorts) : cohorts_(cohorts) {}
  void Fire(Beacon b) override {
    const std::optional<int64_t> i = b.session.size() > 1 ? ParseInt64(std::string_view(b.session).substr(1)) : std::nullopt;
    if (!i || *i < 0 || static_cast<size_t>(*i) >= cohorts_->size()) {
      ++unattributed;
      return;
    }
    const Cohort& c = (*cohorts_)[static_cast<size_t>(*i)];
    if (on_fire) on_fire(static_cast<size_t>(*i), b);
    const auto e = std::find(kBeaconEvents.begin(), kBeaconEvents.end(), b.event) - kBeaconEvents.begin();
    if (static_cast<size_t>(e) >= kBeaconEvents.size()) {
      ++unattributed;
      return;
    }
    Counts& k = by_break[{c.channel, b.event_id}];
    k.viewers[static_cast<size_t>(e)] += c.viewers;
    k.cohort_beacons[static_cast<size_t>(e)] += 1;
    CreativeKey key{static_cast<size_t>(*i), b.event_id, b.ad_id};
    uint8_t& mask = fired_[key];
    if (mask & (1u << e)) k.cohort_duplicates[static_cast<size_t>(e)] += 1;
    mask |= static_cast<uint8_t>(1u << e);
  }

  // An SSAI cohort was delivered `body` (its newest slot in break `event_id`): its creatives'
  // segments make their events due, in order (impression and start with segment 0, a quartile
  // with the segment holding it, complete with the last unless the break's end cut it short;
  // a missing event stops the ones after it). `ad_duration_s` and `segment_s`: the creatives'.
  void Delivered(size_t cohort, std::string_view event_id, std::string_view body, double ad_duration_s,
                 double segment_s) {
    const Cohort& c = (*cohorts_)[cohort];
    const int segments = std::max(1, static_cast<int>(std::ceil(ad_duration_s / segment_s - 1e-9)));
    double extinf_s = -1;
    size_t pos = 0;
    while (pos < body.size()) {
      size_t eol = body.find('\n', pos);
      if (eol == std::string_view::npos) eol = body.size();
      const std::string_view line = body.substr(pos, eol - pos);
      pos = eol + 1;
      if (line.starts_with("#EXTINF:")) {
        extinf_s = std::strtod(std::string(line.substr(8, line.find(',') - 8)).c_str(), nullptr);
        continue;
      }
      // http://ads/{ad}/{bps}/seg_{i}.ts (world::AdTrack)
      std::string_view ad_id;
      const int64_t index = world::AdSegmentIndex(line, "http://ads/", &ad_id);
      if (index < 0 || index >= segments) continue;
      CreativeView& v = delivered_[CreativeKey{cohort, std::string(event_id), std::string(ad_id)}];
      if (v.segments.empty()) v.segments.assign(static_cast<size_t>(segments), 0);
      // The last segment is whole when its EXTINF is the creative's remainder (1 ms rounding).
      const double whole_s = std::min(segment_s, ad_duration_s - static_cast<double>(index) * segment_s);
      v.segments[static_cast<size_t>(index)] = extinf_s + 1e-3 >= whole_s ? 1 : 2;  // 2 = cut
      // Advance through the events this delivery makes due.
      Counts& k = by_break[{c.channel, std::string(event_id)}];
      while (v.next < kBeaconEvents.size()) {
        const size_t e = v.next;
        int need = 0;  // segment index the event needs
        if (e >= 2 && e <= 4) {
          need = static_cast<int>(std::floor(ad_duration_s * 0.25 * static_cast<double>(e - 1) / segment_s + 1e-9));
        } else if (e == 5) {
          need = segments - 1;
        }
        const uint8_t got = v.segments[static_cast<size_t>(need)];
        if (got == 0 || (e == 5 && got == 2)) break;
        k.expected[e] += c.viewers;
        k.cohort_expected[e] += 1;
        ++v.next;
      }
    }
  }

  // Fired beacons of creatives the session was never delivered a segment of, per (channel, break).
  std::map<std::pair<int32_t, std::string>, int64_t> UnservedByBreak() const {
    std::map<std::pair<int32_t, std::string>, int64_t> out;
    for (const auto& [key, mask] : fired_) {
      if (!delivered_.contains(key)) out[{(*cohorts_)[key.cohort].channel, key.event_id}] += std::popcount(mask);
    }
    return out;
  }

  struct Counts {
    std::array<int64_t, kBeaconEvents.size()> viewers{};         // viewer-weighted
    std::array<int64_t, kBeaconEvents.size()> cohort_beacons{};  // beacons the edges decided
    std::array<int64_t, kBeaconEvents.size()> expected{};        // viewer-weighted, from the wire
    std::array<int64_t, kBeaconEvents.size()> cohort_expected{};
    std::array<int64_t, kBeaconEvents.size()> cohort_duplicates{};  // fired again for a session
  };
  std::map<std::pair<int32_t, std::string>, Counts> by_break;  // (channel, event id)
  int64_t unattributed = 0;
  // Called with each attributed beacon and its session's cohort (an observed run records them).
  std::function<void(size_t cohort, const Beacon& b)> on_fire;

 private:
  struct CreativeKey {
    size_t cohort;
    std::string event_id, ad_id;
    auto operator<=>(const CreativeKey&) const = default;
  };
  struct CreativeView {
    std::vector<uint8_t> segments;  // per segment: 0 not delivered, 1 whole, 2 cut
    size_t next = 0;                // the next event (kBeaconEvents) not yet due
  };
  const std::vector<Cohort>* cohorts_;
  std::map<CreativeKey, uint8_t> fired_;  // bit per event fired
  std::map<CreativeKey, CreativeView> delivered_;
};

// A break of the ground truth (world/ground_truth.h): what viewers should see. An API break's
// cue_time is when POST /cue was sent until the acknowledgement gives its startTime.
using world::TruthBreak;

// The decision service as the coordinator sees it: every request of the judged channel recorded
// when a run is observed (conformance::Observations::decision_requests), then answered by the model.
class ObservedDecision : public DecisionClient {
 public:
  ObservedDecision(Scheduler* sched, DecisionClient* inner) : sched_(sched), inner_(inner) {}
  void Decide(const Request& request, Callback done) override {
    if (obs != nullptr && request.channel_id == channel_id) {
      obs->decision_requests.push_back({sched_->Now(), request.event_id, request.duration_s});
    }
    inner_->Decide(request, std::move(done));
  }
  conformance::Observations* obs = nullptr;
  std::string channel_id;  // the judged channel's (channel 0: the checks judge one channel)

 private:
  Scheduler* sched_;
  DecisionClient* inner_;
};

struct PopMetrics {
  Histogram latency_us;
  double kv_hits = 0, kv_lookups = 0;
  Histogram ad_lag_us;         // the first cohort to see each break (per channel x POP)
  Histogram viewer_ad_lag_us;  // every viewer's first sight of each break (viewer-weighted)
  double coordinator_calls = 0;  // as coordinator_calls_, this POP's edge
  TimeSeries viewer_seconds_series;  // reported when a POP has its own audience trace
};

class World : public Simulation::IndexedHandler, private world::FaultSink {
 public:
  World(const Scenario& sc, const BuildSpec& build, uint64_t seed, const CaptureTimeline* capture = nullptr,
        const TsTimeline* ts = nullptr)
      : sim_(sc.start_time - SecondsToMicros(sc.warmup_s)), sc_(sc), build_(build), seed_(seed), t0_(sc.start_time),
        end_(sc.start_time + SecondsToMicros(sc.duration_s)),
        viewer_rng_(Rng::Stream(seed, kViewerStream)), capture_(capture), ts_(ts) {}

  // Before Setup: record what the listed players are served (RunOptions::observations), the
  // harness's decision service and operator calls if it brings them.
  void set_options(const RunOptions& options) {
    obs_ = options.observations;
    decision_service_ = options.decision_service;
    operator_calls_ = options.operator_calls;
    check_sample_ = options.check_sample;
  }
  Status Setup();
  json Run(const RunOptions& options);

 private:
  void Reload(size_t i);
  // The viewer-seconds a cohort watched since its last update, counted now (the run's, its
  // POP's and their series).
  void CountWatched(const Cohort& c, UnixMicros now) {
    const double viewer_s = static_cast<double>(c.viewers) * MicrosToSeconds(now - c.last_update);
    viewer_seconds_ += viewer_s;
    viewer_seconds_series_.Add(now - t0_, viewer_s);
    pops_[static_cast<size_t>(c.pop)].viewer_seconds_series.Add(now - t0_, viewer_s);
  }
  // Cohort reloads are the kernel's indexed events (kernel.h IndexedHandler): most of a run's
  // events, and the cohort is a cache miss at 64 k cohorts, so the next one is fetched while
  // this one runs.
  void ScheduleReload(size_t i, UnixMicros at) { sim_.RunIndexedAt(at, static_cast<uint32_t>(i)); }
  void Run(uint32_t i) override { Reload(i); }
  void Warm(uint32_t i) override {
    __builtin_prefetch(&cohorts_[i]);
    // Its group's answer (TryReuse, Record): cohort i is in group i / cohorts_per_group_ (Setup
    // checks it), the lines up to the response fields Record reads.
    if (cohorts_per_group_ > 0 && reuse_) {
      const char* g = reinterpret_cast<const char*>(&groups_[i / cohorts_per_group_]);
      for (size_t at = 0; at < offsetof(GroupAnswer, response) + kGroupResponseBytesRead; at += 64) __builtin_prefetch(g + at);
    }
  }
  // Answer reuse (README.md "Answer reuse"): a group's last answer from the edge, kept while it
  // is a pure function of inputs that have not changed, so a cohort of the group reloading meanwhile
  // is answered without running the edge's path or the origin and KV models (their latency
  // draws and counts are still made).
  struct GroupAnswer {
    bool valid = false;
    bool has_body = false;  // `response` is the answer for (generation, origin_msn)
    uint64_t generation = 0;  // the edge's channel memo (ManifestPath::ChannelView)
    int64_t origin_msn = 0;   // the origin's live edge when the answer's fetch was made
    uint64_t kv_fill = 0;     // the POP's cached KV entry it read (KvCluster::CachedFill)
    const KvCluster::CacheEntry* kv_entry = nullptr;  // that entry (KvCluster::CachedEntry)
    uint64_t hash = 0;                  // BodyHash(response.body)
    // world::BreakCovering of the newest MSN, while the truth is at truth_version_ (an API cue's
    // acknowledgement changes it): a channel's scan over its breaks grew with the hour's breaks.
    mutable int covering = -1;
    mutable uint64_t covering_truth_version = 0;  // 0: not known
    ManifestResponse response;
  };
  // How far into GroupAnswer::response Record reads (up to coordinator_background_calls).
  static constexpr size_t kGroupResponseBytesRead = offsetof(ManifestResponse, served_stale_origin);
  bool TryReuse(size_t i, UnixMicros now, int64_t weight);
  void CountCalls(const Cohort& c, double calls);
  // Keeps a variant's answer from the edge as its group's when it is reusable (a 200 from the KV
  // document, pure: ManifestResponse::reuse_generation; the POP's cache entry it read known);
  // returns it, else null.
  const GroupAnswer* Remember(const Cohort& c, UnixMicros started, UnixMicros now, const ManifestResponse& r);
  // 1 - e^(-dt/session): a cohort's reload intervals take a handful of values (the target
  // duration, half of it), so the last few are kept (the same bits as computing it again).
  double LeaveProbability(DurationMicros dt_us, double dt_s, double session_s) {
    for (const LeaveMemo& m : leave_memo_) {
      if (m.dt_us == dt_us) return m.p;
    }
    const double p = 1 - PortableExp(-dt_s / session_s);
    leave_memo_[leave_memo_next_++ % leave_memo_.size()] = {dt_us, p};
    return p;
  }
  // The audience curve of a POP's viewers: its own trace, else the scenario's.
  const std::vector<TracePoint>& TraceOf(int pop) const {
    const std::vector<TracePoint>& own = sc_.pops[static_cast<size_t>(pop)].trace;
    return own.empty() ? sc_.viewers.trace : own;
  }
  // What a request asked for (README.md "Demuxed presentations"): the variant, whose response
  // drives the reloads and the ground truth, or an alternate loaded with it.
  enum Kind { kVariant = 0, kAudio, kSubtitles, kKinds };
  // `now`: when the response arrived (a reused answer is recorded when its cohort asks);
  // `reused`: the group answer it is (its hash known).
  void Record(size_t i, int64_t weight, UnixMicros started, UnixMicros now, const ManifestResponse& r,
              Kind kind = kVariant, const GroupAnswer* reused = nullptr);
  void Lint(const std::string& body);
  void SendCue(int channel, size_t b);
  // The scenario's listed cue API calls (api_cues), the same on every channel.
  void SendListedCue(int channel, size_t i);
  // world::FaultSink: the scenario's faults (world/faults.h schedules them) on the models.
  // (Not after the run: FinishObservations runs on to the keys' expiry with the coordinators stopped.)
  void RestartCoordinator() override {
    if (sim_.Now() < end_) fleet_->RestartNow();
  }
  void SetDecisionBehaviour(world::DecisionBehaviour behaviour) override { decision_->set_behaviour(behaviour); }
  void SetKvPropagation(int pop, double delay_s) override { kv_->SetPropagation(pop, Distribution::Fixed(delay_s * 1000)); }
  void SetCoordinatorRtt(int pop, double rtt_ms) override { fleet_->SetRtt(pop, Distribution::Fixed(rtt_ms)); }
  json Result_() const;
  json ByKind() const {
    json out = json::object();
    static constexpr const char* kNames[kKinds] = {"variant", "audio", "subtitles"};
    for (int k = 0; k < kKinds; ++k) {
      out[kNames[k]] = {{"cohort_requests", requests_by_kind_[static_cast<size_t>(k)]},
                        {"viewer_requests", viewer_requests_by_kind_[static_cast<size_t>(k)]},
                        {"kv_viewer_reads", kv_reads_by_kind_[static_cast<size_t>(k)]}};
    }
    return out;
  }

  Simulation sim_;  // first: destroyed last
  const Scenario& sc_;
  BuildSpec build_;
  uint64_t seed_;
  UnixMicros t0_, end_;
  Rng viewer_rng_;
  struct LeaveMemo {
    DurationMicros dt_us = -1;
    double p = 0;
  };
  std::array<LeaveMemo, 4> leave_memo_{};
  size_t leave_memo_next_ = 0;
  const CaptureTimeline* capture_;  // null: synthetic origin
  const TsTimeline* ts_;            // null: not a TS origin
  std::vector<origin::SyntheticStreamSpec> specs_;
  std::vector<DurationMicros> target_us_;  // per channel: its target duration (RFC 8216 §6.3.4 reloads)
  std::vector<ChannelConfig> channels_;
  std::vector<std::vector<TruthBreak>> breaks_;  // per channel, in cue order
  // Per channel: for each of the scenario's api_cues, the index of its break in breaks_ (-1: a
  // stop, or a repeat the scenario expects to be a duplicate: no break of its own).
  std::vector<std::vector<int>> listed_cue_break_;
  std::unique_ptr<KvCluster> kv_;
  std::unique_ptr<SimOrigin> origin_;
  std::unique_ptr<SimDecision> decision_;
  std::unique_ptr<ObservedDecision> observed_decision_;
  std::function<DecisionClient*(Scheduler*)> decision_service_;  // RunOptions::decision_service
  std::function<void(const RunOptions::CueApi&)> operator_calls_;  // RunOptions::operator_calls
  std::unique_ptr<SimDurableStore> durable_;
  std::unique_ptr<CoordinatorFleet> fleet_;
  // One memo for every POP's edge: a playlist version is parsed, and a splice computed, once for
  // all POPs that see it (playlist_memo.h). Before edges_: they point at it.
  PlaylistMemo memo_;
  std::vector<Cohort> cohorts_;
  // Listed viewers (scenario "viewers" as an array): players that load all their renditions
  // together every target duration from their join to their leave, as every harness's listed
  // viewer does (the conformance targets' too), and the multivariant playlist when they join; one
  // cohort of one viewer per rendition they load carries the metrics.
  struct ListedPlayer {
    int channel = 0;
    std::string name;  // "{pop}/v{n}": the conformance targets' viewer names (channel 0)
    std::vector<size_t> cohorts;  // one per variant, in the scenario's rendition order
    UnixMicros leave = 0;
    int64_t reloads = 0;  // loads so far (the multivariant playlist at join is load 0)
    std::string subtitle_file;  // the subtitle rendition it chose ("" none)
  };
  std::vector<ListedPlayer> players_;
  std::vector<int32_t> player_of_cohort_;  // listed: the player each cohort belongs to
  // An observed population run (RunOptions::check_sample): the sampled cohorts of channel 0, each
  // one viewer "{pop}/cohort-{i}" (its one cohort; `reloads`: its requests so far).
  std::vector<ListedPlayer> sampled_;
  std::vector<int32_t> sample_of_cohort_;  // cohort -> index in sampled_ (-1: not sampled); empty: none
  int check_sample_ = 1;
  ListedPlayer* SampledCohort(size_t i) {
    if (sample_of_cohort_.empty() || sample_of_cohort_[i] < 0) return nullptr;
    return &sampled_[static_cast<size_t>(sample_of_cohort_[i])];
  }
  // An SGAI player fetches what each new interstitial names, as every harness's SGAI viewer does
  // (conformance/sgai_assets.h): its list and assets, from its edge or the ad server.
  void FetchSgaiAssets(size_t player, size_t i, UnixMicros started, const std::string& file, const ManifestResponse& r);
  std::vector<std::set<std::string>> sgai_seen_;  // per player: interstitials fetched
  // Only creatives with tracking URLs (decision.pods_of_creatives, or a listed pod of creatives)
  // make beacons; without them the edge's per-session tracking (a hash lookup per request, ~10 %
  // of a run) can fire nothing, so no session is sent.
  bool sessions_ = false;
  std::string SessionOf(size_t cohort) const { return sessions_ ? "c" + std::to_string(cohort) : std::string(); }
  void SetupListedViewers();
  void PlayerReload(size_t k);
  // One cohort's request for its variant (and, with `alternates`, the demuxed renditions it
  // loads with it) through its POP's edge; `player` >= 0: a listed player's load number `reload`.
  void Request(size_t i, UnixMicros now, int64_t weight, bool alternates, int player = -1, int64_t reload = 0);
  // RunOptions::observations: what listed players were served, as a conformance target records it.
  conformance::Observations* obs_ = nullptr;
  // An observed viewer's request (a listed player's or a sampled cohort's; null: none), recorded
  // when it is made (-1: not recorded); its response, when it arrives (`at`).
  int64_t ObserveRequest(const ListedPlayer* v, size_t i, const std::string& file, Kind kind, int64_t reload);
  // A player's request for `file` as the conformance targets describe one (no times, no answer).
  conformance::Fetch PlayerFetch(const ListedPlayer& v, size_t i, const std::string& file, Kind kind) const;
  void ObserveResponse(int64_t index, const ManifestResponse& r, UnixMicros at);
  void FinishObservations();
  std::vector<GroupAnswer> groups_;
  size_t cohorts_per_group_ = 0;  // cohort i is in group i / this (0: not so, no prefetch of groups)
  uint64_t truth_version_ = 1;    // bumped when an API cue's acknowledgement changes the truth
  bool reuse_ = false;                  // answer reuse applies to this run (Setup, Run)
  std::vector<std::string> state_keys_;  // per channel: its KV document's key (chstate:...)
  int64_t reused_answers_ = 0;
  SimBeacons beacons_{&cohorts_};  // before edges_: they point at it
  // origin.edge_cache_ms > 0: each POP's origin micro-cache (before edges_: they point at them).
  std::vector<std::unique_ptr<CachingOriginClient>> edge_origins_;
  std::vector<std::unique_ptr<ManifestPath>> edges_;
  std::vector<std::string> files_;  // "{rendition}.m3u8"
  std::vector<std::string> audio_files_;  // "{audio id}.m3u8" (demuxed)
  std::string subtitle_file_;             // the first subtitle rendition's, "" without

  // Metrics.
  int64_t cohort_requests_ = 0;
  std::array<int64_t, kKinds> requests_by_kind_{};      // cohort requests per Kind
  std::array<double, kKinds> viewer_requests_by_kind_{};
  std::array<double, kKinds> kv_reads_by_kind_{};
  double viewer_requests_ = 0, errors_ = 0;
  Histogram latency_us_;
  std::array<Histogram, 4> latency_by_source_;  // by StateSource; reported by name
  std::vector<PopMetrics> pops_;
  double kv_hits_ = 0, kv_lookups_ = 0, kv_reads_ = 0;
  TimeSeries kv_hits_series_, kv_lookups_series_, coord_calls_series_;
  TimeSeries viewer_seconds_series_;  // viewer-seconds per interval: / interval = mean audience
  double coordinator_calls_ = 0;
  world::AdSeconds ad_seconds_;  // viewer-seconds scheduled, missed and ghost (world/ground_truth.h)
  // [(channel * pops + pop) * breaks + b]: when the POP's first response showing the break
  // arrived (-1: none yet); the smallest, as a reused answer is recorded before a response in flight.
  std::vector<UnixMicros> break_seen_;
  // Per cohort: the newest break (index in its channel's truth) whose ads it has seen; breaks
  // come in cue order, so a cohort's first sight of break b is when b exceeds this.
  std::vector<int32_t> cohort_seen_break_;
  size_t breaks_per_channel_ = 0;
  int64_t msn0_ = 0;
  size_t slots_ = 0;
  std::vector<uint64_t> pop_ad_, pop_noad_;  // [channel * slots + msn - msn0]: POP bitmasks
  std::vector<uint8_t> rend_ad_, rend_noad_;  // [(channel * pops + pop) * slots + ...]: rendition bitmasks
  double viewer_seconds_ = 0;
  int64_t peak_viewers_ = 0;
  // Lint sampling (Scenario::lint_sample_every).
  int64_t lint_sampled_ = 0, lint_with_errors_ = 0, lint_unparsable_ = 0;
  std::map<std::string, int64_t> lint_findings_;  // rule id -> findings in sampled responses
  std::string lint_example_;                      // the first error finding, formatted
  // Cue API breaks (origin.breaks.source "api").
  int64_t api_cues_sent_ = 0, api_cues_acknowledged_ = 0, api_cues_failed_ = 0;
  Histogram api_cue_ack_us_;   // sent -> acknowledged
  Histogram api_cue_lead_us_;  // sent -> the acknowledged startTime (0: starts at receipt)
  // Listed cue API calls (api_cues): acknowledged as duplicates, stops acknowledged, and calls
  // the cue API's own validation refused (ParseCueRequest). Reported only with api_cues.
  int64_t api_cue_duplicates_ = 0, api_cue_stops_ = 0, api_cues_refused_ = 0;
  // Viewer-seconds whose newest slot was the slate in a break (a failed or hung decision, or a
  // pod shorter than its break). Reported only with faults (a decision fault's effect).
  double slate_viewer_s_ = 0;
};

Status World::Setup() {
  sim_.SetIndexedHandler(this);
  const int P = static_cast<int>(sc_.pops.size());
  const int R = static_cast<int>(sc_.origin.stream.renditions.size());
  // Channels: a synthetic origin each, with the break schedule.
  for (int c = 0; c < sc_.channels; ++c) {
    // The scenario's stream (origin::ParseSpec's fields: encryption, marker details, templates,
    // ...), live for 10 minutes already; its breaks below.
    origin::SyntheticStreamSpec s = sc_.origin.stream;
    s.start_time = t0_ - 600 * kMicrosPerSecond;
    s.breaks.clear();
    std::vector<std::pair<UnixMicros, UnixMicros>> truth;
    const BreakScheduleSpec& b = sc_.origin.breaks;
    const bool api = b.source == BreakSource::kApi;
    if (capture_) {
      // The capture's MSN grid (its MSN 0 start, its segment duration) so LiveEdgeMsn and
      // FirstSegmentAtOrAfter number slots as the captured playlists do; truth from its markers.
      s.start_time = capture_->msn0_start;
      truth = capture_->truth;
    } else if (ts_) {
      // The packager's grid (uniform segments, checked) and its breaks as its markers carry them.
      s.start_time = ts_->pdt_start;
      for (const TsTimeline::Break& tb : ts_->truth) truth.emplace_back(tb.start, tb.end);
    }
    // Listed or scheduled (ChannelBreaks), each ending at its IN (in_after_s: an early IN) or
    // after its duration; a cancelled OUT is no break. API cues: no marker in the origin; the
    // coordinator hears of the break from SendCue.
    for (const origin::ScheduledBreak& cb : ChannelBreaks(sc_, c)) {
      if (!api) s.breaks.push_back(cb);
      if (cb.cancelled) continue;
      const double actual_s = cb.in_after_s > 0 ? cb.in_after_s : cb.duration_s;
      truth.emplace_back(cb.start_time, cb.start_time + SecondsToMicros(actual_s));
    }
    SSAI_RETURN_IF_ERROR(origin::ValidateSpec(s).WithContext("channel " + std::to_string(c)));
    std::vector<TruthBreak> channel_truth;
    for (size_t i = 0; i < truth.size(); ++i) {
      const auto& [start, end] = truth[i];
      TruthBreak t;
      if (ts_ || (capture_ && !api)) {
        // Marker times (a tag's segment start, a DATERANGE's START-DATE): the splicer's rule, as
        // the conformance checks apply it to the same origin (TsPackager::MarkedBreakOf).
        t = {start, end, world::SlotsOf(world::MarkedBy::kRecording, s, start, end), false};
      } else if (api) {
        // Until the acknowledgement says otherwise (SendCue), due from the send time, as the
        // seed's startTime = receipt.
        t = world::ApiBreak(s, start, end);
      } else {
        t = world::MarkedBreak(s, start, end);  // where the origin's marking puts it
      }
      channel_truth.push_back(t);
    }
    // The listed cue API calls (api_cues): each start the scenario does not expect to be a
    // duplicate is a break, due from its send time until its acknowledgement says otherwise
    // (SendListedCue), in time order with the origin's breaks.
    std::vector<int> cue_break(sc_.api_cues.size(), -1);
    if (!sc_.api_cues.empty()) {
      std::vector<std::pair<TruthBreak, int>> all;  // (break, api cue index or -1)
      for (const TruthBreak& t : channel_truth) all.emplace_back(t, -1);
      for (size_t i = 0; i < sc_.api_cues.size(); ++i) {
        const world::ApiCueSpec& cue = sc_.api_cues[i];
        if (cue.stop || cue.expect_duplicate) continue;
        const UnixMicros at = t0_ + SecondsToMicros(cue.at_s);
        all.emplace_back(world::ApiBreak(s, at, at + SecondsToMicros(std::max(0.0, cue.duration_s))), static_cast<int>(i));
      }
      std::stable_sort(all.begin(), all.end(), [](const auto& x, const auto& y) { return x.first.cue_time < y.first.cue_time; });
      channel_truth.clear();
      for (size_t k = 0; k < all.size(); ++k) {
        channel_truth.push_back(all[k].first);
        if (all[k].second >= 0) cue_break[static_cast<size_t>(all[k].second)] = static_cast<int>(k);
      }
    }
    listed_cue_break_.push_back(std::move(cue_break));
    breaks_per_channel_ = std::max(breaks_per_channel_, channel_truth.size());
    breaks_.push_back(std::move(channel_truth));
    ChannelConfig cfg;
    cfg.org = kSimOrg;
    cfg.channel = SimChannelName(c);
    for (const origin::Rendition& r : s.renditions) {
      cfg.renditions.push_back({r.name, r.bandwidth_bps, SimOrigin::PlaylistUrl(c, r.name), r.codecs, r.resolution});
    }
    // The slate in the content's container: fMP4 with its own init for CMAF (hls.map.ad_has_own_init).
    cfg.slate = {s.container == "cmaf" ? "http://ads/slate.m4s" : "http://ads/slate.ts", sc_.origin.stream.segment_duration_s};
    if (s.container == "cmaf") cfg.slate.media.map = "URI=\"http://ads/slate_init.mp4\"";
    // Demuxed alternates (issue 14), spliced in lockstep by the same manifest path; their slates
    // are the harness ad server's (reference/ssai/README.md "URI templates").
    const bool cmaf = s.container == "cmaf";
    for (int kind = 0; kind < 2; ++kind) {
      for (const origin::AlternateRendition& a : kind == 0 ? s.audio : s.subtitles) {
        RenditionConfig rc{a.id, 0, SimOrigin::PlaylistUrl(c, a.id)};
        rc.kind = kind == 0 ? RenditionKind::kAudio : RenditionKind::kSubtitles;
        rc.group_id = kind == 0 ? "aud" : "sub";
        rc.language = a.language;
        rc.is_default = a.is_default;
        rc.slate.uri = kind == 1 ? "http://ads/blank.vtt" : cmaf ? "http://ads/slate_audio.m4s" : "http://ads/slate_audio.aac";
        rc.slate.duration_s = sc_.origin.stream.segment_duration_s;
        if (kind == 0 && cmaf) rc.slate.media.map = "URI=\"http://ads/slate_audio_init.mp4\"";
        cfg.alternates.push_back(std::move(rc));
      }
    }
    specs_.push_back(std::move(s));
    channels_.push_back(std::move(cfg));
  }
  for (const origin::SyntheticStreamSpec& s : specs_) target_us_.push_back(origin::TargetDurationSeconds(s) * kMicrosPerSecond);
  for (const origin::Rendition& r : sc_.origin.stream.renditions) files_.push_back(r.name + ".m3u8");
  for (const origin::AlternateRendition& a : sc_.origin.stream.audio) audio_files_.push_back(a.id + ".m3u8");
  if (!sc_.origin.stream.subtitles.empty()) subtitle_file_ = sc_.origin.stream.subtitles.front().id + ".m3u8";

  kv_ = std::make_unique<KvCluster>(&sim_, sc_.kv, P, Rng::Stream(seed_, kKvStream), t0_);
  // A POP's fixed KV settings (a conformance scenario's), instead of the kv block's.
  for (int p = 0; p < P; ++p) {
    const PopSpec& ps = sc_.pops[static_cast<size_t>(p)];
    if (!ps.kv_propagation_s && !ps.kv_latency_ms && !ps.kv_cache) continue;
    KvCluster::PopSettings settings;
    if (ps.kv_propagation_s) settings.propagation = Distribution::Fixed(*ps.kv_propagation_s * 1000);
    if (ps.kv_latency_ms) settings.read_latency = Distribution::Fixed(*ps.kv_latency_ms);
    if (ps.kv_cache) settings.honour_cache_ttl = *ps.kv_cache;
    kv_->SetPopSettings(p, settings);
  }
  origin_ = std::make_unique<SimOrigin>(&sim_, sc_.origin, specs_, t0_, Rng::Stream(seed_, kOriginStream));
  origin_->set_ad_duration_s(sc_.decision.ad_duration_s);
  origin_->set_listed_ads(sc_.decision.ads);
  if (capture_) {
    for (const origin::Rendition& r : sc_.origin.stream.renditions) {
      if (!capture_->capture->replay.HasPath("/" + r.name + ".m3u8")) {
        return Status::InvalidArgument("scenario.origin.renditions: '" + r.name + "' is not in capture " +
                                       capture_->capture->dir + " (no /" + r.name + ".m3u8)");
      }
    }
    origin_->UseCapture(capture_->capture, t0_ - SecondsToMicros(sc_.warmup_s));
  }
  if (ts_) origin_->UseTs(ts_->packager, ts_->pdt_start);
  std::vector<int64_t> bitrates;
  for (const origin::Rendition& r : sc_.origin.stream.renditions) bitrates.push_back(r.bandwidth_bps);
  decision_ = std::make_unique<SimDecision>(&sim_, sc_.decision, bitrates, Rng::Stream(seed_, kDecisionStream));
  decision_->set_segment_duration_s(sc_.origin.stream.segment_duration_s);
  std::vector<std::string> languages;
  for (const origin::AlternateRendition& a : sc_.origin.stream.audio) languages.push_back(a.language.empty() ? a.id : a.language);
  decision_->set_audio_languages(std::move(languages));
  observed_decision_ = std::make_unique<ObservedDecision>(
      &sim_, decision_service_ ? decision_service_(&sim_) : static_cast<DecisionClient*>(decision_.get()));
  observed_decision_->obs = obs_;
  observed_decision_->channel_id = channels_[0].channel_id();
  if (obs_ != nullptr) kv_->set_record_puts(true);
  durable_ = std::make_unique<SimDurableStore>(&sim_, sc_.coordinator.storage_latency,
                                               Rng::Stream(seed_, kDurableStream));
  CoordinatorEnv cenv{&sim_, build_.read_path == ReadPath::kCoordinatorOnly && !build_.write_break_keys &&
                                     !build_.write_channel_state
                                 ? nullptr
                                 : kv_->Location(-1),
                      durable_.get(), origin_.get(), observed_decision_.get()};
  fleet_ = std::make_unique<CoordinatorFleet>(&sim_, sc_, build_, channels_, cenv, Rng::Stream(seed_, kNetworkStream));
  ManifestPathOptions mopt;
  mopt.kv_cache_ttl_s = sc_.kv.cache_ttl_s;
  for (int p = 0; p < P; ++p) {
    OriginClient* edge_origin = origin_.get();
    if (sc_.origin.edge_cache_ms > 0) {
      edge_origins_.push_back(std::make_unique<CachingOriginClient>(
          origin_.get(), &sim_, static_cast<DurationMicros>(std::llround(sc_.origin.edge_cache_ms * 1000))));
      edge_origin = edge_origins_.back().get();
    }
    edges_.push_back(std::make_unique<ManifestPath>(
        build_, channels_, ManifestPathEnv{&sim_, kv_->Location(p), fleet_->Link(p), edge_origin, &memo_, &beacons_}, mopt));
  }
  pops_.resize(static_cast<size_t>(P));

  // Metrics storage.
  const int64_t interval_us = SecondsToMicros(sc_.series_interval_s);
  kv_hits_series_ = TimeSeries(interval_us);
  kv_lookups_series_ = TimeSeries(interval_us);
  coord_calls_series_ = TimeSeries(kMicrosPerSecond);
  viewer_seconds_series_ = TimeSeries(interval_us);
  for (PopMetrics& pm : pops_) pm.viewer_seconds_series = TimeSeries(interval_us);
  break_seen_.assign(static_cast<size_t>(sc_.channels) * P * std::max<size_t>(breaks_per_channel_, 1), -1);
  msn0_ = origin::LiveEdgeMsn(specs_[0], t0_) - 1;
  slots_ = static_cast<size_t>(origin::LiveEdgeMsn(specs_[0], end_ + 60 * kMicrosPerSecond) - msn0_ + 1);
  pop_ad_.assign(static_cast<size_t>(sc_.channels) * slots_, 0);
  pop_noad_.assign(pop_ad_.size(), 0);
  rend_ad_.assign(static_cast<size_t>(sc_.channels) * P * slots_, 0);
  rend_noad_.assign(rend_ad_.size(), 0);

  // Cohorts.
  double pop_total = 0, rend_total = 0;
  for (const PopSpec& p : sc_.pops) pop_total += p.viewer_share;
  for (double r : sc_.viewers.rendition_shares) rend_total += r;
  const int K = sc_.viewers.cohorts_per_group;
  const DurationMicros target_us = origin::TargetDurationSeconds(specs_[0]) * kMicrosPerSecond;
  sessions_ = sc_.decision.pods_of_creatives ||
              std::any_of(sc_.decision.ads.begin(), sc_.decision.ads.end(),
                          [](const world::AdSpec& a) { return a.segment_duration_s > 0; });
  if (obs_ != nullptr) {
    // The beacons a listed player's (or a sampled cohort's) session fired, under its viewer's
    // session name.
    beacons_.on_fire = [this](size_t cohort, const Beacon& b) {
      const int32_t k = cohort < player_of_cohort_.size() ? player_of_cohort_[cohort] : -1;
      const ListedPlayer* v = k >= 0 ? &players_[static_cast<size_t>(k)] : SampledCohort(cohort);
      if (v == nullptr || v->channel != 0) return;
      obs_->beacons.push_back({sim_.Now(), conformance::SessionOfViewer(v->name), b.event_id, b.ad_id, b.event, b.url});
    };
  }
  if (sc_.viewers.listed) SetupListedViewers();
  for (int c = 0; c < sc_.channels && !sc_.viewers.listed; ++c) {
    for (int p = 0; p < P; ++p) {
      for (int r = 0; r < R; ++r) {
        for (int m = 0; m < 2; ++m) {
          const double mode_share = m == 0 ? 1 - sc_.viewers.sgai_fraction : sc_.viewers.sgai_fraction;
          if (mode_share <= 0) continue;
          const double share = (pop_total > 0 ? sc_.pops[p].viewer_share / pop_total : 0) *
                               (rend_total > 0 ? sc_.viewers.rendition_shares[r] / rend_total : 0) * mode_share;
          groups_.emplace_back();
          for (int k = 0; k < K; ++k) {
            const double target = static_cast<double>(sc_.viewers.viewers_per_channel) * share / K;
            // Demuxed: the cohorts of a group take the audio languages in turn.
            const int8_t audio = audio_files_.empty() ? int8_t{-1} : static_cast<int8_t>(k % static_cast<int>(audio_files_.size()));
            Cohort co{c, static_cast<int16_t>(p), static_cast<int8_t>(r), m == 1, audio,
                      static_cast<int32_t>(groups_.size() - 1), sc_.viewers.ramp_s > 0 ? 0 : static_cast<int64_t>(std::llround(target * TraceFraction(TraceOf(p), 0))),
                      target, t0_, 0};
            cohorts_.push_back(co);
            const size_t i = cohorts_.size() - 1;
            if (obs_ != nullptr && c == 0 && k < check_sample_) {
              // Observed for the checks (RunOptions::check_sample): one viewer, its requests.
              ListedPlayer v;
              v.name = sc_.pops[static_cast<size_t>(p)].name + "/cohort-" + std::to_string(i);
              v.cohorts = {i};
              v.leave = end_;
              sample_of_cohort_.resize(cohorts_.size(), -1);
              sample_of_cohort_[i] = static_cast<int32_t>(sampled_.size());
              sampled_.push_back(std::move(v));
            }
            // Phases spread over one target duration, plus a per-cohort offset so groups do not align.
            const DurationMicros phase = target_us * k / K +
                                         static_cast<DurationMicros>(viewer_rng_.UniformInt(
                                             static_cast<uint64_t>(std::max<int64_t>(target_us / K, 1))));
            ScheduleReload(i, t0_ + phase);
          }
        }
      }
    }
  }
  if (!sample_of_cohort_.empty()) {
    sample_of_cohort_.resize(cohorts_.size(), -1);
    // Every observed request is kept with its body and origin playlist (~8 KB each: perf-100ch's
    // 640 cohorts of channel 0 over 300 s, 94 715 requests, peaked at 787 MB): bound what a
    // sample may record before running, as CheckRunSize bounds a run. At most one load per half
    // target duration (RFC 8216 §6.3.4: an unchanged playlist), each with its alternates.
    const double loads = sc_.duration_s / MicrosToSeconds(target_us_[0] / 2) + 1;
    const double per_load = 1.0 + (audio_files_.empty() ? 0 : 1) + (subtitle_file_.empty() ? 0 : 1);
    const double most = static_cast<double>(sampled_.size()) * loads * per_load;
    if (most > kMaxObservedRequests) {
      return Status::InvalidArgument(
          "check_sample: " + std::to_string(sampled_.size()) + " sampled cohorts of channel 0 could record up to " +
          std::to_string(static_cast<int64_t>(most)) + " requests over duration_s " + FormatDouble(sc_.duration_s) +
          "; at most " + std::to_string(kMaxObservedRequests) +
          " (each kept with its playlists for the checks): lower the sample (ssai sim --check-sample) or duration_s");
    }
  }
  cohort_seen_break_.assign(cohorts_.size(), -1);
  cohorts_per_group_ = sc_.viewers.listed ? 1 : static_cast<size_t>(K);
  for (size_t i = 0; i < cohorts_.size() && cohorts_per_group_ > 0; ++i) {
    if (static_cast<size_t>(cohorts_[i].group) != i / cohorts_per_group_) cohorts_per_group_ = 0;
  }
  // Answer reuse needs answers that are pure functions of what it checks (README.md "Answer
  // reuse"): kv-channel-state without defects (their state is not the memo's), no beacon
  // sessions, the synthetic origin without 404 windows (a fetch's last-good bookkeeping matters
  // then) or stalls, no edge origin cache, a POP KV cache, variants only (no demuxed alternates).
  reuse_ = !sc_.viewers.listed && build_.read_path == ReadPath::kChannelState && !build_.defects.any() && !sessions_ &&
           !capture_ && !ts_ && sc_.origin.not_found.empty() && sc_.origin.stalls.empty() &&
           sc_.origin.edge_cache_ms <= 0 && sc_.kv.cache_ttl_s > 0 && audio_files_.empty() && subtitle_file_.empty();
  for (const ChannelConfig& cfg : channels_) state_keys_.push_back(ChannelStateKey(cfg.channel_id()));
  fleet_->Start(t0_);
  if (operator_calls_) {
    sim_.RunAt(t0_ + kMicrosPerSecond, [this] {
      operator_calls_([this](const CueRequest& r, std::function<void(Result<CueResult>)> done) {
        fleet_->Cue(0, r, std::move(done));
      });
    });
  }
  for (int c = 0; c < sc_.channels; ++c) {
    const std::vector<int>& listed = listed_cue_break_[static_cast<size_t>(c)];
    for (size_t b = 0; b < breaks_[static_cast<size_t>(c)].size(); ++b) {
      if (!breaks_[static_cast<size_t>(c)][b].api) continue;
      if (std::find(listed.begin(), listed.end(), static_cast<int>(b)) != listed.end()) continue;  // SendListedCue's
      sim_.RunAt(breaks_[static_cast<size_t>(c)][b].cue_time, [this, c, b] { SendCue(c, b); });
    }
  }
  for (int c = 0; c < sc_.channels; ++c) {
    for (size_t i = 0; i < sc_.api_cues.size(); ++i) {
      sim_.RunAt(t0_ + SecondsToMicros(sc_.api_cues[i].at_s), [this, c, i] { SendListedCue(c, i); });
    }
  }
  std::vector<std::string> pop_names;
  for (const PopSpec& p : sc_.pops) pop_names.push_back(p.name);
  SSAI_RETURN_IF_ERROR(world::ScheduleFaults(&sim_, t0_, sc_.faults, pop_names, this));
  return Status::Ok();
}

// Listed viewers: each copy of each listed viewer on every channel, one cohort per rendition it
// loads (all when it names none), fixed at one viewer from its join (JoinOfCopyS, as the
// conformance targets join them) until leave_s or the end; its mode, else the scenario's; a
// demuxed player's audio by the cohorts' turn, as a population's.
void World::SetupListedViewers() {
  int copies_per_channel = 0;
  for (const world::ListedViewer& v : sc_.viewers.list) copies_per_channel += v.count;
  int copy = 0;
  // A demuxed player chooses its audio and subtitles from the multivariant playlist by the rule
  // every harness viewer follows (conformance/player_choice.h): its variant's groups, the DEFAULT
  // rendition for viewer 0, the others in turn.
  const Result<hls::MasterPlaylist> master = hls::ParseMaster(origin::MasterPlaylist(sc_.origin.stream));
  for (int c = 0; c < sc_.channels; ++c) {
    for (const world::ListedViewer& v : sc_.viewers.list) {
      int p = 0;
      while (sc_.pops[static_cast<size_t>(p)].name != v.pop) ++p;  // the parser checked the name
      std::vector<int> renditions;
      for (size_t r = 0; r < sc_.origin.stream.renditions.size(); ++r) {
        if (v.renditions.empty() ||
            std::find(v.renditions.begin(), v.renditions.end(), sc_.origin.stream.renditions[r].name) != v.renditions.end()) {
          renditions.push_back(static_cast<int>(r));
        }
      }
      const bool sgai = v.mode.value_or(sc_.mode) == InsertionMode::kSgai;
      for (int k = 0; k < v.count; ++k, ++copy) {
        const UnixMicros join = t0_ + SecondsToMicros(v.JoinOfCopyS(k));
        ListedPlayer player;
        player.channel = c;
        player.name = v.pop + "/v" + std::to_string(copy - c * copies_per_channel);
        player.leave = v.leave_s ? std::min(end_, t0_ + SecondsToMicros(*v.leave_s)) : end_;
        int8_t audio = -1;
        const int viewer_number = copy - c * copies_per_channel;
        if (master.ok() && !renditions.empty()) {
          if (std::optional<conformance::PlayerChoice> choice = conformance::ChoosePlayerRenditions(
                  *master, "http://origin/master.m3u8", sc_.origin.stream.renditions[static_cast<size_t>(renditions.front())].name,
                  viewer_number)) {
            for (size_t a = 0; choice->audio && a < sc_.origin.stream.audio.size(); ++a) {
              const std::string& id = sc_.origin.stream.audio[a].id;
              if (choice->audio->name == id || choice->audio->name == "audio_" + id) audio = static_cast<int8_t>(a);
            }
            for (const origin::AlternateRendition& t : sc_.origin.stream.subtitles) {
              if (choice->subtitles && (choice->subtitles->name == t.id || choice->subtitles->name == "subtitles_" + t.id)) {
                player.subtitle_file = t.id + ".m3u8";
              }
            }
          }
        }
        for (int r : renditions) {
          groups_.emplace_back();
          cohorts_.push_back(Cohort{c, static_cast<int16_t>(p), static_cast<int8_t>(r), sgai, audio,
                                    static_cast<int32_t>(groups_.size() - 1), 1, 1, join, 0});
          player.cohorts.push_back(cohorts_.size() - 1);
          player_of_cohort_.resize(cohorts_.size(), -1);
          player_of_cohort_.back() = static_cast<int32_t>(players_.size());
        }
        players_.push_back(std::move(player));
        const size_t n = players_.size() - 1;
        if (join < players_[n].leave && !players_[n].cohorts.empty()) sim_.RunAt(join, [this, n] { PlayerReload(n); });
      }
    }
  }
}

// POST /cue {"org","channel","duration"} at the break's time. The acknowledged break is the truth
// from then on: its startTime (a build that announces API cues ahead starts later than the send
// time) and endTime. A cue that fails is not a break.
void World::SendCue(int channel, size_t b) {
  ++api_cues_sent_;
  const UnixMicros sent = sim_.Now();
  const ChannelConfig& cfg = channels_[static_cast<size_t>(channel)];
  CueRequest req{cfg.org, cfg.channel, sc_.origin.breaks.duration_s, "", CueAction::kStart, ""};
  int record = -1;  // index in obs_->cues (channel 0's cues, observed)
  if (obs_ != nullptr && channel == 0) {
    conformance::CueApiRecord rec;
    rec.time = sent;
    rec.body = json{{"org", cfg.org}, {"channel", cfg.channel}, {"duration", req.duration_s}}.dump();
    rec.spec_index = static_cast<int>(b);
    obs_->cues.push_back(std::move(rec));
    record = static_cast<int>(obs_->cues.size()) - 1;
  }
  fleet_->Cue(channel, req, [this, channel, b, sent, record](Result<CueResult> r) {
    if (record >= 0) obs_->cues[static_cast<size_t>(record)].SetAnswer(r);
    TruthBreak& t = breaks_[static_cast<size_t>(channel)][b];
    ++truth_version_;
    if (!r.ok() || r->duplicate) {  // a duplicate made no break of its own
      ++api_cues_failed_;
      t.slots = {};
      return;
    }
    ++api_cues_acknowledged_;
    api_cue_ack_us_.Record(sim_.Now() - sent);
    api_cue_lead_us_.Record(std::max<DurationMicros>(r->state.start_time - sent, 0));
    t = world::ApiBreak(specs_[static_cast<size_t>(channel)], r->state.start_time, r->state.end_time);
    t.cue_time = sent;  // lag is measured from the send time, as before the acknowledgement
  });
}

// A listed cue API call (api_cues[i]) to `channel`: its POST /cue body (world::CueBody, what the
// conformance targets send) through the cue API's own validation (ParseCueRequest) into the
// coordinator. A start the coordinator acknowledges is the truth from then on, as SendCue's (its
// startTime and endTime); a duplicate makes no break; a stop ends the break playing when it takes
// effect (the acknowledgement's endTime) or cancels the next one (world::ApplyStop, the
// conformance truth's rule). A call refused or failed changes nothing, and its start is no break.
void World::SendListedCue(int channel, size_t i) {
  // Not after the run: FinishObservations runs on to the keys' expiry with the coordinators stopped.
  if (sim_.Now() >= end_) return;
  ++api_cues_sent_;
  const UnixMicros sent = sim_.Now();
  const ChannelConfig& cfg = channels_[static_cast<size_t>(channel)];
  const world::ApiCueSpec& cue = sc_.api_cues[i];
  const int b = listed_cue_break_[static_cast<size_t>(channel)][i];
  const std::string body = world::CueBody(cue, cfg.org, cfg.channel);
  Result<CueRequest> req = ParseCueRequest(body);
  int record = -1;  // index in obs_->cues (channel 0's calls, observed as the builtin target records them)
  if (obs_ != nullptr && channel == 0) {
    conformance::CueApiRecord rec;
    rec.stop = cue.stop;
    rec.time = sent;
    rec.body = body;
    rec.expect_duplicate = cue.expect_duplicate;
    rec.spec_index = static_cast<int>(i);
    if (!req.ok()) rec.error = req.status().message();
    obs_->cues.push_back(std::move(rec));
    record = static_cast<int>(obs_->cues.size()) - 1;
  }
  if (!req.ok()) {
    ++api_cues_refused_;
    ++api_cues_failed_;
    if (b >= 0) breaks_[static_cast<size_t>(channel)][static_cast<size_t>(b)].slots = {};
    return;
  }
  fleet_->Cue(channel, *req, [this, channel, i, b, sent, record](Result<CueResult> r) {
    if (record >= 0) obs_->cues[static_cast<size_t>(record)].SetAnswer(r);
    std::vector<TruthBreak>& truth = breaks_[static_cast<size_t>(channel)];
    if (!r.ok()) {
      ++api_cues_failed_;
      if (b >= 0) truth[static_cast<size_t>(b)].slots = {};
      return;
    }
    ++api_cues_acknowledged_;
    api_cue_ack_us_.Record(sim_.Now() - sent);
    const origin::SyntheticStreamSpec& spec = specs_[static_cast<size_t>(channel)];
    if (sc_.api_cues[i].stop) {
      ++api_cue_stops_;
      world::ApplyStop(spec, &truth, r->state.end_time > 0 ? r->state.end_time : sent);
      return;
    }
    if (r->duplicate) {  // made no break of its own
      ++api_cue_duplicates_;
      if (b >= 0) truth[static_cast<size_t>(b)].slots = {};
      return;
    }
    // A repeat the scenario expects to be a duplicate that the build takes as a new break has no
    // break in the truth: what it shows is ghost ad time.
    if (b < 0) return;
    api_cue_lead_us_.Record(std::max<DurationMicros>(r->state.start_time - sent, 0));
    TruthBreak& t = truth[static_cast<size_t>(b)];
    t = world::ApiBreak(spec, r->state.start_time, r->state.end_time);
    t.cue_time = sent;  // lag is measured from the send time, as SendCue's
  });
}

void World::Reload(size_t i) {
  Cohort& c = cohorts_[i];
  const UnixMicros now = sim_.Now();
  const DurationMicros target_us = target_us_[static_cast<size_t>(c.channel)];
  // Joins and leaves since the last reload (birth-death process, aggregated).
  const double dt_s = MicrosToSeconds(now - c.last_update);
  if (dt_s > 0) {
    const double session = sc_.viewers.mean_session_s;
    int64_t leaves = viewer_rng_.Binomial(c.viewers, LeaveProbability(now - c.last_update, dt_s, session));
    double join_rate = c.target / session;
    double extra_joins = 0;  // a trace's growth over the interval
    const double since_start_s = MicrosToSeconds(now - t0_);
    if (sc_.viewers.ramp_s > 0 && since_start_s < sc_.viewers.ramp_s) join_rate += c.target / sc_.viewers.ramp_s;
    if (const std::vector<TracePoint>& trace = TraceOf(c.pop); !trace.empty()) {
      // Audience trace: sessions still end at 1/mean_session and are replaced at the trace's
      // level; a rise adds its growth as joins, a fall makes that share of the audience leave.
      const double before = c.target * TraceFraction(trace, MicrosToSeconds(c.last_update - t0_));
      const double after = c.target * TraceFraction(trace, since_start_s);
      join_rate = 0.5 * (before + after) / session;
      if (after > before) extra_joins = after - before;
      if (before > after) leaves += viewer_rng_.Binomial(c.viewers - leaves, 1 - after / before);
    }
    const int64_t joins = viewer_rng_.Poisson(join_rate * dt_s + extra_joins);
    CountWatched(c, now);
    c.viewers = c.viewers - leaves + joins;
    c.last_update = now;
  }
  if (c.viewers <= 0) {
    c.viewers = 0;
    if (now + target_us / 2 < end_) ScheduleReload(i, now + target_us / 2);
    return;
  }
  const int64_t weight = c.viewers;
  if (reuse_ && TryReuse(i, now, weight)) return;
  Request(i, now, weight, true);
}

// A listed player's load (RFC 8216 §6.3.4: no sooner than the target duration after the last):
// the multivariant playlist when it joins, then every rendition it plays, together.
void World::PlayerReload(size_t k) {
  ListedPlayer& v = players_[k];
  const UnixMicros now = sim_.Now();
  if (now >= v.leave) return;
  const Cohort& first = cohorts_[v.cohorts.front()];
  if (v.reloads == 0) {
    ManifestRequest req{kSimOrg, channels_[static_cast<size_t>(v.channel)].channel, "master.m3u8",
                        first.sgai ? InsertionMode::kSgai : InsertionMode::kSsai, SessionOf(v.cohorts.front())};
    // Recorded for the checks only: the load metrics count media playlists.
    const int64_t index = ObserveRequest(&v, v.cohorts.front(), req.file, kVariant, 0);
    edges_[static_cast<size_t>(first.pop)]->Handle(req, [this, index](ManifestResponse r) {
      ObserveResponse(index, r, sim_.Now());
    });
  }
  const int64_t reload = ++v.reloads;
  for (size_t n = 0; n < v.cohorts.size(); ++n) {
    Cohort& c = cohorts_[v.cohorts[n]];
    CountWatched(c, now);
    c.last_update = now;
    Request(v.cohorts[n], now, 1, n == 0, static_cast<int>(k), reload);
  }
  const DurationMicros period = target_us_[static_cast<size_t>(v.channel)];
  if (now + period < v.leave) sim_.RunAt(now + period, [this, k] { PlayerReload(k); });
}

void World::Request(size_t i, UnixMicros now, int64_t weight, bool alternates, int player, int64_t reload) {
  const Cohort& c = cohorts_[i];
  // Who is observed making this request: the listed player, or the sampled cohort (one load).
  ListedPlayer* observed = player >= 0 ? &players_[static_cast<size_t>(player)] : SampledCohort(i);
  if (player < 0 && observed != nullptr) reload = ++observed->reloads;
  // The cohort's session names it for server-side beacons (SimBeacons); a listed player's
  // renditions share its first cohort's, one session per viewer (SessionOf).
  ManifestRequest req{kSimOrg, channels_[static_cast<size_t>(c.channel)].channel, files_[static_cast<size_t>(c.rendition)],
                      c.sgai ? std::optional<InsertionMode>(InsertionMode::kSgai)
                             : std::optional<InsertionMode>(InsertionMode::kSsai),
                      SessionOf(player >= 0 ? players_[static_cast<size_t>(player)].cohorts.front() : i)};
  ManifestPath& edge = *edges_[static_cast<size_t>(c.pop)];
  // A demuxed player reloads its audio and subtitle playlists with the variant's (RFC 8216
  // §6.3.4 applies to each; the same target duration): through the same edge, the same session.
  if (alternates && c.audio >= 0) {
    ManifestRequest alt = req;
    alt.file = audio_files_[static_cast<size_t>(c.audio)];
    const int64_t index = ObserveRequest(observed, i, alt.file, kAudio, reload);
    edge.Handle(alt, [this, i, weight, now, index](ManifestResponse r) {
      ObserveResponse(index, r, sim_.Now());
      Record(i, weight, now, sim_.Now(), r, kAudio);
    });
  }
  const std::string& subtitles = player >= 0 ? players_[static_cast<size_t>(player)].subtitle_file : subtitle_file_;
  if (alternates && !subtitles.empty()) {
    ManifestRequest alt = req;
    alt.file = subtitles;
    const int64_t index = ObserveRequest(observed, i, alt.file, kSubtitles, reload);
    edge.Handle(alt, [this, i, weight, now, index](ManifestResponse r) {
      ObserveResponse(index, r, sim_.Now());
      Record(i, weight, now, sim_.Now(), r, kSubtitles);
    });
  }
  const int64_t index = ObserveRequest(observed, i, req.file, kVariant, reload);
  edge.Handle(req, [this, i, weight, now, index, player](ManifestResponse r) {
    ObserveResponse(index, r, sim_.Now());
    if (player >= 0 && cohorts_[i].sgai && r.http_status == 200) {
      FetchSgaiAssets(static_cast<size_t>(player), i, now, files_[static_cast<size_t>(cohorts_[i].rendition)], r);
    }
    const GroupAnswer* kept = reuse_ ? Remember(cohorts_[i], now, sim_.Now(), r) : nullptr;
    Record(i, weight, now, sim_.Now(), r, kVariant, kept);
  });
}

// Answer reuse (README.md "Answer reuse"). The edge's answer for a rendition and mode is a pure
// function of the origin playlist it fetched, the KV document it read and its channel memo
// (ManifestResponse::reuse_generation); a cohort reloading while all three are those of its
// group's last answer is given that answer at its own time, with its own latency draws, counted
// as a fetch and a cached KV read; a background refresh it would have started, it starts (at the
// instant its document would have arrived).
bool World::TryReuse(size_t i, UnixMicros now, int64_t weight) {
  const Cohort& c = cohorts_[i];
  const GroupAnswer& g = groups_[static_cast<size_t>(c.group)];
  if (!g.valid || origin::LiveEdgeMsn(specs_[static_cast<size_t>(c.channel)], now) != g.origin_msn) return false;
  const std::optional<ManifestPath::ChannelView> view =
      edges_[static_cast<size_t>(c.pop)]->ChannelViewOf(static_cast<size_t>(c.channel));
  if (!view || view->generation != g.generation) return false;
  // The KV read follows the origin fetch (ManifestPath: origin first, then the read path).
  const DurationMicros origin_us = origin_->DrawFetchLatency();
  const DurationMicros kv_us = kv_->HotReadLatency(c.pop);
  const UnixMicros read_at = now + origin_us;
  // The read path looks at the refresh when the document arrives: a request then would start one.
  if (!kv_->ReadCachedAgain(c.pop, g.kv_entry, g.kv_fill, now, read_at)) {
    origin_->UseForNextFetch(origin_us);  // the real request's fetch, made next (Reload)
    return false;
  }
  const UnixMicros done_at = read_at + kv_us;
  if (!view->call_in_flight && done_at >= view->next_refresh_due) {
    // The request would start the edge's background refresh when its document arrives: start
    // it then (the edge checks again: another request may have started it meanwhile).
    sim_.RunAt(done_at, [this, i] {
      const Cohort& co = cohorts_[i];
      if (const int calls = edges_[static_cast<size_t>(co.pop)]->StartDueRefresh(static_cast<size_t>(co.channel))) {
        CountCalls(co, calls);
      }
    });
  }
  origin_->CountFetch();
  ++reused_answers_;
  // A sampled cohort is given the group's answer: what its viewers get, at the time they get it
  // (after the run's end too: a real request's answer then is recorded as well, FinishObservations).
  if (ListedPlayer* v = SampledCohort(i)) {
    ObserveResponse(ObserveRequest(v, i, files_[static_cast<size_t>(c.rendition)], kVariant, ++v->reloads), g.response,
                    done_at);
  }
  // A response arriving after the run's end is not recorded (as the edge's would not be).
  if (done_at <= end_) Record(i, weight, now, done_at, g.response, kVariant, &g);
  return true;
}

const World::GroupAnswer* World::Remember(const Cohort& c, UnixMicros started, UnixMicros now,
                                          const ManifestResponse& r) {
  GroupAnswer& g = groups_[static_cast<size_t>(c.group)];
  g.valid = false;
  // (Warnings of a pure answer are its splice's, part of the answer: "ads should be conditioned".)
  if (r.reuse_generation == 0 || r.http_status != 200 || r.source != StateSource::kKvHit || r.coordinator_calls > 0 ||
      r.served_stale_origin) {
    return nullptr;
  }
  // The entry cached before the request started and still cached now is the one it read. A
  // group reads one key at one POP, and entries are never erased: found once (a string-keyed
  // lookup per real request otherwise).
  if (g.kv_entry == nullptr) g.kv_entry = kv_->CachedEntry(c.pop, state_keys_[static_cast<size_t>(c.channel)]);
  g.kv_fill = kv_->CachedFill(g.kv_entry, started, now);
  if (g.kv_fill == 0) return nullptr;
  const int64_t msn = origin::LiveEdgeMsn(specs_[static_cast<size_t>(c.channel)], started);
  // The same inputs make the same bytes: the answer kept is this one already.
  if (!g.has_body || g.generation != r.reuse_generation || g.origin_msn != msn) {
    g.has_body = true;
    g.generation = r.reuse_generation;
    g.origin_msn = msn;
    g.response = r;
    g.response.coordinator_background_calls = 0;  // this request's own refresh, not the answer's
    g.hash = BodyHash(r.body);
    g.covering_truth_version = 0;
  }
  g.valid = true;
  return &g;
}

// Weighted coordinator calls a cohort's request made, now.
void World::CountCalls(const Cohort& c, double calls) {
  coordinator_calls_ += calls;
  pops_[static_cast<size_t>(c.pop)].coordinator_calls += calls;
  coord_calls_series_.Add(sim_.Now() - t0_, calls);
  fleet_->AddLoad(c.channel, calls);
}

conformance::Fetch World::PlayerFetch(const ListedPlayer& v, size_t i, const std::string& file, Kind kind) const {
  const Cohort& c = cohorts_[i];
  conformance::Fetch f;
  f.pop = sc_.pops[static_cast<size_t>(c.pop)].name;
  f.viewer = v.name;
  f.mode = c.sgai ? InsertionMode::kSgai : InsertionMode::kSsai;
  f.url = "/" + std::string(kSimOrg) + "/" + channels_[static_cast<size_t>(v.channel)].channel + "/" + file +
          "?session=" + conformance::SessionOfViewer(v.name) + (c.sgai ? "&mode=sgai" : "");
  if (file != "master.m3u8") {
    f.rendition = file.substr(0, file.size() - 5);  // "{id}.m3u8"
    if (kind == kVariant) f.bandwidth_bps = sc_.origin.stream.renditions[static_cast<size_t>(c.rendition)].bandwidth_bps;
    if (kind == kAudio) f.alternate = "audio";
    if (kind == kSubtitles) f.alternate = "subtitles";
  }
  return f;
}

int64_t World::ObserveRequest(const ListedPlayer* v, size_t i, const std::string& file, Kind kind, int64_t reload) {
  if (obs_ == nullptr || v == nullptr) return -1;
  if (v->channel != 0) return -1;  // the checks judge one channel
  conformance::Fetch f = PlayerFetch(*v, i, file, kind);
  f.request_time = sim_.Now();
  f.reload = reload;
  if (!f.rendition.empty()) f.origin_body = origin_->PlaylistAt(SimOrigin::PlaylistUrl(0, f.rendition), f.request_time);
  obs_->fetches.push_back(std::move(f));
  return static_cast<int64_t>(obs_->fetches.size()) - 1;
}

void World::FetchSgaiAssets(size_t player, size_t i, UnixMicros started, const std::string& file,
                            const ManifestResponse& r) {
  const ListedPlayer& v = players_[player];
  const Cohort& c = cohorts_[i];
  const std::string channel = channels_[static_cast<size_t>(v.channel)].channel;
  const std::string ours = "/" + std::string(kSimOrg) + "/" + channel + "/";
  const std::string session = SessionOf(v.cohorts.front());
  conformance::Fetch f = PlayerFetch(v, i, file, kVariant);
  f.request_time = started;
  f.response_time = sim_.Now();
  f.http_status = r.http_status;
  f.body = r.body;
  ManifestPath* edge = edges_[static_cast<size_t>(c.pop)].get();
  const conformance::AssetFetcher fetch = [this, edge, ours, channel, session](
                                              const std::string& url, std::function<void(int, std::string)> done) {
    if (url.starts_with(ours)) {
      const size_t end = url.find_first_of("?#");
      ManifestRequest req{kSimOrg, channel, url.substr(ours.size(), end == std::string::npos ? end : end - ours.size()),
                          InsertionMode::kSgai, session};
      return edge->Handle(req, [done](ManifestResponse a) { done(a.http_status, std::move(a.body)); });
    }
    origin_->Fetch(url, [done](Result<OriginClient::Response> a) {
      if (!a.ok()) return done(0, "");
      done(a->http_status, std::move(a->body));
    });
  };
  if (sgai_seen_.size() < players_.size()) sgai_seen_.resize(players_.size());
  const bool observed = obs_ != nullptr && v.channel == 0;
  conformance::FetchSgaiAssets(f, &sgai_seen_[player], fetch, [this, observed](conformance::SgaiAssetRecord rec) {
    if (observed) obs_->sgai_assets.push_back(std::move(rec));
  });
}

void World::ObserveResponse(int64_t index, const ManifestResponse& r, UnixMicros at) {
  if (index < 0) return;
  conformance::Fetch& f = obs_->fetches[static_cast<size_t>(index)];
  f.response_time = at;
  f.http_status = r.http_status;
  f.body = r.body;
  f.state_source = std::string(StateSourceName(r.source));
  f.event_id = r.event_id;
}

void World::Record(size_t i, int64_t weight, UnixMicros started, UnixMicros now, const ManifestResponse& r,
                   Kind kind, const GroupAnswer* reused) {
  Cohort& c = cohorts_[i];
  const double w = static_cast<double>(weight);
  const size_t P = sc_.pops.size();
  const auto& spec = specs_[static_cast<size_t>(c.channel)];
  PopMetrics& pm = pops_[static_cast<size_t>(c.pop)];
  ++cohort_requests_;
  viewer_requests_ += w;
  ++requests_by_kind_[kind];
  viewer_requests_by_kind_[kind] += w;
  kv_reads_by_kind_[kind] += w * r.kv_reads;
  peak_viewers_ = std::max(peak_viewers_, weight);
  const DurationMicros latency = now - started;
  latency_us_.Record(latency, weight);
  pm.latency_us.Record(latency, weight);
  latency_by_source_[static_cast<size_t>(r.source)].Record(latency, weight);
  const bool ok = r.http_status == 200;
  if (!ok) errors_ += w;
  if (ok && sc_.lint_sample_every > 0 && cohort_requests_ % sc_.lint_sample_every == 0) Lint(r.body);
  if (ok && build_.read_path != ReadPath::kCoordinatorOnly) {
    const double hit = r.source == StateSource::kKvHit ? w : 0;
    kv_hits_ += hit;
    kv_lookups_ += w;
    pm.kv_hits += hit;
    pm.kv_lookups += w;
    kv_hits_series_.Add(now - t0_, hit);
    kv_lookups_series_.Add(now - t0_, w);
  }
  kv_reads_ += w * r.kv_reads;
  if (r.coordinator_calls > 0 || r.coordinator_background_calls > 0) {
    // A probe or a background refresh is one call per edge whatever the cohort's size.
    CountCalls(c, (r.coordinator_probe ? 1.0 : w) * r.coordinator_calls + r.coordinator_background_calls);
  }
  // An alternate's response counts as load (above); the variant's drives the reloads and is judged.
  if (kind != kVariant) return;
  // Next reload, RFC 8216 §6.3.4: the target duration after a changed playlist, half of it after
  // an unchanged one (or an error).
  // A listed player's loads are on its own schedule (PlayerReload): every target duration.
  const DurationMicros target_us = target_us_[static_cast<size_t>(c.channel)];
  const uint64_t h = !ok ? 0 : reused ? reused->hash : BodyHash(r.body);
  const DurationMicros next = sc_.viewers.listed ? target_us : ok && h != c.last_hash ? target_us : target_us / 2;
  c.last_hash = h;
  if (!sc_.viewers.listed && now + next < end_) ScheduleReload(i, now + next);

  // Ground truth: is the newest slot of the playlist served inside a scheduled break? The slot is
  // the response's own (the origin slot it was spliced up to: ManifestResponse::newest_slot_msn),
  // not the live edge at the response time: a segment published while the request was in flight
  // (a coordinator round trip) is not in the playlist, and judging the response against it
  // counted one segment of ghost (or missed) ad time at every break edge. Nor the output's
  // MEDIA-SEQUENCE + segments - 1: after a pod of creatives that emitted K segments for M slots
  // the output numbers run K - M ahead of the origin's (splicer.h), which counted a pod's last
  // segments as ghost ads (vast_pod_long.json: 8 viewer-s on every build) and shifted every later
  // break.
  if (!ok) return;
  if (!c.sgai && sc_.decision.pods_of_creatives && r.ad_segments > 0 && !r.event_id.empty()) {
    beacons_.Delivered(i, r.event_id, r.body, sc_.decision.ad_duration_s, sc_.origin.stream.segment_duration_s);
  }
  const int64_t msn = r.newest_slot_msn.value_or(origin::LiveEdgeMsn(spec, now));
  // A break covers its slots (world/ground_truth.h); ad time is judged as every harness judges it.
  const auto& truth = breaks_[static_cast<size_t>(c.channel)];
  int b_index;
  if (reused && r.newest_slot_msn && reused->covering_truth_version == truth_version_) {
    b_index = reused->covering;
  } else {
    b_index = world::BreakCovering(truth, msn);
    if (reused && r.newest_slot_msn) {
      reused->covering = b_index;
      reused->covering_truth_version = truth_version_;
    }
  }
  const bool truth_in = b_index >= 0;
  ad_seconds_.Add(truth_in, r.in_break, w, MicrosToSeconds(std::min(next, end_ - now)));
  if (!sc_.faults.empty() && truth_in && r.in_break && r.slate_segments > 0 && NewestIsSlate(r.body)) {
    slate_viewer_s_ += w * MicrosToSeconds(std::min(next, end_ - now));
  }
  if (truth_in && r.in_break) {
    UnixMicros& seen = break_seen_[(static_cast<size_t>(c.channel) * P + static_cast<size_t>(c.pop)) *
                                       breaks_per_channel_ + static_cast<size_t>(b_index)];
    if (seen < 0 || now < seen) seen = now;  // PopMetrics::ad_lag_us at the end (Run)
    // Every viewer's lag, not only the first cohort's: a viewer sees the ads at its own next
    // reload after they became visible (issue 18: real per-viewer P50 3.4-3.7 s vs 2.1-2.3 s
    // for the first viewer), which is what `ssai fidelity` measures.
    if (int32_t& last = cohort_seen_break_[i]; b_index > last) {
      last = b_index;
      pm.viewer_ad_lag_us.Record(now - truth[static_cast<size_t>(b_index)].cue_time, weight);
    }
  }
  if ((truth_in || r.in_break) && msn >= msn0_ && static_cast<size_t>(msn - msn0_) < slots_) {
    const size_t s = static_cast<size_t>(msn - msn0_);
    const size_t ci = static_cast<size_t>(c.channel) * slots_ + s;
    (r.in_break ? pop_ad_ : pop_noad_)[ci] |= uint64_t{1} << c.pop;
    const size_t ri = (static_cast<size_t>(c.channel) * P + static_cast<size_t>(c.pop)) * slots_ + s;
    (r.in_break ? rend_ad_ : rend_noad_)[ri] |= static_cast<uint8_t>(1u << c.rendition);
  }
}

void World::Lint(const std::string& body) {
  ++lint_sampled_;
  Result<hls::Playlist> pl = hls::Parse(body);
  if (!pl.ok()) {
    ++lint_unparsable_;
    if (lint_example_.empty()) lint_example_ = "unparsable: " + pl.status().message();
    return;
  }
  bool error = false;
  for (const hls::Finding& f : hls::LintPlaylist(*pl)) {
    ++lint_findings_[f.rule_id];
    if (f.severity == hls::Severity::kError) {
      error = true;
      if (lint_example_.empty()) lint_example_ = hls::FormatFinding(f);
    }
  }
  if (error) ++lint_with_errors_;
}

// Some member of `a` differs from some member of `b` (two different POPs/renditions disagree).
bool Disagree(uint64_t a, uint64_t b) {
  return a != 0 && b != 0 && !(a == b && std::popcount(a) == 1);
}

json HistSummary(const Histogram& h, double scale) {
  return {{"count", h.count()}, {"p50", h.Percentile(50) * scale}, {"p95", h.Percentile(95) * scale},
          {"p99", h.Percentile(99) * scale}, {"max", h.max() * scale}, {"mean", h.mean() * scale}};
}

json Series(const TimeSeries& num, const TimeSeries* den) {
  json values = json::array();
  const size_t n = std::max(num.size(), den ? den->size() : 0);
  for (size_t i = 0; i < n; ++i) {
    if (den) {
      const double d = den->At(i);
      values.push_back(d > 0 ? json(num.At(i) / d) : json(nullptr));
    } else {
      values.push_back(num.At(i) / MicrosToSeconds(num.interval_us()));
    }
  }
  return {{"interval_s", MicrosToSeconds(num.interval_us())}, {"values", values}};
}

json World::Run(const RunOptions& options) {
  uint64_t steps = 0;
  reuse_ = reuse_ && options.reuse_answers;
  const double total = static_cast<double>(end_ - t0_);
  if (options.progress) options.progress(0);
  while (sim_.NextTime() <= end_ && sim_.Step()) {
    if (options.progress && (++steps & 0xffff) == 0) {
      options.progress(std::max(0.0, static_cast<double>(sim_.Now() - t0_) / total));
    }
  }
  sim_.RunUntil(end_);
  // Each POP's first sight of each break (break_seen_: the earliest arrival).
  const size_t P = sc_.pops.size();
  for (int c = 0; c < sc_.channels; ++c) {
    for (size_t p = 0; p < P; ++p) {
      for (size_t b = 0; b < breaks_[static_cast<size_t>(c)].size(); ++b) {
        const UnixMicros seen = break_seen_[(static_cast<size_t>(c) * P + p) * breaks_per_channel_ + b];
        if (seen >= 0) pops_[p].ad_lag_us.Record(seen - breaks_[static_cast<size_t>(c)][b].cue_time);
      }
    }
  }
  if (options.progress) options.progress(1);
  json result = Result_();
  if (obs_ != nullptr) FinishObservations();
  return result;
}

// The rest of an observed run's record, after its result is taken (so recording changes no
// result): the run to every KV key's expiry and the probes, the deployment's description.
void World::FinishObservations() {
  fleet_->StopAll();
  std::vector<std::string> pop_names;
  for (const PopSpec& p : sc_.pops) pop_names.push_back(p.name);
  obs_->kv_expiry = ProbeKvExpiry(&sim_, *kv_, end_, pop_names);
  obs_->target = "sim:" + build_.name;
  obs_->scenario = sc_.name;
  obs_->kv_observed = true;
  obs_->decisions_observed = true;
  obs_->beacons_observed = true;
  obs_->reads_kv = build_.read_path != ReadPath::kCoordinatorOnly;
  obs_->ad_uri_prefix = "http://ads/";
  obs_->slate_uri = channels_[0].slate.uri;
  for (const RenditionConfig& a : channels_[0].alternates) {
    if (std::find(obs_->alternate_slate_uris.begin(), obs_->alternate_slate_uris.end(), a.slate.uri) ==
        obs_->alternate_slate_uris.end()) {
      obs_->alternate_slate_uris.push_back(a.slate.uri);
    }
  }
  std::vector<int64_t> calls;
  for (const PopMetrics& pm : pops_) calls.push_back(std::llround(pm.coordinator_calls));
  RecordRunEnd(*kv_, pop_names, fleet_->TotalStats(), fleet_->restarts(), origin_->fetches(), calls, obs_);
  // The checks judge one channel: the KV keys of channel 0 (its id at a key's end or before a ':').
  if (sc_.channels > 1) {
    const std::string id = channels_[0].channel_id();
    auto other = [&id](const std::string& key) {
      for (size_t at = key.find(id); at != std::string::npos; at = key.find(id, at + 1)) {
        const size_t end = at + id.size();
        if ((at == 0 || key[at - 1] == ':') && (end == key.size() || key[end] == ':')) return false;
      }
      return true;
    };
    std::erase_if(obs_->kv_puts, [&](const conformance::KvPut& p) { return other(p.key); });
    std::erase_if(obs_->kv_expiry, [&](const conformance::KvExpiryProbe& p) { return other(p.key); });
  }
}

json World::Result_() const {
  const size_t P = sc_.pops.size();
  const double dur_s = sc_.duration_s;
  // Disagreement over slots any response showed an ad in.
  int64_t ad_slots = 0, pop_disagree = 0, rend_slots = 0, rend_disagree = 0;
  for (size_t i = 0; i < pop_ad_.size(); ++i) {
    if (pop_ad_[i] == 0) continue;
    ++ad_slots;
    if (Disagree(pop_ad_[i], pop_noad_[i])) ++pop_disagree;
  }
  for (size_t i = 0; i < rend_ad_.size(); ++i) {
    if (rend_ad_[i] == 0) continue;
    ++rend_slots;
    if (Disagree(rend_ad_[i], rend_noad_[i])) ++rend_disagree;
  }
  json pops = json::array();
  const bool pop_traces = std::any_of(sc_.pops.begin(), sc_.pops.end(), [](const PopSpec& p) { return !p.trace.empty(); });
  for (size_t p = 0; p < P; ++p) {
    const PopMetrics& pm = pops_[p];
    int64_t due = 0, shown = 0;
    for (int c = 0; c < sc_.channels; ++c) {
      for (size_t b = 0; b < breaks_[static_cast<size_t>(c)].size(); ++b) {
        const TruthBreak& t = breaks_[static_cast<size_t>(c)][b];
        if (t.end_time > end_ || t.slots.empty()) continue;
        ++due;
        shown += break_seen_[(static_cast<size_t>(c) * P + p) * breaks_per_channel_ + b] >= 0 ? 1 : 0;
      }
    }
    const KvCluster::PopStats& ks = kv_->pop_stats(static_cast<int>(p));
    pops.push_back({{"name", sc_.pops[p].name},
                    {"latency_ms", HistSummary(pm.latency_us, 1e-3)},
                    {"kv_hit_rate", pm.kv_lookups > 0 ? json(pm.kv_hits / pm.kv_lookups) : json(nullptr)},
                    {"ad_visibility_lag_s", HistSummary(pm.ad_lag_us, 1e-6)},
                    {"viewer_ad_visibility_lag_s", HistSummary(pm.viewer_ad_lag_us, 1e-6)},
                    {"coordinator_calls", pm.coordinator_calls},
                    {"breaks_due", due},
                    {"breaks_never_shown", due - shown},
                    {"kv_model", {{"gets", ks.gets}, {"cache_hits", ks.cache_hits}, {"negative_hits", ks.negative_hits},
                                  {"read_throughs", ks.read_throughs}, {"lists", ks.lists},
                                  {"list_refreshes", ks.list_refreshes}, {"errors", ks.errors}}}});
    // Only with per-POP audience traces, so other scenarios keep their reports' bytes.
    if (pop_traces) pops.back()["viewers_over_time"] = Series(pm.viewer_seconds_series, nullptr);
  }
  json by_source = json::object();
  for (size_t k = 0; k < latency_by_source_.size(); ++k) {
    const Histogram& h = latency_by_source_[k];
    if (h.count() > 0) by_source[std::string(StateSourceName(static_cast<StateSource>(k)))] = HistSummary(h, 1e-3);
  }
  double peak_rate = 0, peak_queue = 0, rejected = 0, unavailable = 0;
  for (int c = 0; c < sc_.channels; ++c) {
    const auto& l = fleet_->load(c);
    peak_rate = std::max(peak_rate, l.peak_rate);
    peak_queue = std::max(peak_queue, l.peak_queue);
    rejected += l.rejected;
    unavailable += l.unavailable;
  }
  const CoordinatorStats cs = fleet_->TotalStats();
  const KvCluster::Stats& ks = kv_->stats();
  double peak_calls_s = 0;
  for (double v : coord_calls_series_.values()) peak_calls_s = std::max(peak_calls_s, v);
  const double kv_writes = static_cast<double>(ks.puts + ks.deletes);
  const double cost = kv_reads_ / 1e6 * sc_.cost.kv_read_usd_per_million +
                      kv_writes / 1e6 * sc_.cost.kv_write_usd_per_million +
                      coordinator_calls_ / 1e6 * sc_.cost.coordinator_request_usd_per_million;
  // Server-side beacons per break (SimBeacons): viewer-weighted counts per event, fired beside
  // expected (from what the cohorts were delivered) and duplicates.
  const auto unserved = beacons_.UnservedByBreak();
  json beacon_breaks = json::array();
  json beacon_totals = json::object(), expected_totals = json::object(), duplicate_totals = json::object();
  int64_t unserved_total = 0;
  for (std::string_view e : kBeaconEvents) {
    beacon_totals[std::string(e)] = expected_totals[std::string(e)] = duplicate_totals[std::string(e)] = 0;
  }
  auto add = [](json& total, const std::string& name, int64_t n) { total[name] = total[name].get<int64_t>() + n; };
  for (const auto& [key, k] : beacons_.by_break) {
    json row{{"channel", key.first}, {"event_id", key.second}};
    json cohort = json::object(), expected = json::object(), cohort_expected = json::object(),
         duplicates = json::object();
    for (size_t e = 0; e < kBeaconEvents.size(); ++e) {
      const std::string name(kBeaconEvents[e]);
      row[name] = k.viewers[e];
      cohort[name] = k.cohort_beacons[e];
      expected[name] = k.expected[e];
      cohort_expected[name] = k.cohort_expected[e];
      duplicates[name] = k.cohort_duplicates[e];
      add(beacon_totals, name, k.viewers[e]);
      add(expected_totals, name, k.expected[e]);
      add(duplicate_totals, name, k.cohort_duplicates[e]);
    }
    row["cohort_beacons"] = cohort;
    row["expected"] = expected;
    row["cohort_expected"] = cohort_expected;
    row["cohort_duplicates"] = duplicates;
    const auto u = unserved.find(key);
    row["cohort_unserved"] = u == unserved.end() ? 0 : u->second;
    unserved_total += row["cohort_unserved"].get<int64_t>();
    beacon_breaks.push_back(std::move(row));
  }
  json out = {
      {"build", build_.name},
      {"description", build_.description},
      {"defect", build_.is_defect()},
      {"requests", {{"cohort_requests", cohort_requests_}, {"reused_cohort_requests", reused_answers_}, {"viewer_requests", viewer_requests_},
                    {"errors", errors_}, {"viewer_seconds", viewer_seconds_},
                    {"mean_viewers", viewer_seconds_ / dur_s}, {"cohorts", cohorts_.size()},
                    {"viewers_over_time", Series(viewer_seconds_series_, nullptr)},
                    // Manifest requests per kind of playlist (variant, audio, subtitles) and the
                    // KV reads they made: the load a demuxed presentation adds (README.md).
                    {"by_kind", ByKind()}}},
      {"latency_ms", HistSummary(latency_us_, 1e-3)},
      {"latency_hist_us", latency_us_.ToJson()},
      {"latency_by_source_ms", by_source},
      {"kv", {{"hit_rate", kv_lookups_ > 0 ? json(kv_hits_ / kv_lookups_) : json(nullptr)},
              {"hit_rate_over_time", Series(kv_hits_series_, &kv_lookups_series_)},
              {"viewer_reads", kv_reads_},
              {"writes", ks.puts}, {"deletes", ks.deletes}, {"rejected_writes", ks.rejected_puts},
              {"invalid_writes", ks.invalid_puts}, {"failed_writes", ks.failed_writes},
              {"key_lifetime", {{"adbreak_puts", ks.adbreak_puts},
                                {"adbreak_ttl_is_floor_duration_plus_60", ks.adbreak_ttl_ok},
                                {"ttl_s", HistSummary(ks.put_ttl_s, 1)}}}}},
      {"coordinator", {{"calls", coordinator_calls_},
                       {"calls_per_s_mean", coordinator_calls_ / dur_s},
                       {"calls_per_s_peak", peak_calls_s},
                       {"calls_per_s_over_time", Series(coord_calls_series_, nullptr)},
                       {"peak_channel_rate_per_s", peak_rate},
                       {"peak_queue_model", peak_queue},
                       {"overload_rejections", rejected},
                       {"unavailable", unavailable},
                       {"restarts", fleet_->restarts()},
                       {"api_cues", {{"sent", api_cues_sent_}, {"acknowledged", api_cues_acknowledged_},
                                     {"failed", api_cues_failed_}, {"ack_ms", HistSummary(api_cue_ack_us_, 1e-3)},
                                     {"start_lead_s", HistSummary(api_cue_lead_us_, 1e-6)}}},
                       {"core", {{"operations", cs.operations}, {"max_queue_depth", cs.max_queue_depth},
                                 {"origin_fetches", cs.origin_fetches}, {"decision_requests", cs.decision_requests},
                                 {"decision_timeouts", cs.decision_timeouts}, {"kv_writes", cs.kv_writes},
                                 {"kv_write_failures", cs.kv_write_failures}, {"breaks_created", cs.breaks_created},
                                 {"kv_writes_deferred", cs.kv_writes_deferred}}}}},
      {"ads", {{"scheduled_ad_viewer_s", ad_seconds_.scheduled},
               {"missed_ad_viewer_s", ad_seconds_.missed},
               {"ghost_ad_viewer_s", ad_seconds_.ghost},
               {"missed_fraction", ad_seconds_.scheduled > 0 ? ad_seconds_.missed / ad_seconds_.scheduled : 0.0}}},
      {"disagreement", {{"ad_slots", ad_slots},
                        {"cross_pop", ad_slots > 0 ? static_cast<double>(pop_disagree) / ad_slots : 0.0},
                        {"rendition_slots", rend_slots},
                        {"cross_rendition", rend_slots > 0 ? static_cast<double>(rend_disagree) / rend_slots : 0.0}}},
      {"cost_usd", {{"total", cost}, {"per_hour", cost * 3600 / dur_s},
                    {"kv_reads", kv_reads_}, {"kv_writes", kv_writes}, {"coordinator_requests", coordinator_calls_}}},
      {"lint", {{"sample_every", sc_.lint_sample_every}, {"sampled", lint_sampled_},
                {"unparsable", lint_unparsable_}, {"with_errors", lint_with_errors_},
                {"findings", lint_findings_}, {"example", lint_example_}}},
      {"pops", pops},
      {"beacons", {{"fired", beacon_totals}, {"expected", expected_totals}, {"cohort_duplicates", duplicate_totals},
                   {"cohort_unserved", unserved_total}, {"by_break", beacon_breaks},
                   {"unattributed", beacons_.unattributed}}},
      {"sim", {{"events", sim_.events_run()}, {"virtual_s", dur_s}, {"origin_fetches", origin_->fetches()},
               {"decision_requests", decision_->requests()}}},
  };
  // The conformance scenario's parts, reported only when the scenario has them (so the reports of
  // other scenarios keep their bytes).
  if (!sc_.api_cues.empty()) {
    json& a = out["coordinator"]["api_cues"];
    a["duplicates"] = api_cue_duplicates_;
    a["stops"] = api_cue_stops_;
    a["refused"] = api_cues_refused_;
  }
  if (!sc_.faults.empty()) {
    out["ads"]["slate_ad_viewer_s"] = slate_viewer_s_;
    out["sim"]["decision_failures"] = decision_->failures();
  }
  return out;
}

}  // namespace

Result<CaptureTimeline> CaptureTimelineOf(std::shared_ptr<const SimCapture> capture, const Scenario& sc) {
  if (sc.origin.stream.renditions.empty()) return Status::InvalidArgument("scenario.origin.renditions: empty");
  CaptureTimeline tl;
  tl.capture = capture;
  const std::string path = "/" + sc.origin.stream.renditions.front().name + ".m3u8";
  const std::string where = "origin.capture " + capture->dir + " " + path;
  // The cue rendition's snapshots in order (each distinct reload once, as a player sees them).
  std::vector<hls::MediaPlaylist> reloads;
  std::vector<int64_t> offsets;
  std::string last_file;
  for (const origin::CaptureEntry* e : capture->replay.EntriesFor(path)) {
    if (!e->ok() || e->file == last_file) continue;
    last_file = e->file;
    Result<hls::MediaPlaylist> p = hls::ParseMedia(capture->bodies.find(e->file)->second);
    if (!p.ok() || p->segments().empty()) continue;
    reloads.push_back(std::move(p).value());
    offsets.push_back(e->offset_ms);
  }
  if (reloads.empty()) return Status::InvalidArgument(where + ": no snapshot with segments");
  // Stream time at capture offset 0: the first snapshot's live edge (end of its newest segment)
  // minus its offset. Needs PROGRAM-DATE-TIME (RFC 8216 §4.3.2.6): the core times breaks by it.
  const hls::MediaPlaylist& first = reloads.front();
  const size_t n = first.segments().size();
  std::optional<UnixMicros> last_start = first.SegmentStartTime(n - 1);
  std::optional<UnixMicros> first_start = first.SegmentStartTime(0);
  if (!last_start || !first_start) return Status::InvalidArgument(where + ": no PROGRAM-DATE-TIME");
  tl.segment_s = first.segments().back().duration_s();
  if (!(tl.segment_s >= 0.5 && tl.segment_s <= 60)) return Status::InvalidArgument(where + ": odd segment duration");
  const DurationMicros seg_us = SecondsToMicros(tl.segment_s);
  tl.stream_start = *last_start + seg_us - offsets.front() * kMicrosPerMilli;
  tl.msn0_start = *first_start - first.media_sequence() * seg_us;
  // Ground truth: the capture's own markers through the cue normalizer (cues/normalizer.h).
  const hls::MediaPlaylist& final_reload = reloads.back();
  const UnixMicros stream_end =
      final_reload.SegmentStartTime(final_reload.segments().size() - 1).value_or(tl.stream_start) + seg_us;
  std::map<std::string, std::pair<UnixMicros, UnixMicros>> by_id;  // event id -> [start, end)
  std::vector<std::string> order;
  for (const cues::BreakEvent& e : cues::NormalizeReloads(reloads).events) {
    auto it = by_id.find(e.event_id);
    switch (e.kind) {
      case cues::EventKind::kStart: {
        const UnixMicros end = e.duration_s ? e.splice_time + SecondsToMicros(*e.duration_s) : stream_end;
        if (it == by_id.end()) order.push_back(e.event_id);
        by_id[e.event_id] = {e.splice_time, end};
        break;
      }
      case cues::EventKind::kEnd:
        if (it != by_id.end()) it->second.second = e.splice_time;
        break;
      case cues::EventKind::kCancel:
        // Cancelled before it started: never a break; else it ends there.
        if (it != by_id.end()) it->second.second = std::max(it->second.first, std::min(it->second.second, e.splice_time));
        break;
    }
  }
  for (const std::string& id : order) {
    const auto& [start, end] = by_id[id];
    if (end > start) tl.truth.emplace_back(start, end);
  }
  std::sort(tl.truth.begin(), tl.truth.end());
  return tl;
}

Result<TsTimeline> TsTimelineOf(std::string bytes, const Scenario& sc) {
  if (sc.origin.stream.renditions.empty()) return Status::InvalidArgument("scenario.origin.renditions: empty");
  const std::string where = "origin.ts '" + sc.origin.ts + "': ";
  ts::TsPackagerOptions o;
  o.segment_s = sc.origin.stream.segment_duration_s;
  o.loop = true;
  o.flavour = sc.origin.stream.cue_flavour;
  o.window_segments = sc.origin.stream.window_segments;
  o.name = sc.origin.stream.renditions.front().name;
  Result<ts::TsPackager> packager = ts::TsPackager::Create(std::move(bytes), o);
  if (!packager.ok()) return Status::InvalidArgument(where + packager.status().message());
  // The run's MSN grid (LiveEdgeMsn, FirstSegmentAtOrAfter) assumes one segment duration.
  if (Status u = packager->CheckUniformSegments(sc.origin.stream.segment_duration_s); !u.ok()) {
    return Status::InvalidArgument(where + u.message());
  }
  TsTimeline tl;
  tl.packager = std::make_shared<const ts::TsPackager>(std::move(packager).value());
  const ts::TsPackager& p = *tl.packager;
  const int64_t k = static_cast<int64_t>(p.segments().size());
  // A loop starts when the viewers arrive: as many whole loops before it as cover the warm-up.
  const DurationMicros loop_us = p.SegmentStart(k, 0);
  const int64_t loops_before = (SecondsToMicros(sc.warmup_s) + loop_us - 1) / loop_us;
  tl.pdt_start = sc.start_time - p.SegmentStart(loops_before * k, 0);
  const UnixMicros run_end = sc.start_time + SecondsToMicros(sc.duration_s);
  for (int64_t l = 0; p.SegmentStart(l * k, tl.pdt_start) < run_end; ++l) {
    for (const ts::TsBreak& b : p.breaks()) {
      if (b.out_segment >= k) continue;  // placed by the loop it starts in
      const origin::ScheduledBreak brk = p.MarkedBreakOf(b, l, tl.pdt_start);
      // Judged while viewers watch: not the loops' breaks over before they arrive.
      if (brk.start_time >= run_end || brk.start_time + SecondsToMicros(brk.duration_s) <= sc.start_time) continue;
      tl.truth.push_back({brk.start_time, brk.start_time + SecondsToMicros(brk.duration_s)});
    }
  }
  std::sort(tl.truth.begin(), tl.truth.end(),
            [](const TsTimeline::Break& a, const TsTimeline::Break& b) { return a.start < b.start; });
  return tl;
}

namespace {

// What of a scenario the simulator does not run yet (issue 18: the conformance scenario's
// parts), refused by name rather than dropped.
Status CheckSimulated(const Scenario& sc, const RunOptions& options) {
  auto refuse = [](const std::string& what, const std::string& why) {
    return Status::InvalidArgument("scenario." + what + ": not simulated yet (" + why + "); ssai conform runs it");
  };
  if (!sc.decision.vast.tag.empty() && !options.decision_service) {
    return refuse("decision.vast", "VAST decisions come from the conformance harness's ad server: `ssai sim` brings it for "
                                   "a scenario the checks can judge (listed viewers, one channel)");
  }
  return Status::Ok();
}

}  // namespace

Result<nlohmann::json> RunBuild(const Scenario& scenario, const BuildSpec& build, uint64_t seed,
                                const RunOptions& options) {
  SSAI_RETURN_IF_ERROR(CheckSimulated(scenario, options));
  auto play = [&options](std::unique_ptr<World> world) -> Result<nlohmann::json> {
    world->set_options(options);
    SSAI_RETURN_IF_ERROR(world->Setup());
    return world->Run(options);
  };
  if (!scenario.origin.ts.empty()) {
    Result<std::string> bytes = io::ReadFileToString(scenario.origin.ts, ts::kMaxScenarioTsBytes);
    if (!bytes.ok()) return bytes.status().WithContext("origin.ts");
    SSAI_ASSIGN_OR_RETURN(TsTimeline tl, TsTimelineOf(std::move(bytes).value(), scenario));
    return play(std::make_unique<World>(scenario, build, seed, nullptr, &tl));
  }
  if (scenario.origin.capture.empty()) return play(std::make_unique<World>(scenario, build, seed));
  // Capture replay: virtual time is the capture's stream time (so PDTs, break times and the
  // clock agree); the simulation starts at capture offset 0 and viewers warmup_s later.
  SSAI_ASSIGN_OR_RETURN(std::shared_ptr<const SimCapture> capture, LoadSimCapture(scenario.origin.capture));
  SSAI_ASSIGN_OR_RETURN(CaptureTimeline tl, CaptureTimelineOf(capture, scenario));
  Scenario sc = scenario;
  sc.start_time = tl.stream_start + SecondsToMicros(sc.warmup_s);
  sc.origin.stream.segment_duration_s = tl.segment_s;
  return play(std::make_unique<World>(sc, build, seed, &tl));
}

}  // namespace ssai::sim
