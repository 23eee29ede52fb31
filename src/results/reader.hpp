#pragma once
// Reads a results directory (summary.json + requests.jsonl) back into the records
// metrics::summarize takes, grouped by load point: the one reader of inferbench's results, for
// merge, replay and reports (the format is in docs/results-format.md).
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "metrics/request_record.hpp"
#include "metrics/summary.hpp"
#include "results/anchor.hpp"

namespace inferbench::results {

// Which slice of a sharded run a directory holds (index 0, count 1 = the whole run).
struct ShardInfo {
  std::size_t index = 0;
  std::size_t count = 1;
};

// One load point: what summarize needs, and what the run wrote about it.
struct LoadPointRecords {
  std::size_t index = 0;  // position in summary.json's "runs"
  metrics::LoadSpec load;
  metrics::Slo slo;                             // from "goodput.slo" (none when no SLO was set)
  std::vector<metrics::RequestRecord> records;  // in file order (completion order)
  nlohmann::json summary;                       // summary.json's runs[index] as written
};

struct Results {
  std::filesystem::path dir;
  nlohmann::json summary;                // summary.json as written
  Anchor anchor;                         // summary.json's "clock"
  ShardInfo shard;                       // summary.json's "shard" (absent = 0 of 1)
  std::string run_id;                    // summary.json's "run_id" ("" when absent)
  std::vector<LoadPointRecords> points;  // every entry of "runs", in order
};

// Reads `dir`. Record times are placed at `anchor_at` + their offset; by default at the
// anchor's own steady instant, which rebuilds the records exactly as the run held them.
// Throws inferbench::Error with one line naming the file (and line) for any bad input.
Results read_results(const std::filesystem::path& dir, std::optional<TimePoint> anchor_at = std::nullopt);

// The load of a summary.json load point ("load" object); throws Error naming `where`.
metrics::LoadSpec load_from_json(const nlohmann::json& load, const std::string& where);
// The SLOs of a load point's "goodput.slo" (empty when there is no goodput).
metrics::Slo slo_from_json(const nlohmann::json& point, const std::string& where);

}  // namespace inferbench::results
