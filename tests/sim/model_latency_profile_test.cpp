#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "sim/model/latency_profile.hpp"

namespace inferbench::sim {
namespace {

TEST(LatencyProfile, LoadFactorIsLinearInRunningRequests) {
  LatencyProfileConfig c;
  c.time_factor_under_load = 3.0;
  c.max_num_seqs = 11;
  const LatencyProfile p(c);
  EXPECT_DOUBLE_EQ(p.load_factor(1), 1.0);
  EXPECT_DOUBLE_EQ(p.load_factor(6), 2.0);
  EXPECT_DOUBLE_EQ(p.load_factor(11), 3.0);
  c.max_num_seqs = 1;
  EXPECT_DOUBLE_EQ(LatencyProfile(c).load_factor(1), 1.0);
}

TEST(LatencyProfile, ConstantTtftScaledByLoad) {
  LatencyProfileConfig c;
  c.time_to_first_token_s = 0.1;
  c.inter_token_latency_s = 0.01;
  c.time_factor_under_load = 2.0;
  c.max_num_seqs = 5;
  const LatencyProfile p(c);
  Rng rng = make_rng(1, 0);
  EXPECT_DOUBLE_EQ(p.time_to_first_token(1000, 0, 1, rng), 0.1);
  EXPECT_DOUBLE_EQ(p.time_to_first_token(1000, 0, 5, rng), 0.2);
  EXPECT_DOUBLE_EQ(p.inter_token_latency(3, rng), 0.015);
}

TEST(LatencyProfile, PerTokenTtftCountsUncachedTokens) {
  LatencyProfileConfig c;
  c.prefill_overhead_s = 0.03;
  c.prefill_time_per_token_s = 0.0002;
  c.time_factor_under_load = 2.0;
  c.max_num_seqs = 3;
  const LatencyProfile p(c);  // kAuto: TTFT is 0, so per-token
  Rng rng = make_rng(1, 0);
  EXPECT_DOUBLE_EQ(p.time_to_first_token(256, 0, 1, rng), 0.03 + 256 * 0.0002);
  EXPECT_DOUBLE_EQ(p.time_to_first_token(256, 200, 1, rng), 0.03 + 56 * 0.0002);
  EXPECT_DOUBLE_EQ(p.time_to_first_token(256, 0, 3, rng), 2 * (0.03 + 256 * 0.0002));
  c.calculator = LatencyCalculator::kConstant;
  c.time_to_first_token_s = 0.05;
  EXPECT_DOUBLE_EQ(LatencyProfile(c).time_to_first_token(256, 0, 1, rng), 0.05);
  c.calculator = LatencyCalculator::kPerToken;
  EXPECT_DOUBLE_EQ(LatencyProfile(c).time_to_first_token(10, 0, 1, rng), 0.03 + 10 * 0.0002);
}

TEST(LatencyProfile, RemotePrefillUsesKvTransferWithoutLoad) {
  LatencyProfileConfig c;
  c.kv_cache_transfer_time_per_token_s = 1e-5;
  c.time_factor_under_load = 3.0;
  c.max_num_seqs = 2;
  Rng rng = make_rng(1, 0);
  EXPECT_DOUBLE_EQ(LatencyProfile(c).time_to_first_token(1000, 0, 2, rng, true), 0.01);
  c.kv_cache_transfer_latency_s = 0.004;
  EXPECT_DOUBLE_EQ(LatencyProfile(c).time_to_first_token(1000, 0, 2, rng, true), 0.004);
}

TEST(LatencyProfile, SamplesAreTruncatedGaussian) {
  Rng rng = make_rng(42, 3);
  double sum = 0, sq = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const double x = truncated_normal(10.0, 3.0, rng);
    ASSERT_GE(x, 3.0);
    ASSERT_LE(x, 17.0);
    sum += x;
    sq += x * x;
  }
  const double mean = sum / n;
  const double sd = std::sqrt(sq / n - mean * mean);
  EXPECT_NEAR(mean, 10.0, 0.1);
  EXPECT_NEAR(sd, 3.0, 0.15);
  EXPECT_DOUBLE_EQ(truncated_normal(10.0, 0.0, rng), 10.0);
}

TEST(LatencyProfile, SampleIsReproducibleFromSeed) {
  LatencyProfileConfig c;
  c.time_to_first_token_s = 0.1;
  c.time_to_first_token_std_dev_s = 0.02;
  c.inter_token_latency_s = 0.01;
  c.inter_token_latency_std_dev_s = 0.003;
  const LatencyProfile p(c);
  std::vector<double> g1, g2, g3;
  Rng a = make_rng(7, 1), b = make_rng(7, 1), d = make_rng(8, 1);
  const double t1 = p.sample(100, 0, 50, 1, a, g1);
  const double t2 = p.sample(100, 0, 50, 1, b, g2);
  p.sample(100, 0, 50, 1, d, g3);
  EXPECT_EQ(g1.size(), 49u);
  EXPECT_EQ(t1, t2);
  EXPECT_EQ(g1, g2);
  EXPECT_NE(g1, g3);
  for (double g : g1) {
    EXPECT_GE(g, 0.003);
    EXPECT_LE(g, 0.017);
  }
}

TEST(LatencyProfile, RejectsBadParameters) {
  LatencyProfileConfig c;
  c.time_to_first_token_s = 0.1;
  c.time_to_first_token_std_dev_s = 0.031;  // > 30%
  EXPECT_THROW(LatencyProfile{c}, Error);
  c = {};
  c.inter_token_latency_s = -0.01;
  EXPECT_THROW(LatencyProfile{c}, Error);
  c = {};
  c.time_factor_under_load = 0.5;
  EXPECT_THROW(LatencyProfile{c}, Error);
  c = {};
  c.inter_token_latency_s = 0.01;
  c.inter_token_latency_std_dev_s = 0.003;
  EXPECT_NO_THROW(LatencyProfile{c});
}

}  // namespace
}  // namespace inferbench::sim
