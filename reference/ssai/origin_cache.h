// An edge's origin micro-cache (`limits.origin_cache_ms` of `ssai serve`), on the core's
// interfaces only (OriginClient, Scheduler), so the server's edges and the simulator's use one
// model (issue 18: `ssai fidelity` found the simulator fetching the origin once per cohort reload
// where real edges reuse an answer for 250 ms; scenario `origin.edge_cache_ms`).
#ifndef SSAI_REFERENCE_SSAI_ORIGIN_CACHE_H_
#define SSAI_REFERENCE_SSAI_ORIGIN_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/time.h"
#include "reference/ssai/env.h"

namespace ssai {

// An edge's micro-cache in front of an OriginClient (what a CDN does for the seed's Worker): a
// 200 answer is reused for `max_age_us`, and concurrent fetches of one URL share one request
// (coalescing). Errors are not cached. Core thread only. A live playlist changes once per
// segment, so a max age well under the target duration delays a new segment by at most that.
class CachingOriginClient : public OriginClient {
 public:
  CachingOriginClient(OriginClient* inner, Scheduler* scheduler, DurationMicros max_age_us,
                      size_t max_entries = 10'000)
      : inner_(inner), sched_(scheduler), max_age_us_(max_age_us), max_entries_(max_entries) {}
  void Fetch(std::string_view url, Callback done) override;
  int64_t hits = 0, coalesced = 0, misses = 0;

 private:
  struct Entry {
    Response response;
    UnixMicros fetched_at = 0;
  };
  OriginClient* inner_;
  Scheduler* sched_;
  DurationMicros max_age_us_;
  size_t max_entries_;
  std::map<std::string, Entry, std::less<>> cache_;
  std::map<std::string, std::vector<Callback>, std::less<>> pending_;
  uint64_t next_version_ = 0;
};

}  // namespace ssai

#endif  // SSAI_REFERENCE_SSAI_ORIGIN_CACHE_H_
