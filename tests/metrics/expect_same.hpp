#pragma once
// The metrics tests' exactness checks: two distributions equal to the last bit, field by field,
// and every rank of a sample set.
#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <vector>

#include "metrics/stats.hpp"

namespace inferbench::metrics::testing {

inline void expect_same(const Distribution& a, const Distribution& b) {
  EXPECT_EQ(a.count, b.count);
  EXPECT_EQ(a.mean, b.mean);
  EXPECT_EQ(a.std, b.std);
  EXPECT_EQ(a.min, b.min);
  EXPECT_EQ(a.p50, b.p50);
  EXPECT_EQ(a.p90, b.p90);
  EXPECT_EQ(a.p95, b.p95);
  EXPECT_EQ(a.p99, b.p99);
  EXPECT_EQ(a.p99_9, b.p99_9);
  EXPECT_EQ(a.max, b.max);
  EXPECT_EQ(a.relative_error, b.relative_error);
}

// 0, 1, …, n − 1: every rank of n samples, for at_ranks().
inline std::vector<std::uint64_t> every_rank(std::size_t n) {
  std::vector<std::uint64_t> ranks(n);
  std::iota(ranks.begin(), ranks.end(), std::uint64_t{0});
  return ranks;
}

}  // namespace inferbench::metrics::testing
