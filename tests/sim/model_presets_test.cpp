#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "sim/model/engine.hpp"
#include "sim/model/presets.hpp"

namespace inferbench::sim {
namespace {

TEST(Presets, LookupIsCaseInsensitive) {
  EXPECT_EQ(find_model("llama-3.1-8b").name, "Llama-3.1-8B");
  EXPECT_EQ(find_model("QWEN3-8B").name, "Qwen3-8B");
  EXPECT_EQ(find_hardware("h100").name, "H100");
  EXPECT_EQ(find_hardware("mi300x").name, "MI300X");
}

TEST(Presets, UnknownNameListsValidNames) {
  try {
    find_model("gpt-5");
    FAIL() << "expected Error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("gpt-5"), std::string::npos);
    for (const auto& m : model_presets()) EXPECT_NE(msg.find(m.name), std::string::npos) << msg;
  }
  try {
    find_hardware("TPUv5");
    FAIL() << "expected Error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const auto& h : hardware_presets()) EXPECT_NE(msg.find(h.name), std::string::npos) << msg;
  }
}

TEST(Presets, RequiredPresetsExist) {
  for (const char* m : {"Llama-3.1-8B", "Llama-3.1-70B", "Qwen3-8B", "Qwen3-0.6B", "Llama-3.2-1B"}) {
    EXPECT_NO_THROW(find_model(m)) << m;
  }
  for (const char* h : {"A10", "L40S", "A100-80GB", "H100", "H200", "MI300X"}) {
    EXPECT_NO_THROW(find_hardware(h)) << h;
  }
}

// KV bytes per token at bf16 as listed in peers.md §10.
TEST(Presets, KvBytesPerTokenMatchReference) {
  EXPECT_DOUBLE_EQ(find_model("Llama-3.1-8B").kv_bytes_per_token(), 128 * 1024);
  EXPECT_DOUBLE_EQ(find_model("Qwen3-8B").kv_bytes_per_token(), 144 * 1024);
  EXPECT_DOUBLE_EQ(find_model("Llama-3.1-70B").kv_bytes_per_token(), 320 * 1024);
}

// Parameter counts are consistent with the shapes (attention + MLP + embeddings) within 3%.
TEST(Presets, ParamCountsMatchShapes) {
  for (const auto& m : model_presets()) {
    const double attn = static_cast<double>(m.hidden) * m.heads * m.head_dim * 2 +
                        static_cast<double>(m.hidden) * m.kv_heads * m.head_dim * 2;
    const double mlp = 3.0 * m.hidden * m.intermediate;
    const double embed = static_cast<double>(m.vocab) * m.hidden;
    const double tied = m.params < m.layers * (attn + mlp) + 1.5 * embed ? 1 : 2;
    const double estimate = m.layers * (attn + mlp) + tied * embed;
    EXPECT_NEAR(estimate / m.params, 1.0, 0.03) << m.name;
  }
}

TEST(Presets, HardwareFiguresAreDatasheetValues) {
  const auto& h100 = find_hardware("H100");
  EXPECT_DOUBLE_EQ(h100.memory_bandwidth, 3.35e12);
  EXPECT_DOUBLE_EQ(h100.bf16_flops, 989.5e12);
  const auto& a100 = find_hardware("A100-80GB");
  EXPECT_DOUBLE_EQ(a100.memory_bandwidth, 2039e9);
  EXPECT_DOUBLE_EQ(a100.bf16_flops, 312e12);
  for (const auto& h : hardware_presets()) {
    EXPECT_GT(h.memory_bytes, 16e9) << h.name;
    EXPECT_GT(h.interconnect_bandwidth, 0) << h.name;
  }
}

// Block count = (mem·util − weights/TP − reserve) / (block_size · kv_bytes_per_token_per_GPU).
TEST(Presets, KvCapacityFromMemory) {
  EngineConfig c;
  c.model = find_model("Llama-3.1-8B");
  c.hardware = find_hardware("H100");
  c.activation_reserve_bytes = 2e9;
  const double usable = 80.0 * 1024 * 1024 * 1024 * 0.9 - 8.03e9 * 2 - 2e9;
  EXPECT_EQ(EngineModel::compute_num_gpu_blocks(c), static_cast<std::uint32_t>(usable / (16.0 * 131072)));
  c.roofline.tensor_parallel = 2;
  const double usable_tp2 = 80.0 * 1024 * 1024 * 1024 * 0.9 - 8.03e9 - 2e9;
  EXPECT_EQ(EngineModel::compute_num_gpu_blocks(c), static_cast<std::uint32_t>(usable_tp2 / (16.0 * 65536)));
}

TEST(Presets, ModelThatDoesNotFitIsAnError) {
  EngineConfig c;
  c.model = find_model("Llama-3.1-70B");
  c.hardware = find_hardware("A10");
  EXPECT_THROW(EngineModel::compute_num_gpu_blocks(c), Error);
  c.hardware = find_hardware("H100");
  c.roofline.tensor_parallel = 4;
  EXPECT_GT(EngineModel::compute_num_gpu_blocks(c), 1000u);
}

TEST(Presets, EngineConfigFromNames) {
  const EngineConfig c = make_engine_config("qwen3-8b", "h200", 2);
  EXPECT_EQ(c.model.name, "Qwen3-8B");
  EXPECT_EQ(c.hardware.name, "H200");
  EXPECT_EQ(c.roofline.tensor_parallel, 2u);
  EXPECT_THROW(make_engine_config("nope", "H100"), Error);
  EXPECT_EQ(EngineConfig{}.model.name, "Llama-3.1-8B");  // defaults are usable as is
  EXPECT_GT(EngineModel(EngineConfig{}).num_gpu_blocks(), 0u);
}

}  // namespace
}  // namespace inferbench::sim
