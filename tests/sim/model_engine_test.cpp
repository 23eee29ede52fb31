#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <tuple>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "model_test_util.hpp"
#include "sim/model/engine.hpp"

namespace inferbench::sim {
namespace {

using testing::check_invariants;
using testing::run_to_completion;
using testing::toy_config;

// Submits a random workload: prompts from a few shared prefixes, random lengths and arrivals.
void submit_random(EngineModel& e, std::uint64_t seed, int n, std::vector<std::uint32_t>* max_out) {
  Rng rng = make_rng(seed, 1);
  std::uniform_int_distribution<std::uint32_t> prompt_len(1, 300), out_len(1, 200), prefix(0, 3);
  std::exponential_distribution<double> gap(200.0);
  double t = 0;
  for (int i = 0; i < n; ++i) {
    const std::uint32_t p = prefix(rng);
    std::vector<std::uint32_t> tokens(prompt_len(rng));
    for (std::size_t k = 0; k < tokens.size(); ++k) {
      tokens[k] = k < 80 ? p * 1000 + static_cast<std::uint32_t>(k) : static_cast<std::uint32_t>(rng());
    }
    const std::uint32_t m = out_len(rng);
    ASSERT_EQ(e.submit(SeqRequest::from_tokens(i, std::move(tokens), m, t)), SubmitStatus::kAccepted);
    if (max_out) max_out->push_back(m);
    t += gap(rng);
  }
}

TEST(Engine, RandomLoadKeepsInvariantsAndDeliversEveryToken) {
  EngineConfig c = toy_config(64);  // 1024 tokens of KV: heavy preemption
  c.max_num_seqs = 16;
  c.max_num_batched_tokens = 128;
  EngineModel e(c);
  std::vector<std::uint32_t> max_out;
  submit_random(e, 7, 300, &max_out);
  const auto log = run_to_completion(e);
  ASSERT_FALSE(e.has_work());
  std::uint64_t total = 0;
  for (std::uint64_t id = 0; id < max_out.size(); ++id) {
    EXPECT_EQ(log.tokens.at(id), max_out[id]) << id;
    EXPECT_EQ(log.firsts.at(id), 1u) << id;
    ASSERT_EQ(log.finished.count(id), 1u);
    EXPECT_EQ(log.finished.at(id).reason, FinishReason::kLength);
    EXPECT_EQ(log.finished.at(id).output_tokens, max_out[id]);
    total += max_out[id];
  }
  const EngineStats st = e.stats();
  EXPECT_GT(st.preemptions, 0u);  // the workload does exercise preemption
  EXPECT_GT(st.prefix_cache_hits, 0u);
  EXPECT_EQ(st.generation_tokens, total);
  EXPECT_EQ(st.finished_length, max_out.size());
  EXPECT_EQ(st.running + st.waiting, 0u);
  EXPECT_EQ(e.pool().num_used(), 0u);
}

TEST(Engine, DeterministicAcrossRuns) {
  auto trace = [] {
    EngineConfig c = toy_config(80);
    c.max_num_seqs = 8;
    c.max_num_batched_tokens = 96;
    EngineModel e(c);
    submit_random(e, 11, 120, nullptr);
    std::vector<std::tuple<std::uint64_t, std::uint32_t, bool, double>> out;
    while (e.has_work()) {
      const auto& r = e.step();
      for (const auto& ev : r.events) out.emplace_back(ev.id, ev.tokens, ev.preempted, r.end_s);
    }
    return out;
  };
  const auto a = trace();
  const auto b = trace();
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, b);
}

TEST(Engine, TokenBudgetChunksPrefillAndDecodesGoFirst) {
  EngineConfig c = toy_config(1000);
  c.max_num_batched_tokens = 256;
  EngineModel e(c);
  ASSERT_EQ(e.submit(SeqRequest::from_length(1, 10, 50, 0)), SubmitStatus::kAccepted);
  const auto& r1 = e.step();  // prefill of request 1 → its first token
  ASSERT_EQ(r1.events.size(), 1u);
  EXPECT_TRUE(r1.events[0].first);
  ASSERT_EQ(e.submit(SeqRequest::from_length(2, 1000, 5, e.now())), SubmitStatus::kAccepted);
  // 1000 prompt tokens with 255 left per step after request 1's decode: 255·3 + 235.
  const std::uint32_t chunks[] = {255, 255, 255, 235};
  for (int i = 0; i < 4; ++i) {
    const auto& r = e.step();
    check_invariants(e, r);
    EXPECT_EQ(r.decode_tokens, 1u) << "step " << i;
    EXPECT_EQ(r.prefill_tokens, chunks[i]) << "step " << i;
    EXPECT_EQ(r.tokens(), std::min<std::uint32_t>(256, 1 + chunks[i]));
    const bool first_of_2 =
        std::any_of(r.events.begin(), r.events.end(), [](const SeqEvent& ev) { return ev.id == 2 && ev.first; });
    EXPECT_EQ(first_of_2, i == 3) << "step " << i;
  }
}

TEST(Engine, MaxNumSeqsLimitsRunning) {
  EngineConfig c = toy_config(1000);
  c.max_num_seqs = 3;
  EngineModel e(c);
  for (int i = 0; i < 10; ++i) e.submit(SeqRequest::from_length(i, 20, 30, 0));
  const auto& r = e.step();
  EXPECT_EQ(r.scheduled_seqs, 3u);
  EXPECT_EQ(e.stats().running, 3u);
  EXPECT_EQ(e.stats().waiting, 7u);
  const auto log = run_to_completion(e);
  EXPECT_EQ(log.finished.size(), 10u);  // all finish, every step within the limits
}

TEST(Engine, FifoAdmissionAndCompletionOrder) {
  EngineConfig c = toy_config(1000);
  c.max_num_seqs = 1;
  EngineModel e(c);
  for (int i = 0; i < 6; ++i) e.submit(SeqRequest::from_length(100 + i, 30 + 7 * i, 5 + i, 0));
  const auto log = run_to_completion(e);
  const std::vector<std::uint64_t> expected{100, 101, 102, 103, 104, 105};
  EXPECT_EQ(log.finish_order, expected);
  // With room for several, first tokens still come in submission order.
  c.max_num_seqs = 4;
  c.max_num_batched_tokens = 64;
  EngineModel f(c);
  for (int i = 0; i < 8; ++i) f.submit(SeqRequest::from_length(i, 50, 10, 0.001 * i));
  const auto log2 = run_to_completion(f);
  for (std::uint64_t i = 1; i < 8; ++i) {
    EXPECT_LE(log2.first_token_s.at(i - 1), log2.first_token_s.at(i)) << i;
  }
}

TEST(Engine, PreemptsNewestAndReadmitsItFirst) {
  EngineConfig c = toy_config(10);  // 160 tokens
  c.enable_prefix_caching = false;
  c.max_num_seqs = 2;
  EngineModel e(c);
  e.submit(SeqRequest::from_length(1, 64, 64, 0));  // grows to 128 tokens = 8 blocks
  e.submit(SeqRequest::from_length(2, 64, 64, 0));
  e.submit(SeqRequest::from_length(3, 32, 4, 0));
  bool saw_preemption = false;
  bool checked_readmission = false;
  while (e.has_work()) {
    const auto& r = e.step();
    check_invariants(e, r);
    for (const auto& ev : r.events) {
      if (!ev.preempted) continue;
      EXPECT_EQ(ev.id, 2u);  // the most recently admitted running request
      saw_preemption = true;
      const auto seqs = e.sequences();
      // Back at the head of the queue, ahead of request 3 which arrived earlier than its
      // re-queueing but later than its first admission.
      std::vector<std::uint64_t> waiting;
      for (const auto& s : seqs) {
        if (!s.running) waiting.push_back(s.id);
      }
      ASSERT_EQ(waiting, (std::vector<std::uint64_t>{2, 3}));
    }
    if (saw_preemption && !checked_readmission) {
      const auto seqs = e.sequences();
      if (!seqs.empty() && seqs.front().running && seqs.front().id == 2) checked_readmission = true;
      for (const auto& s : seqs) {
        if (s.running && s.id == 3) {
          EXPECT_TRUE(checked_readmission) << "3 admitted before 2";
        }
      }
    }
  }
  EXPECT_TRUE(saw_preemption);
  EXPECT_TRUE(checked_readmission);
  EXPECT_EQ(e.stats().preemptions, 1u);
  EXPECT_EQ(e.stats().generation_tokens, 64u + 64u + 4u);
}

TEST(Engine, PreemptedRequestKeepsItsTokensAndTimings) {
  EngineConfig c = toy_config(10);
  c.enable_prefix_caching = false;
  EngineModel e(c);
  e.submit(SeqRequest::from_length(1, 64, 64, 0));
  e.submit(SeqRequest::from_length(2, 64, 64, 0));
  const auto log = run_to_completion(e);
  ASSERT_EQ(log.preempted.count(2), 1u);
  EXPECT_EQ(log.tokens.at(2), 64u);
  EXPECT_EQ(log.firsts.at(2), 1u);
  EXPECT_EQ(log.finished.at(2).preemptions, 1u);
  EXPECT_EQ(log.finished.at(1).preemptions, 0u);
  // Request 2 waited for request 1 to finish, so it ends later and its decode took longer.
  EXPECT_GT(log.finished.at(2).decode_s, log.finished.at(1).decode_s);
}

TEST(Engine, QueueLimitRejects) {
  EngineConfig c = toy_config(1000);
  c.max_waiting = 2;
  EngineModel e(c);
  EXPECT_EQ(e.submit(SeqRequest::from_length(1, 10, 5, 0)), SubmitStatus::kAccepted);
  EXPECT_EQ(e.submit(SeqRequest::from_length(2, 10, 5, 0)), SubmitStatus::kAccepted);
  EXPECT_EQ(e.submit(SeqRequest::from_length(3, 10, 5, 0)), SubmitStatus::kQueueFull);
  EXPECT_EQ(e.stats().rejected, 1u);
  e.step();  // both admitted: the queue has room again
  EXPECT_EQ(e.stats().waiting, 0u);
  EXPECT_EQ(e.submit(SeqRequest::from_length(3, 10, 5, e.now())), SubmitStatus::kAccepted);
}

TEST(Engine, RejectsImpossibleRequests) {
  EngineConfig c = toy_config(10);  // 160 tokens
  EngineModel e(c);
  EXPECT_EQ(e.submit(SeqRequest::from_length(1, 150, 20, 0)), SubmitStatus::kTooLong);
  EXPECT_EQ(e.submit(SeqRequest::from_length(2, 0, 20, 0)), SubmitStatus::kInvalid);
  EXPECT_EQ(e.submit(SeqRequest::from_length(3, 10, 0, 0)), SubmitStatus::kInvalid);
  EXPECT_EQ(e.submit(SeqRequest::from_length(4, 100, 60, 0)), SubmitStatus::kAccepted);
  EXPECT_EQ(e.submit(SeqRequest::from_length(4, 10, 10, 0)), SubmitStatus::kInvalid);  // live id
  c.max_model_len = 50;
  EngineModel f(c);
  EXPECT_EQ(f.submit(SeqRequest::from_length(1, 40, 11, 0)), SubmitStatus::kTooLong);
  EXPECT_EQ(f.submit(SeqRequest::from_length(1, 40, 10, 0)), SubmitStatus::kAccepted);
}

TEST(Engine, StopAfterFinishesWithStop) {
  EngineModel e(toy_config(100));
  SeqRequest r = SeqRequest::from_length(1, 10, 50, 0);
  r.stop_after = 7;
  e.submit(std::move(r));
  const auto log = run_to_completion(e);
  EXPECT_EQ(log.tokens.at(1), 7u);
  EXPECT_EQ(log.finished.at(1).reason, FinishReason::kStop);
  EXPECT_EQ(e.stats().finished_stop, 1u);
}

TEST(Engine, StepTimesFollowTheRoofline) {
  EngineConfig c = toy_config(1000);
  c.enable_prefix_caching = false;
  EngineModel e(c);
  e.submit(SeqRequest::from_length(1, 40, 10, 0));
  const auto& r1 = e.step();
  BatchShape s1;
  s1.add_prefill(40, 0);
  EXPECT_DOUBLE_EQ(r1.end_s - r1.start_s, e.step_model().step_time(s1));
  e.submit(SeqRequest::from_length(2, 20, 10, e.now()));
  const auto& r2 = e.step();
  BatchShape s2;
  s2.add_decode(41);  // 40 prompt tokens + the first output token
  s2.add_prefill(20, 0);
  EXPECT_DOUBLE_EQ(r2.end_s - r2.start_s, e.step_model().step_time(s2));
  EXPECT_EQ(r2.decode_tokens, 1u);
  EXPECT_EQ(r2.prefill_tokens, 20u);
  const double end2 = r2.end_s;  // the result is reused by the next step
  const auto& r3 = e.step();
  BatchShape s3;
  s3.add_decode(42);
  s3.add_decode(21);
  EXPECT_DOUBLE_EQ(r3.end_s - r3.start_s, e.step_model().step_time(s3));
  EXPECT_DOUBLE_EQ(r3.start_s, end2);
}

TEST(Engine, RequestTimingsFollowVllmDefinitions) {
  EngineConfig c = toy_config(1000);
  c.admission_delay_s = 0.002;
  EngineModel e(c);
  e.submit(SeqRequest::from_length(1, 40, 5, 5.0));
  const double scheduled = 5.0 + c.admission_delay_s;
  std::vector<double> ends;
  std::vector<double> latencies;
  while (e.has_work()) {
    const auto& r = e.step();
    if (ends.empty()) {
      EXPECT_DOUBLE_EQ(r.start_s, 5.002);  // idle engine starts on arrival
    }
    ends.push_back(r.end_s);
    for (const auto& ev : r.events) latencies.push_back(ev.latency_s);
    if (!r.finished.empty()) {
      const FinishedRequest& f = r.finished[0];
      EXPECT_DOUBLE_EQ(f.arrival_s, 5.0);
      EXPECT_DOUBLE_EQ(f.queue_s, 0.0);
      EXPECT_DOUBLE_EQ(f.ttft_s, ends[0] - 5.0);
      EXPECT_DOUBLE_EQ(f.prefill_s, ends[0] - scheduled);
      EXPECT_DOUBLE_EQ(f.decode_s, ends[4] - ends[0]);
      EXPECT_DOUBLE_EQ(f.inference_s, ends[4] - scheduled);
      EXPECT_DOUBLE_EQ(f.e2e_s, ends[4] - 5.0);
      EXPECT_DOUBLE_EQ(f.tpot_s, (ends[4] - ends[0]) / 4);
      EXPECT_EQ(f.output_tokens, 5u);
      EXPECT_EQ(f.prompt_tokens, 40u);
    }
  }
  ASSERT_EQ(ends.size(), 5u);
  EXPECT_DOUBLE_EQ(latencies[0], ends[0] - 5.0);
  for (int i = 1; i < 5; ++i) EXPECT_DOUBLE_EQ(latencies[i], ends[i] - ends[i - 1]);
  EXPECT_EQ(e.stats().prompt_tokens, 40u);
  EXPECT_EQ(e.stats().generation_tokens, 5u);
  // Nothing left: an idle step changes nothing.
  const auto& idle = e.step();
  EXPECT_TRUE(idle.idle);
  EXPECT_DOUBLE_EQ(idle.end_s, ends.back());
}

TEST(Engine, QueueTimeCountsWaitingForASlot) {
  EngineConfig c = toy_config(1000);
  c.max_num_seqs = 1;
  EngineModel e(c);
  e.submit(SeqRequest::from_length(1, 40, 3, 0));
  e.submit(SeqRequest::from_length(2, 40, 3, 0));
  const auto log = run_to_completion(e);
  EXPECT_DOUBLE_EQ(log.finished.at(1).queue_s, 0.0);
  EXPECT_DOUBLE_EQ(log.finished.at(2).queue_s, log.finished.at(1).e2e_s);
}

TEST(Engine, AbortFreesBlocks) {
  EngineModel e(toy_config(100));
  e.submit(SeqRequest::from_length(1, 100, 50, 0));
  e.submit(SeqRequest::from_length(2, 100, 50, 0));
  e.step();
  const std::uint32_t used = e.pool().num_used();
  ASSERT_GT(used, 0u);
  EXPECT_DOUBLE_EQ(e.stats().kv_cache_usage, static_cast<double>(used) / 100);
  EXPECT_TRUE(e.abort(1));
  EXPECT_FALSE(e.abort(1));
  EXPECT_LT(e.pool().num_used(), used);
  EXPECT_DOUBLE_EQ(e.stats().kv_cache_usage, static_cast<double>(e.pool().num_used()) / 100);
  EXPECT_EQ(e.stats().running, 1u);
  EXPECT_EQ(e.stats().finished_abort, 1u);
  e.submit(SeqRequest::from_length(3, 10, 5, e.now()));
  EXPECT_TRUE(e.abort(3));  // from the waiting queue
  const auto log = run_to_completion(e);
  EXPECT_EQ(log.tokens.count(1), 0u);
  EXPECT_EQ(log.tokens.at(2), 49u);  // one came in the first step
}

TEST(Engine, NextStepTimeAndIdle) {
  EngineConfig c = toy_config(100);
  c.admission_delay_s = 0.01;
  EngineModel e(c);
  EXPECT_FALSE(e.has_work());
  EXPECT_TRUE(std::isinf(e.next_step_time()));
  EXPECT_TRUE(e.step().idle);
  e.submit(SeqRequest::from_length(1, 10, 2, 3.0));
  EXPECT_DOUBLE_EQ(e.next_step_time(), 3.01);
  const auto& r = e.step();
  EXPECT_FALSE(r.idle);
  EXPECT_DOUBLE_EQ(r.start_s, 3.01);
  EXPECT_DOUBLE_EQ(e.next_step_time(), r.end_s);
}

TEST(Engine, ConfigErrors) {
  EngineConfig c = toy_config(100);
  c.max_num_seqs = 0;
  EXPECT_THROW(EngineModel{c}, Error);
  c = toy_config(100);
  c.max_num_batched_tokens = 0;
  EXPECT_THROW(EngineModel{c}, Error);
  c = toy_config(100);
  c.gpu_memory_utilization = 1.5;
  c.num_gpu_blocks_override = 0;
  EXPECT_THROW(EngineModel{c}, Error);
}

}  // namespace
}  // namespace inferbench::sim
