#include "reference/ssai/vast_pod.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace ssai {

AdDecision DecisionFromVast(const vast::ResolvedPod& pod, double break_duration_s, std::string pod_id,
                            const VastPodOptions& options) {
  AdDecision d;
  d.pod_id = std::move(pod_id);
  double at = 0;
  std::set<std::string> ids;
  for (size_t i = 0; i < pod.ads.size(); ++i) {
    const vast::ResolvedAd& ad = pod.ads[i];
    if (at >= break_duration_s - options.fit_tolerance_s) break;  // starts at or after the end
    const double duration = ad.creative.duration_s.value_or(0);
    if (!(duration > 0)) continue;
    AdItem item;
    std::string id = !ad.id.empty() ? ad.id : !ad.creative.id.empty() ? ad.creative.id : "ad";
    if (ids.count(id)) id += "-" + std::to_string(i + 1);
    ids.insert(id);
    item.id = id;
    item.duration_s = duration;
    item.segment_duration_s = options.segment_duration_s;
    std::set<int64_t> seen;
    for (const vast::MediaFile& f : ad.spliceable) {
      const int64_t bps = f.bitrate_kbps > 0 ? f.bitrate_kbps * 1000 : 1;
      if (!seen.insert(bps).second) continue;  // one URL per bitrate: the first
      item.variants.push_back({bps, f.url});
    }
    std::sort(item.variants.begin(), item.variants.end(),
              [](const AdVariant& a, const AdVariant& b) { return a.bitrate_bps < b.bitrate_bps; });
    if (item.variants.empty()) continue;
    // Server-side tracking (beacons.h): every Impression (InLine and wrappers, §3.4.4) and the
    // linear start/quartile/complete events; about:blank never fires; at most
    // kMaxBeaconUrlsPerEvent each (a hostile response cannot make us fire thousands).
    auto add = [&](std::string_view event, const std::string& url) {
      std::vector<std::string>& urls = item.tracking[std::string(event)];
      if (vast::IsFireable(url) && url.size() <= kMaxBeaconUrlBytes && urls.size() < kMaxBeaconUrlsPerEvent &&
          std::find(urls.begin(), urls.end(), url) == urls.end()) {
        urls.push_back(url);
      }
      if (urls.empty()) item.tracking.erase(std::string(event));
    };
    for (const std::string& url : ad.impressions) add("impression", url);
    for (const vast::TrackingEvent& t : ad.tracking) {
      if (std::find(kBeaconEvents.begin() + 1, kBeaconEvents.end(), t.event) != kBeaconEvents.end()) add(t.event, t.url);
    }
    d.items.push_back(std::move(item));
    at += duration;
  }
  return d;
}

std::vector<std::string> ErrorPings(const std::vector<vast::AdFailure>& failures, size_t max) {
  std::vector<std::string> out;
  for (const vast::AdFailure& f : failures) {
    for (const std::string& url : f.error_urls) {
      if (out.size() >= max) return out;
      if (!vast::IsFireable(url)) continue;
      out.push_back(vast::ExpandErrorMacro(url, f.code));
    }
  }
  return out;
}

}  // namespace ssai
