#include "loadgen/runner.hpp"

#include <algorithm>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "core/error.hpp"
#include "loadgen/worker.hpp"

namespace inferbench::loadgen {

LoadResult run_load(const target::TargetFactory& targets, const std::vector<workload::RequestSpec>& specs,
                    const LoadPlan& plan, const RunHooks& hooks) {
  require(!specs.empty(), "the workload has no requests");
  const bool open = plan.load.mode == metrics::LoadSpec::Mode::Open;
  const int workers = std::max(1, plan.workers);
  Collector collector(hooks.on_record, hooks.on_batch_end, hooks.keep_records);
  SharedRun run;
  run.targets = &targets;
  run.specs = &specs;
  run.sink = {.closed_loop = !open, .output_tokenizer = plan.output_tokenizer};
  run.warmup = plan.warmup;
  run.limit =
      open ? plan.offsets.size()
           : (plan.num_requests == 0 ? std::numeric_limits<std::size_t>::max() : plan.num_requests + plan.warmup);
  run.collector = &collector;
  // A short head start so every worker is waiting on its timer when the load begins, unless the
  // start is given (the shards' common instant).
  run.start = plan.start ? std::max(*plan.start, Clock::now()) : Clock::now() + std::chrono::milliseconds(20);
  run.shard = plan.shard;
  if (!open) {
    run.ramp_up = plan.ramp_up;
    run.users = std::max(1, plan.load.concurrency);
  }
  // The ramp comes before the measured part: a duration counts after it.
  if (!open && plan.duration) run.deadline = run.start + run.ramp_up + *plan.duration;
  // This shard's measured requests (the progress line's total).
  const std::size_t total =
      run.limit == std::numeric_limits<std::size_t>::max()
          ? 0
          : schedule::owned_count(plan.shard, run.limit) - schedule::owned_count(plan.shard, plan.warmup);

  const TimePoint began = Clock::now();
  std::vector<std::unique_ptr<Worker>> pool;
  pool.reserve(static_cast<std::size_t>(workers));
  for (int w = 0; w < workers; ++w) pool.push_back(std::make_unique<Worker>(run));
  if (open) {
    // This shard's requests, the k-th of them to worker k mod W; the cap is shared out evenly.
    const int cap = plan.load.concurrency;
    const std::vector<std::size_t> mine = schedule::owned_numbers(plan.shard, plan.offsets.size());
    for (int w = 0; w < workers; ++w) {
      std::vector<std::size_t> numbers;
      for (std::size_t k = static_cast<std::size_t>(w); k < mine.size(); k += static_cast<std::size_t>(workers)) {
        numbers.push_back(mine[k]);
      }
      const int share = cap == 0 ? 0 : std::max(1, (cap + workers - 1 - w) / workers);
      pool[static_cast<std::size_t>(w)]->start_open(std::move(numbers), plan.offsets, share);
    }
  } else {
    // This shard's users (local numbers; Worker maps them to the global ones).
    const int users = static_cast<int>(schedule::owned_count(plan.shard, static_cast<std::size_t>(run.users)));
    int first_user = 0;
    for (int w = 0; w < workers; ++w) {
      // A worker given no user ends at once (more workers than users).
      const int share = users / workers + (w < users % workers ? 1 : 0);
      pool[static_cast<std::size_t>(w)]->start_closed(first_user, share);
      first_user += share;
    }
  }

  LoadResult result;
  TimePoint next_progress = Clock::now() + hooks.progress_interval;
  while (!std::all_of(pool.begin(), pool.end(), [](const auto& w) { return w->finished(); })) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!result.interrupted && result.aborted.empty() && hooks.stop_requested && hooks.stop_requested()) {
      result.interrupted = true;
      for (auto& w : pool) w->stop();
    }
    if (!result.interrupted && result.aborted.empty() && plan.abort_after > Duration::zero()) {
      // Only unreachable-server failures since the last response (or the start), for long enough:
      // the server is gone, and a closed loop would only spin failing connects.
      const LiveStats live = collector.live();
      const TimePoint since = std::max(run.start, live.last_response);
      if (live.unreachable_in_a_row > 0 && Clock::now() - since >= plan.abort_after) {
        result.aborted =
            fmt::format("{} requests in a row could not reach the server and none got a response for {:.0f} s",
                        live.unreachable_in_a_row, to_s(plan.abort_after));
        for (auto& w : pool) w->stop();
      }
    }
    if (hooks.on_progress && Clock::now() >= next_progress) {
      LiveStats live = collector.live();
      const std::size_t ended = live.completed + live.failed + live.warmup;
      const std::size_t launched = run.launched.load(std::memory_order_relaxed);
      live.in_flight = launched > ended ? launched - ended : 0;
      hooks.on_progress(live, total);
      next_progress += hooks.progress_interval;
    }
  }
  for (auto& w : pool) w->join();
  const double length_s = to_s(Clock::now() - began);
  for (const auto& w : pool) {
    if (length_s > 0) result.busiest_worker_cpu = std::max(result.busiest_worker_cpu, w->cpu_seconds() / length_s);
  }
  pool.clear();
  result.records = collector.finish();
  result.cancelled = collector.cancelled();
  return result;
}

}  // namespace inferbench::loadgen
