#include "reference/server/shared_kv.h"

#include <algorithm>
#include <utility>

#include "reference/ssai/kv_limits.h"

namespace ssai::server {

Status SharedKv::Write(std::string_view key, std::string value, int64_t expiration_ttl_s, UnixMicros now) {
  SSAI_RETURN_IF_ERROR(CheckKvExpirationTtl(expiration_ttl_s));
  std::lock_guard<std::mutex> lock(mu_);
  if (auto last = last_write_.find(key); last != last_write_.end() && KvWriteTooSoon(last->second, now)) {
    ++rejected_puts_;
    return KvWriteRateExceeded(key);
  }
  ++puts_;
  last_write_[std::string(key)] = now;
  std::vector<Version>& versions = versions_[std::string(key)];
  versions.push_back(Version{false, std::move(value), now, now + expiration_ttl_s * kMicrosPerSecond});
  PruneLocked(&versions, now);
  return Status::Ok();
}

void SharedKv::Remove(std::string_view key, UnixMicros now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = versions_.find(key);
  if (it == versions_.end()) return;  // nothing any location could see
  it->second.push_back(Version{true, std::string(), now, now});
  PruneLocked(&it->second, now);
}

void SharedKv::PruneLocked(std::vector<Version>* versions, UnixMicros now) {
  const DurationMicros max_delay = max_delay_us_.load();
  // The newest version every location sees already: everything before it is invisible everywhere.
  for (size_t i = versions->size(); i-- > 0;) {
    if ((*versions)[i].written_at + max_delay <= now) {
      versions->erase(versions->begin(), versions->begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
  }
}

std::optional<KvStore::Entry> SharedKv::VisibleLocked(const std::vector<Version>& versions, UnixMicros now,
                                                      const DelayAt& delay) const {
  const Version* v = KvVisibleVersion(versions, now, [&delay](const Version& x) { return x.written_at + delay(x.written_at); });
  if (v == nullptr) return std::nullopt;
  return KvStore::Entry{v->value, v->expires_at};
}

std::optional<KvStore::Entry> SharedKv::Visible(std::string_view key, UnixMicros now, const DelayAt& delay) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = versions_.find(key);
  if (it == versions_.end()) return std::nullopt;
  return VisibleLocked(it->second, now, delay);
}

std::vector<std::string> SharedKv::VisibleKeys(std::string_view prefix, UnixMicros now, const DelayAt& delay) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> keys;
  for (auto it = versions_.lower_bound(prefix); it != versions_.end() && it->first.starts_with(prefix); ++it) {
    if (VisibleLocked(it->second, now, delay)) keys.push_back(it->first);
  }
  return keys;
}

int64_t SharedKv::puts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return puts_;
}

int64_t SharedKv::rejected_puts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rejected_puts_;
}

SharedKvLocation::SharedKvLocation(SharedKv* central, Scheduler* scheduler, DurationMicros propagation_delay,
                                   DurationMicros latency)
    : central_(central), sched_(scheduler), latency_us_(latency) {
  delays_.emplace_back(0, propagation_delay);
  DurationMicros seen = central_->max_delay_us_.load();
  while (propagation_delay > seen && !central_->max_delay_us_.compare_exchange_weak(seen, propagation_delay)) {
  }
}

void SharedKvLocation::set_propagation_delay(DurationMicros delay) {
  {
    std::lock_guard<std::mutex> lock(delays_mu_);
    delays_.emplace_back(sched_->Now(), delay);
  }
  DurationMicros seen = central_->max_delay_us_.load();
  while (delay > seen && !central_->max_delay_us_.compare_exchange_weak(seen, delay)) {
  }
}

DurationMicros SharedKvLocation::DelayAt(UnixMicros written_at) const {
  std::lock_guard<std::mutex> lock(delays_mu_);
  DurationMicros d = 0;
  for (const auto& [from, delay] : delays_) {
    if (from <= written_at) d = delay;
  }
  return d;
}

void SharedKvLocation::Complete(std::function<void()> fn) {
  const DurationMicros latency = latency_us_.load();
  if (latency <= 0) return fn();
  sched_->RunAt(sched_->Now() + latency, std::move(fn));
}

void SharedKvLocation::Get(std::string_view key, const GetOptions& options, GetCallback done) {
  GetEntry(key, options, ValueOnly(std::move(done)));
}

void SharedKvLocation::GetEntry(std::string_view key, const GetOptions& /*options*/, GetEntryCallback done) {
  ++gets;
  std::optional<KvStore::Entry> entry =
      central_->Visible(key, sched_->Now(), [this](UnixMicros t) { return DelayAt(t); });
  if (entry) ++hits;
  Complete([done = std::move(done), entry = std::move(entry)]() mutable { done(std::move(entry)); });
}

void SharedKvLocation::Put(std::string_view key, std::string value, int64_t expiration_ttl_s, DoneCallback done) {
  Status s = central_->Write(key, std::move(value), expiration_ttl_s, sched_->Now());
  Complete([done = std::move(done), s = std::move(s)] { done(s); });
}

void SharedKvLocation::List(std::string_view prefix, ListCallback done) {
  std::vector<std::string> keys =
      central_->VisibleKeys(prefix, sched_->Now(), [this](UnixMicros t) { return DelayAt(t); });
  Complete([done = std::move(done), keys = std::move(keys)]() mutable { done(std::move(keys)); });
}

void SharedKvLocation::Delete(std::string_view key, DoneCallback done) {
  central_->Remove(key, sched_->Now());
  Complete([done = std::move(done)] { done(Status::Ok()); });
}

}  // namespace ssai::server
