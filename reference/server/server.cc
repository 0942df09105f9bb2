#include "reference/server/server.h"

#include <malloc.h>

#include <algorithm>
#include <limits>
#include <atomic>
#include <cctype>
#include <chrono>
#include <deque>
#include <future>
#include <map>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "reference/base/strings.h"
#include "reference/base/url.h"
#include "reference/server/asio_env.h"
#include "reference/server/http_frontend.h"
#include "reference/server/inject.h"
#include "reference/server/jwt_auth.h"
#include "reference/server/kv_cache.h"
#include "reference/server/redis_kv.h"
#include "reference/server/media_library.h"
#include "reference/server/services.h"
#include "reference/server/beacon_sender.h"
#include "reference/server/vast_decision.h"
#include "reference/ssai/builds.h"
#include "reference/ssai/coordinator.h"
#include "reference/ssai/manifest_path.h"

namespace ssai::server {

namespace asio = boost::asio;
using Json = nlohmann::json;

namespace {

// Compares in time that depends only on the lengths (the token's length is not a secret worth
// hiding; its bytes are).
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  const size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsPathChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '_' ||
         c == '-' || c == '.';
}

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 1;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

int HttpStatusFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition: return 409;  // e.g. a cue "stop" with no break to end
    case StatusCode::kResourceExhausted: return 429;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kDeadlineExceeded: return 504;
    case StatusCode::kUnimplemented: return 501;
    default: return 500;
  }
}


}  // namespace

struct Server::Impl {
  Impl(ServerConfig c, ServerHooks h) : config(std::move(c)), hooks(std::move(h)) {}

  ServerConfig config;
  ServerHooks hooks;
  const BuildSpec* build = nullptr;
  Metrics metrics;
  std::unique_ptr<Logger> logger = Logger::Null();  // opened by Build (config.log)
  // One per configured channel, made by Build and fixed after it (the config's channels are the
  // only ones served), so the manifest path finds its counters without building a string.
  struct ChannelSlot {
    const ChannelConfig* config = nullptr;
    ChannelMetrics* metrics = nullptr;  // owned by `metrics`
    // The break this channel's playlists were last answered in, as this edge served them ("" =
    // none): the change logs break.start / break.end. Core thread only.
    std::string serving_break;
  };
  std::vector<ChannelSlot> channel_slots;
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread core_thread;
  std::atomic<std::thread::id> core_thread_id{};
  std::unique_ptr<HttpFetcher> fetcher;
  std::unique_ptr<BeaconSender> beacon_sender;  // server-side tracking (edge roles)
  std::unique_ptr<AsioScheduler> scheduler;
  std::unique_ptr<MemoryKvStore> memory_kv;  // kv.backend "sim"
  std::unique_ptr<RedisKvStore> redis_kv;    // kv.backend "redis"
  std::unique_ptr<KvStore> hooked_kv;        // ServerHooks::make_kv (instead of kv.backend)
  std::unique_ptr<CachingKvStore> kv_cache;  // kv.cache_ttl_s > 0: the edge's cacheTtl
  KvStore* kv = nullptr;                     // what the core uses: one of the above
  std::unique_ptr<JournalDurableStore> durable;
  std::unique_ptr<HttpOriginClient> origin;
  std::unique_ptr<CachingOriginClient> edge_origin;  // the edge's micro-cache over `origin`
  std::unique_ptr<DecisionService> decision_service;
  std::unique_ptr<DecisionClient> decision;
  VastDecisionClient* vast_decision = nullptr;  // `decision` when decision.format is "vast"
  std::unique_ptr<CoordinatorClient> coordinator_client;
  std::unique_ptr<InjectedLatencyCoordinatorClient> injected_coordinator;  // `inject`: latency around coordinator_client
  LocalCoordinatorClient* local_client = nullptr;
  std::vector<std::unique_ptr<Coordinator>> coordinators;
  std::map<std::string, Coordinator*, std::less<>> by_id;  // core thread only after Start
  std::unique_ptr<ManifestPath> edge;
  std::unique_ptr<HttpFrontEnd> front;
  // Requests answered asynchronously, oldest first, for the request_timeout_ms deadline (one
  // sweep timer instead of a timer per request; every entry has the same timeout).
  struct Pending;
  std::deque<std::shared_ptr<Pending>> pending;
  std::unique_ptr<asio::steady_timer> deadline_timer;
  bool started = false;
  std::atomic<bool> stopped{false};

  bool has_edge() const { return config.role != Role::kCoordinator; }
  bool has_coordinator() const { return config.role != Role::kEdge; }

  // Runs op(done) on the core thread from another thread; waits for done(T) at most timeout_ms.
  // Start and Stop only: requests run on the core thread already.
  template <typename T, typename Op>
  std::optional<T> CallOnCore(Op op, int64_t timeout_ms) {
    auto promise = std::make_shared<std::promise<T>>();
    auto once = std::make_shared<bool>(false);
    std::future<T> future = promise->get_future();
    asio::post(io, [op = std::move(op), promise, once]() mutable {
      op([promise, once](T value) {
        if (*once) return;
        *once = true;
        promise->set_value(std::move(value));
      });
    });
    if (future.wait_for(std::chrono::milliseconds(timeout_ms)) != std::future_status::ready) return std::nullopt;
    return future.get();
  }

  const ChannelConfig* FindChannelConfig(std::string_view org, std::string_view channel) const {
    for (const ChannelConfig& c : config.channels) {
      if (c.org == org && c.channel == channel) return &c;
    }
    return nullptr;
  }
  ChannelSlot* FindChannelSlot(std::string_view org, std::string_view channel) {
    for (ChannelSlot& c : channel_slots) {
      if (c.config->org == org && c.config->channel == channel) return &c;
    }
    return nullptr;
  }

  // One request's answer: records the route's metrics once, makes errors no-store.
  class Reply;
  Reply Begin(std::string_view route, const HttpRequest& req, HttpResponder respond);
  // A refused cue: counted (ssai_cues_total{result}, per channel when known) and logged.
  void CueRefused(std::string_view result, int status, std::string_view reason, std::string_view channel = "");
  // Answers with 504 if `reply` is not answered within request_timeout_ms.
  void Deadline(const Reply& reply, std::string what);
  void SweepDeadlines();

  Status Build();
  void OnRequest(HttpRequest req, HttpResponder respond);
  void Route(HttpRequest req, HttpResponder respond);
  void AnswerException(const HttpResponder& respond, std::string_view what);
  void RunCore();
  bool PreRoute(const HttpRequest& req, const HttpResponder& respond, std::string_view* route);
  void HandleEdge(const HttpRequest& req, Reply reply);
  void HandleCue(const HttpRequest& req, Reply reply);
  std::optional<HttpResponse> CueRefusal(const HttpRequest& req, std::optional<uint64_t> body_bytes);
  std::optional<HttpResponse> CheckHead(const HttpRequest& head);
  void HandleChannelApi(const HttpRequest& req, Reply reply);
  void HandleDecision(const HttpRequest& req, Reply reply);
  std::string CoreGauges();
  // Per-channel metrics and logs of one playlist answer (breaks starting and ending as this edge
  // serves them, upstream failures, stale origin copies).
  void NoteEdgeAnswer(ChannelSlot& slot, const ManifestResponse& r);
  void Stop();
};

// Shared by a request's handler, its core callbacks and the deadline sweep: whoever answers first wins.
struct Server::Impl::Pending {
  Metrics* metrics;
  Logger* log;
  std::string method, path, peer;  // for the access log (when on)
  const std::atomic<std::thread::id>* core_thread_id;
  std::string route;
  HttpResponder respond;
  std::chrono::steady_clock::time_point start;
  std::chrono::steady_clock::time_point deadline;
  std::string timeout_message;
  bool answered = false;
};

class Server::Impl::Reply {
 public:
  explicit Reply(std::shared_ptr<Pending> p) : p_(std::move(p)) {}
  void operator()(HttpResponse r) const {
    if (p_->answered) return;
    p_->answered = true;
    // The Env contract: every completion on the core thread. Counted, so tests see a breach.
    if (std::this_thread::get_id() != p_->core_thread_id->load()) p_->metrics->RecordError("off_core_callback");
    if (r.status >= 400) r.Header("Cache-Control", "no-store");
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - p_->start).count();
    p_->metrics->RecordRequest(p_->route, r.status, s);
    if (p_->log->access_log()) {
      p_->log->Log(LogLevel::kInfo, "http.access",
                   {{"method", p_->method}, {"path", p_->path}, {"status", int64_t{r.status}}, {"route", p_->route},
                    {"latency_ms", s * 1e3}, {"bytes", static_cast<int64_t>(r.body.size())}, {"peer", p_->peer}});
    }
    HttpResponder respond = std::move(p_->respond);
    respond(std::move(r));
  }
  void Error(int status, std::string_view message) const { (*this)(JsonErrorResponse(status, message)); }
  void SendJson(int status, std::string body) const { (*this)(HttpResponse{status, "application/json", std::move(body), {}}); }
  bool answered() const { return p_->answered; }
  const std::shared_ptr<Pending>& pending() const { return p_; }

 private:
  std::shared_ptr<Pending> p_;
};

Server::Impl::Reply Server::Impl::Begin(std::string_view route, const HttpRequest& req, HttpResponder respond) {
  auto p = std::make_shared<Pending>();
  p->metrics = &metrics;
  p->log = logger.get();
  if (logger->access_log()) {
    p->method = req.method.substr(0, 16);
    p->path = req.path.substr(0, 256);
    p->peer = req.peer_address;
  }
  p->core_thread_id = &core_thread_id;
  p->route = std::string(route);
  p->respond = std::move(respond);
  p->start = std::chrono::steady_clock::now();
  return Reply(std::move(p));
}

void Server::Impl::Deadline(const Reply& reply, std::string what) {
  if (reply.answered()) return;  // answered synchronously: the common case costs nothing
  reply.pending()->deadline = reply.pending()->start + std::chrono::milliseconds(config.request_timeout_ms);
  reply.pending()->timeout_message = std::move(what);
  pending.push_back(reply.pending());
}

void Server::Impl::SweepDeadlines() {
  const auto now = std::chrono::steady_clock::now();
  while (!pending.empty() && (pending.front()->answered || pending.front()->deadline <= now)) {
    std::shared_ptr<Pending> p = std::move(pending.front());
    pending.pop_front();
    if (p->answered) continue;
    metrics.RecordError("timeout");
    if (p->route == "cue") metrics.RecordCue("timeout");
    logger->LogThrottled(LogLevel::kWarn, "timeout/" + p->route, RealNow() / kMicrosPerMilli, "request.timeout",
                      {{"route", p->route}, {"waited_for", p->timeout_message},
                       {"timeout_ms", config.request_timeout_ms}});
    Reply(p).Error(504, p->timeout_message + ": no answer within " + std::to_string(config.request_timeout_ms) +
                            " ms");
  }
  deadline_timer->expires_after(std::chrono::milliseconds(50));
  deadline_timer->async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !stopped) SweepDeadlines();
  });
}

Status Server::Impl::Build() {
  SSAI_RETURN_IF_ERROR(ValidateServerConfig(config));
  SSAI_ASSIGN_OR_RETURN(logger, Logger::Open(config.log));
  build = FindBuild(config.build);
  for (const ChannelConfig& c : config.channels) {
    channel_slots.push_back({&c, metrics.AddChannel(c.org + "/" + c.channel), ""});
  }
  if (has_coordinator() && !config.auth_disabled && config.cue_token.empty() && config.jwt_secret.empty()) {
    return Status::InvalidArgument(
        "auth: no cue token configured; set auth.token or auth.token_env (SSAI_CUE_TOKEN), or auth.jwt_secret / "
        "auth.jwt_secret_env, or disable auth for development (auth.disabled / --no-auth)");
  }
  // The journal's writer thread hands acknowledged records back to the core thread.
  JournalDurableStore::Options journal_options;
  journal_options.compact_after_records = config.journal_compact_after_records;
  journal_options.max_group_records = config.journal_max_group_records;
  SSAI_ASSIGN_OR_RETURN(durable, JournalDurableStore::Open(
                                     config.journal_path,
                                     [this](std::function<void()> fn) { asio::post(io, std::move(fn)); },
                                     journal_options));
  fetcher = std::make_unique<HttpFetcher>(io, config.worker_threads, config.max_origin_body_bytes);
  scheduler = std::make_unique<AsioScheduler>(io);
  if (hooks.make_kv) {
    hooked_kv = hooks.make_kv(scheduler.get());
    if (!hooked_kv) return Status::Internal("server hooks: make_kv returned no store");
    kv = hooked_kv.get();
  } else if (config.kv_backend == "redis") {
    RedisKvOptions ro;
    ro.primary = config.kv_redis_primary;
    ro.replica = config.kv_redis_replica;
    ro.connect_timeout_ms = ro.command_timeout_ms = config.kv_timeout_ms;
    SSAI_ASSIGN_OR_RETURN(redis_kv, RedisKvStore::Open(io, ro));
    kv = redis_kv.get();
  } else {
    memory_kv = std::make_unique<MemoryKvStore>(scheduler.get(), config.kv_propagation_delay_ms * kMicrosPerMilli);
    kv = memory_kv.get();
  }
  if (config.kv_cache_ttl_s > 0) {
    kv_cache = std::make_unique<CachingKvStore>(kv, scheduler.get(), config.kv_cache_ttl_s);
    kv = kv_cache.get();
  }
  origin = std::make_unique<HttpOriginClient>(fetcher.get(), config.origin_timeout_ms);
  if (has_coordinator()) {
    if (config.decision.url.empty()) {
      decision_service = std::make_unique<DecisionService>(config.decision);
      if (config.decision.media == "ffmpeg") {
        SSAI_RETURN_IF_ERROR(decision_service->EnableMedia(MediaLibrary::DefaultCacheDir()));
      }
      decision = std::make_unique<CatalogueDecisionClient>(scheduler.get(), decision_service.get());
    } else {
      if (config.decision.format == "vast") {
        VastDecisionOptions vo;
        vo.url = config.decision.url;
        vo.timeout_ms = config.decision_timeout_ms;
        // Answer (or fail with 301 and fire the Error URLs) before the coordinator gives up.
        vo.total_timeout_ms = std::max<int64_t>(1, config.decision_timeout_ms * 9 / 10);
        vo.segment_duration_s = config.decision.ad_segment_duration_s;
        // DEFECT(unlimited_wrappers): no wrapper depth limit (the document and byte bounds stay).
        if (build->defects.unlimited_wrappers) vo.resolver.max_wrapper_depth = std::numeric_limits<int>::max();
        auto vast = std::make_unique<VastDecisionClient>(fetcher.get(), std::move(vo));
        vast_decision = vast.get();
        decision = std::move(vast);
      } else {
        decision = std::make_unique<HttpDecisionClient>(fetcher.get(), config.decision.url, config.decision_timeout_ms);
      }
    }
    CoordinatorOptions base;
    base.decision_timeout_us = config.decision_timeout_ms * kMicrosPerMilli;
    const CoordinatorOptions options = CoordinatorOptionsFor(*build, base);
    auto local = std::make_unique<LocalCoordinatorClient>();
    for (const ChannelConfig& ch : config.channels) {
      CoordinatorEnv env{scheduler.get(), kv, durable.get(), origin.get(), decision.get()};
      coordinators.push_back(std::make_unique<Coordinator>(ch, env, options));
      local->Add(coordinators.back().get());
      by_id[ch.channel_id()] = coordinators.back().get();
    }
    local_client = local.get();
    coordinator_client = std::move(local);
  }
  if (config.role == Role::kEdge) {
    coordinator_client =
        std::make_unique<HttpCoordinatorClient>(fetcher.get(), config.coordinator_url, config.coordinator_timeout_ms);
  }
  CoordinatorClient* edge_coordinator = coordinator_client.get();
  if (has_edge()) {
    // Always there (0/0 passes calls straight on), so SetInjectedCoordinatorLatency can change it.
    injected_coordinator = std::make_unique<InjectedLatencyCoordinatorClient>(
        coordinator_client.get(), scheduler.get(), config.inject_coordinator_latency_min_ms,
        config.inject_coordinator_latency_max_ms, config.decision.seed);
    edge_coordinator = injected_coordinator.get();
  }
  if (has_edge()) {
    edge_origin = std::make_unique<CachingOriginClient>(origin.get(), scheduler.get(),
                                                        config.origin_cache_ms * kMicrosPerMilli);
    ManifestPathOptions mo;
    mo.origin_last_good_max_age_us = config.origin_last_good_max_age_ms * kMicrosPerMilli;
    beacon_sender = std::make_unique<BeaconSender>(io, BeaconSenderOptions{});
    edge = std::make_unique<ManifestPath>(*build, config.channels,
                                          ManifestPathEnv{scheduler.get(), kv, edge_coordinator,
                                                          edge_origin.get(), nullptr, beacon_sender.get()},
                                          mo);
  }
  return Status::Ok();
}

// Refuses what no route may see; on success names the route. Runs before auth and parsing.
bool Server::Impl::PreRoute(const HttpRequest& req, const HttpResponder& respond, std::string_view* route) {
  const std::string& p = req.path;
  auto reject = [&](int status, std::string_view r, std::string_view message, std::string allow = "") {
    Reply reply = Begin(r, req, respond);
    metrics.RecordError(status == 404 ? "not_found" : status == 405 ? "method" : "bad_path");
    HttpResponse res = JsonErrorResponse(status, message);
    if (!allow.empty()) res.Header("Allow", std::move(allow));
    reply(std::move(res));
    return false;
  };
  if (p.empty() || p[0] != '/') return reject(400, "invalid", "path: must start with '/'");
  for (char c : p) {
    if (!IsPathChar(c)) return reject(400, "invalid", "path: characters other than [A-Za-z0-9/_.-] are not allowed");
  }
  if (p.find("..") != std::string::npos || p.find("//") != std::string::npos) {
    return reject(400, "invalid", "path: '..' and empty segments are not allowed");
  }
  const std::vector<std::string_view> seg = SplitPath(p);
  const std::string& m = req.method;
  auto only = [&](std::string_view allowed, std::string_view r) {
    const bool ok = allowed == "POST" ? m == "POST" : (m == "GET" || m == "HEAD");
    if (ok) {
      *route = r;
      return true;
    }
    return reject(405, r, "method " + m.substr(0, 16) + " not allowed on " + p + "; use " + std::string(allowed),
                  allowed == "POST" ? "POST" : "GET, HEAD");
  };
  if (p == "/health") return only("GET", "health");
  if (p == "/metrics") return only("GET", "metrics");
  if (p == "/cue" && has_coordinator()) return only("POST", "cue");
  if (p == "/decision" && decision_service) return only("POST", "decision");
  if (seg.size() == 3 && seg[0] == "ads" && decision_service) return only("GET", "ads");
  if (has_coordinator() && seg.size() >= 2 && seg[0] == "api" && seg[1] == "channels" && seg.size() <= 4) {
    return only("GET", "api");
  }
  if (seg.size() == 3 && has_edge()) return only("GET", "manifest");
  return reject(404, "unknown", "no route for " + p);
}

// On the core thread (the front end runs on the io_context): handlers call the core directly.
// The boundary where a request enters: whatever a library throws on its bytes (nlohmann's
// type_error, std::stoll's out_of_range, bad_alloc, ...) is answered 500 JSON and counted in
// ssai_errors_total{kind="exception"}, never taken down with the process. The front end answers
// once (later calls are ignored), so a handler that answered before it threw keeps its answer.
void Server::Impl::OnRequest(HttpRequest req, HttpResponder respond) {
  HttpResponder fallback = respond;
  try {
    Route(std::move(req), std::move(respond));
  } catch (const std::exception& e) {
    AnswerException(fallback, e.what());
  } catch (...) {
    AnswerException(fallback, "unknown exception");
  }
}

void Server::Impl::AnswerException(const HttpResponder& respond, std::string_view what) {
  metrics.RecordError("exception");
  metrics.RecordRequest("exception", 500, 0);
  HttpResponse res = JsonErrorResponse(500, "internal error: " + std::string(what));
  res.Header("Cache-Control", "no-store");
  respond(std::move(res));
}

void Server::Impl::Route(HttpRequest req, HttpResponder respond) {
  if (std::this_thread::get_id() != core_thread_id.load()) metrics.RecordError("off_core_request");
  std::string_view route;
  if (!PreRoute(req, respond, &route)) return;
  if (route == "manifest") return HandleEdge(req, Begin(route, req, std::move(respond)));
  if (route == "cue") return HandleCue(req, Begin(route, req, std::move(respond)));
  if (route == "api") return HandleChannelApi(req, Begin(route, req, std::move(respond)));
  if (route == "decision") return HandleDecision(req, Begin(route, req, std::move(respond)));
  Reply reply = Begin(route, req, std::move(respond));
  if (route == "ads") return reply(decision_service->AdResponse(req.path));
  if (route == "health") {
    // Answered by the core thread itself: a wedged core does not answer at all.
    Json j{{"status", "ok"},
           {"role", RoleName(config.role)},
           {"build", build->name},
           {"kv", config.kv_backend},
           {"channels", config.channels.size()}};
    return reply(HttpResponse{200, "application/json", j.dump(), {{"Cache-Control", "no-store"}}});
  }
  // metrics
  reply(HttpResponse{200, "text/plain; version=0.0.4", metrics.Render(CoreGauges()), {{"Cache-Control", "no-store"}}});
}

void Server::Impl::HandleEdge(const HttpRequest& req, Reply reply) {
  const std::vector<std::string_view> seg = SplitPath(req.path);
  const std::string org(seg[0]), channel(seg[1]), file(seg[2]);
  const bool is_playlist = file.ends_with(".m3u8") || (file.starts_with("al-") && file.ends_with(".json"));
  if (!is_playlist) {
    reply.pending()->route = "segment_redirect";
    const ChannelConfig* ch = FindChannelConfig(org, channel);
    if (ch == nullptr) return reply.Error(404, "unknown channel " + org + "/" + channel);
    // Segments are not proxied: the origin serves them (RFC 8216 §4.1 relative URIs resolve
    // against the origin's playlist URL).
    return reply(HttpResponse{302, "", "", {{"Location", ResolveUrl(ch->renditions.front().origin_url, file)},
                                            {"Cache-Control", "no-store"}}});
  }
  ManifestRequest mr{org, channel, file, std::nullopt};
  {
    // The viewer's own view of this server (SGAI asset lists name absolute asset URIs): the Host
    // header when it is a plain host[:port], else the address this server listens on.
    const std::string host = req.Header("Host");
    const bool plain = !host.empty() && host.size() <= 255 &&
                       std::all_of(host.begin(), host.end(), [](char c) {
                         return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
                                c == '[' || c == ']';
                       });
    mr.public_base_url = (plain ? "http://" + host : front->base_url()) + "/" + org + "/" + channel + "/";
  }
  // The viewer session (beacons.h: server-side tracking); the core checks its form (400).
  if (std::optional<std::string> session = req.Param("session")) mr.session = *session;
  if (!mr.session.empty()) {
    // Forwarded on the session's beacons (beacon_sender.h: VAST 4.3 §2.3.4), checked here.
    mr.device_ip = DeviceIpOf(req.peer_address, req.Header("X-Forwarded-For"),
                              config.decision.device_ip_from == "x-forwarded-for");
    mr.device_user_agent = ForwardableUserAgent(req.Header("User-Agent"));
  }
  if (std::optional<std::string> mode_param = req.Param("mode")) {
    const std::string mode = Lower(*mode_param);
    if (mode == "ssai") {
      mr.mode = InsertionMode::kSsai;
    } else if (mode == "sgai") {
      mr.mode = InsertionMode::kSgai;
    } else {
      return reply.Error(400, "mode: must be ssai or sgai, got '" + mode.substr(0, 16) + "'");
    }
  }
  const bool is_master = file == "master.m3u8";
  // Per-channel metrics and logs only for configured channels: the label set stays bounded.
  ChannelSlot* const slot = FindChannelSlot(org, channel);
  edge->Handle(mr, [this, reply, is_master, slot](ManifestResponse r) {
    if (reply.answered()) return;  // timed out already
    // Background refreshes (kv-channel-state) are coordinator calls too: the coordinator answers
    // them, and the simulator counts them (issue 18: they were missing from /metrics).
    metrics.RecordManifest(StateSourceName(r.source), r.kv_reads, r.coordinator_calls + r.coordinator_background_calls,
                           r.served_stale_origin, r.ad_segments);
    if (r.http_status >= 500) metrics.RecordError("upstream");
    if (slot != nullptr) NoteEdgeAnswer(*slot, r);
    HttpResponse res{r.http_status, r.content_type, std::move(r.body), {}};
    res.Header("X-SSAI-State-Source", std::string(StateSourceName(r.source)));
    res.Header("X-SSAI-Build", build->name);
    if (r.served_stale_origin) res.Header("X-SSAI-Stale-Origin", "1");  // the last good copy
    if (r.http_status != 200) {
      if (!res.body.empty() && res.body.front() == '{') res.content_type = "application/json";
      return reply(std::move(res));  // errors get no-store
    }
    // Media playlists and asset lists carry ad-break state (per viewer in production): no shared
    // or private cache may keep them (RFC 9111 §5.2.2.5 no-store); players reload them every
    // target duration anyway (RFC 8216 §6.3.4). The multivariant playlist is stable.
    res.Header("Cache-Control", is_master ? "max-age=" + std::to_string(config.master_max_age_s) : "no-store");
    reply(std::move(res));
  });
  Deadline(reply, "manifest");
}

// What refuses a cue on its headers alone (auth 401, Content-Type 415, a body over the cue's
// limit 413), counted in ssai_cues_total; nullopt when the body should be read. HandleCue runs it
// on every cue; CheckHead on a cue sent with "Expect: 100-continue", before its body is read.
std::optional<HttpResponse> Server::Impl::CueRefusal(const HttpRequest& req, std::optional<uint64_t> body_bytes) {
  if (!config.auth_disabled) {
    const std::string auth = req.Header("Authorization");
    std::string_view token;
    if (auth.size() > 7 && Lower(auth.substr(0, 7)) == "bearer ") token = std::string_view(auth).substr(7);
    // The shared token, else a JWT HS256 (jwt_auth.h); the reason a JWT failed goes back to the caller.
    Status jwt = Status::InvalidArgument("invalid token");
    const bool shared_ok = !config.cue_token.empty() && ConstantTimeEquals(token, config.cue_token);
    if (!token.empty() && !shared_ok && !config.jwt_secret.empty()) {
      jwt = VerifyJwtHs256(token, JwtVerifyOptions{config.jwt_secret, config.jwt_audience, 0},
                           RealNow() / kMicrosPerSecond);
    }
    if (token.empty() || (!shared_ok && !jwt.ok())) {
      HttpResponse res = JsonErrorResponse(401, token.empty() ? "auth: missing bearer token (Authorization: Bearer ...)"
                                                              : "auth: " + jwt.message());
      CueRefused("unauthorized", 401, token.empty() ? "missing bearer token" : "auth: " + jwt.message());
      // RFC 6750 §3: a WWW-Authenticate challenge with the 401; no error code when no token was sent (§3.1).
      res.Header("WWW-Authenticate",
                 token.empty() ? "Bearer realm=\"ssai\"" : "Bearer realm=\"ssai\", error=\"invalid_token\"");
      return res;
    }
  }
  std::string content_type = Lower(req.Header("Content-Type"));
  content_type = content_type.substr(0, content_type.find(';'));
  while (!content_type.empty() && content_type.back() == ' ') content_type.pop_back();
  if (content_type != "application/json") {
    CueRefused("rejected", 415, "Content-Type: " + content_type.substr(0, 64));
    return JsonErrorResponse(415, "Content-Type: must be application/json, got '" + content_type.substr(0, 64) + "'");
  }
  if (body_bytes && *body_bytes > kMaxCueBodyBytes) {
    CueRefused("rejected", 413, "body over " + std::to_string(kMaxCueBodyBytes) + " bytes");
    return JsonErrorResponse(413, "body: more than " + std::to_string(kMaxCueBodyBytes) + " bytes");
  }
  return std::nullopt;
}

std::optional<HttpResponse> Server::Impl::CheckHead(const HttpRequest& head) {
  if (!has_coordinator() || head.path != "/cue" || head.method != "POST") return std::nullopt;
  try {
    std::optional<HttpResponse> refused = CueRefusal(head, ParseUint64(head.Header("Content-Length")));
    if (refused) {
      refused->Header("Cache-Control", "no-store");
      metrics.RecordRequest("cue", refused->status, 0);
    }
    return refused;
  } catch (const std::exception&) {  // the same boundary as OnRequest's: the full request will answer
    metrics.RecordError("exception");
    return std::nullopt;
  }
}

void Server::Impl::HandleCue(const HttpRequest& req, Reply reply) {
  if (std::optional<HttpResponse> refused = CueRefusal(req, req.body.size())) return reply(std::move(*refused));
  Result<CueRequest> cue = ParseCueRequest(req.body);
  if (!cue.ok()) {
    CueRefused("rejected", 400, cue.status().message());
    return reply.Error(400, cue.status().message());
  }
  const std::string id = "ch_" + cue->org + "_" + cue->channel;
  auto it = by_id.find(id);
  if (it == by_id.end()) {
    CueRefused("rejected", 404, "unknown channel " + cue->org + "/" + cue->channel);
    return reply.Error(404, "unknown channel " + cue->org + "/" + cue->channel);
  }
  const std::string channel = cue->org + "/" + cue->channel;
  const bool stop = cue->action == CueAction::kStop;
  it->second->Cue(*cue, [this, reply, channel, stop](Result<CueResult> cr) {
    if (reply.answered()) return;
    if (!cr.ok()) {
      CueRefused("rejected", HttpStatusFor(cr.status()), cr.status().message(), channel);
      return reply.Error(HttpStatusFor(cr.status()), cr.status().message());
    }
    const std::string_view result = cr->duplicate ? "duplicate" : "accepted";
    metrics.RecordCue(result);
    metrics.RecordChannelCue(channel, result);
    logger->Log(LogLevel::kInfo, cr->duplicate ? "cue.duplicate" : "cue.accepted",
             {{"channel", channel}, {"action", stop ? "stop" : "start"}, {"event_id", cr->state.event_id},
              {"start", FormatIso8601Millis(cr->state.start_time)}, {"end", FormatIso8601Millis(cr->state.end_time)},
              {"cancelled", cr->cancelled}, {"kv_write", cr->kv_write.ok() ? "success" : cr->kv_write.message()}});
    Json j{{"ok", true},
           {"channelId", cr->state.channel_id},
           {"eventId", cr->state.event_id},
           {"duplicate", cr->duplicate},
           {"cancelled", cr->cancelled},
           {"kvWriteStatus", cr->kv_write.ok() ? "success" : cr->kv_write.message()},
           {"adBreak", Json::parse(SerializeAdBreakState(cr->state), nullptr, false)}};
    reply.SendJson(200, j.dump());
  });
  Deadline(reply, "cue");
}

void Server::Impl::CueRefused(std::string_view result, int status, std::string_view reason, std::string_view channel) {
  metrics.RecordCue(result);
  if (!channel.empty()) metrics.RecordChannelCue(channel, result);
  // Throttled per status: a client retrying a bad cue in a loop writes one line per interval.
  logger->LogThrottled(LogLevel::kWarn, "cue/" + std::to_string(status), RealNow() / kMicrosPerMilli, "cue.refused",
                    {{"status", int64_t{status}}, {"reason", reason.substr(0, 256)}, {"channel", channel}});
}

void Server::Impl::NoteEdgeAnswer(ChannelSlot& slot, const ManifestResponse& r) {
  slot.metrics->CountManifest(r.source);
  const std::string& channel = slot.metrics->label();
  if (r.http_status >= 500) {
    logger->LogThrottled(LogLevel::kError, "upstream/" + channel, RealNow() / kMicrosPerMilli, "manifest.upstream_error",
                      {{"channel", channel}, {"status", int64_t{r.http_status}}, {"error", std::string_view(r.body).substr(0, 256)}});
  }
  if (r.served_stale_origin) {
    logger->LogThrottled(LogLevel::kWarn, "stale/" + channel, RealNow() / kMicrosPerMilli, "origin.stale",
                      {{"channel", channel}, {"detail", "origin failed; served the last good copy"}});
  }
  if (r.http_status != 200) return;
  std::string& serving = slot.serving_break;
  const std::string_view now_in = r.in_break ? std::string_view(r.event_id) : std::string_view();
  if (now_in == serving) return;
  if (!serving.empty()) logger->Log(LogLevel::kInfo, "break.end", {{"channel", channel}, {"event_id", serving}});
  if (!now_in.empty()) {
    slot.metrics->CountBreak();
    logger->Log(LogLevel::kInfo, "break.start",
             {{"channel", channel}, {"event_id", now_in}, {"state_source", StateSourceName(r.source)}});
  }
  serving.assign(now_in);
}

void Server::Impl::HandleChannelApi(const HttpRequest& req, Reply reply) {
  const std::vector<std::string_view> seg = SplitPath(req.path);
  if (seg.size() == 2) {  // GET /api/channels
    Json list = Json::array();
    for (const ChannelConfig& c : config.channels) {
      Json rs = Json::array();
      for (const RenditionConfig& r : c.renditions) rs.push_back(r.name);
      list.push_back({{"channelId", c.channel_id()}, {"org", c.org}, {"channel", c.channel},
                      {"mode", InsertionModeName(c.default_mode)}, {"renditions", rs}});
    }
    return reply.SendJson(200, Json{{"channels", list}}.dump());
  }
  if (seg.size() != 4 || (seg[3] != "state" && seg[3] != "breaks")) {
    return reply.Error(404, "no route for " + req.path + "; use /api/channels/{channelId}/state|breaks");
  }
  const std::string id(seg[2]);
  auto it = by_id.find(id);
  if (it == by_id.end()) return reply.Error(404, "unknown channel " + id);
  auto ok = [reply](std::string body) {
    reply(HttpResponse{200, "application/json", std::move(body), {{"Cache-Control", "no-store"}}});
  };
  if (seg[3] == "breaks") {  // what the coordinator holds now, no origin check
    Json j = Json::parse(SerializeChannelState(it->second->state()), nullptr, false);
    return ok(Json{{"channelId", id}, {"version", j["version"]}, {"breaks", j["breaks"]}}.dump());
  }
  it->second->GetChannelState([reply, ok](Result<ChannelState> st) {
    if (!st.ok()) return reply.Error(HttpStatusFor(st.status()), st.status().message());
    ok(SerializeChannelState(*st));
  });
  Deadline(reply, "channel state");
}

// The built-in decision service's POST /decision (its latency on the core's timers, not a sleep).
void Server::Impl::HandleDecision(const HttpRequest& req, Reply reply) {
  HttpResponse res = decision_service->DecisionResponse(req.body);
  if (decision_service->latency_ms() <= 0) return reply(std::move(res));
  scheduler->RunAt(scheduler->Now() + decision_service->latency_ms() * kMicrosPerMilli,
                   [reply, res = std::move(res)]() mutable { reply(std::move(res)); });
  Deadline(reply, "decision");
}

std::string Server::Impl::CoreGauges() {
  std::string out;
  auto line = [&out](std::string_view name, std::string_view type, std::string_view help, int64_t v) {
    AppendSample(name, type, help, v, &out);
  };
  if (memory_kv) {
    line("ssai_kv_store_keys", "gauge", "Keys in the in-process KV store.", static_cast<int64_t>(memory_kv->size()));
    line("ssai_kv_store_gets_total", "counter", "KV store gets.", memory_kv->gets);
    line("ssai_kv_store_get_hits_total", "counter", "KV store gets that found the key.", memory_kv->hits);
    line("ssai_kv_store_puts_total", "counter", "KV store puts.", memory_kv->puts);
    line("ssai_kv_store_rejected_puts_total", "counter", "KV store puts refused (1 write/s per key, TTL under 60 s).",
         memory_kv->rejected_puts);
    line("ssai_kv_store_lists_total", "counter", "KV store lists.", memory_kv->lists);
  }
  if (redis_kv) {
    const RedisKvCounters& rc = redis_kv->counters();
    line("ssai_kv_store_gets_total", "counter", "KV store (Redis) gets.", rc.gets);
    line("ssai_kv_store_get_hits_total", "counter", "KV store (Redis) gets that found the key.", rc.hits);
    line("ssai_kv_store_puts_total", "counter", "KV store (Redis) puts.", rc.puts);
    line("ssai_kv_store_lists_total", "counter", "KV store (Redis) lists.", rc.lists);
    line("ssai_kv_redis_reconnects_total", "counter", "Reconnections to Redis.", redis_kv->reconnects());
    // Redis down or slow: the read path falls back to the coordinator; count it per operation.
    AppendFamilyHeader("ssai_kv_errors_total", "counter",
                       "KV (Redis) operations that failed, by operation (the read path then asks the coordinator).",
                       &out);
    out += "ssai_kv_errors_total{op=\"get\"} " + std::to_string(rc.get_errors) + "\n";
    out += "ssai_kv_errors_total{op=\"put\"} " + std::to_string(rc.put_errors) + "\n";
    out += "ssai_kv_errors_total{op=\"delete\"} " + std::to_string(rc.delete_errors) + "\n";
    out += "ssai_kv_errors_total{op=\"list\"} " + std::to_string(rc.list_errors) + "\n";
  }
  if (kv_cache) {
    line("ssai_kv_cache_hits_total", "counter", "Edge KV read cache hits (cacheTtl).", kv_cache->hits);
    line("ssai_kv_cache_negative_hits_total", "counter", "Edge KV read cache hits on a cached miss.",
         kv_cache->negative_hits);
    line("ssai_kv_cache_misses_total", "counter", "Edge KV read cache misses (read through to the store).",
         kv_cache->misses);
  }
  line("ssai_origin_fetches_total", "counter", "Origin playlist fetches.", origin->fetches);
  line("ssai_origin_errors_total", "counter", "Origin playlist fetches that failed.", origin->errors);
  if (edge_origin) {
    line("ssai_origin_cache_hits_total", "counter", "Edge origin micro-cache hits.", edge_origin->hits);
    line("ssai_origin_cache_coalesced_total", "counter", "Origin fetches joined to one already in flight.",
         edge_origin->coalesced);
    line("ssai_origin_cache_misses_total", "counter", "Edge origin micro-cache misses.", edge_origin->misses);
  }
  line("ssai_scheduler_pending_timers", "gauge", "Timers pending on the core thread.",
       static_cast<int64_t>(scheduler->pending()));
  // Bytes malloc has handed out and not taken back (glibc mallinfo2): a soak tells a leak (this
  // grows) from allocator fragmentation (RSS grows, this does not). bench/soak/soak.py reads it.
  const struct mallinfo2 heap = mallinfo2();
  line("ssai_heap_in_use_bytes", "gauge", "Heap bytes in use (glibc mallinfo2: uordblks + hblkhd).",
       static_cast<int64_t>(heap.uordblks + heap.hblkhd));
  if (decision_service) {
    line("ssai_ad_segment_requests_total", "counter", "Ad segment requests served by the built-in decision service.",
         decision_service->ad_segment_requests);
  }
  if (vast_decision != nullptr) {
    line("ssai_vast_decisions_total", "counter", "Decisions asked of the VAST ad server.", vast_decision->decisions);
    line("ssai_vast_failures_total", "counter",
         "VAST decisions that fell back to slate (ad server down, or a VAST error code).", vast_decision->vast_failures);
    line("ssai_vast_wrapper_fetches_total", "counter", "VASTAdTagURI fetches of wrapper chains.",
         vast_decision->wrapper_fetches);
    line("ssai_vast_error_pings_total", "counter", "VAST Error URLs fired ([ERRORCODE] expanded).",
         vast_decision->error_pings);
  }
  if (beacon_sender) {
    line("ssai_beacons_sent_total", "counter", "Server-side tracking beacons sent (answered 2xx/3xx).",
         beacon_sender->sent);
    line("ssai_beacons_failed_total", "counter", "Server-side tracking beacons that failed or timed out.",
         beacon_sender->failed);
    line("ssai_beacons_dropped_total", "counter", "Server-side tracking beacons dropped: the send queue was full.",
         beacon_sender->dropped);
    line("ssai_beacons_queued", "gauge", "Server-side tracking beacons waiting to be sent.",
         static_cast<int64_t>(beacon_sender->queued()));
    line("ssai_beacon_sessions", "gauge", "Viewer sessions the edge tracks beacons for.",
         static_cast<int64_t>(edge->beacon_tracker().sessions()));
  }
  line("ssai_durable_keys", "gauge", "Keys in the coordinators' durable store.", static_cast<int64_t>(durable->size()));
  line("ssai_journal_records", "gauge", "Records in the durable store's journal file.", durable->records());
  line("ssai_journal_syncs_total", "counter", "fsyncs of the journal file.", durable->syncs());
  line("ssai_journal_compactions_total", "counter", "Journal compactions.", durable->compactions());
  CoordinatorStats sum;
  for (const auto& c : coordinators) {
    const CoordinatorStats& s = c->stats();
    sum.operations += s.operations;
    sum.origin_fetches += s.origin_fetches;
    sum.decision_requests += s.decision_requests;
    sum.decision_timeouts += s.decision_timeouts;
    sum.decision_failures += s.decision_failures;
    sum.kv_writes += s.kv_writes;
    sum.kv_write_failures += s.kv_write_failures;
    sum.breaks_created += s.breaks_created;
    sum.duplicate_cues += s.duplicate_cues;
    sum.origin_errors += s.origin_errors;
    sum.durable_failures += s.durable_failures;
    sum.max_queue_depth = std::max(sum.max_queue_depth, s.max_queue_depth);
  }
  line("ssai_coordinator_operations_total", "counter", "Coordinator operations, all channels.", sum.operations);
  line("ssai_coordinator_max_queue_depth", "gauge", "Deepest coordinator queue seen (the largest over channels).",
       sum.max_queue_depth);
  line("ssai_coordinator_origin_fetches_total", "counter", "Origin fetches by the coordinators.", sum.origin_fetches);
  line("ssai_coordinator_origin_errors_total", "counter", "Coordinator origin fetches that failed.", sum.origin_errors);
  line("ssai_coordinator_decision_requests_total", "counter", "Ad decision requests.", sum.decision_requests);
  line("ssai_coordinator_decision_timeouts_total", "counter", "Ad decision requests that timed out.",
       sum.decision_timeouts);
  line("ssai_coordinator_decision_failures_total", "counter", "Ad decision requests that failed.",
       sum.decision_failures);
  line("ssai_coordinator_kv_writes_total", "counter", "KV writes by the coordinators.", sum.kv_writes);
  line("ssai_coordinator_kv_write_failures_total", "counter", "Coordinator KV writes that failed.",
       sum.kv_write_failures);
  line("ssai_coordinator_breaks_created_total", "counter", "Ad breaks created (SCTE-35 or cue API).",
       sum.breaks_created);
  line("ssai_coordinator_duplicate_cues_total", "counter", "Cues recognised as a break already held.",
       sum.duplicate_cues);
  line("ssai_coordinator_durable_failures_total", "counter", "Durable store writes that failed.",
       sum.durable_failures);
  return out;
}

// The core thread's loop. A completion handler that throws (a core callback answering a request
// late, a timer) unwinds out of io.run(); the loop counts it and goes on running the other
// handlers (Boost.Asio: run() may be called again after an exception). The request it was
// answering, if any, gets its 504 from the deadline sweep.
void Server::Impl::RunCore() {
  for (;;) {
    try {
      io.run();
      return;
    } catch (const std::exception&) {
      metrics.RecordError("exception");
    } catch (...) {
      metrics.RecordError("exception");
    }
  }
}

void Server::Impl::Stop() {
  if (!started || stopped) return;
  stopped = true;
  // 1. No new requests; requests in flight are answered (504 at request_timeout_ms at the latest).
  front->Stop(config.request_timeout_ms + 500);
  // 2. Coordinators and the deadline sweep stop their timers (on the core thread).
  CallOnCore<bool>(
      [this](std::function<void(bool)> done) {
        for (auto& c : coordinators) c->Stop();
        deadline_timer->cancel();
        done(true);
      },
      2000);
  // 3. Outbound calls: running ones finish within their timeouts, queued ones are dropped.
  fetcher->Shutdown();
  if (beacon_sender) beacon_sender->Shutdown();
  if (redis_kv) redis_kv->Shutdown();
  // 4. The core thread.
  work.reset();
  io.stop();
  if (core_thread.joinable()) core_thread.join();
  // 5. Core objects, now that no thread can call into them.
  pending.clear();
  edge.reset();
  edge_origin.reset();
  injected_coordinator.reset();
  coordinator_client.reset();
  coordinators.clear();
  decision.reset();
  scheduler->CancelAll();
  logger->Log(LogLevel::kInfo, "server.stopped", {{"dropped_log_lines", logger->dropped()}});
  logger->Close();  // every line written: no thread can log any more
}

Server::Server(ServerConfig config, ServerHooks hooks)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(hooks))) {}

Status Server::SetInjectedCoordinatorLatency(int64_t min_ms, int64_t max_ms) {
  Impl& s = *impl_;
  if (min_ms < 0 || max_ms < min_ms || max_ms > 60000) {
    return Status::InvalidArgument("inject.coordinator_latency_ms: must satisfy 0 <= min_ms <= max_ms <= 60000");
  }
  if (!s.started || !s.injected_coordinator) return Status::FailedPrecondition("inject: not a started edge");
  asio::post(s.io, [&s, min_ms, max_ms] {
    if (s.injected_coordinator) s.injected_coordinator->set_range(min_ms, max_ms);
  });
  return Status::Ok();
}

Server::~Server() { Stop(); }

Status Server::Start() {
  Impl& s = *impl_;
  if (s.started) return Status::Internal("server already started");
  SSAI_RETURN_IF_ERROR(s.Build());
  HttpFrontEndOptions fo;
  // Bounds: request line + headers 8 KiB, bodies 1 MiB here (the cue's 64 KiB in HandleCue);
  // slow clients by the read/write timeouts.
  fo.max_header_bytes = 8 * 1024;
  fo.max_body_bytes = 1024 * 1024;
  // Browser players (hls.js, MSE) fetch playlists and asset lists from a page on another origin:
  // without this CORS header (Fetch standard, CORS protocol) the browser hides every response.
  // Nothing here relies on cookies, so "*" is enough.
  fo.default_headers = {{"Access-Control-Allow-Origin", "*"}};
  fo.error_response = [m = &s.metrics](int status, const std::string& message) {
    m->RecordRequest("invalid", status, 0);
    m->RecordError("bad_request");
    HttpResponse r = JsonErrorResponse(status, message);
    r.Header("Cache-Control", "no-store");
    return r;
  };
  fo.check_head = [&s](const HttpRequest& head) { return s.CheckHead(head); };
  s.front = std::make_unique<HttpFrontEnd>(s.io, std::move(fo), [&s](HttpRequest req, HttpResponder respond) {
    s.OnRequest(std::move(req), std::move(respond));
  });
  // Bind first so the built-in decision service knows its own URL ({self}) before any break.
  SSAI_RETURN_IF_ERROR(s.front->Bind(s.config.listen_host, s.config.port));
  if (s.decision_service) s.decision_service->set_self_url(s.front->base_url());
  s.deadline_timer = std::make_unique<asio::steady_timer>(s.io);
  s.work.emplace(asio::make_work_guard(s.io));
  s.core_thread = std::thread([&s] {
    s.core_thread_id = std::this_thread::get_id();
    s.RunCore();
  });
  s.started = true;
  // Recover every coordinator's accepted breaks before serving.
  std::optional<Status> recovered = s.CallOnCore<Status>(
      [&s](std::function<void(Status)> done) {
        s.SweepDeadlines();
        auto left = std::make_shared<size_t>(s.coordinators.size());
        auto first_error = std::make_shared<Status>();
        if (*left == 0) return done(Status::Ok());
        for (auto& c : s.coordinators) {
          c->Start([left, first_error, done, id = c->config().channel_id()](Status st) {
            if (!st.ok() && first_error->ok()) *first_error = st.WithContext("coordinator " + id);
            if (--*left == 0) done(*first_error);
          });
        }
      },
      30'000);
  if (!recovered || !recovered->ok()) {
    Status err = recovered ? *recovered : Status::DeadlineExceeded("coordinators did not start within 30 s");
    Stop();
    return err;
  }
  s.front->Serve();
  s.logger->Log(LogLevel::kInfo, "server.started",
             {{"url", s.front->base_url()}, {"role", RoleName(s.config.role)}, {"build", s.build->name},
              {"kv", s.config.kv_backend}, {"channels", static_cast<int64_t>(s.config.channels.size())}});
  return Status::Ok();
}

void Server::Stop() { impl_->Stop(); }
int Server::port() const { return impl_->front->port(); }
std::string Server::base_url() const { return impl_->front->base_url(); }
const Metrics& Server::metrics() const { return impl_->metrics; }

}  // namespace ssai::server
