#pragma once
// Merges the results of a run's shards from their raw records: the union of the records,
// put on one timeline through the shards' clock anchors, summarized by the same code path as a
// single run (docs/scale-out.md, "Merge").
#include <cstddef>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "metrics/request_record.hpp"
#include "metrics/summary.hpp"
#include "results/reader.hpp"

namespace inferbench::results {

// One merged load point.
struct MergedPoint {
  metrics::LoadSpec load;
  metrics::Slo slo;
  std::vector<metrics::RequestRecord> records;  // the union, on the reference shard's clock
  metrics::LoadPointSummary summary;            // summarize(records) + what the shards said
};

struct MergedRun {
  std::string run_id;
  std::size_t shard_count = 0;
  Anchor anchor;  // the reference shard's (the lowest index): every record's times count from it
  // Bound on the misalignment of shards on other machines (ns): both anchors' read errors; the
  // wall clocks' own offset (NTP) comes on top. 0 when every shard shared one steady clock.
  std::int64_t alignment_error_ns = 0;
  bool same_clock = true;  // every shard ran on one machine's steady clock (one boot)
  std::vector<MergedPoint> points;
};

// Why shards cannot be merged (exit 2) or are incomplete (exit 1): the message is one line.
struct MergeError : Error {
  int exit_code;
  MergeError(const std::string& message, int code) : Error(message), exit_code(code) {}
};

// Moves every time of `record` by `delta`.
void shift(metrics::RequestRecord& record, Duration delta);

// Merges `shards` (any order). Throws MergeError when they are of different runs or shard
// counts, a shard appears twice (exit 2), or shards are missing (exit 1); the message names
// them. The gates' threshold (--min-success-rate) is the run's, from its config.
MergedRun merge(std::vector<Results> shards);

}  // namespace inferbench::results
