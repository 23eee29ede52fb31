// Server metrics: quantile buckets, counter increases with resets, gauges, sums across label
// sets and replicas, the name mapping of each engine (on the real expositions in
// tests/protocol/data), the reports, and the scraper against a loopback /metrics server whose
// text changes during the window.
#include <utility>  // before Asio: awaitable.hpp uses std::exchange without including it

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cmath>
#include <mutex>
#include <thread>

#include "../protocol/test_data.hpp"
#include "report/server_metrics_table.hpp"
#include "rounds.hpp"
#include "server_metrics/scraper.hpp"

namespace inferbench::server_metrics {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

using protocol::test::read_data;
using test::round_at;

// ---- where a quantile lies in the buckets --------------------------------------------------

void expect_bounds(const metrics::QuantileBounds& b, double gt, double le) {
  EXPECT_DOUBLE_EQ(b.gt, gt);
  EXPECT_DOUBLE_EQ(b.le, le);
}

TEST(BucketBounds, TheBucketHoldingTheRank) {
  // 10 observations ≤ 0.1, 20 in (0.1, 0.5], 10 in (0.5, 1].
  const std::vector<std::pair<double, double>> b{{0.5, 30}, {0.1, 10}, {kInf, 40}, {1.0, 40}};
  expect_bounds(bucket_bounds(0.5, b), 0.1, 0.5);   // rank 20
  expect_bounds(bucket_bounds(0.9, b), 0.5, 1.0);   // rank 36
  expect_bounds(bucket_bounds(0.99, b), 0.5, 1.0);  // rank 39.6
  expect_bounds(bucket_bounds(0.05, b), 0.0, 0.1);  // rank 2 in the first bucket, from 0
  expect_bounds(bucket_bounds(0.25, b), 0.0, 0.1);  // rank 10: the 10th observation is ≤ 0.1
  EXPECT_TRUE(std::isnan(bucket_bounds(-0.1, b).le));
  EXPECT_TRUE(std::isnan(bucket_bounds(1.1, b).le));
}

TEST(BucketBounds, EdgeCases) {
  // The rank falls in +Inf: above the highest finite bound, no upper bound.
  expect_bounds(bucket_bounds(0.9, {{1.0, 5}, {kInf, 10}}), 1.0, kInf);
  // No +Inf bucket or no observations: unknown.
  EXPECT_TRUE(std::isnan(bucket_bounds(0.5, {{1.0, 5}, {2.0, 10}}).le));
  EXPECT_TRUE(std::isnan(bucket_bounds(0.5, {{1.0, 0}, {kInf, 0}}).le));
  // Only +Inf: somewhere above 0.
  expect_bounds(bucket_bounds(0.5, {{kInf, 3}}), 0.0, kInf);
  // Counts that dip (float sums) are made monotonic: as if 0.5 held 30.
  expect_bounds(bucket_bounds(0.5, {{0.1, 10}, {0.5, 30}, {1.0, 29}, {kInf, 40}}), 0.1, 0.5);
  // A first bucket with a non-positive bound has no lower bound.
  expect_bounds(bucket_bounds(0.1, {{-1.0, 5}, {0.0, 6}, {kInf, 10}}), -kInf, -1.0);
  // q = 0 is the first bucket holding an observation, not an empty one below it.
  expect_bounds(bucket_bounds(0.0, {{0.1, 0}, {0.5, 4}, {kInf, 4}}), 0.1, 0.5);
}

// ---- aggregation over rounds -------------------------------------------------------------

std::string vllm_counters(double prompt, double gen, double preempt, double queries, double hits) {
  return fmt::format(
      "# TYPE vllm:prompt_tokens_total counter\n"
      "vllm:prompt_tokens_total{{engine=\"0\",model_name=\"m\"}} {}\n"
      "vllm:prompt_tokens_total{{engine=\"1\",model_name=\"m\"}} {}\n"
      "vllm:prompt_tokens_created{{engine=\"0\",model_name=\"m\"}} 1.7e9\n"
      "vllm:generation_tokens_total{{engine=\"0\",model_name=\"m\"}} {}\n"
      "vllm:num_preemptions_total{{engine=\"0\",model_name=\"m\"}} {}\n"
      "vllm:prefix_cache_queries_total{{engine=\"0\",model_name=\"m\"}} {}\n"
      "vllm:prefix_cache_hits_total{{engine=\"0\",model_name=\"m\"}} {}\n",
      prompt, 2 * prompt, gen, preempt, queries, hits);
}

TEST(ServerAggregate, CounterDeltasSumLabelSetsAndCountResetsFromZero) {
  // generation: 100 → 150 → 20 (restart) → 50: 50 + 20 + 30 = 100.
  const std::vector<ScrapeRound> rounds{
      round_at(0, {vllm_counters(1000, 100, 1, 500, 100)}),
      round_at(5, {vllm_counters(1100, 150, 1, 700, 200)}),
      round_at(10, {vllm_counters(1300, 20, 0, 900, 300)}),
      round_at(12, {vllm_counters(1400, 50, 2, 1500, 400)}),
  };
  const auto s = aggregate_server_metrics(rounds, {"http://a/metrics"});
  ASSERT_TRUE(s.available) << s.reason;
  EXPECT_EQ(s.vendor, "vllm");
  EXPECT_EQ(s.scrapes, 4u);
  EXPECT_DOUBLE_EQ(s.window_s, 12.0);
  // prompt: engine 0 +400, engine 1 +800; _created is not a counter.
  EXPECT_EQ(s.counters.at("prompt_tokens").delta, 1200.0);
  EXPECT_EQ(s.counters.at("prompt_tokens").metric, "vllm:prompt_tokens_total");
  EXPECT_EQ(s.counters.at("generation_tokens").delta, 100.0);
  // preemptions: 1 → 1 → 0 (reset) → 2: 0 + 0 + 2.
  EXPECT_EQ(s.counters.at("preemptions").delta, 2.0);
  EXPECT_EQ(s.counters.at("prefix_cache_queries").delta, 1000.0);
  EXPECT_EQ(s.counters.at("prefix_cache_hits").delta, 300.0);
  EXPECT_EQ(s.prefix_cache_hit_rate.from, "counters");
  EXPECT_DOUBLE_EQ(s.prefix_cache_hit_rate.value, 0.3);
  EXPECT_TRUE(contains(s.absent, "running_requests"));
  EXPECT_TRUE(contains(s.absent, "ttft"));
  EXPECT_FALSE(contains(s.absent, "prompt_tokens"));
  EXPECT_FALSE(contains(s.absent, "prefix_cache_hit_rate"));
}

TEST(ServerAggregate, CountersWithoutTotalSuffixAndSeriesAppearingMidWindow) {
  // An exporter without the _total suffix (TGI style); a finished_reason series that first
  // appears mid-window counts from 0.
  const std::vector<ScrapeRound> rounds{
      round_at(0, {"vllm:request_success{finished_reason=\"stop\"} 5\n"}),
      round_at(1, {"vllm:request_success{finished_reason=\"stop\"} 7\n"
                   "vllm:request_success{finished_reason=\"length\"} 3\n"}),
  };
  const auto s = aggregate_server_metrics(rounds, {"u"});
  EXPECT_EQ(s.counters.at("requests_succeeded").metric, "vllm:request_success");
  EXPECT_EQ(s.counters.at("requests_succeeded").delta, 5.0);
}

std::string gauges(double running0, double running1, double waiting, double kv) {
  return fmt::format(
      "vllm:num_requests_running{{engine=\"0\"}} {}\nvllm:num_requests_running{{engine=\"1\"}} {}\n"
      "vllm:num_requests_waiting{{engine=\"0\"}} {}\nvllm:kv_cache_usage_perc{{engine=\"0\"}} {}\n",
      running0, running1, waiting, kv);
}

TEST(ServerAggregate, GaugesMeanAndMaxOfPerScrapeSumsDuringTheLoad) {
  const std::vector<ScrapeRound> rounds{
      round_at(0, {gauges(0, 0, 0, 0.0)}, false),  // the start round: idle, not the load
      round_at(1, {gauges(4, 5, 0, 0.1)}),         // running 9
      round_at(2, {gauges(1, 2, 6, 0.5)}),         // running 3
      round_at(3, {gauges(3, 3, 3, 0.3)}),         // running 6
      round_at(4, {gauges(20, 20, 9, 0.9)}, false),
  };
  const auto s = aggregate_server_metrics(rounds, {"u"});
  EXPECT_EQ(s.scrapes, 5u);
  EXPECT_EQ(s.scrapes_during_load, 3u);
  const auto& running = s.gauges.at("running_requests");
  EXPECT_EQ(running.samples, 3u);
  EXPECT_DOUBLE_EQ(running.mean, 6.0);
  EXPECT_DOUBLE_EQ(running.max, 9.0);
  EXPECT_DOUBLE_EQ(s.gauges.at("waiting_requests").mean, 3.0);
  EXPECT_DOUBLE_EQ(s.gauges.at("waiting_requests").max, 6.0);
  EXPECT_DOUBLE_EQ(s.gauges.at("kv_cache_usage").mean, 0.3);
  EXPECT_DOUBLE_EQ(s.gauges.at("kv_cache_usage").max, 0.5);
  EXPECT_EQ(s.gauges.at("kv_cache_usage").metric, "vllm:kv_cache_usage_perc");
}

std::string ttft_hist(double b01, double b05, double b1, double inf, double sum) {
  return fmt::format(
      "# TYPE vllm:time_to_first_token_seconds histogram\n"
      "vllm:time_to_first_token_seconds_bucket{{engine=\"0\",le=\"0.1\"}} {}\n"
      "vllm:time_to_first_token_seconds_bucket{{engine=\"0\",le=\"0.5\"}} {}\n"
      "vllm:time_to_first_token_seconds_bucket{{engine=\"0\",le=\"1.0\"}} {}\n"
      "vllm:time_to_first_token_seconds_bucket{{engine=\"0\",le=\"+Inf\"}} {}\n"
      "vllm:time_to_first_token_seconds_sum{{engine=\"0\"}} {}\n"
      "vllm:time_to_first_token_seconds_count{{engine=\"0\"}} {}\n"
      "vllm:time_to_first_token_seconds_created{{engine=\"0\"}} 1.7e9\n",
      b01, b05, b1, inf, sum, inf);
}

TEST(ServerAggregate, HistogramDeltasAcrossReplicas) {
  // Replica A before: 5 | 5 | 5 | 5 obs (sum 0.25); after: 15 | 25 | 25 | 25 (sum 4.25)
  //   → Δ: 10 ≤ 0.1, 20 ≤ 0.5, 20 ≤ 1, 20 total, Δsum 4.0.
  // Replica B: Δ: 0 ≤ 0.1, 10 ≤ 0.5, 20 ≤ 1, 20 total, Δsum 12.0.
  // Together: 10 | 30 | 40 | 40, Δsum 16 → mean 0.4 s; p50 in (0.1, 0.5] s, p90 and p99 in (0.5, 1].
  const std::vector<ScrapeRound> rounds{
      round_at(0, {ttft_hist(5, 5, 5, 5, 0.25), ttft_hist(1, 2, 3, 3, 1.0)}),
      round_at(3, {ttft_hist(15, 25, 25, 25, 4.25), ttft_hist(1, 12, 23, 23, 13.0)}),
  };
  const auto s = aggregate_server_metrics(rounds, {"http://a/metrics", "http://b/metrics"});
  ASSERT_EQ(s.sources.size(), 2u);
  EXPECT_EQ(s.sources[1].scrapes_ok, 2u);
  const auto& t = s.latencies_ms.at("ttft");
  EXPECT_EQ(t.metric, "vllm:time_to_first_token_seconds");
  EXPECT_DOUBLE_EQ(t.count, 40.0);
  EXPECT_DOUBLE_EQ(t.mean, 400.0);
  expect_bounds(t.p50, 100.0, 500.0);
  expect_bounds(t.p90, 500.0, 1000.0);
  expect_bounds(t.p99, 500.0, 1000.0);
}

TEST(ServerAggregate, NoObservationsInTheWindowGiveNullsNotZeros) {
  const std::vector<ScrapeRound> rounds{round_at(0, {ttft_hist(1, 2, 3, 3, 1.0)}),
                                        round_at(1, {ttft_hist(1, 2, 3, 3, 1.0)})};
  const auto s = aggregate_server_metrics(rounds, {"u"});
  const auto& t = s.latencies_ms.at("ttft");  // present, but nothing was observed
  EXPECT_EQ(t.count, 0.0);
  EXPECT_TRUE(std::isnan(t.mean));
  EXPECT_TRUE(std::isnan(t.p50.gt));
  EXPECT_TRUE(std::isnan(t.p50.le));
  const auto j = report::to_json(s);
  EXPECT_TRUE(j["latency_ms"]["ttft"]["p50"].is_null());
  EXPECT_TRUE(j["latency_ms"]["itl"].is_null());
  EXPECT_TRUE(j["counters"]["prompt_tokens"].is_null());
}

TEST(ServerAggregate, FailedScrapesAndUnreachableSources) {
  SourceScrape down;
  down.error = "connection refused";
  ScrapeRound r0 = round_at(0, {gauges(1, 1, 0, 0.2)});
  ScrapeRound r1 = round_at(1, {gauges(5, 5, 0, 0.2)});
  ScrapeRound r2 = round_at(2, {gauges(3, 3, 0, 0.2)});
  ScrapeRound r3 = round_at(3, {gauges(1, 1, 0, 0.2)});
  r0.sources.push_back(reduce_exposition(gauges(1, 1, 1, 0.1)));
  r1.sources.push_back(down);  // replica B misses a scrape: round 1 is not a complete sum
  r2.sources.push_back(reduce_exposition(gauges(2, 2, 1, 0.1)));
  r3.sources.push_back(reduce_exposition(gauges(2, 2, 1, 0.1)));
  const auto s = aggregate_server_metrics({r0, r1, r2, r3}, {"a", "b"});
  ASSERT_TRUE(s.available);
  EXPECT_EQ(s.sources[1].scrapes_failed, 1u);
  EXPECT_EQ(s.sources[1].error, "connection refused");
  EXPECT_EQ(s.gauges.at("running_requests").samples, 3u);
  EXPECT_DOUBLE_EQ(s.gauges.at("running_requests").mean, (4.0 + 10.0 + 6.0) / 3);

  // Nobody answers: unavailable, a reason naming each URL, everything absent.
  SourceScrape not_found;
  not_found.error = "HTTP 404 (no metrics endpoint)";
  ScrapeRound a{TimePoint{}, {not_found}};
  const auto none = aggregate_server_metrics({a, a}, {"http://h:1/metrics"});
  EXPECT_FALSE(none.available);
  EXPECT_EQ(none.reason, "http://h:1/metrics: HTTP 404 (no metrics endpoint)");
  EXPECT_EQ(none.absent.size(),
            metrics::kServerGauges.size() + metrics::kServerCounters.size() + metrics::kServerLatencies.size() + 1);
  const auto j = report::to_json(none);
  EXPECT_EQ(j["available"], false);
  EXPECT_EQ(j["reason"], none.reason);
  EXPECT_TRUE(j["gauges"]["kv_cache_usage"].is_null());
  EXPECT_NE(report::format_server_table(none).find("unavailable: http://h:1/metrics: HTTP 404"), std::string::npos);
}

TEST(ServerAggregate, UnparsableExpositionIsAFailedScrapeWithTheLine) {
  const auto sc = reduce_exposition("vllm:num_requests_running 1\nvllm:x{a=\"1\" 2\n");
  EXPECT_FALSE(sc.ok);
  EXPECT_TRUE(sc.error.starts_with("invalid exposition: line 2: ")) << sc.error;
}

// ---- the name mapping of each engine, on the real expositions ------------------------------

// An empty exposition at the start (as if every counter and histogram were zero), then the
// exposition in every round, so the window's deltas and the gauges equal its own values.
metrics::ServerSummary single(const std::string& file) {
  const std::string text = read_data(file);
  return aggregate_server_metrics({round_at(0, {""}, false), round_at(1, {text}), round_at(2, {text}),
                                   round_at(3, {text}), round_at(4, {text}, false)},
                                  {file});
}

TEST(ServerMapping, VllmV1) {
  const auto s = single("prom_vllm_v1.prom");
  EXPECT_EQ(s.vendor, "vllm");
  EXPECT_DOUBLE_EQ(s.gauges.at("running_requests").mean, 9.0);  // engines 0 and 1 summed
  EXPECT_DOUBLE_EQ(s.gauges.at("waiting_requests").mean, 3.0);
  // Each engine's share of its own cache (0.25 and 0.5): the usage is their mean, not their sum.
  EXPECT_DOUBLE_EQ(s.gauges.at("kv_cache_usage").max, 0.375);
  EXPECT_EQ(s.counters.at("prompt_tokens").delta, 3840.0);
  EXPECT_EQ(s.counters.at("generation_tokens").delta, 1920.0);
  EXPECT_EQ(s.counters.at("requests_succeeded").delta, 30.0);
  EXPECT_DOUBLE_EQ(s.prefix_cache_hit_rate.value, 1200.0 / 3000.0);
  const auto& ttft = s.latencies_ms.at("ttft");
  EXPECT_EQ(ttft.count, 8.0);
  EXPECT_NEAR(ttft.mean, 1000.0 * (0.45 + 0.9) / 8, 1e-9);
  // 8 observations: .03 .05 .06 .07 .1 .14 .3 .6; rank 4 falls in the bucket (0.06, 0.08].
  expect_bounds(ttft.p50, 60.0, 80.0);
  EXPECT_EQ(s.latencies_ms.at("itl").metric, "vllm:inter_token_latency_seconds");
  EXPECT_EQ(s.latencies_ms.at("e2e").count, 2.0);
  EXPECT_EQ(s.latencies_ms.at("queue").count, 2.0);
  EXPECT_TRUE(contains(s.absent, "prefill"));
  EXPECT_TRUE(contains(s.absent, "decode"));
  EXPECT_FALSE(contains(s.absent, "ttft"));
  // The OpenMetrics rendering of the same registry maps identically.
  const auto om = single("prom_vllm_v1_openmetrics.prom");
  EXPECT_EQ(om.counters.at("prompt_tokens").delta, 3840.0);
  EXPECT_EQ(om.absent, s.absent);
}

TEST(ServerMapping, VllmV0OldNames) {
  const auto s = single("prom_vllm_v0.prom");
  EXPECT_EQ(s.vendor, "vllm");
  EXPECT_EQ(s.gauges.at("kv_cache_usage").metric, "vllm:gpu_cache_usage_perc");
  EXPECT_DOUBLE_EQ(s.gauges.at("kv_cache_usage").mean, 0.42);
  EXPECT_EQ(s.latencies_ms.at("itl").metric, "vllm:time_per_output_token_seconds");
  EXPECT_EQ(s.latencies_ms.at("itl").count, 4.0);
  EXPECT_EQ(s.counters.at("preemptions").delta, 7.0);
  EXPECT_EQ(s.prefix_cache_hit_rate.from, "vllm:gpu_prefix_cache_hit_rate");
  EXPECT_DOUBLE_EQ(s.prefix_cache_hit_rate.value, 0.3);
}

TEST(ServerMapping, Sglang) {
  const auto s = single("prom_sglang.prom");
  EXPECT_EQ(s.vendor, "sglang");
  EXPECT_EQ(s.gauges.at("running_requests").metric, "sglang:num_running_reqs");
  EXPECT_DOUBLE_EQ(s.gauges.at("waiting_requests").mean, 4.0);
  EXPECT_DOUBLE_EQ(s.gauges.at("kv_cache_usage").mean, 0.11);
  EXPECT_EQ(s.counters.at("prefix_cache_hits").delta, 2000.0);
  EXPECT_EQ(s.prefix_cache_hit_rate.from, "sglang:cache_hit_rate");
  EXPECT_DOUBLE_EQ(s.prefix_cache_hit_rate.value, 0.55);
  EXPECT_EQ(s.latencies_ms.at("itl").count, 3.0);
  EXPECT_EQ(s.latencies_ms.at("ttft").count, 1.0);
  EXPECT_TRUE(contains(s.absent, "queue"));
}

TEST(ServerMapping, TgiHasNoTtft) {
  const auto s = single("prom_tgi.prom");
  EXPECT_EQ(s.vendor, "tgi");
  EXPECT_TRUE(contains(s.absent, "ttft"));
  EXPECT_TRUE(contains(s.absent, "itl"));
  EXPECT_DOUBLE_EQ(s.gauges.at("running_requests").mean, 3.0);
  EXPECT_DOUBLE_EQ(s.gauges.at("waiting_requests").mean, 2.0);
  EXPECT_EQ(s.counters.at("requests_succeeded").delta, 3.0);
  EXPECT_EQ(s.counters.at("prompt_tokens").delta, 512.0);      // Σ tgi_request_input_length
  EXPECT_EQ(s.counters.at("generation_tokens").delta, 600.0);  // Σ tgi_request_generated_tokens
  EXPECT_NEAR(s.latencies_ms.at("e2e").mean, 2500.0, 1e-9);
  EXPECT_NEAR(s.latencies_ms.at("tpot").mean, 12.5, 1e-9);
  EXPECT_EQ(s.latencies_ms.at("queue").count, 3.0);
  EXPECT_EQ(s.latencies_ms.at("inference").metric, "tgi_request_inference_duration");
  const auto j = report::to_json(s);
  EXPECT_TRUE(j["latency_ms"]["ttft"].is_null());
  EXPECT_NE(report::format_server_table(s).find("TTFT (server)      absent"), std::string::npos);
}

TEST(ServerMapping, LlamaCppAndUnknown) {
  const auto s = single("prom_llamacpp.prom");
  EXPECT_EQ(s.vendor, "llamacpp");
  EXPECT_EQ(s.counters.at("prompt_tokens").delta, 1536.0);
  EXPECT_EQ(s.counters.at("generation_tokens").delta, 384.0);
  EXPECT_DOUBLE_EQ(s.gauges.at("waiting_requests").mean, 1.0);
  const auto u = aggregate_server_metrics({round_at(0, {"process_cpu_seconds_total 1\n"})}, {"u"});
  EXPECT_TRUE(u.available);
  EXPECT_EQ(u.vendor, "unknown");
}

// ---- the scraper against a loopback /metrics whose text changes -----------------------------

namespace net = boost::asio;
namespace bhttp = boost::beast::http;

// Serves GET → (status, body) from a settable pair on its own thread.
class MetricsServer {
 public:
  MetricsServer() : acceptor_(ioc_, {net::ip::make_address("127.0.0.1"), 0}) {
    net::co_spawn(ioc_, accept(), net::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~MetricsServer() {
    net::post(ioc_, [this] { ioc_.stop(); });
    thread_.join();
  }
  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  void set(int status, std::string body) {
    std::lock_guard lock(mutex_);
    status_ = status;
    body_ = std::move(body);
  }
  std::size_t requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::string last_target() {
    std::lock_guard lock(mutex_);
    return target_;
  }

 private:
  net::awaitable<void> accept() {
    for (;;) {
      auto socket = co_await acceptor_.async_accept(net::use_awaitable);
      net::co_spawn(ioc_, session(std::move(socket)), net::detached);
    }
  }
  net::awaitable<void> session(net::ip::tcp::socket socket) {
    boost::beast::flat_buffer buffer;
    for (;;) {
      bhttp::request<bhttp::string_body> req;
      boost::system::error_code ec;
      co_await bhttp::async_read(socket, buffer, req, net::redirect_error(net::use_awaitable, ec));
      if (ec) co_return;
      bhttp::response<bhttp::string_body> res;
      {
        std::lock_guard lock(mutex_);
        ++requests_;
        target_ = std::string(req.target());
        res.result(static_cast<unsigned>(status_));
        res.body() = body_;
      }
      res.version(11);
      res.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      co_await bhttp::async_write(socket, res, net::redirect_error(net::use_awaitable, ec));
      if (ec) co_return;
    }
  }

  net::io_context ioc_;
  net::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  std::mutex mutex_;
  int status_ = 200;
  std::string body_;
  std::size_t requests_ = 0;
  std::string target_;
};

MetricsSource source_for(unsigned short port, const std::string& path = "/metrics") {
  MetricsSource s;
  s.url = http::Url::parse(fmt::format("http://127.0.0.1:{}{}", port, path));
  return s;
}

TEST(ServerScraper, DeltasOverALoopbackWindow) {
  MetricsServer server;
  server.set(200, vllm_counters(1000, 100, 0, 10, 5) + gauges(1, 1, 0, 0.2) + ttft_hist(5, 5, 5, 5, 0.25));
  ScrapeOptions options;
  options.sources.push_back(source_for(server.port()));
  options.interval = std::chrono::milliseconds(50);
  ServerMetricsScraper scraper(options);
  scraper.start();
  EXPECT_EQ(server.requests(), 1u);  // start() returns after the baseline scrape
  EXPECT_EQ(server.last_target(), "/metrics");
  server.set(200, vllm_counters(1500, 400, 3, 110, 55) + gauges(4, 5, 2, 0.6) + ttft_hist(15, 25, 25, 25, 4.25));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  const auto s = scraper.stop();
  ASSERT_TRUE(s.available) << s.reason;
  EXPECT_GE(s.scrapes, 3u);  // start, at least one periodic, the last
  EXPECT_EQ(s.scrapes, server.requests());
  EXPECT_GE(s.window_s, 0.4);
  EXPECT_EQ(s.sources.at(0).url, fmt::format("http://127.0.0.1:{}/metrics", server.port()));
  EXPECT_EQ(s.sources.at(0).scrapes_ok, s.scrapes);
  EXPECT_EQ(s.counters.at("prompt_tokens").delta, 1500.0);  // 500 + 2·500
  EXPECT_EQ(s.counters.at("generation_tokens").delta, 300.0);
  EXPECT_EQ(s.counters.at("preemptions").delta, 3.0);
  EXPECT_DOUBLE_EQ(s.prefix_cache_hit_rate.value, 0.5);
  // The rounds during the load all saw the new text; the idle baseline is not in the mean.
  EXPECT_EQ(s.scrapes_during_load, s.scrapes - 2);
  EXPECT_EQ(s.gauges.at("running_requests").samples, s.scrapes_during_load);
  EXPECT_DOUBLE_EQ(s.gauges.at("running_requests").max, 9.0);
  EXPECT_DOUBLE_EQ(s.gauges.at("running_requests").mean, 9.0);
  EXPECT_EQ(s.latencies_ms.at("ttft").count, 20.0);
  EXPECT_NEAR(s.latencies_ms.at("ttft").mean, 200.0, 1e-9);
  const auto j = report::to_json(s);
  EXPECT_EQ(j["counters"]["prompt_tokens"]["delta"], 1500.0);
  EXPECT_EQ(j["vendor"], "vllm");
}

TEST(ServerScraper, ShortWindowStillHasStartAndEnd) {
  MetricsServer server;
  server.set(200, vllm_counters(0, 0, 0, 0, 0));
  ScrapeOptions options;
  options.sources.push_back(source_for(server.port()));
  options.interval = std::chrono::seconds(60);
  ServerMetricsScraper scraper(options);
  scraper.start();
  server.set(200, vllm_counters(10, 20, 0, 0, 0));
  const auto s = scraper.stop();
  EXPECT_EQ(s.scrapes, 2u);
  EXPECT_EQ(s.scrapes_during_load, 0u);
  EXPECT_EQ(s.counters.at("generation_tokens").delta, 20.0);
}

TEST(ServerScraper, ShortLoadPointIsSampledDuringTheLoad) {
  // A 1.5 s load point with the default 5 s interval: once only start and end were scraped, both
  // idle, and the table read "running mean 0.0, max 0.0" with 16 requests in flight.
  MetricsServer server;
  server.set(200, "vllm:num_requests_running 0\n");
  ScrapeOptions options;
  options.sources.push_back(source_for(server.port()));
  options.interval = scrape_interval_for(std::chrono::seconds(5), std::chrono::milliseconds(1500));
  ServerMetricsScraper scraper(options);
  scraper.start();
  server.set(200, "vllm:num_requests_running 16\n");  // the load
  // The load ends halfway between two scrapes of the 0.25 s schedule: ending it on a multiple of
  // the interval (1.5 s) raced the drain below against a periodic scrape, which then read 0.
  std::this_thread::sleep_for(std::chrono::milliseconds(1375));
  server.set(200, "vllm:num_requests_running 0\n");  // drained
  const auto s = scraper.stop();
  EXPECT_GE(s.scrapes_during_load, 4u);  // every 0.25 s over 1.5 s, with room for a slow machine
  const auto& running = s.gauges.at("running_requests");
  EXPECT_GE(running.samples, metrics::kMinGaugeSamples);
  EXPECT_DOUBLE_EQ(running.max, 16.0);
  EXPECT_DOUBLE_EQ(running.mean, 16.0);
}

TEST(ServerScraper, NotFoundAndRefusedMakeItUnavailableWithAReason) {
  MetricsServer server;
  server.set(404, "Not Found");
  ScrapeOptions options;
  options.sources.push_back(source_for(server.port()));
  options.interval = std::chrono::milliseconds(20);
  {
    ServerMetricsScraper scraper(options);
    scraper.start();
    const auto s = scraper.stop();
    EXPECT_FALSE(s.available);
    EXPECT_NE(s.reason.find("HTTP 404"), std::string::npos) << s.reason;
    EXPECT_NE(s.reason.find("--metrics"), std::string::npos) << s.reason;
  }
  // A port nobody listens on (bound, then closed).
  unsigned short dead = 0;
  {
    net::io_context ioc;
    net::ip::tcp::acceptor a(ioc, {net::ip::make_address("127.0.0.1"), 0});
    dead = a.local_endpoint().port();
  }
  ScrapeOptions refused;
  refused.sources.push_back(source_for(dead));
  refused.timeout = std::chrono::seconds(2);
  ServerMetricsScraper scraper(refused);
  const TimePoint t0 = Clock::now();
  scraper.start();
  const auto s = scraper.stop();
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(5));
  EXPECT_FALSE(s.available);
  EXPECT_EQ(s.sources.at(0).scrapes_failed, 2u);
  EXPECT_FALSE(s.reason.empty());
}

}  // namespace
}  // namespace inferbench::server_metrics
