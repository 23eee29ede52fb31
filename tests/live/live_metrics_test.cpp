// The live exposition of --metrics-port: counts and histograms from known records, parsed back
// by the Prometheus text parser, and served over loopback HTTP by MetricsServer. The exposition
// is also checked by `promtool check metrics` during a real run (live_metrics_e2e_test.sh).
#include <gtest/gtest.h>

// Before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "../metrics/fixtures.hpp"
#include "core/error.hpp"
#include "live/live_metrics.hpp"
#include "live/metrics_server.hpp"
#include "protocol/prometheus.hpp"

namespace inferbench::live {
namespace {

using protocol::PromExposition;

double value_of(const PromExposition& e, const std::string& name, const std::string& label = "",
                const std::string& label_value = "") {
  for (const auto& s : e.samples) {
    if (s.name != name) continue;
    if (label.empty() || (s.label(label) && *s.label(label) == label_value)) return s.value;
  }
  ADD_FAILURE() << "no sample " << name << "{" << label << "=" << label_value << "}";
  return -1;
}

PromExposition parsed(const LiveMetrics& live) {
  const auto result = protocol::parse_prometheus(live.exposition());
  EXPECT_TRUE(result.ok()) << result.error;
  return result.exposition;
}

void feed_fixture(LiveMetrics& live) {
  live.begin_load_point(0, "concurrency 3");
  for (const auto& r : metrics::testing::closed_loop_records()) live.record(r);
}

TEST(LiveMetrics, CountsOutcomesTokensAndLatencies) {
  LiveMetrics live;
  feed_fixture(live);
  live.set_in_flight(2);
  const PromExposition e = parsed(live);
  EXPECT_EQ(value_of(e, "inferbench_requests_total", "outcome", "ok"), 3);
  EXPECT_EQ(value_of(e, "inferbench_requests_total", "outcome", "failed"), 3);
  EXPECT_EQ(value_of(e, "inferbench_requests_total", "outcome", "warmup"), 1);
  EXPECT_EQ(value_of(e, "inferbench_request_failures_total", "error", "http_429"), 2);
  EXPECT_EQ(value_of(e, "inferbench_request_failures_total", "error", "http_500"), 1);
  EXPECT_EQ(value_of(e, "inferbench_input_tokens_total"), 350);
  EXPECT_EQ(value_of(e, "inferbench_output_tokens_total"), 9);
  // TTFT {100, 200, 300} ms.
  EXPECT_EQ(value_of(e, "inferbench_ttft_seconds_count"), 3);
  EXPECT_NEAR(value_of(e, "inferbench_ttft_seconds_sum"), 0.6, 1e-9);
  EXPECT_EQ(value_of(e, "inferbench_ttft_seconds_bucket", "le", "0.1"), 1);
  EXPECT_EQ(value_of(e, "inferbench_ttft_seconds_bucket", "le", "0.25"), 2);
  EXPECT_EQ(value_of(e, "inferbench_ttft_seconds_bucket", "le", "0.5"), 3);
  EXPECT_EQ(value_of(e, "inferbench_ttft_seconds_bucket", "le", "+Inf"), 3);
  // Gaps between chunks: r1 20 and 20 ms, r2 50 ms.
  EXPECT_EQ(value_of(e, "inferbench_itl_seconds_count"), 3);
  EXPECT_NEAR(value_of(e, "inferbench_itl_seconds_sum"), 0.09, 1e-9);
  EXPECT_EQ(value_of(e, "inferbench_requests_in_flight"), 2);
  EXPECT_EQ(value_of(e, "inferbench_load_point_running", "load", "concurrency 3"), 1);
  for (const char* family : {"inferbench_requests_total", "inferbench_ttft_seconds", "inferbench_requests_in_flight"}) {
    EXPECT_TRUE(e.families.count(family)) << family;
  }
  EXPECT_EQ(e.families.at("inferbench_ttft_seconds").type, protocol::PromType::Histogram);
}

TEST(LiveMetrics, SelfCheckAfterEachLoadPoint) {
  LiveMetrics live;
  feed_fixture(live);
  live.end_load_point(0.97, true);
  PromExposition e = parsed(live);
  EXPECT_NEAR(value_of(e, "inferbench_client_busiest_worker_cpu_ratio"), 0.97, 1e-12);
  EXPECT_EQ(value_of(e, "inferbench_client_limited"), 1);
  EXPECT_EQ(value_of(e, "inferbench_load_point_running", "load", "concurrency 3"), 0);
  live.begin_load_point(1, "rate 5/s \"quoted\"\nnewline\\");
  live.end_load_point(0.1, false);
  e = parsed(live);
  EXPECT_EQ(value_of(e, "inferbench_client_limited"), 0);
  EXPECT_EQ(value_of(e, "inferbench_client_limited_load_points_total"), 1);
  EXPECT_EQ(value_of(e, "inferbench_load_point"), 1);
  // A hostile label survives the round trip through the text format.
  EXPECT_EQ(value_of(e, "inferbench_load_point_running", "load", "rate 5/s \"quoted\"\nnewline\\"), 0);
}

namespace net = boost::asio;
namespace http = boost::beast::http;

http::response<http::string_body> get(std::uint16_t port, http::verb verb, const std::string& target) {
  net::io_context ioc;
  boost::beast::tcp_stream stream(ioc);
  stream.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  http::request<http::empty_body> req(verb, target, 11);
  req.set(http::field::host, "127.0.0.1");
  http::write(stream, req);
  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  if (verb == http::verb::head) parser.skip(true);
  http::read(stream, buffer, parser);
  return parser.release();
}

TEST(MetricsServer, ServesTheExpositionAtMetrics) {
  LiveMetrics live;
  feed_fixture(live);
  MetricsServer server(live, "127.0.0.1", 0);
  ASSERT_NE(server.port(), 0);
  const auto res = get(server.port(), http::verb::get, "/metrics");
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(res.body(), live.exposition());
  EXPECT_EQ(get(server.port(), http::verb::get, "/").result_int(), 404);
  EXPECT_EQ(get(server.port(), http::verb::post, "/metrics").result_int(), 405);
  EXPECT_EQ(get(server.port(), http::verb::head, "/metrics").result_int(), 200);
}

TEST(MetricsServer, APortInUseIsAOneLineError) {
  const LiveMetrics live;
  MetricsServer first(live, "127.0.0.1", 0);
  try {
    MetricsServer second(live, "127.0.0.1", first.port());
    FAIL() << "a second listener on the same port";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--metrics-port"), std::string::npos);
  }
  EXPECT_THROW(MetricsServer(live, "not-an-address", 0), Error);
}

}  // namespace
}  // namespace inferbench::live
