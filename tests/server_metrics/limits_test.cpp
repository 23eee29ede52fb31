// Server metrics at the limits: what the server cannot tell (NaN, ±Inf, implausible fractions,
// histograms that saw nothing, gauges never sampled during the load) is reported as unknown,
// never as 0; bucket quantiles are reported as the buckets they are; the scrape interval adapts
// to the length of the load point.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <cmath>

#include "report/server_metrics_table.hpp"
#include "rounds.hpp"
#include "server_metrics/scraper.hpp"

namespace inferbench::server_metrics {
namespace {

using test::round_at;
using namespace std::chrono_literals;

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string running(const std::string& value) { return "vllm:num_requests_running{engine=\"0\"} " + value + "\n"; }
std::string kv(const std::string& engine0, const std::string& engine1) {
  return "vllm:kv_cache_usage_perc{engine=\"0\"} " + engine0 + "\nvllm:kv_cache_usage_perc{engine=\"1\"} " + engine1 +
         "\n";
}

// Start round, `during` rounds during the load, end round; all from the same texts per index.
std::vector<ScrapeRound> window(const std::vector<std::string>& during) {
  std::vector<ScrapeRound> rounds{round_at(0, {running("0") + kv("0", "0")}, false)};
  for (std::size_t i = 0; i < during.size(); ++i) rounds.push_back(round_at(static_cast<double>(i + 1), {during[i]}));
  rounds.push_back(round_at(static_cast<double>(during.size() + 1), {running("0") + kv("0", "0")}, false));
  return rounds;
}

std::string table_line(const metrics::ServerSummary& s, const std::string& label) {
  const std::string table = report::format_server_table(s);
  const auto at = table.find("    " + label);
  if (at == std::string::npos) return "";
  return table.substr(at, table.find('\n', at) - at);
}

TEST(ServerLimits, GaugeThatIsOnlyNaNIsUnknownNotZero) {
  const auto s = aggregate_server_metrics(window({running("NaN"), running("NaN"), running("NaN")}), {"u"});
  const auto& g = s.gauges.at("running_requests");  // present: the server exports it
  EXPECT_EQ(g.samples, 0u);
  EXPECT_EQ(g.non_finite, 3u);
  EXPECT_TRUE(std::isnan(g.mean));
  EXPECT_TRUE(std::isnan(g.max));
  const auto j = report::to_json(s);
  EXPECT_TRUE(j["gauges"]["running_requests"]["mean"].is_null());
  EXPECT_TRUE(j["gauges"]["running_requests"]["max"].is_null());
  EXPECT_EQ(j["gauges"]["running_requests"]["non_finite"], 3);
  EXPECT_EQ(table_line(s, "running"),
            "    running            mean -, max - (3 scrapes with NaN or Inf not used; 0 scrapes usable during the "
            "load: a mean needs 3)");
}

TEST(ServerLimits, NonFiniteSamplesDoNotPoisonMeanOrMax) {
  // +Inf and -Inf in some rounds: those rounds are left out, the others make the mean and max.
  const auto s = aggregate_server_metrics(
      window({running("4"), running("+Inf"), running("8"), running("-Inf"), running("6")}), {"u"});
  const auto& g = s.gauges.at("running_requests");
  EXPECT_EQ(g.samples, 3u);
  EXPECT_EQ(g.non_finite, 2u);
  EXPECT_DOUBLE_EQ(g.mean, 6.0);
  EXPECT_DOUBLE_EQ(g.max, 8.0);
}

TEST(ServerLimits, NaNInOneSeriesMakesTheRoundsSumUnknown) {
  // Two engines: a sum without the NaN one would be too low, so the round is left out.
  const std::string both = "vllm:num_requests_running{engine=\"0\"} 5\nvllm:num_requests_running{engine=\"1\"} 5\n";
  const std::string one_nan =
      "vllm:num_requests_running{engine=\"0\"} 5\nvllm:num_requests_running{engine=\"1\"} NaN\n";
  const auto s = aggregate_server_metrics(window({both, one_nan, both, both}), {"u"});
  const auto& g = s.gauges.at("running_requests");
  EXPECT_EQ(g.samples, 3u);
  EXPECT_DOUBLE_EQ(g.mean, 10.0);
}

TEST(ServerLimits, KvCacheUsageOutsideZeroToOneIsRejected) {
  const auto s = aggregate_server_metrics(
      window({kv("0.2", "0.4"), kv("-7", "0.4"), kv("0.4", "0.6"), kv("3", "0.1"), kv("0.6", "0.8")}), {"u"});
  const auto& g = s.gauges.at("kv_cache_usage");
  EXPECT_EQ(g.samples, 3u);
  EXPECT_EQ(g.out_of_range, 2u);
  EXPECT_DOUBLE_EQ(g.out_of_range_example, 3.0);
  EXPECT_NEAR(g.mean, 0.5, 1e-12);  // per round the mean of the engines: 0.3, 0.5, 0.7
  EXPECT_NEAR(g.max, 0.7, 1e-12);
  EXPECT_EQ(table_line(s, "KV cache usage"),
            "    KV cache usage     mean 50.0%, max 70.0% (2 scrapes outside [0, 1] rejected (e.g. 3))");
  EXPECT_EQ(report::to_json(s)["gauges"]["kv_cache_usage"]["out_of_range"], 2);
}

TEST(ServerLimits, KvCacheUsageOnlyImplausibleIsUnknown) {
  const auto s = aggregate_server_metrics(window({kv("-7", "-7"), kv("-7", "-7"), kv("-7", "-7")}), {"u"});
  const auto& g = s.gauges.at("kv_cache_usage");
  EXPECT_EQ(g.samples, 0u);
  EXPECT_TRUE(std::isnan(g.mean));
  EXPECT_TRUE(std::isnan(g.max));
  EXPECT_TRUE(report::to_json(s)["gauges"]["kv_cache_usage"]["mean"].is_null());
}

TEST(ServerLimits, GaugesSeenOnlyAtStartAndEndHaveNoMean) {
  // A load point shorter than the interval: the start and end rounds see an idle server. Their
  // zeros are not the load's running mean.
  const std::vector<ScrapeRound> only_ends{round_at(0, {running("0")}, false), round_at(1, {running("0")}, false)};
  const auto s = aggregate_server_metrics(only_ends, {"u"});
  const auto& g = s.gauges.at("running_requests");
  EXPECT_EQ(g.samples, 0u);
  EXPECT_TRUE(std::isnan(g.mean));
  EXPECT_TRUE(std::isnan(g.max));
  EXPECT_NE(table_line(s, "running").find("mean -, max -"), std::string::npos) << table_line(s, "running");

  // Two rounds during the load: their max is a real sample, their mean is not trusted.
  const auto two = aggregate_server_metrics(window({running("16"), running("12")}), {"u"});
  EXPECT_EQ(two.gauges.at("running_requests").samples, 2u);
  EXPECT_DOUBLE_EQ(two.gauges.at("running_requests").max, 16.0);
  EXPECT_TRUE(std::isnan(two.gauges.at("running_requests").mean));
  EXPECT_EQ(report::to_json(two)["gauges"]["running_requests"]["note"],
            "2 scrapes usable during the load: a mean needs 3");
}

std::string queue_hist(double b01, double b03, double inf, double sum, double count) {
  return fmt::format(
      "vllm:request_queue_time_seconds_bucket{{le=\"0.1\"}} {}\n"
      "vllm:request_queue_time_seconds_bucket{{le=\"0.3\"}} {}\n"
      "vllm:request_queue_time_seconds_bucket{{le=\"+Inf\"}} {}\n"
      "vllm:request_queue_time_seconds_sum {}\nvllm:request_queue_time_seconds_count {}\n",
      b01, b03, inf, sum, count);
}

TEST(ServerLimits, HistogramWithCountZeroHasNoMeanOrQuantiles) {
  // The buckets moved but _count did not (a scrape that raced an observation): the window
  // counted nothing, so nothing is known about its latencies.
  const auto s = aggregate_server_metrics(
      {round_at(0, {queue_hist(1, 2, 2, 0.3, 2)}, false), round_at(1, {queue_hist(3, 4, 4, 0.5, 2)}, false)}, {"u"});
  const auto& q = s.latencies_ms.at("queue");
  EXPECT_EQ(q.count, 0.0);
  EXPECT_TRUE(std::isnan(q.mean));
  EXPECT_TRUE(std::isnan(q.p50.le));
  EXPECT_TRUE(std::isnan(q.p99.le));
  const auto j = report::to_json(s);
  EXPECT_TRUE(j["latency_ms"]["queue"]["p99"].is_null());
  EXPECT_TRUE(j["latency_ms"]["queue"]["mean"].is_null());
  EXPECT_EQ(table_line(s, "queue time"), "    queue time         mean -, p99 -");
}

TEST(ServerLimits, BucketQuantilesArePrintedAsBounds) {
  // 10 queue times of 1 ms: all in vLLM-like first bucket (0, 0.1] s. The p99 is not 99 ms.
  const auto s = aggregate_server_metrics(
      {round_at(0, {queue_hist(0, 0, 0, 0, 0)}, false), round_at(1, {queue_hist(10, 10, 10, 0.01, 10)}, false)}, {"u"});
  const auto& q = s.latencies_ms.at("queue");
  EXPECT_DOUBLE_EQ(q.p99.gt, 0.0);
  EXPECT_DOUBLE_EQ(q.p99.le, 100.0);
  EXPECT_EQ(table_line(s, "queue time"), "    queue time         mean 1.00 ms, p99 \u2264 100 ms");
  const auto j = report::to_json(s)["latency_ms"]["queue"];
  EXPECT_EQ(j["p99"]["gt"], 0.0);
  EXPECT_EQ(j["p99"]["le"], 100.0);

  // Between two bounds, in s from 1 s up, and above the last finite bound.
  EXPECT_EQ(report::quantile_text({100.0, 300.0}), "100\u2013300 ms");
  EXPECT_EQ(report::quantile_text({2500.0, 5000.0}), "2.5\u20135 s");
  EXPECT_EQ(report::quantile_text({500.0, 1000.0}), "0.5\u20131 s");
  EXPECT_EQ(report::quantile_text({10000.0, kInf}), "> 10 s");
  EXPECT_EQ(report::quantile_text({0.0, 0.5}), "\u2264 0.5 ms");
  EXPECT_EQ(report::quantile_text({}), "-");
  // No upper bound in JSON is null, not a number.
  metrics::ServerSummary above;
  above.latencies_ms["queue"] = metrics::ServerLatency{"q", 4, 20000.0, {}, {}, {10000.0, kInf}};
  const auto ja = report::to_json(above)["latency_ms"]["queue"]["p99"];
  EXPECT_EQ(ja["gt"], 10000.0);
  EXPECT_TRUE(ja["le"].is_null());
}

TEST(ScrapeInterval, AboutTenRoundsPerLoadPointWithinFloorAndCeiling) {
  // Known length: a tenth of it.
  EXPECT_EQ(scrape_interval_for(5s, 30s), 3s);
  // Long load points keep the configured interval as the ceiling.
  EXPECT_EQ(scrape_interval_for(5s, 600s), 5s);
  // Short ones stop at the floor of 0.25 s.
  EXPECT_EQ(scrape_interval_for(5s, 1s), 250ms);
  // Unknown length (closed loop bounded by a request count): every 0.5 s.
  EXPECT_EQ(scrape_interval_for(5s, std::nullopt), 500ms);
  // A configured interval shorter than any of these is kept.
  EXPECT_EQ(scrape_interval_for(100ms, 1s), 100ms);
  EXPECT_EQ(scrape_interval_for(100ms, std::nullopt), 100ms);
}

}  // namespace
}  // namespace inferbench::server_metrics
