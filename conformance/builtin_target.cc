#include "conformance/builtin_target.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <memory>
#include <utility>

#include <nlohmann/json.hpp>

#include "conformance/http_target.h"
#include "conformance/player_choice.h"
#include "conformance/probes.h"
#include "conformance/sgai_assets.h"
#include "conformance/sim_target.h"
#include "conformance/vast_harness.h"
#include "reference/base/strings.h"
#include "reference/ssai/coordinator.h"
#include "reference/server/services.h"
#include "reference/server/vast_decision.h"
#include "reference/ssai/manifest_path.h"
#include "reference/ssai/vast_pod.h"
#include "simulator/kernel.h"
#include "simulator/models.h"
#include "world/faults.h"

namespace ssai::conformance {

namespace {

// The scenario's fixed values as the simulator's distributions.
sim::Distribution FixedMs(double ms) { return sim::Distribution::Fixed(ms); }

// The KV the builtin deployment runs on: the simulator's model (sim::KvCluster) with the
// scenario's values: each POP's propagation, read latency and cache (SetPopSettings, below), the
// writer's (the coordinator's location, pop -1) commit and read latency kv_write_latency_ms, lists
// as of kv_list_staleness_s ago (0: fresh on every call, as the server's stores behind `serve:`),
// and the model's Workers-KV rules: the 1 write/s/key limit, the 60 s TTL floor, cacheTtl at
// least 30 s, misses cached.
sim::KvSpec BuiltinKvSpec(const Scenario& s) {
  sim::KvSpec k;
  k.list_staleness_s = s.kv_list_staleness_s;
  k.cache_ttl_s = s.kv_cache_ttl_s;
  k.write_latency = FixedMs(s.kv_write_latency_ms);
  k.hot_read = FixedMs(s.kv_write_latency_ms);
  k.cold_read = FixedMs(s.kv_write_latency_ms);
  k.propagation = FixedMs(0);
  return k;
}

// CMAF origins (issue 14) get fMP4 ads and slate, each with its own init segment, as an ad
// preparation service transcodes ads to the content's profile.
std::string SlateUri(const Scenario& s) {
  return std::string(kBuiltinAdBase) + (CmafOrigin(s) ? "slate/slate.m4s" : "slate/slate.ts");
}

std::string AdPlaylistUrl(const std::string& ad, int64_t bps) {
  return std::string(kBuiltinAdBase) + ad + "/" + std::to_string(bps) + ".m3u8";
}

// Demuxed renditions (issue 14; URI templates in reference/ssai/README.md): the ad's audio per
// language, the audio slate (silence) and the blank WebVTT segment subtitles show during breaks.
std::string AdAudioUrl(const std::string& ad, const std::string& language) {
  return std::string(kBuiltinAdBase) + ad + "/audio_" + language + ".m3u8";
}
std::string AudioSlateUri(const Scenario& s) {
  return std::string(kBuiltinAdBase) + (CmafOrigin(s) ? "slate/slate_audio.m4s" : "slate/slate_audio.aac");
}
std::string BlankSubtitlesUri() { return std::string(kBuiltinAdBase) + "slate/blank.vtt"; }

// The origin: the synthetic origin's playlists at the scheduler's time (post-processed as the
// scenario says), the ad media playlists (VOD, one per ad and bitrate, conditioned to the
// channel's segment duration) and nothing else.
class ScenarioOrigin : public OriginClient {
 public:
  ScenarioOrigin(const Scenario* scenario, Scheduler* sched) : scenario_(scenario), sched_(sched) {
    for (const AdSpec& ad : scenario->decision.ads) {
      for (const origin::Rendition& r : scenario->origin.renditions) {
        ads_[AdPlaylistUrl(ad.id, r.bandwidth_bps)] = AdMediaPlaylist(
            *scenario, ad, r.bandwidth_bps, std::string(kBuiltinAdBase) + ad.id + "/" + std::to_string(r.bandwidth_bps));
      }
      if (scenario->origin.audio.empty()) continue;
      for (const std::string& lang : AdAudioLanguages(*scenario, ad)) {
        ads_[AdAudioUrl(ad.id, lang)] =
            AdAudioPlaylist(*scenario, ad, lang, std::string(kBuiltinAdBase) + ad.id + "/audio_" + lang);
      }
    }
  }

  void Fetch(std::string_view url, Callback done) override {
    ++fetches;
    const std::string_view base = kBuiltinOriginBase;
    if (url.substr(0, base.size()) == base && url.size() > base.size() + 5 &&
        url.substr(url.size() - 5) == ".m3u8") {
      const std::string name(url.substr(base.size(), url.size() - base.size() - 5));
      if (const origin::Rendition* r = origin::FindRendition(scenario_->origin, name)) {
        return done(Response{200, OriginPlaylistAt(*scenario_, *r, sched_->Now())});
      }
      bool subtitles = false;
      if (const origin::AlternateRendition* a = origin::FindAlternate(scenario_->origin, name, &subtitles)) {
        return done(Response{200, OriginAlternatePlaylistAt(*scenario_, *a, subtitles, sched_->Now())});
      }
    }
    auto it = ads_.find(std::string(url));
    if (it != ads_.end()) return done(Response{200, it->second});
    done(Response{404, ""});
  }

  int64_t fetches = 0;

 private:
  const Scenario* scenario_;
  Scheduler* sched_;
  std::map<std::string, std::string> ads_;
};

// The decision service as the scenario describes it: the scenario's pod after its fixed latency,
// or a failure after it, or no answer at all (a hang; the callback is kept, never called). The
// `decision` fault switches the behaviour at run time. (The simulator's SimDecision draws its own
// pod and failures from a rate; the checks need the scenario's exact ads and a hang.)
class ScenarioDecision : public DecisionClient {
 public:
  explicit ScenarioDecision(Scheduler* sched) : sched_(sched) {}
  void Decide(const Request& /*request*/, Callback done) override {
    switch (behaviour) {
      case DecisionBehaviour::kAnswer:
        sched_->RunAfter(latency, [done = std::move(done), d = decision]() mutable { done(std::move(d)); });
        return;
      case DecisionBehaviour::kFail:
        sched_->RunAfter(latency, [done = std::move(done)] { done(Status::Unavailable("decision service failed")); });
        return;
      case DecisionBehaviour::kHang:
        hung_.push_back(std::move(done));
        return;
    }
  }
  AdDecision decision;
  DecisionBehaviour behaviour = DecisionBehaviour::kAnswer;
  DurationMicros latency = 0;

 private:
  Scheduler* sched_;
  std::vector<Callback> hung_;
};

// One POP's way to the coordinator: half the round trip there, the other half back (the scenario's
// fixed coordinator_rtt_ms; the coordinator_rtt fault changes it). The coordinator itself is the
// real one, behind `inner` (swapped on a restart). No load model: a conformance scenario has a
// handful of viewers (the simulator's CoordinatorFleet models queueing for thousands).
class RttLink : public CoordinatorClient {
 public:
  RttLink(Scheduler* sched, CoordinatorClient* inner, DurationMicros rtt) : sched_(sched), inner_(inner), rtt_(rtt) {}
  void GetChannelState(std::string_view channel_id, StateCallback done) override {
    ++calls;
    const DurationMicros back = rtt_ - rtt_ / 2;
    sched_->RunAfter(rtt_ / 2, [this, id = std::string(channel_id), done = std::move(done), back]() mutable {
      inner_->GetChannelState(id, [this, done = std::move(done), back](Result<ChannelState> r) mutable {
        sched_->RunAfter(back, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
      });
    });
  }
  void set_rtt(DurationMicros rtt) { rtt_ = rtt; }
  int64_t calls = 0;

 private:
  Scheduler* sched_;
  CoordinatorClient* inner_;
  DurationMicros rtt_;
};

// Records every decision request, then lets the scenario's decision service answer (or fail, or hang).
class RecordingDecision : public DecisionClient {
 public:
  RecordingDecision(Scheduler* sched, DecisionClient* inner, Observations* obs)
      : sched_(sched), inner_(inner), obs_(obs) {}
  void Decide(const Request& request, Callback done) override {
    obs_->decision_requests.push_back({sched_->Now(), request.event_id, request.duration_s});
    inner_->Decide(request, std::move(done));
  }

 private:
  Scheduler* sched_;
  DecisionClient* inner_;
  Observations* obs_;
};

// Server-side tracking (beacons.h): what the edges fire, as the ad server would record it.
class RecordingBeacons : public BeaconSink {
 public:
  RecordingBeacons(Scheduler* sched, Observations* obs) : sched_(sched), obs_(obs) {}
  void Fire(Beacon b) override {
    obs_->beacons.push_back({sched_->Now(), std::move(b.session), std::move(b.event_id), std::move(b.ad_id),
                             std::move(b.event), std::move(b.url)});
  }

 private:
  Scheduler* sched_;
  Observations* obs_;
};

// The edges' way to the coordinator; swapped on a restart.
class SwitchCoordinatorClient : public CoordinatorClient {
 public:
  void GetChannelState(std::string_view channel_id, StateCallback done) override {
    if (current == nullptr) return done(Status::Unavailable("coordinator restarting"));
    current->GetChannelState(std::move(done));
  }
  Coordinator* current = nullptr;
};

class Harness : private world::FaultSink {
 public:
  Harness(const BuildSpec& build, const Scenario& scenario)
      : build_(build),
        scenario_(scenario),
        // Warm-up (the simulator's warmup_s): the coordinator starts, writes KV and heartbeats
        // this long before the scenario's start, where the first viewers may join.
        sched_(scenario.origin.start_time - SecondsToMicros(scenario.warmup_s)),
        // The coordinator's strongly consistent storage: the simulator's, answering at once (the
        // scenario gives no storage latency; the output gate then costs nothing, as before).
        durable_(&sched_, sim::Distribution::Fixed(0), sim::Rng(1)),
        origin_(&scenario, &sched_),
        decision_service_(&sched_),
        vast_decision_(&sched_, &scenario, &build, AdPlaylistUrl),
        decision_(&sched_, scenario.decision.vast.tag.empty() ? static_cast<DecisionClient*>(&decision_service_)
                                                               : &vast_decision_,
                  &obs_),
        beacons_(&sched_, &obs_) {}

  Result<Observations> Run();

 private:
  struct Pop {
    PopSpec spec;
    int index = 0;  // the POP's location in kv_
    KvStore* kv = nullptr;
    std::unique_ptr<RttLink> coordinator;
    std::unique_ptr<ManifestPath> edge;
  };

  void StartCoordinator();
  void Request(Pop* pop, const std::string& viewer, const std::string& file, const std::string& rendition,
               InsertionMode mode, int64_t reload);
  void ScheduleViewer(Pop* pop, const std::string& viewer, UnixMicros join, UnixMicros leave,
                      std::vector<std::string> renditions, InsertionMode mode);
  struct Viewer {
    Pop* pop;
    std::string name;
    UnixMicros leave;
    std::vector<std::string> renditions;
    InsertionMode mode;
  };
  void Reload(Viewer* v, int64_t n);
  void FetchSgaiAssetsOf(Pop* pop, const Fetch& f, InsertionMode mode, const std::string& session);
  std::map<std::string, std::set<std::string>> sgai_seen_;  // per viewer: interstitials fetched
  void RunApiProbes();
  void SendCue(const ApiCueSpec& cue, int spec_index);
  // world::FaultSink: the scenario's faults (world/faults.h schedules them) on this harness's models.
  void RestartCoordinator() override;
  void SetDecisionBehaviour(DecisionBehaviour behaviour) override { decision_service_.behaviour = behaviour; }
  void SetKvPropagation(int pop, double delay_s) override {
    kv_->SetPropagation(pops_[static_cast<size_t>(pop)].index, FixedMs(delay_s * 1000));
  }
  void SetCoordinatorRtt(int pop, double rtt_ms) override {
    pops_[static_cast<size_t>(pop)].coordinator->set_rtt(SecondsToMicros(rtt_ms / 1000));
  }
  void DrainAndProbeExpiry(UnixMicros viewers_end, const std::vector<std::string>& pop_names);
  Pop* FindPop(const std::string& name) {
    for (Pop& p : pops_) {
      if (p.spec.name == name) return &p;
    }
    return nullptr;
  }

  const BuildSpec& build_;
  const Scenario& scenario_;
  Observations obs_;
  sim::Simulation sched_;
  std::unique_ptr<sim::KvCluster> kv_;  // built once the POPs are known
  sim::SimDurableStore durable_;
  ScenarioOrigin origin_;
  ScenarioDecision decision_service_;
  HarnessVastDecision vast_decision_;
  RecordingDecision decision_;
  RecordingBeacons beacons_;
  ChannelConfig channel_;
  SwitchCoordinatorClient switch_;
  std::vector<std::unique_ptr<Coordinator>> coordinators_;  // the last is current; older ones stopped
  std::vector<Pop> pops_;
  std::vector<std::unique_ptr<Viewer>> viewers_;
  int64_t restarts_ = 0;
};

void Harness::StartCoordinator() {
  CoordinatorEnv env{&sched_, kv_->Location(-1), &durable_, &origin_, &decision_};
  CoordinatorOptions base;
  base.decision_timeout_us = SecondsToMicros(scenario_.decision_timeout_s);
  coordinators_.push_back(std::make_unique<Coordinator>(channel_, env, CoordinatorOptionsFor(build_, base)));
  Coordinator* c = coordinators_.back().get();
  switch_.current = c;
  c->Start([this](Status s) {
    if (!s.ok()) ++obs_.stats["coordinator_start_failures"];
  });
}

void Harness::Request(Pop* pop, const std::string& viewer, const std::string& file, const std::string& rendition,
                      InsertionMode mode, int64_t reload) {
  const size_t index = obs_.fetches.size();
  Fetch f;
  f.pop = pop->spec.name;
  f.viewer = viewer;
  f.rendition = rendition;
  const std::string session = SessionOfViewer(viewer);
  f.url = "/" + std::string(kBuiltinOrg) + "/" + kBuiltinChannel + "/" + file + "?session=" + session +
          (mode == InsertionMode::kSgai ? "&mode=sgai" : "");
  f.mode = mode;
  f.request_time = sched_.Now();
  f.reload = reload;
  if (const origin::Rendition* r = origin::FindRendition(scenario_.origin, rendition)) {
    f.bandwidth_bps = r->bandwidth_bps;
    f.origin_body = OriginPlaylistAt(scenario_, *r, sched_.Now());
  } else if (bool subtitles = false; !rendition.empty()) {
    if (const origin::AlternateRendition* a = origin::FindAlternate(scenario_.origin, rendition, &subtitles)) {
      f.alternate = subtitles ? "subtitles" : "audio";
      f.origin_body = OriginAlternatePlaylistAt(scenario_, *a, subtitles, sched_.Now());
    }
  }
  obs_.fetches.push_back(std::move(f));
  ManifestRequest req{kBuiltinOrg, kBuiltinChannel, file, mode, session};
  pop->edge->Handle(req, [this, index, pop, mode, session](ManifestResponse r) {
    Fetch& out = obs_.fetches[index];
    out.response_time = sched_.Now();
    out.http_status = r.http_status;
    out.body = std::move(r.body);
    out.state_source = std::string(StateSourceName(r.source));
    out.event_id = r.event_id;
    if (mode == InsertionMode::kSgai) FetchSgaiAssetsOf(pop, obs_.fetches[index], mode, session);
  });
}

// Issue 16: an SGAI viewer fetches each new interstitial's asset list and assets: our paths from
// the same edge, the ad server's from the origin (sgai_assets.h).
void Harness::FetchSgaiAssetsOf(Pop* pop, const Fetch& f, InsertionMode mode, const std::string& session) {
  const std::string ours = "/" + std::string(kBuiltinOrg) + "/" + kBuiltinChannel + "/";
  AssetFetcher fetch = [this, pop, mode, session, ours](const std::string& url, std::function<void(int, std::string)> done) {
    if (url.starts_with(ours)) {
      const std::string file = url.substr(ours.size(), url.find_first_of("?#") == std::string::npos
                                                           ? std::string::npos
                                                           : url.find_first_of("?#") - ours.size());
      ManifestRequest req{kBuiltinOrg, kBuiltinChannel, file, mode, session};
      return pop->edge->Handle(req, [done](ManifestResponse r) { done(r.http_status, std::move(r.body)); });
    }
    origin_.Fetch(url, [done](Result<OriginClient::Response> r) {
      if (!r.ok()) return done(0, "");
      done(r->http_status, std::move(r->body));
    });
  };
  FetchSgaiAssets(f, &sgai_seen_[f.viewer], fetch, [this](SgaiAssetRecord rec) { obs_.sgai_assets.push_back(std::move(rec)); });
}

void Harness::ScheduleViewer(Pop* pop, const std::string& viewer, UnixMicros join, UnixMicros leave,
                             std::vector<std::string> renditions, InsertionMode mode) {
  viewers_.push_back(std::make_unique<Viewer>(Viewer{pop, viewer, leave, std::move(renditions), mode}));
  Viewer* v = viewers_.back().get();
  sched_.RunAt(join, [this, v] {
    Request(v->pop, v->name, "master.m3u8", "", v->mode, 0);
    Reload(v, 1);
  });
}

void Harness::Reload(Viewer* v, int64_t n) {
  if (sched_.Now() >= v->leave) return;
  for (const std::string& r : v->renditions) Request(v->pop, v->name, r + ".m3u8", r, v->mode, n);
  // RFC 8216 §6.3.4: reload no sooner than the target duration after the last load.
  const DurationMicros period = origin::TargetDurationSeconds(scenario_.origin) * kMicrosPerSecond;
  sched_.RunAt(sched_.Now() + period, [this, v, n] { Reload(v, n + 1); });
}

void Harness::RunApiProbes() {
  RunCueProbesInProcess(
      kBuiltinOrg, kBuiltinChannel,
      [this](const CueRequest& r, std::function<void(Result<CueResult>)> done) { switch_.current->Cue(r, std::move(done)); },
      &obs_);
}

void Harness::SendCue(const ApiCueSpec& cue, int spec_index) {
  CueApiRecord rec;
  rec.stop = cue.stop;
  rec.time = sched_.Now();
  rec.body = world::CueBody(cue, kBuiltinOrg, kBuiltinChannel);
  rec.expect_duplicate = cue.expect_duplicate;
  rec.spec_index = spec_index;
  Result<CueRequest> parsed = ParseCueRequest(rec.body);
  if (!parsed.ok()) {
    rec.error = parsed.status().message();
    obs_.cues.push_back(std::move(rec));
    return;
  }
  const size_t index = obs_.cues.size();
  obs_.cues.push_back(std::move(rec));
  switch_.current->Cue(*parsed, [this, index](Result<CueResult> r) { obs_.cues[index].SetAnswer(r); });
}

void Harness::RestartCoordinator() {
  // Destroy-and-recreate on the same durable store. The old object is stopped and detached (its
  // in-memory state is gone for everyone) but kept allocated until the run ends, so completions
  // already scheduled for it stay safe.
  coordinators_.back()->Stop();
  ++restarts_;
  StartCoordinator();
}

void Harness::DrainAndProbeExpiry(UnixMicros viewers_end, const std::vector<std::string>& pop_names) {
  sched_.RunUntil(viewers_end);
  coordinators_.back()->Stop();
  obs_.kv_expiry = sim::ProbeKvExpiry(&sched_, *kv_, viewers_end, pop_names);
}

Result<Observations> Harness::Run() {
  obs_.target = "builtin:" + build_.name;
  obs_.scenario = scenario_.name;
  obs_.kv_observed = true;
  obs_.decisions_observed = true;
  obs_.beacons_observed = true;
  obs_.reads_kv = build_.read_path != ReadPath::kCoordinatorOnly;
  obs_.ad_uri_prefix = kBuiltinAdBase;
  obs_.slate_uri = SlateUri(scenario_);

  const double seg_s = MicrosToSeconds(origin::SegmentDurationMicros(scenario_.origin));
  channel_.org = kBuiltinOrg;
  channel_.channel = kBuiltinChannel;
  for (const origin::Rendition& r : scenario_.origin.renditions) {
    channel_.renditions.push_back(
        {r.name, r.bandwidth_bps, std::string(kBuiltinOriginBase) + r.name + ".m3u8", r.codecs, r.resolution});
  }
  // Demuxed renditions (issue 14), spliced in lockstep with the variants.
  for (const origin::AlternateRendition& a : scenario_.origin.audio) {
    RenditionConfig r{a.id, 0, std::string(kBuiltinOriginBase) + a.id + ".m3u8"};
    r.kind = RenditionKind::kAudio;
    r.group_id = "aud";
    r.language = a.language;
    r.is_default = a.is_default;
    r.slate = {AudioSlateUri(scenario_), 0, {}};
    if (CmafOrigin(scenario_)) r.slate.media.map = "URI=\"" + std::string(kBuiltinAdBase) + "slate/init_audio.mp4\"";
    channel_.alternates.push_back(std::move(r));
  }
  for (const origin::AlternateRendition& a : scenario_.origin.subtitles) {
    RenditionConfig r{a.id, 0, std::string(kBuiltinOriginBase) + a.id + ".m3u8"};
    r.kind = RenditionKind::kSubtitles;
    r.group_id = "sub";
    r.language = a.language;
    r.is_default = a.is_default;
    r.slate = {BlankSubtitlesUri(), 0, {}};
    channel_.alternates.push_back(std::move(r));
  }
  if (!scenario_.origin.audio.empty()) obs_.alternate_slate_uris.push_back(AudioSlateUri(scenario_));
  if (!scenario_.origin.subtitles.empty()) obs_.alternate_slate_uris.push_back(BlankSubtitlesUri());
  channel_.default_mode = scenario_.mode;
  channel_.slate = {SlateUri(scenario_), seg_s};
  if (CmafOrigin(scenario_)) channel_.slate.media.map = "URI=\"" + std::string(kBuiltinAdBase) + "slate/init.mp4\"";
  channel_.default_pod_id = scenario_.decision.pod_id;

  decision_service_.latency = SecondsToMicros(scenario_.decision.latency_ms / 1000);
  decision_service_.decision.pod_id = scenario_.decision.pod_id;
  for (const AdSpec& ad : scenario_.decision.ads) {
    AdItem item{ad.id, ad.duration_s, {}};
    if (ad.segment_duration_s > 0) {
      item.segment_duration_s = ad.segment_duration_s;
      // A pod of creatives carries server-side tracking (beacons.h), as a VAST ad server's does.
      for (std::string_view e : kBeaconEvents) {
        item.tracking[std::string(e)] = {std::string(kBuiltinAdBase) + "track/" + ad.id + "/" + std::string(e)};
      }
    }
    std::vector<int64_t> bitrates;
    for (const origin::Rendition& r : scenario_.origin.renditions) bitrates.push_back(r.bandwidth_bps);
    std::sort(bitrates.begin(), bitrates.end());
    bitrates.erase(std::unique(bitrates.begin(), bitrates.end()), bitrates.end());
    for (int64_t bps : bitrates) item.variants.push_back({bps, AdPlaylistUrl(ad.id, bps)});
    if (!scenario_.origin.audio.empty()) {
      for (const std::string& lang : AdAudioLanguages(scenario_, ad)) item.audio.push_back({lang, AdAudioUrl(ad.id, lang)});
    }
    decision_service_.decision.items.push_back(std::move(item));
  }
  SetDecisionBehaviour(scenario_.decision.behaviour);

  // One KV location per POP with the scenario's fixed values; the KV draws nothing at random, so
  // the seed below only names the stream.
  kv_ = std::make_unique<sim::KvCluster>(&sched_, BuiltinKvSpec(scenario_), static_cast<int>(scenario_.pops.size()),
                                         sim::Rng(1), sched_.Now());
  kv_->set_record_puts(true);
  for (size_t i = 0; i < scenario_.pops.size(); ++i) {
    const PopSpec& ps = scenario_.pops[i];
    sim::KvCluster::PopSettings settings;
    settings.propagation = FixedMs(ps.kv_propagation_s * 1000);
    settings.read_latency = FixedMs(ps.kv_latency_ms);
    settings.honour_cache_ttl = ps.kv_cache;
    kv_->SetPopSettings(static_cast<int>(i), std::move(settings));
  }

  StartCoordinator();
  sched_.RunUntil(sched_.Now());

  for (size_t i = 0; i < scenario_.pops.size(); ++i) {
    Pop pop;
    pop.spec = scenario_.pops[i];
    pop.index = static_cast<int>(i);
    pop.kv = kv_->Location(pop.index);
    pop.coordinator = std::make_unique<RttLink>(&sched_, &switch_, SecondsToMicros(pop.spec.coordinator_rtt_ms / 1000));
    pops_.push_back(std::move(pop));
  }
  ManifestPathOptions edge_options;
  edge_options.kv_cache_ttl_s = scenario_.kv_cache_ttl_s;
  for (Pop& pop : pops_) {
    pop.edge = std::make_unique<ManifestPath>(
        build_, std::vector<ChannelConfig>{channel_},
        ManifestPathEnv{&sched_, pop.kv, pop.coordinator.get(), &origin_, nullptr, &beacons_}, edge_options);
  }

  const UnixMicros end = scenario_.At(scenario_.duration_s);
  // A player of a demuxed presentation loads one audio and one subtitle rendition with its
  // variants (issue 14), chosen from the multivariant playlist by the rule every harness viewer
  // uses (player_choice.h; the edge lists the origin's renditions under the origin's names).
  const std::string master_url = std::string(kBuiltinOriginBase) + "master.m3u8";
  Result<hls::MasterPlaylist> master = hls::ParseMaster(origin::MasterPlaylist(scenario_.origin));
  int viewer_number = 0;
  for (const ViewerSpec& v : scenario_.viewers) {
    Pop* pop = FindPop(v.pop);
    std::vector<std::string> renditions = v.renditions;
    if (renditions.empty()) {
      for (const origin::Rendition& r : scenario_.origin.renditions) renditions.push_back(r.name);
    }
    for (int k = 0; k < v.count; ++k) {
      const UnixMicros join = scenario_.At(v.JoinOfCopyS(k));
      const UnixMicros leave = v.leave_s ? std::min(end, scenario_.At(*v.leave_s)) : end;
      std::vector<std::string> loads = renditions;
      if (master.ok()) {
        if (std::optional<PlayerChoice> c =
                ChoosePlayerRenditions(*master, master_url, renditions.empty() ? "" : renditions.front(), viewer_number)) {
          if (c->audio) loads.push_back(c->audio->name);
          if (c->subtitles) loads.push_back(c->subtitles->name);
        }
      }
      ScheduleViewer(pop, pop->spec.name + "/v" + std::to_string(viewer_number++), join, leave, loads,
                     v.mode.value_or(scenario_.mode));
    }
  }
  for (size_t i = 0; i < scenario_.api_cues.size(); ++i) {
    const ApiCueSpec& c = scenario_.api_cues[i];
    sched_.RunAt(scenario_.At(c.at_s), [this, c, i] { SendCue(c, static_cast<int>(i)); });
  }
  std::vector<std::string> pop_names;
  for (const Pop& p : pops_) pop_names.push_back(p.spec.name);
  SSAI_RETURN_IF_ERROR(world::ScheduleFaults(&sched_, scenario_.At(0), scenario_.faults, pop_names, this));
  if (scenario_.api_probes) sched_.RunAt(scenario_.At(1), [this] { RunApiProbes(); });

  DrainAndProbeExpiry(end, pop_names);

  if (!scenario_.decision.vast.tag.empty()) vast_decision_.Collect(&obs_, scenario_.origin.start_time);
  std::vector<int64_t> calls;
  for (const Pop& p : pops_) calls.push_back(p.coordinator->calls);
  sim::RecordRunEnd(*kv_, pop_names, coordinators_.back()->stats(), restarts_, origin_.fetches, calls, &obs_);
  return std::move(obs_);
}

}  // namespace

Result<Observations> BuiltinTarget::Run(const Scenario& scenario, const Profile& /*profile*/) {
  // The deployment does not depend on the profile: thresholds only matter to the checks.
  auto harness = std::make_unique<Harness>(build_, scenario);
  return harness->Run();
}

Result<std::vector<std::unique_ptr<Target>>> MakeTargets(std::string_view spec, const TargetOptions& options) {
  std::vector<std::unique_ptr<Target>> out;
  // builtin:BUILDS runs the conformance harness's deployment, sim:BUILDS the simulator's run
  // (sim_target.h); the same build lists.
  const bool simulated = spec.rfind("sim:", 0) == 0;
  if (spec.rfind("builtin:", 0) == 0 || simulated) {
    auto make = [simulated](const BuildSpec& b) -> std::unique_ptr<Target> {
      if (simulated) return std::make_unique<SimTarget>(b);
      return std::make_unique<BuiltinTarget>(b);
    };
    const std::string_view build = spec.substr(simulated ? 4 : 8);
    // A comma-separated list: builtin:kv-hybrid,defect-ignore-end. "all" is the correct builds
    // (as in `ssai sim`), "all+defects" every build, defect builds too.
    size_t start = 0;
    while (start <= build.size()) {
      size_t comma = build.find(',', start);
      if (comma == std::string_view::npos) comma = build.size();
      const std::string_view name = build.substr(start, comma - start);
      start = comma + 1;
      if (name == "all" || name == "all+defects") {
        for (const BuildSpec& b : AllBuilds()) {
          if (!b.is_defect() || name == "all+defects") out.push_back(make(b));
        }
        continue;
      }
      const BuildSpec* b = FindBuild(name);
      if (b == nullptr) {
        return Status::NotFound("unknown build '" + std::string(name) +
                                "' (see `ssai conform --list-builds`, or builtin:all, builtin:all+defects, sim:all)");
      }
      out.push_back(make(*b));
    }
    return out;
  }
  if (spec.rfind("serve:", 0) == 0) {
    Result<std::unique_ptr<Target>> t = MakeServeTarget(spec.substr(6));
    if (!t.ok()) return t.status();
    out.push_back(std::move(t).value());
    return out;
  }
  if (spec == "http") {
    Result<std::unique_ptr<Target>> t = MakeHttpTarget(options.target_profile);
    if (!t.ok()) return t.status();
    out.push_back(std::move(t).value());
    return out;
  }
  if (spec == "observe") {
    Result<std::unique_ptr<Target>> t = MakeObserveTarget(options.target_profile, options.live);
    if (!t.ok()) return t.status();
    out.push_back(std::move(t).value());
    return out;
  }
  return Status::InvalidArgument("target '" + std::string(spec) +
                                 "': expected builtin:BUILD, builtin:all, builtin:all+defects, sim:BUILD (the same lists), "
                                 "serve:BUILD, http or "
                                 "observe (with --target-profile)");
}

}  // namespace ssai::conformance
