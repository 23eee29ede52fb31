#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "expect_same.hpp"
#include "metrics/stats.hpp"

namespace inferbench::metrics {
namespace {

TEST(Percentile, MatchesNumpyLinearOnSmallArrays) {
  const std::vector<double> a{1, 2, 3, 4};
  // np.percentile([1,2,3,4], 90) = 3.7: index 0.9·3 = 2.7 → 3 + 0.7·(4 − 3).
  EXPECT_NEAR(percentile_sorted(a, 90), 3.7, 1e-12);
  // np.percentile([1,2,3,4], 50) = 2.5: index 1.5 → 2 + 0.5.
  EXPECT_NEAR(percentile_sorted(a, 50), 2.5, 1e-12);
  // np.percentile([1,2,3,4], 25) = 1.75: index 0.75.
  EXPECT_NEAR(percentile_sorted(a, 25), 1.75, 1e-12);
  EXPECT_EQ(percentile_sorted(a, 0), 1.0);
  EXPECT_EQ(percentile_sorted(a, 100), 4.0);

  const std::vector<double> b{15, 20, 35, 40, 50};
  // np.percentile(b, 40) = 29: index 0.4·4 = 1.6 → 20 + 0.6·15.
  EXPECT_NEAR(percentile_sorted(b, 40), 29.0, 1e-12);
  // np.percentile(b, 90) = 46: index 3.6 → 40 + 0.6·10.
  EXPECT_NEAR(percentile_sorted(b, 90), 46.0, 1e-12);
  // np.percentile(b, 99.9) = 49.96: index 3.996 → 40 + 0.996·10.
  EXPECT_NEAR(percentile_sorted(b, 99.9), 49.96, 1e-12);
}

TEST(Percentile, EmptyIsNaN) { EXPECT_TRUE(std::isnan(percentile_sorted(std::vector<double>{}, 50))); }

TEST(Describe, ComputesEveryStatistic) {
  // Unsorted on purpose; sorted it is {2,4,4,4,5,5,7,9}: mean 5, population std exactly 2.
  const Distribution d = describe({9, 4, 2, 5, 4, 7, 4, 5});
  EXPECT_EQ(d.count, 8u);
  EXPECT_DOUBLE_EQ(d.mean, 5.0);
  EXPECT_DOUBLE_EQ(d.std, 2.0);
  EXPECT_EQ(d.min, 2.0);
  EXPECT_EQ(d.max, 9.0);
  EXPECT_NEAR(d.p50, 4.5, 1e-12);      // index 3.5 → 4 + 0.5·1
  EXPECT_NEAR(d.p90, 7.6, 1e-12);      // index 6.3 → 7 + 0.3·2
  EXPECT_NEAR(d.p95, 8.3, 1e-12);      // index 6.65 → 7 + 0.65·2
  EXPECT_NEAR(d.p99, 8.86, 1e-12);     // index 6.93 → 7 + 0.93·2
  EXPECT_NEAR(d.p99_9, 8.986, 1e-12);  // index 6.993 → 7 + 0.993·2
}

TEST(Describe, SingleSample) {
  const Distribution d = describe({42.5});
  EXPECT_EQ(d.count, 1u);
  EXPECT_EQ(d.mean, 42.5);
  EXPECT_EQ(d.std, 0.0);
  EXPECT_EQ(d.min, 42.5);
  EXPECT_EQ(d.p50, 42.5);
  EXPECT_EQ(d.p99_9, 42.5);
  EXPECT_EQ(d.max, 42.5);
}

TEST(Describe, EmptyIsCountZeroAndNaN) {
  const Distribution d = describe({});
  EXPECT_EQ(d.count, 0u);
  for (double v : {d.mean, d.std, d.min, d.p50, d.p90, d.p95, d.p99, d.p99_9, d.max}) {
    EXPECT_TRUE(std::isnan(v));
  }
}

TEST(Describe, StdIsStableForLargeOffsets) {
  // A naive E[x²] − E[x]² loses every digit here; the population std of {o−1, o, o+1} is √(2/3).
  const double o = 1e9;
  const Distribution d = describe({o - 1, o, o + 1});
  EXPECT_NEAR(d.std, std::sqrt(2.0 / 3.0), 1e-6);
}

// Weighted samples describe exactly what their expansion would (numpy on the repeated array).
TEST(DescribeWeighted, EqualsTheExpandedSamples) {
  const std::vector<WeightedSample> weighted{{7.5, 3}, {1.0, 1}, {4.0, 5}, {2.5, 0}, {9.0, 2}, {4.0, 1}};
  std::vector<double> expanded;
  for (const WeightedSample& s : weighted) expanded.insert(expanded.end(), s.weight, s.value);
  const Distribution a = describe_weighted(weighted);
  const Distribution b = describe(expanded);
  EXPECT_EQ(a.count, b.count);
  EXPECT_DOUBLE_EQ(a.mean, b.mean);
  EXPECT_DOUBLE_EQ(a.std, b.std);
  EXPECT_EQ(a.min, b.min);
  EXPECT_EQ(a.max, b.max);
  for (auto p :
       {&Distribution::p50, &Distribution::p90, &Distribution::p95, &Distribution::p99, &Distribution::p99_9}) {
    EXPECT_DOUBLE_EQ(a.*p, b.*p);
  }
}

// Zeros passed as a count describe bit for bit as the array with them in place.
TEST(DescribeSorted, CountedZerosAreTheExpandedArray) {
  const std::vector<double> without{-3.25, -0.5, 0.125, 1.0, 7.5, 40.0};
  for (const std::uint64_t zeros : {0, 1, 2, 1001}) {
    std::vector<double> expanded = without;
    expanded.insert(expanded.begin() + 2, zeros, 0.0);
    testing::expect_same(describe_sorted(without, zeros), describe_sorted(expanded));
    const SortedWithZeros view(without, zeros);
    ASSERT_EQ(view.size(), expanded.size());
    for (std::size_t i = 0; i < expanded.size(); ++i) EXPECT_EQ(view[i], expanded[i]) << i;
  }
  const Distribution only = describe_sorted(std::vector<double>{}, 3);
  EXPECT_EQ(only.count, 3u);
  EXPECT_EQ(only.min, 0.0);
  EXPECT_EQ(only.std, 0.0);
  EXPECT_EQ(only.p99, 0.0);
}

TEST(DescribeWeighted, HugeWeightsNeedNoMemory) {
  const Distribution d = describe_weighted(std::vector<WeightedSample>{{1.0, std::uint64_t{1} << 40}, {3.0, 1}});
  EXPECT_EQ(d.count, (std::size_t{1} << 40) + 1);
  EXPECT_EQ(d.p99_9, 1.0);
  EXPECT_EQ(d.max, 3.0);
  EXPECT_TRUE(std::isnan(describe_weighted(std::vector<WeightedSample>{}).mean));
}

}  // namespace
}  // namespace inferbench::metrics
