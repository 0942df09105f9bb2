#include "reference/server/metrics.h"

#include <cstdio>

namespace ssai::server {

namespace {
std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}
}  // namespace

void LatencyHistogram::Observe(double seconds) {
  for (size_t i = 0; i < kBoundsS.size(); ++i) {
    if (seconds <= kBoundsS[i]) ++buckets_[i];
  }
  ++count_;
  sum_s_ += seconds;
}

void LatencyHistogram::Render(std::string_view name, std::string_view labels, std::string* out) const {
  const std::string sep = labels.empty() ? "" : ",";
  for (size_t i = 0; i < kBoundsS.size(); ++i) {
    *out += std::string(name) + "_bucket{" + std::string(labels) + sep + "le=\"" + Num(kBoundsS[i]) + "\"} " +
            std::to_string(buckets_[i]) + "\n";
  }
  *out += std::string(name) + "_bucket{" + std::string(labels) + sep + "le=\"+Inf\"} " + std::to_string(count_) + "\n";
  *out += std::string(name) + "_sum{" + std::string(labels) + "} " + Num(sum_s_) + "\n";
  *out += std::string(name) + "_count{" + std::string(labels) + "} " + std::to_string(count_) + "\n";
}

void Metrics::RecordRequest(std::string_view route, int http_status, double latency_s) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[std::string(route) + '\x1f' + std::to_string(http_status)];
  latency_[std::string(route)].Observe(latency_s);
}

void Metrics::RecordManifest(std::string_view source, int kv_reads, int coordinator_calls, bool stale_origin,
                             int ad_segments) {
  std::lock_guard<std::mutex> lock(mu_);
  ++sources_[std::string(source)];
  kv_reads_ += kv_reads;
  coordinator_calls_ += coordinator_calls;
  stale_origin_ += stale_origin ? 1 : 0;
  ad_responses_ += ad_segments > 0 ? 1 : 0;
}

void Metrics::RecordCue(std::string_view result) {
  std::lock_guard<std::mutex> lock(mu_);
  ++cues_[std::string(result)];
}

void Metrics::RecordError(std::string_view kind) {
  std::lock_guard<std::mutex> lock(mu_);
  ++errors_[std::string(kind)];
}

int64_t Metrics::Counter(std::string_view name, std::string_view label) const {
  std::lock_guard<std::mutex> lock(mu_);
  const std::map<std::string, int64_t>* m = name == "source" ? &sources_
                                            : name == "cue"  ? &cues_
                                            : name == "error" ? &errors_
                                                              : nullptr;
  if (m == nullptr) {
    if (name == "coordinator_calls") return coordinator_calls_;
    if (name == "kv_reads") return kv_reads_;
    return 0;
  }
  auto it = m->find(std::string(label));
  return it == m->end() ? 0 : it->second;
}

std::string Metrics::Render(std::string_view extra) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  out += "# HELP ssai_http_requests_total HTTP responses by route and status.\n";
  out += "# TYPE ssai_http_requests_total counter\n";
  for (const auto& [k, v] : requests_) {
    const size_t sep = k.find('\x1f');
    out += "ssai_http_requests_total{route=\"" + k.substr(0, sep) + "\",status=\"" + k.substr(sep + 1) + "\"} " +
           std::to_string(v) + "\n";
  }
  out += "# HELP ssai_http_request_duration_seconds Time from request to response, by route.\n";
  out += "# TYPE ssai_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    h.Render("ssai_http_request_duration_seconds", "route=\"" + route + "\"", &out);
  }
  out += "# HELP ssai_manifest_requests_total Playlist answers by ad-break state source.\n";
  out += "# TYPE ssai_manifest_requests_total counter\n";
  for (const char* s : {"kv-hit", "kv-miss", "coordinator", "none"}) {
    auto it = sources_.find(s);
    out += std::string("ssai_manifest_requests_total{source=\"") + s + "\"} " +
           std::to_string(it == sources_.end() ? 0 : it->second) + "\n";
  }
  const int64_t hits = sources_.count("kv-hit") ? sources_.at("kv-hit") : 0;
  const int64_t misses = sources_.count("kv-miss") ? sources_.at("kv-miss") : 0;
  out += "# HELP ssai_kv_hit_ratio kv-hit / (kv-hit + kv-miss) over the process lifetime.\n";
  out += "# TYPE ssai_kv_hit_ratio gauge\n";
  out += "ssai_kv_hit_ratio " + Num(hits + misses == 0 ? 0.0 : static_cast<double>(hits) / (hits + misses)) + "\n";
  out += "# TYPE ssai_kv_reads_total counter\nssai_kv_reads_total " + std::to_string(kv_reads_) + "\n";
  out += "# HELP ssai_coordinator_calls_total Coordinator calls made by the manifest path.\n";
  out += "# TYPE ssai_coordinator_calls_total counter\nssai_coordinator_calls_total " +
         std::to_string(coordinator_calls_) + "\n";
  out += "# TYPE ssai_stale_origin_total counter\nssai_stale_origin_total " + std::to_string(stale_origin_) + "\n";
  out += "# TYPE ssai_ad_responses_total counter\nssai_ad_responses_total " + std::to_string(ad_responses_) + "\n";
  out += "# HELP ssai_cues_total Cue API calls by result.\n# TYPE ssai_cues_total counter\n";
  for (const auto& [k, v] : cues_) out += "ssai_cues_total{result=\"" + k + "\"} " + std::to_string(v) + "\n";
  out += "# HELP ssai_errors_total Errors by kind.\n# TYPE ssai_errors_total counter\n";
  for (const auto& [k, v] : errors_) out += "ssai_errors_total{kind=\"" + k + "\"} " + std::to_string(v) + "\n";
  out += extra;
  return out;
}

}  // namespace ssai::server
