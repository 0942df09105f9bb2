// Metrics for simulation reports: an HDR-style log-linear histogram (mergeable, weighted records),
// and fixed-interval time series. Plain data, deterministic JSON.
#ifndef SSAI_SIMULATOR_METRICS_H_
#define SSAI_SIMULATOR_METRICS_H_

#include <cstdint>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "reference/base/status.h"

namespace ssai::sim {

// Log-linear buckets (HdrHistogram's layout with 7 sub-bucket bits): values 0..255 exactly, then
// 128 linear sub-buckets per power of two, so any value is represented within 1/128 (< 0.8 %).
// Values are non-negative integers (the simulator records microseconds); negative values are
// recorded as 0. Counts are 64-bit and may be weights (a cohort of viewers).
class Histogram {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr int64_t kSubBuckets = int64_t{1} << kSubBucketBits;

  void Record(int64_t value, int64_t count = 1);
  void Merge(const Histogram& other);

  int64_t count() const { return count_; }
  int64_t min() const { return count_ ? min_ : 0; }
  int64_t max() const { return max_; }
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0; }
  // The value at percentile p in [0, 100]: the highest value equivalent to the bucket holding the
  // ceil(p/100 * count)-th value (HdrHistogram's convention), never above max().
  int64_t Percentile(double p) const;
  // Fraction of recorded counts with value <= v (bucket-resolution).
  double FractionAtOrBelow(int64_t v) const;

  static size_t BucketIndex(int64_t value);
  static int64_t BucketLowest(size_t index);
  static int64_t BucketHighest(size_t index);

  // {"count","min","max","mean","p50","p90","p95","p99","p999","buckets":[[index,count],...]}
  nlohmann::json ToJson() const;
  static Result<Histogram> FromJson(const nlohmann::json& j);
  friend bool operator==(const Histogram&, const Histogram&) = default;

 private:
  std::vector<int64_t> counts_;
  int64_t count_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
  double sum_ = 0;
};

// Sums per fixed interval of virtual time ([i*interval, (i+1)*interval) from the series start).
class TimeSeries {
 public:
  TimeSeries() = default;
  explicit TimeSeries(int64_t interval_us) : interval_us_(interval_us) {}
  void Add(int64_t t_since_start_us, double value);
  double At(size_t i) const { return i < values_.size() ? values_[i] : 0; }
  size_t size() const { return values_.size(); }
  int64_t interval_us() const { return interval_us_; }
  const std::vector<double>& values() const { return values_; }
  void Merge(const TimeSeries& other);

 private:
  int64_t interval_us_ = 1'000'000;
  std::vector<double> values_;
};

}  // namespace ssai::sim

#endif  // SSAI_SIMULATOR_METRICS_H_
