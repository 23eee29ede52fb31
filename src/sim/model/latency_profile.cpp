#include "sim/model/latency_profile.hpp"

#include <algorithm>
#include <random>
#include <string>

#include "core/error.hpp"

namespace inferbench::sim {
namespace {

constexpr double kMaxStdDevRatio = 0.3;  // llm-d rejects std-devs above 30% of the mean
constexpr double kClamp = 0.7;           // and clamps samples to ±70% of the mean

void check_std_dev(double mean, double std_dev, const char* name) {
  require(std_dev <= kMaxStdDevRatio * mean + 1e-15,
          std::string(name) + " std-dev cannot be more than 30% of its mean");
}

}  // namespace

double truncated_normal(double mean, double std_dev, Rng& rng) {
  if (std_dev <= 0) return mean;
  std::normal_distribution<double> dist(mean, std_dev);
  return std::clamp(dist(rng), (1 - kClamp) * mean, (1 + kClamp) * mean);
}

LatencyProfile::LatencyProfile(LatencyProfileConfig config) : config_(config) {
  const LatencyProfileConfig& c = config_;
  for (double v :
       {c.time_to_first_token_s, c.time_to_first_token_std_dev_s, c.prefill_overhead_s, c.prefill_time_per_token_s,
        c.prefill_time_std_dev_s, c.inter_token_latency_s, c.inter_token_latency_std_dev_s,
        c.kv_cache_transfer_latency_s, c.kv_cache_transfer_latency_std_dev_s, c.kv_cache_transfer_time_per_token_s,
        c.kv_cache_transfer_time_std_dev_s}) {
    require(v >= 0, "latency profile durations cannot be negative");
  }
  check_std_dev(c.time_to_first_token_s, c.time_to_first_token_std_dev_s, "time-to-first-token");
  check_std_dev(c.inter_token_latency_s, c.inter_token_latency_std_dev_s, "inter-token-latency");
  check_std_dev(c.kv_cache_transfer_latency_s, c.kv_cache_transfer_latency_std_dev_s, "kv-cache-transfer-latency");
  require(c.time_factor_under_load >= 1, "time-factor-under-load must be >= 1");
  require(c.max_num_seqs >= 1, "max-num-seqs must be >= 1");
}

double LatencyProfile::load_factor(std::uint32_t running) const {
  if (config_.max_num_seqs <= 1) return 1.0;
  const double r = std::max<std::uint32_t>(running, 1);
  return 1 + (config_.time_factor_under_load - 1) * (r - 1) / (config_.max_num_seqs - 1);
}

double LatencyProfile::time_to_first_token(std::uint32_t prompt_tokens, std::uint32_t cached_tokens,
                                           std::uint32_t running, Rng& rng, bool remote_prefill) const {
  const LatencyProfileConfig& c = config_;
  if (remote_prefill) {
    if (c.kv_cache_transfer_latency_s == 0 && c.kv_cache_transfer_latency_std_dev_s == 0) {
      return truncated_normal(c.kv_cache_transfer_time_per_token_s * prompt_tokens, c.kv_cache_transfer_time_std_dev_s,
                              rng);
    }
    return truncated_normal(c.kv_cache_transfer_latency_s, c.kv_cache_transfer_latency_std_dev_s, rng);
  }
  const double f = load_factor(running);
  const bool per_token = c.calculator == LatencyCalculator::kPerToken ||
                         (c.calculator == LatencyCalculator::kAuto && c.time_to_first_token_s == 0 &&
                          c.time_to_first_token_std_dev_s == 0);
  if (per_token) {
    const std::uint32_t uncached = prompt_tokens - std::min(cached_tokens, prompt_tokens);
    const double mean = (c.prefill_overhead_s + uncached * c.prefill_time_per_token_s) * f;
    return truncated_normal(mean, c.prefill_time_std_dev_s, rng);
  }
  return truncated_normal(c.time_to_first_token_s * f, c.time_to_first_token_std_dev_s, rng);
}

double LatencyProfile::inter_token_latency(std::uint32_t running, Rng& rng) const {
  return truncated_normal(config_.inter_token_latency_s * load_factor(running), config_.inter_token_latency_std_dev_s,
                          rng);
}

double LatencyProfile::sample(std::uint32_t prompt_tokens, std::uint32_t cached_tokens, std::uint32_t output_tokens,
                              std::uint32_t running, Rng& rng, std::vector<double>& gaps) const {
  const double ttft = time_to_first_token(prompt_tokens, cached_tokens, running, rng);
  gaps.clear();
  for (std::uint32_t i = 1; i < output_tokens; ++i) gaps.push_back(inter_token_latency(running, rng));
  return ttft;
}

}  // namespace inferbench::sim
