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

// Describes `samples` (taken by value and sorted in place). Samples must be finite.
Distribution describe(std::vector<double> samples);
// describe() of samples already in ascending order (no copy, no sort).
Distribution describe_sorted(std::span<const double> sorted);

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
