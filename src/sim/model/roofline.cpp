#include "sim/model/roofline.hpp"

#include <algorithm>
#include <string>

#include "core/error.hpp"

namespace inferbench::sim {

void BatchShape::add_prefill(std::uint64_t new_tokens, std::uint64_t context) {
  const auto n = static_cast<double>(new_tokens);
  prefill_tokens += new_tokens;
  prefill_context_tokens += context;
  prefill_attention_pairs += n * static_cast<double>(context) + n * (n + 1) / 2;
}

void BatchShape::add_decode(std::uint64_t context) {
  ++decode_seqs;
  decode_context_tokens += context;
}

StepTimeModel::StepTimeModel(const ModelPreset& model, const HardwarePreset& hardware, RooflineParams params)
    : model_(model), hardware_(hardware), params_(params) {
  auto in_unit = [](double x) { return x > 0 && x <= 1; };
  require(in_unit(params_.compute_efficiency) && in_unit(params_.attention_efficiency) &&
              in_unit(params_.memory_efficiency),
          "roofline efficiencies must be in (0, 1]");
  require(params_.compute_half_tokens >= 0 && params_.iteration_overhead_s >= 0 && params_.allreduce_latency_s >= 0,
          "roofline overheads must be >= 0");
  const std::uint32_t tp = params_.tensor_parallel;
  require(tp >= 1 && tp <= model_.heads && model_.heads % tp == 0,
          "tensor parallel degree " + std::to_string(tp) + " must divide the " + std::to_string(model_.heads) +
              " attention heads of " + model_.name);
  require(hardware_.memory_bandwidth > 0 && hardware_.bf16_flops > 0,
          "hardware " + hardware_.name + " needs bandwidth and FLOP/s");
  require(tp == 1 || hardware_.interconnect_bandwidth > 0,
          "hardware " + hardware_.name + " has no interconnect for tensor parallelism");

  const double tpd = tp;
  weight_bytes_per_gpu_ = model_.weight_bytes() / tpd;
  linear_flops_per_token_ = 2.0 * model_.params / tpd;
  attention_flops_per_pair_ = 4.0 * model_.layers * model_.attention_width() / tpd;
  // KV heads are split across GPUs; when TP exceeds kv_heads each GPU keeps one replica.
  kv_bytes_per_token_ =
      model_.kv_bytes_per_token() / std::min<double>(tpd, std::max<std::uint32_t>(model_.kv_heads, 1));
  // Ring all-reduce: each GPU sends and receives 2(TP−1)/TP of the message.
  allreduce_bytes_per_token_ = 2.0 * (tpd - 1) / tpd * model_.hidden * model_.bytes_per_param;
  link_bandwidth_ = hardware_.interconnect_bandwidth / 2;
}

double StepTimeModel::gemm_efficiency(std::uint64_t tokens) const {
  if (params_.compute_half_tokens <= 0) return params_.compute_efficiency;
  const auto t = static_cast<double>(tokens);
  return params_.compute_efficiency * t / (t + params_.compute_half_tokens);
}

StepTime StepTimeModel::estimate(const BatchShape& batch) const {
  StepTime st;
  const std::uint64_t tokens = batch.tokens();
  if (tokens == 0) return st;
  const double t = static_cast<double>(tokens);
  const double peak = hardware_.bf16_flops;
  const double bw = hardware_.memory_bandwidth * params_.memory_efficiency;

  const double linear_compute = linear_flops_per_token_ * t / (peak * gemm_efficiency(tokens));
  const double linear_memory = weight_bytes_per_gpu_ / bw;
  st.linear_s = std::max(linear_compute, linear_memory);

  const double pairs = batch.prefill_attention_pairs + static_cast<double>(batch.decode_context_tokens);
  const double attn_compute = attention_flops_per_pair_ * pairs / (peak * params_.attention_efficiency);
  const double kv_tokens =
      static_cast<double>(batch.decode_context_tokens + batch.prefill_context_tokens + batch.prefill_tokens);
  const double attn_memory = kv_bytes_per_token_ * kv_tokens / bw;
  st.attention_s = std::max(attn_compute, attn_memory);

  if (params_.tensor_parallel > 1) {
    st.allreduce_s =
        2.0 * model_.layers * (params_.allreduce_latency_s + allreduce_bytes_per_token_ * t / link_bandwidth_);
  }
  st.overhead_s = params_.iteration_overhead_s;
  return st;
}

}  // namespace inferbench::sim
