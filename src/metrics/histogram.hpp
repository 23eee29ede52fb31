#pragma once
// A log-linear (HDR-style) histogram of non-negative integer values, mergeable exactly.
//
// Layout: values below 2^(b+1) (b = sub_bucket_bits) each get their own bucket; above that,
// every power-of-two range [2^m, 2^(m+1)) is split into 2^b equal buckets of width 2^(m-b).
// A value is reported as the middle of its bucket, clamped to the exact [min, max] seen.
//
// Relative error bound: for any recorded v, |reported(v) − v| ≤ v / 2^(b+1). With the default
// b = 7 that is 1/256 ≈ 0.39 %. percentile(p) interpolates between two such order-statistic
// estimates, so it is within the same relative bound of numpy's linear percentile over the
// exact samples. min(), max() and count() are exact; mean() is exact up to double rounding.
//
// Memory: (65 − b) · 2^b counters (7424 × 8 bytes = 58 KiB for b = 7), allocated once in the
// constructor; record() is O(1) and never allocates. Not thread-safe: one per worker, merged after.
#include <cstdint>
#include <vector>

#include "core/clock.hpp"

namespace inferbench::metrics {

class Histogram {
 public:
  static constexpr int kDefaultSubBucketBits = 7;  // relative error ≤ 1/256

  // Allocates every bucket. Throws inferbench::Error unless 1 ≤ sub_bucket_bits ≤ 16.
  explicit Histogram(int sub_bucket_bits = kDefaultSubBucketBits);

  // Records one value (in the caller's unit). O(1), no allocation.
  void record(std::uint64_t value) noexcept { record_n(value, 1); }
  // Records `n` occurrences of `value`. O(1), no allocation.
  void record_n(std::uint64_t value, std::uint64_t n) noexcept;
  // Records a duration in nanoseconds (negative durations count as 0). O(1), no allocation.
  void record(Duration d) noexcept;

  // Adds every recording of `other` (exact). Throws inferbench::Error if the layouts differ.
  void merge(const Histogram& other);
  // Forgets every recording; keeps the allocation.
  void reset() noexcept;

  // Number of recorded values.
  std::uint64_t count() const noexcept { return count_; }
  // p-th percentile (p in [0, 100]) in the recorded unit, within relative_error(); NaN if empty.
  double percentile(double p) const noexcept;
  // Estimate of the rank-th smallest recording (0-based, < count()), within relative_error();
  // the extremes exact.
  double value_at_rank(std::uint64_t rank) const noexcept;
  // Mean of the recorded values; NaN if empty.
  double mean() const noexcept;
  // Exact smallest recorded value; NaN if empty.
  double min() const noexcept;
  // Exact largest recorded value; NaN if empty.
  double max() const noexcept;

  // The guaranteed relative error bound, 2^−(b+1).
  double relative_error() const noexcept;
  // The value this histogram reports for a recording of `value` (bucket middle, not clamped).
  double representative(std::uint64_t value) const noexcept;
  // The layout parameter b given at construction (histograms merge only with equal b).
  int sub_bucket_bits() const noexcept { return bits_; }
  // Raw bucket counters (for serialization of shards); index layout as described above.
  const std::vector<std::uint64_t>& buckets() const noexcept { return counts_; }

 private:
  std::size_t index_of(std::uint64_t value) const noexcept;
  double bucket_middle(std::size_t index) const noexcept;

  int bits_;
  std::uint64_t sub_count_;  // 2^bits_
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  double sum_ = 0.0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
};

}  // namespace inferbench::metrics
