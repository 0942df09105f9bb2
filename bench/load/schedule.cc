#include "bench/load/schedule.h"

#include <cmath>
#include <string>

#include "simulator/random.h"

namespace ssai::load {

Result<Arrival> ParseArrival(std::string_view name) {
  if (name == "constant") return Arrival::kConstant;
  if (name == "poisson") return Arrival::kPoisson;
  return Status::InvalidArgument("arrival: must be constant or poisson, got '" + std::string(name) + "'");
}

std::string_view ArrivalName(Arrival arrival) {
  return arrival == Arrival::kConstant ? "constant" : "poisson";
}

Result<std::vector<int64_t>> MakeSchedule(Arrival arrival, double rate_per_s, double duration_s, uint64_t seed) {
  if (!(rate_per_s > 0) || !std::isfinite(rate_per_s)) {
    return Status::InvalidArgument("rate: must be > 0 requests/s, got " + std::to_string(rate_per_s));
  }
  if (!(duration_s > 0) || !std::isfinite(duration_s)) {
    return Status::InvalidArgument("duration: must be > 0 s, got " + std::to_string(duration_s));
  }
  const double expected = rate_per_s * duration_s;
  // Poisson counts exceed the mean by a few standard deviations at most; 2x + 100 is plenty.
  if (expected * 2 + 100 > static_cast<double>(kMaxScheduledRequests)) {
    return Status::InvalidArgument("rate x duration: " + std::to_string(static_cast<int64_t>(expected)) +
                                   " requests is more than one run holds (" +
                                   std::to_string(kMaxScheduledRequests / 2) + ")");
  }
  const double duration_us = duration_s * 1e6;
  const double gap_us = 1e6 / rate_per_s;
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(expected * 1.1) + 16);
  if (arrival == Arrival::kConstant) {
    for (int64_t i = 0;; ++i) {
      const double t = static_cast<double>(i) * gap_us;  // no accumulated rounding
      if (t >= duration_us) break;
      out.push_back(static_cast<int64_t>(t));
    }
    return out;
  }
  sim::Rng rng(seed);
  double t = rng.Exponential(gap_us);
  while (t < duration_us) {
    out.push_back(static_cast<int64_t>(t));
    t += rng.Exponential(gap_us);
  }
  return out;
}

}  // namespace ssai::load
