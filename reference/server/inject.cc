#include "reference/server/inject.h"

#include <string>

#include "reference/base/splitmix64.h"

namespace ssai::server {

DurationMicros InjectedLatencyCoordinatorClient::NextDelayUs() {
  const double u = UnitIntervalFromBits(SplitMix64Next(&rng_state_));  // [0, 1)
  const double ms = static_cast<double>(min_ms_) + static_cast<double>(max_ms_ - min_ms_) * u;
  return static_cast<DurationMicros>(ms * 1000.0);
}

void InjectedLatencyCoordinatorClient::GetChannelState(std::string_view channel_id, StateCallback done) {
  ++calls;
  const DurationMicros delay_us = NextDelayUs();
  if (delay_us <= 0) return inner_->GetChannelState(channel_id, std::move(done));
  sched_->RunAt(sched_->Now() + delay_us, [this, id = std::string(channel_id), done = std::move(done)]() mutable {
    inner_->GetChannelState(id, std::move(done));
  });
}

}  // namespace ssai::server
