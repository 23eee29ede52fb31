#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "expect_same.hpp"
#include "metrics/sample_set.hpp"
#include "metrics/stats.hpp"

namespace inferbench::metrics {
namespace {

using testing::every_rank;
using testing::expect_same;

// Latency-like samples: a log-normal body around 20 ms with a few slow ones.
std::vector<double> latencies(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> body(std::log(20.0), 0.4);
  std::vector<double> out(n);
  for (auto& x : out) x = body(rng) + ((rng() % 100 == 0) ? 500.0 : 0.0);
  return out;
}

TEST(SampleSet, UpToTheLimitItIsDescribeExactly) {
  const std::vector<double> x = latencies(5000, 1);
  SampleSet set(5000);
  for (double v : x) set.add(v);
  EXPECT_TRUE(set.exact());
  expect_same(set.describe(), describe(x));
  EXPECT_EQ(set.describe().relative_error, 0.0);
}

// describe() and at_ranks() sort the kept samples once, in place: samples added afterwards, in
// any order, and a later weight or fold, still count as if nothing had been asked before.
TEST(SampleSet, AskingMidwayChangesNothing) {
  const std::vector<double> x = latencies(3000, 5);
  SampleSet set(3000);
  std::vector<double> so_far;
  const std::uint64_t ranks[] = {0, 10, 999};
  for (std::size_t i = 0; i < 1000; ++i) {
    set.add(x[i]);
    so_far.push_back(x[i]);
  }
  expect_same(set.describe(), describe(so_far));
  std::vector<double> sorted = so_far;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(set.at_ranks(ranks), (std::vector<double>{sorted[0], sorted[10], sorted[999]}));
  for (std::size_t i = 1000; i < 2000; ++i) {  // after the sort: appended out of order
    set.add(x[i]);
    so_far.push_back(x[i]);
  }
  expect_same(set.describe(), describe(so_far));
  set.add(x[2000], 3);  // now weighted
  std::vector<WeightedSample> weighted;
  weighted.reserve(so_far.size() + 1);
  for (double v : so_far) weighted.push_back({v, 1});
  weighted.push_back({x[2000], 3});
  expect_same(set.describe(), describe_weighted(weighted));
}

// After a describe() the kept samples are sorted: a sample added next is out of order when it
// is below the largest, even if it is above the one added last.
TEST(SampleSet, ASampleAboveTheLastButBelowTheLargestIsOutOfOrder) {
  SampleSet set(10);
  set.add(5.0);
  set.add(1.0);
  EXPECT_EQ(set.describe().max, 5.0);
  set.add(3.0);
  expect_same(set.describe(), describe(std::vector<double>{5.0, 1.0, 3.0}));
  const std::uint64_t ranks[] = {0, 1, 2};
  EXPECT_EQ(set.at_ranks(ranks), (std::vector<double>{1.0, 3.0, 5.0}));
}

// Samples are kept in blocks (an add never moves the ones before it): across many blocks, with
// questions and the first weight in the middle of one, the result is the same as over a vector.
TEST(SampleSet, ManyBlocksDescribeAsOneVector) {
  const std::size_t n = 3 * BlockBuffer<double>::kBlock + 17;
  const std::vector<double> x = latencies(n, 9);
  SampleSet set(n + 1);
  std::vector<WeightedSample> so_far;
  so_far.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t weight = i > n / 2 && i % 5 == 0 ? 4 : 1;
    set.add(x[i], weight);
    so_far.push_back({x[i], weight});
    if (i == BlockBuffer<double>::kBlock + 100) {
      std::vector<double> values;
      values.reserve(so_far.size());
      for (const auto& s : so_far) values.push_back(s.value);
      expect_same(set.describe(), describe(values));
    }
  }
  EXPECT_TRUE(set.exact());
  expect_same(set.describe(), describe_weighted(so_far));
}

TEST(SampleSet, WeightedSamplesAreDescribeWeightedExactly) {
  std::vector<WeightedSample> w;
  SampleSet set(100);
  const std::vector<double> x = latencies(60, 2);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::uint64_t weight = i % 3 == 0 ? 1 : i % 7 + 1;  // the first few are 1: weights come in late
    w.push_back({x[i], weight});
    set.add(x[i], weight);
  }
  set.add(99.0, 0);  // ignored, as describe_weighted ignores it
  expect_same(set.describe(), describe_weighted(w));
}

TEST(SampleSet, AWeightOnTheFirstSampleCounts) {
  SampleSet set(10);
  set.add(2.0, 3);
  set.add(1.0);
  const Distribution d = set.describe();
  EXPECT_EQ(d.count, 4u);
  EXPECT_EQ(d.mean, 1.75);
  EXPECT_EQ(d.p50, 2.0);
}

TEST(SampleSet, PastTheLimitPercentilesAreWithinTheStatedBound) {
  const std::vector<double> x = latencies(200000, 3);
  SampleSet set(1000);
  for (double v : x) set.add(v);
  EXPECT_FALSE(set.exact());
  const Distribution d = set.describe();
  const Distribution exact = describe(x);
  EXPECT_EQ(d.relative_error, kHistogramRelativeError);
  EXPECT_EQ(d.count, exact.count);
  EXPECT_EQ(d.min, exact.min);
  EXPECT_EQ(d.max, exact.max);
  EXPECT_NEAR(d.mean, exact.mean, exact.mean * 1e-12);
  EXPECT_NEAR(d.std, exact.std, exact.std * 1e-9);
  // The bound plus the half nanosecond the histogram rounds samples to.
  const auto within = [&](double got, double want) {
    EXPECT_LE(std::abs(got - want), want * kHistogramRelativeError + 0.5e-6) << got << " vs " << want;
  };
  within(d.p50, exact.p50);
  within(d.p90, exact.p90);
  within(d.p95, exact.p95);
  within(d.p99, exact.p99);
  within(d.p99_9, exact.p99_9);
}

TEST(SampleSet, WeightsPastTheLimitCountAsRepeatedSamples) {
  SampleSet set(1000);
  std::vector<double> expanded;
  const std::vector<double> x = latencies(3000, 4);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::uint64_t weight = i % 4 + 1;
    set.add(x[i], weight);
    expanded.insert(expanded.end(), weight, x[i]);
  }
  const Distribution d = set.describe();
  const Distribution exact = describe(expanded);
  EXPECT_EQ(d.count, exact.count);
  EXPECT_NEAR(d.mean, exact.mean, exact.mean * 1e-12);
  EXPECT_LE(std::abs(d.p99 - exact.p99), exact.p99 * kHistogramRelativeError + 0.5e-6);
}

TEST(SampleSet, TheResultDoesNotDependOnTheOrder) {
  std::vector<double> x = latencies(20000, 5);
  SampleSet forward(1000);
  for (double v : x) forward.add(v);
  std::shuffle(x.begin(), x.end(), std::mt19937_64(6));
  SampleSet shuffled(1000);
  for (double v : x) shuffled.add(v);
  const Distribution a = forward.describe();
  const Distribution b = shuffled.describe();
  // Counts of buckets and the extremes do not depend on the order; the sums only to rounding.
  EXPECT_EQ(a.p50, b.p50);
  EXPECT_EQ(a.p99, b.p99);
  EXPECT_EQ(a.p99_9, b.p99_9);
  EXPECT_EQ(a.min, b.min);
  EXPECT_EQ(a.max, b.max);
  EXPECT_NEAR(a.mean, b.mean, a.mean * 1e-14);
}

TEST(SampleSet, NegativeAndZeroSamplesStayWithinTheExtremes) {
  SampleSet set(1000);
  for (int i = 0; i < 3000; ++i) set.add(i % 3 == 0 ? -0.002 : 0.0);
  const Distribution d = set.describe();
  EXPECT_EQ(d.min, -0.002);
  EXPECT_EQ(d.max, 0.0);
  EXPECT_GE(d.p50, d.min);
  EXPECT_LE(d.p99, d.max);
}

// Samples of exactly 0 are counted, not kept (most ITL samples of chunks read together are 0):
// with negative, zero and positive samples mixed, the order and statistics are a sort's.
TEST(SampleSet, ZerosAmongNegativeAndPositiveSamplesSortAsWithoutThem) {
  std::mt19937_64 rng(3);
  std::vector<double> x = latencies(4000, 9);
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (rng() % 4 != 0) x[i] = 0.0;
    if (rng() % 10 == 0) x[i] = -x[i] - 0.5;
  }
  SampleSet set(x.size());
  for (const double v : x) set.add(v);
  expect_same(set.describe(), describe(x));
  std::vector<double> sorted = x;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(set.at_ranks(every_rank(sorted.size())), sorted);
}

// The zeros are one entry however many there are: a set of 10 entries stays exact with
// 100,000 zeros and 9 other samples.
TEST(SampleSet, ZerosAreOneEntry) {
  SampleSet set(10);
  std::vector<double> x(100000, 0.0);
  for (int i = 1; i <= 9; ++i) x[static_cast<std::size_t>(i) * 1000] = i % 2 == 0 ? 0.5 * i : -0.25 * i;
  for (const double v : x) set.add(v);
  EXPECT_TRUE(set.exact());
  expect_same(set.describe(), describe(x));
  set.add(7.0);  // the eleventh entry
  EXPECT_FALSE(set.exact());
  EXPECT_EQ(set.describe().count, x.size() + 1);
  EXPECT_EQ(set.describe().p50, 0.0);
}

// Weighted zeros count their weight: the set describes as the samples expanded. std is the one
// value summed in another order (the zeros' terms at once), equal to rounding.
TEST(SampleSet, WeightedZerosCountTheirWeight) {
  const std::vector<double> x = latencies(300, 8);
  SampleSet set(1000);
  std::vector<double> expanded;
  std::vector<WeightedSample> weighted;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double v = i % 3 == 0 ? 0.0 : x[i] - 20.0;  // negative, zero and positive
    const std::uint64_t weight = i % 5 + 1;
    set.add(v, weight);
    weighted.push_back({v, weight});
    expanded.insert(expanded.end(), weight, v);
  }
  const Distribution d = set.describe();
  const Distribution want = describe(expanded);
  EXPECT_EQ(d.count, want.count);
  EXPECT_EQ(d.mean, describe_weighted(weighted).mean);
  EXPECT_NEAR(d.std, want.std, want.std * 1e-12);
  EXPECT_EQ(d.min, want.min);
  EXPECT_EQ(d.p50, want.p50);
  EXPECT_EQ(d.p90, want.p90);
  EXPECT_EQ(d.p99, want.p99);
  EXPECT_EQ(d.max, want.max);
  std::sort(expanded.begin(), expanded.end());
  EXPECT_EQ(set.at_ranks(every_rank(expanded.size())), expanded);
}

// Past the limit the counted zeros go into the histogram with the rest.
TEST(SampleSet, ZerosFoldIntoTheHistogram) {
  SampleSet set(100);
  std::vector<double> x = latencies(1000, 10);
  for (std::size_t i = 0; i < x.size(); i += 2) x[i] = 0.0;
  for (const double v : x) set.add(v);
  EXPECT_FALSE(set.exact());
  const Distribution d = set.describe();
  const Distribution exact = describe(x);
  EXPECT_EQ(d.count, exact.count);
  EXPECT_EQ(d.min, 0.0);
  EXPECT_NEAR(d.mean, exact.mean, exact.mean * 1e-12);
  EXPECT_LE(std::abs(d.p90 - exact.p90), exact.p90 * kHistogramRelativeError + 0.5e-6);
  const std::uint64_t ranks[] = {0, 499};
  EXPECT_EQ(set.at_ranks(ranks), (std::vector<double>{0.0, 0.0}));
}

TEST(SampleSet, EmptyIsUndefined) {
  const Distribution d = SampleSet(10).describe();
  EXPECT_EQ(d.count, 0u);
  EXPECT_TRUE(std::isnan(d.mean));
  EXPECT_TRUE(std::isnan(d.p99));
}

}  // namespace
}  // namespace inferbench::metrics
