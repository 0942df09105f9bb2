#include "reference/ssai/testing/fake_env.h"
#include "reference/ssai/kv_limits.h"

#include <utility>

namespace ssai::testing {

Scheduler::TimerId ManualScheduler::RunAt(UnixMicros when, std::function<void()> fn) {
  const TimerId id = next_id_++;
  timers_.push({when < now_ ? now_ : when, id});
  fns_.emplace(id, std::move(fn));
  return id;
}

void ManualScheduler::Cancel(TimerId id) {
  if (fns_.count(id)) cancelled_[id] = true;
}

void ManualScheduler::AdvanceTo(UnixMicros t) {
  while (!timers_.empty() && timers_.top().when <= t) {
    const Timer timer = timers_.top();
    timers_.pop();
    auto it = fns_.find(timer.id);
    std::function<void()> fn = std::move(it->second);
    fns_.erase(it);
    if (cancelled_.erase(timer.id)) continue;
    now_ = timer.when;
    fn();
  }
  if (t > now_) now_ = t;
}

void FakeKvStore::Complete(std::function<void()> fn) {
  if (latency_ == 0) {
    fn();
  } else {
    sched_->RunAt(sched_->Now() + latency_, std::move(fn));
  }
}

bool FakeKvStore::Visible(const Entry& e) const {
  const UnixMicros now = sched_->Now();
  return now >= e.visible_at && now < e.expires_at;
}

void FakeKvStore::Get(std::string_view key, const GetOptions& options, GetCallback done) {
  GetEntry(key, options, ValueOnly(std::move(done)));
}

void FakeKvStore::GetEntry(std::string_view key, const GetOptions& options, GetEntryCallback done) {
  ++gets;
  if (down_) return Complete([done] { done(Status::Unavailable("fake KV is down")); });
  std::optional<KvStore::Entry> entry;
  auto it = entries_.find(key);
  if (it != entries_.end() && Visible(it->second)) entry = KvStore::Entry{it->second.value, it->second.expires_at};
  Complete([done, entry] { done(entry); });
}

void FakeKvStore::Put(std::string_view key, std::string value, int64_t expiration_ttl_s,
                      DoneCallback done) {
  ++puts;
  if (down_) return Complete([done] { done(Status::Unavailable("fake KV is down")); });
  if (Status ttl = CheckKvExpirationTtl(expiration_ttl_s); !ttl.ok()) {
    return Complete([done, ttl] { done(ttl); });
  }
  const UnixMicros now = sched_->Now();
  auto last = last_write_.find(key);
  if (enforce_write_rate_ && last != last_write_.end() && KvWriteTooSoon(last->second, now)) {
    ++rejected_puts;
    return Complete([done, status = KvWriteRateExceeded(key)] { done(status); });
  }
  last_write_[std::string(key)] = now;
  entries_[std::string(key)] = {std::move(value), now + visibility_delay_,
                                now + expiration_ttl_s * kMicrosPerSecond};
  Complete([done] { done(Status::Ok()); });
}

void FakeKvStore::List(std::string_view prefix, ListCallback done) {
  ++lists;
  if (down_) return Complete([done] { done(Status::Unavailable("fake KV is down")); });
  std::vector<std::string> keys;
  for (auto it = entries_.lower_bound(prefix); it != entries_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    if (Visible(it->second)) keys.push_back(it->first);
  }
  Complete([done, keys = std::move(keys)] { done(keys); });
}

void FakeKvStore::Delete(std::string_view key, DoneCallback done) {
  ++deletes;
  if (down_) return Complete([done] { done(Status::Unavailable("fake KV is down")); });
  auto it = entries_.find(key);
  if (it != entries_.end()) entries_.erase(it);
  Complete([done] { done(Status::Ok()); });
}

std::optional<std::string> FakeKvStore::Peek(const std::string& key) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || sched_->Now() >= it->second.expires_at) return std::nullopt;
  return it->second.value;
}

std::optional<UnixMicros> FakeKvStore::ExpiryOf(const std::string& key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second.expires_at;
}

namespace {

void After(ManualScheduler* sched, DurationMicros latency, std::function<void()> fn) {
  if (latency == 0) {
    fn();
  } else {
    sched->RunAt(sched->Now() + latency, std::move(fn));
  }
}

}  // namespace

void FakeDurableStore::Put(std::string_view key, std::string value, DoneCallback done) {
  if (down_) return After(sched_, latency_, [done] { done(Status::Unavailable("durable store is down")); });
  data_[std::string(key)] = std::move(value);
  After(sched_, latency_, [done] { done(Status::Ok()); });
}

void FakeDurableStore::Delete(std::string_view key, DoneCallback done) {
  if (down_) return After(sched_, latency_, [done] { done(Status::Unavailable("durable store is down")); });
  auto it = data_.find(key);
  if (it != data_.end()) data_.erase(it);
  After(sched_, latency_, [done] { done(Status::Ok()); });
}

void FakeDurableStore::Scan(
    std::string_view prefix,
    std::function<void(Result<std::vector<std::pair<std::string, std::string>>>)> done) {
  if (down_) return After(sched_, latency_, [done] { done(Status::Unavailable("durable store is down")); });
  std::vector<std::pair<std::string, std::string>> rows;
  for (auto it = data_.lower_bound(prefix); it != data_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    rows.emplace_back(it->first, it->second);
  }
  After(sched_, latency_, [done, rows = std::move(rows)] { done(rows); });
}

void FakeOrigin::Set(const std::string& url, std::string body, int http_status) {
  bodies_[url] = Response{http_status, std::move(body)};
}

void FakeOrigin::Fetch(std::string_view url, Callback done) {
  ++fetches;
  if (down_) return After(sched_, latency_, [done] { done(Status::Unavailable("origin is down")); });
  auto it = bodies_.find(url);
  Response r = it == bodies_.end() ? Response{404, ""} : it->second;
  After(sched_, latency_, [done, r = std::move(r)] { done(r); });
}

void FakeDecision::Decide(const Request& request, Callback done) {
  requests.push_back(request);
  switch (behaviour) {
    case Behaviour::kAnswer:
      After(sched_, latency, [done, d = decision] { done(d); });
      return;
    case Behaviour::kFail:
      After(sched_, latency, [done] { done(Status::Unavailable("decision service failed")); });
      return;
    case Behaviour::kHang:
      hung_.push_back(std::move(done));
      return;
  }
}

}  // namespace ssai::testing
