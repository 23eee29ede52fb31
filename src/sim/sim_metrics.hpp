#pragma once
// The simulator's /metrics: Prometheus text exposition with vLLM V1's names, types, labels and
// histogram buckets, so that tools reading a real vLLM read the simulator the same way.
// Thread-safe: observations and rendering take one short lock.
#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sim/faults.hpp"

namespace inferbench::sim {

// A histogram with fixed upper bounds (le), as Prometheus exposes it.
class BucketHistogram {
 public:
  explicit BucketHistogram(std::vector<double> bounds);
  void observe(double value);
  const std::vector<double>& bounds() const { return bounds_; }
  const std::vector<std::uint64_t>& counts() const { return counts_; }  // per bucket, last = +Inf
  double sum() const { return sum_; }
  std::uint64_t count() const { return count_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

// One finished request's timings (seconds) and sizes, as vLLM observes them.
struct FinishedTimes {
  double ttft_s = 0, e2e_s = 0, queue_s = 0, prefill_s = 0, decode_s = 0, inference_s = 0;
  double tpot_s = 0;  // 0 when fewer than 2 output tokens (not observed then)
  std::uint32_t prompt_tokens = 0, output_tokens = 0, max_tokens = 0;
  bool stopped = false;  // finish_reason stop (else length)
};

// Live values that come from the serving loop at render time.
struct SimGauges {
  std::uint32_t running = 0;
  std::uint32_t waiting = 0;
  std::optional<double> kv_cache_usage;  // 0–1; engine mode only
  std::optional<std::uint32_t> num_gpu_blocks, block_size;
  // Engine mode counts these per iteration (exactly as vLLM); otherwise counted at finish.
  std::optional<std::uint64_t> prompt_tokens, generation_tokens, preemptions;
  std::optional<std::uint64_t> prefix_cache_queries, prefix_cache_hits;
};

class SimMetrics {
 public:
  explicit SimMetrics(std::string model_name);
  // A request finished (one lock).
  void observe_finished(const FinishedTimes& times);
  // Inter-token gaps (seconds) of one request or one iteration (one lock for all).
  void observe_itl(const std::vector<double>& gaps_s);
  // Tokens scheduled in one engine iteration.
  void observe_iteration(std::uint32_t tokens);
  // A fault was injected.
  void count_fault(Fault fault);
  // The exposition text.
  std::string render(const SimGauges& gauges) const;

 private:
  std::string labels_;  // model_name="...",engine="0"
  mutable std::mutex mutex_;
  BucketHistogram ttft_, itl_, tpot_, e2e_, queue_, prefill_, decode_, inference_;
  BucketHistogram prompt_len_, generation_len_, max_tokens_, iteration_tokens_;
  std::uint64_t prompt_tokens_ = 0, generation_tokens_ = 0, success_stop_ = 0, success_length_ = 0;
  std::array<std::uint64_t, kFaultKinds> faults_{};
};

}  // namespace inferbench::sim
