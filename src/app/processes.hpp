#pragma once
// `inferbench run --processes P`: P shards of the run as child processes of this machine, with
// one common start, then the merge (docs/scale-out.md, "One machine, several processes").
#include <string>
#include <vector>

#include "app/run_config.hpp"
#include "app/sharding.hpp"
#include "loadgen/http_target_options.hpp"

namespace inferbench::app {

// Runs the children (this binary with the same arguments, plus --shard k/P, the common start,
// the run id and the final target: the parent's simulator when it started one), waits for
// them, and merges their shard-k folders into config.output_dir. Returns the exit code.
int run_processes(const RunConfig& config, const Sharding& sharding, int processes,
                  const loadgen::HttpTargetOptions& target);

// A finished run's exit code from its load points (docs/cli.md, "Exit codes"): 1 when no
// request succeeded, 3 when a gate the user set failed, else 0. Each reason is one line on stderr.
int gate_exit_code(const RunConfig& config, const std::vector<metrics::LoadPointSummary>& points);

}  // namespace inferbench::app
