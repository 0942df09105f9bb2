#include "reference/server/services.h"

#include <chrono>
#include <cctype>
#include <cmath>
#include <regex>
#include <thread>

#include <boost/asio/steady_timer.hpp>

#include <nlohmann/json.hpp>

#include "reference/base/splitmix64.h"
#include "reference/base/strings.h"
#include "reference/media/hls/vod_playlist.h"
#include "reference/server/asio_env.h"
#include "reference/server/media_library.h"
#include "reference/ssai/channel.h"

namespace ssai::server {

using Json = nlohmann::json;

// Messages quote request bytes (a path segment, a query value, a header, a body cut at a length
// limit, nlohmann's own parse errors): nlohmann refuses to serialise invalid UTF-8 (type_error.316),
// so what is not UTF-8 is written as "\xHH" (strings.h) and the answer is always valid JSON.
std::string JsonError(std::string_view message) { return Json{{"error", EscapeInvalidUtf8(message)}}.dump(); }

HttpResponse JsonErrorResponse(int status, std::string_view message) {
  return HttpResponse{status, "application/json", JsonError(message), {}};
}

void ToHttplib(HttpResponse from, httplib::Response& to) {
  to.status = from.status;
  for (auto& [name, value] : from.headers) to.set_header(name, value);
  if (!from.content_type.empty()) to.set_content(std::move(from.body), from.content_type);
}

void SetJsonError(httplib::Response& res, int status, std::string_view message) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(JsonError(message), "application/json");
}

// ---------------------------------------------------------------------------------------------
// HttpService

HttpService::HttpService() : http_(std::make_unique<httplib::Server>()) {
  // Small responses on keep-alive connections: without TCP_NODELAY, Nagle + delayed ACK add
  // ~40 ms to each.
  http_->set_tcp_nodelay(true);
  // Browser players (hls.js, MSE) fetch playlists, asset lists and segments from a page on another
  // origin: without this CORS header (Fetch standard, CORS protocol) the browser hides every
  // response from them. Nothing here relies on cookies, so "*" is enough.
  http_->set_default_headers({{"Access-Control-Allow-Origin", "*"}});
}

HttpService::~HttpService() { Stop(); }

Status HttpService::Start(const std::string& host, int port) {
  SSAI_RETURN_IF_ERROR(Bind(host, port));
  Serve();
  return Status::Ok();
}

Status HttpService::Bind(const std::string& host, int port) {
  host_ = host;
  if (port == 0) {
    port_ = http_->bind_to_any_port(host);
    if (port_ <= 0) return Status::Unavailable("cannot bind " + host + ":0");
  } else {
    if (!http_->bind_to_port(host, port)) {
      return Status::Unavailable("cannot bind " + host + ":" + std::to_string(port) + " (in use?)");
    }
    port_ = port;
  }
  return Status::Ok();
}

void HttpService::Serve() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  // stop() is a no-op until the accept loop runs: wait for it (bounded).
  for (int i = 0; i < 5000 && !http_->is_running(); ++i) std::this_thread::sleep_for(std::chrono::microseconds(200));
}

void HttpService::Stop() {
  if (!thread_.joinable()) return;
  http_->stop();
  thread_.join();
}

// ---------------------------------------------------------------------------------------------
// FrontEndService

namespace {

HttpFrontEndOptions ServiceFrontEndOptions() {
  HttpFrontEndOptions o;
  // Browser players fetch from a page on another origin (see HttpService above).
  o.default_headers = {{"Access-Control-Allow-Origin", "*"}};
  o.error_response = [](int status, const std::string& message) {
    return JsonErrorResponse(status, message).Header("Cache-Control", "no-store");
  };
  return o;
}

}  // namespace

FrontEndService::FrontEndService(Handler handler)
    : front_(io_, ServiceFrontEndOptions(), [this, handler = std::move(handler)](HttpRequest req, HttpResponder respond) {
        handler(io_, std::move(req), std::move(respond));
      }) {}

FrontEndService::~FrontEndService() { Stop(); }

Status FrontEndService::Bind(const std::string& host, int port) {
  SSAI_RETURN_IF_ERROR(front_.Bind(host, port));
  work_.emplace(boost::asio::make_work_guard(io_));
  thread_ = std::thread([this] { io_.run(); });
  return Status::Ok();
}

void FrontEndService::Serve() { front_.Serve(); }

Status FrontEndService::Start(const std::string& host, int port) {
  SSAI_RETURN_IF_ERROR(Bind(host, port));
  Serve();
  return Status::Ok();
}

void FrontEndService::Stop() {
  if (stopped_ || !thread_.joinable()) return;
  stopped_ = true;
  front_.Stop(2000);  // needs the io thread running
  work_.reset();
  io_.stop();
  thread_.join();
}

// ---------------------------------------------------------------------------------------------
// DecisionService

namespace {

void ReplaceAll(std::string* s, std::string_view from, std::string_view to) {
  for (size_t at = s->find(from); at != std::string::npos; at = s->find(from, at + to.size())) {
    s->replace(at, from.size(), to);
  }
}

}  // namespace

DecisionService::DecisionService(DecisionConfig config) : config_(std::move(config)), rng_state_(config_.seed) {}

void DecisionService::set_self_url(std::string url) {
  std::lock_guard<std::mutex> lock(mu_);
  self_url_ = std::move(url);
}

Result<AdDecision> DecisionService::Decide(const DecisionClient::Request& request) {
  std::lock_guard<std::mutex> lock(mu_);
  if (config_.failure_rate > 0) {
    const double u = UnitIntervalFromBits(SplitMix64Next(&rng_state_));
    if (u < config_.failure_rate) return Status::Unavailable("decision service: injected failure");
  }
  const DecisionCatalogue& c = config_.catalogue;
  auto it = c.pods.find(request.pod_id);
  if (it == c.pods.end() && !c.default_pod.empty()) it = c.pods.find(c.default_pod);
  AdDecision d;
  if (it == c.pods.end()) {
    d.pod_id = request.pod_id.empty() ? "empty" : request.pod_id;
    return d;
  }
  d = it->second;
  for (AdItem& item : d.items) {
    for (AdVariant& v : item.variants) ReplaceAll(&v.url, "{self}", self_url_);
    // The ad's demuxed audio is served here too (/ads/{id}/audio_{lang}.m3u8, issue 14).
    for (AdAudio& a : item.audio) ReplaceAll(&a.url, "{self}", self_url_);
  }
  return d;
}

std::optional<std::string> DecisionService::AdPlaylist(std::string_view ad_id, int64_t bitrate_bps,
                                                       std::string_view track) const {
  for (const auto& [pod_id, pod] : config_.catalogue.pods) {
    for (const AdItem& item : pod.items) {
      if (item.id != ad_id) continue;
      bool has = bitrate_bps == 0;  // an audio track: any creative of this id
      for (const AdVariant& v : item.variants) has = has || v.bitrate_bps == bitrate_bps;
      if (!has) continue;
      // CMAF: the ad's own init (EXT-X-MAP), so the splicer declares it after the DISCONTINUITY
      // (splicer.h "Media initialization and keys").
      const std::string stem = track.empty() ? std::to_string(bitrate_bps) : std::string(track);
      hls::VodTrack t;
      t.duration_s = item.duration_s;
      t.segment_s = config_.ad_segment_duration_s;
      t.cmaf = config_.container == "cmaf";
      t.init_uri = stem + "_init.mp4";
      t.segment_prefix = stem + "_";
      t.segment_suffix = t.cmaf ? ".m4s" : ".ts";
      return hls::VodPlaylist(t);
    }
  }
  return std::nullopt;
}

Status DecisionService::EnableMedia(const std::string& cache_dir) {
  MediaOptions options;
  options.ts = config_.container == "ts";
  options.cmaf = config_.container == "cmaf";
  options.audio_languages = options.cmaf ? 1 : 0;  // "ad-video" and "ad-audio-0" for demuxed channels
  SSAI_ASSIGN_OR_RETURN(media_, MediaLibrary::Open(cache_dir, config_.ad_segment_duration_s, "ffmpeg", options));
  return Status::Ok();
}

namespace {

bool AllOf(std::string_view s, size_t min, size_t max, bool (*ok)(char)) {
  if (s.size() < min || s.size() > max) return false;
  for (char c : s) {
    if (!ok(c)) return false;
  }
  return true;
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }

}  // namespace

HttpResponse DecisionService::DecisionResponse(std::string_view body) {
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return JsonErrorResponse(400, "body: not a JSON object");
  // The body HttpDecisionClient sends, and nothing else: a misspelt field is named, not ignored
  // (every JSON input rejects unknown keys), and a field of the wrong type is an error too.
  DecisionClient::Request r;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    std::string* text = key == "channelId" ? &r.channel_id
                        : key == "eventId" ? &r.event_id
                        : key == "podId"   ? &r.pod_id
                                           : nullptr;
    if (text != nullptr) {
      if (!it->is_string()) return JsonErrorResponse(400, key + ": must be a string");
      *text = it->get<std::string>();
    } else if (key == "duration") {
      if (!it->is_number()) return JsonErrorResponse(400, "duration: must be a number");
      r.duration_s = it->get<double>();
    } else {
      return JsonErrorResponse(400, "unknown field '" + key.substr(0, 80) +
                                        "' (allowed: channelId, eventId, podId, duration)");
    }
  }
  Result<AdDecision> d = Decide(r);
  if (!d.ok()) return JsonErrorResponse(503, d.status().message());
  return HttpResponse{200, "application/json", SerializeDecision(*d), {}};
}

// ---- VAST mode ----------------------------------------------------------------------------------

namespace {

constexpr size_t kMaxPings = 10'000;

std::string VastDuration(double s) {
  const int64_t ms = static_cast<int64_t>(std::llround(s * 1000));
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%02lld:%02lld:%02lld.%03lld", static_cast<long long>(ms / 3'600'000),
                static_cast<long long>(ms / 60'000 % 60), static_cast<long long>(ms / 1000 % 60),
                static_cast<long long>(ms % 1000));
  return buf;
}

std::string Cdata(const std::string& url) { return "<![CDATA[" + url + "]]>"; }

HttpResponse Xml(std::string body) {
  return HttpResponse{200, "application/xml", std::move(body), {{"Cache-Control", "no-store"}}};
}

std::string WrapperXml(const std::string& self, const std::string& target, const std::string& tag) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<VAST version=\"4.0\">\n  <Ad id=\"" + HtmlEscape(tag) +
         "\">\n    <Wrapper allowMultipleAds=\"true\">\n      <AdSystem>ssai-lab exchange</AdSystem>\n      <VASTAdTagURI>" + Cdata(target) +
         "</VASTAdTagURI>\n      <Impression>" + Cdata(self + "/vast/ping/impression?ad=" + tag) +
         "</Impression>\n      <Error>" + Cdata(self + "/vast/ping/error?ad=" + tag + "&code=[ERRORCODE]") +
         "</Error>\n    </Wrapper>\n  </Ad>\n</VAST>\n";
}

}  // namespace

std::string DecisionService::VastPod(const AdDecision& pod, bool mp4_only) const {
  std::string self;
  {
    std::lock_guard<std::mutex> lock(mu_);
    self = self_url_;
  }
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<VAST version=\"4.2\" xmlns=\"http://www.iab.com/VAST\">\n";
  int seq = 0;
  for (const AdItem& item : pod.items) {
    ++seq;
    const std::string id = HtmlEscape(item.id);
    const std::string ping = self + "/vast/ping/";
    x += "  <Ad id=\"" + id + "\"" + (pod.items.size() > 1 ? " sequence=\"" + std::to_string(seq) + "\"" : "") +
         ">\n    <InLine>\n      <AdSystem version=\"1\">ssai-lab</AdSystem>\n      <AdTitle>" + id +
         "</AdTitle>\n      <Impression>" + Cdata(ping + "impression?ad=" + item.id) + "</Impression>\n      <Error>" +
         Cdata(ping + "error?ad=" + item.id + "&code=[ERRORCODE]") +
         "</Error>\n      <Creatives>\n        <Creative id=\"" + id + "\" adId=\"" + id +
         "\">\n          <Linear>\n            <Duration>" + VastDuration(item.duration_s) +
         "</Duration>\n            <TrackingEvents>\n";
    for (const char* e : {"start", "firstQuartile", "midpoint", "thirdQuartile", "complete"}) {
      x += std::string("              <Tracking event=\"") + e + "\">" +
           Cdata(ping + "tracking?ad=" + item.id + "&event=" + e) + "</Tracking>\n";
    }
    x += "            </TrackingEvents>\n            <MediaFiles>\n";
    for (AdVariant v : item.variants) {
      ReplaceAll(&v.url, "{self}", self);
      const std::string kbps = std::to_string(v.bitrate_bps / 1000);
      if (mp4_only) {
        std::string mp4 = v.url;
        ReplaceAll(&mp4, ".m3u8", ".mp4");
        x += "              <MediaFile delivery=\"progressive\" type=\"video/mp4\" bitrate=\"" + kbps +
             "\" width=\"1280\" height=\"720\">" + Cdata(mp4) + "</MediaFile>\n";
      } else {
        x += "              <MediaFile delivery=\"streaming\" type=\"application/x-mpegURL\" bitrate=\"" + kbps +
             "\" width=\"1280\" height=\"720\">\n                " + Cdata(v.url) + "\n              </MediaFile>\n";
      }
    }
    x += "            </MediaFiles>\n          </Linear>\n        </Creative>\n      </Creatives>\n    </InLine>\n  </Ad>\n";
  }
  return x + "</VAST>\n";
}

std::vector<DecisionService::VastFetch> DecisionService::vast_fetches() const {
  std::lock_guard<std::mutex> lock(pings_mu_);
  return fetches_;
}

std::vector<DecisionService::Ping> DecisionService::received_pings() const {
  std::lock_guard<std::mutex> lock(pings_mu_);
  return pings_;
}

HttpResponse DecisionService::VastResponse(std::string_view path, std::string_view query, std::string_view session,
                                           std::string_view device_ip, std::string_view device_user_agent) {
  auto not_found = [&] { return JsonErrorResponse(404, "no VAST at " + std::string(path.substr(0, 128))); };
  std::string self;
  {
    std::lock_guard<std::mutex> lock(mu_);
    self = self_url_;
  }
  auto pod_of = [&](std::string_view file) -> std::optional<AdDecision> {
    if (!file.ends_with(".xml")) return std::nullopt;
    std::string id(file.substr(0, file.size() - 4));
    if (!AllOf(id, 1, 64, IsIdChar)) return std::nullopt;
    const DecisionCatalogue& c = config_.catalogue;
    auto it = c.pods.find(id == "default" ? c.default_pod : id);
    if (it == c.pods.end()) return std::nullopt;
    return it->second;
  };
  if (path.starts_with("/vast/ping/")) {
    const std::string kind(path.substr(11));
    if (kind != "impression" && kind != "error" && kind != "tracking") return not_found();
    std::lock_guard<std::mutex> lock(pings_mu_);
    if (pings_.size() < kMaxPings) {
      pings_.push_back({kind, std::string(query.substr(0, 1024)), std::string(session.substr(0, 64)),
                        std::string(device_ip.substr(0, 64)), std::string(device_user_agent.substr(0, 1024)),
                        RealNow() / kMicrosPerMilli});
    }
    return HttpResponse{200, "text/plain", "", {}};
  }
  if (path == "/vast/received") {
    Json list = Json::array();
    for (const Ping& p : received_pings()) {
      // Bytes from the wire: escaped so the answer always serialises (JsonError's rule).
      list.push_back(Json{{"kind", p.kind},
                          {"query", EscapeInvalidUtf8(p.query)},
                          {"session", EscapeInvalidUtf8(p.session)},
                          {"device_ip", EscapeInvalidUtf8(p.device_ip)},
                          {"device_user_agent", EscapeInvalidUtf8(p.device_user_agent)},
                          {"at_ms", p.at_ms}});
    }
    Json fetches = Json::array();
    for (const VastFetch& f : vast_fetches()) fetches.push_back(Json{{"path", EscapeInvalidUtf8(f.path)}, {"at_ms", f.at_ms}});
    return HttpResponse{200, "application/json", Json{{"pings", list}, {"fetches", fetches}}.dump(),
                        {{"Cache-Control", "no-store"}}};
  }
  {
    std::lock_guard<std::mutex> lock(pings_mu_);
    if (fetches_.size() < kMaxPings) fetches_.push_back({std::string(path.substr(0, 256)), RealNow() / kMicrosPerMilli});
  }
  if (path == "/vast/loop.xml") return Xml(WrapperXml(self, self + "/vast/loop.xml", "loop"));
  if (path == "/vast/wrapper-timeout.xml") return Xml(WrapperXml(self, self + "/vast/timeout.xml", "to-timeout"));
  if (path == "/vast/wrapper-malformed.xml") return Xml(WrapperXml(self, self + "/vast/malformed.xml", "to-malformed"));
  if (path == "/vast/empty.xml") {
    return Xml("<?xml version=\"1.0\"?>\n<VAST version=\"4.0\">\n  <Error>" +
               Cdata(self + "/vast/ping/error?ad=none&code=[ERRORCODE]") + "</Error>\n</VAST>\n");
  }
  if (path == "/vast/malformed.xml") return Xml("<VAST version=\"4.0\"><Ad id=\"x\"><InLine>\n");
  if (path.starts_with("/vast/pod/")) {
    std::optional<AdDecision> pod = pod_of(path.substr(10));
    return pod ? Xml(VastPod(*pod, false)) : not_found();
  }
  if (path.starts_with("/vast/ad/")) {
    std::optional<AdDecision> pod = pod_of(path.substr(9));
    if (!pod || pod->items.empty()) return not_found();
    pod->items.resize(1);
    return Xml(VastPod(*pod, false));
  }
  if (path.starts_with("/vast/mp4/")) {
    std::optional<AdDecision> pod = pod_of(path.substr(10));
    return pod ? Xml(VastPod(*pod, true)) : not_found();
  }
  if (path.starts_with("/vast/wrapper/")) {
    std::string_view rest = path.substr(14);
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return not_found();
    const std::string_view n = rest.substr(0, slash), file = rest.substr(slash + 1);
    if (!AllOf(n, 1, 2, IsDigit) || !pod_of(file)) return not_found();
    const int depth = std::stoi(std::string(n));
    if (depth < 1 || depth > 20) return not_found();
    const std::string target = depth == 1 ? self + "/vast/pod/" + std::string(file)
                                          : self + "/vast/wrapper/" + std::to_string(depth - 1) + "/" + std::string(file);
    return Xml(WrapperXml(self, target, "w" + std::to_string(depth)));
  }
  return not_found();
}

// /ads/{id}/{bps}.m3u8 and /ads/{id}/{bps}_{i}.ts (container "cmaf": {bps}_{i}.m4s and
// {bps}_init.mp4, also video_{bps}* and audio_{lang}*), id [A-Za-z0-9_-]{1,64}, bps 1-12 digits,
// lang [A-Za-z0-9-]{1,35}, i 1-6 digits.
HttpResponse DecisionService::AdResponse(std::string_view path) {
  auto not_found = [&] { return JsonErrorResponse(404, "no ad at " + std::string(path.substr(0, 128))); };
  if (!path.starts_with("/ads/")) return not_found();
  std::string_view rest = path.substr(5);
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return not_found();
  const std::string_view id = rest.substr(0, slash);
  std::string_view file = rest.substr(slash + 1);
  if (!AllOf(id, 1, 64, IsIdChar)) return not_found();
  // CMAF tracks: "{bps}..." muxed (pool "ad"), "video_{bps}..." video only ("ad-video"),
  // "audio_{lang}..." the ad's audio for a demuxed presentation ("ad-audio-0": one language, the
  // same bytes whatever `lang` the catalogue's audio URL names; the splicer picks per language).
  const bool cmaf = config_.container == "cmaf";
  std::string_view prefix;
  if (cmaf && (file.starts_with("video_") || file.starts_with("audio_"))) {
    prefix = file.substr(0, 6);
    file.remove_prefix(6);
  }
  const bool audio = prefix == "audio_";
  const std::string_view ext = cmaf ? ".m4s" : ".ts";
  // file = KEY + (".m3u8" | "_init.mp4" | "_{i}" + ext); KEY = bps digits, or a language tag.
  const size_t end = std::min(file.find('_'), file.find('.'));
  if (end == std::string_view::npos) return not_found();
  const std::string_view key = file.substr(0, end), tail = file.substr(end);
  const bool key_ok = audio ? AllOf(key, 1, 35, [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-'; })
                            : AllOf(key, 1, 12, IsDigit);
  if (!key_ok) return not_found();
  const int64_t bps = audio ? 0 : std::stoll(std::string(key));
  if (!audio && bps == 0) return not_found();  // 0 means "any variant" to AdTimelineIndex
  const std::string track = std::string(prefix) + std::string(key);
  if (tail == ".m3u8") {
    std::optional<std::string> p = AdPlaylist(id, bps, prefix.empty() ? std::string_view() : std::string_view(track));
    if (!p) return JsonErrorResponse(404, "no ad " + std::string(id) + " at " + std::string(key));
    // VOD: never changes.
    return HttpResponse{200, "application/vnd.apple.mpegurl", std::move(*p), {{"Cache-Control", "max-age=3600"}}};
  }
  if (!media_) return not_found();
  const std::string pool_name = audio ? "ad-audio-0" : prefix == "video_" ? "ad-video" : "ad";
  const char* content_type = !cmaf ? "video/mp2t" : audio ? "audio/mp4" : "video/mp4";
  if (cmaf && tail == "_init.mp4") {
    // The init of every ad is the same encode's (media_library.h); 404 for a bitrate no ad of
    // this id has, as for its playlist.
    if (!AdTimelineIndex(config_.catalogue, config_.ad_segment_duration_s, id, bps, 0)) {
      return JsonErrorResponse(404, "no ad init " + std::string(path));
    }
    const origin::Fmp4Pool* pool = media_->Cmaf(pool_name);
    if (pool == nullptr) return JsonErrorResponse(500, "media: no CMAF track '" + pool_name + "' loaded");
    return HttpResponse{200, content_type, pool->Init(), {{"Cache-Control", "max-age=3600"}}};
  }
  if (!tail.starts_with("_") || !tail.ends_with(ext)) return not_found();
  const std::string_view i = tail.substr(1, tail.size() - 1 - ext.size());
  if (!AllOf(i, 1, 6, IsDigit)) return not_found();
  std::optional<int64_t> index =
      AdTimelineIndex(config_.catalogue, config_.ad_segment_duration_s, id, bps, std::stoll(std::string(i)));
  if (!index) return JsonErrorResponse(404, "no ad segment " + std::string(path));
  ++ad_segment_requests;
  Result<std::string> body = Status::Internal("media: no CMAF track '" + pool_name + "' loaded");
  if (!cmaf) {
    body = media_->Ad(*index);
  } else if (const origin::Fmp4Pool* pool = media_->Cmaf(pool_name)) {
    body = pool->Fragment(*index);
  }
  if (!body.ok()) return JsonErrorResponse(500, body.status().message());
  // Segment n's bytes never change.
  return HttpResponse{200, content_type, std::move(*body), {{"Cache-Control", "max-age=3600"}}};
}

void DecisionService::RegisterRoutes(httplib::Server& http) {
  http.Post("/decision", [this](const httplib::Request& req, httplib::Response& res) {
    // An httplib handler thread of its own: the latency may sleep here.
    if (latency_ms() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(latency_ms()));
    ToHttplib(DecisionResponse(req.body), res);
  });
  http.Get(R"(/ads/.*)", [this](const httplib::Request& req, httplib::Response& res) {
    ToHttplib(AdResponse(req.path), res);
  });
  http.Get(R"(/vast/.*)", [this](const httplib::Request& req, httplib::Response& res) {
    if (req.path == "/vast/timeout.xml") {
      // An httplib handler thread of its own: the wait may sleep here.
      std::this_thread::sleep_for(std::chrono::milliseconds(vast_timeout_ms));
    }
    if (req.path.starts_with("/vast/ping/") && ping_delay_ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(ping_delay_ms.load()));
    }
    std::string query;
    for (const auto& [k, v] : req.params) query += (query.empty() ? "" : "&") + k + "=" + v;
    ToHttplib(VastResponse(req.path, query, req.get_header_value("X-SSAI-Session"), req.get_header_value("X-Device-IP"),
                           req.get_header_value("X-Device-User-Agent")),
              res);
  });
}

void DecisionService::Handle(boost::asio::io_context& io, HttpRequest req, HttpResponder respond) {
  if (req.method == "POST" && req.path == "/decision") {
    HttpResponse res = DecisionResponse(req.body);
    if (latency_ms() <= 0) return respond(std::move(res));
    auto timer = std::make_shared<boost::asio::steady_timer>(io, std::chrono::milliseconds(latency_ms()));
    timer->async_wait([timer, respond, res = std::move(res)](const boost::system::error_code&) mutable {
      respond(std::move(res));
    });
    return;
  }
  if ((req.method == "GET" || req.method == "HEAD") && req.path.starts_with("/ads/")) {
    return respond(AdResponse(req.path));
  }
  if ((req.method == "GET" || req.method == "HEAD") && req.path.starts_with("/vast/")) {
    if (req.path == "/vast/timeout.xml") {
      auto timer = std::make_shared<boost::asio::steady_timer>(io, std::chrono::milliseconds(vast_timeout_ms));
      timer->async_wait([timer, respond, this](const boost::system::error_code&) mutable {
        respond(Xml(VastPod(AdDecision{}, false)));
      });
      return;
    }
    if (req.path.starts_with("/vast/ping/") && ping_delay_ms > 0) {
      auto timer = std::make_shared<boost::asio::steady_timer>(io, std::chrono::milliseconds(ping_delay_ms.load()));
      HttpResponse res = VastResponse(req.path, req.query, req.Header("X-SSAI-Session"), req.Header("X-Device-IP"),
                                      req.Header("X-Device-User-Agent"));
      timer->async_wait([timer, respond, res = std::move(res)](const boost::system::error_code&) mutable {
        respond(std::move(res));
      });
      return;
    }
    return respond(VastResponse(req.path, req.query, req.Header("X-SSAI-Session"), req.Header("X-Device-IP"),
                                req.Header("X-Device-User-Agent")));
  }
  respond(JsonErrorResponse(404, "no route " + req.method + " " + req.path));
}

void CatalogueDecisionClient::Decide(const Request& request, Callback done) {
  Result<AdDecision> d = service_->Decide(request);
  if (service_->latency_ms() <= 0) {
    done(std::move(d));
    return;
  }
  sched_->RunAt(sched_->Now() + service_->latency_ms() * kMicrosPerMilli,
                [d = std::move(d), done = std::move(done)]() mutable { done(std::move(d)); });
}

// ---------------------------------------------------------------------------------------------
// SyntheticOriginService

Status SyntheticOriginService::EnableMedia(const std::string& cache_dir) {
  if (spec_.media != "ffmpeg") return Status::Ok();
  // The template first: a bad one fails before ffmpeg makes any media.
  SSAI_ASSIGN_OR_RETURN(OriginSegmentRoutes routes, OriginSegmentRoutes::Make(spec_));
  MediaOptions options;
  options.ts = spec_.container == "ts";
  options.cmaf = spec_.container == "cmaf";
  options.audio_languages = options.cmaf ? static_cast<int>(spec_.audio.size()) : 0;
  SSAI_ASSIGN_OR_RETURN(media_, MediaLibrary::Open(cache_dir, spec_.segment_duration_s, "ffmpeg", options));
  segments_.emplace(std::move(routes));
  return Status::Ok();
}

HttpResponse SyntheticOriginService::Respond(std::string_view path) {
  const UnixMicros t = now ? now() : RealNow();
  if (segments_) {
    if (std::optional<HttpResponse> seg = segments_->Answer(path, t, *media_, &segment_requests)) {
      return std::move(*seg);
    }
  }
  // Encrypted streams (spec.encryption, issue 14): the AES-128 key k of EXT-X-KEY URI="key_{k}.bin".
  static const std::regex kKey(R"(/key_([0-9]{1,12})\.bin)");
  std::match_results<std::string_view::const_iterator> m;
  if (spec_.encryption != "none" && std::regex_match(path.begin(), path.end(), m, kKey)) {
    const int64_t k = std::stoll(m[1].str());  // at most 12 digits: fits
    return HttpResponse{200, "application/octet-stream", origin::KeyBytes(k), {{"Cache-Control", "max-age=3600"}}};
  }
  // The subtitle renditions' slate (spec.subtitles): a WebVTT segment with no cue, what `ssai
  // serve` lists in a subtitle rendition during a break (channels[].alternates[].slate).
  if (path == "/blank.vtt" && !spec_.subtitles.empty()) {
    return HttpResponse{200, "text/vtt", origin::BlankWebVtt(spec_), {{"Cache-Control", "max-age=3600"}}};
  }
  // WebVTT subtitle segments (spec.subtitles): real text, published like the variants' segments.
  static const std::regex kVtt(R"(/([A-Za-z0-9_-]{1,64})_([0-9]{1,12})\.vtt)");
  bool is_sub = false;
  if (std::regex_match(path.begin(), path.end(), m, kVtt)) {
    const origin::AlternateRendition* a = origin::FindAlternate(spec_, m[1].str(), &is_sub);
    const int64_t msn = std::stoll(m[2].str());
    if (a != nullptr && is_sub && msn <= origin::LiveEdgeMsn(spec_, t)) {
      return HttpResponse{200, "text/vtt", origin::WebVttSegment(spec_, *a, msn), {{"Cache-Control", "max-age=3600"}}};
    }
    return JsonErrorResponse(404, "no subtitle segment " + std::string(path)).Header("Cache-Control", "no-store");
  }
  static const std::regex kPlaylist(R"(/([A-Za-z0-9_-]{1,64})\.m3u8)");
  if (!std::regex_match(path.begin(), path.end(), m, kPlaylist)) {
    return JsonErrorResponse(404, "no route GET " + std::string(path)).Header("Cache-Control", "no-store");
  }
  ++requests;
  constexpr const char* kM3u8 = "application/vnd.apple.mpegurl";
  if (broken.load()) return HttpResponse{200, kM3u8, "#EXTM3U\n#EXTINF:abc,\nseg.ts\n", {}};
  if (const int fail = fail_status.load(); fail != 0) {
    return JsonErrorResponse(fail, "injected origin failure").Header("Cache-Control", "no-store");
  }
  const std::string name = m[1].str();
  if (name == "master") return HttpResponse{200, kM3u8, origin::MasterPlaylist(spec_), {{"Cache-Control", "max-age=1"}}};
  const origin::Rendition* r = origin::FindRendition(spec_, name);
  bool subtitles = false;
  if (const origin::AlternateRendition* a = r == nullptr ? origin::FindAlternate(spec_, name, &subtitles) : nullptr) {
    return HttpResponse{200, kM3u8, origin::AlternatePlaylistAt(spec_, *a, subtitles, t), {{"Cache-Control", "max-age=1"}}};
  }
  if (r == nullptr) return JsonErrorResponse(404, "no rendition '" + name + "'").Header("Cache-Control", "no-store");
  return HttpResponse{200, kM3u8, origin::MediaPlaylistAt(spec_, *r, t), {{"Cache-Control", "max-age=1"}}};
}

void SyntheticOriginService::RegisterRoutes(httplib::Server& http) {
  http.Get(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
    // An httplib handler thread of its own: the delay (playlists only) may sleep here.
    if (const int d = delay_ms.load(); d > 0 && req.path.ends_with(".m3u8")) {
      std::this_thread::sleep_for(std::chrono::milliseconds(d));
    }
    ToHttplib(Respond(req.path), res);
  });
}

void SyntheticOriginService::Handle(boost::asio::io_context& io, HttpRequest req, HttpResponder respond) {
  if (req.method != "GET" && req.method != "HEAD") {
    return respond(JsonErrorResponse(405, "method " + req.method + " not allowed").Header("Allow", "GET, HEAD"));
  }
  HttpResponse res = Respond(req.path);
  const int d = delay_ms.load();
  if (d <= 0 || !req.path.ends_with(".m3u8")) return respond(std::move(res));
  auto timer = std::make_shared<boost::asio::steady_timer>(io, std::chrono::milliseconds(d));
  timer->async_wait([timer, respond, res = std::move(res)](const boost::system::error_code&) mutable {
    respond(std::move(res));
  });
}

}  // namespace ssai::server
