#include "reference/ssai/testing/pop_env.h"
#include "reference/ssai/kv_limits.h"

#include <algorithm>
#include <memory>
#include <utility>

namespace ssai::testing {

Status KvCentral::Write(std::string_view key, std::string value, int64_t expiration_ttl_s,
                        std::string_view via) {
  const UnixMicros now = sched_->Now();
  PutRecord record{now, std::string(key), value, expiration_ttl_s, std::string(via), Status::Ok()};
  if (Status ttl = CheckKvExpirationTtl(expiration_ttl_s); !ttl.ok()) {
    record.status = ttl;
  } else if (auto last = last_write_.find(key);
             enforce_write_rate_ && last != last_write_.end() && KvWriteTooSoon(last->second, now)) {
    record.status = KvWriteRateExceeded(key);
  }
  Status status = record.status;
  puts_.push_back(std::move(record));
  if (!status.ok()) return status;
  last_write_[std::string(key)] = now;
  versions_[std::string(key)].push_back(
      Version{std::move(value), now, now + expiration_ttl_s * kMicrosPerSecond, std::string(via)});
  return Status::Ok();
}

Status KvCentral::Remove(std::string_view key, std::string_view via) {
  const UnixMicros now = sched_->Now();
  versions_[std::string(key)].push_back(Version{std::nullopt, now, now, std::string(via)});
  return Status::Ok();
}

const KvCentral::Version* KvCentral::NewestWrittenBy(std::string_view key, UnixMicros as_of) const {
  auto it = versions_.find(key);
  if (it == versions_.end()) return nullptr;
  const Version* best = nullptr;
  for (const Version& v : it->second) {
    if (v.written_at <= as_of) best = &v;  // versions are in write order
  }
  return best;
}

const std::vector<KvCentral::Version>* KvCentral::VersionsOf(std::string_view key) const {
  auto it = versions_.find(key);
  return it == versions_.end() ? nullptr : &it->second;
}

std::vector<std::string> KvCentral::KeysWithPrefix(std::string_view prefix) const {
  std::vector<std::string> keys;
  for (auto it = versions_.lower_bound(prefix); it != versions_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    keys.push_back(it->first);
  }
  return keys;
}

std::optional<std::string> KvCentral::Peek(std::string_view key) const {
  const Version* v = NewestWrittenBy(key, sched_->Now());
  if (v == nullptr || !v->value || sched_->Now() >= v->expires_at) return std::nullopt;
  return v->value;
}

void PopKvStore::set_propagation_delay(DurationMicros delay) {
  delays_.emplace_back(sched_->Now(), delay);
}

DurationMicros PopKvStore::DelayAt(UnixMicros t) const {
  DurationMicros d = 0;
  for (const auto& [from, delay] : delays_) {
    if (from <= t) d = delay;
  }
  return d;
}

std::optional<std::pair<std::string, UnixMicros>> PopKvStore::Visible(std::string_view key) const {
  const UnixMicros now = sched_->Now();
  const std::vector<KvCentral::Version>* versions = central_->VersionsOf(key);
  if (versions == nullptr) return std::nullopt;
  // The newest version whose propagation to this POP has completed.
  for (auto it = versions->rbegin(); it != versions->rend(); ++it) {
    if (it->written_at + DelayAt(it->written_at) > now) continue;
    if (it->value && now < it->expires_at) return std::make_pair(*it->value, it->expires_at);
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<std::string> PopKvStore::PeekVisible(std::string_view key) const {
  auto v = Visible(key);
  if (!v) return std::nullopt;
  return v->first;
}

void PopKvStore::Complete(std::function<void()> fn) {
  if (latency_ == 0) {
    fn();
  } else {
    sched_->RunAt(sched_->Now() + latency_, std::move(fn));
  }
}

void PopKvStore::Get(std::string_view key, const GetOptions& options, GetCallback done) {
  ++gets;
  if (down_) return Complete([done] { done(Status::Unavailable("fake KV is down")); });
  const UnixMicros now = sched_->Now();
  std::optional<std::string> value;
  bool from_cache = false;
  if (honour_cache_ttl_) {
    auto it = cache_.find(key);
    if (it != cache_.end() && now < it->second.cached_until) {
      from_cache = true;
      ++cache_hits;
      if (it->second.value && now < it->second.expires_at) value = it->second.value;
    }
  }
  if (!from_cache) {
    auto v = Visible(key);
    if (v) value = v->first;
    if (honour_cache_ttl_) {
      cache_[std::string(key)] = CacheEntry{value, now + options.cache_ttl_s * kMicrosPerSecond,
                                            v ? v->second : now};
    }
  }
  Complete([done, value = std::move(value)] { done(value); });
}

void PopKvStore::Put(std::string_view key, std::string value, int64_t expiration_ttl_s,
                     DoneCallback done) {
  ++puts;
  if (down_) return Complete([done] { done(Status::Unavailable("fake KV is down")); });
  Status s = central_->Write(key, std::move(value), expiration_ttl_s, pop_);
  // The writer's own location sees its write at once (read-your-writes at one POP).
  cache_.erase(std::string(key));
  Complete([done, s] { done(s); });
}

void PopKvStore::List(std::string_view prefix, ListCallback done) {
  ++lists;
  if (down_) return Complete([done] { done(Status::Unavailable("fake KV is down")); });
  std::vector<std::string> keys;
  for (const std::string& k : central_->KeysWithPrefix(prefix)) {
    if (Visible(k)) keys.push_back(k);
  }
  Complete([done, keys = std::move(keys)] { done(keys); });
}

void PopKvStore::Delete(std::string_view key, DoneCallback done) {
  ++deletes;
  if (down_) return Complete([done] { done(Status::Unavailable("fake KV is down")); });
  Status s = central_->Remove(key, pop_);
  cache_.erase(std::string(key));
  Complete([done, s] { done(s); });
}

void DelayedCoordinatorClient::GetChannelState(std::string_view channel_id, StateCallback done) {
  ++calls;
  const DurationMicros there = rtt_ / 2;
  const DurationMicros back = rtt_ - there;
  auto call = [this, id = std::string(channel_id), done = std::move(done), back]() mutable {
    inner_->GetChannelState(id, [this, done = std::move(done), back](Result<ChannelState> r) mutable {
      if (back == 0) return done(std::move(r));
      auto shared = std::make_shared<Result<ChannelState>>(std::move(r));
      sched_->RunAt(sched_->Now() + back, [done = std::move(done), shared] { done(std::move(*shared)); });
    });
  };
  if (there == 0) return call();
  sched_->RunAt(sched_->Now() + there, std::move(call));
}

}  // namespace ssai::testing
