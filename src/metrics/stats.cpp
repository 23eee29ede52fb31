#include "metrics/stats.hpp"

#include <algorithm>
#include <cmath>

namespace inferbench::metrics {

double percentile_sorted(std::span<const double> sorted, double p) {
  if (sorted.empty()) return kNaN;
  const std::size_t n = sorted.size();
  if (!(p > 0.0)) return sorted.front();  // also catches NaN p
  if (p >= 100.0) return sorted.back();
  // numpy "linear" (method 7 of Hyndman & Fan): virtual index (n - 1) * q, q = p / 100.
  const double index = (p / 100.0) * static_cast<double>(n - 1);
  const double floor_index = std::floor(index);
  const auto lo = static_cast<std::size_t>(floor_index);
  const std::size_t hi = std::min(lo + 1, n - 1);
  const double t = index - floor_index;
  const double a = sorted[lo];
  const double b = sorted[hi];
  // Same two-sided lerp as numpy's _lerp, so results match it to the last bit where possible.
  return t >= 0.5 ? b - (b - a) * (1.0 - t) : a + (b - a) * t;
}

Distribution describe(std::vector<double> samples) {
  Distribution d;
  d.count = samples.size();
  if (samples.empty()) return d;
  std::sort(samples.begin(), samples.end());
  const double n = static_cast<double>(samples.size());
  double sum = 0.0;
  for (double x : samples) sum += x;
  d.mean = sum / n;
  double squares = 0.0;  // two-pass variance: stable for the large offsets of latencies
  for (double x : samples) squares += (x - d.mean) * (x - d.mean);
  d.std = std::sqrt(squares / n);
  d.min = samples.front();
  d.max = samples.back();
  d.p50 = percentile_sorted(samples, 50.0);
  d.p90 = percentile_sorted(samples, 90.0);
  d.p95 = percentile_sorted(samples, 95.0);
  d.p99 = percentile_sorted(samples, 99.0);
  d.p99_9 = percentile_sorted(samples, 99.9);
  return d;
}

}  // namespace inferbench::metrics
