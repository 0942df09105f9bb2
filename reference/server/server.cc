#include "reference/server/server.h"

#include <atomic>
#include <cctype>
#include <chrono>
#include <future>
#include <map>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "reference/base/url.h"
#include "reference/server/asio_env.h"
#include "reference/server/inject.h"
#include "reference/server/jwt_auth.h"
#include "reference/server/kv_cache.h"
#include "reference/server/redis_kv.h"
#include "reference/server/media_library.h"
#include "reference/server/services.h"
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
    case StatusCode::kAlreadyExists: return 409;
    case StatusCode::kResourceExhausted: return 429;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kDeadlineExceeded: return 504;
    case StatusCode::kUnimplemented: return 501;
    default: return 500;
  }
}

struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

}  // namespace

struct Server::Impl {
  explicit Impl(ServerConfig c) : config(std::move(c)) {}

  ServerConfig config;
  const BuildSpec* build = nullptr;
  Metrics metrics;
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread core_thread;
  std::atomic<std::thread::id> core_thread_id{};
  std::unique_ptr<HttpFetcher> fetcher;
  std::unique_ptr<AsioScheduler> scheduler;
  std::unique_ptr<MemoryKvStore> memory_kv;  // kv.backend "sim"
  std::unique_ptr<RedisKvStore> redis_kv;    // kv.backend "redis"
  std::unique_ptr<CachingKvStore> kv_cache;  // kv.cache_ttl_s > 0: the edge's cacheTtl
  KvStore* kv = nullptr;                     // what the core uses: one of the above
  std::unique_ptr<JournalDurableStore> durable;
  std::unique_ptr<HttpOriginClient> origin;
  std::unique_ptr<CachingOriginClient> edge_origin;  // the edge's micro-cache over `origin`
  std::unique_ptr<DecisionService> decision_service;
  std::unique_ptr<DecisionClient> decision;
  std::unique_ptr<CoordinatorClient> coordinator_client;
  std::unique_ptr<CoordinatorClient> injected_coordinator;  // `inject`: latency around coordinator_client
  LocalCoordinatorClient* local_client = nullptr;
  std::vector<std::unique_ptr<Coordinator>> coordinators;
  std::map<std::string, Coordinator*, std::less<>> by_id;  // core thread only after Start
  std::unique_ptr<ManifestPath> edge;
  HttpService http;
  bool started = false;
  bool stopped = false;

  bool has_edge() const { return config.role != Role::kCoordinator; }
  bool has_coordinator() const { return config.role != Role::kEdge; }

  // Runs op(done) on the core thread; waits for done(T) at most timeout_ms.
  template <typename T, typename Op>
  std::optional<T> CallOnCore(Op op, int64_t timeout_ms) {
    auto promise = std::make_shared<std::promise<T>>();
    auto once = std::make_shared<bool>(false);
    std::future<T> future = promise->get_future();
    asio::post(io, [this, op = std::move(op), promise, once]() mutable {
      op([this, promise, once](T value) {
        // The Env contract: every completion on the core thread. Counted, so tests see a breach.
        if (std::this_thread::get_id() != core_thread_id.load()) metrics.RecordError("off_core_callback");
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

  // Records metrics for one response when it goes out of scope.
  struct Scope {
    Scope(Metrics* m, std::string_view r, httplib::Response* rs)
        : metrics(m), route(r), res(rs), start(std::chrono::steady_clock::now()) {}
    ~Scope() {
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      metrics->RecordRequest(route, res->status, s);
    }
    Metrics* metrics;
    std::string route;
    httplib::Response* res;
    std::chrono::steady_clock::time_point start;
  };

  void Send(httplib::Response& res, const Reply& r) {
    res.status = r.status;
    if (r.status >= 400) res.set_header("Cache-Control", "no-store");
    res.set_content(r.body, r.content_type);
  }

  Status Build();
  void RegisterRoutes();
  httplib::Server::HandlerResponse PreRoute(const httplib::Request& req, httplib::Response& res);
  void HandleEdge(const httplib::Request& req, httplib::Response& res);
  void HandleCue(const httplib::Request& req, httplib::Response& res);
  void HandleChannelApi(const httplib::Request& req, httplib::Response& res);
  void HandleHealth(httplib::Response& res);
  void HandleMetrics(httplib::Response& res);
  std::string CoreGauges();
  void Stop();
};

Status Server::Impl::Build() {
  SSAI_RETURN_IF_ERROR(ValidateServerConfig(config));
  build = FindBuild(config.build);
  if (has_coordinator() && !config.auth_disabled && config.cue_token.empty() && config.jwt_secret.empty()) {
    return Status::InvalidArgument(
        "auth: no cue token configured; set auth.token or auth.token_env (SSAI_CUE_TOKEN), or auth.jwt_secret / "
        "auth.jwt_secret_env, or disable auth for development (auth.disabled / --no-auth)");
  }
  SSAI_ASSIGN_OR_RETURN(durable, JournalDurableStore::Open(config.journal_path));
  fetcher = std::make_unique<HttpFetcher>(io, config.worker_threads, config.max_origin_body_bytes);
  scheduler = std::make_unique<AsioScheduler>(io);
  if (config.kv_backend == "redis") {
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
      decision = std::make_unique<HttpDecisionClient>(fetcher.get(), config.decision.url, config.decision_timeout_ms);
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
  if (has_edge() && config.inject_coordinator_latency_max_ms > 0) {
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
    edge = std::make_unique<ManifestPath>(*build, config.channels,
                                          ManifestPathEnv{scheduler.get(), kv, edge_coordinator,
                                                          edge_origin.get()},
                                          mo);
  }
  return Status::Ok();
}

httplib::Server::HandlerResponse Server::Impl::PreRoute(const httplib::Request& req, httplib::Response& res) {
  using HR = httplib::Server::HandlerResponse;
  const std::string& p = req.path;
  auto reject = [&](int status, std::string_view route, std::string_view message) {
    SetJsonError(res, status, message);
    metrics.RecordRequest(route, status, 0);
    metrics.RecordError(status == 404 ? "not_found" : status == 405 ? "method" : "bad_path");
    return HR::Handled;
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
  auto only = [&](std::string_view allowed, std::string_view route) {
    const bool ok = allowed == "POST" ? m == "POST" : (m == "GET" || m == "HEAD");
    if (ok) return HR::Unhandled;
    res.set_header("Allow", allowed == "POST" ? "POST" : "GET, HEAD");
    return reject(405, route, "method " + m + " not allowed on " + p + "; use " + std::string(allowed));
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

void Server::Impl::HandleEdge(const httplib::Request& req, httplib::Response& res) {
  const std::string org = req.matches[1].str(), channel = req.matches[2].str(), file = req.matches[3].str();
  const bool is_playlist = file.ends_with(".m3u8") || (file.starts_with("al-") && file.ends_with(".json"));
  if (!is_playlist) {
    Scope scope(&metrics, "segment_redirect", &res);
    const ChannelConfig* ch = FindChannelConfig(org, channel);
    if (ch == nullptr) return SetJsonError(res, 404, "unknown channel " + org + "/" + channel);
    // Segments are not proxied: the origin serves them (RFC 8216 §4.1 relative URIs resolve
    // against the origin's playlist URL).
    res.status = 302;
    res.set_header("Location", ResolveUrl(ch->renditions.front().origin_url, file));
    res.set_header("Cache-Control", "no-store");
    return;
  }
  Scope scope(&metrics, "manifest", &res);
  ManifestRequest mr{org, channel, file, std::nullopt};
  if (req.has_param("mode")) {
    const std::string mode = Lower(req.get_param_value("mode"));
    if (mode == "ssai") {
      mr.mode = InsertionMode::kSsai;
    } else if (mode == "sgai") {
      mr.mode = InsertionMode::kSgai;
    } else {
      return SetJsonError(res, 400, "mode: must be ssai or sgai, got '" + mode.substr(0, 16) + "'");
    }
  }
  std::optional<ManifestResponse> r = CallOnCore<ManifestResponse>(
      [this, mr](std::function<void(ManifestResponse)> done) { edge->Handle(mr, std::move(done)); },
      config.request_timeout_ms);
  if (!r) {
    metrics.RecordError("timeout");
    return SetJsonError(res, 504, "manifest: no answer within " + std::to_string(config.request_timeout_ms) + " ms");
  }
  metrics.RecordManifest(StateSourceName(r->source), r->kv_reads, r->coordinator_calls, r->served_stale_origin,
                         r->ad_segments);
  if (r->http_status >= 500) metrics.RecordError("upstream");
  res.status = r->http_status;
  res.set_header("X-SSAI-State-Source", std::string(StateSourceName(r->source)));
  res.set_header("X-SSAI-Build", build->name);
  if (r->served_stale_origin) res.set_header("X-SSAI-Stale-Origin", "1");  // the last good copy
  if (r->http_status != 200) {
    res.set_header("Cache-Control", "no-store");
    const bool json = !r->body.empty() && r->body.front() == '{';
    res.set_content(r->body, json ? "application/json" : r->content_type);
    return;
  }
  // Media playlists and asset lists carry ad-break state (per viewer in production): no shared
  // or private cache may keep them (RFC 9111 §5.2.2.5 no-store); players reload them every
  // target duration anyway (RFC 8216 §6.3.4). The multivariant playlist is stable.
  if (file == "master.m3u8") {
    res.set_header("Cache-Control", "max-age=" + std::to_string(config.master_max_age_s));
  } else {
    res.set_header("Cache-Control", "no-store");
  }
  res.set_content(r->body, r->content_type);
}

void Server::Impl::HandleCue(const httplib::Request& req, httplib::Response& res) {
  Scope scope(&metrics, "cue", &res);
  if (!config.auth_disabled) {
    const std::string auth = req.get_header_value("Authorization");
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
      metrics.RecordCue("unauthorized");
      // RFC 6750 §3: a WWW-Authenticate challenge with the 401; no error code when no token was sent (§3.1).
      res.set_header("WWW-Authenticate", token.empty() ? "Bearer realm=\"ssai\""
                                                       : "Bearer realm=\"ssai\", error=\"invalid_token\"");
      return SetJsonError(res, 401, token.empty() ? "auth: missing bearer token (Authorization: Bearer ...)"
                                                  : "auth: " + jwt.message());
    }
  }
  std::string content_type = Lower(req.get_header_value("Content-Type"));
  content_type = content_type.substr(0, content_type.find(';'));
  while (!content_type.empty() && content_type.back() == ' ') content_type.pop_back();
  if (content_type != "application/json") {
    metrics.RecordCue("rejected");
    return SetJsonError(res, 415, "Content-Type: must be application/json, got '" + content_type.substr(0, 64) + "'");
  }
  if (req.body.size() > kMaxCueBodyBytes) {
    metrics.RecordCue("rejected");
    return SetJsonError(res, 413, "body: more than " + std::to_string(kMaxCueBodyBytes) + " bytes");
  }
  Result<CueRequest> cue = ParseCueRequest(req.body);
  if (!cue.ok()) {
    metrics.RecordCue("rejected");
    return SetJsonError(res, 400, cue.status().message());
  }
  std::optional<Reply> r = CallOnCore<Reply>(
      [this, c = *cue](std::function<void(Reply)> done) {
        const std::string id = "ch_" + c.org + "_" + c.channel;
        auto it = by_id.find(id);
        if (it == by_id.end()) return done({404, JsonError("unknown channel " + c.org + "/" + c.channel)});
        it->second->Cue(c, [done](Result<CueResult> cr) {
          if (!cr.ok()) return done({HttpStatusFor(cr.status()), JsonError(cr.status().message())});
          Json j{{"ok", true},
                 {"channelId", cr->state.channel_id},
                 {"eventId", cr->state.event_id},
                 {"duplicate", cr->duplicate},
                 {"kvWriteStatus", cr->kv_write.ok() ? "success" : cr->kv_write.message()},
                 {"adBreak", Json::parse(SerializeAdBreakState(cr->state), nullptr, false)}};
          done({200, j.dump()});
        });
      },
      config.request_timeout_ms);
  if (!r) {
    metrics.RecordError("timeout");
    metrics.RecordCue("timeout");
    return SetJsonError(res, 504, "cue: no answer within " + std::to_string(config.request_timeout_ms) + " ms");
  }
  metrics.RecordCue(r->status == 200 ? (r->body.find("\"duplicate\":true") != std::string::npos ? "duplicate"
                                                                                                 : "accepted")
                                     : "rejected");
  Send(res, *r);
}

void Server::Impl::HandleChannelApi(const httplib::Request& req, httplib::Response& res) {
  Scope scope(&metrics, "api", &res);
  const std::vector<std::string_view> seg = SplitPath(req.path);
  if (seg.size() == 2) {  // GET /api/channels
    Json list = Json::array();
    for (const ChannelConfig& c : config.channels) {
      Json rs = Json::array();
      for (const RenditionConfig& r : c.renditions) rs.push_back(r.name);
      list.push_back({{"channelId", c.channel_id()}, {"org", c.org}, {"channel", c.channel},
                      {"mode", InsertionModeName(c.default_mode)}, {"renditions", rs}});
    }
    return Send(res, {200, Json{{"channels", list}}.dump()});
  }
  if (seg.size() != 4 || (seg[3] != "state" && seg[3] != "breaks")) {
    return SetJsonError(res, 404, "no route for " + req.path + "; use /api/channels/{channelId}/state|breaks");
  }
  const std::string id(seg[2]);
  const bool breaks_only = seg[3] == "breaks";
  std::optional<Reply> r = CallOnCore<Reply>(
      [this, id, breaks_only](std::function<void(Reply)> done) {
        auto it = by_id.find(id);
        if (it == by_id.end()) return done({404, JsonError("unknown channel " + id)});
        if (breaks_only) {  // what the coordinator holds now, no origin check
          Json j = Json::parse(SerializeChannelState(it->second->state()), nullptr, false);
          return done({200, Json{{"channelId", id}, {"version", j["version"]}, {"breaks", j["breaks"]}}.dump()});
        }
        it->second->GetChannelState([done](Result<ChannelState> st) {
          if (!st.ok()) return done({HttpStatusFor(st.status()), JsonError(st.status().message())});
          done({200, SerializeChannelState(*st)});
        });
      },
      config.request_timeout_ms);
  if (!r) {
    metrics.RecordError("timeout");
    return SetJsonError(res, 504, "channel state: no answer within " + std::to_string(config.request_timeout_ms) + " ms");
  }
  if (r->status == 200) res.set_header("Cache-Control", "no-store");
  Send(res, *r);
}

void Server::Impl::HandleHealth(httplib::Response& res) {
  Scope scope(&metrics, "health", &res);
  // The core thread must answer: a wedged core is not healthy.
  std::optional<bool> alive = CallOnCore<bool>([](std::function<void(bool)> done) { done(true); }, 1000);
  Json j{{"status", alive ? "ok" : "core thread unresponsive"},
         {"role", RoleName(config.role)},
         {"build", build->name},
         {"kv", config.kv_backend},
         {"channels", config.channels.size()}};
  res.set_header("Cache-Control", "no-store");
  Send(res, {alive ? 200 : 503, j.dump()});
}

std::string Server::Impl::CoreGauges() {
  std::string out;
  auto line = [&out](std::string_view name, std::string_view type, int64_t v) {
    out += "# TYPE " + std::string(name) + " " + std::string(type) + "\n" + std::string(name) + " " +
           std::to_string(v) + "\n";
  };
  if (memory_kv) {
    line("ssai_kv_store_keys", "gauge", static_cast<int64_t>(memory_kv->size()));
    line("ssai_kv_store_gets_total", "counter", memory_kv->gets);
    line("ssai_kv_store_get_hits_total", "counter", memory_kv->hits);
    line("ssai_kv_store_puts_total", "counter", memory_kv->puts);
    line("ssai_kv_store_rejected_puts_total", "counter", memory_kv->rejected_puts);
    line("ssai_kv_store_lists_total", "counter", memory_kv->lists);
  }
  if (redis_kv) {
    const RedisKvCounters& rc = redis_kv->counters();
    line("ssai_kv_store_gets_total", "counter", rc.gets);
    line("ssai_kv_store_get_hits_total", "counter", rc.hits);
    line("ssai_kv_store_puts_total", "counter", rc.puts);
    line("ssai_kv_store_lists_total", "counter", rc.lists);
    line("ssai_kv_redis_reconnects_total", "counter", redis_kv->reconnects());
    // Redis down or slow: the read path falls back to the coordinator; count it per operation.
    out += "# TYPE ssai_kv_errors_total counter\n";
    out += "ssai_kv_errors_total{op=\"get\"} " + std::to_string(rc.get_errors) + "\n";
    out += "ssai_kv_errors_total{op=\"put\"} " + std::to_string(rc.put_errors) + "\n";
    out += "ssai_kv_errors_total{op=\"delete\"} " + std::to_string(rc.delete_errors) + "\n";
    out += "ssai_kv_errors_total{op=\"list\"} " + std::to_string(rc.list_errors) + "\n";
  }
  if (kv_cache) {
    line("ssai_kv_cache_hits_total", "counter", kv_cache->hits);
    line("ssai_kv_cache_negative_hits_total", "counter", kv_cache->negative_hits);
    line("ssai_kv_cache_misses_total", "counter", kv_cache->misses);
  }
  line("ssai_origin_fetches_total", "counter", origin->fetches);
  line("ssai_origin_errors_total", "counter", origin->errors);
  if (edge_origin) {
    line("ssai_origin_cache_hits_total", "counter", edge_origin->hits);
    line("ssai_origin_cache_coalesced_total", "counter", edge_origin->coalesced);
    line("ssai_origin_cache_misses_total", "counter", edge_origin->misses);
  }
  line("ssai_scheduler_pending_timers", "gauge", static_cast<int64_t>(scheduler->pending()));
  if (decision_service) line("ssai_ad_segment_requests_total", "counter", decision_service->ad_segment_requests);
  line("ssai_durable_keys", "gauge", static_cast<int64_t>(durable->size()));
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
  line("ssai_coordinator_operations_total", "counter", sum.operations);
  line("ssai_coordinator_max_queue_depth", "gauge", sum.max_queue_depth);
  line("ssai_coordinator_origin_fetches_total", "counter", sum.origin_fetches);
  line("ssai_coordinator_origin_errors_total", "counter", sum.origin_errors);
  line("ssai_coordinator_decision_requests_total", "counter", sum.decision_requests);
  line("ssai_coordinator_decision_timeouts_total", "counter", sum.decision_timeouts);
  line("ssai_coordinator_decision_failures_total", "counter", sum.decision_failures);
  line("ssai_coordinator_kv_writes_total", "counter", sum.kv_writes);
  line("ssai_coordinator_kv_write_failures_total", "counter", sum.kv_write_failures);
  line("ssai_coordinator_breaks_created_total", "counter", sum.breaks_created);
  line("ssai_coordinator_duplicate_cues_total", "counter", sum.duplicate_cues);
  line("ssai_coordinator_durable_failures_total", "counter", sum.durable_failures);
  return out;
}

void Server::Impl::HandleMetrics(httplib::Response& res) {
  Scope scope(&metrics, "metrics", &res);
  std::optional<std::string> gauges =
      CallOnCore<std::string>([this](std::function<void(std::string)> done) { done(CoreGauges()); }, 1000);
  if (!gauges) metrics.RecordError("timeout");
  res.set_header("Cache-Control", "no-store");
  res.set_content(metrics.Render(gauges.value_or("")), "text/plain; version=0.0.4");
}

void Server::Impl::RegisterRoutes() {
  httplib::Server& h = http.http();
  const int threads = config.http_threads;
  h.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  // Bounds: request line and headers are capped by httplib (8 KiB each); bodies here; slow
  // clients by the read/write timeouts.
  h.set_payload_max_length(1024 * 1024);
  h.set_read_timeout(std::chrono::seconds(5));
  h.set_write_timeout(std::chrono::seconds(5));
  h.set_keep_alive_timeout(5);
  h.set_keep_alive_max_count(1000);
  h.set_pre_routing_handler(
      [this](const httplib::Request& req, httplib::Response& res) { return PreRoute(req, res); });
  h.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    if (res.status == 413) {
      metrics.RecordRequest("invalid", 413, 0);
      SetJsonError(res, 413, "body: more than " + std::to_string(kMaxCueBodyBytes) + " bytes");
    } else {
      SetJsonError(res, res.status, "HTTP " + std::to_string(res.status) + " for " + req.method + " " + req.path);
    }
    return httplib::Server::HandlerResponse::Handled;
  }));
  h.set_exception_handler([this](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    metrics.RecordError("exception");
    SetJsonError(res, 500, "internal error");
  });
  h.Get("/health", [this](const httplib::Request&, httplib::Response& res) { HandleHealth(res); });
  h.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) { HandleMetrics(res); });
  if (decision_service) decision_service->RegisterRoutes(h);
  if (has_coordinator()) {
    h.Post("/cue", [this](const httplib::Request& req, httplib::Response& res) { HandleCue(req, res); });
    h.Get(R"(/api/channels(/[^/]+/[^/]+)?)",
          [this](const httplib::Request& req, httplib::Response& res) { HandleChannelApi(req, res); });
  }
  if (has_edge()) {
    h.Get(R"(/([^/]+)/([^/]+)/([^/]+))",
          [this](const httplib::Request& req, httplib::Response& res) { HandleEdge(req, res); });
  }
}

void Server::Impl::Stop() {
  if (!started || stopped) return;
  stopped = true;
  // 1. No new requests; in-flight handlers finish (they wait at most request_timeout_ms).
  http.Stop();
  // 2. Coordinators stop their timers (on the core thread).
  CallOnCore<bool>(
      [this](std::function<void(bool)> done) {
        for (auto& c : coordinators) c->Stop();
        done(true);
      },
      2000);
  // 3. Outbound calls: running ones finish within their timeouts, queued ones are dropped.
  fetcher->Shutdown();
  if (redis_kv) redis_kv->Shutdown();
  // 4. The core thread.
  work.reset();
  io.stop();
  if (core_thread.joinable()) core_thread.join();
  // 5. Core objects, now that no thread can call into them.
  edge.reset();
  edge_origin.reset();
  injected_coordinator.reset();
  coordinator_client.reset();
  coordinators.clear();
  decision.reset();
  scheduler->CancelAll();
}

Server::Server(ServerConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Server::~Server() { Stop(); }

Status Server::Start() {
  Impl& s = *impl_;
  if (s.started) return Status::Internal("server already started");
  SSAI_RETURN_IF_ERROR(s.Build());
  s.RegisterRoutes();
  // Bind first so the built-in decision service knows its own URL ({self}) before any break.
  SSAI_RETURN_IF_ERROR(s.http.Bind(s.config.listen_host, s.config.port));
  if (s.decision_service) s.decision_service->set_self_url(s.http.base_url());
  s.work.emplace(asio::make_work_guard(s.io));
  s.core_thread = std::thread([&s] {
    s.core_thread_id = std::this_thread::get_id();
    s.io.run();
  });
  s.started = true;
  // Recover every coordinator's accepted breaks before serving.
  std::optional<Status> recovered = s.CallOnCore<Status>(
      [&s](std::function<void(Status)> done) {
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
    s.http.Serve();
    Stop();
    return err;
  }
  s.http.Serve();
  return Status::Ok();
}

void Server::Stop() { impl_->Stop(); }
int Server::port() const { return impl_->http.port(); }
std::string Server::base_url() const { return impl_->http.base_url(); }
const Metrics& Server::metrics() const { return impl_->metrics; }

}  // namespace ssai::server
