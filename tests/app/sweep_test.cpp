// The decisions of --sweep and --slo-search on synthetic results (no server): the sweep's rates,
// the served ratio and the saturation test, the SLO verdict of a probe, and the search's bracketing and bisection.
#include "app/sweep.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace inferbench::app {
namespace {

using metrics::LoadPointSummary;
using metrics::LoadSpec;

TEST(SweepRates, LinearIsGuideLlmsLinspaceWithoutItsFirstPoint) {
  // GuideLLM: linspace(sync, throughput, sweep_size - 1)[1:], here sweep_size = 6.
  const auto rates = sweep_rates(2.0, 10.0, 6, Spacing::Linear);
  ASSERT_EQ(rates.size(), 4u);
  EXPECT_DOUBLE_EQ(rates[0], 4.0);
  EXPECT_DOUBLE_EQ(rates[1], 6.0);
  EXPECT_DOUBLE_EQ(rates[2], 8.0);
  EXPECT_DOUBLE_EQ(rates[3], 10.0);
}

TEST(SweepRates, GeometricHasAConstantRatioAndEndsAtThroughput) {
  const auto rates = sweep_rates(1.0, 16.0, 6, Spacing::Geometric);
  ASSERT_EQ(rates.size(), 4u);
  EXPECT_DOUBLE_EQ(rates[0], 2.0);
  EXPECT_NEAR(rates[1], 4.0, 1e-12);
  EXPECT_NEAR(rates[2], 8.0, 1e-12);
  EXPECT_EQ(rates[3], 16.0);
}

TEST(SweepRates, ThreePointsRunOnlyTheThroughputRate) {
  const auto rates = sweep_rates(3.0, 7.5, 3, Spacing::Linear);
  ASSERT_EQ(rates.size(), 1u);
  EXPECT_EQ(rates[0], 7.5);
}

TEST(SweepRates, NothingLiesBetweenWhenThroughputIsNotFaster) {
  EXPECT_TRUE(sweep_rates(5.0, 5.0, 10, Spacing::Linear).empty());
  EXPECT_TRUE(sweep_rates(5.0, 4.0, 10, Spacing::Geometric).empty());
  EXPECT_TRUE(sweep_rates(metrics::kNaN, 4.0, 10, Spacing::Linear).empty());
  EXPECT_TRUE(sweep_rates(0.0, 4.0, 10, Spacing::Linear).empty());
  EXPECT_TRUE(sweep_rates(1.0, 4.0, 2, Spacing::Linear).empty());
}

metrics::RequestRecord request(double scheduled, double done, bool ok = true, bool warmup = false) {
  metrics::RequestRecord r;
  r.scheduled = TimePoint{} + from_s(scheduled);
  r.done = TimePoint{} + from_s(done);
  r.warmup = warmup;
  if (!ok) r.failure = metrics::Failure::HttpStatus;
  return r;
}

TEST(ServedRatio, OneWhenEveryRequestEndsALatencyAfterItsTime) {
  // 10 req/s, latencies 0.5 s +- 40 ms in no order: no backlog.
  std::vector<metrics::RequestRecord> records;
  for (int i = 0; i < 40; ++i) records.push_back(request(i * 0.1, i * 0.1 + 0.5 + ((i * 7) % 5 - 2) * 0.02));
  EXPECT_NEAR(served_ratio(records), 1.0, 0.02);
}

TEST(ServedRatio, CapacityOverRateWhenABacklogBuilds) {
  // Due at 10 req/s, ended at 8 req/s: the server serves 80 % of the rate.
  std::vector<metrics::RequestRecord> records;
  for (int i = 0; i < 40; ++i) records.push_back(request(i * 0.1, 0.5 + i * 0.125));
  EXPECT_NEAR(served_ratio(records), 0.8, 1e-9);
}

TEST(ServedRatio, OnlySuccessfulMeasuredRequestsCount) {
  std::vector<metrics::RequestRecord> records = {request(0.0, 1.0), request(1.0, 2.0), request(2.0, 3.0),
                                                 request(3.0, 60.0, false), request(-5.0, 90.0, true, true)};
  EXPECT_NEAR(served_ratio(records), 1.0, 1e-9);
  EXPECT_TRUE(std::isnan(served_ratio({request(0.0, 1.0)})));
}

LoadPointSummary open_point_at(double scheduled) {
  LoadPointSummary s;
  s.load = {LoadSpec::Mode::Open, 0, scheduled, "constant", 1.0};
  s.rate = metrics::RateComparison{scheduled, scheduled, scheduled};
  s.completeness.success_rate = 1.0;
  return s;
}

TEST(Saturation, KeptUpWhenServedAtTheScheduledRate) {
  const Saturation sat = check_saturation(open_point_at(10.0), 0.95, 0.9);
  EXPECT_FALSE(sat.saturated);
  EXPECT_DOUBLE_EQ(sat.ratio, 0.95);
  EXPECT_DOUBLE_EQ(sat.served, 9.5);
  EXPECT_TRUE(sat.reason.empty());
}

TEST(Saturation, TripsWhenServedBelowTheRatio) {
  const Saturation sat = check_saturation(open_point_at(10.0), 0.8, 0.9);
  EXPECT_TRUE(sat.saturated);
  EXPECT_EQ(sat.reason, "served 8.00 req/s of the 10.00 req/s scheduled (80 % < 90 %)");
}

TEST(Saturation, TripsOnFailuresAndAborts) {
  LoadPointSummary s = open_point_at(10.0);
  s.completeness.incomplete = true;
  s.completeness.success_rate = 0.5;
  EXPECT_EQ(check_saturation(s, 1.0, 0.9).reason, "only 50.0 % of its requests succeeded");
  s.completeness.incomplete = false;
  s.aborted = "no connection for 5 s";
  EXPECT_EQ(check_saturation(s, 1.0, 0.9).reason, "aborted: no connection for 5 s");
}

TEST(Saturation, ClosedLoopIsNeverJudged) {
  LoadPointSummary s;
  s.load = {LoadSpec::Mode::Closed, 4, 0.0, "", 1.0};
  EXPECT_FALSE(check_saturation(s, 1.0, 0.9).saturated);
}

TEST(SloVerdict, ComparesTheChosenPercentileOfEachObjective) {
  LoadPointSummary s = open_point_at(5.0);
  s.latency.ttft_ms.p99 = 400.0;
  s.latency.ttft_ms.p90 = 100.0;
  s.latency.tpot_ms.p99 = 60.0;
  s.latency.tpot_ms.p90 = 40.0;
  metrics::Slo slo;
  slo.ttft_ms = 500.0;
  slo.tpot_ms = 50.0;
  const SloVerdict p99 = check_slo(s, slo, 99, std::nullopt);
  EXPECT_FALSE(p99.pass);
  ASSERT_EQ(p99.reasons.size(), 1u);
  EXPECT_EQ(p99.reasons[0], "p99 tpot_ms 60.0 > 50");
  ASSERT_EQ(p99.values.size(), 2u);
  EXPECT_EQ(p99.values[0].first, "ttft_ms");
  EXPECT_DOUBLE_EQ(p99.values[0].second, 400.0);
  EXPECT_TRUE(check_slo(s, slo, 90, std::nullopt).pass);
}

TEST(SloVerdict, AnOverSaturatedOrIncompleteProbeFails) {
  LoadPointSummary s = open_point_at(5.0);
  s.latency.ttft_ms.p99 = 10.0;
  metrics::Slo slo;
  slo.ttft_ms = 500.0;
  EXPECT_TRUE(check_slo(s, slo, 99, check_saturation(s, 1.0, 0.9)).pass);
  const SloVerdict saturated = check_slo(s, slo, 99, check_saturation(s, 0.6, 0.9));
  EXPECT_FALSE(saturated.pass);
  EXPECT_EQ(saturated.reasons.at(0).rfind("over-saturated: served 3.00", 0), 0u);
  s.completeness.incomplete = true;
  s.completeness.success_rate = 0.2;
  EXPECT_FALSE(check_slo(s, slo, 99, std::nullopt).pass);
  LoadPointSummary none = open_point_at(5.0);  // no TTFT measured at all
  EXPECT_FALSE(check_slo(none, slo, 99, std::nullopt).pass);
}

// Runs the search against a server that meets the SLOs up to `capacity`, returns the search.
SloSearch search_against(double capacity, SearchOptions options) {
  SloSearch search(options);
  while (const auto load = search.next()) search.record(*load, *load <= capacity);
  return search;
}

TEST(SloSearch, DoublesThenBisectsToTheTolerance) {
  SearchOptions o;
  o.start = 1.0;
  o.tolerance = 0.05;
  o.max_probes = 30;
  const SloSearch s = search_against(13.7, o);
  ASSERT_TRUE(s.lo() && s.hi());
  EXPECT_LE(*s.lo(), 13.7);
  EXPECT_GT(*s.hi(), 13.7);
  EXPECT_LE(*s.hi() - *s.lo(), 0.05 * *s.lo());
  EXPECT_TRUE(s.converged());
  // Every probe is kept, in order: 1, 2, 4, 8, 16 (fail), then bisection of [8, 16].
  const auto& p = s.probes();
  ASSERT_GE(p.size(), 6u);
  EXPECT_EQ(p[0].load, 1.0);
  EXPECT_EQ(p[3].load, 8.0);
  EXPECT_EQ(p[4].load, 16.0);
  EXPECT_FALSE(p[4].pass);
  EXPECT_EQ(p[5].load, 12.0);
  EXPECT_TRUE(p[5].pass);
  EXPECT_EQ(s.outcome().rfind("converged", 0), 0u);
}

TEST(SloSearch, HalvesWhenTheStartFails) {
  SearchOptions o;
  o.start = 10.0;
  o.tolerance = 0.1;
  o.max_probes = 30;
  const SloSearch s = search_against(1.3, o);
  EXPECT_EQ(s.probes()[0].load, 10.0);
  EXPECT_EQ(s.probes()[1].load, 5.0);
  EXPECT_FALSE(s.probes()[1].pass);
  ASSERT_TRUE(s.lo() && s.hi());
  EXPECT_LE(*s.lo(), 1.3);
  EXPECT_GT(*s.hi(), 1.3);
  EXPECT_TRUE(s.converged());
}

TEST(SloSearch, WholeLoadsStopAtOneUserApart) {
  SearchOptions o;
  o.start = 1.0;
  o.tolerance = 0.01;
  o.max_probes = 30;
  o.whole = true;
  o.min = 1.0;
  const SloSearch s = search_against(11.0, o);
  EXPECT_EQ(s.lo(), 11.0);
  EXPECT_EQ(s.hi(), 12.0);
  for (const Probe& p : s.probes()) EXPECT_EQ(p.load, std::floor(p.load));
  EXPECT_TRUE(s.converged());
}

TEST(SloSearch, MaxProbesEndsItUnconverged) {
  SearchOptions o;
  o.start = 1.0;
  o.tolerance = 0.001;
  o.max_probes = 6;
  const SloSearch s = search_against(100.0, o);
  EXPECT_EQ(s.probes().size(), 6u);
  EXPECT_FALSE(s.converged());
  EXPECT_FALSE(s.next().has_value());
  EXPECT_EQ(s.lo(), 32.0);
  EXPECT_FALSE(s.hi().has_value());
  EXPECT_EQ(s.outcome(), "every probe passed, up to 32: the answer is a lower bound");
}

TEST(SloSearch, NothingPassesDownToTheMinimum) {
  SearchOptions o;
  o.start = 4.0;
  o.max_probes = 30;
  o.whole = true;
  o.min = 1.0;
  const SloSearch s = search_against(0.5, o);
  EXPECT_FALSE(s.lo().has_value());
  EXPECT_EQ(s.hi(), 1.0);
  EXPECT_EQ(s.probes().size(), 3u);  // 4, 2, 1
  EXPECT_EQ(s.outcome(), "no probe passed, down to 1");
  const nlohmann::json j = to_json(s);
  EXPECT_TRUE(j["answer"].is_null());
  EXPECT_EQ(j["probes"].size(), 3u);
}

}  // namespace
}  // namespace inferbench::app
