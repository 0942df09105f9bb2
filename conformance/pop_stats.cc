#include "conformance/pop_stats.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace ssai::conformance {

void AddPopStats(UnixMicros start, Observations* obs) {
  std::map<std::string, std::vector<DurationMicros>> latencies;
  std::map<std::string, int64_t> hits;
  for (const Fetch& f : obs->fetches) {  // in request order
    if (f.response_time == 0) continue;
    latencies[f.pop].push_back(f.response_time - f.request_time);
    if (f.state_source == "kv-hit" && hits[f.pop]++ == 0) {
      obs->stats["first_kv_hit_ms." + f.pop] = (f.request_time - start) / kMicrosPerMilli;
    }
  }
  for (auto& [pop, l] : latencies) {
    std::sort(l.begin(), l.end());
    obs->stats["fetches." + pop] = static_cast<int64_t>(l.size());
    obs->stats["kv_hits." + pop] = hits[pop];
    obs->stats["latency_p50_us." + pop] = l[l.size() / 2];
    obs->stats["latency_max_us." + pop] = l.back();
  }
}

}  // namespace ssai::conformance
