#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "core/error.hpp"
#include "metrics/histogram.hpp"
#include "metrics/stats.hpp"

namespace inferbench::metrics {
namespace {

void expect_within_bound(const Histogram& h, std::uint64_t v) {
  const double rep = h.representative(v);
  const double x = static_cast<double>(v);
  EXPECT_LE(std::fabs(rep - x), h.relative_error() * x * (1 + 1e-12)) << "value " << v;
}

TEST(Histogram, RelativeErrorBoundHoldsOverTheWholeRange) {
  for (int bits : {1, 4, Histogram::kDefaultSubBucketBits, 10}) {
    Histogram h(bits);
    EXPECT_DOUBLE_EQ(h.relative_error(), std::ldexp(1.0, -(bits + 1)));
    // Every value below 2^(bits+1) has its own bucket.
    for (std::uint64_t v = 0; v < (std::uint64_t{2} << bits); ++v) {
      EXPECT_EQ(h.representative(v), static_cast<double>(v));
    }
    for (std::uint64_t v = 0; v < 20000; ++v) expect_within_bound(h, v);
    // Both sides of every power of two up to 2^63, where bucket widths change.
    for (int e = 1; e < 64; ++e) {
      const std::uint64_t p = std::uint64_t{1} << e;
      for (std::uint64_t v : {p - 1, p, p + 1, p + p / 3, p + p / 2 - 1}) expect_within_bound(h, v);
    }
    expect_within_bound(h, UINT64_MAX);
    std::mt19937_64 rng(7);
    for (int i = 0; i < 100000; ++i) expect_within_bound(h, rng() >> (rng() % 64));
  }
}

TEST(Histogram, DefaultBoundIsBelowOnePercentAndNotVacuous) {
  Histogram h;
  EXPECT_LT(h.relative_error(), 0.01);
  // Some value must actually be off (buckets are wider than one unit above 2^8).
  double worst = 0.0;
  for (std::uint64_t v = 1000000; v < 1010000; ++v) {
    worst = std::max(worst, std::fabs(h.representative(v) - static_cast<double>(v)) / static_cast<double>(v));
  }
  EXPECT_GT(worst, h.relative_error() / 2);
  EXPECT_LE(worst, h.relative_error());
}

TEST(Histogram, PercentilesStayWithinBoundOfExactNumpyPercentiles) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> log_ns(std::log(1e3), std::log(1e12));  // 1 µs .. 17 min
  Histogram h;
  std::vector<double> exact;
  for (int i = 0; i < 20000; ++i) {
    const auto v = static_cast<std::uint64_t>(std::exp(log_ns(rng)));
    h.record(v);
    exact.push_back(static_cast<double>(v));
  }
  std::sort(exact.begin(), exact.end());
  for (double p : {0.0, 0.1, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.9, 99.99, 100.0}) {
    const double want = percentile_sorted(exact, p);
    EXPECT_LE(std::fabs(h.percentile(p) - want), h.relative_error() * want * (1 + 1e-12)) << "p" << p;
  }
  EXPECT_EQ(h.count(), 20000u);
  EXPECT_EQ(h.min(), exact.front());
  EXPECT_EQ(h.max(), exact.back());
  double sum = 0.0;
  for (double x : exact) sum += x;
  EXPECT_NEAR(h.mean(), sum / 20000.0, 1e-9 * sum / 20000.0);
}

TEST(Histogram, SmallExactValuesGiveExactPercentiles) {
  Histogram h;
  for (std::uint64_t v : {1, 2, 3, 4}) h.record(v);
  EXPECT_NEAR(h.percentile(90), 3.7, 1e-12);  // as np.percentile([1,2,3,4], 90)
  EXPECT_NEAR(h.percentile(50), 2.5, 1e-12);
  EXPECT_EQ(h.mean(), 2.5);
}

TEST(Histogram, MergeEqualsRecordingEverything) {
  std::mt19937_64 rng(3);
  Histogram a, b, all;
  for (int i = 0; i < 5000; ++i) {
    const std::uint64_t v = rng() % 100000000;  // < 0.1 s in ns
    ((i % 3 == 0) ? a : b).record(v);
    all.record(v);
  }
  b.record_n(77, 5);
  all.record_n(77, 5);
  a.merge(b);
  EXPECT_EQ(a.buckets(), all.buckets());
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_NEAR(a.mean(), all.mean(), 1e-9 * all.mean());
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9}) EXPECT_EQ(a.percentile(p), all.percentile(p));
}

TEST(Histogram, MergeIntoEmptyAndOfEmpty) {
  Histogram a, empty;
  a.record(5);
  a.merge(empty);
  EXPECT_EQ(a.count(), 1u);
  EXPECT_EQ(a.min(), 5.0);
  empty.merge(a);
  EXPECT_EQ(empty.min(), 5.0);
  EXPECT_EQ(empty.max(), 5.0);
}

TEST(Histogram, MergeRejectsDifferentLayouts) {
  Histogram a(7), b(6);
  EXPECT_THROW(a.merge(b), Error);
  EXPECT_THROW(Histogram(0), Error);
  EXPECT_THROW(Histogram(17), Error);
}

TEST(Histogram, EmptyIsNaN) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_TRUE(std::isnan(h.percentile(50)));
  EXPECT_TRUE(std::isnan(h.mean()));
  EXPECT_TRUE(std::isnan(h.max()));
  EXPECT_TRUE(std::isnan(h.min()));
  h.record(3);
  h.reset();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_TRUE(std::isnan(h.max()));
}

TEST(Histogram, RecordsDurationsInNanoseconds) {
  Histogram h;
  h.record(std::chrono::milliseconds(2));
  h.record(std::chrono::nanoseconds(-5));  // clamped to 0
  EXPECT_EQ(h.max(), 2e6);
  EXPECT_EQ(h.min(), 0.0);
  EXPECT_EQ(h.count(), 2u);
}

}  // namespace
}  // namespace inferbench::metrics
