#include "metrics/histogram.hpp"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>

#include "core/error.hpp"
#include "metrics/stats.hpp"

namespace inferbench::metrics {

Histogram::Histogram(int sub_bucket_bits) : bits_(sub_bucket_bits) {
  require(sub_bucket_bits >= 1 && sub_bucket_bits <= 16, "histogram sub_bucket_bits must be between 1 and 16");
  sub_count_ = std::uint64_t{1} << bits_;
  // Octaves m = bits_ .. 63 each take sub_count_ buckets, plus sub_count_ exact small values.
  counts_.assign(static_cast<std::size_t>(65 - bits_) * sub_count_, 0);
}

std::size_t Histogram::index_of(std::uint64_t value) const noexcept {
  if (value < sub_count_) return static_cast<std::size_t>(value);
  const int m = std::bit_width(value) - 1;  // value in [2^m, 2^(m+1)), m ≥ bits_
  const int shift = m - bits_;
  // (value >> shift) lies in [2^b, 2^(b+1)); octave m starts at index (m − b + 1) · 2^b.
  return static_cast<std::size_t>(static_cast<std::uint64_t>(shift) * sub_count_ + (value >> shift));
}

double Histogram::bucket_middle(std::size_t index) const noexcept {
  const std::uint64_t i = index;
  if (i < 2 * sub_count_) return static_cast<double>(i);  // width-1 buckets: exact
  const std::uint64_t shift = i / sub_count_ - 1;
  const std::uint64_t unit = i - shift * sub_count_;  // in [2^b, 2^(b+1))
  const double lower = std::ldexp(static_cast<double>(unit), static_cast<int>(shift));
  const double width = std::ldexp(1.0, static_cast<int>(shift));
  // Integers lower .. lower + width − 1 fall here; their middle is at most (width−1)/2 away.
  return lower + (width - 1.0) / 2.0;
}

void Histogram::record_n(std::uint64_t value, std::uint64_t n) noexcept {
  if (n == 0) return;
  counts_[index_of(value)] += n;
  count_ += n;
  sum_ += static_cast<double>(value) * static_cast<double>(n);
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void Histogram::record(Duration d) noexcept {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  record(ns > 0 ? static_cast<std::uint64_t>(ns) : 0);
}

void Histogram::merge(const Histogram& other) {
  require(other.bits_ == bits_, "cannot merge histograms with different sub_bucket_bits");
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void Histogram::reset() noexcept {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  sum_ = 0.0;
  min_ = UINT64_MAX;
  max_ = 0;
}

double Histogram::value_at_rank(std::uint64_t rank) const noexcept {
  // The extreme order statistics are known exactly.
  if (rank == 0) return static_cast<double>(min_);
  if (rank + 1 >= count_) return static_cast<double>(max_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen > rank) {
      // Clamping to the exact extremes can only move the estimate closer to the true value.
      return std::clamp(bucket_middle(i), static_cast<double>(min_), static_cast<double>(max_));
    }
  }
  return static_cast<double>(max_);
}

double Histogram::percentile(double p) const noexcept {
  if (count_ == 0) return kNaN;
  if (!(p > 0.0)) return min();
  if (p >= 100.0) return max();
  // Same virtual index as numpy's linear method, over estimated order statistics.
  const double index = (p / 100.0) * static_cast<double>(count_ - 1);
  const double floor_index = std::floor(index);
  const auto lo = static_cast<std::uint64_t>(floor_index);
  const double t = index - floor_index;
  const double a = value_at_rank(lo);
  if (t == 0.0) return a;
  const double b = value_at_rank(lo + 1);
  return t >= 0.5 ? b - (b - a) * (1.0 - t) : a + (b - a) * t;
}

double Histogram::mean() const noexcept { return count_ == 0 ? kNaN : sum_ / static_cast<double>(count_); }

double Histogram::min() const noexcept { return count_ == 0 ? kNaN : static_cast<double>(min_); }

double Histogram::max() const noexcept { return count_ == 0 ? kNaN : static_cast<double>(max_); }

double Histogram::relative_error() const noexcept { return std::ldexp(1.0, -(bits_ + 1)); }

double Histogram::representative(std::uint64_t value) const noexcept { return bucket_middle(index_of(value)); }

}  // namespace inferbench::metrics
