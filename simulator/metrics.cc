#include "simulator/metrics.h"

#include <algorithm>
#include <bit>

#include <nlohmann/json.hpp>

namespace ssai::sim {

size_t Histogram::BucketIndex(int64_t value) {
  if (value < 2 * kSubBuckets) return static_cast<size_t>(value < 0 ? 0 : value);
  const int msb = 63 - std::countl_zero(static_cast<uint64_t>(value));
  const int shift = msb - kSubBucketBits;  // >= 1
  const int64_t sub = value >> shift;      // in [kSubBuckets, 2*kSubBuckets)
  return static_cast<size_t>(2 * kSubBuckets + (shift - 1) * kSubBuckets + (sub - kSubBuckets));
}

int64_t Histogram::BucketLowest(size_t index) {
  const int64_t i = static_cast<int64_t>(index);
  if (i < 2 * kSubBuckets) return i;
  const int64_t shift = (i - 2 * kSubBuckets) / kSubBuckets + 1;
  const int64_t sub = (i - 2 * kSubBuckets) % kSubBuckets + kSubBuckets;
  return sub << shift;
}

int64_t Histogram::BucketHighest(size_t index) {
  const int64_t i = static_cast<int64_t>(index);
  if (i < 2 * kSubBuckets) return i;
  const int64_t shift = (i - 2 * kSubBuckets) / kSubBuckets + 1;
  return BucketLowest(index) + (int64_t{1} << shift) - 1;
}

void Histogram::Record(int64_t value, int64_t count) {
  if (count <= 0) return;
  if (value < 0) value = 0;
  const size_t idx = BucketIndex(value);
  if (idx >= counts_.size()) counts_.resize(idx + 1, 0);
  counts_[idx] += count;
  if (count_ == 0 || value < min_) min_ = value;
  if (value > max_) max_ = value;
  count_ += count;
  sum_ += static_cast<double>(value) * static_cast<double>(count);
}

void Histogram::Merge(const Histogram& other) {
  if (other.count_ == 0) return;
  if (other.counts_.size() > counts_.size()) counts_.resize(other.counts_.size(), 0);
  for (size_t i = 0; i < other.counts_.size(); ++i) counts_[i] += other.counts_[i];
  if (count_ == 0 || other.min_ < min_) min_ = other.min_;
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

int64_t Histogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  int64_t rank = static_cast<int64_t>(p / 100.0 * static_cast<double>(count_) + 0.999999999);
  rank = std::clamp<int64_t>(rank, 1, count_);
  int64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(BucketHighest(i), max_);
  }
  return max_;
}

double Histogram::FractionAtOrBelow(int64_t v) const {
  if (count_ == 0) return 0;
  int64_t below = 0;
  const size_t last = BucketIndex(v);
  for (size_t i = 0; i < counts_.size() && i <= last; ++i) below += counts_[i];
  return static_cast<double>(below) / static_cast<double>(count_);
}

nlohmann::json Histogram::ToJson() const {
  nlohmann::json buckets = nlohmann::json::array();
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] != 0) buckets.push_back({i, counts_[i]});
  }
  return {{"count", count_}, {"min", min()}, {"max", max_}, {"mean", mean()},
          {"p50", Percentile(50)}, {"p90", Percentile(90)}, {"p95", Percentile(95)},
          {"p99", Percentile(99)}, {"p999", Percentile(99.9)}, {"sum", sum_}, {"buckets", buckets}};
}

Result<Histogram> Histogram::FromJson(const nlohmann::json& j) {
  Histogram h;
  if (!j.is_object() || !j.contains("buckets") || !j["buckets"].is_array()) {
    return Status::InvalidArgument("histogram: 'buckets' must be an array");
  }
  for (const auto& b : j["buckets"]) {
    if (!b.is_array() || b.size() != 2 || !b[0].is_number_unsigned() || !b[1].is_number_integer()) {
      return Status::InvalidArgument("histogram: buckets are [index, count]");
    }
    const size_t idx = b[0].get<size_t>();
    if (idx > 10000) return Status::InvalidArgument("histogram: bucket index out of range");
    // A shard report is input (ssai sim merge): counts are bounded so the sums cannot overflow.
    if (b[1].get<int64_t>() < 0 || b[1].get<int64_t>() > (int64_t{1} << 50)) {
      return Status::InvalidArgument("histogram: bucket count out of range [0, 2^50]");
    }
    if (idx >= h.counts_.size()) h.counts_.resize(idx + 1, 0);
    h.counts_[idx] += b[1].get<int64_t>();
    h.count_ += b[1].get<int64_t>();
  }
  h.min_ = j.value("min", int64_t{0});
  h.max_ = j.value("max", int64_t{0});
  h.sum_ = j.value("sum", 0.0);
  return h;
}

void TimeSeries::Add(int64_t t_since_start_us, double value) {
  if (t_since_start_us < 0) t_since_start_us = 0;
  const size_t i = static_cast<size_t>(t_since_start_us / interval_us_);
  if (i >= values_.size()) values_.resize(i + 1, 0.0);
  values_[i] += value;
}

void TimeSeries::Merge(const TimeSeries& other) {
  if (other.values_.size() > values_.size()) values_.resize(other.values_.size(), 0.0);
  for (size_t i = 0; i < other.values_.size(); ++i) values_[i] += other.values_[i];
}

}  // namespace ssai::sim
