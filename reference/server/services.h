// Small HTTP services around the SSAI server: a generic httplib server on its own thread
// (HttpService), the built-in ad decision service (catalogue, latency, failure rate) and the
// synthetic live origin served on real time (`ssai origin --synthetic`).
#ifndef SSAI_REFERENCE_SERVER_SERVICES_H_
#define SSAI_REFERENCE_SERVER_SERVICES_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <httplib.h>

#include "reference/base/status.h"
#include "reference/media/origin/synthetic_origin.h"
#include "reference/server/config.h"
#include "reference/server/http_frontend.h"
#include "reference/server/media_library.h"
#include "reference/ssai/env.h"

namespace ssai::server {

// An httplib::Server listening on its own thread. Register routes on http() before Start.
class HttpService {
 public:
  HttpService();
  ~HttpService();
  HttpService(const HttpService&) = delete;
  HttpService& operator=(const HttpService&) = delete;
  httplib::Server& http() { return *http_; }
  // Binds host:port (port 0: any free port) and starts serving; returns once serving.
  Status Start(const std::string& host, int port);
  // The two halves of Start: bind (connections queue in the backlog), then serve.
  Status Bind(const std::string& host, int port);
  void Serve();
  void Stop();  // idempotent; waits for the listener thread
  int port() const { return port_; }
  std::string base_url() const { return "http://" + host_ + ":" + std::to_string(port_); }

 private:
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  std::string host_;
  int port_ = 0;
};

// An HttpFrontEnd (Boost.Beast, http_frontend.h) on its own io_context thread, for the small
// servers (`ssai origin`, `ssai decision`): a slow or idle client holds a socket and a buffer, not
// a thread, so 30 slowloris clients cannot starve the others (the front end's read and keep-alive
// timeouts close them). The handler runs on that thread: it must not block (use a timer from
// io() to answer later). CORS "*" on every response; refusals (400/413/431) as JSON errors.
class FrontEndService {
 public:
  // Called on the io thread with that thread's io_context (for timers).
  using Handler = std::function<void(boost::asio::io_context& io, HttpRequest request, HttpResponder respond)>;
  explicit FrontEndService(Handler handler);
  ~FrontEndService();
  FrontEndService(const FrontEndService&) = delete;
  FrontEndService& operator=(const FrontEndService&) = delete;
  // Binds host:port (port 0: any free port) and starts the io thread; connections queue in the
  // backlog until Serve.
  Status Bind(const std::string& host, int port);
  void Serve();
  Status Start(const std::string& host, int port);  // Bind + Serve
  void Stop();  // graceful (in-flight answers drain ≤ 2 s), idempotent; joins the io thread
  boost::asio::io_context& io() { return io_; }
  int port() const { return front_.port(); }
  std::string base_url() const { return front_.base_url(); }

 private:
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  HttpFrontEnd front_;
  std::thread thread_;
  bool stopped_ = false;
};

// JSON error body: {"error": message}.
std::string JsonError(std::string_view message);
void SetJsonError(httplib::Response& res, int status, std::string_view message);
HttpResponse JsonErrorResponse(int status, std::string_view message);
// Copies a front-end-neutral response into httplib's (for the services on HttpService).
void ToHttplib(HttpResponse from, httplib::Response& to);

// Ad decisions from a catalogue (thread-safe). {self} in ad URLs becomes self_url.
class DecisionService {
 public:
  explicit DecisionService(DecisionConfig config);
  void set_self_url(std::string url);
  // The pod named by request.pod_id, else the default pod, else an empty pod (slate); fails with
  // kUnavailable for a `failure_rate` fraction of calls (seeded, reproducible sequence).
  Result<AdDecision> Decide(const DecisionClient::Request& request);
  int64_t latency_ms() const { return config_.latency_ms; }
  // A VOD media playlist for ad `ad_id` at `bitrate_bps`, if the catalogue has it. `track` (CMAF,
  // issue 14): "" = muxed ("{bps}_{i}.m4s"), else the file stem of a demuxed track ("video_{bps}",
  // or "audio_{lang}" with bitrate_bps 0 = any variant of the ad).
  std::optional<std::string> AdPlaylist(std::string_view ad_id, int64_t bitrate_bps,
                                        std::string_view track = {}) const;
  // Real ad segments (config.media "ffmpeg"): loads or makes them (media_library.h). Before
  // RegisterRoutes.
  Status EnableMedia(const std::string& cache_dir);
  // The routes, on either HTTP server: POST /decision (JSON {"channelId","eventId","podId",
  // "duration"}) without the configured latency (the caller adds it: a timer on the core, a sleep
  // on an httplib thread), and GET /ads/{id}/{bps}.m3u8 or, with media, /ads/{id}/{bps}_{i}.ts.
  HttpResponse DecisionResponse(std::string_view body);
  HttpResponse AdResponse(std::string_view path);
  void RegisterRoutes(httplib::Server& http);
  // The same routes on a FrontEndService (`ssai decision`): the latency on a timer, not a sleep.
  void Handle(boost::asio::io_context& io, HttpRequest request, HttpResponder respond);
  std::atomic<int64_t> ad_segment_requests{0};  // ad segment bodies served

  // VAST mode (the harness's ad server, as a real SSAI server calls one; vast_decision.h is our
  // server's client). GET routes, pods from the catalogue ("default" = the default pod):
  //   /vast/pod/{pod}.xml            VAST 4.2 InLine pod: one Ad per item, sequence 1..n, Linear
  //                                  Duration, an HLS MediaFile per variant (bitrate kb/s),
  //                                  Impression, Error and the five quartile TrackingEvents, all
  //                                  pointing at /vast/ping/...
  //   /vast/ad/{pod}.xml             the pod's first item alone (a stand-alone InLine)
  //   /vast/wrapper/{n}/{pod}.xml    n wrappers (1..20, allowMultipleAds="true": the pod comes
  //                                  through) in a chain down to /vast/pod/{pod}.xml
  //   /vast/loop.xml                 a wrapper whose VASTAdTagURI is itself
  //   /vast/empty.xml                <VAST> with no Ad and a root Error (no fill: 303)
  //   /vast/malformed.xml            not XML (100)
  //   /vast/mp4/{pod}.xml            the pod with progressive MP4 MediaFiles only (403)
  //   /vast/timeout.xml              answered after vast_timeout_ms (a wrapper target: 301)
  //   /vast/wrapper-timeout.xml      a wrapper to /vast/timeout.xml
  //   /vast/wrapper-malformed.xml    a wrapper to /vast/malformed.xml (its Error fires with 100)
  //   /vast/ping/{kind}?...          impression|error|tracking pings: 200, recorded with the
  //                                  session the server-side beacon names (X-SSAI-Session,
  //                                  beacon_sender.h) and when it arrived
  //   /vast/received                 JSON {"pings":[{"kind","query","session","at_ms"}...],
  //                                  "fetches":[{"path","at_ms"}...]} of what was recorded (at
  //                                  most 10,000 each; at_ms: Unix ms)
  HttpResponse VastResponse(std::string_view path, std::string_view query, std::string_view session = "",
                            std::string_view device_ip = "", std::string_view device_user_agent = "");
  struct Ping {
    std::string kind;
    std::string query;
    std::string session;  // X-SSAI-Session of the request ("" when none)
    std::string device_ip;          // X-Device-IP (VAST 4.3 §2.3.4), "" when none
    std::string device_user_agent;  // X-Device-User-Agent
    int64_t at_ms = 0;    // Unix ms of arrival
  };
  std::vector<Ping> received_pings() const;
  // Every /vast/ document asked for (ad tags, wrappers, InLines), in arrival order (at most
  // 10,000): the conformance suite's vast.wrapper_depth reads it. Also in /vast/received.
  struct VastFetch {
    std::string path;
    int64_t at_ms = 0;
  };
  std::vector<VastFetch> vast_fetches() const;
  int64_t vast_timeout_ms = 30'000;
  // Fault knob for tests: answer /vast/ping/... this late (a slow tracking endpoint).
  std::atomic<int> ping_delay_ms{0};

 private:
  std::string VastPod(const AdDecision& pod, bool mp4_only) const;
  mutable std::mutex pings_mu_;
  std::vector<Ping> pings_;  // capped at kMaxPings
  std::vector<VastFetch> fetches_;  // capped at kMaxPings, under pings_mu_
  DecisionConfig config_;
  std::shared_ptr<const MediaLibrary> media_;
  mutable std::mutex mu_;
  std::string self_url_;
  uint64_t rng_state_;
};

// DecisionClient over an in-process DecisionService, latency on the Scheduler.
class CatalogueDecisionClient : public DecisionClient {
 public:
  CatalogueDecisionClient(Scheduler* scheduler, DecisionService* service)
      : sched_(scheduler), service_(service) {}
  void Decide(const Request& request, Callback done) override;

 private:
  Scheduler* sched_;
  DecisionService* service_;
};

// Serves a synthetic stream live: GET /master.m3u8, GET /{rendition}.m3u8 (MediaPlaylistAt at the
// real now); segments 404 unless media is enabled (spec.media "ffmpeg": real MPEG-TS segments and
// /slate.ts, media_library.h). Playlists are "Cache-Control: max-age=1" (they change every segment).
// An encrypted spec (spec.encryption) also serves its keys: GET /key_{k}.bin -> origin::KeyBytes(k);
// alternates (spec.audio, spec.subtitles) their playlists "/{id}.m3u8" and WebVTT "/{id}_{msn}.vtt".
// Fault knobs for tests: `fail_status`, `delay_ms`, `broken`.
class SyntheticOriginService {
 public:
  explicit SyntheticOriginService(origin::SyntheticStreamSpec spec) : spec_(std::move(spec)) {}
  // Loads or makes the media (media_library.h) when spec.media is "ffmpeg". Before RegisterRoutes.
  Status EnableMedia(const std::string& cache_dir);
  // The answer to GET `path` (percent-decoded, no query) now, fault knobs but delay_ms applied.
  // One model for both transports below.
  HttpResponse Respond(std::string_view path);
  void RegisterRoutes(httplib::Server& http);  // in-process test origins (server_test.cc)
  // `ssai origin --synthetic` on a FrontEndService: delay_ms on a timer, not a sleep.
  void Handle(boost::asio::io_context& io, HttpRequest request, HttpResponder respond);
  std::atomic<int64_t> segment_requests{0};  // segment bodies served (media "ffmpeg")
  std::atomic<int> fail_status{0};
  std::atomic<int> delay_ms{0};       // answer this late (a slow origin)
  std::atomic<bool> broken{false};    // answer 200 with an unparsable playlist
  std::atomic<int64_t> requests{0};
  // The origin's clock; RealNow when empty. `ssai origin --speed/--from` set a ScaledClock
  // (capture_origin.h). Set before RegisterRoutes.
  std::function<UnixMicros()> now;

 private:
  origin::SyntheticStreamSpec spec_;
  std::shared_ptr<const MediaLibrary> media_;
  std::optional<OriginSegmentRoutes> segments_;
};

}  // namespace ssai::server

#endif  // SSAI_REFERENCE_SERVER_SERVICES_H_
