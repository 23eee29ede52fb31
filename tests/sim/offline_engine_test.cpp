// Offline throughput through the in-process target equals the engine model's own accounting:
// the same batch submitted at virtual time 0 straight to an EngineModel gives the same token
// totals, and the elapsed time is the virtual time its last request finished.
#include <gtest/gtest.h>

#include "loadgen/runner.hpp"
#include "metrics/offline.hpp"
#include "sim/in_process_target.hpp"
#include "sim/responses.hpp"
#include "workload/word_prompts.hpp"

namespace inferbench::sim {
namespace {

struct EngineTruth {
  std::uint64_t prompt_tokens = 0;
  std::uint64_t output_tokens = 0;
  double last_finish_s = 0;
  std::size_t finished = 0;
};

EngineTruth run_engine(const EngineConfig& config, const std::vector<workload::RequestSpec>& specs) {
  EngineModel model(config);
  for (std::size_t i = 0; i < specs.size(); ++i) {
    std::vector<std::uint32_t> ids;
    append_word_ids(specs[i].prompt, ids);
    EXPECT_EQ(
        model.submit(SeqRequest::from_tokens(i, std::move(ids), static_cast<std::uint32_t>(specs[i].max_tokens), 0.0)),
        SubmitStatus::kAccepted);
  }
  EngineTruth truth;
  while (model.has_work()) {
    const IterationResult& r = model.step();
    if (!r.finished.empty()) truth.last_finish_s = std::max(truth.last_finish_s, r.end_s);
    truth.finished += r.finished.size();
  }
  truth.prompt_tokens = model.stats().prompt_tokens;
  truth.output_tokens = model.stats().generation_tokens;
  return truth;
}

loadgen::LoadPlan all_at_once(std::size_t n) {
  loadgen::LoadPlan plan;
  plan.load = {metrics::LoadSpec::Mode::Closed, static_cast<int>(n), 0.0, "", 1.0};
  plan.num_requests = n;
  return plan;
}

void expect_equal_to_engine(const EngineConfig& config, std::size_t n, std::int64_t input, std::int64_t output) {
  const auto specs = workload::make_word_prompts(n, input, output, 7);
  const auto result = loadgen::run_load(InProcessTargets({.engine = config}), specs, all_at_once(n), {});
  const metrics::OfflineThroughput t = metrics::offline_throughput(result.records);
  const EngineTruth truth = run_engine(config, specs);

  ASSERT_EQ(truth.finished, n);
  EXPECT_EQ(t.num_requests, n);
  EXPECT_EQ(t.completed, n);
  EXPECT_EQ(static_cast<std::uint64_t>(t.total_input_tokens), truth.prompt_tokens);
  EXPECT_EQ(static_cast<std::uint64_t>(t.total_output_tokens), truth.output_tokens);
  EXPECT_EQ(t.total_output_tokens, static_cast<std::int64_t>(n) * output);
  // Every request arrives at virtual 0, so the batch lasts until the engine's last finish.
  EXPECT_NEAR(t.elapsed_time, truth.last_finish_s, 1e-6);
  EXPECT_NEAR(t.total_tokens_per_second,
              static_cast<double>(truth.prompt_tokens + truth.output_tokens) / truth.last_finish_s, 1e-3);
}

TEST(OfflineEngine, SmallBatchEqualsTheEngineModelsAccounting) {
  expect_equal_to_engine(make_engine_config("Llama-3.1-8B", "H100"), 64, 128, 32);
}

TEST(OfflineEngine, BatchOverTheSequenceLimitQueuesAndStillMatches) {
  EngineConfig config = make_engine_config("Llama-3.1-8B", "H100");
  config.max_num_seqs = 16;  // 100 requests: most wait for a slot, as in a real offline batch
  expect_equal_to_engine(config, 100, 200, 20);
}

}  // namespace
}  // namespace inferbench::sim
