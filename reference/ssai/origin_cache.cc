#include "reference/ssai/origin_cache.h"

#include <iterator>
#include <utility>

namespace ssai {

void CachingOriginClient::Fetch(std::string_view url, Callback done) {
  const UnixMicros now = sched_->Now();
  if (max_age_us_ <= 0) return inner_->Fetch(url, std::move(done));
  // An expired entry stays until the refetch answers: its body decides whether the new one keeps
  // its version.
  if (auto it = cache_.find(url); it != cache_.end() && now - it->second.fetched_at <= max_age_us_) {
    ++hits;
    done(it->second.response);
    return;
  }
  if (auto it = pending_.find(url); it != pending_.end()) {
    ++coalesced;
    it->second.push_back(std::move(done));
    return;
  }
  ++misses;
  pending_[std::string(url)].push_back(std::move(done));
  inner_->Fetch(url, [this, key = std::string(url)](Result<Response> r) {
    auto node = pending_.extract(key);
    if (r.ok() && r->http_status == 200) {
      const UnixMicros t = sched_->Now();
      auto it = cache_.find(key);
      // The body's identity (env.h): the same text as the previous fetch keeps its version, so
      // the edge's PlaylistMemo neither compares nor re-parses it; new text gets a new one. An
      // origin that names its bodies itself (the simulator's: one version space for every POP's
      // cache, since the POPs share one memo) keeps its names.
      if (r->version == 0) {
        r->version = it != cache_.end() && it->second.response.body == r->body ? it->second.response.version
                                                                               : ++next_version_;
      }
      if (it != cache_.end()) {
        it->second = Entry{*r, t};
      } else {
        if (cache_.size() >= max_entries_) {
          for (auto e = cache_.begin(); e != cache_.end();) {
            e = t - e->second.fetched_at > max_age_us_ ? cache_.erase(e) : std::next(e);
          }
        }
        if (cache_.size() < max_entries_) cache_.emplace(key, Entry{*r, t});
      }
    }
    if (node.empty()) return;
    for (Callback& cb : node.mapped()) cb(r);
  });
}

}  // namespace ssai
