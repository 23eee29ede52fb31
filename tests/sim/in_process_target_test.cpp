// The Target boundary: one workload through the HTTP target (the simulator's server over real
// loopback HTTP) and through the in-process target (the engine model on the worker's event
// loop, no sockets) gives the same token counts; in simulated time the in-process timings are
// the engine model's own accounting, to the nanosecond.
#include <gtest/gtest.h>

#include <map>

#include "core/error.hpp"
#include "loadgen/http_target.hpp"
#include "loadgen/runner.hpp"
#include "sim/in_process_target.hpp"
#include "sim/responses.hpp"
#include "sim/server.hpp"
#include "workload/word_prompts.hpp"

namespace inferbench::sim {
namespace {

using metrics::LoadSpec;

constexpr int kRequests = 24;

std::vector<workload::RequestSpec> specs() {
  // Lengths that differ per request, so a mix-up of requests would show.
  std::vector<workload::RequestSpec> out;
  for (int i = 0; i < kRequests; ++i) {
    auto one = workload::make_word_prompts(1, 40 + 37 * i, 8 + 5 * (i % 7), static_cast<std::uint64_t>(i));
    out.push_back(std::move(one.front()));
  }
  return out;
}

loadgen::LoadPlan closed(int users, std::size_t n) {
  loadgen::LoadPlan plan;
  plan.load = {LoadSpec::Mode::Closed, users, 0.0, "", 1.0};
  plan.num_requests = n;
  return plan;
}

std::map<std::uint64_t, const metrics::RequestRecord*> by_id(const loadgen::LoadResult& result) {
  std::map<std::uint64_t, const metrics::RequestRecord*> out;
  for (const auto& r : result.records) out[r.id] = &r;
  return out;
}

EngineConfig engine_config() { return make_engine_config("Llama-3.1-8B", "H100"); }

TEST(InProcessTarget, SameTokenCountsAsTheHttpTarget) {
  const auto workload = specs();
  SimOptions options;
  options.port = 0;
  options.model_preset = "Llama-3.1-8B";
  options.hardware = "H100";
  options.time_scale = 20;  // fast, still real time
  SimServer server(options);
  server.start();
  loadgen::HttpTargetOptions http_options;
  http_options.client.url = http::Url::parse("http://127.0.0.1:" + std::to_string(server.port()));
  http_options.model = options.model;
  http_options.api = protocol::Api::Completions;
  const auto over_http =
      loadgen::run_load(loadgen::HttpTargets(http_options, workload), workload, closed(4, kRequests), {});

  const auto in_process =
      loadgen::run_load(InProcessTargets({.engine = engine_config()}), workload, closed(4, kRequests), {});

  ASSERT_EQ(over_http.records.size(), static_cast<std::size_t>(kRequests));
  ASSERT_EQ(in_process.records.size(), static_cast<std::size_t>(kRequests));
  const auto a = by_id(over_http);
  const auto b = by_id(in_process);
  for (const auto& [id, http_record] : a) {
    const auto* local = b.at(id);
    ASSERT_TRUE(http_record->ok()) << http_record->error_detail;
    ASSERT_TRUE(local->ok()) << local->error_detail;
    EXPECT_EQ(http_record->usage.prompt_tokens, local->usage.prompt_tokens) << id;
    EXPECT_EQ(http_record->usage.completion_tokens, local->usage.completion_tokens) << id;
    EXPECT_EQ(local->usage.completion_tokens, workload[id % workload.size()].max_tokens) << id;
    // Over HTTP one chunk per token; in-process one chunk per engine iteration's token.
    EXPECT_EQ(http_record->chunks.size(), local->chunks.size()) << id;
  }
}

TEST(InProcessTarget, SimulatedTimingsAreTheEngineModelsOwn) {
  const auto workload = specs();
  // Every request at once (one user each), as an offline batch: all arrive at virtual time 0.
  const auto result =
      loadgen::run_load(InProcessTargets({.engine = engine_config()}), workload, closed(kRequests, kRequests), {});
  ASSERT_EQ(result.records.size(), static_cast<std::size_t>(kRequests));

  // The same requests driven through the engine model directly.
  EngineModel model(engine_config());
  for (int i = 0; i < kRequests; ++i) {
    std::vector<std::uint32_t> ids;
    append_word_ids(workload[static_cast<std::size_t>(i)].prompt, ids);
    ASSERT_EQ(model.submit(SeqRequest::from_tokens(
                  static_cast<std::uint64_t>(i), std::move(ids),
                  static_cast<std::uint32_t>(workload[static_cast<std::size_t>(i)].max_tokens), 0.0)),
              SubmitStatus::kAccepted);
  }
  std::map<std::uint64_t, FinishedRequest> truth;
  while (model.has_work()) {
    for (const auto& f : model.step().finished) truth[f.id] = f;
  }
  ASSERT_EQ(truth.size(), static_cast<std::size_t>(kRequests));

  for (const auto& r : result.records) {
    ASSERT_TRUE(r.ok()) << r.error_detail;
    const FinishedRequest& f = truth.at(r.id);
    EXPECT_NEAR(to_s(r.chunks.front().t - r.sent.value()), f.ttft_s, 1e-9) << r.id;
    EXPECT_NEAR(to_s(r.done - r.sent.value()), f.e2e_s, 1e-9) << r.id;
    EXPECT_EQ(r.usage.prompt_tokens, f.prompt_tokens) << r.id;
    EXPECT_EQ(r.usage.completion_tokens, f.output_tokens) << r.id;
    EXPECT_EQ(r.chunks.size(), f.output_tokens) << r.id;
  }
}

TEST(InProcessTarget, RealTimeDeliversAtTheDueTimes) {
  const auto workload = specs();
  InProcessOptions options{.engine = engine_config(), .real_time = true, .time_scale = 10};
  const TimePoint t0 = Clock::now();
  const auto result = loadgen::run_load(InProcessTargets(options), workload, closed(4, 8), {});
  const double elapsed = to_s(Clock::now() - t0);
  ASSERT_EQ(result.records.size(), 8u);
  double last_done = 0;
  for (const auto& r : result.records) {
    ASSERT_TRUE(r.ok()) << r.error_detail;
    EXPECT_EQ(r.usage.completion_tokens, workload[r.id].max_tokens);
    last_done = std::max(last_done, to_s(r.done - t0));
  }
  // Real time: the run lasts as long as its virtual time divided by the scale (not instant).
  EXPECT_GT(last_done, 0.0);
  EXPECT_LE(last_done, elapsed);
}

TEST(InProcessTarget, OneEngineServesOneWorker) {
  const auto workload = specs();
  loadgen::LoadPlan plan = closed(2, 4);
  plan.workers = 2;
  EXPECT_THROW(loadgen::run_load(InProcessTargets({.engine = engine_config()}), workload, plan, {}), Error);
}

}  // namespace
}  // namespace inferbench::sim
