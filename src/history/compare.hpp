#pragma once
// `inferbench compare A B`: per load point, each metric's change from a baseline run to a
// candidate, with a noise-aware verdict (docs/history.md): latencies compare the per-request
// distributions of requests.jsonl with a two-sided Mann-Whitney U test, so a shift within the
// run-to-run noise is not called a regression; throughput, one number per load point, is tested
// against the noise of its request count (Poisson), and failure rate against its threshold.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "report/results_dir.hpp"

namespace inferbench::history {

struct MannWhitney {
  double u = 0.0;  // U of the first sample
  double p = 1.0;  // two-sided, normal approximation with tie and continuity correction
};
// Needs both samples non-empty (else p = 1).
MannWhitney mann_whitney(const std::vector<double>& a, const std::vector<double>& b);

struct CompareOptions {
  double alpha = 0.01;  // significance level of the test
  // Allowed change per metric, in percent (failure_rate: percentage points). Keys: ttft, tpot,
  // itl, e2e, requests_per_s, output_tokens_per_s, failure_rate.
  std::map<std::string, double> thresholds = {{"ttft", 5},        {"tpot", 5},           {"itl", 5},
                                              {"e2e", 5},         {"requests_per_s", 5}, {"output_tokens_per_s", 5},
                                              {"failure_rate", 1}};
};

enum class Verdict { Same, Noise, Improved, Regressed, Missing };
const char* to_string(Verdict v);

struct MetricDelta {
  std::size_t load_point = 0;
  std::string load;                       // label of the baseline's load point
  std::string metric;                     // key of CompareOptions::thresholds
  std::optional<double> base, candidate;  // medians (latencies, ms), or the summary's value
  std::optional<double> change;           // relative (fraction), or percentage points for failure_rate
  std::optional<double> p;                // Mann-Whitney (latencies) or Poisson (throughput) p-value
  std::size_t base_n = 0, candidate_n = 0;
  Verdict verdict = Verdict::Missing;
};

// Compares load points by position (the first with the first, …). Throws inferbench::Error for
// an unknown threshold key.
std::vector<MetricDelta> compare_runs(const report::ResultsDir& base, const report::ResultsDir& candidate,
                                      const CompareOptions& options);

}  // namespace inferbench::history
