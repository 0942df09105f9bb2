// Portable, seeded randomness for the simulator: SplitMix64 (seeding), xoshiro256** (the engine,
// with jump() for independent streams) and hand-written distributions. Nothing here uses
// std::*_distribution (their algorithms are implementation-defined, C++ [rand.dist.general]) or
// libm's log/exp (not guaranteed bit-identical across platforms): PortableLog/PortableExp use
// only IEEE-754 +, -, *, /, frexp and ldexp, so the same seed gives the same numbers everywhere.
#ifndef SSAI_SIMULATOR_RANDOM_H_
#define SSAI_SIMULATOR_RANDOM_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "reference/base/splitmix64.h"
#include "reference/base/status.h"
#include "reference/base/time.h"

namespace ssai::sim {

using ::ssai::SplitMix64;  // reference/base/splitmix64.h: seeds the engine

// xoshiro256** 1.0 (prng.di.unimi.it/xoshiro256starstar.c), state seeded from SplitMix64.
class Xoshiro256 {
 public:
  explicit Xoshiro256(uint64_t seed);
  uint64_t Next();
  // Advances 2^128 steps: 2^128 non-overlapping streams from one seed.
  void Jump();
  const std::array<uint64_t, 4>& state() const { return s_; }

 private:
  std::array<uint64_t, 4> s_;
};

// ln(x) and e^x from IEEE arithmetic only (bit-identical on every IEEE-754 platform without FMA
// contraction; the simulator builds with -ffp-contract=off). relative error < 1e-15 (a few ulp).
double PortableLog(double x);
double PortableExp(double x);
// e^x for x = k ln2 + r with the reduction's k given (|r| <= ln2/2): PortableExp's steps after it
// chooses k (random_test checks the choice against the division's).
double PortableExpReduced(double x, int64_t k);

// One random stream with the distributions the models need.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  // Stream `index` of `seed`: the seed's engine jumped index+1 times. Each model gets its own
  // stream, so adding draws in one model never shifts another's numbers.
  static Rng Stream(uint64_t seed, int index);

  uint64_t NextU64() { return engine_.Next(); }
  // [0, 1) with 53 random bits: (x >> 11) * 2^-53.
  double Uniform01() { return static_cast<double>(engine_.Next() >> 11) * 0x1p-53; }
  // (0, 1]: never 0, safe for log.
  double UniformOpen0() { return 1.0 - Uniform01(); }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform01(); }
  // Integer in [0, n) without modulo bias (rejection, then modulo).
  uint64_t UniformInt(uint64_t n);
  bool Bernoulli(double p) { return Uniform01() < p; }
  double Exponential(double mean) { return -mean * PortableLog(UniformOpen0()); }
  // Standard normal by Marsaglia's polar method (log and sqrt only).
  double Normal();
  double Normal(double mean, double stddev) { return mean + stddev * Normal(); }
  // exp(N(mu, sigma)): median e^mu.
  double Lognormal(double mu, double sigma) { return PortableExp(mu + sigma * Normal()); }
  // Pareto type I: x_m * U^(-1/alpha), >= x_m.
  double Pareto(double x_m, double alpha) {
    return x_m * PortableExp(-PortableLog(UniformOpen0()) / alpha);
  }
  // Poisson(mean): inversion by multiplication for mean < 30, normal approximation above.
  int64_t Poisson(double mean);
  // Binomial(n, p): exact Bernoulli sum for n <= 32, else Poisson (small n*p) or normal.
  int64_t Binomial(int64_t n, double p);

 private:
  Xoshiro256 engine_;
  bool has_spare_ = false;
  double spare_ = 0;
};

// A delay distribution from a scenario file, in milliseconds (samples are clamped to >= 0 and
// returned in microseconds). JSON forms:
//   {"kind":"fixed","ms":40}
//   {"kind":"uniform","min_ms":50,"max_ms":200}
//   {"kind":"exponential","mean_ms":10}
//   {"kind":"lognormal","median_ms":41,"sigma":0.5}
//   {"kind":"pareto","xm_ms":1.05,"alpha":1.51}
//   {"kind":"mixture","parts":[{"weight":0.9,"dist":{...}},{"weight":0.1,"dist":{...}}]}
//   {"kind":"empirical","points":[[0,0.0],[1000,0.5],[60000,1.0]]}   (value_ms, cumulative p)
//   a bare number = fixed ms.
class Distribution {
 public:
  enum class Kind { kFixed, kUniform, kExponential, kLognormal, kPareto, kMixture, kEmpirical };
  Distribution() = default;
  static Distribution Fixed(double ms);
  static Distribution Uniform(double min_ms, double max_ms);
  static Distribution Exponential(double mean_ms);
  static Distribution Lognormal(double median_ms, double sigma);
  static Distribution Pareto(double xm_ms, double alpha);
  static Distribution Mixture(std::vector<std::pair<double, Distribution>> parts);
  static Distribution Empirical(std::vector<std::pair<double, double>> points);
  static Result<Distribution> FromJson(const nlohmann::json& j);
  nlohmann::json ToJson() const;

  double SampleMs(Rng& rng) const;
  DurationMicros SampleUs(Rng& rng) const;
  Kind kind() const { return kind_; }
  // The value of a fixed distribution; nullopt otherwise.
  std::optional<double> FixedMs() const { return kind_ == Kind::kFixed ? std::optional<double>(a_) : std::nullopt; }
  // P(X <= ms), and the median (the smallest ms with CdfMs >= 0.5, to 1 µs): the one value a
  // harness takes where it needs one (conformance targets: conformance/README.md "Scenarios").
  double CdfMs(double ms) const;
  double MedianMs() const;

 private:
  Kind kind_ = Kind::kFixed;
  double a_ = 0, b_ = 0;
  std::vector<std::pair<double, Distribution>> parts_;  // mixture: (cumulative weight, dist)
  std::vector<std::pair<double, double>> points_;      // empirical: (value_ms, cumulative p)
};

}  // namespace ssai::sim

#endif  // SSAI_SIMULATOR_RANDOM_H_
