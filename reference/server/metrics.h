// Prometheus text-format metrics for `ssai serve` (exposition format 0.0.4). Thread-safe: HTTP
// handler threads and the core thread record; GET /metrics renders. Every family carries
// `# HELP` and `# TYPE` (issue 19), counters only grow (rate() them: the KV hit ratio over 5 min
// is rate(ssai_manifest_requests_total{source="kv-hit"}[5m]) / (that + the kv-miss rate)), and
// ssai_build_info{version="..."} 1 names the build.
#ifndef SSAI_REFERENCE_SERVER_METRICS_H_
#define SSAI_REFERENCE_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "reference/ssai/manifest_path.h"

namespace ssai::server {

// The version ssai_build_info{version="..."} reports: a property of the program, set once at
// start-up by it (`ssai` main: reference/base/version.h VersionString(), which changes with every
// commit and is therefore linked into the binary only, not into this library). "unknown" until set.
void SetBuildVersion(std::string version);
std::string BuildVersion();

// "# HELP name help\n# TYPE name type\n" (help escaped as the text format wants: \\ and \n).
void AppendFamilyHeader(std::string_view name, std::string_view type, std::string_view help, std::string* out);
// A family with one unlabelled sample.
void AppendSample(std::string_view name, std::string_view type, std::string_view help, int64_t value,
                  std::string* out);

// A fixed-bucket latency histogram in seconds (Prometheus "le" buckets).
class LatencyHistogram {
 public:
  static constexpr std::array<double, 13> kBoundsS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,    0.25,  0.5,    1,     2.5,  5};
  void Observe(double seconds);
  void Render(std::string_view name, std::string_view labels, std::string* out) const;
  int64_t count() const { return count_; }

 private:
  std::array<int64_t, kBoundsS.size()> buckets_{};
  int64_t count_ = 0;
  double sum_s_ = 0;
};

// One configured channel's playlist counters (issue 19): made once per channel at start-up
// (Metrics::AddChannel), then counted with relaxed atomics. The manifest path is the server's hot
// path: it must not build a label string or take the metrics lock per request.
class ChannelMetrics {
 public:
  explicit ChannelMetrics(std::string label) : label_(std::move(label)) {}
  const std::string& label() const { return label_; }  // "org/channel"
  void CountManifest(StateSource source) {
    manifests_[static_cast<size_t>(source)].fetch_add(1, std::memory_order_relaxed);
  }
  void CountBreak() { breaks_.fetch_add(1, std::memory_order_relaxed); }
  int64_t manifests(StateSource source) const {
    return manifests_[static_cast<size_t>(source)].load(std::memory_order_relaxed);
  }
  int64_t breaks() const { return breaks_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kSources = static_cast<size_t>(StateSource::kCoordinator) + 1;
  std::string label_;
  std::array<std::atomic<int64_t>, kSources> manifests_{};
  std::atomic<int64_t> breaks_{0};
};

class Metrics {
 public:
  // One HTTP response: route is a small fixed set ("manifest", "cue", "health", ...).
  void RecordRequest(std::string_view route, int http_status, double latency_s);
  // One manifest answer: where state came from, and what the core did.
  void RecordManifest(std::string_view source, int kv_reads, int coordinator_calls, bool stale_origin,
                      int ad_segments);
  void RecordCue(std::string_view result);     // "accepted", "duplicate", "rejected", "unauthorized", ...
  // Per channel ("org/channel", a configured one: the label set is bounded by the config):
  // ssai_channel_manifest_requests_total{channel,source} and ssai_channel_ad_breaks_total{channel}
  // (breaks this edge started serving) count on the channel's ChannelMetrics; AddChannel is called
  // once per configured channel before serving and the result lives as long as this object.
  // ssai_channel_cues_total{channel,result} (cues are rare) by name.
  ChannelMetrics* AddChannel(std::string label);
  void RecordChannelCue(std::string_view channel, std::string_view result);
  void RecordError(std::string_view kind);     // "timeout", "origin", ...
  int64_t Counter(std::string_view name, std::string_view label) const;  // tests
  // Appends the text exposition; `extra` (gauges from the core) is appended verbatim.
  std::string Render(std::string_view extra) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, int64_t> requests_;        // "route\x1fstatus"
  std::map<std::string, LatencyHistogram> latency_;  // by route
  std::map<std::string, int64_t> sources_;
  std::map<std::string, int64_t> cues_;
  std::map<std::string, int64_t> errors_;
  std::deque<ChannelMetrics> channels_;  // stable addresses: AddChannel hands out pointers
  std::map<std::pair<std::string, std::string>, int64_t> channel_cues_;
  int64_t kv_reads_ = 0, coordinator_calls_ = 0, stale_origin_ = 0, ad_responses_ = 0;
};

}  // namespace ssai::server

#endif  // SSAI_REFERENCE_SERVER_METRICS_H_
