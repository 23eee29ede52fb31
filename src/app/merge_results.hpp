#pragma once
// The merge of `inferbench merge`, also run by `inferbench run --processes` at its end.
#include <optional>
#include <string>
#include <vector>

#include "metrics/summary.hpp"

namespace inferbench::app {

struct MergeOutcome {
  int exit_code = 0;                              // 0 merged, 1 shards missing or nothing succeeded, 2 not one run
  std::vector<metrics::LoadPointSummary> points;  // the merged load points (empty unless merged)
};

// Merges the results folders `inputs` (or folders of shard-K folders) into `output`, prints the
// tables (or the summary with `json`) and one line on stderr. Throws inferbench::Error on
// unreadable input.
MergeOutcome merge_results(const std::vector<std::string>& inputs, const std::string& output, bool json);

}  // namespace inferbench::app
