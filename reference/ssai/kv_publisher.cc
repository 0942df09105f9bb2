#include "reference/ssai/kv_publisher.h"

#include <algorithm>

#include "reference/ssai/break_records.h"

namespace ssai {

KvPublisher::KvPublisher(Scheduler* scheduler, KvStore* kv, int64_t document_ttl_s, CoordinatorStats* stats)
    : scheduler_(scheduler), kv_(kv), document_ttl_s_(document_ttl_s), stats_(stats) {}

KvPublisher::~KvPublisher() {
  for (auto& [key, w] : writers_) {
    if (w.timer) scheduler_->Cancel(*w.timer);
  }
}

int64_t KvPublisher::BreakTtlS(double duration_s, UnixMicros end_time, UnixMicros now) {
  const DurationMicros left = std::max<DurationMicros>(0, end_time - FloorMillis(now));
  const int64_t left_s = FloorDiv(left + kMicrosPerSecond - 1, kMicrosPerSecond);  // ceil
  return std::min(AdBreakTtlSeconds(duration_s), left_s + kAdBreakTtlMarginS);
}

void KvPublisher::Write(const std::string& key, std::string value, std::optional<UnixMicros> end_time,
                        double duration_s) {
  Hand(key, std::move(value), end_time, duration_s, /*is_delete=*/false);
}

void KvPublisher::Delete(const std::string& key) { Hand(key, "", std::nullopt, 0, /*is_delete=*/true); }

void KvPublisher::Hand(const std::string& key, std::string value, std::optional<UnixMicros> end_time,
                       double duration_s, bool is_delete) {
  retired_.erase(key);  // the key is wanted again
  KeyWriter& w = writers_[key];
  if (w.has_pending || w.in_flight || (w.last_issue && Now() - *w.last_issue < kWriteSpacingUs)) {
    ++stats_->kv_writes_deferred;
  }
  w.latest = is_delete ? std::string() : value;
  w.latest_delete = is_delete;
  w.pending_delete = is_delete;
  w.has_pending = true;
  w.end_time = end_time;
  w.duration_s = duration_s;
  w.backoff = 0;  // a new value goes out at the next free slot
  w.retry_at = 0;
  to_kick_.push_back(key);
}

KvPublisher::Latest KvPublisher::LatestOf(const std::string& key) const {
  auto it = writers_.find(key);
  if (it == writers_.end()) return {};
  return {true, it->second.latest_delete, &it->second.latest};
}

void KvPublisher::Flush() {
  std::vector<std::string> keys;
  keys.swap(to_kick_);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  for (const std::string& k : keys) Kick(k);
}

void KvPublisher::Kick(const std::string& key) {
  auto it = writers_.find(key);
  if (it == writers_.end()) return;
  KeyWriter& w = it->second;
  if (w.in_flight || !w.has_pending || w.timer) return;
  UnixMicros earliest = w.last_issue ? *w.last_issue + kWriteSpacingUs : std::max(Now(), quiet_until_);
  earliest = std::max(earliest, w.retry_at);
  if (earliest > Now()) {
    w.timer = scheduler_->RunAt(earliest, Guard([this, key] {
                                  auto wit = writers_.find(key);
                                  if (wit == writers_.end()) return;
                                  wit->second.timer.reset();
                                  Kick(key);
                                }));
    return;
  }
  Issue(key);
}

void KvPublisher::Issue(const std::string& key) {
  KeyWriter& w = writers_.at(key);
  const UnixMicros now = Now();
  // A break key whose document would already have expired is not worth writing any more.
  if (w.end_time && now >= *w.end_time + kAdBreakTtlMarginS * kMicrosPerSecond && !w.pending_delete) {
    w.has_pending = false;
    std::vector<std::function<void(Status)>> waiters = std::move(w.waiters);
    w.waiters.clear();
    ForgetIfRetired(key);
    for (auto& cb : waiters) cb(Status::DeadlineExceeded("break ended before KV took the write"));
    return;
  }
  w.has_pending = false;
  w.in_flight = true;
  w.last_issue = now;
  w.in_flight_waiters = std::move(w.waiters);
  w.waiters.clear();
  ++stats_->kv_writes;
  const bool is_delete = w.pending_delete;
  const std::string value = w.latest;
  auto on_done = Guard([this, key, value, is_delete](Status s) { OnWritten(key, value, is_delete, s); });
  if (is_delete) {
    kv_->Delete(key, on_done);
  } else {
    const int64_t ttl = w.end_time ? BreakTtlS(w.duration_s, *w.end_time, now) : document_ttl_s_;
    kv_->Put(key, value, ttl, on_done);
  }
}

void KvPublisher::OnWritten(const std::string& key, const std::string& value, bool is_delete, Status s) {
  auto it = writers_.find(key);
  if (it == writers_.end()) return;
  KeyWriter& w = it->second;
  w.in_flight = false;
  w.last_status = s;
  std::vector<std::function<void(Status)>> waiters = std::move(w.in_flight_waiters);
  w.in_flight_waiters.clear();
  if (!s.ok()) {
    ++stats_->kv_write_failures;
    if (!w.has_pending) {
      // Retry the same value later, backing off (1 s, 2 s, ... 30 s) while KV keeps failing.
      w.has_pending = true;
      w.pending_delete = is_delete;
      w.latest = value;
      w.latest_delete = is_delete;
      w.backoff = w.backoff == 0 ? kWriteSpacingUs : std::min(w.backoff * 2, kRetryMaxUs);
      w.retry_at = Now() + w.backoff;
    }
  } else {
    w.backoff = 0;
    w.retry_at = 0;
  }
  if (ForgetIfRetired(key)) {
    for (auto& cb : waiters) cb(s);
    return;
  }
  for (auto& cb : waiters) cb(s);
  Kick(key);
}

void KvPublisher::Forget(const std::string& key) {
  auto w = writers_.find(key);
  if (w == writers_.end()) return;
  if (!w->second.in_flight && !w->second.has_pending) {
    if (w->second.timer) scheduler_->Cancel(*w->second.timer);
    writers_.erase(w);
  } else {
    retired_.insert(key);  // erased once idle (ForgetIfRetired)
  }
}

bool KvPublisher::ForgetIfRetired(const std::string& key) {
  auto it = writers_.find(key);
  if (it == writers_.end() || it->second.in_flight || it->second.has_pending) return false;
  if (retired_.erase(key) == 0) return false;
  if (it->second.timer) scheduler_->Cancel(*it->second.timer);
  writers_.erase(it);
  return true;
}

void KvPublisher::WaitFor(const std::string& key, std::function<void(Status)> cb) {
  auto it = writers_.find(key);
  if (it == writers_.end()) return cb(Status::Ok());
  KeyWriter& w = it->second;
  if (w.has_pending) {
    if (w.retry_at > 0 && !w.last_status.ok()) return cb(w.last_status);
    w.waiters.push_back(std::move(cb));
  } else if (w.in_flight) {
    w.in_flight_waiters.push_back(std::move(cb));
  } else {
    cb(w.last_status);
  }
}

}  // namespace ssai
