// What `ssai bench` puts load on, started on loopback for the run and stopped after it:
// `ssai serve` with one build (plus `ssai origin --synthetic`, a break cued so the playlists carry
// ads), and nginx serving saved playlists as static files (the physical limit of this machine).
#ifndef SSAI_BENCH_LOAD_TARGETS_H_
#define SSAI_BENCH_LOAD_TARGETS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/load/process.h"
#include "reference/base/status.h"

namespace ssai::load {

struct ServeTargetOptions {
  std::string ssai_exe;  // the `ssai` binary to run (default: this executable)
  std::string build = "kv-channel-state";
  std::string kv_backend = "sim";
  std::string redis_address;  // kv_backend "redis": the primary, "127.0.0.1:PORT" (kv.primary)
  // `inject.coordinator_latency_ms` of the serve config; 0/0 = off.
  int64_t coordinator_latency_min_ms = 0;
  int64_t coordinator_latency_max_ms = 0;
  std::string work_dir;        // configs and logs (must exist)
  int64_t cue_duration_s = 600;  // a break from the start, longer than any run; 0 = no cue
  // Start() returns only once the playlists carry ads (~10 s after the cue); false: call WaitForAds.
  bool wait_for_ads = true;
};

// A running `ssai origin` + `ssai serve`. Stops both on destruction.
class ServeTarget {
 public:
  static Result<std::unique_ptr<ServeTarget>> Start(const ServeTargetOptions& options);
  ~ServeTarget();
  const std::string& base_url() const { return base_url_; }
  const std::string& host() const { return host_; }
  int port() const { return port_; }
  // The media playlists of the one channel (both renditions).
  std::vector<std::string> paths() const { return {"/demo/sports/v720.m3u8", "/demo/sports/v360.m3u8"}; }
  // GET; the body, and X-SSAI-State-Source in *source if given.
  Result<std::string> Get(const std::string& path, std::string* source = nullptr) const;
  // /metrics as "name{labels}" -> value.
  Result<std::map<std::string, double>> Metrics() const;
  int64_t serve_pid() const;
  // Polls the first playlist until it holds ad segments, at most timeout_ms.
  Status WaitForAds(int64_t timeout_ms);
  void Stop();

 private:
  ServeTarget() = default;
  std::unique_ptr<ChildProcess> origin_;
  std::unique_ptr<ChildProcess> serve_;
  std::string base_url_;
  std::string host_;
  std::string build_;
  int port_ = 0;
};

// nginx with a generated config in `work_dir`: `files` (URL path -> body) under work_dir/www,
// `workers` worker processes, keep-alive, access log off, error log inside work_dir.
class NginxTarget {
 public:
  static Result<std::unique_ptr<NginxTarget>> Start(const std::string& work_dir,
                                                    const std::map<std::string, std::string>& files, int workers);
  ~NginxTarget();
  const std::string& host() const { return host_; }
  int port() const { return port_; }
  std::string base_url() const { return "http://" + host_ + ":" + std::to_string(port_); }
  void Stop();

 private:
  NginxTarget() = default;
  std::unique_ptr<ChildProcess> nginx_;
  std::string host_ = "127.0.0.1";
  int port_ = 0;
};

// redis-server on a free loopback port, no persistence, data dir = work_dir.
class RedisTarget {
 public:
  static Result<std::unique_ptr<RedisTarget>> Start(const std::string& work_dir);
  ~RedisTarget();
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

 private:
  RedisTarget() = default;
  std::unique_ptr<ChildProcess> redis_;
  int port_ = 0;
};

// Prometheus text exposition -> "name{labels}" -> value (comments skipped).
std::map<std::string, double> ParsePrometheusText(const std::string& text);

}  // namespace ssai::load

#endif  // SSAI_BENCH_LOAD_TARGETS_H_
