#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "schedule/schedule.hpp"

namespace inferbench::schedule {
namespace {

std::vector<double> gaps_s(const std::vector<Duration>& offsets) {
  std::vector<double> gaps;
  for (std::size_t i = 1; i < offsets.size(); ++i) gaps.push_back(to_s(offsets[i] - offsets[i - 1]));
  return gaps;
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

double cv(const std::vector<double>& v) {  // coefficient of variation
  const double m = mean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size())) / m;
}

TEST(Schedule, ConstantIsEvenlySpacedWithoutDrift) {
  const auto offsets = make_offsets({.rate = 7.0, .arrival = Arrival::Constant}, 7001, 1);
  ASSERT_EQ(offsets.size(), 7001u);
  EXPECT_EQ(offsets[0], Duration::zero());
  // The 7000th request is due at exactly 1000 s: no accumulated rounding.
  EXPECT_NEAR(to_s(offsets[7000]), 1000.0, 1e-9);
  for (double g : gaps_s(offsets)) EXPECT_NEAR(g, 1.0 / 7.0, 1e-8);
}

TEST(Schedule, PoissonHasTheRateAndExponentialSpread) {
  const auto offsets = make_offsets({.rate = 50.0, .arrival = Arrival::Poisson}, 20001, 3);
  const auto gaps = gaps_s(offsets);
  EXPECT_NEAR(mean(gaps), 1.0 / 50.0, 0.02 / 50.0 * 3);  // within 3 standard errors (1/sqrt(n) = 0.7%)
  EXPECT_NEAR(cv(gaps), 1.0, 0.03);                      // exponential: CV = 1
  for (std::size_t i = 1; i < offsets.size(); ++i) EXPECT_GE(offsets[i], offsets[i - 1]);
}

TEST(Schedule, GammaBurstinessSetsTheSpread) {
  // Gamma with shape k has CV = 1/sqrt(k): k = 0.25 is twice as spread as Poisson, k = 4 half.
  for (double k : {0.25, 4.0}) {
    const auto gaps = gaps_s(make_offsets({.rate = 20.0, .arrival = Arrival::Gamma, .burstiness = k}, 40001, 9));
    EXPECT_NEAR(mean(gaps), 1.0 / 20.0, 0.05 / 20.0) << k;
    EXPECT_NEAR(cv(gaps), 1.0 / std::sqrt(k), 0.05 / std::sqrt(k)) << k;
  }
}

TEST(Schedule, SeedsReproduceAndDiffer) {
  const RateSpec spec{.rate = 10.0, .arrival = Arrival::Poisson};
  EXPECT_EQ(make_offsets(spec, 100, 5), make_offsets(spec, 100, 5));
  EXPECT_NE(make_offsets(spec, 100, 5), make_offsets(spec, 100, 6));
}

TEST(Schedule, RejectsBadInput) {
  EXPECT_THROW(make_offsets({.rate = 0.0}, 10, 1), Error);
  EXPECT_THROW(make_offsets({.rate = -1.0}, 10, 1), Error);
  EXPECT_THROW(make_offsets({.rate = 1.0, .arrival = Arrival::Gamma, .burstiness = 0.0}, 10, 1), Error);
  EXPECT_THROW(parse_arrival("bursty"), Error);
  EXPECT_EQ(parse_arrival("gamma"), Arrival::Gamma);
}

TEST(Schedule, CountForDuration) {
  EXPECT_EQ(count_for_duration(10.0, std::chrono::seconds(3)), 30u);
  EXPECT_EQ(count_for_duration(0.1, std::chrono::seconds(3)), 1u);
  EXPECT_EQ(count_for_duration(2.5, std::chrono::seconds(2)), 5u);
}

}  // namespace
}  // namespace inferbench::schedule
