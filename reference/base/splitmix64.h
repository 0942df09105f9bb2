// Vigna's SplitMix64 (prng.di.unimi.it/splitmix64.c): the one seeded, portable generator behind
// every reproducible random choice outside the simulator's engine (test case generators, injected
// faults and latencies in the server) and the seeder of the simulator's xoshiro256**. Same seed,
// same sequence on every machine; no std::*_distribution (implementation-defined algorithms).
#ifndef SSAI_BASE_SPLITMIX64_H_
#define SSAI_BASE_SPLITMIX64_H_

#include <cstdint>

namespace ssai {

// Advances *state and returns the next output.
inline uint64_t SplitMix64Next(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The top 53 bits of `bits` as a double in [0, 1), exactly representable.
inline double UnitIntervalFromBits(uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() { return SplitMix64Next(&state_); }
  double NextUnit() { return UnitIntervalFromBits(Next()); }  // [0, 1)
  // Uniform in [lo, hi] (inclusive); the modulo bias (< 2^-40 for test-sized ranges) is irrelevant
  // for the test generators and fault schedules that use it.
  int64_t Range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }

 private:
  uint64_t state_;
};

}  // namespace ssai

#endif  // SSAI_BASE_SPLITMIX64_H_
