#include "fidelity/deploy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>

#include "reference/media/hls/playlist.h"
#include "reference/media/origin/synthetic_origin.h"
#include "reference/server/asio_env.h"
#include "reference/server/config.h"
#include "reference/server/http_client.h"
#include "reference/server/server.h"
#include "reference/server/services.h"
#include "reference/ssai/builds.h"
#include "simulator/metrics.h"
#include "simulator/random.h"
#include "world/ground_truth.h"

namespace ssai::fidelity {
namespace {

using json = nlohmann::json;
using sim::Distribution;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Status Refuse(const std::string& path, const std::string& why) {
  return Status::InvalidArgument("scenario." + path + ": " + why + " (ssai fidelity deploys it on loopback; "
                                 "docs/fidelity.md \"What is deployed\")");
}

// [min_ms, max_ms] of a fixed or uniform distribution; nothing for the others.
std::optional<std::pair<double, double>> Range(const Distribution& d) {
  const json j = d.ToJson();
  if (d.kind() == Distribution::Kind::kFixed) return std::make_pair(j["ms"].get<double>(), j["ms"].get<double>());
  if (d.kind() == Distribution::Kind::kUniform) return std::make_pair(j["min_ms"].get<double>(), j["max_ms"].get<double>());
  return std::nullopt;
}

}  // namespace

Status CheckDeployable(const sim::Scenario& s) {
  if (s.channels > kMaxChannels) return Refuse("channels", "at most " + std::to_string(kMaxChannels) + " (one origin each)");
  if (s.duration_s > kMaxDurationS) return Refuse("duration_s", "at most 3600 s of wall-clock time");
  if (s.warmup_s > 600) return Refuse("warmup_s", "at most 600 s of wall-clock time");
  // Before the population's fields: a list leaves them at their defaults, which say nothing.
  if (s.viewers.listed) {
    return Refuse("viewers", "listed viewers are not deployed; give a population (an object with viewers_per_channel)");
  }
  const int64_t viewers = s.viewers.viewers_per_channel * s.channels;
  if (viewers > kMaxViewers) {
    return Refuse("viewers.viewers_per_channel", "channels x viewers_per_channel = " + std::to_string(viewers) +
                                                     " real viewers; at most " + std::to_string(kMaxViewers));
  }
  if (s.viewers.sgai_fraction > 0) return Refuse("viewers.sgai_fraction", "SGAI viewers are not deployed; use 0");
  if (s.viewers.ramp_s > 0) return Refuse("viewers.ramp_s", "real viewers all watch from the start; use 0");
  if (!s.viewers.trace.empty()) return Refuse("viewers.trace", "audience traces are not deployed");
  if (s.viewers.mean_session_s < 10 * s.duration_s) {
    return Refuse("viewers.mean_session_s", "real viewers watch the whole run: set it >= 10 x duration_s so the "
                                            "simulated audience does not churn either");
  }
  for (size_t p = 0; p < s.pops.size(); ++p) {
    const std::string where = "pops[" + std::to_string(p) + "]";
    if (!s.pops[p].trace.empty()) return Refuse(where + ".trace", "audience traces are not deployed");
    std::optional<std::pair<double, double>> r = Range(s.pops[p].coordinator_rtt);
    if (!r) return Refuse(where + ".coordinator_rtt_ms", "the edge injects a fixed or uniform delay only");
    if (r->second > 60000) return Refuse(where + ".coordinator_rtt_ms", "at most 60000 ms");
  }
  if (s.pops.size() > 16) return Refuse("pops", "at most 16 POPs (one edge each)");
  if (!s.kv.outages.empty()) return Refuse("kv.outages", "faults are not injected");
  if (!s.kv.latency_spikes.empty()) return Refuse("kv.latency_spikes", "faults are not injected");
  if (!s.kv.partitions.empty()) return Refuse("kv.partitions", "faults are not injected");
  if (s.kv.propagation_model != sim::KvSpec::PropagationModel::kSharedFifo) {
    return Refuse("kv.propagation_model", "a Redis replica is one replication stream every edge reads: set \"shared_fifo\"");
  }
  std::optional<std::pair<double, double>> prop = Range(s.kv.propagation);
  if (!prop) return Refuse("kv.propagation_ms", "the replication proxy injects a fixed or uniform delay only");
  if (prop->second > 60000) return Refuse("kv.propagation_ms", "at most 60000 ms");
  if (s.kv.list_staleness_s != 0) {
    return Refuse("kv.list_staleness_s", "Redis answers every list (SCAN) itself: set 0");
  }
  if (!s.coordinator.locations.empty()) return Refuse("coordinator.locations", "one coordinator; use pops[].coordinator_rtt_ms");
  if (!s.coordinator.crashes.empty()) return Refuse("coordinator.crashes", "faults are not injected");
  if (s.coordinator.origin_refresh_s != 0) return Refuse("coordinator.origin_refresh_s", "ssai serve looks on every call: set 0");
  if (s.coordinator.poll_interval_s != 1) return Refuse("coordinator.poll_interval_s", "ssai serve polls every 1 s: set 1");
  if (std::fabs(s.coordinator.decision_timeout_s * 1000 - std::round(s.coordinator.decision_timeout_s * 1000)) > 1e-6) {
    return Refuse("coordinator.decision_timeout_s", "whole milliseconds only");
  }
  if (!s.origin.capture.empty()) return Refuse("origin.capture", "capture replay is not deployed");
  if (!s.origin.ts.empty()) return Refuse("origin.ts", "TS origins are not deployed");
  if (!s.origin.stream.audio.empty() || !s.origin.stream.subtitles.empty()) {
    return Refuse("origin.audio", "demuxed alternates are not deployed");
  }
  if (s.origin.breaks_listed) return Refuse("origin.breaks", "listed breaks are not deployed; give a schedule");
  for (const sim::PopSpec& p : s.pops) {
    if (p.kv_propagation_s || p.kv_latency_ms || p.kv_cache) {
      return Refuse("pops[].kv_*", "one Redis replica for every POP: use kv.propagation_ms and kv.cache_ttl_s");
    }
  }
  {
    // The stream settings the deployed synthetic origin gets: segment duration, window, flavour, renditions.
    origin::SyntheticStreamSpec deployed = sim::DefaultOriginStream();
    const origin::SyntheticStreamSpec& st = s.origin.stream;
    if (st.encryption != deployed.encryption || st.container != deployed.container || st.omit_cue_in != deployed.omit_cue_in ||
        st.repeat_cue != deployed.repeat_cue || st.pdt_on_every_segment != deployed.pdt_on_every_segment ||
        st.target_duration_s != deployed.target_duration_s || st.pts_offset_ticks != deployed.pts_offset_ticks ||
        st.segment_uri_template != deployed.segment_uri_template || st.key_rotation_segments != deployed.key_rotation_segments) {
      return Refuse("origin", "only segment_duration_s, window_segments, cue_flavour and renditions of the stream are deployed");
    }
  }
  if (!s.origin.stalls.empty()) return Refuse("origin.stalls", "faults are not injected");
  if (!s.origin.not_found.empty()) return Refuse("origin.not_found", "faults are not injected");
  if (s.origin.breaks.source != sim::BreakSource::kScte35) {
    return Refuse("origin.breaks.source", "only SCTE-35 breaks in the origin are deployed");
  }
  if (s.origin.fetch_latency.kind() != Distribution::Kind::kFixed) {
    return Refuse("origin.fetch_latency_ms", "the origin answers after a fixed delay only");
  }
  if (s.decision.latency.kind() != Distribution::Kind::kFixed) {
    return Refuse("decision.latency_ms", "the decision service answers after a fixed delay only");
  }
  if (s.decision.pods_of_creatives) return Refuse("decision.pods_of_creatives", "VAST pods are not deployed");
  // The decision service deploys ads_per_pod ads of ad_duration_s that it answers with at
  // failure_rate (Deploy's catalogue); a conformance scenario's exact ad server is not deployed.
  if (!s.decision.vast.tag.empty()) return Refuse("decision.vast", "VAST decisions are not deployed");
  if (!s.decision.ads.empty()) return Refuse("decision.ads", "a listed pod is not deployed; use ads_per_pod and ad_duration_s");
  if (s.decision.behaviour != world::DecisionBehaviour::kAnswer) {
    return Refuse("decision.behaviour", "the decision service answers (at decision.failure_rate); use \"answer\"");
  }
  // The conformance scenario's parts the simulator plays (issue 18) but this deployment does not:
  // refused, so the prediction and the measurement are of the same world.
  if (!s.api_cues.empty()) return Refuse("api_cues", "cue API calls are not deployed; give an origin.breaks schedule");
  if (!s.faults.empty()) return Refuse("faults", "faults are not injected");
  if (std::fabs(s.origin.edge_cache_ms - std::round(s.origin.edge_cache_ms)) > 1e-9) {
    return Refuse("origin.edge_cache_ms", "whole milliseconds only (limits.origin_cache_ms)");
  }
  return Status::Ok();
}

NewestSegment ReadNewestSegment(const std::string& body, const std::string& ad_marker, const std::string& slate_uri) {
  NewestSegment out;
  Result<hls::MediaPlaylist> p = hls::ParseMedia(body);
  if (!p.ok() || p->segments().empty()) return out;
  out.msn = p->SequenceNumberOf(p->segments().size() - 1);
  const std::string& uri = p->segments().back().uri();
  out.in_break = uri.find(ad_marker) != std::string::npos || (!slate_uri.empty() && uri == slate_uri);
  return out;
}

namespace {

// ---------------------------------------------------------------------------------------------
// Child processes (redis-server): killed with us (PR_SET_PDEATHSIG), stopped with SIGTERM then
// SIGKILL after 3 s.
class Child {
 public:
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() { Stop(); }
  Status Start(const std::vector<std::string>& argv, const std::string& log_path) {
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ < 0) return Status::Unavailable("fork failed");
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
      }
      execvp(args[0], args.data());
      _exit(127);
    }
    return Status::Ok();
  }
  bool Running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 30; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// A port the OS had free a moment ago (redis-server takes --port, not 0).
Result<int> FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Status::Unavailable("socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    close(fd);
    return Status::Unavailable("no free port on 127.0.0.1");
  }
  const int port = ntohs(a.sin_port);
  close(fd);
  return port;
}

// One Redis command on a short-lived connection: the reply as text ("" on failure).
std::string RedisCommand(int port, const char* command) {
  timeval tv{1, 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, tv);
  if (c == nullptr) return "";
  std::string out;
  if (c->err == 0) {
    redisSetTimeout(c, tv);
    auto* r = static_cast<redisReply*>(redisCommand(c, command));
    if (r != nullptr) {
      if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) out.assign(r->str, r->len);
      freeReplyObject(r);
    }
  }
  redisFree(c);
  return out;
}

// "cmdstat_set:calls=12,usec=..." -> 12.
int64_t CommandCalls(const std::string& info, const std::string& command) {
  const std::string key = "cmdstat_" + command + ":calls=";
  const size_t at = info.find(key);
  if (at == std::string::npos) return 0;
  return std::stoll(info.substr(at + key.size()));
}

// ---------------------------------------------------------------------------------------------
// The replication link's delay: a TCP proxy the replica connects to as its primary. Bytes from
// the primary (the replication stream) are held for a draw of kv.propagation_ms each read, and
// never passed before bytes read earlier (one stream, in order: the simulator's shared_fifo);
// bytes from the replica (its handshake, ACKs) pass at once. This kernel has no netem.
class DelayProxy {
 public:
  DelayProxy(int target_port, Distribution delay, uint64_t seed)
      : target_port_(target_port), delay_(std::move(delay)), rng_(seed), acceptor_(io_) {}
  ~DelayProxy() { Stop(); }
  Status Start() {
    boost::system::error_code ec;
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Status::Unavailable("replication proxy: " + ec.message());
    port_ = acceptor_.local_endpoint().port();
    Accept();
    thread_ = std::thread([this] { io_.run(); });
    return Status::Ok();
  }
  void Stop() {
    if (!thread_.joinable()) return;
    io_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  int64_t bytes_delayed() const { return bytes_delayed_.load(); }

 private:
  struct Link : std::enable_shared_from_this<Link> {
    explicit Link(asio::io_context& io) : down(io), up(io), timer(io) {}
    tcp::socket down, up;  // down: the replica; up: the primary
    asio::steady_timer timer;
    std::deque<std::pair<std::chrono::steady_clock::time_point, std::string>> queue;
    std::chrono::steady_clock::time_point last_due{};
    bool writing = false;
    std::array<char, 16384> up_buf{}, down_buf{};
    void Close() {
      boost::system::error_code ec;
      down.close(ec);
      up.close(ec);
      timer.cancel();
    }
  };
  void Accept() {
    auto link = std::make_shared<Link>(io_);
    acceptor_.async_accept(link->down, [this, link](boost::system::error_code ec) {
      if (ec) return;
      Accept();
      link->up.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(target_port_)),
                             [this, link](boost::system::error_code ec2) {
                               if (ec2) return link->Close();
                               FromReplica(link);
                               FromPrimary(link);
                             });
    });
  }
  void FromReplica(std::shared_ptr<Link> link) {
    link->down.async_read_some(asio::buffer(link->down_buf), [this, link](boost::system::error_code ec, size_t n) {
      if (ec) return link->Close();
      asio::async_write(link->up, asio::buffer(link->down_buf.data(), n), [this, link](boost::system::error_code ec2, size_t) {
        if (ec2) return link->Close();
        FromReplica(link);
      });
    });
  }
  void FromPrimary(std::shared_ptr<Link> link) {
    link->up.async_read_some(asio::buffer(link->up_buf), [this, link](boost::system::error_code ec, size_t n) {
      if (ec) return link->Close();
      const auto due = std::max(link->last_due, std::chrono::steady_clock::now() +
                                                    std::chrono::microseconds(delay_.SampleUs(rng_)));
      link->last_due = due;
      link->queue.emplace_back(due, std::string(link->up_buf.data(), n));
      bytes_delayed_ += static_cast<int64_t>(n);
      if (!link->writing) WriteNext(link);
      FromPrimary(link);
    });
  }
  void WriteNext(std::shared_ptr<Link> link) {
    if (link->queue.empty()) {
      link->writing = false;
      return;
    }
    link->writing = true;
    link->timer.expires_at(link->queue.front().first);
    link->timer.async_wait([this, link](boost::system::error_code ec) {
      if (ec) return;
      asio::async_write(link->down, asio::buffer(link->queue.front().second), [this, link](boost::system::error_code ec2, size_t) {
        if (ec2) return link->Close();
        link->queue.pop_front();
        WriteNext(link);
      });
    });
  }

  int target_port_;
  Distribution delay_;
  sim::Rng rng_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int64_t> bytes_delayed_{0};
};

// ---------------------------------------------------------------------------------------------
// What the viewers measured, per POP (merged under a mutex when each viewer ends).
struct PopTally {
  int64_t requests = 0, ok = 0, errors = 0, kv_hits = 0;
  sim::Histogram latency_us, lag_us;
  world::AdSeconds ads;  // viewer-seconds scheduled, missed, ghost (world/ground_truth.h)
};

using world::TruthBreak;

struct ViewerPlan {
  int channel = 0, pop = 0, rendition = 0;
  UnixMicros first_reload = 0;
  std::string url;
};

// One viewer: reloads its variant playlist per RFC 8216 §6.3.4 (the target duration after a
// changed playlist, half of it after an unchanged one or an error) from its phase until the end,
// and judges each response as the simulator's Record does (run.cc): its newest slot against the
// truth, its first sight of each break (the lag), the interval until its next reload (missed and
// ghost ad seconds).
void RunViewer(const ViewerPlan& v, const std::vector<TruthBreak>& truth, int64_t target_s, UnixMicros end,
               const std::string& slate_uri, std::mutex* mu, PopTally* out) {
  PopTally t;
  server::HttpOptions http;
  http.connect_timeout = std::chrono::milliseconds(2000);
  http.read_timeout = std::chrono::milliseconds(10000);
  http.deadline = std::chrono::milliseconds(15000);
  const DurationMicros target_us = target_s * kMicrosPerSecond;
  size_t last_hash = 0;
  int last_break = -1;
  UnixMicros next = v.first_reload;
  while (next < end) {
    const UnixMicros wait = next - server::RealNow();
    if (wait > 0) std::this_thread::sleep_for(std::chrono::microseconds(wait));
    const auto sent = std::chrono::steady_clock::now();
    server::HttpResult r = server::HttpExchange("GET", v.url, {}, "", "", http);
    const DurationMicros latency =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - sent).count();
    const UnixMicros now = server::RealNow();
    ++t.requests;
    t.latency_us.Record(latency);
    const bool ok = r.status == 200;
    const size_t h = ok ? std::hash<std::string>()(r.body) : 0;
    const DurationMicros delay = ok && h != last_hash ? target_us : target_us / 2;
    last_hash = h;
    next = now + delay;
    if (!ok) {
      ++t.errors;
      continue;
    }
    ++t.ok;
    auto src = r.headers.find("X-SSAI-State-Source");
    if (src != r.headers.end() && src->second == "kv-hit") ++t.kv_hits;
    const NewestSegment newest = ReadNewestSegment(r.body, "/ads/", slate_uri);
    if (newest.msn < 0) continue;
    const int b_index = world::BreakCovering(truth, newest.msn);
    const double interval_s = MicrosToSeconds(std::min(delay, end - now));
    t.ads.Add(b_index >= 0, newest.in_break, 1, interval_s);
    if (b_index >= 0 && newest.in_break && b_index > last_break) {
      last_break = b_index;
      t.lag_us.Record(now - truth[static_cast<size_t>(b_index)].cue_time);
    }
  }
  std::lock_guard<std::mutex> lock(*mu);
  out->requests += t.requests;
  out->ok += t.ok;
  out->errors += t.errors;
  out->kv_hits += t.kv_hits;
  out->latency_us.Merge(t.latency_us);
  out->lag_us.Merge(t.lag_us);
  out->ads += t.ads;
}

json Summary(const sim::Histogram& h, double scale) {
  return {{"count", h.count()}, {"p50", h.Percentile(50) * scale}, {"p95", h.Percentile(95) * scale},
          {"max", h.max() * scale}, {"mean", h.mean() * scale}};
}

// "name value" of the unlabelled sample `name` in Prometheus text; -1 when absent.
double MetricValue(const std::string& text, const std::string& name) {
  const std::string key = "\n" + name + " ";
  const size_t at = text.find(key);
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + key.size()));
}

void SleepUntil(UnixMicros t) {
  const UnixMicros wait = t - server::RealNow();
  if (wait > 0) std::this_thread::sleep_for(std::chrono::microseconds(wait));
}

}  // namespace

Result<Measurement> RunDeployment(const sim::Scenario& sc, const DeployOptions& options) {
  SSAI_RETURN_IF_ERROR(CheckDeployable(sc));
  if (FindBuild(options.build) == nullptr) return Status::InvalidArgument("--build: unknown build '" + options.build + "'");
  auto say = [&](const std::string& line) {
    if (options.progress) options.progress(line);
  };
  std::error_code fs_ec;
  std::filesystem::create_directories(options.work_dir, fs_ec);
  if (fs_ec) return Status::InvalidArgument("cannot create " + options.work_dir + ": " + fs_ec.message());
  const std::string work = std::filesystem::absolute(options.work_dir).string();

  // The scenario's start on the wall clock: whole seconds, after set-up and the warm-up.
  const UnixMicros now0 = server::RealNow();
  const UnixMicros t0 =
      (now0 + SecondsToMicros(options.setup_s + sc.warmup_s) + kMicrosPerSecond - 1) / kMicrosPerSecond * kMicrosPerSecond;
  const UnixMicros end = t0 + SecondsToMicros(sc.duration_s);
  json deployment = {{"start_time", FormatIso8601Millis(t0)}, {"work_dir", work}};

  // Redis: primary, the delaying proxy, the replica following the proxy.
  SSAI_ASSIGN_OR_RETURN(int primary_port, FreePort());
  SSAI_ASSIGN_OR_RETURN(int replica_port, FreePort());
  auto redis_args = [&](const std::string& name, int port) {
    return std::vector<std::string>{options.redis_server, "--port", std::to_string(port), "--bind", "127.0.0.1",
                                    "--save", "", "--appendonly", "no", "--dir", work, "--dbfilename", name + ".rdb",
                                    "--daemonize", "no", "--loglevel", "notice",
                                    "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"};
  };
  say("redis primary 127.0.0.1:" + std::to_string(primary_port));
  Child primary, replica;
  SSAI_RETURN_IF_ERROR(primary.Start(redis_args("primary", primary_port), work + "/redis-primary.log"));
  for (int i = 0; i < 50 && RedisCommand(primary_port, "PING") != "PONG"; ++i) {
    if (!primary.Running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (RedisCommand(primary_port, "PING") != "PONG") {
    return Status::Unavailable("redis primary did not start (" + options.redis_server + "; Debian package redis-server); log: " +
                               work + "/redis-primary.log");
  }
  DelayProxy proxy(primary_port, sc.kv.propagation, options.seed * 7919 + 1);
  SSAI_RETURN_IF_ERROR(proxy.Start());
  std::vector<std::string> rargs = redis_args("replica", replica_port);
  rargs.insert(rargs.end(), {"--replicaof", "127.0.0.1", std::to_string(proxy.port())});
  SSAI_RETURN_IF_ERROR(replica.Start(rargs, work + "/redis-replica.log"));
  bool linked = false;
  for (int i = 0; i < 200 && !linked; ++i) {
    linked = RedisCommand(replica_port, "INFO replication").find("master_link_status:up") != std::string::npos;
    if (!linked) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!linked) {
    return Status::Unavailable("redis replica 127.0.0.1:" + std::to_string(replica_port) +
                               " never linked to its primary through the proxy; logs in " + work);
  }
  say("redis replica 127.0.0.1:" + std::to_string(replica_port) + " following through the delay proxy 127.0.0.1:" +
      std::to_string(proxy.port()));
  deployment["redis"] = {{"primary", primary_port}, {"replica", replica_port}, {"proxy", proxy.port()},
                         {"propagation_ms", sc.kv.propagation.ToJson()}};

  // Origins: one synthetic origin per channel, its breaks where the simulator puts them
  // (sim::ChannelBreaks, the one rule).
  const int R = static_cast<int>(sc.origin.stream.renditions.size());
  std::vector<origin::SyntheticStreamSpec> specs;
  std::vector<std::vector<TruthBreak>> truth(static_cast<size_t>(sc.channels));
  std::vector<std::unique_ptr<server::SyntheticOriginService>> origin_services;
  std::vector<std::unique_ptr<server::FrontEndService>> origins;
  const auto stop_origins = [&] {
    for (auto& o : origins) o->Stop();
  };
  for (int c = 0; c < sc.channels; ++c) {
    origin::SyntheticStreamSpec s;
    s.segment_duration_s = sc.origin.stream.segment_duration_s;
    s.window_segments = sc.origin.stream.window_segments;
    s.start_time = t0 - 600 * kMicrosPerSecond;
    s.renditions = sc.origin.stream.renditions;
    s.cue_flavour = sc.origin.stream.cue_flavour;
    for (origin::ScheduledBreak b : sim::ChannelBreaks(sc, c)) {
      b.start_time += t0 - sc.start_time;  // the deployment runs from t0 (now), not the scenario's start_time
      s.breaks.push_back(b);
      truth[static_cast<size_t>(c)].push_back(world::MarkedBreak(s, b.start_time, b.start_time + SecondsToMicros(b.duration_s)));
    }
    SSAI_RETURN_IF_ERROR(origin::ValidateSpec(s).WithContext("channel " + std::to_string(c)));
    auto service = std::make_unique<server::SyntheticOriginService>(s);
    service->delay_ms = static_cast<int>(std::lround(Range(sc.origin.fetch_latency)->first));
    server::SyntheticOriginService* svc = service.get();
    auto front = std::make_unique<server::FrontEndService>(
        [svc](asio::io_context& io, server::HttpRequest req, server::HttpResponder respond) {
          svc->Handle(io, std::move(req), std::move(respond));
        });
    if (Status st = front->Start("127.0.0.1", 0); !st.ok()) {
      stop_origins();
      return st.WithContext("origin " + std::to_string(c));
    }
    specs.push_back(std::move(s));
    origin_services.push_back(std::move(service));
    origins.push_back(std::move(front));
  }

  // The channels as every server sees them (org "sim", channel "ch{c}": the simulator's names).
  json channels = json::array();
  for (int c = 0; c < sc.channels; ++c) {
    json renditions = json::array();
    for (const origin::Rendition& r : sc.origin.stream.renditions) renditions.push_back(server::RenditionConfigJson(r));
    const std::string base = origins[static_cast<size_t>(c)]->base_url();
    channels.push_back({{"org", "sim"}, {"channel", "ch" + std::to_string(c)}, {"mode", "ssai"},
                        {"origin_base_url", base}, {"renditions", renditions},
                        {"slate", {{"uri", base + "/slate.ts"}, {"duration_s", sc.origin.stream.segment_duration_s}}},
                        {"default_pod_id", "fidelity-pod"}});
  }
  // The decision service's one pod: ads_per_pod ads of ad_duration_s (the simulator's SimDecision).
  json items = json::array();
  for (int i = 0; i < sc.decision.ads_per_pod; ++i) {
    json variants = json::object();
    for (const origin::Rendition& r : sc.origin.stream.renditions) {
      variants[std::to_string(r.bandwidth_bps)] = "{self}/ads/ad" + std::to_string(i) + "/" + std::to_string(r.bandwidth_bps) + ".m3u8";
    }
    items.push_back({{"id", "ad" + std::to_string(i)}, {"duration", sc.decision.ad_duration_s}, {"variants", variants}});
  }
  const json catalogue = {{"default_pod", "fidelity-pod"}, {"pods", {{"fidelity-pod", {{"items", items}}}}}};
  std::random_device rd;
  const std::string token = "fidelity-" + std::to_string(rd()) + std::to_string(rd());

  // Wait for the warm-up's start, then the coordinator and the edges (as run.cc: channels go
  // live warmup_s before the viewers).
  SleepUntil(t0 - SecondsToMicros(sc.warmup_s));
  json coordinator_config = {
      {"role", "coordinator"}, {"listen", "127.0.0.1:0"}, {"build", options.build},
      {"kv", {{"backend", "redis"}, {"primary", "127.0.0.1:" + std::to_string(primary_port)}, {"timeout_ms", 200}}},
      {"journal_path", work + "/coordinator-journal.jsonl"},
      {"auth", {{"token", token}}},
      {"timeouts", {{"decision_ms", std::llround(sc.coordinator.decision_timeout_s * 1000)}}},
      {"decision", {{"catalogue", catalogue}, {"latency_ms", std::llround(Range(sc.decision.latency)->first)},
                    {"failure_rate", sc.decision.failure_rate}, {"ad_segment_duration_s", sc.origin.stream.segment_duration_s},
                    {"seed", options.seed}}},
      {"log", {{"level", "info"}, {"path", work + "/coordinator.log"}}},
      {"channels", channels}};
  std::filesystem::remove(work + "/coordinator-journal.jsonl", fs_ec);  // a previous run's state
  Result<server::ServerConfig> cc = server::ParseServerConfig(coordinator_config.dump());
  if (!cc.ok()) {
    stop_origins();
    return cc.status().WithContext("coordinator config");
  }
  server::Server coordinator(std::move(cc).value());
  if (Status st = coordinator.Start(); !st.ok()) {
    stop_origins();
    return st.WithContext("coordinator");
  }
  say("coordinator " + coordinator.base_url() + " (" + options.build + ")");
  std::vector<std::unique_ptr<server::Server>> edges;
  json edge_info = json::array();
  const auto stop_servers = [&] {
    for (auto& e : edges) e->Stop();
    coordinator.Stop();
    stop_origins();
  };
  for (size_t p = 0; p < sc.pops.size(); ++p) {
    const std::pair<double, double> rtt = *Range(sc.pops[p].coordinator_rtt);
    json ec = {{"role", "edge"}, {"listen", "127.0.0.1:0"}, {"build", options.build},
               {"kv", {{"backend", "redis"}, {"primary", "127.0.0.1:" + std::to_string(primary_port)},
                       {"replica", "127.0.0.1:" + std::to_string(replica_port)}, {"timeout_ms", 200},
                       {"cache_ttl_s", sc.kv.cache_ttl_s}}},
               {"coordinator_url", coordinator.base_url()},
               {"inject", {{"coordinator_latency_ms", {std::llround(rtt.first), std::llround(rtt.second)}}}},
               {"decision", {{"seed", options.seed * 1000 + p + 1}}},
               // The edge's origin micro-cache: the scenario's origin.edge_cache_ms (0: none).
               {"limits", {{"origin_cache_ms", std::llround(sc.origin.edge_cache_ms)}}},
               {"log", {{"level", "info"}, {"path", work + "/edge-" + sc.pops[p].name + ".log"}}},
               {"channels", channels}};
    Result<server::ServerConfig> parsed = server::ParseServerConfig(ec.dump());
    if (!parsed.ok()) {
      stop_servers();
      return parsed.status().WithContext("edge " + sc.pops[p].name + " config");
    }
    edges.push_back(std::make_unique<server::Server>(std::move(parsed).value()));
    if (Status st = edges.back()->Start(); !st.ok()) {
      edges.pop_back();
      stop_servers();
      return st.WithContext("edge " + sc.pops[p].name);
    }
    edge_info.push_back({{"pop", sc.pops[p].name}, {"url", edges.back()->base_url()},
                         {"coordinator_latency_ms", {std::llround(rtt.first), std::llround(rtt.second)}},
                         {"kv_cache_ttl_s", sc.kv.cache_ttl_s}, {"origin_cache_ms", std::llround(sc.origin.edge_cache_ms)}});
    say("edge " + sc.pops[p].name + " " + edges.back()->base_url() + ", coordinator RTT " +
        std::to_string(std::llround(rtt.first)) + ".." + std::to_string(std::llround(rtt.second)) + " ms");
  }
  deployment["coordinator"] = coordinator.base_url();
  deployment["edges"] = edge_info;
  json origin_urls = json::array();
  for (auto& o : origins) origin_urls.push_back(o->base_url());
  deployment["origins"] = origin_urls;

  // Viewers: the simulator's groups (channel x POP x rendition), each split as its cohorts are
  // (viewer_share, rendition_shares, rounded to whole viewers), phases spread over one target
  // duration as run.cc spreads cohorts'. When a group has as many viewers as cohorts_per_group,
  // viewer k gets cohort k's very phase: the same draws from the same stream in the same order as
  // run.cc Setup (Rng::Stream(seed, kViewerStream = 5), target * k / K + UniformInt(target / K)),
  // so the deployment's reloads line up with the prediction's and the comparison is not blurred by
  // two different samples of phases (seen: coordinator calls 91 predicted vs 105 measured at one
  // POP of kv-channel-state from phases alone).
  double pop_total = 0, rend_total = 0;
  for (const sim::PopSpec& p : sc.pops) pop_total += p.viewer_share;
  for (double r : sc.viewers.rendition_shares) rend_total += r;
  const int64_t target_s = origin::TargetDurationSeconds(specs.front());
  std::mt19937_64 rng(options.seed);
  sim::Rng cohort_rng = sim::Rng::Stream(options.seed, 5);
  const int K = sc.viewers.cohorts_per_group;
  std::vector<ViewerPlan> plans;
  for (int c = 0; c < sc.channels; ++c) {
    for (size_t p = 0; p < sc.pops.size(); ++p) {
      for (int r = 0; r < R; ++r) {
        const double share = (pop_total > 0 ? sc.pops[p].viewer_share / pop_total : 0) *
                             (rend_total > 0 ? sc.viewers.rendition_shares[static_cast<size_t>(r)] / rend_total : 0);
        const int64_t n = std::llround(static_cast<double>(sc.viewers.viewers_per_channel) * share);
        const DurationMicros span = target_s * kMicrosPerSecond;
        // The cohorts' phases of this group, drawn whether or not they are used (the stream's order).
        std::vector<DurationMicros> cohort_phase;
        for (int k = 0; k < K; ++k) {
          cohort_phase.push_back(span * k / K + static_cast<DurationMicros>(cohort_rng.UniformInt(
                                                    static_cast<uint64_t>(std::max<int64_t>(span / K, 1)))));
        }
        for (int64_t k = 0; k < n; ++k) {
          const DurationMicros phase =
              n == K ? cohort_phase[static_cast<size_t>(k)]
                     : span * k / n + static_cast<DurationMicros>(rng() % static_cast<uint64_t>(std::max<int64_t>(span / n, 1)));
          plans.push_back({c, static_cast<int>(p), r, t0 + phase,
                           edges[p]->base_url() + "/sim/ch" + std::to_string(c) + "/" +
                               sc.origin.stream.renditions[static_cast<size_t>(r)].name + ".m3u8"});
        }
      }
    }
  }
  deployment["viewers"] = plans.size();
  say(std::to_string(plans.size()) + " viewers from " + FormatIso8601Millis(t0) + " for " +
      std::to_string(static_cast<int64_t>(sc.duration_s)) + " s");
  std::mutex mu;
  std::vector<PopTally> tallies(sc.pops.size());
  std::vector<std::thread> threads;
  for (const ViewerPlan& v : plans) {
    const std::string slate = origins[static_cast<size_t>(v.channel)]->base_url() + "/slate.ts";
    threads.emplace_back([&, v, slate] {
      RunViewer(v, truth[static_cast<size_t>(v.channel)], target_s, end, slate, &mu, &tallies[static_cast<size_t>(v.pop)]);
    });
  }
  for (std::thread& t : threads) t.join();

  // Counters at the end: each edge's coordinator calls, the primary's writes.
  server::HttpOptions http;
  json pops = json::array();
  double calls_total = 0, edge_origin_fetches = 0;
  world::AdSeconds ads;
  for (size_t p = 0; p < sc.pops.size(); ++p) {
    const PopTally& t = tallies[p];
    server::HttpResult m = server::HttpExchange("GET", edges[p]->base_url() + "/metrics", {}, "", "", http);
    const double calls = m.status == 200 ? MetricValue(m.body, "ssai_coordinator_calls_total") : -1;
    if (calls >= 0) calls_total += calls;
    // The edge's own origin fetches (after its origin micro-cache, limits.origin_cache_ms).
    if (m.status == 200) edge_origin_fetches += std::max(0.0, MetricValue(m.body, "ssai_origin_fetches_total"));
    ads += t.ads;
    pops.push_back({{"name", sc.pops[p].name},
                    {"requests", t.requests},
                    {"errors", t.errors},
                    {"kv_hit_rate", t.ok > 0 ? json(static_cast<double>(t.kv_hits) / static_cast<double>(t.ok)) : json(nullptr)},
                    {"viewer_ad_visibility_lag_s", Summary(t.lag_us, 1e-6)},
                    {"latency_ms", Summary(t.latency_us, 1e-3)},
                    {"coordinator_calls", calls >= 0 ? json(calls) : json(nullptr)}});
  }
  const std::string stats = RedisCommand(primary_port, "INFO commandstats");
  json coordinator_metrics = json::object();
  {
    server::HttpResult m = server::HttpExchange("GET", coordinator.base_url() + "/metrics", {}, "", "", http);
    std::istringstream lines(m.body);
    for (std::string l; std::getline(lines, l);) {
      if (l.rfind("ssai_coordinator_", 0) != 0 || l.find('{') != std::string::npos) continue;
      const size_t sp = l.find(' ');
      if (sp != std::string::npos) coordinator_metrics[l.substr(0, sp)] = std::stod(l.substr(sp + 1));
    }
  }
  deployment["coordinator_metrics"] = coordinator_metrics;
  const double coordinator_origin_fetches = coordinator_metrics.value("ssai_coordinator_origin_fetches_total", 0.0);
  deployment["replication_bytes_delayed"] = proxy.bytes_delayed();
  say("measured; stopping");
  stop_servers();
  proxy.Stop();
  replica.Stop();
  primary.Stop();

  Measurement out;
  out.start_time = t0;
  out.deployment = std::move(deployment);
  out.measured = {{"pops", pops},
                  {"coordinator", {{"calls", calls_total}}},
                  {"kv", {{"writes", stats.empty() ? json(nullptr) : json(CommandCalls(stats, "set"))},
                          {"deletes", stats.empty() ? json(nullptr) : json(CommandCalls(stats, "del"))}}},
                  {"ads", {{"scheduled_ad_viewer_s", ads.scheduled}, {"missed_ad_viewer_s", ads.missed}, {"ghost_ad_viewer_s", ads.ghost}}},
                  // As the simulator's "sim.origin_fetches" (every origin playlist fetch, edges and
                  // coordinators) and "coordinator.core.origin_fetches".
                  {"origin_fetches", {{"edges", edge_origin_fetches}, {"coordinator", coordinator_origin_fetches},
                                      {"total", edge_origin_fetches + coordinator_origin_fetches}}}};
  return out;
}

}  // namespace ssai::fidelity
