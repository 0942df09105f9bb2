#include "conformance/http_target.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "conformance/probes.h"
#include "conformance/scenario.h"
#include "reference/base/json_input.h"
#include "reference/base/strings.h"
#include "reference/io/files.h"
#include "reference/ssai/builds.h"
#include "reference/server/config.h"
#include "reference/server/server.h"
#include "reference/server/services.h"

namespace ssai::conformance {

namespace {

using Json = nlohmann::json;

UnixMicros WallNow() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void SleepUntil(UnixMicros t) {
  std::this_thread::sleep_until(std::chrono::system_clock::time_point(std::chrono::microseconds(t)));
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

Status Bad(const std::string& field, const std::string& what) {
  return Status::InvalidArgument("target profile: " + field + ": " + what);
}

Status ReadStr(const Json& j, const std::string& prefix, const char* key, std::string* out, bool required = false) {
  auto it = j.find(key);
  if (it == j.end()) return required ? Bad(prefix + key, "missing") : Status::Ok();
  if (!it->is_string()) return Bad(prefix + key, "must be a string");
  *out = it->get<std::string>();
  if (required && out->empty()) return Bad(prefix + key, "must not be empty");
  return Status::Ok();
}

// `where` ends in '.' ("cue.") or is empty; "_..." keys and "comment" are documentation.
Status CheckKeys(const Json& j, const std::string& where, std::initializer_list<std::string_view> keys) {
  Status s = CheckKnownKeys(j, where.empty() ? where : where.substr(0, where.size() - 1), keys, /*doc_keys=*/true);
  return s.ok() ? s : Status::InvalidArgument("target profile: " + s.message());
}

Status CheckUrl(const std::string& field, const std::string& url) {
  if (url.rfind("http://", 0) != 0) return Bad(field, "must be an http:// URL, got '" + url.substr(0, 80) + "'");
  return Status::Ok();
}

// "http://host:port/path" -> ("http://host:port", "/path").
std::pair<std::string, std::string> SplitUrl(const std::string& url) {
  const size_t slash = url.find('/', 7);
  if (slash == std::string::npos) return {url, "/"};
  return {url.substr(0, slash), url.substr(slash)};
}

std::string Truncate(const std::string& s, size_t n = 150) {
  return s.size() > n + 10 ? s.substr(0, n) + "... (" + std::to_string(s.size()) + " bytes)" : s;
}

// The harness's loopback services: origin, ad playlists, slate, decision.
class HarnessServices {
 public:
  explicit HarnessServices(const Scenario* scenario) : scenario_(scenario) {}
  ~HarnessServices() { Stop(); }

  Status Start(const std::string& listen) {
    std::string host = "127.0.0.1";
    int port = 0;
    SSAI_RETURN_IF_ERROR(server::ParseListen(listen, &host, &port));
    server_.Get(R"(/origin/([A-Za-z0-9_-]+)\.m3u8)", [this](const httplib::Request& req, httplib::Response& res) {
      const origin::Rendition* r = origin::FindRendition(scenario_->origin, req.matches[1].str());
      if (!r) {
        res.status = 404;
        return;
      }
      res.set_content(OriginPlaylistAt(*scenario_, *r, WallNow()), "application/vnd.apple.mpegurl");
    });
    server_.Get(R"(/ads/([A-Za-z0-9_-]+)/([0-9]+)\.m3u8)", [this](const httplib::Request& req, httplib::Response& res) {
      res.set_content(AdPlaylist(req.matches[1].str(), req.matches[2].str()), "application/vnd.apple.mpegurl");
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
  std::string ad_prefix() const { return base_ + "/ads/"; }
  std::string slate_uri() const { return base_ + "/slate.ts"; }

  std::vector<DecisionRequestRecord> TakeDecisions() {
    std::lock_guard<std::mutex> lock(mu_);
    return decisions_;
  }
  // What the VAST ad server recorded, as observations (issue 15).
  void CollectVast(Observations* obs) const {
    if (!vast_ || scenario_->decision.vast.tag.empty()) return;
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
      const std::string ad = param(p.query, "ad");
      if (!ads.count(ad)) continue;  // a wrapper's Impression ("ad=w2"): not one creative's
      obs->beacons.push_back(
          {t, p.session, "", ad, p.kind == "impression" ? "impression" : param(p.query, "event"), p.kind + "?" + p.query});
    }
    obs->beacons_observed = true;
  }

 private:
  std::string AdPlaylist(const std::string& id, const std::string& bps) const {
    double seg_s = MicrosToSeconds(origin::SegmentDurationMicros(scenario_->origin));
    double left = 0;
    for (const AdSpec& ad : scenario_->decision.ads) {
      if (ad.id != id) continue;
      left = ad.duration_s;
      if (ad.segment_duration_s > 0) seg_s = ad.segment_duration_s;  // a creative of a pod
    }
    std::string p = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:" +
                    std::to_string(static_cast<int64_t>(std::ceil(seg_s))) + "\n#EXT-X-PLAYLIST-TYPE:VOD\n";
    for (int i = 0; left > 1e-6; ++i) {
      const double d = std::min(seg_s, left);
      left -= d;
      std::string extinf;
      AppendFixed(d, 3, &extinf);
      p += "#EXTINF:" + extinf + ",\n" + ad_prefix() + id + "/" + bps + "/seg_" + std::to_string(i) + ".ts\n";
    }
    return p + "#EXT-X-ENDLIST\n";
  }

  server::DecisionConfig VastConfig() const {
    server::DecisionConfig c;
    AdDecision pod;
    pod.pod_id = scenario_->decision.pod_id;
    for (const AdSpec& ad : scenario_->decision.ads) {
      AdItem item{ad.id, ad.duration_s, {}};
      for (const origin::Rendition& r : scenario_->origin.renditions) {
        item.variants.push_back({r.bandwidth_bps, ad_prefix() + ad.id + "/" + std::to_string(r.bandwidth_bps) + ".m3u8"});
      }
      std::sort(item.variants.begin(), item.variants.end(),
                [](const AdVariant& a, const AdVariant& b) { return a.bitrate_bps < b.bitrate_bps; });
      pod.items.push_back(std::move(item));
    }
    c.catalogue.pods["default"] = pod;
    c.catalogue.default_pod = "default";
    return c;
  }

  void Vast(const httplib::Request& req, httplib::Response& res) {
    if (req.path == "/vast/" + scenario_->decision.vast.tag) {
      // The ad tag: one decision request (the server's ExpandAdTag fills ?event=).
      std::lock_guard<std::mutex> lock(mu_);
      decisions_.push_back({WallNow(), req.get_param_value("event"), 0});
    }
    if (req.path == "/vast/timeout.xml") {
      // Bounded: longer than the server's VAST fetch timeout, shorter than the run.
      for (int i = 0; i < 50 && !stopping_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      res.status = 504;
      return;
    }
    std::string query;
    for (const auto& [k, v] : req.params) query += (query.empty() ? "" : "&") + k + "=" + v;
    server::ToHttplib(vast_->VastResponse(req.path, query, req.get_header_value("X-SSAI-Session")), res);
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
    const DecisionBehaviour b = DecisionBehaviourAt(*scenario_, now);
    if (b == DecisionBehaviour::kHang) {
      // Bounded: longer than any sane decision timeout, shorter than the run.
      for (int i = 0; i < 50 && !stopping_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      res.status = 504;
      return;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(SecondsToMicros(scenario_->decision.latency_ms / 1000)));
    if (b == DecisionBehaviour::kFail) {
      res.status = 500;
      res.set_content(R"({"error":"decision: scenario says fail"})", "application/json");
      return;
    }
    Json items = Json::array();
    for (const AdSpec& ad : scenario_->decision.ads) {
      Json variants = Json::object();
      for (const origin::Rendition& r : scenario_->origin.renditions) {
        variants[std::to_string(r.bandwidth_bps)] = ad_prefix() + ad.id + "/" + std::to_string(r.bandwidth_bps) + ".m3u8";
      }
      Json item{{"id", ad.id}, {"duration", ad.duration_s}, {"variants", variants}};
      if (ad.segment_duration_s > 0) item["segmentDuration"] = ad.segment_duration_s;
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
};

struct HttpResult {
  int status = 0;  // 0: no answer
  std::string body;
  httplib::Headers headers;
  std::string error;
};

HttpResult Send(const std::string& method, const std::string& url, const httplib::Headers& headers,
                const std::string& body, const std::string& content_type) {
  auto [base, path] = SplitUrl(url);
  httplib::Client client(base);
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(10, 0);
  client.set_write_timeout(5, 0);
  httplib::Result r = method == "GET"   ? client.Get(path.c_str(), headers)
                      : method == "PUT" ? client.Put(path.c_str(), headers, body, content_type.c_str())
                                        : client.Post(path.c_str(), headers, body, content_type.c_str());
  HttpResult out;
  if (!r) {
    out.error = httplib::to_string(r.error());
    return out;
  }
  out.status = r->status;
  out.body = r->body;
  out.headers = r->headers;
  return out;
}

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
    obs_.decisions_observed = true;
    obs_.http_api = true;
    obs_.run_start = s_.origin.start_time;
    obs_.ad_uri_prefix = p_.ad_uri_prefix.empty() ? services_.ad_prefix() : p_.ad_uri_prefix;
    obs_.slate_uri = p_.slate_uri.empty() ? services_.slate_uri() : p_.slate_uri;
    token_ = p_.cue.token;
    if (token_.empty() && !p_.cue.token_env.empty()) {
      const char* v = std::getenv(p_.cue.token_env.c_str());
      if (v == nullptr || *v == '\0') {
        return Status::InvalidArgument("target profile: cue.token_env: environment variable " + p_.cue.token_env +
                                       " is not set");
      }
      token_ = v;
    }
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
        const UnixMicros join = s_.At(v.join_s + 0.37 * k);
        const UnixMicros leave = v.leave_s ? std::min(end, s_.At(*v.leave_s)) : end;
        const InsertionMode mode = v.mode.value_or(s_.mode);
        threads.emplace_back([this, v, name, join, leave, renditions, mode] {
          Viewer(v.pop, name, join, leave, renditions, mode);
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
  std::string Url(const std::string& tmpl, const std::string& rendition) const {
    return Replace(Replace(Replace(tmpl, "{org}", p_.org), "{channel}", p_.channel), "{rendition}", rendition);
  }

  void Record(Fetch f) {
    std::lock_guard<std::mutex> lock(mu_);
    obs_.fetches.push_back(std::move(f));
  }

  void Get(const std::string& pop, const std::string& viewer, const std::string& rendition, InsertionMode mode,
           int64_t reload) {
    Fetch f;
    f.pop = pop;
    f.viewer = viewer;
    f.rendition = rendition;
    f.mode = mode;
    f.reload = reload;
    f.url = rendition.empty() ? Url(p_.master_url, "") : Url(p_.variant_url, rendition);
    if (mode == InsertionMode::kSgai && !rendition.empty()) f.url += (f.url.find('?') == std::string::npos ? "?" : "&") + std::string("mode=sgai");
    if (!p_.session_param.empty()) {
      f.url += (f.url.find('?') == std::string::npos ? "?" : "&") + p_.session_param + "=" + SessionOfViewer(viewer);
    }
    f.request_time = WallNow();
    if (const origin::Rendition* r = origin::FindRendition(s_.origin, rendition)) {
      f.bandwidth_bps = r->bandwidth_bps;
      f.origin_body = OriginPlaylistAt(s_, *r, f.request_time);
    }
    HttpResult r = Send("GET", f.url, {}, "", "");
    if (r.status != 0) {
      f.response_time = WallNow();
      f.http_status = r.status;
      f.body = std::move(r.body);
      if (!p_.state_source_header.empty()) {
        auto it = r.headers.find(p_.state_source_header);
        if (it != r.headers.end()) f.state_source = it->second;
      }
    }
    Record(std::move(f));
  }

  // Reloads on an absolute schedule join + n x target duration (RFC 8216 §6.3.4), so a viewer
  // keeps its phase against the origin's segment boundaries.
  void Viewer(const std::string& pop, const std::string& name, UnixMicros join, UnixMicros leave,
              const std::vector<std::string>& renditions, InsertionMode mode) {
    SleepUntil(join);
    Get(pop, name, "", mode, 0);
    const DurationMicros period = origin::TargetDurationSeconds(s_.origin) * kMicrosPerSecond;
    for (int64_t n = 1;; ++n) {
      const UnixMicros at = join + (n - 1) * period;
      if (at >= leave) break;
      SleepUntil(at);
      if (WallNow() - at > period / 2) {
        std::lock_guard<std::mutex> lock(mu_);
        ++late_reloads_;
      }
      for (const std::string& r : renditions) Get(pop, name, r, mode, n);
    }
  }

  httplib::Headers AuthHeaders(const std::string& token) const {
    if (p_.cue.auth_header.empty()) return {};
    return {{p_.cue.auth_header, Replace(p_.cue.auth_value, "{token}", token)}};
  }

  std::string CueBody(double duration_s, const std::string& pod_id) const {
    std::string pod = pod_id.empty() ? "" : ",\"pod_id\":" + Json(pod_id).dump();
    return Replace(Replace(Replace(Replace(p_.cue.body, "{org}", p_.org), "{channel}", p_.channel), "{duration}",
                           FormatDouble(duration_s)),
                   "{pod_id_field}", pod);
  }

  void Cues() {
    std::vector<std::pair<UnixMicros, int>> order;
    for (size_t i = 0; i < s_.api_cues.size(); ++i) order.push_back({s_.At(s_.api_cues[i].at_s), static_cast<int>(i)});
    std::sort(order.begin(), order.end());
    for (const auto& [at, i] : order) {
      const ApiCueSpec& c = s_.api_cues[static_cast<size_t>(i)];
      SleepUntil(at);
      CueApiRecord rec;
      rec.body = CueBody(c.duration_s, c.pod_id);
      rec.expect_duplicate = c.expect_duplicate;
      rec.spec_index = i;
      rec.time = WallNow();
      HttpResult r = Send(p_.cue.method, Url(p_.cue.url, ""), AuthHeaders(token_), rec.body, p_.cue.content_type);
      rec.http_status = r.status;
      rec.ok = r.status >= 200 && r.status < 300;
      if (!rec.ok) {
        rec.error = r.status == 0 ? "no answer: " + r.error : "HTTP " + std::to_string(r.status) + " " + Truncate(r.body);
      } else {
        Json j = Json::parse(r.body, nullptr, false);
        auto at_ptr = [&](const std::string& ptr) -> const Json* {
          if (ptr.empty() || j.is_discarded()) return nullptr;
          const Json::json_pointer jp(ptr);
          return j.contains(jp) ? &j.at(jp) : nullptr;
        };
        if (const Json* v = at_ptr(p_.cue.event_id_pointer); v && v->is_string()) rec.event_id = v->get<std::string>();
        if (const Json* v = at_ptr(p_.cue.duplicate_pointer); v && v->is_boolean()) rec.duplicate = v->get<bool>();
        if (const Json* v = at_ptr(p_.cue.start_time_pointer); v && v->is_string()) {
          if (Result<UnixMicros> t = ParseIso8601(v->get<std::string>()); t.ok()) rec.start_time = *t;
        }
        if (const Json* v = at_ptr(p_.cue.end_time_pointer); v && v->is_string()) {
          if (Result<UnixMicros> t = ParseIso8601(v->get<std::string>()); t.ok()) rec.end_time = *t;
        }
      }
      std::lock_guard<std::mutex> lock(mu_);
      obs_.cues.push_back(std::move(rec));
    }
  }

  void Probe(const char* check_id, const std::string& body, const char* expected, int expected_status,
             const httplib::Headers& headers) {
    ApiProbeRecord rec;
    rec.check_id = check_id;
    rec.body = Truncate(body);
    rec.expected = expected;
    rec.expected_status = expected_status;
    HttpResult r = Send(p_.cue.method, Url(p_.cue.url, ""), headers, body, p_.cue.content_type);
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
    Probe("api.auth.missing_token", valid, "token", 401, {});
    Probe("api.auth.wrong_token", valid, "token", 401, AuthHeaders(token_ + "-wrong"));
    for (const ProbeCase& c : CueProbeCases(p_.org, p_.channel)) {
      Probe(c.check_id, c.body, c.expected, c.expected_status, AuthHeaders(token_));
    }
  }

  const TargetProfile& p_;
  const Scenario& s_;
  const HarnessServices& services_;
  std::string token_;
  std::mutex mu_;
  Observations obs_;
  int64_t late_reloads_ = 0;
};

// Real-time targets cannot inject the builtin target's faults; a scenario that needs them is
// refused by name rather than run without them.
Status CheckRealTimeScenario(const Scenario& s) {
  for (size_t i = 0; i < s.faults.size(); ++i) {
    if (s.faults[i].kind != "decision") {
      return Status::Unimplemented("scenario " + s.name + ": faults[" + std::to_string(i) + "].kind '" +
                                   s.faults[i].kind +
                                   "' needs the builtin target (real-time targets inject decision faults only)");
    }
  }
  return Status::Ok();
}

// When the real-time run starts: the next whole second at least 1 s ahead (so every viewer's first
// request is in the future), with the origin's window before it already "published".
UnixMicros RunStart() { return (WallNow() / kMicrosPerSecond + 2) * kMicrosPerSecond; }

Result<Observations> RunRealTime(const TargetProfile& profile, const std::string& target_name,
                                 const Scenario& scenario, HarnessServices* services, const Scenario& shifted) {
  (void)scenario;
  RealTimeRun run(profile, target_name, shifted, *services);
  Result<Observations> obs = run.Run();
  if (obs.ok()) {
    obs->decision_requests = services->TakeDecisions();
    // Beacons are sent after the playlist that made them due: give the last ones a moment.
    if (!shifted.decision.vast.tag.empty()) std::this_thread::sleep_for(std::chrono::seconds(2));
    services->CollectVast(&*obs);
    obs->stats["decision_requests"] = static_cast<int64_t>(obs->decision_requests.size());
  }
  return obs;
}

class HttpTarget : public Target {
 public:
  explicit HttpTarget(TargetProfile profile) : profile_(std::move(profile)) {}
  std::string name() const override { return "http:" + profile_.name; }
  Result<Observations> Run(const Scenario& scenario, const Profile& /*profile*/) override {
    SSAI_RETURN_IF_ERROR(CheckRealTimeScenario(scenario));
    Scenario shifted = ShiftedTo(scenario, RunStart());
    HarnessServices services(&shifted);
    SSAI_RETURN_IF_ERROR(services.Start(profile_.harness_listen));
    Result<Observations> obs = RunRealTime(profile_, name(), scenario, &services, shifted);
    services.Stop();
    return obs;
  }

 private:
  TargetProfile profile_;
};

// serve:BUILD: reference/server in-process, configured against the harness.
class ServeTarget : public Target {
 public:
  explicit ServeTarget(std::string build) : build_(std::move(build)) {}
  std::string name() const override { return "serve:" + build_; }
  Result<Observations> Run(const Scenario& scenario, const Profile& /*profile*/) override {
    SSAI_RETURN_IF_ERROR(CheckRealTimeScenario(scenario));
    Scenario shifted = ShiftedTo(scenario, RunStart());
    HarnessServices services(&shifted);
    SSAI_RETURN_IF_ERROR(services.Start("127.0.0.1:0"));
    std::random_device rd;
    const std::string token = "conf-" + std::to_string(rd()) + std::to_string(rd());
    Json renditions = Json::array();
    for (const origin::Rendition& r : shifted.origin.renditions) {
      Json rj = {{"name", r.name}, {"bandwidth_bps", r.bandwidth_bps}};
      // The origin's CODECS/RESOLUTION, for the server's multivariant playlist (RFC 8216 §4.3.4.2).
      if (!r.codecs.empty()) rj["codecs"] = r.codecs;
      if (!r.resolution.empty()) rj["resolution"] = r.resolution;
      renditions.push_back(std::move(rj));
    }
    const double seg_s = MicrosToSeconds(origin::SegmentDurationMicros(shifted.origin));
    Json config = {
        {"role", "all"},
        {"listen", "127.0.0.1:0"},
        {"build", build_},
        {"kv", {{"backend", "sim"}, {"propagation_delay_ms", 0}}},
        {"auth", {{"token", token}}},
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
           {"mode", shifted.mode == InsertionMode::kSgai ? "sgai" : "ssai"},
           {"origin_base_url", services.base() + "/origin"},
           {"renditions", renditions},
           {"slate", {{"uri", services.slate_uri()}, {"duration_s", seg_s}}},
           {"default_pod_id", shifted.decision.pod_id}}}},
    };
    Result<server::ServerConfig> parsed = server::ParseServerConfig(config.dump());
    if (!parsed.ok()) return parsed.status().WithContext("serve:" + build_ + " config");
    server::Server srv(std::move(parsed).value());
    SSAI_RETURN_IF_ERROR(srv.Start());
    TargetProfile p;
    p.name = "serve:" + build_;
    p.org = "conf";
    p.channel = "ch1";
    p.master_url = srv.base_url() + "/{org}/{channel}/master.m3u8";
    p.variant_url = srv.base_url() + "/{org}/{channel}/{rendition}.m3u8";
    p.cue.url = srv.base_url() + "/cue";
    p.cue.token = token;
    p.state_source_header = "X-SSAI-State-Source";
    p.session_param = "session";
    Result<Observations> obs = RunRealTime(p, name(), scenario, &services, shifted);
    srv.Stop();
    services.Stop();
    return obs;
  }

 private:
  std::string build_;
};

Result<TargetProfile> ParseTargetProfileJson(const Json& j);

}  // namespace

Result<TargetProfile> ParseTargetProfile(std::string_view json_text) {
  SSAI_ASSIGN_OR_RETURN(Json j, ParseJsonInput(json_text, "target profile"));  // bounded nesting
  return CatchJsonErrors("target profile", [&] { return ParseTargetProfileJson(j); });
}

namespace {

Result<TargetProfile> ParseTargetProfileJson(const Json& j) {
  if (!j.is_object()) return Status::InvalidArgument("target profile: not a JSON object");
  SSAI_RETURN_IF_ERROR(CheckKeys(j, "", {"name", "org", "channel", "master_url", "variant_url", "cue",
                                         "state_source_header", "metrics_url", "harness", "ad_uri_prefix",
                                         "slate_uri", "session_param"}));
  TargetProfile p;
  SSAI_RETURN_IF_ERROR(ReadStr(j, "", "name", &p.name));
  SSAI_RETURN_IF_ERROR(ReadStr(j, "", "org", &p.org, true));
  SSAI_RETURN_IF_ERROR(ReadStr(j, "", "channel", &p.channel, true));
  SSAI_RETURN_IF_ERROR(ReadStr(j, "", "master_url", &p.master_url, true));
  SSAI_RETURN_IF_ERROR(ReadStr(j, "", "variant_url", &p.variant_url, true));
  SSAI_RETURN_IF_ERROR(CheckUrl("master_url", p.master_url));
  SSAI_RETURN_IF_ERROR(CheckUrl("variant_url", p.variant_url));
  if (p.variant_url.find("{rendition}") == std::string::npos) {
    return Bad("variant_url", "must contain {rendition}");
  }
  SSAI_RETURN_IF_ERROR(ReadStr(j, "", "state_source_header", &p.state_source_header));
  SSAI_RETURN_IF_ERROR(ReadStr(j, "", "metrics_url", &p.metrics_url));
  SSAI_RETURN_IF_ERROR(ReadStr(j, "", "ad_uri_prefix", &p.ad_uri_prefix));
  SSAI_RETURN_IF_ERROR(ReadStr(j, "", "slate_uri", &p.slate_uri));
  SSAI_RETURN_IF_ERROR(ReadStr(j, "", "session_param", &p.session_param));
  if (!p.metrics_url.empty()) SSAI_RETURN_IF_ERROR(CheckUrl("metrics_url", p.metrics_url));
  auto cue = j.find("cue");
  if (cue == j.end()) return Bad("cue", "missing");
  if (!cue->is_object()) return Bad("cue", "must be an object");
  SSAI_RETURN_IF_ERROR(CheckKeys(*cue, "cue.", {"method", "url", "body", "content_type", "auth_header", "auth_value",
                                                "token", "token_env", "event_id_pointer", "duplicate_pointer",
                                                "start_time_pointer", "end_time_pointer", "probes"}));
  TargetProfile::Cue& c = p.cue;
  SSAI_RETURN_IF_ERROR(ReadStr(*cue, "cue.", "method", &c.method));
  if (c.method != "POST" && c.method != "PUT") return Bad("cue.method", "must be POST or PUT, got '" + c.method + "'");
  SSAI_RETURN_IF_ERROR(ReadStr(*cue, "cue.", "url", &c.url, true));
  SSAI_RETURN_IF_ERROR(CheckUrl("cue.url", c.url));
  SSAI_RETURN_IF_ERROR(ReadStr(*cue, "cue.", "body", &c.body));
  if (c.body.find("{duration}") == std::string::npos) return Bad("cue.body", "must contain {duration}");
  SSAI_RETURN_IF_ERROR(ReadStr(*cue, "cue.", "content_type", &c.content_type));
  SSAI_RETURN_IF_ERROR(ReadStr(*cue, "cue.", "auth_header", &c.auth_header));
  SSAI_RETURN_IF_ERROR(ReadStr(*cue, "cue.", "auth_value", &c.auth_value));
  SSAI_RETURN_IF_ERROR(ReadStr(*cue, "cue.", "token", &c.token));
  SSAI_RETURN_IF_ERROR(ReadStr(*cue, "cue.", "token_env", &c.token_env));
  for (auto [key, out] : {std::pair{"event_id_pointer", &c.event_id_pointer}, std::pair{"duplicate_pointer", &c.duplicate_pointer},
                          std::pair{"start_time_pointer", &c.start_time_pointer}, std::pair{"end_time_pointer", &c.end_time_pointer}}) {
    SSAI_RETURN_IF_ERROR(ReadStr(*cue, "cue.", key, out));
    if (!out->empty() && (*out)[0] != '/') return Bad(std::string("cue.") + key, "must be a JSON pointer starting with '/'");
  }
  if (auto pr = cue->find("probes"); pr != cue->end()) {
    if (!pr->is_boolean()) return Bad("cue.probes", "must be true or false");
    c.probes = pr->get<bool>();
  }
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
  return p;
}

Result<std::unique_ptr<Target>> MakeHttpTarget(const std::string& profile_path) {
  if (profile_path.empty()) {
    return Status::InvalidArgument("target http: needs --target-profile FILE (conformance/README.md, fixtures/targets/)");
  }
  Result<TargetProfile> p = LoadTargetProfile(profile_path);
  if (!p.ok()) return p.status();
  return std::unique_ptr<Target>(std::make_unique<HttpTarget>(std::move(p).value()));
}

Result<std::unique_ptr<Target>> MakeServeTarget(std::string_view build) {
  if (FindBuild(build) == nullptr) {
    return Status::NotFound("target serve:" + std::string(build) + ": unknown build (see `ssai conform --list-builds`)");
  }
  return std::unique_ptr<Target>(std::make_unique<ServeTarget>(std::string(build)));
}

}  // namespace ssai::conformance
