// Multi-POP additions to the fakes of fake_env.h, for in-process deployments with several edges
// (the conformance suite's builtin target): one central KV map seen from each POP through its own
// propagation delay (and optionally its own read cache honouring cacheTtl, misses included), and a
// CoordinatorClient that adds a POP's round trip to the coordinator via the scheduler.
//
// These are small, deterministic stand-ins, not the simulator's KV model: no random delays, no
// rate-limited lists. Time moves only through the ManualScheduler.
#ifndef SSAI_REFERENCE_SSAI_TESTING_POP_ENV_H_
#define SSAI_REFERENCE_SSAI_TESTING_POP_ENV_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reference/ssai/env.h"
#include "reference/ssai/testing/fake_env.h"

namespace ssai::testing {

// The central store: every version of every key, with absolute expiry (Workers KV
// expirationTtl), the 60 s TTL minimum and the 1 write/s/key limit. Records every write attempt
// so a test can check the TTLs the coordinator asked for.
class KvCentral {
 public:
  struct Version {
    std::optional<std::string> value;  // nullopt: a delete (tombstone)
    UnixMicros written_at = 0;
    UnixMicros expires_at = 0;
    std::string via;  // the location that wrote it
  };
  struct PutRecord {
    UnixMicros time = 0;
    std::string key;
    std::string value;
    int64_t ttl_s = 0;
    std::string via;
    Status status;
  };

  explicit KvCentral(Scheduler* scheduler) : sched_(scheduler) {}

  Status Write(std::string_view key, std::string value, int64_t expiration_ttl_s, std::string_view via);
  Status Remove(std::string_view key, std::string_view via);

  // The newest version written at or before `as_of` (nullptr when none).
  const Version* NewestWrittenBy(std::string_view key, UnixMicros as_of) const;
  // Every version of `key` in write order (nullptr when never written).
  const std::vector<Version>* VersionsOf(std::string_view key) const;
  // Every key with `prefix` that has any version.
  std::vector<std::string> KeysWithPrefix(std::string_view prefix) const;

  // The value now, ignoring propagation (nullopt: absent, deleted or expired).
  std::optional<std::string> Peek(std::string_view key) const;
  const std::vector<PutRecord>& puts() const { return puts_; }
  void set_enforce_write_rate(bool on) { enforce_write_rate_ = on; }

 private:
  Scheduler* sched_;
  std::map<std::string, std::vector<Version>, std::less<>> versions_;
  std::map<std::string, UnixMicros, std::less<>> last_write_;
  std::vector<PutRecord> puts_;
  bool enforce_write_rate_ = true;
};

// One POP's view of a KvCentral. A version written at time w is visible here from
// w + propagation delay (the delay in force at w, so changing it later never hides a version
// already seen). Reads can be cached per key for GetOptions::cache_ttl_s, misses included
// (negative caching), as Workers KV does; a cached value still disappears at its expiry.
class PopKvStore : public KvStore {
 public:
  PopKvStore(ManualScheduler* scheduler, KvCentral* central, std::string pop)
      : sched_(scheduler), central_(central), pop_(std::move(pop)) {}

  void Get(std::string_view key, const GetOptions& options, GetCallback done) override;
  void Put(std::string_view key, std::string value, int64_t expiration_ttl_s, DoneCallback done) override;
  void List(std::string_view prefix, ListCallback done) override;
  void Delete(std::string_view key, DoneCallback done) override;

  // Versions written from now on reach this POP after `delay`.
  void set_propagation_delay(DurationMicros delay);
  void set_latency(DurationMicros latency) { latency_ = latency; }
  void set_honour_cache_ttl(bool on) { honour_cache_ttl_ = on; }
  void set_down(bool down) { down_ = down; }
  const std::string& pop() const { return pop_; }

  // The value as this POP sees it now, bypassing its cache (for assertions).
  std::optional<std::string> PeekVisible(std::string_view key) const;

  int64_t gets = 0, puts = 0, lists = 0, deletes = 0, cache_hits = 0;

 private:
  struct CacheEntry {
    std::optional<std::string> value;
    UnixMicros cached_until = 0;
    UnixMicros expires_at = 0;
  };
  DurationMicros DelayAt(UnixMicros t) const;
  // The newest version visible here now (written at w, w + delay(w) <= now), if live.
  std::optional<std::pair<std::string, UnixMicros>> Visible(std::string_view key) const;
  void Complete(std::function<void()> fn);

  ManualScheduler* sched_;
  KvCentral* central_;
  std::string pop_;
  std::vector<std::pair<UnixMicros, DurationMicros>> delays_;  // (from, delay), ascending
  DurationMicros latency_ = 0;
  bool honour_cache_ttl_ = false;
  bool down_ = false;
  std::map<std::string, CacheEntry, std::less<>> cache_;
};

// A CoordinatorClient that reaches `inner` after half the round trip and answers after the other
// half (the edge -> Durable Object RTT of one POP). `inner` may be swapped (coordinator restart).
class DelayedCoordinatorClient : public CoordinatorClient {
 public:
  DelayedCoordinatorClient(Scheduler* scheduler, CoordinatorClient* inner, DurationMicros rtt)
      : sched_(scheduler), inner_(inner), rtt_(rtt) {}
  void GetChannelState(std::string_view channel_id, StateCallback done) override;
  void set_rtt(DurationMicros rtt) { rtt_ = rtt; }
  int64_t calls = 0;

 private:
  Scheduler* sched_;
  CoordinatorClient* inner_;
  DurationMicros rtt_;
};

}  // namespace ssai::testing

#endif  // SSAI_REFERENCE_SSAI_TESTING_POP_ENV_H_
