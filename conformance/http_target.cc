#include "conformance/http_target.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "conformance/cue_template.h"
#include "conformance/http_client.h"
#include "conformance/sgai_assets.h"
#include "conformance/observe_target.h"
#include "conformance/pop_stats.h"
#include "conformance/player_choice.h"
#include "conformance/probes.h"
#include "conformance/scenario.h"
#include "reference/base/json_input.h"
#include "reference/base/strings.h"
#include "reference/io/files.h"
#include "reference/ssai/builds.h"
#include "reference/server/config.h"
#include "reference/server/server.h"
#include "reference/server/services.h"
#include "reference/server/shared_kv.h"
#include "reference/ssai/manifest_path.h"

namespace ssai::conformance {

namespace {

using Json = nlohmann::json;

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

Status Bad(const std::string& field, const std::string& what) {
  return Status::InvalidArgument("target profile: " + field + ": " + what);
}

// The one field reader (json_input.h) on the member of the object at `prefix` ("cue." or ""),
// its errors under this document's name.
JsonFields Fields(const Json& j, const std::string& prefix) {
  return JsonFields(j, prefix.empty() ? prefix : prefix.substr(0, prefix.size() - 1));
}
Status InTargetProfile(Status s) { return s.ok() ? s : Status::InvalidArgument("target profile: " + s.message()); }

// A string; a required one must not be empty either.
Status ReadStr(const Json& j, const std::string& prefix, const char* key, std::string* out, bool required = false) {
  SSAI_RETURN_IF_ERROR(InTargetProfile(Fields(j, prefix).String(key, out, required)));
  if (required && out->empty()) return Bad(prefix + key, "must not be empty");
  return Status::Ok();
}

// `where` ends in '.' ("cue.") or is empty; "_..." keys and "comment" are documentation.
Status CheckKeys(const Json& j, const std::string& where, std::initializer_list<std::string_view> keys) {
  Status s = CheckKnownKeys(j, where.empty() ? where : where.substr(0, where.size() - 1), keys, /*doc_keys=*/true);
  return s.ok() ? s : Status::InvalidArgument("target profile: " + s.message());
}

// The deployment's URLs: http:// or https:// (verified as the profile's `tls` block says).
Status CheckUrl(const std::string& field, const std::string& url) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return Bad(field, "must be an http:// or https:// URL, got '" + url.substr(0, 80) + "'");
  }
  return Status::Ok();
}

std::string Truncate(const std::string& s, size_t n = 150) {
  return s.size() > n + 10 ? s.substr(0, n) + "... (" + std::to_string(s.size()) + " bytes)" : s;
}

// The harness's loopback services: origin, ad playlists, slate, decision.
// Target profile decision "vast": the tag a JSON scenario's /vast/tag.xml serves (the pod of its ads).
constexpr char kVastPodTag[] = "pod/default.xml";

class HarnessServices {
 public:
  explicit HarnessServices(const Scenario* scenario) : scenario_(scenario) {}
  ~HarnessServices() { Stop(); }

  Status Start(const std::string& listen) {
    std::string host = "127.0.0.1";
    int port = 0;
    SSAI_RETURN_IF_ERROR(server::ParseListen(listen, &host, &port));
    // The origin's multivariant playlist (a target derives its own from it, as real SSAI
    // servers do from their origin's).
    server_.Get("/origin/master.m3u8", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(origin::MasterPlaylist(scenario_->origin), "application/vnd.apple.mpegurl");
    });
    server_.Get(R"(/origin/([A-Za-z0-9_-]+)\.m3u8)", [this](const httplib::Request& req, httplib::Response& res) {
      const origin::Rendition* r = origin::FindRendition(scenario_->origin, req.matches[1].str());
      bool subtitles = false;
      if (r != nullptr) {
        res.set_content(OriginPlaylistAt(*scenario_, *r, WallNow()), "application/vnd.apple.mpegurl");
      } else if (const origin::AlternateRendition* a = origin::FindAlternate(scenario_->origin, req.matches[1].str(), &subtitles)) {
        // Demuxed audio and subtitles (issue 14), the target splices them with the variants.
        res.set_content(OriginAlternatePlaylistAt(*scenario_, *a, subtitles, WallNow()), "application/vnd.apple.mpegurl");
      } else {
        res.status = 404;
      }
    });
    // Segments of an origin.ts / origin.capture scenario: the real bytes, for players behind the
    // target (scenario.h OriginMediaAt; a synthetic origin has none: 404).
    server_.Get(R"(/origin/.+)", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string target = req.target.empty() ? req.path : req.target;  // the query too (a capture's paths)
      server::ToHttplib(OriginMediaAt(*scenario_, std::string_view(target).substr(7), WallNow()), res);
    });
    server_.Get(R"(/ads/([A-Za-z0-9_-]+)/([0-9]+)\.m3u8)", [this](const httplib::Request& req, httplib::Response& res) {
      res.set_content(AdPlaylist(req.matches[1].str(), req.matches[2].str()), "application/vnd.apple.mpegurl");
    });
    // An ad's audio per language (issue 14), named in the decision's items[].audio.
    server_.Get(R"(/ads/([A-Za-z0-9_-]+)/audio_([A-Za-z0-9_-]+)\.m3u8)", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string id = req.matches[1].str(), lang = req.matches[2].str();
      for (const AdSpec& ad : scenario_->decision.ads) {
        if (ad.id != id) continue;
        const std::vector<std::string> langs = AdAudioLanguages(*scenario_, ad);
        if (std::find(langs.begin(), langs.end(), lang) == langs.end()) break;
        return res.set_content(AdAudioPlaylist(*scenario_, ad, lang, ad_prefix() + id + "/audio_" + lang),
                               "application/vnd.apple.mpegurl");
      }
      res.status = 404;
    });
    server_.Post("/decision", [this](const httplib::Request& req, httplib::Response& res) { Decide(req, res); });
    // decision.vast (issue 15): the harness's VAST ad server (DecisionService VAST mode) with the
    // scenario's ads as its default pod; it records the wrapper fetches, Error pings and
    // server-side beacons (with their X-SSAI-Session) the target sends.
    server_.Get(R"(/vast/.*)", [this](const httplib::Request& req, httplib::Response& res) { Vast(req, res); });
    if (port == 0) {
      port = server_.bind_to_any_port(host);
      if (port < 0) return Status::Unavailable("harness: cannot bind " + host);
    } else if (!server_.bind_to_port(host, port)) {
      return Status::Unavailable("harness: cannot bind " + listen + " (target profile harness.listen)");
    }
    base_ = "http://" + host + ":" + std::to_string(port);
    vast_ = std::make_unique<server::DecisionService>(VastConfig());
    vast_->set_self_url(base_);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 200 && !server_.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (!server_.is_running()) return Status::Unavailable("harness: server on " + base_ + " did not start");
    return Status::Ok();
  }
  void Stop() {
    stopping_ = true;
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  const std::string& base() const { return base_; }
  // Target profile decision "vast": the target asks GET /vast/tag.xml; its answers are recorded
  // (vast.*, beacon.*) even for a scenario with JSON decisions.
  void set_vast_decisions(bool on) { vast_decisions_ = on; }
  bool vast_decisions() const { return vast_decisions_ || !scenario_->decision.vast.tag.empty(); }
  std::string ad_prefix() const { return base_ + "/ads/"; }
  std::string slate_uri() const { return base_ + (CmafOrigin(*scenario_) ? "/slate.m4s" : "/slate.ts"); }
  std::string slate_init_uri() const { return base_ + "/slate_init.mp4"; }
  // What demuxed renditions play where an ad has no media for them (issue 14): silence, blank WebVTT.
  std::string audio_slate_uri() const { return base_ + (CmafOrigin(*scenario_) ? "/slate_audio.m4s" : "/slate_audio.aac"); }
  std::string audio_slate_init_uri() const { return base_ + "/slate_audio_init.mp4"; }
  std::string blank_subtitles_uri() const { return base_ + "/blank.vtt"; }

  std::vector<DecisionRequestRecord> TakeDecisions() {
    std::lock_guard<std::mutex> lock(mu_);
    return decisions_;
  }
  // What the VAST ad server recorded, as observations (issue 15).
  void CollectVast(Observations* obs) const {
    if (!vast_ || (scenario_->decision.vast.tag.empty() && !vast_decisions_)) return;
    obs->vast_observed = true;
    std::set<std::string> ads;
    for (const AdSpec& a : scenario_->decision.ads) ads.insert(a.id);
    for (const server::DecisionService::VastFetch& f : vast_->vast_fetches()) {
      VastFetchRecord rec{f.at_ms * kMicrosPerMilli, f.path, 0};
      if (f.path.starts_with("/vast/wrapper/")) {
        rec.wrapper_level = static_cast<int>(ParseInt64(f.path.substr(14, f.path.find('/', 14) - 14)).value_or(0));
      }
      obs->vast_fetches.push_back(std::move(rec));
    }
    auto param = [](const std::string& query, const std::string& key) {
      for (size_t at = 0; at < query.size();) {
        size_t amp = query.find('&', at);
        if (amp == std::string::npos) amp = query.size();
        const std::string kv = query.substr(at, amp - at);
        if (kv.starts_with(key + "=")) return kv.substr(key.size() + 1);
        at = amp + 1;
      }
      return std::string();
    };
    for (const server::DecisionService::Ping& p : vast_->received_pings()) {
      const UnixMicros t = p.at_ms * kMicrosPerMilli;
      if (p.kind == "error") {
        obs->vast_error_pings.push_back({t, static_cast<int>(ParseInt64(param(p.query, "code")).value_or(0)), p.query});
        continue;
      }
      std::string ad = param(p.query, "ad");
      // A wrapper's Impression ("ad=w2") names no creative: ad "" (the checks attribute it to the
      // creative impression it fired with, evaluate.cc Beacons).
      if (p.kind == "impression" && !ads.count(ad)) ad.clear();
      obs->beacons.push_back(
          {t, p.session, "", std::move(ad), p.kind == "impression" ? "impression" : param(p.query, "event"),
           p.kind + "?" + p.query});
    }
    obs->beacons_observed = true;
  }

 private:
  std::string AdPlaylist(const std::string& id, const std::string& bps) const {
    for (const AdSpec& ad : scenario_->decision.ads) {
      if (ad.id == id) return AdMediaPlaylist(*scenario_, ad, std::stoll(bps), ad_prefix() + id + "/" + bps);
    }
    return AdMediaPlaylist(*scenario_, AdSpec{id, 0, 0}, std::stoll(bps), ad_prefix() + id + "/" + bps);
  }

  server::DecisionConfig VastConfig() const {
    return ScenarioAdServerConfig(*scenario_, [this](const std::string& id, int64_t bps) {
      return ad_prefix() + id + "/" + std::to_string(bps) + ".m3u8";
    });
  }

  void Vast(const httplib::Request& req, httplib::Response& res) {
    // Target profile decision "vast" (issue 16): a deployment configured once asks GET
    // /vast/tag.xml; it is the scenario's own tag, or for a JSON scenario the pod of its ads.
    std::string path = req.path;
    const bool fixed_tag = path == "/vast/tag.xml";
    if (fixed_tag) path = "/vast/" + (scenario_->decision.vast.tag.empty() ? std::string(kVastPodTag) : scenario_->decision.vast.tag);
    if (path == "/vast/" + scenario_->decision.vast.tag || fixed_tag) {
      // The ad tag: one decision request (the server's ExpandAdTag fills ?event=).
      {
        std::lock_guard<std::mutex> lock(mu_);
        decisions_.push_back({WallNow(), req.get_param_value("event"), 0});
      }
      // The scenario's decision faults, as POST /decision applies them.
      if (ApplyDecisionFault(res)) return;
    }
    if (req.path == "/vast/timeout.xml") {
      // Bounded: longer than the server's VAST fetch timeout, shorter than the run.
      for (int i = 0; i < 50 && !stopping_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      res.status = 504;
      return;
    }
    std::string query;
    for (const auto& [k, v] : req.params) query += (query.empty() ? "" : "&") + k + "=" + v;
    server::ToHttplib(vast_->VastResponse(path, query, req.get_header_value("X-SSAI-Session")), res);
  }

  // The scenario's decision behaviour now (faults kind "decision"): true when it answered `res`
  // (hang: 504 after 5 s, longer than a sane decision timeout, shorter than the run; fail: 500).
  bool ApplyDecisionFault(httplib::Response& res) {
    const DecisionBehaviour b = DecisionBehaviourAt(*scenario_, WallNow());
    if (b == DecisionBehaviour::kHang) {
      for (int i = 0; i < 50 && !stopping_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      res.status = 504;
      return true;
    }
    if (b == DecisionBehaviour::kFail) {
      res.status = 500;
      res.set_content(R"({"error":"decision: scenario says fail"})", "application/json");
      return true;
    }
    return false;
  }

  // reference/server HttpDecisionClient's body: {"channelId","eventId","podId","duration"}.
  void Decide(const httplib::Request& req, httplib::Response& res) {
    const UnixMicros now = WallNow();
    Json j = Json::parse(req.body, nullptr, false);
    DecisionRequestRecord rec{now, "", 0};
    if (j.is_object()) {
      if (j.contains("eventId") && j["eventId"].is_string()) rec.event_id = j["eventId"].get<std::string>();
      if (j.contains("duration") && j["duration"].is_number()) rec.duration_s = j["duration"].get<double>();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      decisions_.push_back(rec);
    }
    if (DecisionBehaviourAt(*scenario_, now) == DecisionBehaviour::kHang) {
      ApplyDecisionFault(res);
      return;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(SecondsToMicros(scenario_->decision.latency_ms / 1000)));
    if (ApplyDecisionFault(res)) return;
    Json items = Json::array();
    for (const AdSpec& ad : scenario_->decision.ads) {
      Json variants = Json::object();
      for (const origin::Rendition& r : scenario_->origin.renditions) {
        variants[std::to_string(r.bandwidth_bps)] = ad_prefix() + ad.id + "/" + std::to_string(r.bandwidth_bps) + ".m3u8";
      }
      Json item{{"id", ad.id}, {"duration", ad.duration_s}, {"variants", variants}};
      if (ad.segment_duration_s > 0) item["segmentDuration"] = ad.segment_duration_s;
      if (!scenario_->origin.audio.empty()) {
        // The ad's audio per language (issue 14; reference/server decision items[].audio).
        Json audio = Json::array();
        for (const std::string& lang : AdAudioLanguages(*scenario_, ad)) {
          audio.push_back({{"language", lang}, {"url", ad_prefix() + ad.id + "/audio_" + lang + ".m3u8"}});
        }
        item["audio"] = std::move(audio);
      }
      items.push_back(std::move(item));
    }
    res.set_content(Json{{"podId", scenario_->decision.pod_id}, {"items", items}}.dump(), "application/json");
  }

  const Scenario* scenario_;
  httplib::Server server_;
  std::thread thread_;
  std::string base_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::vector<DecisionRequestRecord> decisions_;
  std::unique_ptr<server::DecisionService> vast_;
  bool vast_decisions_ = false;
};

// Drives one scenario against a target described by `profile`, in real time.
class RealTimeRun {
 public:
  RealTimeRun(const TargetProfile& profile, std::string target_name, const Scenario& shifted,
              const HarnessServices& services)
      : p_(profile), s_(shifted), services_(services) {
    obs_.target = std::move(target_name);
    obs_.scenario = shifted.name;
  }

  Result<Observations> Run() {
    obs_.kv_observed = false;  // KV is inside the target
    obs_.http_api = true;
    obs_.run_start = s_.origin.start_time;
    obs_.ad_uri_prefix = p_.ad_uri_prefix.empty() ? services_.ad_prefix() : p_.ad_uri_prefix;
    obs_.slate_uri = p_.slate_uri.empty() ? services_.slate_uri() : p_.slate_uri;
    if (p_.slate_uri.empty()) {  // the harness's slates, demuxed ones too (issue 14)
      if (!s_.origin.audio.empty()) obs_.alternate_slate_uris.push_back(services_.audio_slate_uri());
      if (!s_.origin.subtitles.empty()) obs_.alternate_slate_uris.push_back(services_.blank_subtitles_uri());
    }
    obs_.decisions_known = p_.decision != "own";
    obs_.decisions_observed = obs_.decisions_known;
    obs_.api_strict = p_.cue.api_checks == "strict";
    obs_.cue_duplicate_observed = !p_.cue.duplicate_pointer.empty();
    SSAI_ASSIGN_OR_RETURN(token_, TokenFrom(p_.cue.token, p_.cue.token_env, "cue.token_env"));
    SSAI_ASSIGN_OR_RETURN(viewer_token_, TokenFrom(p_.viewer_token, p_.viewer_token_env, "viewer_token_env"));
    std::vector<std::thread> threads;
    const UnixMicros end = s_.At(s_.duration_s);
    int vi = 0;
    for (const ViewerSpec& v : s_.viewers) {
      std::vector<std::string> renditions = v.renditions;
      if (renditions.empty()) {
        for (const origin::Rendition& r : s_.origin.renditions) renditions.push_back(r.name);
      }
      for (int k = 0; k < v.count; ++k) {
        const std::string name = v.pop + "/v" + std::to_string(vi++);
        const UnixMicros join = s_.At(v.JoinOfCopyS(k));
        const UnixMicros leave = v.leave_s ? std::min(end, s_.At(*v.leave_s)) : end;
        const InsertionMode mode = v.mode.value_or(s_.mode);
        const int index = vi - 1;
        const TargetProfile::Playlists& pl = PlaylistsFor(mode, v.pop);
        obs_.pop_urls[v.pop][std::string(InsertionModeName(mode))] = {
            PlaylistsSource(mode, v.pop), Url(pl.master_url, "{rendition}"), Url(pl.variant_url, "{rendition}")};
        threads.emplace_back([this, v, name, join, leave, renditions, mode, index] {
          Viewer(v.pop, name, join, leave, renditions, mode, index);
        });
      }
    }
    threads.emplace_back([this] { Cues(); });
    if (s_.api_probes && p_.cue.probes) threads.emplace_back([this] { Probes(); });
    for (std::thread& t : threads) t.join();
    std::sort(obs_.fetches.begin(), obs_.fetches.end(), [](const Fetch& a, const Fetch& b) {
      return a.request_time != b.request_time ? a.request_time < b.request_time : a.url < b.url;
    });
    int64_t unanswered = 0;
    bool kv_sources = false;
    for (const Fetch& f : obs_.fetches) {
      unanswered += f.response_time == 0;
      kv_sources |= f.state_source == "kv-hit" || f.state_source == "kv-miss";
    }
    obs_.reads_kv = kv_sources;  // the target says where state came from, and KV is one of them
    obs_.stats["fetches"] = static_cast<int64_t>(obs_.fetches.size());
    obs_.stats["unanswered"] = unanswered;
    obs_.stats["late_reloads"] = late_reloads_;
    return std::move(obs_);
  }

 private:
  static Result<std::string> TokenFrom(const std::string& token, const std::string& env, const char* field) {
    if (!token.empty() || env.empty()) return token;
    const char* v = std::getenv(env.c_str());
    if (v == nullptr || *v == '\0') {
      return Status::InvalidArgument(std::string("target profile: ") + field + ": environment variable " + env +
                                     " is not set");
    }
    return std::string(v);
  }

  std::string Url(const std::string& tmpl, const std::string& rendition) const {
    return Replace(Replace(Replace(tmpl, "{org}", p_.org), "{channel}", p_.channel), "{rendition}", rendition);
  }

  // A POP with its own playlists (the profile's `pops`, serve:'s edge per POP) uses those, else
  // the top-level blocks. CheckRealTimeScenario made sure the block a viewer needs exists (an
  // SGAI viewer of a listed POP has that POP's `sgai`, never another host's).
  const TargetProfile::Playlists& PlaylistsFor(InsertionMode mode, const std::string& pop) const {
    if (auto it = p_.pops.find(pop); it != p_.pops.end()) {
      return mode == InsertionMode::kSgai && it->second.sgai ? *it->second.sgai : it->second.ssai;
    }
    return mode == InsertionMode::kSgai && p_.sgai ? *p_.sgai : p_.ssai;
  }
  // For the report (Observations::pop_urls): which block PlaylistsFor picks.
  std::string PlaylistsSource(InsertionMode mode, const std::string& pop) const {
    const std::string m(InsertionModeName(mode));
    return p_.pops.count(pop) ? "pops." + pop + "." + m : m;
  }

  void Record(Fetch f) {
    std::lock_guard<std::mutex> lock(mu_);
    obs_.fetches.push_back(std::move(f));
  }

  // `seen` (the viewer's interstitials already fetched): an SGAI media playlist's new
  // interstitials are fetched, their lists and assets (issue 16, sgai_assets.h).
  // A demuxed rendition the viewer chose from the multivariant playlist (player_choice.h).
  struct Alternate {
    std::string url;   // resolved against the multivariant playlist's URL
    std::string name;  // Fetch::rendition
    std::string kind;  // Fetch::alternate: "audio" or "subtitles"
  };

  // `alternate`: a demuxed rendition (its URL from the multivariant playlist), else `rendition`
  // (a variant by the profile's variant_url, or "" for the multivariant playlist). Returns the
  // answer's body for the multivariant playlist (the viewer chooses from it; *url_out: the URL
  // asked, which its URIs are relative to), else "".
  std::string Get(const std::string& pop, const std::string& viewer, const std::string& rendition, InsertionMode mode,
                  int64_t reload, std::set<std::string>* seen = nullptr, const Alternate* alternate = nullptr,
                  std::string* url_out = nullptr) {
    Fetch f;
    f.pop = pop;
    f.viewer = viewer;
    f.rendition = alternate ? alternate->name : rendition;
    f.mode = mode;
    f.reload = reload;
    const TargetProfile::Playlists& pl = PlaylistsFor(mode, pop);
    f.url = alternate ? alternate->url : rendition.empty() ? Url(pl.master_url, "") : Url(pl.variant_url, rendition);
    httplib::Headers headers;
    for (const auto& [name, value] : pl.headers) headers.emplace(name, Replace(value, "{token}", viewer_token_));
    // A multivariant playlist's URIs may carry the session already (our server's do).
    const std::string param = p_.session_param + "=";
    if (!p_.session_param.empty() && f.url.find("?" + param) == std::string::npos &&
        f.url.find("&" + param) == std::string::npos) {
      f.url += (f.url.find('?') == std::string::npos ? "?" : "&") + param + SessionOfViewer(viewer);
    }
    f.request_time = WallNow();
    bool subtitles = false;
    if (alternate != nullptr) {
      f.alternate = alternate->kind;
      // The origin's rendition of that name, when the harness's origin has one (the lint baseline).
      if (const origin::AlternateRendition* a = origin::FindAlternate(s_.origin, alternate->name, &subtitles);
          a != nullptr && subtitles == (alternate->kind == "subtitles")) {
        f.origin_body = OriginAlternatePlaylistAt(s_, *a, subtitles, f.request_time);
      }
    } else if (const origin::Rendition* r = origin::FindRendition(s_.origin, rendition)) {
      f.bandwidth_bps = r->bandwidth_bps;
      f.origin_body = OriginPlaylistAt(s_, *r, f.request_time);
    }
    GetPlaylist(headers, p_.state_source_header, &f, p_.tls);
    std::string master_body;
    if (rendition.empty() && alternate == nullptr && f.http_status == 200) master_body = f.body;
    if (url_out != nullptr) *url_out = f.url;
    if (seen != nullptr && mode == InsertionMode::kSgai) {
      AssetFetcher fetch = [this, &headers](const std::string& url, std::function<void(int, std::string)> done) {
        HttpResult r = Send("GET", url, headers, "", "", hls::kMaxPlaylistBytes, p_.tls);
        done(r.status, std::move(r.body));
      };
      FetchSgaiAssets(f, seen, fetch, [this](SgaiAssetRecord rec) {
        std::lock_guard<std::mutex> lock(mu_);
        obs_.sgai_assets.push_back(std::move(rec));
      });
    }
    Record(std::move(f));
    return master_body;
  }

  // What this viewer loads besides its variants, chosen from the multivariant playlist as a
  // player does (player_choice.h: the first variant's AUDIO and SUBTITLES groups, viewers taking
  // the languages in turn, the builtin target's rule): at most one audio and one subtitle rendition.
  static std::vector<Alternate> AlternatesOf(const std::string& master_body, const std::string& master_url,
                                             const std::string& variant, int viewer_index) {
    std::vector<Alternate> out;
    Result<hls::MasterPlaylist> m = hls::ParseMaster(master_body);
    if (!m.ok()) return out;  // hls.* checks report it
    std::optional<PlayerChoice> c = ChoosePlayerRenditions(*m, master_url, variant, viewer_index);
    if (!c) return out;
    if (c->audio) out.push_back({c->audio->url, c->audio->name, "audio"});
    if (c->subtitles) out.push_back({c->subtitles->url, c->subtitles->name, "subtitles"});
    return out;
  }

  // Reloads on an absolute schedule join + n x target duration (RFC 8216 §6.3.4), so a viewer
  // keeps its phase against the origin's segment boundaries.
  // Without a master_url the viewer cannot know the demuxed renditions: it loads variants only.
  void Viewer(const std::string& pop, const std::string& name, UnixMicros join, UnixMicros leave,
              const std::vector<std::string>& renditions, InsertionMode mode, int index) {
    SleepUntil(join);
    std::vector<Alternate> alternates;
    if (!PlaylistsFor(mode, pop).master_url.empty()) {
      std::string url;
      const std::string body = Get(pop, name, "", mode, 0, nullptr, nullptr, &url);
      if (!body.empty()) alternates = AlternatesOf(body, url, renditions.empty() ? "" : renditions.front(), index);
    }
    const DurationMicros period = origin::TargetDurationSeconds(s_.origin) * kMicrosPerSecond;
    std::set<std::string> seen;  // interstitials this viewer fetched
    for (int64_t n = 1;; ++n) {
      const UnixMicros at = join + (n - 1) * period;
      if (at >= leave) break;
      SleepUntil(at);
      if (WallNow() - at > period / 2) {
        std::lock_guard<std::mutex> lock(mu_);
        ++late_reloads_;
      }
      // Demuxed renditions in lockstep with the variants: the same reload number (variants.*).
      for (const std::string& r : renditions) Get(pop, name, r, mode, n, &seen);
      for (const Alternate& a : alternates) Get(pop, name, "", mode, n, nullptr, &a);
    }
  }

  httplib::Headers AuthHeaders(const std::string& token) const {
    if (p_.cue.auth_header.empty()) return {};
    return {{p_.cue.auth_header, Replace(p_.cue.auth_value, "{token}", token)}};
  }

  std::string CueBody(double duration_s, const std::string& pod_id) const {
    return FillBody(p_.cue.body, duration_s, pod_id);
  }

  std::string FillBody(const std::string& tmpl, double duration_s, const std::string& pod_id) const {
    const UnixMicros now = WallNow();
    const std::map<std::string, std::string> values = {
        {"org", p_.org},
        {"channel", p_.channel},
        {"duration", FormatDouble(duration_s)},
        {"pod_id", pod_id},
        {"pod_id_field", pod_id.empty() ? "" : ",\"pod_id\":" + Json(pod_id).dump()},
        {"now_iso", FormatIso8601Millis(now)},
        {"now_epoch_s", std::to_string(now / kMicrosPerSecond)},
        {"now_epoch_ms", std::to_string(now / 1000)}};
    return FillCueTemplate(tmpl, values, p_.cue.content_type.find("json") != std::string::npos);
  }

  // A time pointer's value: cue.time_format says how it reads; 0 = unreadable.
  UnixMicros TimeValue(const Json& v) const {
    const std::string& f = p_.cue.time_format;
    if (v.is_string() && (f == "auto" || f == "iso8601")) {
      Result<UnixMicros> t = ParseIso8601(v.get<std::string>());
      return t.ok() ? *t : 0;
    }
    if (!v.is_number() || f == "iso8601") return 0;
    const double x = v.get<double>();
    if (!std::isfinite(x) || x <= 0 || x > 1e16) return 0;
    // auto: 1e11 s is the year 5138 and 1e11 ms is 1973, so one threshold tells them apart.
    const bool ms = f == "epoch_ms" || (f == "auto" && x > 1e11);
    return static_cast<UnixMicros>(std::llround(ms ? x * 1000.0 : x * 1e6));
  }

  void Cues() {
    std::vector<std::pair<UnixMicros, int>> order;
    for (size_t i = 0; i < s_.api_cues.size(); ++i) order.push_back({s_.At(s_.api_cues[i].at_s), static_cast<int>(i)});
    std::sort(order.begin(), order.end());
    for (const auto& [at, i] : order) {
      const ApiCueSpec& c = s_.api_cues[static_cast<size_t>(i)];
      SleepUntil(at);
      CueApiRecord rec;
      // A stop goes where the profile's cue.stop says (CheckRealTimeScenario refused a scenario
      // with stops for a profile without one).
      const CueStopSpec* stop = c.stop && p_.cue.stop ? &*p_.cue.stop : nullptr;
      rec.body = stop ? FillBody(stop->body, 0, "") : CueBody(c.duration_s, c.pod_id);
      rec.expect_duplicate = c.expect_duplicate;
      rec.stop = c.stop;
      rec.spec_index = i;
      rec.time = WallNow();
      const std::string& method = stop && !stop->method.empty() ? stop->method : p_.cue.method;
      const std::string& url = stop && !stop->url.empty() ? stop->url : p_.cue.url;
      HttpResult r = Send(method, Url(url, ""), AuthHeaders(token_), rec.body, p_.cue.content_type,
                          hls::kMaxPlaylistBytes, p_.tls);
      rec.http_status = r.status;
      rec.ok = r.status >= 200 && r.status < 300;
      if (!rec.ok) {
        rec.error = r.status == 0 ? "no answer: " + r.error : "HTTP " + std::to_string(r.status) + " " + Truncate(r.body);
      } else {
        Json j = Json::parse(r.body, nullptr, false);
        auto at_ptr = [&](const std::string& ptr) -> const Json* {
          if (ptr.empty() || j.is_discarded()) return nullptr;
          try {  // the pointer was checked when the profile was read; the answer is the target's
            const Json::json_pointer jp(ptr);
            return j.contains(jp) ? &j.at(jp) : nullptr;
          } catch (const Json::exception&) {
            return nullptr;
          }
        };
        if (const Json* v = at_ptr(p_.cue.event_id_pointer); v && v->is_string()) rec.event_id = v->get<std::string>();
        if (const Json* v = at_ptr(p_.cue.duplicate_pointer); v && v->is_boolean()) rec.duplicate = v->get<bool>();
        if (const Json* v = at_ptr(p_.cue.start_time_pointer)) rec.start_time = TimeValue(*v);
        if (const Json* v = at_ptr(p_.cue.end_time_pointer)) rec.end_time = TimeValue(*v);
      }
      std::lock_guard<std::mutex> lock(mu_);
      obs_.cues.push_back(std::move(rec));
    }
  }

  void Probe(const std::string& check_id, const std::string& body, const std::string& expected, int expected_status,
             const httplib::Headers& headers, std::vector<int> allowed_statuses = {}, const std::string& url = "") {
    ApiProbeRecord rec;
    rec.check_id = check_id;
    rec.body = Truncate(body);
    rec.expected = expected;
    rec.expected_status = expected_status;
    rec.allowed_statuses = std::move(allowed_statuses);
    HttpResult r = Send(p_.cue.method, url.empty() ? Url(p_.cue.url, "") : url, headers, body, p_.cue.content_type,
                        hls::kMaxPlaylistBytes, p_.tls);
    rec.http_status = r.status;
    rec.refused = r.status >= 400;
    rec.response_body = r.body.substr(0, 4096);
    Json j = Json::parse(r.body, nullptr, false);
    rec.error = j.is_object() && j.contains("error") && j["error"].is_string()
                    ? j["error"].get<std::string>()
                    : (r.status == 0 ? "no answer: " + r.error : Truncate(r.body, 200));
    std::lock_guard<std::mutex> lock(mu_);
    obs_.api_probes.push_back(std::move(rec));
  }

  // At 1 s into the run (as the builtin target): auth, then validation. A probe that a target
  // wrongly accepts makes a break; the scenario's splice checks then show it too.
  void Probes() {
    SleepUntil(s_.At(1));
    const std::string valid = CueBody(30, "");
    if (p_.cue.api_checks == "strict") {
      Probe("api.auth.missing_token", valid, "token", 401, {});
      Probe("api.auth.wrong_token", valid, "token", 401, AuthHeaders(token_ + "-wrong"));
      for (const ProbeCase& c : CueProbeCases(p_.org, p_.channel)) {
        Probe(c.check_id, c.body, c.expected, c.expected_status, AuthHeaders(token_));
      }
      return;
    }
    // RFC 9110 §15.5.2/§15.5.4: a missing or wrong credential is refused with 401 or 403.
    if (!p_.cue.auth_header.empty()) {
      Probe("api.auth.missing_token", valid, "no credential", 0, {}, {401, 403});
      Probe("api.auth.wrong_token", valid, "a wrong credential", 0, AuthHeaders(token_ + "-wrong"), {401, 403});
    }
    for (const ClassProbe& c : ClassProbeCases()) {
      Probe(c.check_id, c.body, c.what, 0, AuthHeaders(token_), c.allowed_statuses, c.url);
    }
  }

  struct ClassProbe {
    std::string check_id;
    std::string body;
    std::string what;  // what the probe gets wrong
    std::vector<int> allowed_statuses;
    std::string url;  // empty: cue.url
  };

  // Probes shaped by the target's own cue body (cue.body): the valid body with its duration
  // missing, mistyped or out of range, its channel unknown or malformed. The duration is found as
  // the number the template's {duration} became; the channel as the string equal to `channel`
  // (or {channel} in cue.url). A body that is not a JSON object gets the malformed-body probe only.
  std::vector<ClassProbe> ClassProbeCases() const {
    static constexpr double kSentinel = 30.5;  // what {duration} becomes, to find it again
    const std::string body = CueBody(kSentinel, "");
    const std::vector<int> invalid = {400, 422};  // RFC 9110 §15.5.1, RFC 4918 §11.2
    std::vector<ClassProbe> out;
    out.push_back({"api.cue.invalid_json", body.substr(0, body.size() / 2), "a truncated body", invalid, ""});
    Json j = Json::parse(body, nullptr, false);
    if (!j.is_object()) return out;
    // Paths (as JSON pointers) to the duration number and the channel string.
    std::string duration_at, channel_at;
    std::function<void(const Json&, const std::string&)> walk = [&](const Json& v, const std::string& at) {
      if (v.is_object()) {
        for (const auto& [k, x] : v.items()) {
          std::string key = Replace(Replace(k, "~", "~0"), "/", "~1");
          walk(x, at + "/" + key);
        }
      } else if (v.is_number() && duration_at.empty() && v.get<double>() == kSentinel) {
        duration_at = at;
      } else if (v.is_string() && channel_at.empty() && v.get<std::string>() == p_.channel) {
        channel_at = at;
      }
    };
    walk(j, "");
    auto with = [&](const std::string& at, const Json* value) {
      Json copy = j;
      const Json::json_pointer ptr(at);
      if (value) {
        copy[ptr] = *value;
      } else {
        copy.at(ptr.parent_pointer()).erase(ptr.back());
      }
      return copy.dump();
    };
    if (!duration_at.empty()) {
      const Json text = "thirty", zero = 0, negative = -30;
      out.push_back({"api.cue.missing_field", with(duration_at, nullptr), "no duration", invalid, ""});
      out.push_back({"api.cue.wrong_type", with(duration_at, &text), "a duration that is a string", invalid, ""});
      out.push_back({"api.cue.duration_range", with(duration_at, &zero), "a zero duration", invalid, ""});
      out.push_back({"api.cue.duration_range", with(duration_at, &negative), "a negative duration", invalid, ""});
    }
    const std::string unknown = "nope-" + std::to_string(WallNow() % 100000);
    if (!channel_at.empty()) {
      const Json bad = "../x", none = unknown;
      out.push_back({"api.cue.invalid_name", with(channel_at, &bad), "a channel name with '/' and '..'", {400, 404, 422}, ""});
      out.push_back({"api.cue.unknown_channel", with(channel_at, &none), "an unknown channel", {404, 400, 422}, ""});
    } else if (p_.cue.url.find("{channel}") != std::string::npos) {
      const std::string url =
          Replace(Replace(p_.cue.url, "{org}", p_.org), "{channel}", unknown);
      out.push_back({"api.cue.unknown_channel", CueBody(30, ""), "an unknown channel in the URL", {404, 400, 422}, url});
    }
    return out;
  }

  const TargetProfile& p_;
  const Scenario& s_;
  const HarnessServices& services_;
  std::string token_;
  std::string viewer_token_;
  std::mutex mu_;
  Observations obs_;
  int64_t late_reloads_ = 0;
};

// A third-party target cannot have KV propagation, coordinator RTT or restarts injected; a
// scenario that needs them is refused by name rather than run without them. `pop_faults`: the
// target is our own per-POP deployment (serve:), which injects every fault kind the scenario
// format has (kv_propagation, coordinator_rtt, coordinator_restart, decision).
Status CheckRealTimeScenario(const Scenario& s, const TargetProfile& p, bool pop_faults = false) {
  for (size_t i = 0; i < s.faults.size(); ++i) {
    if (s.faults[i].kind != "decision") {
      if (pop_faults) continue;
      return Status::Unimplemented("scenario " + s.name + ": faults[" + std::to_string(i) + "].kind '" +
                                   s.faults[i].kind +
                                   "' needs the builtin target or serve: (a third-party target injects decision "
                                   "faults only)");
    }
    if (p.decision == "own") {
      return Status::Unimplemented("scenario " + s.name + ": faults[" + std::to_string(i) +
                                   "].kind 'decision' cannot be injected: target profile " + p.name +
                                   " has decision 'own' (the target calls its own ad server, not the harness's)");
    }
  }
  for (size_t i = 0; i < s.api_cues.size(); ++i) {
    if (s.api_cues[i].stop && !p.cue.stop) {
      return Status::Unimplemented("scenario " + s.name + ": api_cues[" + std::to_string(i) +
                                   "] stops a break, but target profile " + p.name +
                                   " has no `cue.stop` saying how to ask it to");
    }
  }
  // Per-POP URLs: every POP the profile lists must be one of the scenario's (a typo would
  // otherwise send that region's viewers to the top-level host unnoticed). A mismatch between the
  // user's two files is a setup error: kFailedPrecondition, `ssai conform` exits 2 naming it.
  for (const auto& entry : p.pops) {
    const std::string& pop = entry.first;  // a plain reference: clang before 16 cannot capture a structured binding
    if (std::any_of(s.pops.begin(), s.pops.end(), [&](const PopSpec& sp) { return sp.name == pop; })) continue;
    std::string names;
    for (const PopSpec& sp : s.pops) names += (names.empty() ? "" : ", ") + sp.name;
    return Status::FailedPrecondition("target profile " + p.name + ": pops." + pop + ": scenario " + s.name +
                                      " has no POP '" + pop + "' (its POPs: " + names + ")");
  }
  for (size_t i = 0; i < s.viewers.size(); ++i) {
    const ViewerSpec& v = s.viewers[i];
    const std::string where = "scenario " + s.name + ": viewers[" + std::to_string(i) + "]";
    const auto listed = p.pops.find(v.pop);
    if (listed == p.pops.end() && !p.has_top_level_ssai) {
      return Status::FailedPrecondition(where + " are in POP '" + v.pop + "', which target profile " + p.name +
                                        "'s `pops` does not list, and it has no top-level `ssai` block for them");
    }
    if (v.mode.value_or(s.mode) != InsertionMode::kSgai) continue;
    if (listed != p.pops.end() && !listed->second.sgai) {
      return Status::InvalidArgument(where + " play SGAI in POP '" + v.pop + "', but target profile " + p.name +
                                     "'s pops." + v.pop + " has no `sgai` block saying how they ask for it");
    }
    if (listed == p.pops.end() && !p.sgai) {
      return Status::InvalidArgument(where + " play SGAI, but target profile " + p.name +
                                     " has no `sgai` block saying how its viewers ask for it");
    }
  }
  return Status::Ok();
}

// When the real-time run starts: the next whole second at least 1 s ahead (so every viewer's first
// request is in the future), with the origin's window before it already "published"; plus the
// scenario's warm-up (warmup_s: the deployment runs that long before the first viewer may join).
UnixMicros RunStart(const Scenario& scenario) {
  return (WallNow() / kMicrosPerSecond + 2) * kMicrosPerSecond + SecondsToMicros(scenario.warmup_s);
}

Result<Observations> RunRealTime(const TargetProfile& profile, const std::string& target_name,
                                 const Scenario& scenario, HarnessServices* services, const Scenario& shifted) {
  (void)scenario;
  RealTimeRun run(profile, target_name, shifted, *services);
  Result<Observations> obs = run.Run();
  if (obs.ok()) {
    obs->decision_requests = services->TakeDecisions();
    // Beacons are sent after the playlist that made them due: give the last ones a moment.
    if (services->vast_decisions()) std::this_thread::sleep_for(std::chrono::seconds(2));
    services->CollectVast(&*obs);
    obs->stats["decision_requests"] = static_cast<int64_t>(obs->decision_requests.size());
    AddPopStats(obs->run_start, &*obs);  // per POP: its edge (serve:) or its own URLs (profile `pops`)
  }
  return obs;
}

class HttpTarget : public Target {
 public:
  explicit HttpTarget(TargetProfile profile) : profile_(std::move(profile)) {}
  std::string name() const override { return "http:" + profile_.name; }
  Result<Observations> Run(const Scenario& scenario, const Profile& /*profile*/) override {
    SSAI_RETURN_IF_ERROR(CheckRealTimeScenario(scenario, profile_));
    Scenario shifted = ShiftedTo(scenario, RunStart(scenario));
    HarnessServices services(&shifted);
    services.set_vast_decisions(profile_.decision == "vast");
    SSAI_RETURN_IF_ERROR(services.Start(profile_.harness_listen));
    Result<Observations> obs = RunRealTime(profile_, name(), scenario, &services, shifted);
    services.Stop();
    return obs;
  }

 private:
  TargetProfile profile_;
};

// Beyond decision timeout + RTT: the coordinator's own work and loopback HTTP.
constexpr int64_t kServeCoordinatorMarginMs = 500;

// The coordinator's decision timeout: the scenario's (coordinator.decision_timeout_s).
int64_t ServeDecisionTimeoutMs(const Scenario& s) { return std::llround(s.decision_timeout_s * 1000); }

// The server takes injected latencies and timeouts up to 60 s (config.cc); the edge's coordinator
// timeout is decision timeout + RTT + margin, so a longer RTT is refused by name before anything
// starts rather than failing an edge's config (or a fault) mid-run.
Status CheckServeRtts(const Scenario& s) {
  if (s.kv_list_staleness_s != 0) {
    return Status::FailedPrecondition("scenario " + s.name + ": kv.list_staleness_s " + std::to_string(s.kv_list_staleness_s) +
                                      ": serve:'s KV lists fresh (0; the builtin target takes any)");
  }
  const int64_t max_rtt_ms = 60'000 - ServeDecisionTimeoutMs(s) - kServeCoordinatorMarginMs;
  auto check = [&](double rtt_ms, const std::string& where) {
    if (std::llround(rtt_ms) <= max_rtt_ms) return Status::Ok();
    // kFailedPrecondition: refused before the run, `ssai conform` exits 2 naming the field.
    return Status::FailedPrecondition("scenario " + s.name + ": " + where + " " + FormatDouble(rtt_ms) +
                                 ": serve: injects a coordinator round trip of at most " + std::to_string(max_rtt_ms) +
                                 " ms (the builtin target takes any)");
  };
  for (size_t i = 0; i < s.pops.size(); ++i) {
    SSAI_RETURN_IF_ERROR(check(s.pops[i].coordinator_rtt_ms, "pops[" + std::to_string(i) + "].coordinator_rtt_ms"));
  }
  for (size_t i = 0; i < s.faults.size(); ++i) {
    if (s.faults[i].kind != "coordinator_rtt") continue;
    SSAI_RETURN_IF_ERROR(check(s.faults[i].value, "faults[" + std::to_string(i) + "].rtt_ms"));
  }
  return Status::Ok();
}

// serve:BUILD: reference/server in-process, one coordinator and one edge per POP, configured
// against the harness (http_target.h, conformance/README.md "serve:").
class ServeTarget : public Target {
 public:
  explicit ServeTarget(std::string build) : build_(std::move(build)) {}
  std::string name() const override { return "serve:" + build_; }
  Result<Observations> Run(const Scenario& scenario, const Profile& /*profile*/) override {
    SSAI_RETURN_IF_ERROR(CheckRealTimeScenario(scenario, ServeProfile("http://127.0.0.1", "", {}), /*pop_faults=*/true));
    SSAI_RETURN_IF_ERROR(CheckServeRtts(scenario));
    const std::vector<ServePopEdge> plan = ServePopEdges(scenario);
    Scenario shifted = ShiftedTo(scenario, RunStart(scenario));
    HarnessServices services(&shifted);
    SSAI_RETURN_IF_ERROR(services.Start("127.0.0.1:0"));
    std::random_device rd;
    const std::string token = "conf-" + std::to_string(rd()) + std::to_string(rd());
    io::TempDir journal_dir("ssai-serve");  // the coordinator's journal: what a coordinator_restart recovers from
    if (journal_dir.path().empty()) return Status::Unavailable(name() + ": cannot create a temporary directory");
    Json base = BaseConfig(shifted, services);

    // The coordinator: the cue API, decisions, the KV writer (a location with no propagation).
    Json coord_config = base;
    coord_config["role"] = "coordinator";
    coord_config["auth"] = {{"token", token}};
    coord_config["journal_path"] = journal_dir.path() + "/coordinator.journal";
    server::SharedKv kv;
    coord_config["timeouts"]["decision_ms"] = ServeDecisionTimeoutMs(shifted);
    const DurationMicros coordinator_kv_latency = SecondsToMicros(shifted.kv_write_latency_ms / 1000);
    auto coordinator_hooks = [&kv, coordinator_kv_latency] {
      server::ServerHooks h;
      h.make_kv = [&kv, coordinator_kv_latency](Scheduler* sched) -> std::unique_ptr<KvStore> {
        return std::make_unique<server::SharedKvLocation>(&kv, sched, 0, coordinator_kv_latency);
      };
      return h;
    };
    Result<server::ServerConfig> parsed = server::ParseServerConfig(coord_config.dump());
    if (!parsed.ok()) return parsed.status().WithContext(name() + " coordinator config");
    server::ServerConfig coordinator_cfg = std::move(parsed).value();
    auto coordinator = std::make_unique<server::Server>(coordinator_cfg, coordinator_hooks());
    SSAI_RETURN_IF_ERROR(coordinator->Start().WithContext(name() + " coordinator"));
    coordinator_cfg.port = coordinator->port();  // a restart comes back on the same port

    // One edge per POP: its KV location (propagation, latency), its read cache, its round trip.
    std::vector<std::unique_ptr<server::Server>> edges;
    std::map<std::string, server::SharedKvLocation*> locations;  // owned by the edges
    std::map<std::string, server::Server*> edge_of;
    std::map<std::string, std::string> edge_base;
    for (const ServePopEdge& e : plan) {
      Json ec = base;
      ec["role"] = "edge";
      ec["coordinator_url"] = coordinator->base_url();
      ec["kv"] = {{"cache_ttl_s", e.kv_cache_ttl_s}};
      ec["inject"] = {{"coordinator_latency_ms", {e.coordinator_latency_ms, e.coordinator_latency_ms}}};
      ec["timeouts"] = {{"coordinator_ms", e.coordinator_timeout_ms}};
      Result<server::ServerConfig> edge_cfg = server::ParseServerConfig(ec.dump());
      if (!edge_cfg.ok()) return edge_cfg.status().WithContext(name() + " edge " + e.pop + " config");
      server::ServerHooks h;
      server::SharedKvLocation** slot = &locations[e.pop];
      h.make_kv = [&kv, e, slot](Scheduler* sched) -> std::unique_ptr<KvStore> {
        auto loc = std::make_unique<server::SharedKvLocation>(&kv, sched, e.kv_propagation_us, e.kv_latency_us);
        *slot = loc.get();
        return loc;
      };
      edges.push_back(std::make_unique<server::Server>(std::move(edge_cfg).value(), std::move(h)));
      SSAI_RETURN_IF_ERROR(edges.back()->Start().WithContext(name() + " edge " + e.pop));
      edge_of[e.pop] = edges.back().get();
      edge_base[e.pop] = edges.back()->base_url();
    }
    const TargetProfile p = ServeProfile(coordinator->base_url(), token, edge_base);

    // The scenario's run-time faults (decision faults are the harness's decision service's).
    std::mutex faults_mu;
    std::condition_variable faults_cv;
    bool run_over = false;
    int64_t restarts = 0;
    Status fault_error;
    std::thread faults([&] {
      for (const FaultSpec& f : shifted.faults) {
        {
          std::unique_lock<std::mutex> lock(faults_mu);
          const auto at = std::chrono::system_clock::time_point(std::chrono::microseconds(shifted.At(f.at_s)));
          if (faults_cv.wait_until(lock, at, [&] { return run_over; })) return;
        }
        if (f.kind == "kv_propagation") {
          if (server::SharedKvLocation* loc = locations.at(f.pop)) loc->set_propagation_delay(SecondsToMicros(f.value));
        } else if (f.kind == "coordinator_rtt") {
          const int64_t ms = std::llround(f.value);
          if (Status st = edge_of.at(f.pop)->SetInjectedCoordinatorLatency(ms, ms); !st.ok() && fault_error.ok()) fault_error = st;
        } else if (f.kind == "coordinator_restart") {
          // Stop and start again from its journal on the same port, as a redeploy does; the edges
          // answer from KV (or fail over) meanwhile.
          coordinator->Stop();
          coordinator = std::make_unique<server::Server>(coordinator_cfg, coordinator_hooks());
          if (Status st = coordinator->Start(); !st.ok()) {
            if (fault_error.ok()) fault_error = st.WithContext("coordinator_restart at " + FormatDouble(f.at_s) + " s");
          } else {
            ++restarts;
          }
        }
      }
    });
    Result<Observations> obs = RunRealTime(p, name(), scenario, &services, shifted);
    {
      std::lock_guard<std::mutex> lock(faults_mu);
      run_over = true;
    }
    faults_cv.notify_all();
    faults.join();
    for (auto& e : edges) e->Stop();
    coordinator->Stop();
    services.Stop();
    if (!fault_error.ok()) return fault_error.WithContext(name());
    if (obs.ok()) {
      obs->stats["pop_edges"] = static_cast<int64_t>(edges.size());
      obs->stats["kv_puts"] = kv.puts();
      obs->stats["kv_rejected_puts"] = kv.rejected_puts();
      if (restarts > 0) obs->stats["coordinator_restarts"] = restarts;
    }
    return obs;
  }

 private:
  // What coordinator and edges share: the channel against the harness's origin and ads.
  Json BaseConfig(const Scenario& shifted, const HarnessServices& services) const {
    Json renditions = Json::array();
    for (const origin::Rendition& r : shifted.origin.renditions) renditions.push_back(server::RenditionConfigJson(r));
    const double seg_s = MicrosToSeconds(origin::SegmentDurationMicros(shifted.origin));
    // Demuxed audio and subtitle renditions (issue 14): the server splices them in lockstep and
    // lists them in its multivariant playlist, where the viewers find them (player_choice.h).
    Json alternates = Json::array();
    for (int kind = 0; kind < 2; ++kind) {
      for (const origin::AlternateRendition& a : kind == 0 ? shifted.origin.audio : shifted.origin.subtitles) {
        Json slate = {{"uri", kind == 0 ? services.audio_slate_uri() : services.blank_subtitles_uri()}, {"duration_s", seg_s}};
        if (kind == 0 && CmafOrigin(shifted)) slate["init_uri"] = services.audio_slate_init_uri();
        alternates.push_back({{"name", a.id}, {"type", kind == 0 ? "audio" : "subtitles"}, {"language", a.language},
                              {"default", a.is_default}, {"slate", std::move(slate)}});
      }
    }
    return {
        {"listen", "127.0.0.1:0"},
        {"build", build_},
        // The run's report says what happened; the servers' own logs would interleave with it.
        {"log", {{"level", "off"}}},
        // No origin micro-cache: the harness records the origin playlist at request time as the
        // response's baseline, so the edge must read the same one (see README: timing).
        {"limits", {{"origin_cache_ms", 0}}},
        {"decision", shifted.decision.vast.tag.empty()
                         ? Json{{"url", services.base() + "/decision"}}
                         : Json{{"url", services.base() + "/vast/" + shifted.decision.vast.tag + "?event={event}"},
                                {"format", "vast"},
                                {"ad_segment_duration_s", shifted.decision.ads.at(0).segment_duration_s}}},
        {"channels",
         {{{"org", "conf"},
           {"channel", "ch1"},
           {"mode", InsertionModeName(shifted.mode)},
           {"origin_base_url", services.base() + "/origin"},
           {"renditions", renditions},
           {"alternates", alternates},
           {"slate", CmafOrigin(shifted) ? Json{{"uri", services.slate_uri()}, {"duration_s", seg_s},
                                                 {"init_uri", services.slate_init_uri()}}
                                           : Json{{"uri", services.slate_uri()}, {"duration_s", seg_s}}},
           {"default_pod_id", shifted.decision.pod_id}}}},
    };
  }

  // Our server: the mode is a query parameter on every playlist (so an SSAI viewer of a channel
  // whose default is SGAI still gets SSAI), and the API is judged strictly (our own wording and
  // limits). `coordinator`: the cue API; `edges`: each POP's playlists.
  TargetProfile ServeProfile(const std::string& coordinator, const std::string& token,
                             const std::map<std::string, std::string>& edges) const {
    TargetProfile p;
    p.name = "serve:" + build_;
    p.org = "conf";
    p.channel = "ch1";
    auto playlists = [](const std::string& base, const char* mode) {
      return TargetProfile::Playlists{base + "/{org}/{channel}/master.m3u8",
                                      base + "/{org}/{channel}/{rendition}.m3u8?mode=" + mode, {}};
    };
    // Unused (every POP has its edge), but a profile names its playlists.
    p.ssai = playlists(coordinator, "ssai");
    p.sgai = playlists(coordinator, "sgai");
    for (const auto& [pop, base] : edges) p.pops[pop] = {playlists(base, "ssai"), playlists(base, "sgai")};
    p.cue.url = coordinator + "/cue";
    p.cue.stop = CueStopSpec{"", "", R"({"org":"{org}","channel":"{channel}","action":"stop"})"};
    p.cue.token = token;
    p.cue.api_checks = "strict";
    p.state_source_header = "X-SSAI-State-Source";
    p.session_param = "session";  // server-side beacons follow each viewer session (beacons.h)
    return p;
  }

  std::string build_;
};

Result<TargetProfile> ParseTargetProfileJson(const Json& j);

}  // namespace

Result<TargetProfile> ParseTargetProfile(std::string_view json_text) {
  SSAI_ASSIGN_OR_RETURN(Json j, ParseJsonInput(json_text, "target profile"));  // bounded nesting
  return CatchJsonErrors("target profile", [&] { return ParseTargetProfileJson(j); });
}

namespace {

Status ReadHeaders(const Json& j, const std::string& field, std::map<std::string, std::string>* out) {
  auto it = j.find("headers");
  if (it == j.end()) return Status::Ok();
  if (!it->is_object()) return Bad(field, "must be an object of header name -> value");
  for (const auto& [name, value] : it->items()) {
    if (!value.is_string()) return Bad(field + "." + name, "must be a string");
    // A header name is an RFC 9110 §5.6.2 token; CR/LF in a value would split the request.
    if (name.empty() || name.find_first_of(" \t\r\n:") != std::string::npos) return Bad(field + "." + name, "not a header name");
    const std::string v = value.get<std::string>();
    if (v.find_first_of("\r\n") != std::string::npos) return Bad(field + "." + name, "value contains CR or LF");
    (*out)[name] = v;
  }
  return Status::Ok();
}

// One mode's playlists: {"master_url", "variant_url", "headers"} under `where` ("ssai.", "sgai.",
// or "" for the top-level shorthand, which has no headers).
// `observe`: viewers find the variants in the multivariant playlist, so variant_url is optional.
Status ReadPlaylists(const Json& j, const std::string& where, bool observe, TargetProfile::Playlists* out) {
  SSAI_RETURN_IF_ERROR(ReadStr(j, where, "master_url", &out->master_url));
  SSAI_RETURN_IF_ERROR(ReadStr(j, where, "variant_url", &out->variant_url, !observe));
  if (!out->master_url.empty()) SSAI_RETURN_IF_ERROR(CheckUrl(where + "master_url", out->master_url));
  if (observe && out->variant_url.empty()) return Status::Ok();
  SSAI_RETURN_IF_ERROR(CheckUrl(where + "variant_url", out->variant_url));
  if (out->variant_url.find("{rendition}") == std::string::npos) return Bad(where + "variant_url", "must contain {rendition}");
  if (!where.empty()) SSAI_RETURN_IF_ERROR(ReadHeaders(j, where + "headers", &out->headers));
  return Status::Ok();
}

Status ReadOneOf(const Json& j, const std::string& where, const char* key, std::initializer_list<std::string_view> allowed,
                 std::string* out) {
  SSAI_RETURN_IF_ERROR(ReadStr(j, where, key, out));
  for (std::string_view a : allowed) {
    if (*out == a) return Status::Ok();
  }
  std::string list;
  for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  return Bad(where + key, "must be one of " + list + ", got '" + out->substr(0, 40) + "'");
}

Result<TargetProfile> ParseTargetProfileJson(const Json& j) {
  if (!j.is_object()) return Status::InvalidArgument("target profile: not a JSON object");
  SSAI_RETURN_IF_ERROR(CheckKeys(j, "", {"name", "org", "channel", "master_url", "variant_url", "ssai", "sgai",
                                         "viewer_token", "viewer_token_env", "cue", "decision", "observe",
                                         "state_source_header", "tls",
                                         "metrics_url", "harness", "ad_uri_prefix", "slate_uri", "session_param",
                                         "pops"}));
  TargetProfile p;
  SSAI_RETURN_IF_ERROR(ReadStr(j, "", "name", &p.name));
  SSAI_RETURN_IF_ERROR(ReadStr(j, "", "org", &p.org, true));
  SSAI_RETURN_IF_ERROR(ReadStr(j, "", "channel", &p.channel, true));
  const bool shorthand = j.contains("master_url") || j.contains("variant_url");
  const bool observe = j.contains("observe");
  if (auto m = j.find("ssai"); m != j.end()) {
    if (shorthand) return Bad("ssai", "give the SSAI playlists either here or as top-level master_url/variant_url, not both");
    if (!m->is_object()) return Bad("ssai", "must be an object");
    SSAI_RETURN_IF_ERROR(CheckKeys(*m, "ssai.", {"master_url", "variant_url", "headers"}));
    SSAI_RETURN_IF_ERROR(ReadPlaylists(*m, "ssai.", observe, &p.ssai));
  } else if (shorthand) {
    SSAI_RETURN_IF_ERROR(ReadPlaylists(j, "", observe, &p.ssai));
  } else if (j.contains("pops")) {
    p.has_top_level_ssai = false;  // every POP with viewers must then be listed (checked per run)
  } else {
    return Bad("ssai", "missing (the SSAI viewers' playlists: {\"variant_url\": ..., \"master_url\": ...}, "
                       "or per POP under `pops`)");
  }
  if (auto m = j.find("sgai"); m != j.end()) {
    if (!m->is_object()) return Bad("sgai", "must be an object");
    SSAI_RETURN_IF_ERROR(CheckKeys(*m, "sgai.", {"master_url", "variant_url", "headers"}));
    SSAI_RETURN_IF_ERROR(ReadPlaylists(*m, "sgai.", observe, &p.sgai.emplace()));
  }
  // Per-POP playlists, e.g. one CDN hostname per region: {"eu": {"ssai": {...}, "sgai": {...}}},
  // each block the shape of the top-level one. Which POPs exist is the scenario's business: a
  // name the scenario lacks is refused when a run starts (CheckRealTimeScenario).
  if (auto ps = j.find("pops"); ps != j.end()) {
    if (!ps->is_object()) return Bad("pops", "must be an object of POP name -> {\"ssai\": {...}, \"sgai\": {...}}");
    for (const auto& [pop, block] : ps->items()) {
      if (pop.starts_with("_") || pop == "comment") continue;  // documentation, as everywhere in a profile
      const std::string where = "pops." + pop + ".";
      if (pop.empty()) return Bad("pops", "a POP name must not be empty");
      if (!block.is_object()) return Bad("pops." + pop, "must be an object with an `ssai` block (and optionally `sgai`)");
      SSAI_RETURN_IF_ERROR(CheckKeys(block, where, {"ssai", "sgai"}));
      TargetProfile::PopPlaylists& out = p.pops[pop];
      auto m = block.find("ssai");
      if (m == block.end()) return Bad(where + "ssai", "missing (this POP's SSAI playlists: {\"variant_url\": ..., \"master_url\": ...})");
      for (const char* mode : {"ssai", "sgai"}) {
        auto b = block.find(mode);
        if (b == block.end()) continue;
        if (!b->is_object()) return Bad(where + mode, "must be an object");
        SSAI_RETURN_IF_ERROR(CheckKeys(*b, where + mode + ".", {"master_url", "variant_url", "headers"}));
        SSAI_RETURN_IF_ERROR(ReadPlaylists(*b, where + mode + ".", observe,
                                           std::string_view(mode) == "ssai" ? &out.ssai : &out.sgai.emplace()));
      }
    }
    if (p.pops.empty()) return Bad("pops", "lists no POP");
  }
  SSAI_RETURN_IF_ERROR(ReadStr(j, "", "viewer_token", &p.viewer_token));
  SSAI_RETURN_IF_ERROR(ReadStr(j, "", "viewer_token_env", &p.viewer_token_env));
  bool headers_use_token = false;
  std::vector<const TargetProfile::Playlists*> every_block = {&p.ssai, p.sgai ? &*p.sgai : nullptr};
  for (const auto& [pop, pl] : p.pops) {
    every_block.push_back(&pl.ssai);
    if (pl.sgai) every_block.push_back(&*pl.sgai);
  }
  for (const TargetProfile::Playlists* pl : every_block) {
    if (pl == nullptr) continue;
    for (const auto& [name, value] : pl->headers) headers_use_token |= value.find("{token}") != std::string::npos;
  }
  if (headers_use_token && p.viewer_token.empty() && p.viewer_token_env.empty()) {
    return Bad("viewer_token", "missing (or viewer_token_env): a viewer header uses {token}");
  }
  SSAI_RETURN_IF_ERROR(ReadOneOf(j, "", "decision", {"harness", "vast", "own"}, &p.decision));
  SSAI_RETURN_IF_ERROR(ReadStr(j, "", "state_source_header", &p.state_source_header));
  SSAI_RETURN_IF_ERROR(ReadStr(j, "", "metrics_url", &p.metrics_url));
  SSAI_RETURN_IF_ERROR(ReadStr(j, "", "ad_uri_prefix", &p.ad_uri_prefix));
  SSAI_RETURN_IF_ERROR(ReadStr(j, "", "slate_uri", &p.slate_uri));
  if (p.decision == "own" && p.ad_uri_prefix.empty()) {
    return Bad("ad_uri_prefix", "missing: with decision 'own' the checks tell the target's ads from content by this prefix");
  }
  SSAI_RETURN_IF_ERROR(ReadStr(j, "", "session_param", &p.session_param));
  if (auto t = j.find("tls"); t != j.end()) {
    if (!t->is_object()) return Bad("tls", "must be an object");
    SSAI_RETURN_IF_ERROR(CheckKeys(*t, "tls.", {"ca_file", "insecure"}));
    SSAI_RETURN_IF_ERROR(ReadStr(*t, "tls.", "ca_file", &p.tls.ca_file));
    SSAI_RETURN_IF_ERROR(InTargetProfile(Fields(*t, "tls.").Bool("insecure", &p.tls.insecure)));
    if (p.tls.insecure && !p.tls.ca_file.empty()) {
      return Bad("tls.insecure", "true verifies nothing, so tls.ca_file would be ignored: give one or the other");
    }
  }
  if (!p.metrics_url.empty()) SSAI_RETURN_IF_ERROR(CheckUrl("metrics_url", p.metrics_url));
  if (auto o = j.find("observe"); o != j.end()) {
    if (!o->is_object()) return Bad("observe", "must be an object");
    SSAI_RETURN_IF_ERROR(CheckKeys(*o, "observe.", {"origin_url", "viewers", "session_url", "session_method",
                                                    "session_body", "session_pointer"}));
    ObserveSpec& ob = p.observe.emplace();
    SSAI_RETURN_IF_ERROR(ReadStr(*o, "observe.", "origin_url", &ob.origin_url));
    SSAI_RETURN_IF_ERROR(ReadStr(*o, "observe.", "session_url", &ob.session_url));
    if (!ob.session_url.empty()) SSAI_RETURN_IF_ERROR(CheckUrl("observe.session_url", ob.session_url));
    SSAI_RETURN_IF_ERROR(ReadOneOf(*o, "observe.", "session_method", {"POST", "GET", "PUT"}, &ob.session_method));
    SSAI_RETURN_IF_ERROR(ReadStr(*o, "observe.", "session_body", &ob.session_body));
    SSAI_RETURN_IF_ERROR(ReadStr(*o, "observe.", "session_pointer", &ob.session_pointer));
    try {
      (void)Json::json_pointer(ob.session_pointer);
    } catch (const Json::exception& e) {
      return Bad("observe.session_pointer", std::string("not a JSON pointer (RFC 6901): ") + e.what());
    }
    if (!ob.origin_url.empty()) SSAI_RETURN_IF_ERROR(CheckUrl("observe.origin_url", ob.origin_url));
    SSAI_RETURN_IF_ERROR(InTargetProfile(Fields(*o, "observe.").Integer("viewers", &ob.viewers, {.min = 1, .max = 64})));
    if (p.ssai.master_url.empty() && ob.session_url.empty()) {
      return Bad("ssai.master_url", "missing (or observe.session_url): observe starts where a player does, at the multivariant playlist");
    }
    if (ob.origin_url.empty() && !ob.session_url.empty()) {
      return Bad("observe.origin_url", "missing: with a session step the truth must come from the origin (each session's output differs)");
    }
    if (ob.origin_url.empty() && p.ad_uri_prefix.empty()) {
      return Bad("ad_uri_prefix", "missing: without observe.origin_url the checks tell ads from content by this prefix");
    }
    if (j.find("cue") == j.end()) return p;  // nothing is sent to the deployment
  }
  auto cue = j.find("cue");
  if (cue == j.end()) return Bad("cue", "missing");
  if (!cue->is_object()) return Bad("cue", "must be an object");
  SSAI_RETURN_IF_ERROR(CheckKeys(*cue, "cue.", {"method", "url", "body", "content_type", "auth_header", "auth_value",
                                                "token", "token_env", "event_id_pointer", "duplicate_pointer",
                                                "start_time_pointer", "end_time_pointer", "time_format", "probes",
                                                "api_checks", "stop"}));
  TargetProfile::Cue& c = p.cue;
  SSAI_RETURN_IF_ERROR(ReadStr(*cue, "cue.", "method", &c.method));
  if (c.method != "POST" && c.method != "PUT") return Bad("cue.method", "must be POST or PUT, got '" + c.method + "'");
  SSAI_RETURN_IF_ERROR(ReadStr(*cue, "cue.", "url", &c.url, true));
  SSAI_RETURN_IF_ERROR(CheckUrl("cue.url", c.url));
  SSAI_RETURN_IF_ERROR(ReadStr(*cue, "cue.", "body", &c.body));
  if (c.body.find("{duration") == std::string::npos) return Bad("cue.body", "must contain {duration}");
  if (Status s = CheckCueTemplate(c.body); !s.ok()) return Bad("cue.body", s.message());
  SSAI_RETURN_IF_ERROR(ReadStr(*cue, "cue.", "content_type", &c.content_type));
  SSAI_RETURN_IF_ERROR(ReadStr(*cue, "cue.", "auth_header", &c.auth_header));
  SSAI_RETURN_IF_ERROR(ReadStr(*cue, "cue.", "auth_value", &c.auth_value));
  SSAI_RETURN_IF_ERROR(ReadStr(*cue, "cue.", "token", &c.token));
  SSAI_RETURN_IF_ERROR(ReadStr(*cue, "cue.", "token_env", &c.token_env));
  for (auto [key, out] : {std::pair{"event_id_pointer", &c.event_id_pointer}, std::pair{"duplicate_pointer", &c.duplicate_pointer},
                          std::pair{"start_time_pointer", &c.start_time_pointer}, std::pair{"end_time_pointer", &c.end_time_pointer}}) {
    SSAI_RETURN_IF_ERROR(ReadStr(*cue, "cue.", key, out));
    if (!out->empty() && (*out)[0] != '/') return Bad(std::string("cue.") + key, "must be a JSON pointer starting with '/'");
    try {
      (void)Json::json_pointer(*out);
    } catch (const Json::exception& e) {
      return Bad(std::string("cue.") + key, std::string("not a JSON pointer (RFC 6901): ") + e.what());
    }
  }
  if (auto st = cue->find("stop"); st != cue->end()) {
    if (!st->is_object()) return Bad("cue.stop", "must be an object");
    SSAI_RETURN_IF_ERROR(CheckKeys(*st, "cue.stop.", {"method", "url", "body"}));
    CueStopSpec stop;
    SSAI_RETURN_IF_ERROR(ReadStr(*st, "cue.stop.", "method", &stop.method));
    if (!stop.method.empty() && stop.method != "POST" && stop.method != "PUT" && stop.method != "DELETE") {
      return Bad("cue.stop.method", "must be POST, PUT or DELETE, got '" + stop.method + "'");
    }
    SSAI_RETURN_IF_ERROR(ReadStr(*st, "cue.stop.", "url", &stop.url));
    if (!stop.url.empty()) SSAI_RETURN_IF_ERROR(CheckUrl("cue.stop.url", stop.url));
    SSAI_RETURN_IF_ERROR(ReadStr(*st, "cue.stop.", "body", &stop.body));
    if (Status s = CheckCueTemplate(stop.body); !s.ok()) return Bad("cue.stop.body", s.message());
    if (stop.body.find("{duration") != std::string::npos || stop.body.find("{pod_id") != std::string::npos) {
      return Bad("cue.stop.body", "a stop has no {duration} or {pod_id}");
    }
    c.stop = stop;
  }
  SSAI_RETURN_IF_ERROR(ReadOneOf(*cue, "cue.", "time_format", {"auto", "iso8601", "epoch_s", "epoch_ms"}, &c.time_format));
  SSAI_RETURN_IF_ERROR(ReadOneOf(*cue, "cue.", "api_checks", {"classes", "strict"}, &c.api_checks));
  SSAI_RETURN_IF_ERROR(InTargetProfile(Fields(*cue, "cue.").Bool("probes", &c.probes)));
  if (!c.auth_header.empty() && c.auth_value.find("{token}") != std::string::npos && c.token.empty() &&
      c.token_env.empty()) {
    return Bad("cue.token", "missing (or cue.token_env): cue.auth_value uses {token}");
  }
  if (auto h = j.find("harness"); h != j.end()) {
    if (!h->is_object()) return Bad("harness", "must be an object");
    SSAI_RETURN_IF_ERROR(CheckKeys(*h, "harness.", {"listen"}));
    SSAI_RETURN_IF_ERROR(ReadStr(*h, "harness.", "listen", &p.harness_listen));
    std::string host;
    int port = 0;
    if (Status s = server::ParseListen(p.harness_listen, &host, &port); !s.ok()) return Bad("harness.listen", s.message());
  }
  return p;
}

}  // namespace

Result<TargetProfile> LoadTargetProfile(const std::string& path) {
  Result<std::string> text = io::ReadFileToString(path, kMaxConformanceFileBytes);
  if (!text.ok()) return text.status().WithContext("target profile");  // "target profile: PATH: cannot read: ..."
  Result<TargetProfile> p = ParseTargetProfile(*text);
  if (!p.ok()) return Status::InvalidArgument(path + ": " + p.status().message());
  // tls.ca_file is relative to the profile, as a user reading the profile would expect; it must
  // load now, not at the first https:// request of a run.
  if (!p->tls.ca_file.empty() && std::filesystem::path(p->tls.ca_file).is_relative()) {
    p->tls.ca_file = (std::filesystem::path(path).parent_path() / p->tls.ca_file).string();
  }
  if (Status s = server::CheckTlsOptions(p->tls); !s.ok()) return Status::InvalidArgument(path + ": " + s.message());
  return p;
}

namespace {

// Loudly, every run: nothing a https:// deployment answers is authenticated.
void WarnIfInsecure(const std::string& profile_path, const TargetProfile& p) {
  if (!p.tls.insecure) return;
  std::cerr << "ssai conform: WARNING: " << profile_path
            << ": tls.insecure is true: https:// certificates are NOT verified; anyone on the path can pose as "
               "the deployment. Use tls.ca_file for a private CA.\n";
}

}  // namespace

Result<std::unique_ptr<Target>> MakeHttpTarget(const std::string& profile_path) {
  if (profile_path.empty()) {
    return Status::InvalidArgument("target http: needs --target-profile FILE (conformance/README.md, fixtures/targets/)");
  }
  Result<TargetProfile> p = LoadTargetProfile(profile_path);
  if (!p.ok()) return p.status();
  WarnIfInsecure(profile_path, *p);
  return std::unique_ptr<Target>(std::make_unique<HttpTarget>(std::move(p).value()));
}

Result<std::unique_ptr<Target>> MakeObserveTarget(const std::string& profile_path,
                                                  std::function<void(const LiveBreak&)> live) {
  if (profile_path.empty()) {
    return Status::InvalidArgument("target observe: needs --target-profile FILE with an `observe` block (conformance/README.md)");
  }
  Result<TargetProfile> p = LoadTargetProfile(profile_path);
  if (!p.ok()) return p.status();
  if (!p->observe) return Status::InvalidArgument(profile_path + ": target observe: the profile has no `observe` block");
  if (!p->pops.empty() || !p->has_top_level_ssai) {
    // Observe watches one output with no scenario and so no POPs to route.
    return Status::InvalidArgument(profile_path + ": target observe: pops: observe watches the one output named by "
                                   "ssai.master_url; per-POP URLs are for --target http");
  }
  WarnIfInsecure(profile_path, *p);
  return MakeObserveTargetFrom(std::move(p).value(), std::move(live));
}

std::vector<ServePopEdge> ServePopEdges(const Scenario& scenario) {
  std::vector<ServePopEdge> out;
  for (const PopSpec& p : scenario.pops) {
    ServePopEdge e;
    e.pop = p.name;
    e.coordinator_latency_ms = std::llround(p.coordinator_rtt_ms);
    e.coordinator_timeout_ms = ServeDecisionTimeoutMs(scenario) + e.coordinator_latency_ms + kServeCoordinatorMarginMs;
    e.kv_propagation_us = SecondsToMicros(p.kv_propagation_s);
    e.kv_latency_us = SecondsToMicros(p.kv_latency_ms / 1000);
    // The builds read KV with GetOptions::cache_ttl_s (ManifestPathOptions::kv_cache_ttl_s); the
    // server's read cache applies one value per edge: the same one.
    e.kv_cache_ttl_s = p.kv_cache ? scenario.kv_cache_ttl_s : 0;
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::unique_ptr<Target>> MakeServeTarget(std::string_view build) {
  if (FindBuild(build) == nullptr) {
    return Status::NotFound("target serve:" + std::string(build) + ": unknown build (see `ssai conform --list-builds`)");
  }
  return std::unique_ptr<Target>(std::make_unique<ServeTarget>(std::string(build)));
}

}  // namespace ssai::conformance
