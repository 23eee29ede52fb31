#include <gtest/gtest.h>

#include "core/error.hpp"
#include "sim/model/roofline.hpp"

namespace inferbench::sim {
namespace {

// A toy model and accelerator with round numbers, so every term can be computed by hand.
ModelPreset toy_model() {
  ModelPreset m;
  m.name = "toy";
  m.layers = 2;
  m.hidden = 1000;
  m.heads = 10;
  m.kv_heads = 10;
  m.head_dim = 100;
  m.intermediate = 4000;
  m.vocab = 1000;
  m.params = 1e9;
  m.bytes_per_param = 2;
  return m;  // KV bytes per token = 2·2·10·100·2 = 8000
}

HardwarePreset toy_hardware() { return {"toy", 100e9, 1e12, 1e14, 2e11}; }

RooflineParams toy_params() {
  RooflineParams p;
  p.compute_efficiency = 0.5;
  p.compute_half_tokens = 0;
  p.attention_efficiency = 0.5;
  p.memory_efficiency = 0.5;
  p.iteration_overhead_s = 1e-3;
  p.allreduce_latency_s = 1e-5;
  return p;
}

TEST(Roofline, DecodeBatchIsWeightBound) {
  const StepTimeModel m(toy_model(), toy_hardware(), toy_params());
  BatchShape b;
  for (int i = 0; i < 4; ++i) b.add_decode(100);
  const StepTime t = m.estimate(b);
  // Linear: max(2e9·4 / 5e13, 2e9 / 5e11) = max(1.6e-4, 4e-3).
  EXPECT_DOUBLE_EQ(t.linear_s, 4e-3);
  // Attention: max(4·2·1000·400 / 5e13, 8000·400 / 5e11) = max(6.4e-8, 6.4e-6).
  EXPECT_DOUBLE_EQ(t.attention_s, 6.4e-6);
  EXPECT_DOUBLE_EQ(t.allreduce_s, 0);
  EXPECT_DOUBLE_EQ(m.step_time(b), 4e-3 + 6.4e-6 + 1e-3);
}

TEST(Roofline, TensorParallelPrefillIsComputeBoundWithAllReduce) {
  RooflineParams p = toy_params();
  p.tensor_parallel = 2;
  const StepTimeModel m(toy_model(), toy_hardware(), p);
  BatchShape b;
  b.add_prefill(1000, 0);
  EXPECT_DOUBLE_EQ(b.prefill_attention_pairs, 500500);
  const StepTime t = m.estimate(b);
  // Linear: max(2e9·1000/2 / 5e13, 1e9 / 5e11) = max(0.02, 0.002).
  EXPECT_DOUBLE_EQ(t.linear_s, 0.02);
  // Attention: max(4·2·1000·500500/2 / 5e13, 4000·1000 / 5e11) = max(4.004e-5, 8e-6).
  EXPECT_NEAR(t.attention_s, 4.004e-5, 1e-15);
  // All-reduce: 2 per layer × (1e-5 + 2·(1/2)·1000·1000·2 B / 1e11 B/s).
  EXPECT_NEAR(t.allreduce_s, 4 * (1e-5 + 2e-5), 1e-15);
  EXPECT_NEAR(t.total_s(), 0.02 + 4.004e-5 + 1.2e-4 + 1e-3, 1e-12);
}

TEST(Roofline, ChunkWithCachedContextReadsItsKv) {
  const StepTimeModel m(toy_model(), toy_hardware(), toy_params());
  BatchShape b;
  b.add_prefill(10, 1'000'000);  // a short chunk after a very long context: KV-read bound
  EXPECT_DOUBLE_EQ(b.prefill_attention_pairs, 10 * 1e6 + 55);
  const StepTime t = m.estimate(b);
  // Attention: max(4·2·1000·10000055 / 5e13, 8000·1000010 / 5e11).
  EXPECT_NEAR(t.attention_s, std::max(8e3 * 10000055 / 5e13, 8000.0 * 1000010 / 5e11), 1e-12);
}

TEST(Roofline, GemmEfficiencyRampsWithTokens) {
  RooflineParams p = toy_params();
  p.compute_half_tokens = 128;
  const StepTimeModel m(toy_model(), toy_hardware(), p);
  EXPECT_DOUBLE_EQ(m.gemm_efficiency(128), 0.25);
  EXPECT_DOUBLE_EQ(m.gemm_efficiency(384), 0.375);
  EXPECT_LT(m.gemm_efficiency(100000), 0.5);
  EXPECT_GT(m.gemm_efficiency(100000), 0.499);
}

TEST(Roofline, EmptyBatchCostsNothing) {
  const StepTimeModel m(toy_model(), toy_hardware(), toy_params());
  EXPECT_DOUBLE_EQ(m.step_time(BatchShape{}), 0);
}

TEST(Roofline, StepTimeGrowsWithContextAndTokens) {
  const StepTimeModel m(toy_model(), toy_hardware(), toy_params());
  BatchShape small, longer, more;
  small.add_decode(100);
  longer.add_decode(10'000'000);
  more.add_prefill(100000, 0);
  EXPECT_GT(m.step_time(longer), m.step_time(small));
  EXPECT_GT(m.step_time(more), m.step_time(small));
}

TEST(Roofline, RejectsBadParams) {
  RooflineParams p = toy_params();
  p.memory_efficiency = 0;
  EXPECT_THROW(StepTimeModel(toy_model(), toy_hardware(), p), Error);
  p = toy_params();
  p.tensor_parallel = 3;  // does not divide 10 heads
  EXPECT_THROW(StepTimeModel(toy_model(), toy_hardware(), p), Error);
  p.tensor_parallel = 0;
  EXPECT_THROW(StepTimeModel(toy_model(), toy_hardware(), p), Error);
}

}  // namespace
}  // namespace inferbench::sim
