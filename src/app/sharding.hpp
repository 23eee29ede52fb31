#pragma once
// `inferbench run`'s scale-out settings validated: which shard this process is, when all shards
// start, and the id they share (docs/scale-out.md).
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "app/run_config.hpp"
#include "config/values.hpp"
#include "core/clock.hpp"
#include "schedule/schedule.hpp"

namespace inferbench::app {

struct Sharding {
  schedule::Shard shard;                                          // 0 of 1 = not sharded
  std::optional<std::chrono::system_clock::time_point> start_at;  // the common start (wall clock)
  std::string run_id;                                             // the same for every shard of one run
};

// Reads an environment variable (nullopt when unset); a parameter so tests set their own.
using Environment = std::function<std::optional<std::string>(const std::string&)>;
// The process's environment.
std::optional<std::string> process_env(const std::string& name);

// Parses "K/N" (0 ≤ K < N ≤ 100000) or "auto"; throws inferbench::Error naming `flag`.
schedule::Shard parse_shard(const std::string& text, const std::string& flag, const Environment& env);
// Parses an ISO 8601 UTC time ("2026-12-02T16:30:00Z", fractional seconds and "+00:00" allowed)
// or Unix seconds ("1796228400.5"); throws inferbench::Error naming `flag`.
std::chrono::system_clock::time_point parse_start_at(const std::string& text, const std::string& flag);

// The scale-out settings of `values`; `settings` is the run's config block (summary.json's
// "config"), the source of the derived run id.
Sharding make_sharding(const config::Values& values, const nlohmann::json& settings, const Environment& env);

// Checks what every sharded command needs (a start time ahead; --output when sharded) and
// returns the results folder: `output_dir`, or its shard-K folder.
std::string shard_output_dir(const Sharding& s, const std::string& output_dir);

// Checks that `config` can run as shard `s` (shard_output_dir's checks, one load point, a user
// per shard) and returns the results folder.
std::string check_sharded_run(const Sharding& s, const RunConfig& config);

// The Clock instant of a wall-clock time (the shards' common start); says so on stderr when it
// has passed (the shards then do not start together).
TimePoint start_instant(std::chrono::system_clock::time_point at);

}  // namespace inferbench::app
