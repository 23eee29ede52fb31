#pragma once
// Exact descriptive statistics over raw samples (definitions in docs/metrics.md, "Statistics").
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace inferbench::metrics {

// Quiet NaN: the value of every statistic that is undefined (reports write it as null).
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Summary of one sample set, in the samples' unit. count == 0 → every value is NaN.
struct Distribution {
  std::size_t count = 0;
  double mean = kNaN;
  double std = kNaN;  // population standard deviation (divides by count, like np.std)
  double min = kNaN;
  double p50 = kNaN;
  double p90 = kNaN;
  double p95 = kNaN;
  double p99 = kNaN;
  double p99_9 = kNaN;
  double max = kNaN;
  // 0: exact (every sample kept). Otherwise the percentiles came from a histogram and are each
  // within this relative error of the exact ones (metrics::SampleSet); count, min and max stay exact.
  double relative_error = 0.0;
};

// Sets the reported percentiles of `d` (p50 … p99.9) from `percentile(p)`, p in [0, 100].
template <class Percentile>
void set_percentiles(Distribution& d, Percentile percentile) {
  d.p50 = percentile(50.0);
  d.p90 = percentile(90.0);
  d.p95 = percentile(95.0);
  d.p99 = percentile(99.0);
  d.p99_9 = percentile(99.9);
}

// The p-th percentile (p in [0, 100], clamped) of ascending-sorted samples, interpolating
// linearly between the closest ranks exactly as numpy's default np.percentile; NaN when empty.
double percentile_sorted(std::span<const double> sorted, double p);

// Ascending samples kept without their zeros: `sorted`, plus `zeros` samples of exactly 0 at
// their place among them (chunks read together are 0 ms apart, which can be nearly all of a fast
// stream's gaps: metrics::SampleSet counts them instead of storing them). Indexed as the
// expanded array.
class SortedWithZeros {
 public:
  SortedWithZeros(std::span<const double> sorted, std::uint64_t zeros);
  std::uint64_t size() const { return sorted_.size() + zeros_; }
  // Where the zeros go: the first element of `sorted` not below 0.
  std::size_t split() const { return split_; }
  double operator[](std::uint64_t i) const {
    if (i < split_) return sorted_[i];
    return i < split_ + zeros_ ? 0.0 : sorted_[i - zeros_];
  }

 private:
  std::span<const double> sorted_;
  std::uint64_t zeros_;
  std::size_t split_;
};

// Describes `samples` (taken by value and sorted in place). Samples must be finite.
Distribution describe(std::vector<double> samples);
// describe() of samples already in ascending order (no copy, no sort), with `zeros` more samples
// of exactly 0 (SortedWithZeros); bit for bit describe() of the expanded array.
Distribution describe_sorted(std::span<const double> sorted, std::uint64_t zeros = 0);

// `weight` equal observations of `value`: a token-weighted ITL sample is one gap spread over the
// chunk's tokens. Kept as one entry so memory follows the chunks received, never a count a
// server reports.
struct WeightedSample {
  double value = 0.0;
  std::uint64_t weight = 1;  // ≥ 1
};

// describe() over the samples expanded (each value repeated `weight`
// times), without expanding them: count is Σ weight, percentiles use numpy's linear method on
// the virtual expanded array. Samples must be finite; zero weights are ignored.
Distribution describe_weighted(std::vector<WeightedSample> samples);

}  // namespace inferbench::metrics
