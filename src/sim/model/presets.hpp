#pragma once
// Model and accelerator presets for the simulator's step-time model: architecture shapes from
// the models' published config.json and datasheet figures for the hardware (sources in
// docs/simulator.md).
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace inferbench::sim {

// A decoder-only transformer's shape, as in its Hugging Face config.json.
struct ModelPreset {
  std::string name;                // canonical name, e.g. "Llama-3.1-8B"
  std::uint32_t layers = 0;        // num_hidden_layers
  std::uint32_t hidden = 0;        // hidden_size (d_model)
  std::uint32_t heads = 0;         // num_attention_heads
  std::uint32_t kv_heads = 0;      // num_key_value_heads (GQA)
  std::uint32_t head_dim = 0;      // head_dim (per head)
  std::uint32_t intermediate = 0;  // intermediate_size of the MLP
  std::uint32_t vocab = 0;         // vocab_size
  double params = 0;               // total parameter count (including embeddings)
  double bytes_per_param = 2;      // weight and KV element size in bytes (bf16 = 2)

  // Bytes of all weights (params × bytes_per_param), unsharded.
  double weight_bytes() const { return params * bytes_per_param; }
  // KV-cache bytes per token over all layers: 2·layers·kv_heads·head_dim·bytes.
  double kv_bytes_per_token() const { return 2.0 * layers * kv_heads * head_dim * bytes_per_param; }
  // Width of the attention projection (heads·head_dim), used for attention FLOPs.
  double attention_width() const { return static_cast<double>(heads) * head_dim; }
};

// One accelerator's datasheet figures.
struct HardwarePreset {
  std::string name;                   // canonical name, e.g. "H100"
  double memory_bytes = 0;            // device memory capacity, bytes
  double memory_bandwidth = 0;        // peak device memory bandwidth, bytes/s
  double bf16_flops = 0;              // peak dense (no sparsity) bf16 tensor FLOP/s
  double interconnect_bandwidth = 0;  // datasheet GPU-to-GPU bandwidth, bytes/s, both
                                      // directions summed (NVLink / Infinity Fabric / PCIe)
};

// All model presets, in a fixed order.
std::span<const ModelPreset> model_presets();
// All hardware presets, in a fixed order.
std::span<const HardwarePreset> hardware_presets();

// The preset names, comma-separated, for help texts and messages.
std::string model_preset_names();
std::string hardware_preset_names();

// The model preset named `name` (case-insensitive); throws Error listing valid names otherwise.
const ModelPreset& find_model(std::string_view name);
// The hardware preset named `name` (case-insensitive); throws Error listing valid names otherwise.
const HardwarePreset& find_hardware(std::string_view name);

}  // namespace inferbench::sim
