#include "app/stage_totals.hpp"

#include "report/json.hpp"

namespace inferbench::app {

void StageTotals::add(const std::vector<metrics::RequestRecord>& records) {
  records_.insert(records_.end(), records.begin(), records.end());
}

metrics::LoadPointSummary StageTotals::summarize(const metrics::Slo& slo) const {
  return metrics::summarize(records_, metrics::LoadSpec{}, slo);
}

nlohmann::json StageTotals::to_json(const metrics::Slo& slo, std::size_t stages) const {
  nlohmann::json out = report::to_json(summarize(slo));
  out["load"] = {{"mode", "stages"}, {"stages", stages}};
  return out;
}

}  // namespace inferbench::app
