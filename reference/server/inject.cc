#include "reference/server/inject.h"

#include <string>

namespace ssai::server {

namespace {
uint64_t NextSplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace

DurationMicros InjectedLatencyCoordinatorClient::NextDelayUs() {
  const double u = static_cast<double>(NextSplitMix64(&rng_state_) >> 11) * 0x1.0p-53;  // [0, 1)
  const double ms = static_cast<double>(min_ms_) + static_cast<double>(max_ms_ - min_ms_) * u;
  return static_cast<DurationMicros>(ms * 1000.0);
}

void InjectedLatencyCoordinatorClient::GetChannelState(std::string_view channel_id, StateCallback done) {
  ++calls;
  const DurationMicros delay_us = NextDelayUs();
  sched_->RunAt(sched_->Now() + delay_us, [this, id = std::string(channel_id), done = std::move(done)]() mutable {
    inner_->GetChannelState(id, std::move(done));
  });
}

}  // namespace ssai::server
