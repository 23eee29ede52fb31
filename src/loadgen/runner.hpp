#pragma once
// Runs one load point against a Target: starts the workers, watches progress and
// interruption, and returns the records.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "loadgen/collector.hpp"
#include "metrics/request_record.hpp"
#include "metrics/summary.hpp"
#include "schedule/schedule.hpp"
#include "target/target.hpp"
#include "tokenizer/tokenizer.hpp"
#include "workload/request_spec.hpp"

namespace inferbench::loadgen {

struct LoadPlan {
  metrics::LoadSpec load;            // closed: load.concurrency users; open: load.rate (+ cap)
  std::size_t num_requests = 0;      // measured requests; 0 = until `duration`
  std::size_t warmup = 0;            // warm-up requests sent first and excluded
  std::optional<Duration> duration;  // closed loop: stop starting requests after it (counted after the ramp)
  Duration ramp_up{};                // closed loop: users start spread over it; its requests are warm-up
  std::vector<Duration> offsets;     // open loop: intended send offsets (warm-up included)
  int workers = 1;                   // event-loop threads
  // Circuit breaker: the load point ends early, aborted, once requests have only failed to reach
  // the server (connect, DNS, TLS, closed before a response) for this long (0 = never).
  Duration abort_after = std::chrono::seconds(5);
  // This process's slice of a sharded run: open loop, the requests i with i mod count ==
  // index; closed loop, those users and request numbers (load.concurrency and num_requests
  // stay the whole run's). Record ids are the global request numbers.
  schedule::Shard shard;
  // When the load starts (a common instant of all shards); nullopt = 20 ms from now. A start
  // already past starts at once.
  std::optional<TimePoint> start;
  // Counts output client-side when the usage has none (--tokenizer); null = do not.
  const tokenizer::Tokenizer* output_tokenizer = nullptr;
};

struct LoadResult {
  std::vector<metrics::RequestRecord> records;  // every request that ended (warm-up included), if kept
  bool interrupted = false;                     // stopped by the user before the plan's end
  std::size_t cancelled = 0;                    // in flight when interrupted (not in records)
  std::string aborted;                          // why the circuit breaker ended the load point ("" = it did not)
  double busiest_worker_cpu = 0.0;              // max over workers of thread CPU time / the run's length
};

struct RunHooks {
  Collector::Sink on_record;  // each finished record (cancelled ones too), on the collector thread
  // After each batch of on_record calls (at most Collector::kPoll after its records ended): flush
  // what on_record wrote.
  Collector::BatchEnd on_batch_end;
  // Return every record in LoadResult::records. A long run that summarizes in on_record turns it
  // off, so that its memory does not grow with the records (metrics::SummaryBuilder).
  bool keep_records = true;
  std::function<bool()> stop_requested;                                  // polled every 50 ms
  std::function<void(const LiveStats&, std::size_t total)> on_progress;  // every progress_interval
  Duration progress_interval = std::chrono::seconds(1);
};

// Runs one load point to its end (or until hooks.stop_requested()): request i sends
// specs[i % specs.size()] to a target made by `targets` for its worker.
LoadResult run_load(const target::TargetFactory& targets, const std::vector<workload::RequestSpec>& specs,
                    const LoadPlan& plan, const RunHooks& hooks);

}  // namespace inferbench::loadgen
