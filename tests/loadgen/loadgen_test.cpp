// The engine against the built-in simulator over real loopback HTTP: counts, timing and
// failure labels as a user of `inferbench run` would see them.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/write.hpp>
#include <cmath>
#include <memory>
#include <thread>
#include <vector>

#include "../http/test_support.hpp"
#include "loadgen/http_target.hpp"
#include "loadgen/runner.hpp"
#include "loadgen/worker.hpp"
#include "metrics/request_metrics.hpp"
#include "metrics/summary.hpp"
#include "report/failure_label.hpp"
#include "report/json.hpp"
#include "sim/server.hpp"
#include "workload/word_prompts.hpp"

namespace inferbench::loadgen {
namespace {

namespace net = boost::asio;
using metrics::LoadSpec;

struct Bench {
  sim::SimServer server;
  HttpTargetOptions target;

  explicit Bench(sim::SimOptions options, protocol::Api api = protocol::Api::Chat) : server(prepare(options)) {
    server.start();
    target.client.url = http::Url::parse("http://127.0.0.1:" + std::to_string(server.port()));
    target.api = api;
    target.model = "inferbench-sim";
    target.first_token_timeout = std::chrono::seconds(5);
    target.request_timeout = std::chrono::seconds(10);
  }
  static sim::SimOptions prepare(sim::SimOptions o) {
    o.port = 0;
    return o;
  }

  LoadResult run(const LoadPlan& plan, std::int64_t input_tokens = 32, std::int64_t output_tokens = 16,
                 std::function<bool()> stop = {}) {
    const auto specs = workload::make_word_prompts(8, input_tokens, output_tokens, 7);
    const HttpTargets targets(target, specs);
    RunHooks hooks;
    hooks.stop_requested = std::move(stop);
    return run_load(targets, specs, plan, hooks);
  }
};

// Simulator options with a fixed latency profile (other fields at their defaults).
sim::SimOptions latency(double ttft_ms, double itl_ms) {
  sim::SimOptions o;
  o.ttft_ms = ttft_ms;
  o.itl_ms = itl_ms;
  return o;
}

LoadPlan closed(int concurrency, std::size_t n) {
  LoadPlan plan;
  plan.load = {LoadSpec::Mode::Closed, concurrency, 0.0, "", 1.0};
  plan.num_requests = n;
  return plan;
}

TEST(EngineLoopback, CountsEqualServerUsageAndTimingMatchesTheSimulator) {
  for (const auto api : {protocol::Api::Chat, protocol::Api::Completions}) {
    Bench bench(latency(40, 10), api);
    const LoadResult result = bench.run(closed(4, 12), 32, 16);
    ASSERT_EQ(result.records.size(), 12u);
    std::vector<double> ttft_ms, tpot_ms;
    for (const auto& r : result.records) {
      ASSERT_TRUE(r.ok()) << report::failure_label(r) << ": " << r.error_detail;
      EXPECT_EQ(r.http_status, 200);
      ASSERT_TRUE(r.usage.prompt_tokens && r.usage.completion_tokens);
      EXPECT_EQ(*r.usage.prompt_tokens, 32);  // the server counted what the client counted
      EXPECT_EQ(*r.usage.prompt_tokens, r.client_prompt_tokens);
      EXPECT_EQ(*r.usage.completion_tokens, 16);
      EXPECT_EQ(r.chunks.size(), 16u);  // one token per chunk from this simulator
      const auto m = metrics::derive(r);
      ASSERT_TRUE(m.ttft_ms && m.tpot_ms);
      EXPECT_GE(*m.ttft_ms, 40.0 - 0.5);  // never before the simulator's first token
      ttft_ms.push_back(*m.ttft_ms);
      tpot_ms.push_back(*m.tpot_ms);
    }
    // Loopback adds well under a few ms; the simulator's own timer adds less than that. Medians:
    // in CI a parallel test once held the simulator's thread for ~25 ms while one round of four
    // first tokens was due, which moved those four TTFTs (65 ms) and TPOTs (8.3 ms) alike.
    const auto median = [](std::vector<double> v) {
      std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
      return v[v.size() / 2];
    };
    EXPECT_LE(median(ttft_ms), 40.0 + 8.0);
    EXPECT_NEAR(median(tpot_ms), 10.0, 1.0);
    const auto s = metrics::summarize(result.records, closed(4, 12).load, {});
    EXPECT_EQ(s.requests.completed, 12u);
    EXPECT_EQ(s.requests.failed, 0u);
    EXPECT_EQ(s.tokens.output, 12 * 16);
    EXPECT_NEAR(s.latency.itl_ms.p50, 10.0, 0.5);
    EXPECT_NEAR(s.concurrency.max, 4.0, 0.0);
  }
}

TEST(EngineLoopback, MultiTokenChunksKeepTokenCounts) {
  sim::SimOptions options = latency(5, 2);
  options.tokens_per_chunk = 4;
  Bench bench(options);
  const LoadResult result = bench.run(closed(2, 6), 8, 18);
  ASSERT_EQ(result.records.size(), 6u);
  for (const auto& r : result.records) {
    ASSERT_TRUE(r.ok()) << report::failure_label(r);
    EXPECT_EQ(r.chunks.size(), 5u);  // 4+4+4+4+2
    EXPECT_EQ(metrics::derive(r).output_tokens, 18);
  }
}

TEST(EngineLoopback, NonStreamingRequestsCountAsOneChunk) {
  Bench bench(latency(5, 1));
  bench.target.stream = false;
  const LoadResult result = bench.run(closed(2, 4), 8, 10);
  ASSERT_EQ(result.records.size(), 4u);
  for (const auto& r : result.records) {
    ASSERT_TRUE(r.ok()) << report::failure_label(r) << ": " << r.error_detail;
    ASSERT_EQ(r.chunks.size(), 1u);
    EXPECT_EQ(metrics::ChunkTokens(r, metrics::derive(r).output_tokens)(0), 10u);  // from usage
    EXPECT_EQ(r.usage.completion_tokens, 10);
  }
}

TEST(EngineLoopback, OpenLoopSendsOnScheduleAndMeasuresLag) {
  Bench bench(latency(5, 1));
  LoadPlan plan;
  plan.load = {LoadSpec::Mode::Open, 0, 40.0, "constant", 1.0};
  plan.num_requests = 40;
  for (int i = 0; i < 40; ++i) plan.offsets.push_back(from_s(i / 40.0));
  const LoadResult result = bench.run(plan, 8, 8);
  ASSERT_EQ(result.records.size(), 40u);
  const auto s = metrics::summarize(result.records, plan.load, {});
  EXPECT_EQ(s.requests.completed, 40u);
  ASSERT_TRUE(s.rate.has_value());
  EXPECT_NEAR(s.rate->achieved, 40.0, 1.0);
  // The median send is on time; the tail depends on how busy the machine is (ctest runs
  // tests in parallel with each other), so it is reported by the benchmarks, not asserted.
  EXPECT_LT(s.latency.schedule_lag_ms.p50, 3.0);
  for (const auto& r : result.records) EXPECT_GE(r.sent.value(), r.scheduled);
}

TEST(EngineLoopback, OpenLoopCapQueuesAndTheLagShowsIt) {
  // 20 req/s but each request takes ~200 ms and only one may be in flight: requests queue
  // client-side, and latency from the intended time grows while latency from the send does not.
  Bench bench(latency(100, 10));
  LoadPlan plan;
  plan.load = {LoadSpec::Mode::Open, 1, 20.0, "constant", 1.0};
  plan.num_requests = 8;
  for (int i = 0; i < 8; ++i) plan.offsets.push_back(from_s(i / 20.0));
  const LoadResult result = bench.run(plan, 4, 10);
  const auto s = metrics::summarize(result.records, plan.load, {});
  ASSERT_EQ(s.requests.completed, 8u);
  EXPECT_EQ(s.concurrency.max, 1.0);
  EXPECT_GT(s.latency.schedule_lag_ms.max, 700.0);
  EXPECT_GT(s.latency.ttft_from_sched_ms.max, s.latency.ttft_ms.max + 500.0);
}

struct FaultCase {
  const char* fault;
  const char* label;
};

TEST(EngineLoopback, InjectedFaultsAreLabelledFailures) {
  const FaultCase cases[] = {
      {"http_429", "http_429"},
      {"http_503", "http_503"},
      {"reset_mid_stream", "reset_mid_stream"},
      {"error_event", "stream_error"},
      {"malformed_chunk", "malformed_chunk"},
      {"close_before_response", "closed_before_response"},
      {"stall", "timeout_request"},
  };
  for (const auto& c : cases) {
    Bench bench(latency(2, 1));
    bench.target.headers = {{"x-inferbench-fault", c.fault}};
    bench.target.request_timeout = std::chrono::milliseconds(300);
    const LoadResult result = bench.run(closed(2, 4), 4, 8);
    ASSERT_EQ(result.records.size(), 4u) << c.fault;
    for (const auto& r : result.records) {
      EXPECT_EQ(report::failure_label(r), c.label) << c.fault << ": " << r.error_detail;
      EXPECT_FALSE(r.error_detail.empty()) << c.fault;
    }
    const auto s = metrics::summarize(result.records, closed(2, 4).load, {});
    EXPECT_EQ(s.requests.failed, 4u) << c.fault;
    EXPECT_EQ(report::failure_counts(s).at(c.label), 4u) << c.fault;
    EXPECT_DOUBLE_EQ(s.requests.failure_rate, 1.0) << c.fault;
  }
}

TEST(EngineLoopback, ARequestRetriedOnAFreshConnectionIsMarked) {
  // Closes before any response, at random: on a kept-alive connection the request goes once more
  // on a fresh one (and is marked retried); on a fresh connection it is a closed_before_response.
  sim::SimOptions options = latency(1, 1);
  options.fault_rates = {{sim::Fault::CloseBeforeResponse, 0.3}};
  options.seed = 5;
  Bench bench(options);
  const LoadResult result = bench.run(closed(1, 60), 4, 4);
  ASSERT_EQ(result.records.size(), 60u);
  std::size_t retried = 0, closed_fresh = 0;
  for (const auto& r : result.records) {
    if (r.retried) {
      ++retried;
      EXPECT_TRUE(r.ok() || r.failure == metrics::Failure::ClosedBeforeResponse) << r.error_detail;
    }
    if (r.failure == metrics::Failure::ClosedBeforeResponse) ++closed_fresh;
    EXPECT_TRUE(r.ok() || r.failure == metrics::Failure::ClosedBeforeResponse) << r.error_detail;
  }
  EXPECT_GT(retried, 0u);
  EXPECT_GT(closed_fresh, 0u);
  for (const auto& r : result.records) {
    EXPECT_EQ(report::request_line(r, metrics::derive(r)).at("retried"), r.retried);
  }
}

TEST(EngineLoopback, FirstTokenTimeoutIsItsOwnLabel) {
  Bench bench(latency(2000, 1));
  bench.target.first_token_timeout = std::chrono::milliseconds(100);
  const LoadResult result = bench.run(closed(1, 2), 4, 4);
  ASSERT_EQ(result.records.size(), 2u);
  for (const auto& r : result.records) EXPECT_EQ(report::failure_label(r), "timeout_first_token") << r.error_detail;
}

TEST(EngineLoopback, RandomFailuresAreCountedNotLost) {
  sim::SimOptions options = latency(1, 1);
  options.fault_rates = {{sim::Fault::Http500, 0.3}, {sim::Fault::ResetMidStream, 0.2}};
  options.seed = 11;
  Bench bench(options);
  const LoadResult result = bench.run(closed(4, 100), 4, 6);
  ASSERT_EQ(result.records.size(), 100u);
  const auto s = metrics::summarize(result.records, closed(4, 100).load, {});
  EXPECT_EQ(s.requests.completed + s.requests.failed, 100u);
  EXPECT_GT(report::failure_counts(s).at("http_500"), 10u);
  EXPECT_GT(report::failure_counts(s).at("reset_mid_stream"), 3u);
  std::size_t labelled = 0;
  for (const auto& [label, n] : s.requests.failures) labelled += n;
  EXPECT_EQ(labelled, s.requests.failed);
  EXPECT_EQ(s.tokens.output, static_cast<std::int64_t>(s.requests.completed) * 6);
}

TEST(EngineLoopback, UnreachableServerIsAConnectFailure) {
  HttpTargetOptions target;
  {
    sim::SimOptions options;
    options.port = 0;
    sim::SimServer probe(options);
    probe.start();
    target.client.url = http::Url::parse("http://127.0.0.1:" + std::to_string(probe.port()));
  }  // stopped: nothing listens on that port now
  target.model = "m";
  const auto specs = workload::make_word_prompts(1, 4, 4, 1);
  const LoadResult result = run_load(HttpTargets(target, specs), specs, closed(1, 3), {});
  ASSERT_EQ(result.records.size(), 3u);
  for (const auto& r : result.records) EXPECT_EQ(report::failure_label(r), "connect_failed") << r.error_detail;
}

// A server that is gone: users back off instead of spinning failing connects (~11,000 a second
// before), and the circuit breaker ends the load point, aborted, with the reason.
TEST(EngineLoopback, ADeadServerTripsTheCircuitBreaker) {
  HttpTargetOptions target;
  {
    sim::SimOptions options;
    options.port = 0;
    sim::SimServer gone(options);
    gone.start();
    target.client.url = http::Url::parse("http://127.0.0.1:" + std::to_string(gone.port()));
  }
  target.model = "m";
  const auto specs = workload::make_word_prompts(1, 4, 4, 1);
  LoadPlan plan = closed(4, 0);
  plan.duration = std::chrono::seconds(30);
  plan.abort_after = std::chrono::milliseconds(500);
  const TimePoint t0 = Clock::now();
  const LoadResult result = run_load(HttpTargets(target, specs), specs, plan, {});
  const double took = to_s(Clock::now() - t0);
  EXPECT_LT(took, 3.0);  // not the 30 s of the load point
  EXPECT_NE(result.aborted.find("could not reach the server"), std::string::npos) << result.aborted;
  EXPECT_FALSE(result.interrupted);
  // 4 users backing off from 10 ms: a few dozen connects, not thousands.
  EXPECT_LT(result.records.size(), 200u);
  for (const auto& r : result.records) EXPECT_EQ(report::failure_label(r), "connect_failed");
}

// Users start spread over the ramp, and what they send during it is excluded like warm-up.
TEST(EngineLoopback, RampUpSpreadsTheUsersAndExcludesItsRequests) {
  Bench bench(latency(5, 1));
  LoadPlan plan = closed(50, 0);
  plan.ramp_up = std::chrono::milliseconds(1000);
  plan.duration = std::chrono::milliseconds(500);
  const LoadResult result = bench.run(plan, 8, 4);
  std::size_t ramp = 0;
  std::size_t measured = 0;
  TimePoint first = TimePoint::max();
  for (const auto& r : result.records) {
    ASSERT_TRUE(r.ok()) << r.error_detail;
    (r.warmup ? ramp : measured) += 1;
    first = std::min(first, *r.sent);
  }
  // 100 ms into the ramp about 5 of the 50 users have started (one every 20 ms).
  const TimePoint early = first + std::chrono::milliseconds(100);
  const auto in_flight_early = std::count_if(result.records.begin(), result.records.end(),
                                             [&](const auto& r) { return *r.sent <= early && early < r.done; });
  EXPECT_LE(in_flight_early, 8);
  EXPECT_GT(ramp, 0u);
  EXPECT_GT(measured, 0u);
  const metrics::LoadPointSummary s = metrics::summarize(result.records, plan.load, {});
  EXPECT_EQ(s.requests.warmup, ramp);
  EXPECT_EQ(s.requests.completed, measured);
  EXPECT_EQ(s.concurrency.max, 50.0);  // after the ramp every user is in
}

// A server that answers (even with errors) never trips the breaker.
TEST(EngineLoopback, AnsweringServerDoesNotTripTheBreaker) {
  sim::SimOptions options = latency(1, 1);
  options.fault_rates.push_back({sim::Fault::Http500, 1.0});
  Bench bench(options);
  LoadPlan plan = closed(2, 0);
  plan.duration = std::chrono::milliseconds(1500);
  plan.abort_after = std::chrono::milliseconds(300);
  const LoadResult result = bench.run(plan);
  EXPECT_TRUE(result.aborted.empty()) << result.aborted;
  EXPECT_GT(result.records.size(), 10u);
}

TEST(EngineLoopback, StopEndsTheRunWithWhatFinished) {
  Bench bench(latency(5, 5));
  const TimePoint stop_at = Clock::now() + std::chrono::milliseconds(600);
  const LoadResult result = bench.run(closed(4, 10000), 4, 20, [stop_at] { return Clock::now() >= stop_at; });
  EXPECT_TRUE(result.interrupted);
  EXPECT_GT(result.records.size(), 4u);  // ~100 ms each, 4 at a time, for 0.6 s
  EXPECT_LT(result.records.size(), 100u);
  EXPECT_LE(result.cancelled, 4u);  // at most the in-flight ones
  for (const auto& r : result.records) EXPECT_TRUE(r.ok()) << report::failure_label(r);
}

TEST(EngineLoopback, ASummaryBuiltAsRecordsArriveKeepsNoneAndEqualsTheOneOverThem) {
  // What `inferbench run` does: records go to the sink (and the builder), none is kept, and the
  // summary is the one over the records. Interrupted, so that cancelled ones are in the sink too.
  Bench bench(latency(5, 2));
  const auto specs = workload::make_word_prompts(8, 16, 20, 7);
  const HttpTargets targets(bench.target, specs);
  const LoadPlan plan = closed(4, 10000);
  std::vector<metrics::RequestRecord> seen;
  metrics::SummaryBuilder builder(plan.load, {}, {.exact_samples = 50, .in_flight_horizon = std::chrono::seconds(11)});
  RunHooks hooks;
  hooks.keep_records = false;
  hooks.on_record = [&](const metrics::RequestRecord& r) {
    seen.push_back(r);
    if (r.failure != metrics::Failure::Cancelled) builder.add(r);
  };
  const TimePoint stop_at = Clock::now() + std::chrono::milliseconds(500);
  hooks.stop_requested = [stop_at] { return Clock::now() >= stop_at; };
  const LoadResult result = run_load(targets, specs, plan, hooks);
  EXPECT_TRUE(result.records.empty());
  const auto cancelled =
      std::count_if(seen.begin(), seen.end(), [](const auto& r) { return r.failure == metrics::Failure::Cancelled; });
  EXPECT_EQ(result.cancelled, static_cast<std::size_t>(cancelled));
  std::erase_if(seen, [](const auto& r) { return r.failure == metrics::Failure::Cancelled; });
  ASSERT_GT(seen.size(), 8u);
  const metrics::LoadPointSummary streamed = builder.finish();
  const metrics::LoadPointSummary kept =
      metrics::summarize(seen, plan.load, {}, {.exact_samples = 50, .in_flight_horizon = std::nullopt});
  EXPECT_EQ(report::to_json(streamed).dump(), report::to_json(kept).dump());
  EXPECT_GT(streamed.latency.itl_ms.relative_error, 0.0);  // > 50 gaps: folded into a histogram
  EXPECT_EQ(streamed.latency.ttft_ms.relative_error, seen.size() > 50 ? metrics::kHistogramRelativeError : 0.0);
  EXPECT_EQ(streamed.concurrency.max, 4.0);
}

TEST(EngineLoopback, ClosedLoopDurationStopsNewRequests) {
  Bench bench(latency(5, 5));
  LoadPlan plan = closed(2, 0);
  plan.duration = std::chrono::milliseconds(500);
  const TimePoint t0 = Clock::now();
  const LoadResult result = bench.run(plan, 4, 10);
  const double elapsed = to_s(Clock::now() - t0);
  EXPECT_FALSE(result.interrupted);
  EXPECT_LT(elapsed, 1.0);  // 0.5 s plus at most one ~55 ms request per user draining
  EXPECT_GE(result.records.size(), 10u);
  for (const auto& r : result.records) EXPECT_TRUE(r.ok()) << report::failure_label(r);
}

TEST(EngineLoopback, WarmupRequestsAreMarked) {
  Bench bench(latency(1, 1));
  LoadPlan plan = closed(1, 5);
  plan.warmup = 3;
  const LoadResult result = bench.run(plan, 4, 4);
  ASSERT_EQ(result.records.size(), 8u);
  std::size_t warm = 0;
  for (const auto& r : result.records) warm += r.warmup ? 1 : 0;
  EXPECT_EQ(warm, 3u);
  const auto s = metrics::summarize(result.records, plan.load, {});
  EXPECT_EQ(s.requests.completed, 5u);
  EXPECT_EQ(s.requests.warmup, 3u);
}

// A stream whose server sends [DONE] but never ends the chunked body: [DONE] ends the request,
// after a 500 ms grace for the body to end (it used to wait for the whole request timeout and
// count timeout_request); the connection, left mid-body, is not reused.
TEST(EngineLoopback, DoneEndsAStreamWhoseBodyNeverEnds) {
  std::atomic<int> connections{0};
  http::test::LoopbackServer server([&](http::test::tcp::socket socket) -> net::awaitable<void> {
    ++connections;
    for (;;) {
      if (!co_await http::test::read_request(socket)) co_return;
      const std::string body = std::string("data: {\"choices\":[{\"index\":0,\"text\":\" hi\"}]}\n\n") +
                               "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":1}}\n\n" +
                               "data: [DONE]\n\n";
      const std::string response =
          "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n" +
          fmt::format("{:x}\r\n{}\r\n", body.size(), body);  // no terminating 0-chunk
      boost::system::error_code ec;
      co_await net::async_write(socket, net::buffer(response), net::redirect_error(net::use_awaitable, ec));
      co_await http::test::sleep_for(std::chrono::seconds(30));  // holds the body open
    }
  });
  HttpTargetOptions target;
  target.client.url = http::Url::parse(server.url());
  target.model = "m";
  target.request_timeout = std::chrono::seconds(20);
  const auto specs = workload::make_word_prompts(1, 4, 1, 1);
  const TimePoint t0 = Clock::now();
  const LoadResult result = run_load(HttpTargets(target, specs), specs, closed(1, 3), {});
  EXPECT_LT(to_s(Clock::now() - t0), 5.0);  // not 3 × the 20 s timeout
  ASSERT_EQ(result.records.size(), 3u);
  for (const auto& r : result.records) {
    EXPECT_TRUE(r.ok()) << report::failure_label(r) << ": " << r.error_detail;
    EXPECT_EQ(r.usage.completion_tokens, 1);
  }
  EXPECT_EQ(connections.load(), 3);  // each connection was left mid-body: never reused
}

// A keep-alive server answering every request with `body` as a whole text/event-stream.
std::unique_ptr<http::test::LoopbackServer> sse_server(std::string body) {
  return std::make_unique<http::test::LoopbackServer>(
      [body = std::move(body)](http::test::tcp::socket socket) -> net::awaitable<void> {
        const std::string response = fmt::format(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: {}\r\n\r\n{}", body.size(), body);
        while (co_await http::test::read_request(socket)) {
          boost::system::error_code ec;
          co_await net::async_write(socket, net::buffer(response), net::redirect_error(net::use_awaitable, ec));
        }
      });
}

// A target for `server` with model "m" and default timeouts.
HttpTargetOptions target_of(const http::test::LoopbackServer& server) {
  HttpTargetOptions target;
  target.client.url = http::Url::parse(server.url());
  target.model = "m";
  return target;
}

// A server that lies in usage: 2^32 completion tokens used to insert one ITL sample per token
// (std::bad_alloc, or 24 GB and the OOM killer), and INT64_MAX prompts overflowed the sum.
TEST(EngineLoopback, LyingUsageIsRejectedNotAllocated) {
  const auto server = sse_server(
      std::string("data: {\"choices\":[{\"index\":0,\"text\":\" hi\"}]}\n\n") +
      "data: {\"choices\":[{\"index\":0,\"text\":\" there\"}]}\n\n" +
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9223372036854775807,\"completion_tokens\":4294967296}}\n\n" +
      "data: [DONE]\n\n");
  const HttpTargetOptions target = target_of(*server);
  const auto specs = workload::make_word_prompts(1, 4, 8, 1);
  const LoadResult result = run_load(HttpTargets(target, specs), specs, closed(2, 6), {});
  ASSERT_EQ(result.records.size(), 6u);
  const metrics::LoadPointSummary s = metrics::summarize(result.records, closed(2, 6).load, {});
  EXPECT_EQ(s.requests.completed, 6u);
  EXPECT_EQ(s.tokens.usage_rejected, 6u);
  EXPECT_EQ(s.tokens.input, 6 * specs[0].input_tokens);  // the client's own prompt counts
  EXPECT_EQ(s.tokens.output_unknown, 6u);
  EXPECT_TRUE(std::isnan(s.throughput.output_tokens_per_s));
  EXPECT_EQ(s.latency.itl_ms.count, 6u);  // one chunk gap per request, one token each (count unknown)
}

// A server that ignores max_tokens and streams until its context ends: cut at max_tokens + slack
// and labelled, not left to run to the request timeout.
TEST(EngineLoopback, AStreamPastMaxTokensIsCutAsOverrun) {
  http::test::LoopbackServer server([&](http::test::tcp::socket socket) -> net::awaitable<void> {
    if (!co_await http::test::read_request(socket)) co_return;
    boost::system::error_code ec;
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
    co_await net::async_write(socket, net::buffer(head), net::redirect_error(net::use_awaitable, ec));
    const std::string event = "data: {\"choices\":[{\"index\":0,\"text\":\" on\"}]}\n\n";
    const std::string chunk = fmt::format("{:x}\r\n{}\r\n", event.size(), event);
    for (int i = 0; i < 100000 && !ec; ++i) {
      co_await net::async_write(socket, net::buffer(chunk), net::redirect_error(net::use_awaitable, ec));
      if (i % 64 == 0) co_await http::test::sleep_for(std::chrono::milliseconds(1));
    }
  });
  HttpTargetOptions target = target_of(server);
  target.request_timeout = std::chrono::seconds(30);
  const auto specs = workload::make_word_prompts(1, 4, 8, 1);  // max_tokens 8: cut past 8 + 16 chunks
  const TimePoint t0 = Clock::now();
  const LoadResult result = run_load(HttpTargets(target, specs), specs, closed(1, 2), {});
  EXPECT_LT(to_s(Clock::now() - t0), 5.0);
  ASSERT_EQ(result.records.size(), 2u);
  for (const auto& r : result.records) {
    EXPECT_EQ(report::failure_label(r), "overrun") << r.error_detail;
    EXPECT_EQ(r.chunks.size(), 24u);  // what came within the limit is kept, nothing more
  }
}

// Within the slack the stream is not cut, but more tokens than asked is still said.
TEST(EngineLoopback, MoreTokensThanAskedIsFlagged) {
  std::string body;
  for (int i = 0; i < 10; ++i) body += "data: {\"choices\":[{\"index\":0,\"text\":\" w\"}]}\n\n";
  body += "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":10}}\n\ndata: [DONE]\n\n";
  const auto server = sse_server(body);
  const HttpTargetOptions target = target_of(*server);
  const auto specs = workload::make_word_prompts(1, 4, 8, 1);
  const LoadResult result = run_load(HttpTargets(target, specs), specs, closed(1, 3), {});
  const metrics::LoadPointSummary s = metrics::summarize(result.records, closed(1, 3).load, {});
  EXPECT_EQ(s.requests.completed, 3u);
  EXPECT_EQ(s.tokens.over_max_tokens, 3u);
  EXPECT_EQ(s.tokens.usage_rejected, 0u);  // 10 ≤ 8 + 16: plausible, and used
  EXPECT_EQ(s.tokens.output, 30);
}

}  // namespace
}  // namespace inferbench::loadgen
