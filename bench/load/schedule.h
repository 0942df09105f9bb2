// The send schedule of an open-loop load run: every request's intended send time, computed before
// the run starts, so the generator never decides when to send based on how the server is doing.
#ifndef SSAI_BENCH_LOAD_SCHEDULE_H_
#define SSAI_BENCH_LOAD_SCHEDULE_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "reference/base/status.h"

namespace ssai::load {

enum class Arrival {
  kConstant,  // request i at i / rate
  kPoisson,   // exponential gaps with mean 1 / rate (simulator/random.h, seeded)
};
Result<Arrival> ParseArrival(std::string_view name);  // "constant" | "poisson"
std::string_view ArrivalName(Arrival arrival);

// Upper bound on one schedule (memory: 8 bytes a request).
inline constexpr int64_t kMaxScheduledRequests = 20'000'000;

// Intended send times in microseconds from the start of the run, ascending, all < duration.
// Errors name the bad argument (rate <= 0, duration <= 0, more than kMaxScheduledRequests).
Result<std::vector<int64_t>> MakeSchedule(Arrival arrival, double rate_per_s, double duration_s, uint64_t seed);

}  // namespace ssai::load

#endif  // SSAI_BENCH_LOAD_SCHEDULE_H_
