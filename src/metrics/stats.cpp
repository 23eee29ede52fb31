#include "metrics/stats.hpp"

#include <algorithm>
#include <cmath>

namespace inferbench::metrics {

namespace {

// numpy's two-sided _lerp, so results match it to the last bit where possible.
double numpy_lerp(double a, double b, double t) { return t >= 0.5 ? b - (b - a) * (1.0 - t) : a + (b - a) * t; }

// numpy "linear" (method 7 of Hyndman & Fan) over any ascending sequence with size() and [].
template <class Sorted>
double percentile_of(const Sorted& sorted, double p) {
  const std::uint64_t n = sorted.size();
  if (n == 0) return kNaN;
  if (!(p > 0.0)) return sorted[0];  // also catches NaN p
  if (p >= 100.0) return sorted[n - 1];
  // virtual index (n - 1) * q, q = p / 100.
  const double index = (p / 100.0) * static_cast<double>(n - 1);
  const double floor_index = std::floor(index);
  const auto lo = static_cast<std::uint64_t>(floor_index);
  const std::uint64_t hi = std::min(lo + 1, n - 1);
  const double t = index - floor_index;
  return numpy_lerp(sorted[lo], sorted[hi], t);
}

}  // namespace

SortedWithZeros::SortedWithZeros(std::span<const double> sorted, std::uint64_t zeros)
    : sorted_(sorted),
      zeros_(zeros),
      split_(static_cast<std::size_t>(std::lower_bound(sorted.begin(), sorted.end(), 0.0) - sorted.begin())) {}

double percentile_sorted(std::span<const double> sorted, double p) { return percentile_of(sorted, p); }

Distribution describe(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  return describe_sorted(samples);
}

Distribution describe_sorted(std::span<const double> sorted, std::uint64_t zeros) {
  const SortedWithZeros samples(sorted, zeros);
  Distribution d;
  d.count = static_cast<std::size_t>(samples.size());
  if (d.count == 0) return d;
  const auto n = static_cast<double>(samples.size());
  // Summed in the expanded array's order, so that the result is the same to the last bit: a zero
  // adds nothing to the sum, and its square term is added where it stands.
  double sum = 0.0;
  for (double x : sorted) sum += x;
  d.mean = sum / n;
  double squares = 0.0;  // two-pass variance: stable for the large offsets of latencies
  const auto below = sorted.begin() + static_cast<std::ptrdiff_t>(samples.split());
  for (auto it = sorted.begin(); it != below; ++it) squares += (*it - d.mean) * (*it - d.mean);
  const double zero_term = (0.0 - d.mean) * (0.0 - d.mean);
  for (std::uint64_t i = 0; i < zeros; ++i) squares += zero_term;
  for (auto it = below; it != sorted.end(); ++it) squares += (*it - d.mean) * (*it - d.mean);
  d.std = std::sqrt(squares / n);
  d.min = samples[0];
  d.max = samples[samples.size() - 1];
  set_percentiles(d, [&](double p) { return percentile_of(samples, p); });
  return d;
}

Distribution describe_weighted(std::vector<WeightedSample> samples) {
  std::erase_if(samples, [](const WeightedSample& s) { return s.weight == 0; });
  Distribution d;
  if (samples.empty()) return d;
  // Ties ordered by weight too: the sums below then do not depend on the samples' input order.
  std::sort(samples.begin(), samples.end(), [](const WeightedSample& a, const WeightedSample& b) {
    return a.value < b.value || (a.value == b.value && a.weight < b.weight);
  });
  // ends[i]: one past the last expanded position of samples[i].
  std::vector<std::uint64_t> ends(samples.size());
  std::uint64_t total = 0;
  double sum = 0.0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    total += samples[i].weight;
    ends[i] = total;
    sum += samples[i].value * static_cast<double>(samples[i].weight);
  }
  const auto n = static_cast<double>(total);
  d.count = static_cast<std::size_t>(total);
  d.mean = sum / n;
  double squares = 0.0;
  for (const WeightedSample& s : samples) {
    squares += static_cast<double>(s.weight) * (s.value - d.mean) * (s.value - d.mean);
  }
  d.std = std::sqrt(squares / n);
  d.min = samples.front().value;
  d.max = samples.back().value;
  const auto at = [&](std::uint64_t position) {
    const auto it = std::upper_bound(ends.begin(), ends.end(), position);
    return samples[static_cast<std::size_t>(it - ends.begin())].value;
  };
  const auto percentile = [&](double p) {
    // numpy "linear" on the virtual array, as percentile_sorted does on a real one.
    const double index = (p / 100.0) * (n - 1.0);
    const double floor_index = std::floor(index);
    const auto lo = static_cast<std::uint64_t>(floor_index);
    const std::uint64_t hi = std::min(lo + 1, total - 1);
    const double t = index - floor_index;
    return numpy_lerp(at(lo), at(hi), t);
  };
  set_percentiles(d, percentile);
  return d;
}

}  // namespace inferbench::metrics
