#pragma once
// Runs one load point: prepares every request, starts the workers, watches progress and
// interruption, and returns the records.
#include <functional>
#include <optional>
#include <vector>

#include "engine/collector.hpp"
#include "engine/target.hpp"
#include "metrics/request_record.hpp"
#include "metrics/summary.hpp"
#include "workload/request_spec.hpp"

namespace inferbench::engine {

struct LoadPlan {
  metrics::LoadSpec load;            // closed: load.concurrency users; open: load.rate (+ cap)
  std::size_t num_requests = 0;      // measured requests; 0 = until `duration`
  std::size_t warmup = 0;            // warm-up requests sent first and excluded
  std::optional<Duration> duration;  // closed loop: stop starting requests after it
  std::vector<Duration> offsets;     // open loop: intended send offsets (warm-up included)
  int workers = 1;                   // event-loop threads
};

struct LoadResult {
  std::vector<metrics::RequestRecord> records;  // every request that ended (warm-up included)
  bool interrupted = false;                     // stopped by the user before the plan's end
  std::size_t cancelled = 0;                    // in flight when interrupted (not in records)
};

struct RunHooks {
  Collector::Sink on_record;             // each finished record, on the collector thread
  std::function<bool()> stop_requested;  // polled every 50 ms
  std::function<void(const LiveStats&, std::size_t total)> on_progress;  // every progress_interval
  Duration progress_interval = std::chrono::seconds(1);
};

// Builds the HTTP message of every spec (done before the run, not while it runs).
std::vector<struct PreparedRequest> prepare_requests(const TargetOptions& target,
                                                     const std::vector<workload::RequestSpec>& specs);

// Runs one load point to its end (or until hooks.stop_requested()).
LoadResult run_load(const TargetOptions& target, const std::vector<struct PreparedRequest>& requests,
                    const LoadPlan& plan, const RunHooks& hooks);

}  // namespace inferbench::engine
