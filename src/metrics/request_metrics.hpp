#pragma once
// Per-request metrics derived from a RequestRecord (exact definitions in docs/metrics.md).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "metrics/request_record.hpp"
#include "metrics/stats.hpp"

namespace inferbench::metrics {

// Why a server's `usage` is not believed (docs/metrics.md, "Implausible usage"). A rejected usage
// is kept in requests.jsonl as the server sent it, but no count of it is used: the request's
// tokens fall back to the client's counts, or are unknown.
enum class UsageProblem : std::uint8_t {
  None,
  Negative,           // a count below zero
  AboveLimit,         // a count above kMaxPlausibleTokens
  AboveMaxTokens,     // completion_tokens > max_tokens + output_token_slack(max_tokens)
  CachedAbovePrompt,  // cached_tokens > prompt_tokens
};

// No model has a context window this large (the largest today hold 10M tokens): a count above
// it is a lie or a bug, and bounding every count keeps sums of them far from overflow.
inline constexpr std::int64_t kMaxPlausibleTokens = std::int64_t{1} << 24;

// How far a server may go past max_tokens before its count is implausible, and before a stream
// is cut as an overrun: max(16, 5 % of max_tokens), room for servers that count an end token.
std::int64_t output_token_slack(std::int64_t max_tokens) noexcept;

// Checks a record's usage against those rules (max_tokens ≤ 0 means no limit was asked).
UsageProblem check_usage(const RequestRecord& record) noexcept;

// Scalar metrics of one request. Undefined values are nullopt (never a silent zero).
// All *_ms values are milliseconds from the monotonic clock.
struct RequestMetrics {
  std::optional<std::int64_t> input_tokens;         // usage.prompt_tokens, else client count
  std::optional<std::int64_t> output_tokens;        // usage.completion_tokens, else client count
  bool input_tokens_from_usage = false;             // input_tokens came from usage.prompt_tokens
  bool output_tokens_from_usage = false;            // output_tokens came from usage.completion_tokens
  std::size_t chunks = 0;                           // output-bearing chunks (≠ tokens)
  std::optional<double> ttft_ms;                    // t_first − t_send (needs ≥ 1 chunk)
  std::optional<double> ttft_from_sched_ms;         // t_first − t_sched
  std::optional<double> e2e_ms;                     // t_last − t_send (needs ≥ 1 chunk)
  std::optional<double> e2e_from_sched_ms;          // t_last − t_sched
  double done_ms = kNaN;                            // t_done − t_send (NaN: never sent)
  std::optional<double> tpot_ms;                    // (t_last − t_first) / (out − 1), only if out ≥ 2
  std::optional<double> ntpot_ms;                   // e2e / out, only if out ≥ 1
  double schedule_lag_ms = kNaN;                    // t_send − t_sched (0 in closed loop; NaN: never sent)
  std::optional<double> max_itl_ms;                 // largest token-weighted ITL sample (≥ 2 chunks)
  UsageProblem usage_problem = UsageProblem::None;  // the usage was not believed (and not used)
  bool over_max_tokens = false;  // out_i > max_tokens: the server gave more than asked (within the slack)
};

// Tokens carried by each chunk of one request (n_k in docs/metrics.md, "Tokens per chunk").
// Keeps a pointer to record.chunks: the record must outlive it. Never allocates.
class ChunkTokens {
 public:
  enum class Source {
    Reported,    // every chunk carried its own count (> 0)
    Estimated,   // first chunk 1 token, the other out − 1 spread evenly over the later chunks
    OnePerChunk  // out unknown or smaller than the chunk count: 1 token per chunk
  };

  // `output_tokens` is the request's out_i (RequestMetrics::output_tokens).
  ChunkTokens(const RequestRecord& record, std::optional<std::int64_t> output_tokens) noexcept;

  // Tokens in chunk k (0-based, k < chunk count); always ≥ 1.
  std::uint64_t operator()(std::size_t k) const noexcept;
  // How the counts were obtained.
  Source source() const noexcept { return source_; }

 private:
  const std::vector<ChunkTime>* chunks_;
  Source source_ = Source::OnePerChunk;
  std::uint64_t first_ = 1;  // estimated tokens of chunk 0
  std::uint64_t base_ = 1;   // estimated tokens of each later chunk ...
  std::uint64_t extra_ = 0;  // ... plus one for the first `extra_` later chunks
};

// Computes every scalar metric of `record` (ok or failed). Never allocates.
RequestMetrics derive(const RequestRecord& record);

// Appends the token-weighted ITL samples (ms) of `record`: for each chunk k ≥ 2 with gap g and
// n_k tokens, g / n_k with weight n_k (one entry per chunk, whatever the token counts say).
// `metrics` must be derive(record). Reuses `out`'s capacity.
void append_itl_ms(const RequestRecord& record, const RequestMetrics& metrics, std::vector<WeightedSample>& out);

// Appends the raw inter-chunk gaps t_k − t_{k−1} (ms) of `record`. Reuses `out`'s capacity.
void append_inter_chunk_ms(const RequestRecord& record, std::vector<double>& out);

}  // namespace inferbench::metrics
