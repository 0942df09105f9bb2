#include "reference/server/kv_cache.h"

#include <algorithm>

namespace ssai::server {

void CachingKvStore::Get(std::string_view key, const GetOptions& options, GetCallback done) {
  GetEntry(key, options, ValueOnly(std::move(done)));
}

void CachingKvStore::GetEntry(std::string_view key, const GetOptions& options, GetEntryCallback done) {
  const UnixMicros now = sched_->Now();
  if (auto it = entries_.find(key); it != entries_.end()) {
    if (now < it->second.expires_at) {
      ++hits;
      if (!it->second.value) ++negative_hits;
      done(it->second.value);
      return;
    }
    entries_.erase(it);
  }
  ++misses;
  inner_->GetEntry(key, options, [this, key = std::string(key), gen = generation_, done = std::move(done)](
                                     Result<std::optional<Entry>> r) {
    // Cache what the store answered, absent included (cacheTtl covers misses); a write from this
    // location since the read started makes the answer stale, so it is passed on, not cached.
    if (r.ok() && gen == generation_) {
      const UnixMicros t = sched_->Now();
      if (entries_.size() >= max_entries_) {
        for (auto it = entries_.begin(); it != entries_.end();) {
          it = it->second.expires_at <= t ? entries_.erase(it) : std::next(it);
        }
      }
      UnixMicros until = t + cache_ttl_us_;
      // Expiration overrides a longer cacheTtl (Workers KV): never serve a value past its expiry.
      if (r->has_value() && (*r)->expires_at) until = std::min(until, *(*r)->expires_at);
      if (entries_.size() < max_entries_ && until > t) entries_[key] = CacheEntry{*r, until};
    }
    done(std::move(r));
  });
}

void CachingKvStore::Put(std::string_view key, std::string value, int64_t expiration_ttl_s, DoneCallback done) {
  ++generation_;
  if (auto it = entries_.find(key); it != entries_.end()) entries_.erase(it);
  inner_->Put(key, std::move(value), expiration_ttl_s, std::move(done));
}

void CachingKvStore::List(std::string_view prefix, ListCallback done) { inner_->List(prefix, std::move(done)); }

void CachingKvStore::Delete(std::string_view key, DoneCallback done) {
  ++generation_;
  if (auto it = entries_.find(key); it != entries_.end()) entries_.erase(it);
  inner_->Delete(key, std::move(done));
}

}  // namespace ssai::server
