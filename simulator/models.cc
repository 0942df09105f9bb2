#include "simulator/models.h"

#include <algorithm>
#include <cmath>

#include "reference/io/files.h"
#include "reference/media/hls/vod_playlist.h"
#include "reference/ssai/adbreak_state.h"
#include "reference/ssai/kv_limits.h"
#include "world/ad_server.h"
#include "world/early_cue_in.h"

namespace ssai::sim {

// ============================================================================================
// KV
// ============================================================================================

class KvCluster::View : public KvStore {
 public:
  View(KvCluster* cluster, int pop) : cluster_(cluster), pop_(pop) {}
  void Get(std::string_view key, const GetOptions& options, GetCallback done) override {
    cluster_->Get(pop_, key, options, std::move(done));
  }
  void Put(std::string_view key, std::string value, int64_t ttl_s, DoneCallback done) override {
    cluster_->Put(pop_, key, std::move(value), ttl_s, std::move(done));
  }
  void List(std::string_view prefix, ListCallback done) override {
    cluster_->List(pop_, prefix, std::move(done));
  }
  void Delete(std::string_view key, DoneCallback done) override {
    cluster_->Delete(pop_, key, std::move(done));
  }

 private:
  KvCluster* cluster_;
  int pop_;
};

KvCluster::KvCluster(Scheduler* sim, const KvSpec& spec, int pops, Rng rng, UnixMicros windows_t0)
    : sim_(sim), spec_(spec), pops_(pops), rng_(std::move(rng)), t0_(windows_t0),
      cache_(pops), lists_(pops), pop_stats_(pops) {
  for (int i = -1; i < pops; ++i) views_.push_back(std::make_unique<View>(this, i));
}

KvCluster::~KvCluster() = default;

KvStore* KvCluster::Location(int pop) { return views_[static_cast<size_t>(pop + 1)].get(); }

DurationMicros KvCluster::Latency(const Distribution& d, int pop) {
  DurationMicros us = pop < 0 || pop_settings_.empty() || !pop_settings_[static_cast<size_t>(pop)].read_latency
                          ? d.SampleUs(rng_)
                          : pop_settings_[static_cast<size_t>(pop)].read_latency->SampleUs(rng_);
  const DurationMicros t = sim_->Now() - t0_;
  for (const Window& w : spec_.latency_spikes) {
    if (w.Contains(t) && (w.pop < 0 || w.pop == pop)) us += static_cast<DurationMicros>(w.extra_ms * 1000);
  }
  return us;
}

bool KvCluster::Down() const {
  const DurationMicros t = sim_->Now() - t0_;
  for (const Window& w : spec_.outages) {
    if (w.Contains(t)) return true;
  }
  return false;
}

bool KvCluster::Partitioned(int pop) const {
  if (pop < 0) return false;
  const DurationMicros t = sim_->Now() - t0_;
  for (const Window& w : spec_.partitions) {
    if (w.Contains(t) && (w.pop < 0 || w.pop == pop)) return true;
  }
  return false;
}

DurationMicros KvCluster::PartitionEnd(int pop, UnixMicros t) const {
  UnixMicros end = t;
  for (const Window& w : spec_.partitions) {
    if ((w.pop < 0 || w.pop == pop) && w.Contains(t - t0_)) end = std::max(end, t0_ + SecondsToMicros(w.end_s));
  }
  return end;
}

const KvCluster::Version* KvCluster::Visible(const Key& k, int pop, UnixMicros now) const {
  return KvVisibleVersion(k.versions, now, [pop](const Version& v) {
    return pop < 0 ? v.committed_at : v.visible_at[static_cast<size_t>(pop)];
  });
}

void KvCluster::Get(int pop, std::string_view key, const KvStore::GetOptions& options,
                    KvStore::GetCallback done) {
  const UnixMicros now = sim_->Now();
  using R = Result<std::optional<std::string>>;
  if (pop >= 0) ++pop_stats_[pop].gets;
  if (Down()) {
    if (pop >= 0) ++pop_stats_[pop].errors;
    sim_->RunAfter(Latency(spec_.cold_read, pop), [done = std::move(done)] {
      done(R(Status::Unavailable("kv: outage")));
    });
    return;
  }
  auto answer = [&](bool present, const std::string& value, UnixMicros expires_at, DurationMicros lat) {
    std::optional<std::string> v;
    if (present && expires_at > now) v = value;
    sim_->RunAfter(lat, [done = std::move(done), v = std::move(v)]() mutable { done(R(std::move(v))); });
  };
  if (pop >= 0) {
    auto& cache = cache_[static_cast<size_t>(pop)];
    auto c = cache.find(key);
    if (c != cache.end() && now < c->second.cached_until) {
      ++pop_stats_[pop].cache_hits;
      if (!c->second.present) ++pop_stats_[pop].negative_hits;
      return answer(c->second.present, c->second.value, c->second.expires_at, Latency(spec_.hot_read, pop));
    }
    if (Partitioned(pop)) {
      ++pop_stats_[pop].errors;
      sim_->RunAfter(Latency(spec_.cold_read, pop), [done = std::move(done)] {
        done(R(Status::Unavailable("kv: POP partitioned from central")));
      });
      return;
    }
    ++pop_stats_[pop].read_throughs;
  }
  const Version* v = nullptr;
  if (auto k = central_.find(key); k != central_.end()) v = Visible(k->second, pop, now);
  const bool present = v != nullptr;
  // cache_ttl_s 0: no POP cache (a Redis replica answers every read itself).
  if (pop >= 0 && options.cache_ttl_s > 0 &&
      (pop_settings_.empty() || pop_settings_[static_cast<size_t>(pop)].honour_cache_ttl)) {
    const int64_t ttl_s = std::max<int64_t>(options.cache_ttl_s, 30);  // Workers KV minimum
    auto& cache = cache_[static_cast<size_t>(pop)];
    auto it = cache.find(key);
    if (it == cache.end()) it = cache.emplace(std::string(key), CacheEntry{}).first;
    CacheEntry& e = it->second;
    e.present = present;
    e.value = present ? v->value : std::string();
    e.expires_at = present ? v->expires_at : 0;
    e.cached_until = now + ttl_s * kMicrosPerSecond;
    e.filled_at = now;
    e.fill = ++fills_;
  }
  answer(present, present ? v->value : std::string(), present ? v->expires_at : 0,
         Latency(spec_.cold_read, pop));
}

const KvCluster::CacheEntry* KvCluster::CachedEntry(int pop, std::string_view key) const {
  if (pop < 0) return nullptr;
  const auto& cache = cache_[static_cast<size_t>(pop)];
  auto c = cache.find(key);
  return c == cache.end() ? nullptr : &c->second;
}

uint64_t KvCluster::CachedFill(const CacheEntry* e, UnixMicros filled_by, UnixMicros read_at) const {
  if (e == nullptr || Down()) return 0;
  if (e->filled_at > filled_by || read_at >= e->cached_until || (e->present && e->expires_at <= read_at)) return 0;
  return e->fill;
}

bool KvCluster::ReadCachedAgain(int pop, const CacheEntry* e, uint64_t fill, UnixMicros filled_by,
                                UnixMicros read_at) {
  if (pop < 0 || fill == 0 || e == nullptr || Down()) return false;
  if (e->fill != fill || e->filled_at > filled_by || read_at >= e->cached_until || (e->present && e->expires_at <= read_at)) {
    return false;
  }
  ++pop_stats_[pop].gets;
  ++pop_stats_[pop].cache_hits;
  if (!e->present) ++pop_stats_[pop].negative_hits;
  return true;
}

void KvCluster::Put(int pop, std::string_view key, std::string value, int64_t ttl_s,
                    KvStore::DoneCallback done) {
  const UnixMicros now = sim_->Now();
  if (Status ttl = CheckKvExpirationTtl(ttl_s); !ttl.ok()) {
    RecordPut(key, value, ttl_s, ttl);
    ++stats_.invalid_puts;
    sim_->RunAfter(0, [done = std::move(done), ttl] { done(ttl); });
    return;
  }
  if (Down()) {
    RecordPut(key, value, ttl_s, Status::Unavailable("kv: outage"));
    ++stats_.failed_writes;
    sim_->RunAfter(Latency(spec_.write_latency, -1), [done = std::move(done)] {
      done(Status::Unavailable("kv: outage"));
    });
    return;
  }
  Key& k = central_[std::string(key)];
  if (KvWriteTooSoon(k.last_write, now, SecondsToMicros(spec_.write_limit_per_key_s))) {
    RecordPut(key, value, ttl_s, KvWriteRateExceeded(key));
    ++stats_.rejected_puts;
    sim_->RunAfter(0, [done = std::move(done), status = KvWriteRateExceeded(key)] { done(status); });
    return;
  }
  k.last_write = now;
  RecordPut(key, value, ttl_s, Status::Ok());
  ++stats_.puts;
  stats_.put_ttl_s.Record(ttl_s);
  if (key.starts_with("adbreak:")) {
    ++stats_.adbreak_puts;
    Result<AdBreakState> b = ParseAdBreakState(value);
    if (b.ok() && ttl_s == static_cast<int64_t>(std::floor(b->duration_s)) + 60) ++stats_.adbreak_ttl_ok;
  }
  Version v;
  v.value = std::move(value);
  const DurationMicros lat = Latency(spec_.write_latency, -1);
  v.committed_at = now + lat;
  v.expires_at = now + ttl_s * kMicrosPerSecond;  // absolute expiry from the request
  Write(key, std::move(v), std::move(done));
}

void KvCluster::Write(std::string_view key, Version v, KvStore::DoneCallback done) {
  v.visible_at.resize(static_cast<size_t>(pops_));
  if (spec_.propagation_model == KvSpec::PropagationModel::kSharedFifo) {
    // One replication stream: one delay per write, applied in order (a write is never visible
    // before the one sent ahead of it), the same moment at every POP reading the replica.
    fifo_visible_at_ = std::max(fifo_visible_at_, v.committed_at + spec_.propagation.SampleUs(rng_));
    for (int p = 0; p < pops_; ++p) v.visible_at[static_cast<size_t>(p)] = PartitionEnd(p, fifo_visible_at_);
  } else {
    for (int p = 0; p < pops_; ++p) {
      const UnixMicros at = v.committed_at + PropagationTo(p).SampleUs(rng_);
      v.visible_at[static_cast<size_t>(p)] = PartitionEnd(p, at);
    }
  }
  const UnixMicros committed = v.committed_at;
  Key& k = central_[std::string(key)];
  // Last write wins by commit time; keep the newest few versions (older ones are invisible
  // everywhere once a newer one has propagated; 8 is plenty for 1 write/s and 60 s tails).
  auto pos = std::upper_bound(k.versions.begin(), k.versions.end(), committed,
                              [](UnixMicros t, const Version& x) { return t < x.committed_at; });
  k.versions.insert(pos, std::move(v));
  if (k.versions.size() > 64) k.versions.erase(k.versions.begin());
  sim_->RunAt(committed, [done = std::move(done)] { done(Status::Ok()); });
}

void KvCluster::RecordPut(std::string_view key, const std::string& value, int64_t ttl_s, const Status& status) {
  if (record_puts_) put_log_.push_back({sim_->Now(), std::string(key), value, ttl_s, status});
}

void KvCluster::SetPopSettings(int pop, PopSettings settings) {
  pop_settings_.resize(static_cast<size_t>(pops_));
  pop_settings_[static_cast<size_t>(pop)] = std::move(settings);
}

void KvCluster::SetPropagation(int pop, Distribution propagation) {
  pop_settings_.resize(static_cast<size_t>(pops_));
  pop_settings_[static_cast<size_t>(pop)].propagation = std::move(propagation);
}

std::optional<std::string> KvCluster::PeekVisible(int pop, std::string_view key) const {
  const UnixMicros now = sim_->Now();
  auto k = central_.find(key);
  if (k == central_.end()) return std::nullopt;
  const Version* v = Visible(k->second, pop, now);
  if (v == nullptr) return std::nullopt;
  return v->value;
}

void KvCluster::Delete(int pop, std::string_view key, KvStore::DoneCallback done) {
  if (Down()) {
    ++stats_.failed_writes;
    sim_->RunAfter(Latency(spec_.write_latency, -1), [done = std::move(done)] {
      done(Status::Unavailable("kv: outage"));
    });
    return;
  }
  ++stats_.deletes;
  Version v;
  v.deleted = true;
  v.committed_at = sim_->Now() + Latency(spec_.write_latency, -1);
  Write(key, std::move(v), std::move(done));
}

void KvCluster::List(int pop, std::string_view prefix, KvStore::ListCallback done) {
  using R = Result<std::vector<std::string>>;
  const UnixMicros now = sim_->Now();
  if (pop >= 0) ++pop_stats_[pop].lists;
  if (Down()) {
    if (pop >= 0) ++pop_stats_[pop].errors;
    sim_->RunAfter(Latency(spec_.cold_read, pop), [done = std::move(done)] {
      done(R(Status::Unavailable("kv: outage")));
    });
    return;
  }
  if (pop >= 0) {
    auto& snaps = lists_[static_cast<size_t>(pop)];
    auto s = snaps.find(prefix);
    if (s != snaps.end() && now - s->second.fetched_at < spec_.list_staleness_s * kMicrosPerSecond) {
      sim_->RunAfter(Latency(spec_.hot_read, pop), [done = std::move(done), keys = s->second.keys] {
        done(R(keys));
      });
      return;
    }
    if (Partitioned(pop)) {
      ++pop_stats_[pop].errors;
      sim_->RunAfter(Latency(spec_.cold_read, pop), [done = std::move(done)] {
        done(R(Status::Unavailable("kv: POP partitioned from central")));
      });
      return;
    }
    ++pop_stats_[pop].list_refreshes;
  }
  std::vector<std::string> keys;
  for (auto it = central_.lower_bound(prefix); it != central_.end() && it->first.starts_with(prefix); ++it) {
    if (Visible(it->second, pop, now) != nullptr) keys.push_back(it->first);
  }
  if (pop >= 0) lists_[static_cast<size_t>(pop)][std::string(prefix)] = ListSnapshot{keys, now};
  sim_->RunAfter(Latency(spec_.cold_read, pop), [done = std::move(done), keys = std::move(keys)]() mutable {
    done(R(std::move(keys)));
  });
}

// ============================================================================================
// Origin
// ============================================================================================

SimOrigin::SimOrigin(Simulation* sim, const OriginSpec& spec, std::vector<origin::SyntheticStreamSpec> channels,
                     UnixMicros t0, Rng rng)
    : sim_(sim), spec_(spec), channels_(std::move(channels)), t0_(t0), rng_(std::move(rng)) {
  cache_.resize(channels_.size());
  for (size_t c = 0; c < channels_.size(); ++c) {
    const origin::SyntheticStreamSpec& s = channels_[c];
    cache_[c].resize(s.renditions.size() + s.audio.size() + s.subtitles.size());
    for (size_t r = 0; r < cache_[c].size(); ++r) {
      const size_t a = r - s.renditions.size();
      const std::string& name = r < s.renditions.size() ? s.renditions[r].name
                                : a < s.audio.size()    ? s.audio[a].id
                                                        : s.subtitles[a - s.audio.size()].id;
      urls_[PlaylistUrl(static_cast<int>(c), name)] = {static_cast<int>(c), static_cast<int>(r)};
    }
  }
}

Result<std::shared_ptr<const SimCapture>> LoadSimCapture(const std::string& dir) {
  const std::string where = "origin.capture '" + dir + "'";
  Result<std::string> index =
      io::ReadFileToString(dir + "/" + std::string(origin::kCaptureIndexFile), origin::kMaxCaptureIndexBytes);
  if (!index.ok()) return index.status().WithContext(where);
  Result<origin::Capture> parsed = origin::ParseCaptureIndex(*index);
  if (!parsed.ok()) return Status::InvalidArgument(where + ": " + parsed.status().message());
  auto c = std::make_shared<SimCapture>();
  c->dir = dir;
  for (const origin::CaptureEntry& e : parsed->entries) {
    if (e.file.empty() || c->bodies.count(e.file)) continue;
    Result<std::string> body = io::ReadFileToString(dir + "/" + e.file, origin::kMaxCaptureFileBytes);
    if (!body.ok()) return body.status().WithContext(where);
    c->versions[e.file] = c->versions.size() + 1;
    c->bodies[e.file] = std::move(body).value();
  }
  c->replay = origin::CaptureReplay(std::move(parsed).value());
  return std::shared_ptr<const SimCapture>(std::move(c));
}

std::string SimOrigin::PlaylistUrl(int channel, std::string_view rendition) {
  return "http://origin/" + std::to_string(channel) + "/" + std::string(rendition) + ".m3u8";
}

void SimOrigin::Fetch(std::string_view url, Callback done) {
  ++fetches_;
  const DurationMicros latency = next_latency_ >= 0 ? next_latency_ : spec_.fetch_latency.SampleUs(rng_);
  next_latency_ = -1;
  const UnixMicros now = sim_->Now();
  const DurationMicros t = now - t0_;
  Response response;
  auto it = urls_.find(url);
  // The scenario's fault windows apply to a replayed capture as to the synthetic stream: a 404
  // window answers 404; a stall serves the playlist as of the stall's start.
  bool not_found = false;
  UnixMicros as_of = now;
  if (it != urls_.end()) {
    for (const Window& w : spec_.not_found) not_found = not_found || w.Contains(t);
    for (const Window& w : spec_.stalls) {
      if (w.Contains(t)) as_of = std::min(as_of, t0_ + SecondsToMicros(w.start_s));
    }
  }
  if (it != urls_.end() && not_found) {
    response.http_status = 404;
    response.body = "not found";
  } else if (capture_ && it != urls_.end()) {
    const auto [c, r] = it->second;
    const std::string path = "/" + channels_[static_cast<size_t>(c)].renditions[static_cast<size_t>(r)].name + ".m3u8";
    const int64_t offset_ms = (as_of - capture_start_) / kMicrosPerMilli;
    const origin::CaptureEntry* e = capture_->replay.At(path, offset_ms);
    if (e == nullptr) e = capture_->replay.First(path);  // before its first fetch: the first
    if (e != nullptr && e->status == 200 && !e->file.empty()) {
      response.body = capture_->bodies.find(e->file)->second;
      response.version = capture_->versions.find(e->file)->second;
    } else if (e != nullptr && e->status != 0) {
      response.http_status = e->status;
      response.body = "capture: HTTP " + std::to_string(e->status);
    } else {
      // No response in the capture (timeout, refused): a transport failure, after the latency.
      const std::string why = e ? "capture: " + e->error : "capture: no snapshot of " + path;
      sim_->RunAfter(latency, [done = std::move(done), why] { done(Status::Unavailable(why)); });
      return;
    }
  } else if (ts_ && it != urls_.end()) {
    const auto [c, r] = it->second;
    Cached& cached = cache_[static_cast<size_t>(c)][static_cast<size_t>(r)];
    const int64_t msn = ts_->LiveEdgeMsn(as_of, ts_start_);  // changes only with a new segment
    if (cached.msn != msn) {
      cached.msn = msn;
      cached.body = ts_->MediaPlaylistAt(as_of, ts_start_);
      cached.version = ++versions_;
    }
    response.body = cached.body;
    response.version = cached.version;
  } else if (it != urls_.end()) {
    const auto [c, r] = it->second;
    const origin::SyntheticStreamSpec& s = channels_[static_cast<size_t>(c)];
    Cached& cached = cache_[static_cast<size_t>(c)][static_cast<size_t>(r)];
    // The playlist changes only when a segment is published: cache by live-edge MSN.
    const int64_t msn = origin::LiveEdgeMsn(s, as_of);
    if (cached.msn != msn) {
      cached.msn = msn;
      const size_t a = static_cast<size_t>(r) - s.renditions.size();  // demuxed: audio, then subtitles
      cached.body = static_cast<size_t>(r) < s.renditions.size()
                        ? origin::MediaPlaylistAt(s, s.renditions[static_cast<size_t>(r)], as_of)
                    : a < s.audio.size() ? origin::AlternatePlaylistAt(s, s.audio[a], false, as_of)
                                         : origin::AlternatePlaylistAt(s, s.subtitles[a - s.audio.size()], true, as_of);
      // An early CUE-IN (origin.breaks[].planned_duration_s): the OUT announces the planned
      // duration, the IN comes at the actual end (world/early_cue_in.h, as the conformance origin).
      if (!spec_.planned_duration_s.empty() && static_cast<size_t>(r) < s.renditions.size()) {
        cached.body = world::AnnouncePlannedDurations(std::move(cached.body), s.breaks, spec_.planned_duration_s);
      }
      cached.version = ++versions_;
    }
    response.body = cached.body;
    response.version = cached.version;
  } else if (url.starts_with("http://ads/")) {
    // VOD ad playlist: ads/{id}/{bitrate}.m3u8 (or audio_{lang}.m3u8), segments of the channel
    // segment duration; CMAF: fMP4 with the ad's own init (version 6, RFC 8216 §7).
    // The last segment is what remains of the creative, as an ad preparation service cuts it.
    // Named as the harness's ad server names them (world::AdTrack): {base}/seg_{i}.ts.
    const std::string base(url.substr(0, url.size() - 5));  // without ".m3u8"
    double duration_s = ad_duration_s_, segment_s = spec_.stream.segment_duration_s;
    if (!listed_ads_.empty()) {
      const std::string_view rest = url.substr(std::string_view("http://ads/").size());
      if (auto a = listed_ads_.find(rest.substr(0, rest.find('/'))); a != listed_ads_.end()) {
        duration_s = a->second.first;
        if (a->second.second > 0) segment_s = a->second.second;
      }
    }
    const bool audio = base.find("/audio_") != std::string::npos;
    response.body = hls::VodPlaylist(
        world::AdTrack(duration_s, segment_s, spec_.stream.container == "cmaf", base, audio ? ".aac" : ".ts"));
  } else {
    response.http_status = 404;
    response.body = "not found";
  }
  sim_->RunAfter(latency, [done = std::move(done), response = std::move(response)]() mutable {
    done(std::move(response));
  });
}

std::vector<conformance::KvExpiryProbe> ProbeKvExpiry(Simulation* sim, const KvCluster& kv, UnixMicros viewers_end,
                                                      const std::vector<std::string>& pop_names) {
  // The channel document lives kChannelStateTtlS after the last heartbeat: a few rounds suffice.
  UnixMicros until = viewers_end + 5 * kMicrosPerSecond;
  for (int round = 0; round < 4; ++round) {
    sim->RunUntil(until);
    UnixMicros last = until;
    for (const KvCluster::PutRecord& p : kv.puts()) {
      if (p.status.ok()) last = std::max(last, p.time + p.ttl_s * kMicrosPerSecond);
    }
    if (last <= until) break;
    until = last + kMicrosPerSecond;
  }
  std::map<std::string, UnixMicros> expiry;  // each key's last accepted write's absolute expiry
  for (const KvCluster::PutRecord& p : kv.puts()) {
    if (p.status.ok()) expiry[p.key] = p.time + p.ttl_s * kMicrosPerSecond;
  }
  std::vector<conformance::KvExpiryProbe> out;
  for (const auto& [key, at] : expiry) {
    conformance::KvExpiryProbe probe{key, at, sim->Now(), {}};
    if (kv.PeekVisible(-1, key)) probe.still_visible_at.push_back("central");
    for (size_t p = 0; p < pop_names.size(); ++p) {
      if (kv.PeekVisible(static_cast<int>(p), key)) probe.still_visible_at.push_back(pop_names[p]);
    }
    out.push_back(std::move(probe));
  }
  return out;
}

void RecordRunEnd(const KvCluster& kv, const std::vector<std::string>& pop_names, const CoordinatorStats& coordinator,
                  int64_t restarts, int64_t origin_fetches, const std::vector<int64_t>& coordinator_calls_per_pop,
                  conformance::Observations* obs) {
  for (const KvCluster::PutRecord& p : kv.puts()) {
    obs->kv_puts.push_back({p.time, p.key, p.value, p.ttl_s, p.status.ok(), p.status.ok() ? "" : p.status.message()});
  }
  int64_t unanswered = 0;
  for (const conformance::Fetch& f : obs->fetches) unanswered += f.response_time == 0;
  obs->stats["fetches"] = static_cast<int64_t>(obs->fetches.size());
  obs->stats["unanswered"] = unanswered;
  obs->stats["coordinator_restarts"] = restarts;
  obs->stats["coordinator_operations"] = coordinator.operations;
  obs->stats["coordinator_breaks_created"] = coordinator.breaks_created;
  obs->stats["coordinator_duplicate_cues"] = coordinator.duplicate_cues;
  obs->stats["coordinator_decision_timeouts"] = coordinator.decision_timeouts;
  obs->stats["origin_fetches"] = origin_fetches;
  obs->stats["decision_requests"] = static_cast<int64_t>(obs->decision_requests.size());
  for (size_t p = 0; p < pop_names.size(); ++p) {
    obs->stats["kv_gets." + pop_names[p]] = kv.pop_stats(static_cast<int>(p)).gets;
    obs->stats["kv_lists." + pop_names[p]] = kv.pop_stats(static_cast<int>(p)).lists;
    if (p < coordinator_calls_per_pop.size()) obs->stats["coordinator_calls." + pop_names[p]] = coordinator_calls_per_pop[p];
  }
}

std::string SimOrigin::PlaylistAt(std::string_view url, UnixMicros at) const {
  auto it = urls_.find(url);
  if (it == urls_.end()) return "";
  const DurationMicros t = at - t0_;
  UnixMicros as_of = at;
  for (const Window& w : spec_.not_found) {
    if (w.Contains(t)) return "";
  }
  for (const Window& w : spec_.stalls) {
    if (w.Contains(t)) as_of = std::min(as_of, t0_ + SecondsToMicros(w.start_s));
  }
  const auto [c, r] = it->second;
  const origin::SyntheticStreamSpec& s = channels_[static_cast<size_t>(c)];
  if (capture_) {
    const std::string path = "/" + s.renditions[static_cast<size_t>(r)].name + ".m3u8";
    const origin::CaptureEntry* e = capture_->replay.At(path, (as_of - capture_start_) / kMicrosPerMilli);
    if (e == nullptr) e = capture_->replay.First(path);
    return e != nullptr && e->status == 200 && !e->file.empty() ? capture_->bodies.find(e->file)->second : "";
  }
  if (ts_) return ts_->MediaPlaylistAt(as_of, ts_start_);
  const size_t a = static_cast<size_t>(r) - s.renditions.size();  // demuxed: audio, then subtitles
  return static_cast<size_t>(r) < s.renditions.size()
             ? origin::MediaPlaylistAt(s, s.renditions[static_cast<size_t>(r)], as_of)
         : a < s.audio.size() ? origin::AlternatePlaylistAt(s, s.audio[a], false, as_of)
                              : origin::AlternatePlaylistAt(s, s.subtitles[a - s.audio.size()], true, as_of);
}

// ============================================================================================
// Decision
// ============================================================================================

SimDecision::SimDecision(Scheduler* sim, const DecisionSpec& spec, std::vector<int64_t> bitrates, Rng rng)
    : sim_(sim), spec_(spec), bitrates_(std::move(bitrates)), rng_(std::move(rng)) {
  std::sort(bitrates_.begin(), bitrates_.end());
}

void SimDecision::Decide(const Request& request, Callback done) {
  ++requests_;
  const DurationMicros latency = spec_.latency.SampleUs(rng_);
  // decision.behaviour: a service that never answers (the coordinator's timeout decides), or
  // fails every decision; else failures at failure_rate.
  if (spec_.behaviour == world::DecisionBehaviour::kHang) return;
  if (spec_.behaviour == world::DecisionBehaviour::kFail || rng_.Bernoulli(spec_.failure_rate)) {
    ++failures_;
    sim_->RunAfter(latency, [done = std::move(done)] { done(Status::Unavailable("decision: 503")); });
    return;
  }
  AdDecision d;
  d.pod_id = request.pod_id.empty() ? "pod-" + request.event_id : request.pod_id;
  // The listed pod (decision.ads), else ads_per_pod ads of ad_duration_s.
  const int n = spec_.ads.empty() ? spec_.ads_per_pod : static_cast<int>(spec_.ads.size());
  for (int i = 0; i < n; ++i) {
    AdItem item;
    const world::AdSpec* listed = spec_.ads.empty() ? nullptr : &spec_.ads[static_cast<size_t>(i)];
    item.id = listed != nullptr ? listed->id : "ad" + std::to_string(i);
    item.duration_s = listed != nullptr ? listed->duration_s : spec_.ad_duration_s;
    for (int64_t bps : bitrates_) {
      item.variants.push_back({bps, SimOrigin::AdPlaylistUrl(item.id, bps)});
    }
    for (const std::string& lang : audio_languages_) {
      item.audio.push_back({lang, "http://ads/" + item.id + "/audio_" + lang + ".m3u8"});
    }
    if (spec_.pods_of_creatives || (listed != nullptr && listed->segment_duration_s > 0)) {
      // A VAST pod (vast_pod.h): creatives at the ad playlists' segment duration (SimOrigin: a
      // listed ad's own), and server-side tracking (beacons.h), one URL per event as an InLine's
      // Impression and TrackingEvents give; the simulator counts what the edges fire (run.cc SimBeacons).
      item.segment_duration_s = listed != nullptr && listed->segment_duration_s > 0 ? listed->segment_duration_s
                                                                                   : segment_duration_s_;
      for (std::string_view e : kBeaconEvents) {
        item.tracking[std::string(e)] = {"http://ads/ping/" + std::string(e) + "?ad=" + item.id};
      }
    }
    d.items.push_back(std::move(item));
  }
  sim_->RunAfter(latency, [done = std::move(done), d = std::move(d)]() mutable { done(std::move(d)); });
}

// ============================================================================================
// Durable store
// ============================================================================================

void SimDurableStore::Put(std::string_view key, std::string value, DoneCallback done) {
  data_[std::string(key)] = std::move(value);
  sim_->RunAfter(latency_.SampleUs(rng_), [done = std::move(done)] { done(Status::Ok()); });
}

void SimDurableStore::Delete(std::string_view key, DoneCallback done) {
  if (auto it = data_.find(key); it != data_.end()) data_.erase(it);
  sim_->RunAfter(latency_.SampleUs(rng_), [done = std::move(done)] { done(Status::Ok()); });
}

void SimDurableStore::Scan(std::string_view prefix,
                           std::function<void(Result<std::vector<std::pair<std::string, std::string>>>)> done) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto it = data_.lower_bound(prefix); it != data_.end() && it->first.starts_with(prefix); ++it) {
    out.emplace_back(it->first, it->second);
  }
  sim_->RunAfter(latency_.SampleUs(rng_), [done = std::move(done), out = std::move(out)]() mutable {
    done(std::move(out));
  });
}

// ============================================================================================
// Coordinators
// ============================================================================================

class CoordinatorFleet::LinkImpl : public CoordinatorClient {
 public:
  LinkImpl(CoordinatorFleet* fleet, int pop) : fleet_(fleet), pop_(pop) {}
  void GetChannelState(std::string_view channel_id, StateCallback done) override {
    fleet_->Call(pop_, channel_id, std::move(done));
  }

 private:
  CoordinatorFleet* fleet_;
  int pop_;
};

CoordinatorFleet::CoordinatorFleet(Simulation* sim, const Scenario& scenario, const BuildSpec& build,
                                   std::vector<ChannelConfig> channels, CoordinatorEnv env, Rng rng)
    : sim_(sim), scenario_(scenario), build_(build), channels_(std::move(channels)), env_(env),
      rng_(std::move(rng)) {
  // Mean service time, estimated once from the distribution (deterministic: its own stream).
  Rng est(0x5e41ce);
  double sum = 0;
  for (int i = 0; i < 2000; ++i) sum += scenario.coordinator.service.SampleMs(est);
  service_mean_s_ = sum / 2000 / 1000;
  const size_t n = channels_.size();
  live_.resize(n);
  down_.assign(n, false);
  in_flight_.resize(n);
  cues_in_flight_.resize(n);
  loads_.resize(n);
  for (size_t i = 0; i < n; ++i) by_id_[channels_[i].channel_id()] = static_cast<int>(i);
  for (size_t p = 0; p < scenario.pops.size(); ++p) {
    links_.push_back(std::make_unique<LinkImpl>(this, static_cast<int>(p)));
  }
}

CoordinatorFleet::~CoordinatorFleet() = default;

void CoordinatorFleet::Start(UnixMicros t0) {
  for (size_t c = 0; c < channels_.size(); ++c) Restart(static_cast<int>(c));
  restarts_ = 0;
  for (const Window& w : scenario_.coordinator.crashes) {
    for (size_t c = 0; c < channels_.size(); ++c) {
      if (w.pop >= 0 && w.pop != static_cast<int>(c)) continue;  // "pop" names the channel here
      const int ch = static_cast<int>(c);
      sim_->RunAt(t0 + SecondsToMicros(w.start_s), [this, ch] { Crash(ch); });
      sim_->RunAt(t0 + SecondsToMicros(w.end_s), [this, ch] { Restart(ch); });
    }
  }
}

CoordinatorClient* CoordinatorFleet::Link(int pop) { return links_[static_cast<size_t>(pop)].get(); }

void CoordinatorFleet::Restart(int channel) {
  if (live_[channel]) return;
  CoordinatorOptions base;
  base.decision_timeout_us = SecondsToMicros(scenario_.coordinator.decision_timeout_s);
  base.origin_refresh_us = SecondsToMicros(scenario_.coordinator.origin_refresh_s);
  base.poll_interval_us = SecondsToMicros(scenario_.coordinator.poll_interval_s);
  live_[channel] = std::make_unique<Coordinator>(channels_[channel], env_, CoordinatorOptionsFor(build_, base));
  ++restarts_;
  down_[channel] = false;
  live_[channel]->Start([](Status) {});
}

void CoordinatorFleet::Crash(int channel) {
  if (!live_[channel]) return;
  retired_stats_.push_back(live_[channel]->stats());
  live_[channel]->Stop();
  live_[channel].reset();  // its pending I/O callbacks are guarded; they never run
  down_[channel] = true;
  // Calls in flight never get an answer from a dead object: fail them (the edge sees a reset).
  auto pending = std::move(in_flight_[channel]);
  in_flight_[channel].clear();
  for (auto& [id, done] : pending) {
    sim_->RunAfter(0, [done = std::move(done)] { done(Status::Unavailable("coordinator: crashed")); });
  }
  auto cues = std::move(cues_in_flight_[channel]);
  cues_in_flight_[channel].clear();
  for (auto& [id, done] : cues) {
    sim_->RunAfter(0, [done = std::move(done)] { done(Status::Unavailable("coordinator: crashed before answering the cue")); });
  }
}

void CoordinatorFleet::RestartNow() {
  for (size_t c = 0; c < channels_.size(); ++c) {
    Crash(static_cast<int>(c));
    Restart(static_cast<int>(c));
  }
}

void CoordinatorFleet::SetRtt(int pop, Distribution rtt) {
  rtt_override_.resize(scenario_.pops.size());
  rtt_override_[static_cast<size_t>(pop)] = std::move(rtt);
}

void CoordinatorFleet::Cue(int channel, const CueRequest& request, std::function<void(Result<CueResult>)> done) {
  if (down_[channel] || !live_[channel]) {
    sim_->RunAfter(0, [done = std::move(done)] { done(Status::Unavailable("coordinator: down")); });
    return;
  }
  const uint64_t id = next_call_++;
  cues_in_flight_[channel][id] = std::move(done);
  live_[channel]->Cue(request, [this, channel, id](Result<CueResult> r) {
    auto f = cues_in_flight_[channel].find(id);
    if (f == cues_in_flight_[channel].end()) return;  // failed by a crash already
    auto cb = std::move(f->second);
    cues_in_flight_[channel].erase(f);
    cb(std::move(r));
  });
}

double CoordinatorFleet::RateNow(int channel) {
  ChannelLoad& l = loads_[channel];
  const int64_t bucket = sim_->Now() / kMicrosPerSecond;
  if (bucket != l.bucket) {
    l.previous = bucket == l.bucket + 1 ? l.current : 0;
    l.current = 0;
    l.bucket = bucket;
  }
  const double frac = static_cast<double>(sim_->Now() % kMicrosPerSecond) / kMicrosPerSecond;
  return l.current + l.previous * (1 - frac);  // calls over the last second
}

void CoordinatorFleet::AddLoad(int channel, double weighted_calls) {
  RateNow(channel);
  loads_[channel].current += weighted_calls;
  ChannelLoad& l = loads_[channel];
  const double rate = RateNow(channel);
  if (rate > l.peak_rate) {
    l.peak_rate = rate;
    const double rho = std::min(rate * service_mean_s_, 0.99);
    l.peak_queue = rho * rho / (2 * (1 - rho));
  }
}

void CoordinatorFleet::Call(int pop, std::string_view channel_id, CoordinatorClient::StateCallback done) {
  using R = Result<ChannelState>;
  auto it = by_id_.find(channel_id);
  const std::vector<CoordinatorLocation>& locations = scenario_.coordinator.locations;
  // Channel ch's coordinator is at locations[ch % n] (scenario.h); without locations, at the one
  // place pops[].coordinator_rtt_ms describes.
  const Distribution& rtt_dist =
      !rtt_override_.empty() && rtt_override_[static_cast<size_t>(pop)] ? *rtt_override_[static_cast<size_t>(pop)]
      : it == by_id_.end() || locations.empty()
          ? scenario_.pops[static_cast<size_t>(pop)].coordinator_rtt
          : locations[static_cast<size_t>(it->second) % locations.size()].rtt_per_pop[static_cast<size_t>(pop)];
  const DurationMicros rtt = rtt_dist.SampleUs(rng_);
  if (it == by_id_.end()) {
    sim_->RunAfter(rtt, [done = std::move(done)] { done(R(Status::NotFound("coordinator: unknown channel"))); });
    return;
  }
  const int ch = it->second;
  const double rate = RateNow(ch);
  const double limit = scenario_.coordinator.soft_limit_rps;
  if (rate > limit && rng_.Bernoulli(1 - limit / rate)) {
    loads_[ch].rejected += 1;
    sim_->RunAfter(rtt, [done = std::move(done)] {
      done(R(Status::ResourceExhausted("coordinator: overloaded (soft limit)")));
    });
    return;
  }
  const double rho = std::min(rate * service_mean_s_, 0.99);
  const double service_s = scenario_.coordinator.service.SampleMs(rng_) / 1000;
  const DurationMicros wait = SecondsToMicros(rho / (2 * (1 - rho)) * service_mean_s_ + service_s);
  const uint64_t id = next_call_++;
  in_flight_[ch][id] = std::move(done);
  // Request travels half the RTT, queues, is served; the answer travels back.
  sim_->RunAfter(rtt / 2 + wait, [this, ch, id, rtt] {
    if (down_[ch] || !live_[ch]) {
      auto f = in_flight_[ch].find(id);
      if (f == in_flight_[ch].end()) return;
      auto cb = std::move(f->second);
      in_flight_[ch].erase(f);
      loads_[ch].unavailable += 1;
      sim_->RunAfter(rtt - rtt / 2, [cb = std::move(cb)] { cb(R(Status::Unavailable("coordinator: down"))); });
      return;
    }
    live_[ch]->GetChannelState([this, ch, id, rtt](Result<ChannelState> r) {
      auto f = in_flight_[ch].find(id);
      if (f == in_flight_[ch].end()) return;  // failed by a crash already
      auto cb = std::move(f->second);
      in_flight_[ch].erase(f);
      sim_->RunAfter(rtt - rtt / 2, [cb = std::move(cb), r = std::move(r)]() mutable { cb(std::move(r)); });
    });
  });
}

CoordinatorStats CoordinatorFleet::TotalStats() const {
  CoordinatorStats t;
  auto add = [&t](const CoordinatorStats& s) {
    t.operations += s.operations;
    t.max_queue_depth = std::max(t.max_queue_depth, s.max_queue_depth);
    t.origin_fetches += s.origin_fetches;
    t.decision_requests += s.decision_requests;
    t.decision_timeouts += s.decision_timeouts;
    t.decision_failures += s.decision_failures;
    t.kv_writes += s.kv_writes;
    t.kv_write_failures += s.kv_write_failures;
    t.breaks_created += s.breaks_created;
    t.duplicate_cues += s.duplicate_cues;
    t.origin_errors += s.origin_errors;
    t.durable_failures += s.durable_failures;
    t.kv_writes_deferred += s.kv_writes_deferred;
    t.breaks_cancelled += s.breaks_cancelled;
  };
  for (const CoordinatorStats& s : retired_stats_) add(s);
  for (const auto& c : live_) {
    if (c) add(c->stats());
  }
  return t;
}

}  // namespace ssai::sim
