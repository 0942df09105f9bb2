// In-memory, manually clocked implementations of the core's Env interfaces (reference/ssai/env.h)
// for unit tests: time moves only when a test calls AdvanceTo/AdvanceBy, so a whole ad break can
// be walked through reload by reload. Each fake can be told to fail or to be slow.
//
// The simulator has the realistic models (propagation delays, POP caches, ...); these are the
// smallest things that honour the interfaces' contracts.
#ifndef SSAI_REFERENCE_SSAI_TESTING_FAKE_ENV_H_
#define SSAI_REFERENCE_SSAI_TESTING_FAKE_ENV_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "reference/ssai/env.h"

namespace ssai::testing {

// Runs timers in (time, insertion order) order as the test advances time.
class ManualScheduler : public Scheduler {
 public:
  explicit ManualScheduler(UnixMicros start = 1'700'000'000LL * kMicrosPerSecond) : now_(start) {}
  UnixMicros Now() const override { return now_; }
  TimerId RunAt(UnixMicros when, std::function<void()> fn) override;
  void Cancel(TimerId id) override;
  // Runs everything due up to `t` (including timers those timers schedule), then sets now = t.
  void AdvanceTo(UnixMicros t);
  void AdvanceBy(DurationMicros d) { AdvanceTo(now_ + d); }
  // Runs everything due now (zero-delay completions).
  void RunDue() { AdvanceTo(now_); }
  size_t pending() const { return timers_.size() - cancelled_.size(); }

 private:
  struct Timer {
    UnixMicros when;
    TimerId id;
    bool operator>(const Timer& o) const { return when != o.when ? when > o.when : id > o.id; }
  };
  UnixMicros now_;
  TimerId next_id_ = 1;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  std::map<TimerId, std::function<void()>> fns_;
  std::map<TimerId, bool> cancelled_;
};

// One KV location: a central map with absolute expiry, writes visible after `visibility_delay`,
// optional latency, failure injection and the 1 write/s/key limit. Counts operations.
class FakeKvStore : public KvStore {
 public:
  explicit FakeKvStore(ManualScheduler* scheduler) : sched_(scheduler) {}
  void Get(std::string_view key, const GetOptions& options, GetCallback done) override;
  void GetEntry(std::string_view key, const GetOptions& options, GetEntryCallback done) override;
  void Put(std::string_view key, std::string value, int64_t expiration_ttl_s, DoneCallback done) override;
  void List(std::string_view prefix, ListCallback done) override;
  void Delete(std::string_view key, DoneCallback done) override;

  void set_latency(DurationMicros latency) { latency_ = latency; }
  void set_visibility_delay(DurationMicros delay) { visibility_delay_ = delay; }
  void set_down(bool down) { down_ = down; }
  void set_enforce_write_rate(bool on) { enforce_write_rate_ = on; }

  // What the store holds now, ignoring visibility delay (for assertions).
  std::optional<std::string> Peek(const std::string& key) const;
  std::optional<UnixMicros> ExpiryOf(const std::string& key) const;

  int64_t gets = 0, puts = 0, lists = 0, deletes = 0, rejected_puts = 0;

 private:
  struct Entry {
    std::string value;
    UnixMicros visible_at;
    UnixMicros expires_at;
  };
  void Complete(std::function<void()> fn);
  bool Visible(const Entry& e) const;
  ManualScheduler* sched_;
  std::map<std::string, Entry, std::less<>> entries_;
  std::map<std::string, UnixMicros, std::less<>> last_write_;
  DurationMicros latency_ = 0;
  DurationMicros visibility_delay_ = 0;
  bool down_ = false;
  bool enforce_write_rate_ = true;
};

// Strongly consistent storage that outlives the coordinator objects using it (so a test can
// "restart" a coordinator on the same store). `down` fails every call.
class FakeDurableStore : public DurableStore {
 public:
  explicit FakeDurableStore(ManualScheduler* scheduler) : sched_(scheduler) {}
  void Put(std::string_view key, std::string value, DoneCallback done) override;
  void Delete(std::string_view key, DoneCallback done) override;
  void Scan(std::string_view prefix,
            std::function<void(Result<std::vector<std::pair<std::string, std::string>>>)> done) override;
  void set_latency(DurationMicros latency) { latency_ = latency; }
  void set_down(bool down) { down_ = down; }
  const std::map<std::string, std::string, std::less<>>& contents() const { return data_; }

 private:
  ManualScheduler* sched_;
  std::map<std::string, std::string, std::less<>> data_;
  DurationMicros latency_ = 0;
  bool down_ = false;
};

// Serves whatever body the test put under a URL; unknown URLs get 404.
class FakeOrigin : public OriginClient {
 public:
  explicit FakeOrigin(ManualScheduler* scheduler) : sched_(scheduler) {}
  void Fetch(std::string_view url, Callback done) override;
  void Set(const std::string& url, std::string body, int http_status = 200);
  void set_latency(DurationMicros latency) { latency_ = latency; }
  void set_down(bool down) { down_ = down; }
  int64_t fetches = 0;

 private:
  ManualScheduler* sched_;
  std::map<std::string, Response, std::less<>> bodies_;
  DurationMicros latency_ = 0;
  bool down_ = false;
};

// Answers every request with `decision` after `latency`, or fails, or never answers.
class FakeDecision : public DecisionClient {
 public:
  enum class Behaviour { kAnswer, kFail, kHang };
  explicit FakeDecision(ManualScheduler* scheduler) : sched_(scheduler) {}
  void Decide(const Request& request, Callback done) override;
  AdDecision decision;
  Behaviour behaviour = Behaviour::kAnswer;
  DurationMicros latency = 0;
  std::vector<Request> requests;

 private:
  ManualScheduler* sched_;
  std::vector<Callback> hung_;  // kept so a hung request's callback is never called
};

// Records the beacons the core hands over (beacons.h).
class FakeBeaconSink : public BeaconSink {
 public:
  void Fire(Beacon beacon) override { fired.push_back(std::move(beacon)); }
  std::vector<Beacon> fired;
};

}  // namespace ssai::testing

#endif  // SSAI_REFERENCE_SSAI_TESTING_FAKE_ENV_H_
