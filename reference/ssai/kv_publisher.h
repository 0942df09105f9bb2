// The coordinator's KV writer (coordinator.h): hands documents to the KvStore of env.h at the
// pace Workers KV allows, sans-I/O.
//
// One writer per key coalesces writes to <= 1 per second per key (Workers KV limit,
// kv_and_measurement.md §1): a change < 1 s after the last write waits for last + 1 s and carries
// the newest value; a failed write is retried with backoff (1 s doubling to 30 s) unless a newer
// value replaced it. Break keys ("adbreak:...") carry the break's end for their expirationTtl
// (BreakTtlS); other keys (the channel document) get the fixed TTL given at construction.
#ifndef SSAI_REFERENCE_SSAI_KV_PUBLISHER_H_
#define SSAI_REFERENCE_SSAI_KV_PUBLISHER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "reference/base/lifetime.h"
#include "reference/base/status.h"
#include "reference/base/time.h"
#include "reference/ssai/coordinator.h"
#include "reference/ssai/env.h"
#include "reference/ssai/kv_limits.h"

namespace ssai {

class KvPublisher {
 public:
  static constexpr DurationMicros kWriteSpacingUs = kKvMinWriteSpacingUs;  // kv_limits.h
  static constexpr DurationMicros kRetryMaxUs = 30'000'000;

  // `stats`: kv_writes, kv_write_failures and kv_writes_deferred are counted there.
  // `document_ttl_s`: expirationTtl of keys written without an end time.
  KvPublisher(Scheduler* scheduler, KvStore* kv, int64_t document_ttl_s, CoordinatorStats* stats);
  ~KvPublisher();  // cancels the writers' timers; callbacks after it do nothing
  KvPublisher(const KvPublisher&) = delete;
  KvPublisher& operator=(const KvPublisher&) = delete;

  // expirationTtl for a break key: the seed's floor(duration)+60, but never past ~60 s after
  // endTime: min(floor(duration), ceil(seconds from now to endTime)) + 60, so never under 60 (KV's
  // minimum). Written at startTime (or up to a second after it, e.g. after the decision) that is
  // exactly the seed's value (105 for 45 s); a rewrite after an early CUE-IN, or after a restart
  // mid-break, gets a shorter one, so the key goes away ~60 s after the real end instead of
  // floor(new duration)+60 s after the rewrite.
  static int64_t BreakTtlS(double duration_s, UnixMicros end_time, UnixMicros now);

  // Hands a value to the key's writer (end_time: a break key's end, for its TTL; a write that
  // would land after the document's expiry is dropped). Nothing is sent before Flush.
  void Write(const std::string& key, std::string value, std::optional<UnixMicros> end_time, double duration_s = 0);
  void Delete(const std::string& key);
  // Sends what may be sent now (in key order), and arms timers for the rest.
  void Flush();
  // Calls `cb` with how the write of the key's newest value went (at once when nothing is being
  // written, or when the key is in failure backoff: the caller learns of the failure now).
  void WaitFor(const std::string& key, std::function<void(Status)> cb);
  // The key is no longer wanted (its break retired): its writer goes now, or once it is idle.
  void Forget(const std::string& key);
  // No write before `t` (a restarted coordinator does not know when its predecessor last wrote).
  void QuietUntil(UnixMicros t) { quiet_until_ = t; }

  // The newest value handed over for `key` (pending or written); nullopt: never written, or the
  // last thing handed over was a delete.
  struct Latest {
    bool known = false;     // the key has a writer
    bool is_delete = false;
    const std::string* value = nullptr;
  };
  Latest LatestOf(const std::string& key) const;
  size_t writers() const { return writers_.size(); }

 private:
  struct KeyWriter {
    std::optional<UnixMicros> last_issue;
    bool in_flight = false;
    bool has_pending = false;
    bool pending_delete = false;
    std::string latest;  // newest value handed over (pending or written); "" with latest_delete
    bool latest_delete = false;
    std::optional<UnixMicros> end_time;  // break keys: TTL from it; none: document_ttl_s
    double duration_s = 0;               // break keys
    std::optional<Scheduler::TimerId> timer;
    UnixMicros retry_at = 0;
    DurationMicros backoff = 0;
    Status last_status;
    std::vector<std::function<void(Status)>> waiters;            // for the pending value
    std::vector<std::function<void(Status)>> in_flight_waiters;  // for the write in flight
  };
  // Callbacks that run only while this object lives (reference/base/lifetime.h).
  template <typename F>
  auto Guard(F f) { return lifetime_.Guard(std::move(f)); }
  UnixMicros Now() const { return scheduler_->Now(); }
  void Hand(const std::string& key, std::string value, std::optional<UnixMicros> end_time, double duration_s,
            bool is_delete);
  void Kick(const std::string& key);
  void Issue(const std::string& key);
  void OnWritten(const std::string& key, const std::string& value, bool is_delete, Status s);
  // Erases the writer of a forgotten key once nothing is pending or in flight for it. Returns
  // whether it was erased.
  bool ForgetIfRetired(const std::string& key);

  Scheduler* scheduler_;
  KvStore* kv_;
  int64_t document_ttl_s_;
  CoordinatorStats* stats_;
  std::map<std::string, KeyWriter> writers_;
  std::set<std::string> retired_;  // forgotten keys whose writers were busy
  UnixMicros quiet_until_ = 0;
  std::vector<std::string> to_kick_;
  LifetimeToken lifetime_;
};

}  // namespace ssai

#endif  // SSAI_REFERENCE_SSAI_KV_PUBLISHER_H_
