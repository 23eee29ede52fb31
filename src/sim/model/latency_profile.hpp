#pragma once
// Latency-profile mode: request timing without a compute model, compatible with
// llm-d-inference-sim's latency parameters (same names, seconds instead of Go durations).
// TTFT is constant (`time-to-first-token`) or per token
// (`prefill-overhead + (prompt − cached)·prefill-time-per-token`), or a KV transfer for
// remote prefill; each later token waits `inter-token-latency`. Means are scaled by the load
// factor f = 1 + (time-factor-under-load − 1)·(running − 1)/(max-num-seqs − 1); samples are
// Gaussian with the given std-dev, truncated to ±70% of the mean.
#include <cstdint>
#include <vector>

#include "core/rng.hpp"

namespace inferbench::sim {

// How TTFT is computed.
enum class LatencyCalculator {
  kAuto,      // llm-d's rule: per-token when time-to-first-token and its std-dev are both 0
  kConstant,  // TTFT = time-to-first-token
  kPerToken,  // TTFT = prefill-overhead + uncached prompt tokens · prefill-time-per-token
};

// Parameters, all durations in seconds (llm-d-inference-sim flag names in comments).
struct LatencyProfileConfig {
  LatencyCalculator calculator = LatencyCalculator::kAuto;  // --latency-calculator
  double time_to_first_token_s = 0;                         // --time-to-first-token
  double time_to_first_token_std_dev_s = 0;                 // --time-to-first-token-std-dev
  double prefill_overhead_s = 0;                            // --prefill-overhead
  double prefill_time_per_token_s = 0;                      // --prefill-time-per-token
  double prefill_time_std_dev_s = 0;                        // --prefill-time-std-dev (of the total)
  double inter_token_latency_s = 0;                         // --inter-token-latency
  double inter_token_latency_std_dev_s = 0;                 // --inter-token-latency-std-dev
  double kv_cache_transfer_latency_s = 0;                   // --kv-cache-transfer-latency
  double kv_cache_transfer_latency_std_dev_s = 0;           // --kv-cache-transfer-latency-std-dev
  double kv_cache_transfer_time_per_token_s = 0;            // --kv-cache-transfer-time-per-token
  double kv_cache_transfer_time_std_dev_s = 0;              // --kv-cache-transfer-time-std-dev
  double time_factor_under_load = 1.0;                      // --time-factor-under-load (>= 1)
  std::uint32_t max_num_seqs = 5;                           // --max-num-seqs
};

// A validated latency profile; const methods, safe to share if each thread has its own Rng.
class LatencyProfile {
 public:
  // Validates (throws Error): durations >= 0, std-devs <= 30% of their means, factor >= 1.
  explicit LatencyProfile(LatencyProfileConfig config);

  // Load factor for `running` requests in flight (1 at one request, the factor at max-num-seqs).
  double load_factor(std::uint32_t running) const;
  // TTFT, seconds, for a prompt of `prompt_tokens` of which `cached_tokens` hit the cache;
  // `remote_prefill` uses the KV-transfer parameters (P/D disaggregation, not load-scaled).
  double time_to_first_token(std::uint32_t prompt_tokens, std::uint32_t cached_tokens, std::uint32_t running, Rng& rng,
                             bool remote_prefill = false) const;
  // One inter-token gap, seconds, with `running` requests in flight.
  double inter_token_latency(std::uint32_t running, Rng& rng) const;
  // A whole request: returns TTFT and fills `gaps` with output_tokens − 1 inter-token gaps (s).
  double sample(std::uint32_t prompt_tokens, std::uint32_t cached_tokens, std::uint32_t output_tokens,
                std::uint32_t running, Rng& rng, std::vector<double>& gaps) const;

  const LatencyProfileConfig& config() const { return config_; }  // the parameters in use

 private:
  LatencyProfileConfig config_;
};

// A Gaussian sample with `mean` and `std_dev`, clamped to [0.3·mean, 1.7·mean] (llm-d's
// truncation); returns `mean` exactly when std_dev is 0.
double truncated_normal(double mean, double std_dev, Rng& rng);

}  // namespace inferbench::sim
