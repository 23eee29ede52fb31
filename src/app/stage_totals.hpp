#pragma once
// A staged run (load.stages) reported all together: every measured request of every stage,
// summarized once beside each stage's own summary. Stages run one after another and each ends
// when its requests have ended, so every request belongs to exactly one stage.
#include <cstddef>
#include <vector>

#include <nlohmann/json.hpp>

#include "metrics/request_record.hpp"
#include "metrics/summary.hpp"

namespace inferbench::app {

class StageTotals {
 public:
  // Adds one stage's records (warm-up included: summarize excludes them).
  void add(const std::vector<metrics::RequestRecord>& records);
  metrics::LoadPointSummary summarize(const metrics::Slo& slo) const;
  // summary.json's "all_stages": the summary of every stage's requests, its load {"mode":
  // "stages", "stages": N}.
  nlohmann::json to_json(const metrics::Slo& slo, std::size_t stages) const;

 private:
  std::vector<metrics::RequestRecord> records_;
};

}  // namespace inferbench::app
