#include "conformance/observe_target.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "conformance/checks/evaluate.h"
#include "conformance/checks/truth.h"
#include "conformance/http_client.h"
#include "conformance/player_choice.h"
#include "conformance/sgai_assets.h"
#include "reference/base/url.h"
#include "reference/io/files.h"
#include "reference/media/hls/playlist.h"
#include "reference/media/origin/capture.h"
#include "reference/server/asio_env.h"
#include "reference/server/capture_origin.h"
#include "reference/server/capture_recorder.h"

namespace ssai::conformance {

namespace {

// One output variant as a viewer found it in the output's multivariant playlist.
struct OutputVariant {
  std::string url;
  int64_t bandwidth_bps = 0;
};

class ObserveTarget : public Target {
 public:
  ObserveTarget(TargetProfile p, std::function<void(const LiveBreak&)> live) : p_(std::move(p)), live_(std::move(live)) {
    for (const auto& [name, value] : p_.ssai.headers) {
      headers_.emplace(name, value);  // {token} filled in Run
    }
  }
  std::string name() const override { return "observe:" + p_.name; }

  Result<Observations> Run(const Scenario& placeholder, const Profile& profile) override {
    std::string token = p_.viewer_token;
    if (token.empty() && !p_.viewer_token_env.empty()) {
      const char* v = std::getenv(p_.viewer_token_env.c_str());
      if (v == nullptr || *v == '\0') {
        return Status::InvalidArgument("target profile: viewer_token_env: environment variable " + p_.viewer_token_env +
                                       " is not set");
      }
      token = v;
    }
    headers_.clear();
    for (const auto& [name, value] : p_.ssai.headers) {
      std::string v = value;
      for (size_t at = v.find("{token}"); at != std::string::npos; at = v.find("{token}", at + token.size())) {
        v.replace(at, 7, token);
      }
      headers_.emplace(name, v);
    }
    const double duration_s = placeholder.duration_s;
    const std::string output_url = Fill(p_.ssai.master_url);
    const std::string truth_url = p_.observe->origin_url.empty() ? output_url : p_.observe->origin_url;
    io::TempDir dir("ssai-observe");
    if (dir.path().empty()) return Status::Unavailable("observe: cannot create a temporary directory");
    SSAI_RETURN_IF_ERROR(CheckTls({truth_url, p_.observe->session_url.empty() ? output_url : p_.observe->session_url}));

    // The ground truth: the origin (or the output) recorded as a player loads it.
    start_ = WallNow();
    end_ = start_ + SecondsToMicros(duration_s);
    std::atomic<bool> stop{false};
    Result<server::CaptureSummary> recorded = Status::Unavailable("not run");
    std::thread recorder([&] {
      server::CaptureRecorderOptions o;
      o.url = truth_url;
      o.out_dir = dir.path();
      o.duration_ms = static_cast<int64_t>(duration_s * 1000);
      o.stop = &stop;
      o.tls = p_.tls;
      recorded = server::RecordCapture(o, nullptr);
    });
    std::vector<std::thread> viewers;
    for (int k = 0; k < p_.observe->viewers; ++k) {
      viewers.emplace_back([this, k, output_url] { Viewer(k, output_url); });
    }
    // Live output: the recording so far judged every few seconds, each break printed once it
    // has ended plus the slowest viewer's reload (LiveJudge).
    std::atomic<bool> watching{true};
    std::set<std::string> announced;
    std::thread live;
    if (live_) {
      live = std::thread([&] {
        // Every 2 s, or 10x the last round's time: judging stays a small share of a core however
        // long the recording grows.
        std::chrono::steady_clock::duration pause = std::chrono::seconds(2);
        while (watching) {
          const auto until = std::chrono::steady_clock::now() + pause;
          while (watching && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(100));
          if (!watching) break;
          const auto t0 = std::chrono::steady_clock::now();
          LiveJudge(dir.path(), placeholder.name, profile, /*final_run=*/nullptr, &announced);
          pause = std::max<std::chrono::steady_clock::duration>(std::chrono::seconds(2),
                                                                10 * (std::chrono::steady_clock::now() - t0));
        }
      });
    }
    for (std::thread& t : viewers) t.join();
    watching = false;
    if (live.joinable()) live.join();
    stop = true;
    recorder.join();
    if (!recorded.ok()) return recorded.status().WithContext("observe: recording " + truth_url);
    if (sessions_ > 0 && session_failures_ == sessions_) {
      return Status::Unavailable("observe: every session request failed; first: " + session_errors_);
    }

    Result<Scenario> judged = ScenarioFromRecording(dir.path(), placeholder.name, duration_s);
    if (!judged.ok()) return judged.status().WithContext("observe");
    Result<server::LoadedCapture> capture = server::LoadCaptureDir(dir.path());
    if (!capture.ok()) return capture.status().WithContext("observe");
    Result<Observations> obs = Judge(std::make_shared<Scenario>(std::move(judged).value()), *capture, std::move(fetches_),
                                     std::move(sgai_assets_));
    // The breaks that ended too late for a live line get theirs now, from the final judgment.
    if (obs.ok() && live_) LiveJudge(dir.path(), placeholder.name, profile, &*obs, &announced);
    return obs;
  }

 private:
  std::string Fill(const std::string& tmpl) const {
    std::string s = tmpl;
    for (auto [key, value] : {std::pair<std::string, std::string>{"{org}", p_.org}, {"{channel}", p_.channel}}) {
      for (size_t at = s.find(key); at != std::string::npos; at = s.find(key, at + value.size())) s.replace(at, key.size(), value);
    }
    return s;
  }

  Fetch Get(int viewer, const std::string& url, int64_t reload, int variant, int64_t bandwidth_bps) {
    Fetch f;
    f.pop = "observe";
    f.viewer = "observe/v" + std::to_string(viewer);
    f.mode = InsertionMode::kSsai;
    f.reload = reload;
    f.url = url;
    f.bandwidth_bps = bandwidth_bps;
    f.rendition = variant < 0 ? "" : "out" + std::to_string(variant);  // mapped in Judge
    f.request_time = WallNow();
    GetPlaylist(headers_, p_.state_source_header, &f, p_.tls);
    return f;
  }

  void Record(Fetch f) {
    std::lock_guard<std::mutex> lock(mu_);
    fetches_.push_back(std::move(f));
  }

  // A player: the multivariant playlist, then every variant reloaded every target duration on
  // an absolute schedule (RFC 8216 §6.3.4), keeping its phase against segment boundaries.
  // The multivariant URL of a new session (observe.session_*), or "" after recording why not.
  std::string StartSession() {
    const ObserveSpec& o = *p_.observe;
    HttpResult r = Send(o.session_method, o.session_url, headers_, o.session_body, "application/json",
                        hls::kMaxPlaylistBytes, p_.tls);
    std::string error;
    std::string url;
    if (r.status < 200 || r.status >= 300) {
      error = r.status == 0 ? "no answer: " + r.error : "HTTP " + std::to_string(r.status);
    } else {
      nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
      try {
        const nlohmann::json::json_pointer ptr(o.session_pointer);
        if (j.is_discarded() || !j.contains(ptr) || !j.at(ptr).is_string()) {
          error = "the answer has no string at " + o.session_pointer;
        } else {
          url = ResolveUrl(o.session_url, j.at(ptr).get<std::string>());
        }
      } catch (const nlohmann::json::exception& e) {
        error = e.what();
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    ++sessions_;
    if (!error.empty()) {
      if (session_errors_.empty()) session_errors_ = o.session_url + ": " + error;
      ++session_failures_;
    }
    return url;
  }

  void Viewer(int k, std::string output_url) {
    const UnixMicros join = start_ + k * 370'000;
    SleepUntil(join);
    if (!p_.observe->session_url.empty()) {
      output_url = StartSession();
      if (output_url.empty()) return;
    }
    Fetch master = Get(k, output_url, 0, -1, 0);
    std::vector<OutputVariant> variants;
    std::vector<ChosenAlternate> alternates;  // demuxed audio and subtitles (issue 14)
    if (master.http_status == 200) {
      if (Result<hls::MasterPlaylist> m = hls::ParseMaster(master.body); m.ok()) {
        for (const hls::VariantInfo& v : m->Variants()) variants.push_back({ResolveUrl(output_url, v.uri), v.bandwidth});
        alternates = AlternatesOf(*m, output_url, k);
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const ChosenAlternate& a : alternates) alternate_languages_[a.name] = {a.kind, a.language};
    }
    Record(std::move(master));
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (output_variants_.empty()) output_variants_ = variants;
    }
    DurationMicros period = 6 * kMicrosPerSecond;
    std::set<std::string> seen;  // interstitials this viewer fetched
    for (int64_t n = 1;; ++n) {
      const UnixMicros at = join + (n - 1) * period;
      if (at >= end_ || variants.empty()) break;
      SleepUntil(at);
      for (size_t i = 0; i < variants.size(); ++i) {
        Fetch f = Get(k, variants[i].url, n, static_cast<int>(i), variants[i].bandwidth_bps);
        if (n == 1 && i == 0 && f.http_status == 200) {
          if (Result<hls::MediaPlaylist> p = hls::ParseMedia(f.body); p.ok() && p->target_duration_s().value_or(0) > 0) {
            period = *p->target_duration_s() * kMicrosPerSecond;
          }
        }
        // An SGAI deployment's interstitials: their lists and assets (issue 16).
        AssetFetcher fetch = [this](const std::string& url, std::function<void(int, std::string)> done) {
          HttpResult r = Send("GET", url, headers_, "", "", hls::kMaxPlaylistBytes, p_.tls);
          done(r.status, std::move(r.body));
        };
        FetchSgaiAssets(f, &seen, fetch, [this](SgaiAssetRecord rec) {
          std::lock_guard<std::mutex> lock(mu_);
          sgai_assets_.push_back(std::move(rec));
        });
        Record(std::move(f));
      }
      // The viewer's audio and subtitle renditions, in lockstep with the variants (same reload
      // number: variants.audio_aligned / variants.subtitles_aligned compare them).
      for (const ChosenAlternate& a : alternates) {
        Fetch f = Get(k, a.url, n, -1, 0);
        f.rendition = a.name;
        f.alternate = a.kind;
        Record(std::move(f));
      }
    }
  }

  // A demuxed rendition a viewer loads: the player_choice.h rule (at most one audio and one
  // subtitle rendition, of the first variant's groups, viewers taking the languages in turn).
  struct ChosenAlternate {
    std::string url;
    std::string name;  // Fetch::rendition (player_choice.h: stable across reloads and viewers)
    std::string kind;  // Fetch::alternate
    std::string language;
  };
  static std::vector<ChosenAlternate> AlternatesOf(const hls::MasterPlaylist& m, const std::string& url, int k) {
    std::vector<ChosenAlternate> out;
    std::optional<PlayerChoice> c = ChoosePlayerRenditions(m, url, "", k);
    if (!c) return out;
    if (c->audio) out.push_back({c->audio->url, c->audio->name, "audio", c->audio->language});
    if (c->subtitles) out.push_back({c->subtitles->url, c->subtitles->name, "subtitles", c->subtitles->language});
    return out;
  }

  // The Observations: each output variant judged against the origin variant of the same
  // BANDWIDTH (else the nearest), the origin's playlist as recorded at each request's time.
  Result<Observations> Judge(std::shared_ptr<const Scenario> judged, const server::LoadedCapture& capture,
                             std::vector<Fetch> fetches, std::vector<SgaiAssetRecord> sgai_assets) {
    Observations obs;
    obs.target = name();
    obs.scenario = judged->name;
    obs.observe_only = true;
    obs.kv_observed = false;
    obs.decisions_observed = false;
    obs.decisions_known = false;
    obs.http_api = false;
    obs.ad_uri_prefix = p_.ad_uri_prefix;
    obs.slate_uri = p_.slate_uri;
    const std::vector<origin::Rendition>& renditions = judged->origin.renditions;
    std::vector<std::string> origin_paths;
    for (const origin::Rendition& r : renditions) origin_paths.push_back(RecordedPathOf(*judged, r.name));
    if (p_.ad_uri_prefix.empty()) {
      for (const auto& [file, body] : capture.files) {
        Result<hls::MediaPlaylist> p = hls::ParseMedia(body);
        if (!p.ok()) continue;
        for (const hls::MediaSegment& s : p->segments()) obs.content_segment_names.insert(SegmentFileName(s.uri()));
      }
    }
    auto origin_index = [&](int64_t bps) {
      size_t best = 0;
      double best_d = 1e300;
      for (size_t i = 0; i < renditions.size(); ++i) {
        const double d = std::fabs(std::log(static_cast<double>(std::max<int64_t>(1, renditions[i].bandwidth_bps))) -
                                   std::log(static_cast<double>(std::max<int64_t>(1, bps))));
        if (d < best_d) best_d = d, best = i;
      }
      return best;
    };
    // The checks compare request times with break times, which are PROGRAM-DATE-TIMEs: move the
    // wall clock onto the stream's (a live origin's edge runs behind real time by its latency).
    const DurationMicros stream_minus_wall = RecordedStreamStart(*judged) - capture.capture.header.started_at;
    const std::map<std::string, std::string> origin_alternates = OriginAlternatePaths(capture);
    int64_t unanswered = 0;
    for (Fetch& f : fetches) {
      unanswered += f.response_time == 0;
      if (!f.alternate.empty()) {
        auto it = origin_alternates.find(f.rendition);
        if (it != origin_alternates.end()) f.origin_body = RecordedAt(capture, it->second, f.request_time);
      } else if (!f.rendition.empty()) {
        const size_t i = origin_index(f.bandwidth_bps);
        f.rendition = renditions[i].name;
        f.origin_body = RecordedAt(capture, origin_paths[i], f.request_time);
      }
      f.request_time += stream_minus_wall;
      if (f.response_time != 0) f.response_time += stream_minus_wall;
    }
    std::sort(fetches.begin(), fetches.end(), [](const Fetch& a, const Fetch& b) {
      return a.request_time != b.request_time ? a.request_time < b.request_time : a.url < b.url;
    });
    obs.fetches = std::move(fetches);
    for (SgaiAssetRecord& a : sgai_assets) {
      a.rendition = renditions[origin_index(a.bandwidth_bps)].name;
      a.time += stream_minus_wall;
    }
    obs.sgai_assets = std::move(sgai_assets);
    obs.stats["sgai_assets"] = static_cast<int64_t>(obs.sgai_assets.size());
    obs.stats["fetches"] = static_cast<int64_t>(obs.fetches.size());
    obs.stats["unanswered"] = unanswered;
    obs.stats["output_variants"] = static_cast<int64_t>(OutputVariantCount());
    obs.stats["origin_variants"] = static_cast<int64_t>(renditions.size());
    obs.stats["breaks_in_truth"] = static_cast<int64_t>(judged->origin.breaks.size());
    obs.stats["stream_minus_wall_ms"] = stream_minus_wall / kMicrosPerMilli;
    if (p_.tls.insecure) obs.stats["tls_insecure"] = 1;  // the report keeps what the warning said
    std::lock_guard<std::mutex> lock(mu_);  // viewers may still be starting sessions (live output)
    if (sessions_ > 0) {
      obs.stats["sessions"] = sessions_;
      obs.stats["session_failures"] = session_failures_;
    }
    obs.judged_scenario = std::move(judged);
    return obs;
  }

  // For each output audio/subtitle rendition the viewers loaded, the recorded path of the origin's
  // rendition of the same TYPE and LANGUAGE (else the first of that TYPE): its playlists are the
  // lint baseline (findings the origin has too are not the target's). The aligned checks compare
  // the output's renditions among themselves; the origin's alternates also tell its content
  // segments from ads (content_segment_names holds every recorded media playlist's).
  std::map<std::string, std::string> OriginAlternatePaths(const server::LoadedCapture& capture) const {
    std::map<std::string, std::string> out;
    std::string base, master_path;
    if (!server::SplitHttpUrl(capture.capture.header.url, &base, &master_path, /*allow_https=*/true).ok()) return out;
    const std::string body = RecordedAt(capture, master_path, capture.capture.header.started_at);
    Result<hls::MasterPlaylist> m = hls::ParseMaster(body);
    if (!m.ok()) return out;
    const std::vector<hls::MediaInfo> media = m->Media();
    for (const auto& [name, kind_language] : alternate_languages_) {
      const std::string type = kind_language.first == "audio" ? "AUDIO" : "SUBTITLES";
      const hls::MediaInfo* pick = nullptr;
      for (const hls::MediaInfo& x : media) {
        if (x.type != type || x.uri.empty()) continue;
        if (pick == nullptr) pick = &x;
        if (!kind_language.second.empty() && x.language == kind_language.second) {
          pick = &x;
          break;
        }
      }
      std::string obase, path;
      if (pick && server::SplitHttpUrl(ResolveUrl(capture.capture.header.url, pick->uri), &obase, &path, true).ok() &&
          obase == base) {
        out[name] = path;
      }
    }
    return out;
  }

  size_t OutputVariantCount() {
    std::lock_guard<std::mutex> lock(mu_);
    return output_variants_.size();
  }

  // One round of live output. While watching (final_run null): the recording and the viewers'
  // fetches so far, judged by the same code as the final report (ScenarioFromRecording, Judge,
  // Evaluate), and a line for each break that has ended at least two target durations ago (every
  // viewer has reloaded past its return since) and was not announced yet. After the run
  // (final_run: the run's own Observations): a line for every break still unannounced. A round
  // that cannot judge yet (too little recorded, the index mid-append) prints nothing.
  void LiveJudge(const std::string& dir, const std::string& name, const Profile& profile, const Observations* final_run,
                 std::set<std::string>* announced) {
    std::optional<Observations> so_far;
    const Observations* obs = final_run;
    if (obs == nullptr) {
      const double elapsed_s = static_cast<double>(WallNow() - start_) / kMicrosPerSecond;
      Result<Scenario> judged = ScenarioFromRecording(dir, name, elapsed_s);
      if (!judged.ok() || judged->origin.breaks.empty()) return;
      Result<server::LoadedCapture> capture = server::LoadCaptureDir(dir);
      if (!capture.ok()) return;
      std::vector<Fetch> fetches;
      std::vector<SgaiAssetRecord> assets;
      {
        std::lock_guard<std::mutex> lock(mu_);
        fetches = fetches_;
        assets = sgai_assets_;
      }
      Result<Observations> r = Judge(std::make_shared<Scenario>(std::move(judged).value()), *capture, std::move(fetches),
                                     std::move(assets));
      if (!r.ok()) return;
      so_far = std::move(r).value();
      obs = &*so_far;
    }
    const Scenario& scenario = *obs->judged_scenario;
    const std::vector<CheckResult> checks = Evaluate(*obs, scenario, profile);
    const DurationMicros margin = 2 * SecondsToMicros(scenario.origin.segment_duration_s) + kMicrosPerSecond;
    const UnixMicros stream_now = WallNow() + obs->stats.at("stream_minus_wall_ms") * kMicrosPerMilli;
    const std::vector<TruthBreak> truth = GroundTruth(scenario, profile);
    for (size_t i = 0; i < truth.size(); ++i) {
      const TruthBreak& b = truth[i];
      if (announced->count(b.label) || (final_run == nullptr && b.end_time + margin > stream_now)) continue;
      LiveBreak line;
      line.index = static_cast<int>(i) + 1;
      line.label = b.label;
      line.cue_time = b.cue_time;
      line.duration_s = b.duration_s;
      line.viewers = p_.observe->viewers;
      for (const CheckResult& c : checks) {
        for (const auto& [label, n] : c.failures_by_break) {
          if (label == b.label && n > 0) line.failures.emplace_back(c.id, n);
        }
      }
      announced->insert(b.label);
      live_(line);
    }
  }

  // Before watching: each https:// URL's certificate against the profile's trust (tls), so an
  // untrusted one is a setup error at once (kFailedPrecondition: exit 2), not a run of failed
  // fetches. Only the handshake: a session endpoint starts no session. Other failures (the
  // deployment is down) are left to the run, which reports them as it always has.
  Status CheckTls(std::initializer_list<std::string> urls) const {
    server::HttpOptions o;
    o.tls = p_.tls;
    for (const std::string& url : urls) {
      if (Status s = server::CheckTlsPeer(url, o); s.code() == StatusCode::kFailedPrecondition) {
        return s.WithContext("observe");
      }
    }
    return Status::Ok();
  }

  // The newest good snapshot of `path` recorded at or before wall time `t` (else its first).
  static std::string RecordedAt(const server::LoadedCapture& capture, const std::string& path, UnixMicros t) {
    const int64_t offset_ms = (t - capture.capture.header.started_at) / kMicrosPerMilli;
    const std::string* pick = nullptr;
    for (const origin::CaptureEntry& e : capture.capture.entries) {
      if (e.path != path || !e.ok() || !capture.files.count(e.file)) continue;
      if (pick != nullptr && e.offset_ms > offset_ms) break;
      pick = &capture.files.at(e.file);
    }
    return pick ? *pick : std::string();
  }

  TargetProfile p_;
  std::function<void(const LiveBreak&)> live_;  // empty: no live output
  httplib::Headers headers_;
  UnixMicros start_ = 0;
  UnixMicros end_ = 0;
  std::mutex mu_;
  std::vector<Fetch> fetches_;
  std::vector<SgaiAssetRecord> sgai_assets_;
  std::vector<OutputVariant> output_variants_;
  std::map<std::string, std::pair<std::string, std::string>> alternate_languages_;  // name -> (kind, LANGUAGE)
  int64_t sessions_ = 0;
  int64_t session_failures_ = 0;
  std::string session_errors_;  // the first failure
};

}  // namespace

std::string FormatLiveBreak(const LiveBreak& b) {
  int64_t failures = 0;
  std::string which;
  for (const auto& [id, n] : b.failures) {
    failures += n;
    which += (which.empty() ? ": " : ", ") + id + " (" + std::to_string(n) + ")";
  }
  const std::string iso = FormatIso8601Millis(b.cue_time);  // 2026-12-06T12:03:10.000Z
  const std::string clock = iso.size() >= 19 ? iso.substr(11, 8) + "Z" : iso;
  char duration[32];
  std::snprintf(duration, sizeof(duration), "%.1f", b.duration_s);
  return "break " + std::to_string(b.index) + " " + b.label + " " + clock + " " + duration + " s: " +
         std::to_string(b.viewers) + " viewer" + (b.viewers == 1 ? "" : "s") + ", " + std::to_string(failures) +
         " failure" + (failures == 1 ? "" : "s") + which;
}

Result<std::unique_ptr<Target>> MakeObserveTargetFrom(TargetProfile profile, std::function<void(const LiveBreak&)> live) {
  return std::unique_ptr<Target>(std::make_unique<ObserveTarget>(std::move(profile), std::move(live)));
}

}  // namespace ssai::conformance
