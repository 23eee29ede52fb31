#include "metrics/sample_set.hpp"

#include <algorithm>
#include <cmath>

namespace inferbench::metrics {
namespace {

// A duration in ms as whole nanoseconds for the histogram (negative ones count as 0).
std::uint64_t to_ns(double ms) {
  const double ns = std::round(ms * 1e6);
  if (!(ns > 0.0)) return 0;
  constexpr double kMax = 9.0e18;  // far beyond any duration the client can measure (285 years)
  return static_cast<std::uint64_t>(std::min(ns, kMax));
}

}  // namespace

SampleSet::SampleSet(std::size_t exact_limit) : limit_(std::max<std::size_t>(exact_limit, 1)) {}

void SampleSet::add(double value_ms, std::uint64_t weight) {
  if (weight == 0) return;
  if (count_ == 0) {
    shift_ = value_ms;
    min_ = value_ms;
    max_ = value_ms;
  }
  count_ += weight;
  min_ = std::min(min_, value_ms);
  max_ = std::max(max_, value_ms);

  if (histogram_) {
    add_moments(value_ms, weight);
    histogram_->record_n(to_ns(value_ms), weight);
    return;
  }
  if (value_ms == 0.0) {
    // Chunks read together are exactly 0 ms apart: nearly every gap of a stream read in bulk
    // (4,000,000 of them in a 1,000-token benchmark). Counted, not stored.
    zeros_ += weight;
    if (entries() > limit_) fold_into_histogram();
    return;
  }
  if (weight != 1 && !weighted_) {
    weighted_ = true;
    gather();
    weights_.assign(values_.size(), 1);
  }
  const bool any_kept = added_.size() > 0 || !values_.empty();
  if (values_sorted_ && any_kept && value_ms < last_kept()) values_sorted_ = false;
  added_.push_back(value_ms);
  if (weighted_) added_weights_.push_back(weight);
  if (entries() > limit_) fold_into_histogram();
}

void SampleSet::gather() const {
  added_.move_into(values_);
  added_weights_.move_into(weights_);
}

// In long double: the x87 arithmetic is the slowest part of add(), so the exact path, whose
// describe() does not use the sums, leaves it to fold_into_histogram().
void SampleSet::add_moments(double value_ms, std::uint64_t weight) {
  const long double d = static_cast<long double>(value_ms) - shift_;
  sum_ += d * static_cast<long double>(weight);
  sum_squares_ += d * d * static_cast<long double>(weight);
}

void SampleSet::fold_into_histogram() {
  gather();
  histogram_ = std::make_unique<Histogram>(kHistogramSubBucketBits);
  for (std::size_t i = 0; i < values_.size(); ++i) {
    const std::uint64_t weight = weighted_ ? weights_[i] : 1;
    add_moments(values_[i], weight);
    histogram_->record_n(to_ns(values_[i]), weight);
  }
  if (zeros_ > 0) {
    add_moments(0.0, zeros_);
    histogram_->record_n(0, zeros_);
    zeros_ = 0;
  }
  // swap with empty vectors: clear() would keep the capacity, which is the memory to give back.
  std::vector<double>().swap(values_);
  std::vector<std::uint64_t>().swap(weights_);
}

void SampleSet::sort_values() const {
  if (values_sorted_) return;
  std::sort(values_.begin(), values_.end());
  values_sorted_ = true;
}

Distribution SampleSet::describe() const {
  if (!histogram_) {
    gather();
    if (!weighted_) {
      sort_values();
      return describe_sorted(values_, zeros_);
    }
    return describe_weighted(weighted_samples());
  }
  Distribution d;
  const auto n = static_cast<long double>(count_);
  d.count = static_cast<std::size_t>(count_);
  d.relative_error = kHistogramRelativeError;
  const long double mean_offset = sum_ / n;
  d.mean = static_cast<double>(shift_ + mean_offset);
  d.std = static_cast<double>(std::sqrt(std::max(0.0L, sum_squares_ / n - mean_offset * mean_offset)));
  d.min = min_;
  d.max = max_;
  // Percentiles from the histogram, kept within the exact extremes.
  set_percentiles(d, [&](double p) { return std::clamp(histogram_->percentile(p) / 1e6, min_, max_); });
  return d;
}

// Called after gather().
std::vector<WeightedSample> SampleSet::weighted_samples() const {
  std::vector<WeightedSample> out(values_.size());
  for (std::size_t i = 0; i < values_.size(); ++i) out[i] = {values_[i], weights_[i]};
  if (zeros_ > 0) out.push_back({0.0, zeros_});
  return out;
}

std::vector<double> SampleSet::at_ranks(std::span<const std::uint64_t> ranks) const {
  std::vector<double> out;
  out.reserve(ranks.size());
  if (histogram_) {
    for (const std::uint64_t rank : ranks) out.push_back(std::clamp(histogram_->value_at_rank(rank) / 1e6, min_, max_));
    return out;
  }
  if (count_ == 0) return out;
  gather();
  if (!weighted_) {
    sort_values();
    const SortedWithZeros sorted(values_, zeros_);
    for (const std::uint64_t rank : ranks) out.push_back(sorted[std::min<std::uint64_t>(rank, sorted.size() - 1)]);
    return out;
  }
  std::vector<WeightedSample> sorted = weighted_samples();
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.value < b.value; });
  // Ranks ascend: walk the samples once, `end` one past the current sample's expanded ranks.
  std::size_t at = 0;
  std::uint64_t end = sorted.front().weight;
  for (const std::uint64_t rank : ranks) {
    while (rank >= end && at + 1 < sorted.size()) end += sorted[++at].weight;
    out.push_back(sorted[at].value);
  }
  return out;
}

}  // namespace inferbench::metrics
