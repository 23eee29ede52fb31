#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "fixtures.hpp"
#include "metrics/summary.hpp"
#include "timeline.hpp"

namespace inferbench::metrics {
namespace {

using testing::at;
using testing::closed_loop_records;
using testing::failure;
using testing::request;

// closed_loop_records(): the load point of fixtures.hpp (timeline in its comment).

LoadSpec closed(int n) {
  LoadSpec l;
  l.mode = LoadSpec::Mode::Closed;
  l.concurrency = n;
  return l;
}

TEST(Summarize, CountsFailuresAndWarmup) {
  const LoadPointSummary s = summarize(closed_loop_records(), closed(4), Slo{});
  EXPECT_EQ(s.requests.completed, 3u);
  EXPECT_EQ(s.requests.failed, 3u);
  EXPECT_EQ(s.requests.warmup, 1u);
  EXPECT_DOUBLE_EQ(s.requests.failure_rate, 0.5);
  EXPECT_EQ(s.requests.failures.size(), 2u);
  EXPECT_EQ(s.requests.failures.at({Failure::HttpStatus, 429}), 2u);
  EXPECT_EQ(s.requests.failures.at({Failure::HttpStatus, 500}), 1u);
  EXPECT_FALSE(s.goodput.has_value());
  EXPECT_FALSE(s.rate.has_value());
}

TEST(Summarize, DistributionsPastTheExactLimitSayTheirBound) {
  const LoadPointSummary exact = summarize(closed_loop_records(), closed(4), Slo{});
  const LoadPointSummary folded =
      summarize(closed_loop_records(), closed(4), Slo{}, {.exact_samples = 2, .in_flight_horizon = std::nullopt});
  const auto pairs = {std::pair{&exact.latency.ttft_ms, &folded.latency.ttft_ms},
                      std::pair{&exact.latency.tpot_ms, &folded.latency.tpot_ms},
                      std::pair{&exact.latency.itl_ms, &folded.latency.itl_ms},
                      std::pair{&exact.latency.inter_chunk_ms, &folded.latency.inter_chunk_ms},
                      std::pair{&exact.latency.e2e_ms, &folded.latency.e2e_ms}};
  std::size_t seen_folded = 0;
  for (const auto& [e, f] : pairs) {
    EXPECT_EQ(e->relative_error, 0.0);
    EXPECT_EQ(f->count, e->count);
    EXPECT_EQ(f->min, e->min);
    EXPECT_EQ(f->max, e->max);
    if (e->count <= 2) {
      EXPECT_EQ(f->relative_error, 0.0);
      EXPECT_EQ(f->p50, e->p50);
      continue;
    }
    ++seen_folded;
    EXPECT_EQ(f->relative_error, kHistogramRelativeError);
    EXPECT_NEAR(f->p50, e->p50, e->p50 * kHistogramRelativeError + 1e-6);
    EXPECT_NEAR(f->mean, e->mean, e->mean * 1e-12);
  }
  EXPECT_GE(seen_folded, 3u);
  EXPECT_EQ(folded.concurrency.max, exact.concurrency.max);
}

TEST(Summarize, WindowAndThroughput) {
  const LoadPointSummary s = summarize(closed_loop_records(), closed(4), Slo{});
  // W = max(t_done) − min(t_send) = 2100 − 1000 ms (the failed r4 ends last; warm-up ignored).
  EXPECT_DOUBLE_EQ(s.duration_s, 1.1);
  EXPECT_DOUBLE_EQ(s.throughput.requests_per_s, 3 / 1.1);
  EXPECT_DOUBLE_EQ(s.throughput.input_tokens_per_s, 350 / 1.1);  // 100 + 200 + 50
  EXPECT_DOUBLE_EQ(s.throughput.output_tokens_per_s, 9 / 1.1);   // 3 + 5 + 1
  EXPECT_DOUBLE_EQ(s.throughput.total_tokens_per_s, 359 / 1.1);
}

TEST(Summarize, TokenTotals) {
  const LoadPointSummary s = summarize(closed_loop_records(), closed(4), Slo{});
  EXPECT_EQ(s.tokens.input, 350);
  EXPECT_EQ(s.tokens.output, 9);
  EXPECT_EQ(s.tokens.cached, 40);
  EXPECT_EQ(s.tokens.cached_reported, 1u);
  EXPECT_EQ(s.tokens.output_from_client, 1u);  // r3
  EXPECT_EQ(s.tokens.prompt_mismatches, 1u);   // r2: 200 vs 199
  EXPECT_EQ(s.tokens.input_unknown, 0u);
  EXPECT_EQ(s.tokens.output_unknown, 0u);
}

TEST(Summarize, LatencyDistributionsExcludeFailuresAndWarmup) {
  const LoadPointSummary s = summarize(closed_loop_records(), closed(4), Slo{});
  const Latencies& l = s.latency;
  // TTFT {100, 200, 300}: mean 200, population std √(20000/3), p90 index 1.8 → 280.
  EXPECT_EQ(l.ttft_ms.count, 3u);
  EXPECT_DOUBLE_EQ(l.ttft_ms.mean, 200.0);
  EXPECT_NEAR(l.ttft_ms.std, std::sqrt(20000.0 / 3.0), 1e-9);
  EXPECT_DOUBLE_EQ(l.ttft_ms.min, 100.0);
  EXPECT_DOUBLE_EQ(l.ttft_ms.p50, 200.0);
  EXPECT_NEAR(l.ttft_ms.p90, 280.0, 1e-9);
  EXPECT_DOUBLE_EQ(l.ttft_ms.max, 300.0);
  // TPOT: r1 (1140 − 1100) / 2 = 20, r2 (1300 − 1250) / 4 = 12.5, r3 undefined (1 token).
  EXPECT_EQ(l.tpot_ms.count, 2u);
  EXPECT_DOUBLE_EQ(l.tpot_ms.min, 12.5);
  EXPECT_DOUBLE_EQ(l.tpot_ms.max, 20.0);
  // ITL: r1 gaps 20, 20 (1 token each); r2 gap 50 over its estimated 4 tokens → 4 × 12.5.
  EXPECT_EQ(l.itl_ms.count, 6u);
  EXPECT_DOUBLE_EQ(l.itl_ms.mean, 15.0);  // (40 + 50) / 6
  EXPECT_DOUBLE_EQ(l.itl_ms.p50, 12.5);
  // Inter-chunk: 20, 20, 50.
  EXPECT_EQ(l.inter_chunk_ms.count, 3u);
  EXPECT_DOUBLE_EQ(l.inter_chunk_ms.mean, 30.0);
  // E2E {140, 250, 300}; NTPOT {140/3, 50, 300}.
  EXPECT_EQ(l.e2e_ms.count, 3u);
  EXPECT_DOUBLE_EQ(l.e2e_ms.p50, 250.0);
  EXPECT_EQ(l.ntpot_ms.count, 3u);
  EXPECT_DOUBLE_EQ(l.ntpot_ms.min, 140.0 / 3.0);
  EXPECT_DOUBLE_EQ(l.ntpot_ms.p50, 50.0);
  // Open-loop distributions stay empty in closed loop.
  EXPECT_EQ(l.schedule_lag_ms.count, 0u);
  EXPECT_EQ(l.ttft_from_sched_ms.count, 0u);
}

TEST(Summarize, MeasuredConcurrencyIsTimeWeighted) {
  const LoadPointSummary s = summarize(closed_loop_records(), closed(4), Slo{});
  // Σ (t_done − t_send) = 150 + 260 + 300 + 900 + 50 + 10 = 1670 ms over W = 1100 ms.
  EXPECT_DOUBLE_EQ(s.concurrency.mean, 1670.0 / 1100.0);
  // At 1320 ms r3, r4, r5 and r6 are in flight (r2 ended at 1310).
  EXPECT_DOUBLE_EQ(s.concurrency.max, 4.0);
}

// A request refused before it was sent (connect, DNS, TLS) has no send time. It counts as a
// failure but not in the window: its clock reading used to be the clock's zero, which made a
// 0.1 s run last the machine's uptime.
TEST(Summarize, NeverSentFailuresStayOutOfTheWindowAndConcurrency) {
  std::vector<RequestRecord> v{request(5000, {{5100, 1}}, 5200), request(5200, {{5300, 1}}, 5400)};
  RequestRecord refused = failure(0, 5600, Failure::ConnectFailed);
  refused.sent.reset();
  refused.done = at(5600);
  v.push_back(refused);
  const auto s = summarize(v, closed(1), Slo{});
  EXPECT_EQ(s.requests.completed, 2u);
  EXPECT_EQ(s.requests.failed, 1u);
  EXPECT_DOUBLE_EQ(s.duration_s, 0.4);  // 5000 → 5400 ms: the sent requests' window
  EXPECT_DOUBLE_EQ(s.concurrency.max, 1.0);
  EXPECT_DOUBLE_EQ(s.throughput.requests_per_s, 5.0);

  // Only refusals: no window at all, and no rate (never a number from the clock's epoch).
  std::vector<RequestRecord> only{refused, refused};
  const auto none = summarize(only, closed(1), Slo{});
  EXPECT_EQ(none.requests.failed, 2u);
  EXPECT_TRUE(std::isnan(none.duration_s));
  EXPECT_TRUE(std::isnan(none.throughput.requests_per_s));
  EXPECT_TRUE(std::isnan(none.concurrency.max));
}

// Unknown is not zero: a server that sends no usage, measured without a tokenizer, leaves the
// output count unknown, and so the rate (a partial sum would understate it).
TEST(Summarize, TokenRatesAreUnknownWhenSomeCountsAre) {
  std::vector<RequestRecord> v{request(0, {{10, 0}}, 20), request(20, {{30, 0}}, 40)};
  v[0].usage = {.prompt_tokens = 8, .completion_tokens = 4, .cached_tokens = {}};
  v[1].usage = {.prompt_tokens = 8, .completion_tokens = {}, .cached_tokens = {}};  // no output count
  const auto s = summarize(v, closed(1), Slo{});
  EXPECT_EQ(s.tokens.output_unknown, 1u);
  EXPECT_TRUE(std::isnan(s.throughput.output_tokens_per_s));
  EXPECT_TRUE(std::isnan(s.throughput.total_tokens_per_s));
  EXPECT_DOUBLE_EQ(s.throughput.input_tokens_per_s, 16 / 0.04);
  v[1].client_output_tokens = 4;  // counted client-side (--tokenizer): known again
  EXPECT_DOUBLE_EQ(summarize(v, closed(1), Slo{}).throughput.output_tokens_per_s, 8 / 0.04);
}

TEST(Summarize, TouchingIntervalsDoNotOverlap) {
  std::vector<RequestRecord> v{request(0, {{5, 0}}, 10), request(10, {{15, 0}}, 20), request(20, {{25, 0}}, 40)};
  const LoadPointSummary s = summarize(v, closed(1), Slo{});
  EXPECT_DOUBLE_EQ(s.concurrency.max, 1.0);
  EXPECT_DOUBLE_EQ(s.concurrency.mean, 1.0);  // busy the whole 40 ms
  // A gap halves the mean: [0, 10) and [30, 40) over a 40 ms window.
  std::vector<RequestRecord> g{request(0, {{5, 0}}, 10), request(30, {{35, 0}}, 40)};
  EXPECT_DOUBLE_EQ(summarize(g, closed(1), Slo{}).concurrency.mean, 0.5);
}

TEST(Summarize, GoodputWithTtftAndE2eSlos) {
  Slo slo;
  slo.ttft_ms = 250;
  slo.e2e_ms = 280;
  const LoadPointSummary s = summarize(closed_loop_records(), closed(4), slo);
  ASSERT_TRUE(s.goodput.has_value());
  // r1 (100, 140) and r2 (200, 250) meet both; r3 (300, 300) meets neither; failures are not good.
  EXPECT_EQ(s.goodput->good, 2u);
  EXPECT_DOUBLE_EQ(s.goodput->requests_per_s, 2 / 1.1);
  EXPECT_DOUBLE_EQ(s.goodput->slo_attainment, 2.0 / 6.0);
  EXPECT_EQ(s.goodput->attainment.size(), 2u);
  EXPECT_DOUBLE_EQ(s.goodput->attainment.at("ttft_ms"), 2.0 / 6.0);
  EXPECT_DOUBLE_EQ(s.goodput->attainment.at("e2e_ms"), 2.0 / 6.0);
  EXPECT_EQ(*s.goodput->slo.ttft_ms, 250.0);
}

TEST(Summarize, GoodputWithTpotItlAndNtpotSlos) {
  Slo slo;
  slo.tpot_ms = 15;
  slo.itl_ms = 15;
  slo.ntpot_ms = 60;
  const LoadPointSummary s = summarize(closed_loop_records(), closed(4), slo);
  ASSERT_TRUE(s.goodput.has_value());
  // TPOT: r1 20 ✗, r2 12.5 ✓, r3 undefined (1 token) cannot be violated ✓.
  EXPECT_DOUBLE_EQ(s.goodput->attainment.at("tpot_ms"), 2.0 / 6.0);
  // Max ITL: r1 20 ✗, r2 12.5 ✓, r3 single chunk ✓.
  EXPECT_DOUBLE_EQ(s.goodput->attainment.at("itl_ms"), 2.0 / 6.0);
  // NTPOT: r1 46.7 ✓, r2 50 ✓, r3 300 ✗.
  EXPECT_DOUBLE_EQ(s.goodput->attainment.at("ntpot_ms"), 2.0 / 6.0);
  // Only r2 meets all three.
  EXPECT_EQ(s.goodput->good, 1u);
  EXPECT_DOUBLE_EQ(s.goodput->slo_attainment, 1.0 / 6.0);
}

TEST(Summarize, OpenLoopLagAndAchievedRate) {
  LoadSpec load;
  load.mode = LoadSpec::Mode::Open;
  load.rate = 10;
  load.arrival = "poisson";
  std::vector<RequestRecord> v;
  const double sched[] = {0, 100, 200, 300};
  const double sent[] = {2, 105, 230, 301};
  for (int i = 0; i < 4; ++i) {
    RequestRecord r = request(sent[i], {{sent[i] + 20, 0}}, sent[i] + 20);
    r.scheduled = at(sched[i]);
    r.usage.completion_tokens = 1;
    v.push_back(r);
  }
  v[3].failure = Failure::TimeoutFirstToken;  // failed sends still count for the achieved rate
  v[3].chunks.clear();
  const LoadPointSummary s = summarize(v, load, Slo{});
  ASSERT_TRUE(s.rate.has_value());
  EXPECT_DOUBLE_EQ(s.rate->requested, 10.0);
  EXPECT_NEAR(s.rate->achieved, 3 / 0.299, 1e-9);  // (4 − 1) / (301 − 2 ms)
  EXPECT_NEAR(s.rate->scheduled, 3 / 0.3, 1e-9);   // (4 − 1) / (300 − 0 ms): what the schedule asked
  // Lags of every sent request, the failed one too (the client's lateness): 2, 5, 30, 1 ms.
  EXPECT_EQ(s.latency.schedule_lag_ms.count, 4u);
  EXPECT_DOUBLE_EQ(s.latency.schedule_lag_ms.mean, 38.0 / 4.0);
  EXPECT_DOUBLE_EQ(s.latency.schedule_lag_ms.max, 30.0);
  // TTFT from the schedule adds the lag: 22, 25, 50.
  EXPECT_DOUBLE_EQ(s.latency.ttft_from_sched_ms.max, 50.0);
  EXPECT_DOUBLE_EQ(s.latency.ttft_ms.max, 20.0);
  EXPECT_DOUBLE_EQ(s.latency.e2e_from_sched_ms.p50, 25.0);
}

TEST(Summarize, EmptyAndWarmupOnlyAreUndefinedNotZero) {
  std::vector<RequestRecord> only_warmup{request(0, {{5, 0}}, 10)};
  only_warmup[0].warmup = true;
  Slo slo;
  slo.ttft_ms = 100;
  for (const auto& records : {std::vector<RequestRecord>{}, only_warmup}) {
    const LoadPointSummary s = summarize(records, closed(2), slo);
    EXPECT_EQ(s.requests.completed, 0u);
    EXPECT_TRUE(std::isnan(s.requests.failure_rate));
    EXPECT_TRUE(std::isnan(s.duration_s));
    EXPECT_TRUE(std::isnan(s.throughput.requests_per_s));
    EXPECT_TRUE(std::isnan(s.throughput.output_tokens_per_s));
    EXPECT_TRUE(std::isnan(s.concurrency.mean));
    EXPECT_TRUE(std::isnan(s.concurrency.max));
    EXPECT_EQ(s.latency.ttft_ms.count, 0u);
    EXPECT_TRUE(std::isnan(s.latency.ttft_ms.p50));
    ASSERT_TRUE(s.goodput.has_value());
    EXPECT_TRUE(std::isnan(s.goodput->slo_attainment));
    EXPECT_TRUE(std::isnan(s.goodput->requests_per_s));
  }
}

TEST(Summarize, ZeroLengthWindowGivesNoRates) {
  // A request that started and ended at the same instant: W = 0, so no rate is defined.
  std::vector<RequestRecord> v{failure(7, 7, Failure::ConnectFailed)};
  const LoadPointSummary s = summarize(v, closed(1), Slo{});
  EXPECT_DOUBLE_EQ(s.duration_s, 0.0);
  EXPECT_TRUE(std::isnan(s.throughput.requests_per_s));
  EXPECT_TRUE(std::isnan(s.concurrency.mean));
  EXPECT_DOUBLE_EQ(s.requests.failure_rate, 1.0);
}

TEST(Slo, AnyIsTrueOnlyWhenSet) {
  EXPECT_FALSE(Slo{}.any());
  Slo s;
  s.ntpot_ms = 1;
  EXPECT_TRUE(s.any());
}

// A server that lies in usage: three INT64_MAX prompts and a negative completion count used to
// overflow tokens.input and print a negative out tok/s. Rejected counts are not summed.
TEST(Summarize, ImplausibleUsageIsNotSummed) {
  std::vector<RequestRecord> records;
  for (int i = 0; i < 3; ++i) {
    RequestRecord r = request(0, {{10, 0}, {20, 0}}, 20);
    r.max_tokens = 16;
    r.usage.prompt_tokens = INT64_MAX;
    r.usage.completion_tokens = i == 0 ? -4718 : 2;
    records.push_back(r);
  }
  RequestRecord honest = request(0, {{10, 0}, {20, 0}}, 20);
  honest.max_tokens = 16;
  honest.usage = {7, 2, std::nullopt};
  records.push_back(honest);
  const LoadPointSummary s = summarize(records, closed(4), Slo{});
  EXPECT_EQ(s.tokens.usage_rejected, 3u);
  EXPECT_EQ(s.tokens.input, 7);
  EXPECT_EQ(s.tokens.output, 2);
  EXPECT_EQ(s.tokens.input_unknown, 3u);
  EXPECT_EQ(s.tokens.output_unknown, 3u);
  EXPECT_TRUE(std::isnan(s.throughput.output_tokens_per_s));  // unknown, never negative
}

}  // namespace
}  // namespace inferbench::metrics
