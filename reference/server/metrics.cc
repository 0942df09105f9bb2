#include "reference/server/metrics.h"

#include <cstdio>

namespace ssai::server {

namespace {
std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}
// A label value in the text format: \ " and newline escaped.
std::string LabelValue(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::mutex& VersionMutex() {
  static std::mutex mu;
  return mu;
}
std::string& VersionSlot() {
  static std::string version = "unknown";
  return version;
}

}  // namespace

void SetBuildVersion(std::string version) {
  std::lock_guard<std::mutex> lock(VersionMutex());
  VersionSlot() = std::move(version);
}

std::string BuildVersion() {
  std::lock_guard<std::mutex> lock(VersionMutex());
  return VersionSlot();
}

void AppendFamilyHeader(std::string_view name, std::string_view type, std::string_view help, std::string* out) {
  std::string escaped;
  for (char c : help) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  *out += "# HELP " + std::string(name) + " " + escaped + "\n# TYPE " + std::string(name) + " " + std::string(type) + "\n";
}

void AppendSample(std::string_view name, std::string_view type, std::string_view help, int64_t value,
                  std::string* out) {
  AppendFamilyHeader(name, type, help, out);
  *out += std::string(name) + " " + std::to_string(value) + "\n";
}

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

ChannelMetrics* Metrics::AddChannel(std::string label) {
  std::lock_guard<std::mutex> lock(mu_);
  return &channels_.emplace_back(std::move(label));
}

void Metrics::RecordChannelCue(std::string_view channel, std::string_view result) {
  std::lock_guard<std::mutex> lock(mu_);
  ++channel_cues_[{std::string(channel), std::string(result)}];
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
  AppendFamilyHeader("ssai_build_info", "gauge", "The ssai build serving: version = project version+git describe (ssai --version); always 1.",
                     &out);
  out += "ssai_build_info{version=\"" + LabelValue(BuildVersion()) + "\"} 1\n";
  AppendFamilyHeader("ssai_http_requests_total", "counter", "HTTP responses by route and status.", &out);
  for (const auto& [k, v] : requests_) {
    const size_t sep = k.find('\x1f');
    out += "ssai_http_requests_total{route=\"" + k.substr(0, sep) + "\",status=\"" + k.substr(sep + 1) + "\"} " +
           std::to_string(v) + "\n";
  }
  AppendFamilyHeader("ssai_http_request_duration_seconds", "histogram", "Time from request to response, by route.",
                     &out);
  for (const auto& [route, h] : latency_) {
    h.Render("ssai_http_request_duration_seconds", "route=\"" + route + "\"", &out);
  }
  // The KV hit ratio is a rate of these (kv-hit / (kv-hit + kv-miss) over a window), not a
  // lifetime gauge: a ratio since start-up hides a change an hour into the run.
  AppendFamilyHeader("ssai_manifest_requests_total", "counter",
                     "Playlist answers by where the ad-break state came from: kv-hit, kv-miss (then the "
                     "coordinator), coordinator (asked directly), none. KV hit ratio: "
                     "rate(...{source=\"kv-hit\"}[5m]) / (rate(...{source=\"kv-hit\"}[5m]) + "
                     "rate(...{source=\"kv-miss\"}[5m])).",
                     &out);
  for (const char* s : {"kv-hit", "kv-miss", "coordinator", "none"}) {
    auto it = sources_.find(s);
    out += std::string("ssai_manifest_requests_total{source=\"") + s + "\"} " +
           std::to_string(it == sources_.end() ? 0 : it->second) + "\n";
  }
  AppendSample("ssai_kv_reads_total", "counter", "KV reads (get and list) made by the manifest path.", kv_reads_, &out);
  AppendSample("ssai_coordinator_calls_total", "counter", "Coordinator calls made by the manifest path (waited for, and background refreshes).",
               coordinator_calls_, &out);
  AppendSample("ssai_stale_origin_total", "counter",
               "Playlist answers spliced from a last-good origin copy because the origin failed.", stale_origin_, &out);
  AppendSample("ssai_ad_responses_total", "counter", "Playlist answers carrying at least one ad segment.", ad_responses_,
               &out);
  AppendFamilyHeader("ssai_cues_total", "counter", "Cue API calls by result.", &out);
  for (const auto& [k, v] : cues_) out += "ssai_cues_total{result=\"" + k + "\"} " + std::to_string(v) + "\n";
  // Per channel (issue 19): which channel's viewers miss KV, which channel's cues are refused.
  AppendFamilyHeader("ssai_channel_manifest_requests_total", "counter",
                     "Playlist answers per channel (org/channel) by where the ad-break state came from; the "
                     "per-channel KV hit ratio is a rate of these, as for ssai_manifest_requests_total.",
                     &out);
  for (const ChannelMetrics& c : channels_) {
    for (StateSource s : {StateSource::kKvHit, StateSource::kKvMiss, StateSource::kCoordinator, StateSource::kNone}) {
      out += "ssai_channel_manifest_requests_total{channel=\"" + LabelValue(c.label()) + "\",source=\"" +
             std::string(StateSourceName(s)) + "\"} " + std::to_string(c.manifests(s)) + "\n";
    }
  }
  AppendFamilyHeader("ssai_channel_cues_total", "counter", "Cue API calls per channel (org/channel) by result.", &out);
  for (const auto& [k, v] : channel_cues_) {
    out += "ssai_channel_cues_total{channel=\"" + LabelValue(k.first) + "\",result=\"" + k.second + "\"} " +
           std::to_string(v) + "\n";
  }
  AppendFamilyHeader("ssai_channel_ad_breaks_total", "counter",
                     "Ad breaks this edge started serving, per channel (org/channel): the first playlist "
                     "answered inside each break.",
                     &out);
  for (const ChannelMetrics& c : channels_) {
    out += "ssai_channel_ad_breaks_total{channel=\"" + LabelValue(c.label()) + "\"} " + std::to_string(c.breaks()) +
           "\n";
  }
  AppendFamilyHeader("ssai_errors_total", "counter", "Errors by kind.", &out);
  for (const auto& [k, v] : errors_) out += "ssai_errors_total{kind=\"" + k + "\"} " + std::to_string(v) + "\n";
  out += extra;
  return out;
}

}  // namespace ssai::server
