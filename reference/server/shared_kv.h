// One Workers-KV-like store shared by several in-process servers, each reading it as a location of
// its own (conformance `serve:`: a coordinator and one edge per POP in one process, issue 18).
//
//   coordinator (Server, core thread A) ──Put/Delete──▶ SharedKv (central, mutex) ◀──Get/List── edge "eu" (core thread B)
//                                                                                   ◀──Get/List── edge "us" (core thread C)
//
// A location sees a write once that write's propagation to it has completed: the newest version
// whose `written_at + propagation delay (in effect when it was written)` has passed, so a far POP
// keeps serving the previous value (or the miss) for its delay, as Workers KV does (DESIGN.md "KV
// model"). The rule itself is one function, KvVisibleVersion (reference/ssai/kv_limits.h), which
// the simulator's KvCluster calls too (the builtin target's POPs, with their fixed propagation);
// here it runs on the wall clock, under a mutex. Each operation completes after the location's latency, on
// its own server's Scheduler (its core thread). A location's read cache (cacheTtl, misses
// included) is the server's own CachingKvStore (kv.cache_ttl_s), as with any backend.
//
// Writes keep Workers KV's rules (kv_limits.h): expiration_ttl >= 60 s, at most one write per
// second per key (kResourceExhausted), absolute expiry.
#ifndef SSAI_REFERENCE_SERVER_SHARED_KV_H_
#define SSAI_REFERENCE_SERVER_SHARED_KV_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reference/base/status.h"
#include "reference/base/time.h"
#include "reference/ssai/env.h"

namespace ssai::server {

// The central store: every version of every key, in write order. Thread-safe.
class SharedKv {
 public:
  struct Version {  // the shape KvVisibleVersion reads
    bool deleted = false;
    std::string value;
    UnixMicros written_at = 0;
    UnixMicros expires_at = 0;
  };
  // The propagation delay a location applies to a version written at a given instant.
  using DelayAt = std::function<DurationMicros(UnixMicros written_at)>;

  Status Write(std::string_view key, std::string value, int64_t expiration_ttl_s, UnixMicros now);
  void Remove(std::string_view key, UnixMicros now);
  // The newest version visible at `now` through `delay`: its value and expiry, or nullopt (absent,
  // deleted, expired, or nothing written long enough ago).
  std::optional<KvStore::Entry> Visible(std::string_view key, UnixMicros now, const DelayAt& delay) const;
  std::vector<std::string> VisibleKeys(std::string_view prefix, UnixMicros now, const DelayAt& delay) const;

  int64_t puts() const;
  int64_t rejected_puts() const;

 private:
  std::optional<KvStore::Entry> VisibleLocked(const std::vector<Version>& versions, UnixMicros now,
                                              const DelayAt& delay) const;
  // Bounded memory: versions superseded by a newer one that every location sees are dropped.
  void PruneLocked(std::vector<Version>* versions, UnixMicros now);

  mutable std::mutex mu_;
  std::map<std::string, std::vector<Version>, std::less<>> versions_;
  std::map<std::string, UnixMicros, std::less<>> last_write_;
  int64_t puts_ = 0, rejected_puts_ = 0;
  // The longest propagation delay any location was given: a version older than this by more
  // than its successor is invisible everywhere.
  std::atomic<DurationMicros> max_delay_us_{0};
  friend class SharedKvLocation;
};

// One location (one server) reading and writing `central`. Called on its server's core thread;
// set_propagation_delay / set_latency may be called from any thread (run-time faults).
class SharedKvLocation : public KvStore {
 public:
  SharedKvLocation(SharedKv* central, Scheduler* scheduler, DurationMicros propagation_delay, DurationMicros latency);
  // Applies to versions written from now on (a version already written keeps the delay it had).
  void set_propagation_delay(DurationMicros delay);
  void set_latency(DurationMicros latency) { latency_us_ = latency; }

  void Get(std::string_view key, const GetOptions& options, GetCallback done) override;
  void GetEntry(std::string_view key, const GetOptions& options, GetEntryCallback done) override;
  void Put(std::string_view key, std::string value, int64_t expiration_ttl_s, DoneCallback done) override;
  void List(std::string_view prefix, ListCallback done) override;
  void Delete(std::string_view key, DoneCallback done) override;

  std::atomic<int64_t> gets{0}, hits{0};

 private:
  DurationMicros DelayAt(UnixMicros written_at) const;
  void Complete(std::function<void()> fn);

  SharedKv* central_;
  Scheduler* sched_;
  std::atomic<DurationMicros> latency_us_;
  mutable std::mutex delays_mu_;
  std::vector<std::pair<UnixMicros, DurationMicros>> delays_;  // (from, delay), in time order
};

}  // namespace ssai::server

#endif  // SSAI_REFERENCE_SERVER_SHARED_KV_H_
