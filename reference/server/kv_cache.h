// An edge's read cache in front of any KvStore: Workers KV's `cacheTtl` (DESIGN.md "KV model"),
// including cached misses. A location that read a key serves that answer, value or absent, for
// `cache_ttl_s` without asking the store again; so a break written just after an edge cached the
// miss stays invisible there until the cached miss expires (the late ads the simulator measures),
// and a deleted key can be served from the cache after the delete (ghost ads).
//
// Core thread only; a hit completes inline. Errors are not cached. Put and Delete go to the store
// and drop this location's entry (the writer sees its own write). Bounded: at most
// `max_entries`; when full, expired entries are swept and, if still full, new answers are not
// cached.
#ifndef SSAI_REFERENCE_SERVER_KV_CACHE_H_
#define SSAI_REFERENCE_SERVER_KV_CACHE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "reference/base/time.h"
#include "reference/ssai/env.h"

namespace ssai::server {

class CachingKvStore : public KvStore {
 public:
  // cache_ttl_s > 0: how long an answer is reused (the deployment's cacheTtl; the per-call
  // GetOptions::cache_ttl_s is ignored, so one config value governs the edge).
  CachingKvStore(KvStore* inner, Scheduler* scheduler, int64_t cache_ttl_s, size_t max_entries = 100'000)
      : inner_(inner), sched_(scheduler), cache_ttl_us_(cache_ttl_s * kMicrosPerSecond), max_entries_(max_entries) {}
  // A cached answer is served until the earlier of cache_ttl_s after the read and the value's own
  // expiry when the store tells it (KvStore::GetEntry): an expired value reads as absent.
  void Get(std::string_view key, const GetOptions& options, GetCallback done) override;
  void GetEntry(std::string_view key, const GetOptions& options, GetEntryCallback done) override;
  void Put(std::string_view key, std::string value, int64_t expiration_ttl_s, DoneCallback done) override;
  void List(std::string_view prefix, ListCallback done) override;  // not cached
  void Delete(std::string_view key, DoneCallback done) override;
  size_t size() const { return entries_.size(); }
  int64_t hits = 0, negative_hits = 0, misses = 0;  // misses = reads that went to the store

 private:
  struct CacheEntry {
    std::optional<KvStore::Entry> value;  // nullopt = a cached miss
    UnixMicros expires_at = 0;            // of this cache entry
  };
  KvStore* inner_;
  Scheduler* sched_;
  DurationMicros cache_ttl_us_;
  size_t max_entries_;
  std::map<std::string, CacheEntry, std::less<>> entries_;
  uint64_t generation_ = 0;  // bumped by Put/Delete: an older in-flight read must not repopulate
};

}  // namespace ssai::server

#endif  // SSAI_REFERENCE_SERVER_KV_CACHE_H_
