#pragma once
// Step-time model: the virtual duration of one engine iteration from a roofline of the model on
// the accelerator. Each part of the iteration costs max(FLOPs / (peak·η_c), bytes / (BW·η_m));
// the parts are the dense layers (weights read once per iteration, 2·params FLOPs per token)
// and attention (KV read in proportion to each sequence's context, 4·layers·width FLOPs per
// query-key pair). Tensor parallelism divides both and adds two all-reduces per layer.
#include <cstdint>

#include "sim/model/presets.hpp"

namespace inferbench::sim {

// Tunable efficiencies and overheads of the step-time model (defaults calibrated in
// docs/simulator.md).
struct RooflineParams {
  double compute_efficiency = 0.65;      // η_c: fraction of peak FLOP/s large GEMMs reach
  double compute_half_tokens = 128;      // GEMM efficiency is η_c·T/(T+this) at T tokens; 0 = flat
  double attention_efficiency = 0.5;     // fraction of peak FLOP/s attention kernels reach
  double memory_efficiency = 0.7;        // η_m: fraction of peak memory bandwidth reached
  double iteration_overhead_s = 0.8e-3;  // fixed CPU/launch cost per iteration, seconds
  double allreduce_latency_s = 8e-6;     // fixed latency of one all-reduce, seconds
  std::uint32_t tensor_parallel = 1;     // TP degree: GPUs sharing each layer
};

// The work of one iteration, as sums over its sequences (so the cost is O(1) to evaluate).
struct BatchShape {
  std::uint64_t prefill_tokens = 0;          // new tokens computed by prefill chunks
  std::uint64_t prefill_context_tokens = 0;  // Σ tokens already in KV that those chunks attend to
  double prefill_attention_pairs = 0;        // Σ query·key pairs of chunks: n·c + n(n+1)/2
  std::uint64_t decode_seqs = 0;             // sequences decoding one token each
  std::uint64_t decode_context_tokens = 0;   // Σ context length (incl. the new token) of those

  // Adds a prefill chunk of `new_tokens` tokens after `context` tokens already in the KV cache.
  void add_prefill(std::uint64_t new_tokens, std::uint64_t context);
  // Adds one decode token attending to `context` tokens (including itself).
  void add_decode(std::uint64_t context);
  // Tokens computed in this iteration (prefill + decode).
  std::uint64_t tokens() const { return prefill_tokens + decode_seqs; }
};

// The parts of one iteration's duration, seconds.
struct StepTime {
  double linear_s = 0;     // dense layers: max(compute, weight reads)
  double attention_s = 0;  // attention: max(compute, KV reads and writes)
  double allreduce_s = 0;  // tensor-parallel all-reduces (0 when TP = 1)
  double overhead_s = 0;   // fixed per-iteration overhead
  // The whole iteration, seconds.
  double total_s() const { return linear_s + attention_s + allreduce_s + overhead_s; }
};

// The roofline for one model on TP accelerators of one kind; immutable, cheap to copy.
class StepTimeModel {
 public:
  // Validates params (throws Error on nonsense) and precomputes per-GPU constants.
  StepTimeModel(const ModelPreset& model, const HardwarePreset& hardware, RooflineParams params = {});

  // Duration of one iteration running `batch`, split into parts (all 0 for an empty batch).
  StepTime estimate(const BatchShape& batch) const;
  // Duration of one iteration running `batch`, seconds.
  double step_time(const BatchShape& batch) const { return estimate(batch).total_s(); }
  // GEMM efficiency (fraction of peak) at `tokens` tokens per iteration.
  double gemm_efficiency(std::uint64_t tokens) const;
  // Weight bytes held by each GPU (weights / TP).
  double weight_bytes_per_gpu() const { return weight_bytes_per_gpu_; }

  const ModelPreset& model() const { return model_; }           // the model preset
  const HardwarePreset& hardware() const { return hardware_; }  // the accelerator preset
  const RooflineParams& params() const { return params_; }      // the parameters in use

 private:
  ModelPreset model_;
  HardwarePreset hardware_;
  RooflineParams params_;
  double weight_bytes_per_gpu_ = 0;
  double linear_flops_per_token_ = 0;     // per GPU
  double attention_flops_per_pair_ = 0;   // per GPU
  double kv_bytes_per_token_ = 0;         // per GPU
  double allreduce_bytes_per_token_ = 0;  // per all-reduce, per GPU, ring algorithm
  double link_bandwidth_ = 0;             // one direction, bytes/s
};

}  // namespace inferbench::sim
