#include "simulator/random.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <cstring>

#include <nlohmann/json.hpp>

#include "reference/base/json_input.h"

namespace ssai::sim {

namespace {
inline uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
constexpr double kLn2Hi = 6.93147180369123816490e-01;  // fdlibm split of ln 2
constexpr double kLn2Lo = 1.90821492927058770002e-10;
constexpr double kLn2 = 0.69314718055994530942;
constexpr double kInvLn2 = 1.44269504088896340736;
}  // namespace

Xoshiro256::Xoshiro256(uint64_t seed) {
  SplitMix64 sm(seed);
  for (uint64_t& w : s_) w = sm.Next();
}

uint64_t Xoshiro256::Next() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

void Xoshiro256::Jump() {
  static constexpr uint64_t kJump[] = {0x180ec6d33cfd0abaULL, 0xd5a61266f0c9392cULL,
                                       0xa9582618e03fc9aaULL, 0x39abdc4529b1661cULL};
  std::array<uint64_t, 4> acc{0, 0, 0, 0};
  for (uint64_t word : kJump) {
    for (int b = 0; b < 64; ++b) {
      if (word & (uint64_t{1} << b)) {
        for (int i = 0; i < 4; ++i) acc[i] ^= s_[i];
      }
      Next();
    }
  }
  s_ = acc;
}

double PortableLog(double x) {
  if (!(x > 0)) return x == 0 ? -HUGE_VAL : NAN;
  if (x == HUGE_VAL) return x;
  int e = 0;
  double m = std::frexp(x, &e);  // x = m * 2^e, m in [0.5, 1): exact
  if (m < 0.70710678118654752440) {
    m *= 2;
    --e;
  }
  // log(m) = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.1716.
  const double s = (m - 1) / (m + 1);
  const double s2 = s * s;
  // s (1 + s^2/3 + s^4/5 + ... + s^24/25) by Horner with the reciprocals as constants (one
  // division, not thirteen: the draws were ~10 % of a simulator run); s^26/27 < 1e-20 s.
  static constexpr double kInv[] = {1.0 / 25, 1.0 / 23, 1.0 / 21, 1.0 / 19, 1.0 / 17, 1.0 / 15, 1.0 / 13,
                                    1.0 / 11, 1.0 / 9,  1.0 / 7,  1.0 / 5,  1.0 / 3};
  double p = kInv[0];
  for (size_t k = 1; k < std::size(kInv); ++k) p = p * s2 + kInv[k];
  const double sum = s + s * (s2 * p);
  return e * kLn2Hi + (2 * sum + e * kLn2Lo);
}

double PortableExpReduced(double x, int64_t k) {
  const double kd = static_cast<double>(k);
  const double r = (x - kd * kLn2Hi) - kd * kLn2Lo;
  // 1 + r + r^2/2! + ... + r^14/14! by Horner with 1/n! as constants (each correctly rounded:
  // n! is exact in a double); |r| <= ln2/2 makes r^15/15! < 3e-20.
  static constexpr double kInvFact[] = {1.0 / 87178291200.0, 1.0 / 6227020800.0, 1.0 / 479001600.0,
                                        1.0 / 39916800.0,    1.0 / 3628800.0,    1.0 / 362880.0,
                                        1.0 / 40320.0,       1.0 / 5040.0,       1.0 / 720.0,
                                        1.0 / 120.0,         1.0 / 24.0,         1.0 / 6.0,
                                        1.0 / 2.0,           1.0};
  double p = kInvFact[0];
  for (size_t n = 1; n < std::size(kInvFact); ++n) p = p * r + kInvFact[n];
  const double sum = 1 + r * p;
  const int ki = static_cast<int>(k);
  if (ki > -1022 && ki < 1023) {
    // 2^k as its bits (a normal number): the product is exact, as ldexp's would be.
    const uint64_t bits = static_cast<uint64_t>(ki + 1023) << 52;
    double two_k;
    std::memcpy(&two_k, &bits, sizeof two_k);
    return sum * two_k;
  }
  return std::ldexp(sum, ki);
}

double PortableExp(double x) {
  if (x != x) return x;
  if (x > 709.78) return HUGE_VAL;
  if (x < -745.13) return 0;
  // x = k ln2 + r, |r| <= ln2/2. k = round(x / ln2); x * (1/ln2) is within a few ulp of the
  // quotient, so it rounds to the same k unless the quotient is within 1e-9 of a half-integer,
  // where the division decides (the same k, without a division's latency on most draws).
  double kd = x * kInvLn2;
  if (const double f = kd - static_cast<double>(static_cast<int64_t>(kd)); std::fabs(std::fabs(f) - 0.5) < 1e-9) {
    kd = x / kLn2;
  }
  const double k = kd >= 0 ? static_cast<double>(static_cast<int64_t>(kd + 0.5))
                           : -static_cast<double>(static_cast<int64_t>(-kd + 0.5));
  return PortableExpReduced(x, static_cast<int64_t>(k));
}

Rng Rng::Stream(uint64_t seed, int index) {
  Rng r(seed);
  for (int i = 0; i <= index; ++i) r.engine_.Jump();
  return r;
}

uint64_t Rng::UniformInt(uint64_t n) {
  if (n <= 1) return 0;
  // Rejection of the first (2^64 mod n) values removes the modulo bias.
  const uint64_t threshold = (0 - n) % n;
  while (true) {
    const uint64_t x = engine_.Next();
    if (x >= threshold) return x % n;
  }
}

double Rng::Normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u, v, s;
  do {
    u = 2 * Uniform01() - 1;
    v = 2 * Uniform01() - 1;
    s = u * u + v * v;
  } while (s >= 1 || s == 0);
  const double f = std::sqrt(-2 * PortableLog(s) / s);  // sqrt is correctly rounded (IEEE)
  spare_ = v * f;
  has_spare_ = true;
  return u * f;
}

int64_t Rng::Poisson(double mean) {
  if (!(mean > 0)) return 0;
  if (mean < 30) {
    const double limit = PortableExp(-mean);
    int64_t k = 0;
    double p = Uniform01();
    while (p > limit) {
      ++k;
      p *= Uniform01();
    }
    return k;
  }
  const double x = Normal(mean, std::sqrt(mean));
  return x < 0 ? 0 : static_cast<int64_t>(x + 0.5);
}

int64_t Rng::Binomial(int64_t n, double p) {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (n <= 32) {
    int64_t k = 0;
    for (int64_t i = 0; i < n; ++i) k += Bernoulli(p) ? 1 : 0;
    return k;
  }
  const double mean = static_cast<double>(n) * p;
  int64_t k;
  if (mean < 30) {
    k = Poisson(mean);
  } else {
    const double x = Normal(mean, std::sqrt(mean * (1 - p)));
    k = x < 0 ? 0 : static_cast<int64_t>(x + 0.5);
  }
  return std::min(k, n);
}

// --- Distribution ----------------------------------------------------------------------------

Distribution Distribution::Fixed(double ms) {
  Distribution d;
  d.kind_ = Kind::kFixed;
  d.a_ = ms;
  return d;
}
Distribution Distribution::Uniform(double min_ms, double max_ms) {
  Distribution d;
  d.kind_ = Kind::kUniform;
  d.a_ = min_ms;
  d.b_ = max_ms;
  return d;
}
Distribution Distribution::Exponential(double mean_ms) {
  Distribution d;
  d.kind_ = Kind::kExponential;
  d.a_ = mean_ms;
  return d;
}
Distribution Distribution::Lognormal(double median_ms, double sigma) {
  Distribution d;
  d.kind_ = Kind::kLognormal;
  d.a_ = median_ms;
  d.b_ = sigma;
  return d;
}
Distribution Distribution::Pareto(double xm_ms, double alpha) {
  Distribution d;
  d.kind_ = Kind::kPareto;
  d.a_ = xm_ms;
  d.b_ = alpha;
  return d;
}
Distribution Distribution::Mixture(std::vector<std::pair<double, Distribution>> parts) {
  Distribution d;
  d.kind_ = Kind::kMixture;
  double total = 0;
  for (auto& [w, dist] : parts) total += w;
  double cum = 0;
  for (auto& [w, dist] : parts) {
    cum += total > 0 ? w / total : 0;
    d.parts_.emplace_back(cum, std::move(dist));
  }
  if (!d.parts_.empty()) d.parts_.back().first = 1.0;
  return d;
}
Distribution Distribution::Empirical(std::vector<std::pair<double, double>> points) {
  Distribution d;
  d.kind_ = Kind::kEmpirical;
  d.points_ = std::move(points);
  return d;
}

double Distribution::SampleMs(Rng& rng) const {
  double v = 0;
  switch (kind_) {
    case Kind::kFixed: v = a_; break;
    case Kind::kUniform: v = rng.Uniform(a_, b_); break;
    case Kind::kExponential: v = rng.Exponential(a_); break;
    case Kind::kLognormal: v = a_ * PortableExp(b_ * rng.Normal()); break;
    case Kind::kPareto: v = rng.Pareto(a_, b_); break;
    case Kind::kMixture: {
      const double u = rng.Uniform01();
      for (const auto& [cum, dist] : parts_) {
        if (u < cum) return dist.SampleMs(rng);
      }
      return parts_.empty() ? 0 : parts_.back().second.SampleMs(rng);
    }
    case Kind::kEmpirical: {
      if (points_.empty()) return 0;
      const double u = rng.Uniform01();
      if (u <= points_.front().second) return points_.front().first;
      for (size_t i = 1; i < points_.size(); ++i) {
        const auto& [x1, p1] = points_[i];
        if (u <= p1) {
          const auto& [x0, p0] = points_[i - 1];
          return p1 > p0 ? x0 + (x1 - x0) * (u - p0) / (p1 - p0) : x1;
        }
      }
      v = points_.back().first;
      break;
    }
  }
  return v < 0 ? 0 : v;
}

// Every value a distribution yields is a delay in ms: [0, kMaxDelayMs] (about 11.6 days; a
// negative RTT or a latency past every scenario's duration is a typo, not a model).
constexpr double kMaxDelayMs = 1e9;

double Distribution::CdfMs(double ms) const {
  const auto clamp01 = [](double p) { return p < 0 ? 0.0 : p > 1 ? 1.0 : p; };
  switch (kind_) {
    case Kind::kFixed: return ms >= a_ ? 1 : 0;
    case Kind::kUniform: return b_ > a_ ? clamp01((ms - a_) / (b_ - a_)) : (ms >= a_ ? 1 : 0);
    case Kind::kExponential: return ms <= 0 ? 0 : a_ <= 0 ? 1 : 1 - std::exp(-ms / a_);
    case Kind::kLognormal:
      if (ms <= 0) return 0;
      if (b_ <= 0) return ms >= a_ ? 1 : 0;
      return 0.5 * (1 + std::erf(std::log(ms / a_) / (b_ * std::sqrt(2.0))));
    case Kind::kPareto: return ms < a_ ? 0 : 1 - std::pow(a_ / ms, b_);
    case Kind::kMixture: {
      double p = 0, prev = 0;
      for (const auto& [cum, dist] : parts_) {
        p += (cum - prev) * dist.CdfMs(ms);
        prev = cum;
      }
      return clamp01(p);
    }
    case Kind::kEmpirical: {
      if (points_.empty() || ms < points_.front().first) return 0;
      for (size_t i = 1; i < points_.size(); ++i) {
        const auto& [x1, p1] = points_[i];
        if (ms < x1) {
          const auto& [x0, p0] = points_[i - 1];
          return clamp01(x1 > x0 ? p0 + (p1 - p0) * (ms - x0) / (x1 - x0) : p0);
        }
      }
      return 1;
    }
  }
  return 1;
}

double Distribution::MedianMs() const {
  if (kind_ == Kind::kFixed) return a_;
  double lo = 0, hi = kMaxDelayMs;
  for (int i = 0; i < 100 && hi - lo > 1e-9; ++i) {
    const double mid = lo + (hi - lo) / 2;
    (CdfMs(mid) >= 0.5 ? hi : lo) = mid;
  }
  return std::round(hi * 1000) / 1000;  // to 1 µs
}

DurationMicros Distribution::SampleUs(Rng& rng) const {
  const double ms = SampleMs(rng);
  if (ms > 1e12) return static_cast<DurationMicros>(1e15);  // Pareto tails: cap at ~31 years
  return static_cast<DurationMicros>(ms * 1000.0 + 0.5);
}


Result<Distribution> Distribution::FromJson(const nlohmann::json& j) {
  if (j.is_number()) {
    const double ms = j.get<double>();
    if (!(ms >= 0 && ms <= kMaxDelayMs)) {
      return Status::InvalidArgument("distribution: a fixed delay must be in [0, 1e9] ms, got " + j.dump());
    }
    return Fixed(ms);
  }
  if (!j.is_object()) return Status::InvalidArgument("distribution: must be a number or an object");
  auto kind_it = j.find("kind");
  if (kind_it == j.end() || !kind_it->is_string()) {
    return Status::InvalidArgument(
        "distribution: 'kind' must be one of fixed, uniform, exponential, lognormal, pareto, mixture, empirical");
  }
  const std::string kind = kind_it->get<std::string>();
  // A number in [lo, hi] (lo excluded when `open_lo`), named in the error.
  auto num = [&](const char* key, double lo, double hi, bool open_lo = false) -> Result<double> {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number()) {
      return Status::InvalidArgument(std::string("distribution '") + kind + "': '" + key +
                                     "' must be a number");
    }
    const double v = it->get<double>();
    if (!(open_lo ? v > lo : v >= lo) || !(v <= hi)) {
      return Status::InvalidArgument(std::string("distribution '") + kind + "': '" + key + "' must be in " +
                                     (open_lo ? "(" : "[") + nlohmann::json(lo).dump() + ", " +
                                     nlohmann::json(hi).dump() + "], got " + it->dump());
    }
    return v;
  };
  auto keys = [&](std::initializer_list<std::string_view> allowed) -> Status {
    Status s = CheckKnownKeys(j, "", allowed);
    if (s.ok()) return s;
    return Status::InvalidArgument("distribution '" + kind + "': " + s.message());
  };
  if (kind == "fixed") {
    SSAI_RETURN_IF_ERROR(keys({"kind", "ms"}));
    SSAI_ASSIGN_OR_RETURN(double ms, num("ms", 0, kMaxDelayMs));
    return Fixed(ms);
  }
  if (kind == "uniform") {
    SSAI_RETURN_IF_ERROR(keys({"kind", "min_ms", "max_ms"}));
    SSAI_ASSIGN_OR_RETURN(double lo, num("min_ms", 0, kMaxDelayMs));
    SSAI_ASSIGN_OR_RETURN(double hi, num("max_ms", 0, kMaxDelayMs));
    if (hi < lo) return Status::InvalidArgument("distribution 'uniform': max_ms < min_ms");
    return Uniform(lo, hi);
  }
  if (kind == "exponential") {
    SSAI_RETURN_IF_ERROR(keys({"kind", "mean_ms"}));
    SSAI_ASSIGN_OR_RETURN(double m, num("mean_ms", 0, kMaxDelayMs));
    return Exponential(m);
  }
  if (kind == "lognormal") {
    SSAI_RETURN_IF_ERROR(keys({"kind", "median_ms", "sigma"}));
    SSAI_ASSIGN_OR_RETURN(double m, num("median_ms", 0, kMaxDelayMs, /*open_lo=*/true));
    SSAI_ASSIGN_OR_RETURN(double s, num("sigma", 0, 10));
    return Lognormal(m, s);
  }
  if (kind == "pareto") {
    SSAI_RETURN_IF_ERROR(keys({"kind", "xm_ms", "alpha"}));
    SSAI_ASSIGN_OR_RETURN(double xm, num("xm_ms", 0, kMaxDelayMs, /*open_lo=*/true));
    SSAI_ASSIGN_OR_RETURN(double alpha, num("alpha", 0, 1000, /*open_lo=*/true));
    return Pareto(xm, alpha);
  }
  if (kind == "mixture") {
    SSAI_RETURN_IF_ERROR(keys({"kind", "parts"}));
    auto it = j.find("parts");
    if (it == j.end() || !it->is_array() || it->empty() || it->size() > 1000) {
      return Status::InvalidArgument("distribution 'mixture': 'parts' must be an array of 1..1000 parts");
    }
    std::vector<std::pair<double, Distribution>> parts;
    for (const auto& p : *it) {
      if (!p.is_object() || !p.contains("weight") || !p["weight"].is_number() || !p.contains("dist")) {
        return Status::InvalidArgument("distribution 'mixture': each part needs 'weight' and 'dist'");
      }
      if (Status s = CheckKnownKeys(p, "part", {"weight", "dist"}); !s.ok()) {
        return Status::InvalidArgument("distribution 'mixture': " + s.message());
      }
      const double w = p["weight"].get<double>();
      if (!(w > 0 && w <= 1e9)) {
        return Status::InvalidArgument("distribution 'mixture': 'weight' must be in (0, 1e9], got " + p["weight"].dump());
      }
      // Recursion depth is bounded: every document is checked by CheckJsonNesting (json_text.h) first.
      SSAI_ASSIGN_OR_RETURN(Distribution d, FromJson(p["dist"]));
      parts.emplace_back(w, std::move(d));
    }
    return Mixture(std::move(parts));
  }
  if (kind == "empirical") {
    SSAI_RETURN_IF_ERROR(keys({"kind", "points"}));
    auto it = j.find("points");
    if (it == j.end() || !it->is_array() || it->empty() || it->size() > 100000) {
      return Status::InvalidArgument("distribution 'empirical': 'points' must be an array of 1..100000 points");
    }
    std::vector<std::pair<double, double>> pts;
    for (const auto& p : *it) {
      if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number()) {
        return Status::InvalidArgument("distribution 'empirical': points are [value_ms, cumulative_p]");
      }
      const double x = p[0].get<double>(), c = p[1].get<double>();
      if (!(x >= 0 && x <= kMaxDelayMs) || !(c >= 0 && c <= 1)) {
        return Status::InvalidArgument("distribution 'empirical': value_ms in [0, 1e9] and cumulative_p in [0, 1], got " +
                                       p.dump());
      }
      if (!pts.empty() && (x < pts.back().first || c < pts.back().second)) {
        return Status::InvalidArgument("distribution 'empirical': points must be non-decreasing");
      }
      pts.emplace_back(x, c);
    }
    if (pts.back().second != 1.0) {
      return Status::InvalidArgument("distribution 'empirical': the last cumulative p must be 1");
    }
    return Empirical(std::move(pts));
  }
  return Status::InvalidArgument("distribution: unknown kind '" + kind +
                                 "' (fixed, uniform, exponential, lognormal, pareto, mixture, empirical)");
}

nlohmann::json Distribution::ToJson() const {
  switch (kind_) {
    case Kind::kFixed: return {{"kind", "fixed"}, {"ms", a_}};
    case Kind::kUniform: return {{"kind", "uniform"}, {"min_ms", a_}, {"max_ms", b_}};
    case Kind::kExponential: return {{"kind", "exponential"}, {"mean_ms", a_}};
    case Kind::kLognormal: return {{"kind", "lognormal"}, {"median_ms", a_}, {"sigma", b_}};
    case Kind::kPareto: return {{"kind", "pareto"}, {"xm_ms", a_}, {"alpha", b_}};
    case Kind::kMixture: {
      nlohmann::json parts = nlohmann::json::array();
      double prev = 0;
      for (const auto& [cum, d] : parts_) {
        parts.push_back({{"weight", cum - prev}, {"dist", d.ToJson()}});
        prev = cum;
      }
      return {{"kind", "mixture"}, {"parts", parts}};
    }
    case Kind::kEmpirical: {
      nlohmann::json pts = nlohmann::json::array();
      for (const auto& [x, c] : points_) pts.push_back({x, c});
      return {{"kind", "empirical"}, {"points", pts}};
    }
  }
  return nullptr;
}

}  // namespace ssai::sim
