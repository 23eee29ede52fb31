#pragma once
// Plain-data summary of the server's own Prometheus metrics over one load point, in one
// canonical set of names whatever the server software (vLLM, SGLang, TGI, llama.cpp). Filled by
// server_metrics::ServerMetricsScraper, read by the reporters. Absent metrics are not in the maps and
// are listed in `absent`; undefined numbers are NaN (reported as null), never zero.
#include <array>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/stats.hpp"

namespace inferbench::metrics {

// Canonical gauges: running_requests, waiting_requests (counts), kv_cache_usage (fraction 0–1).
inline constexpr std::array<std::string_view, 3> kServerGauges{"running_requests", "waiting_requests",
                                                               "kv_cache_usage"};
// Canonical counters: prompt/generation tokens, prefix-cache queries/hits (tokens), preemptions,
// successfully finished requests.
inline constexpr std::array<std::string_view, 6> kServerCounters{"prompt_tokens",        "generation_tokens",
                                                                 "prefix_cache_queries", "prefix_cache_hits",
                                                                 "preemptions",          "requests_succeeded"};
// Canonical server-side latency histograms (reported in ms).
inline constexpr std::array<std::string_view, 8> kServerLatencies{"ttft",  "itl",     "tpot",   "e2e",
                                                                  "queue", "prefill", "decode", "inference"};

// Gauge means need this many scrapes taken during the load; with fewer, the mean is unknown (NaN):
// a mean of one or two instants is not the load point's mean.
inline constexpr std::size_t kMinGaugeSamples = 3;

// One gauge over the scrapes taken during the load (not the start and end scrapes, which see the
// server idle), per scrape summed across label sets and replicas — or averaged, for fractions
// (kv_cache_usage: each engine's share of its own cache).
struct ServerGauge {
  std::string metric;       // the server's series name that was read, e.g. "vllm:num_requests_running"
  std::size_t samples = 0;  // scrapes during the load whose value is known
  // Scrapes during the load left out because a series read NaN or ±Inf (its value is unknown),
  // or, for a fraction, a value outside [0, 1] (implausible).
  std::size_t non_finite = 0;
  std::size_t out_of_range = 0;
  double out_of_range_example = kNaN;  // one rejected value, for the note
  double mean = kNaN;                  // sample mean; NaN when samples < kMinGaugeSamples
  double max = kNaN;                   // largest sample (a lower bound of the peak); NaN when none
  // Each counted sample as (seconds from the window's first scrape round, value): the gauge over
  // the load point, for the report's time series.
  std::vector<std::pair<double, double>> series;
};

// One counter's increase over the window (resets counted from 0), summed across series.
struct ServerCounter {
  std::string metric;  // e.g. "vllm:prompt_tokens_total"
  double delta = kNaN;
};

// Where a quantile lies when all that is known is a histogram's buckets: in (gt, le]. It is not
// a value: a p99 in (100, 300] ms may be anywhere in that bucket. Both NaN when unknown.
struct QuantileBounds {
  double gt = kNaN;  // the bucket's lower bound (the bound below it; 0 under the first; -inf when ≤ 0)
  double le = kNaN;  // the bucket's upper bound: +inf when the rank is in the +Inf bucket
};

// One histogram's increase over the window, summed across series, in ms.
struct ServerLatency {
  std::string metric;   // family name, e.g. "vllm:time_to_first_token_seconds"
  double count = kNaN;  // observations in the window (Δ_count)
  double mean = kNaN;   // Δ_sum / Δ_count, ms; NaN when count is 0
  QuantileBounds p50;   // the buckets holding each rank, ms; unknown when count is 0
  QuantileBounds p90;
  QuantileBounds p99;
};

// Prefix-cache hit rate (0–1) over the window.
struct ServerHitRate {
  double value = kNaN;
  std::string from;  // "counters" (Δhits/Δqueries) or the gauge's series name (its mean)
};

// One scraped URL.
struct ServerSource {
  std::string url;
  std::string vendor = "unknown";  // the server software: vllm | sglang | tgi | llamacpp | unknown
  std::size_t scrapes_ok = 0;
  std::size_t scrapes_failed = 0;
  std::string error;  // the last failure ("HTTP 404", "connection refused", "line 3: …"); empty if none
};

// Everything reported about the server for one load point.
struct ServerSummary {
  bool available = false;          // at least one source answered with a parsable exposition
  std::string reason;              // why not available (empty when available)
  std::string vendor = "unknown";  // the sources' vendor, "mixed" when they differ
  std::vector<ServerSource> sources;
  std::size_t scrapes = 0;              // scrape rounds in the window (each round reads every source)
  std::size_t scrapes_during_load = 0;  // of them, the rounds between the start and end rounds
  double window_s = kNaN;               // first round's start → last round's start
  std::map<std::string, ServerGauge, std::less<>> gauges;          // keys from kServerGauges
  std::map<std::string, ServerCounter, std::less<>> counters;      // keys from kServerCounters
  std::map<std::string, ServerLatency, std::less<>> latencies_ms;  // keys from kServerLatencies
  ServerHitRate prefix_cache_hit_rate;                             // NaN value when unknown
  std::vector<std::string> absent;  // canonical names with no metric (incl. "prefix_cache_hit_rate")
};

}  // namespace inferbench::metrics
