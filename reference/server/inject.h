// Fault and latency injection for `ssai serve` benchmarks (config `inject`): the seed's Durable
// Object read latency (50-200 ms per coordinator call) reproduced on loopback, where a coordinator
// call otherwise costs microseconds.
#ifndef SSAI_REFERENCE_SERVER_INJECT_H_
#define SSAI_REFERENCE_SERVER_INJECT_H_

#include <cstdint>

#include "reference/base/time.h"
#include "reference/ssai/env.h"

namespace ssai::server {

// Delays every GetChannelState by a uniform draw from [min_ms, max_ms] before passing it to
// `inner` (the whole round trip is charged up front, so the answer is as fresh as the coordinator
// is when the delay ends); a zero delay passes the call straight on. Seeded SplitMix64: the
// sequence of delays is reproducible. Core thread only (the delay runs on the Scheduler).
class InjectedLatencyCoordinatorClient : public CoordinatorClient {
 public:
  InjectedLatencyCoordinatorClient(CoordinatorClient* inner, Scheduler* scheduler, int64_t min_ms, int64_t max_ms,
                           uint64_t seed = 1)
      : inner_(inner), sched_(scheduler), min_ms_(min_ms), max_ms_(max_ms), rng_state_(seed) {}
  void GetChannelState(std::string_view channel_id, StateCallback done) override;
  // A new range from now on (a run-time fault: this edge's coordinator round trip changes).
  void set_range(int64_t min_ms, int64_t max_ms) {
    min_ms_ = min_ms;
    max_ms_ = max_ms;
  }
  // The next delay, in microseconds (exposed for tests).
  DurationMicros NextDelayUs();
  int64_t calls = 0;

 private:
  CoordinatorClient* inner_;
  Scheduler* sched_;
  int64_t min_ms_;
  int64_t max_ms_;
  uint64_t rng_state_;
};

}  // namespace ssai::server

#endif  // SSAI_REFERENCE_SERVER_INJECT_H_
