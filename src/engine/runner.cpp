#include "engine/runner.hpp"

#include <algorithm>
#include <memory>
#include <thread>

#include "core/error.hpp"
#include "engine/worker.hpp"

namespace inferbench::engine {

std::vector<PreparedRequest> prepare_requests(const TargetOptions& target,
                                              const std::vector<workload::RequestSpec>& specs) {
  require(!specs.empty(), "the workload has no requests");
  std::vector<PreparedRequest> prepared;
  prepared.reserve(specs.size());
  for (const auto& spec : specs) {
    protocol::RequestBody body;
    body.api = target.api;
    body.model = target.model;
    if (target.api == protocol::Api::Chat) {
      if (spec.messages.empty()) {
        body.messages = {{"user", spec.prompt}};
      } else {
        for (const auto& m : spec.messages) body.messages.emplace_back(m.role, m.content);
      }
    } else {
      require(spec.messages.empty(), "a request with chat messages needs --api chat");
      body.prompt = spec.prompt;
    }
    body.max_tokens = spec.max_tokens;
    body.stream = target.stream;
    body.include_usage = true;
    body.ignore_eos = target.ignore_eos;
    body.extra_body = target.extra_body;
    prepared.push_back({http::make_request(target.client.url, boost::beast::http::verb::post,
                                           protocol::path_for(target.api), protocol::encode(body), target.headers),
                        spec.input_tokens, spec.max_tokens});
  }
  return prepared;
}

LoadResult run_load(const TargetOptions& target, const std::vector<PreparedRequest>& requests, const LoadPlan& plan,
                    const RunHooks& hooks) {
  const bool open = plan.load.mode == metrics::LoadSpec::Mode::Open;
  const int workers = std::max(1, plan.workers);
  Collector collector(hooks.on_record);
  SharedRun run;
  run.target = &target;
  run.requests = &requests;
  run.closed_loop = !open;
  run.warmup = plan.warmup;
  run.limit =
      open ? plan.offsets.size()
           : (plan.num_requests == 0 ? std::numeric_limits<std::size_t>::max() : plan.num_requests + plan.warmup);
  run.collector = &collector;
  // A short head start so every worker is waiting on its timer when the load begins.
  run.start = Clock::now() + std::chrono::milliseconds(20);
  if (!open && plan.duration) run.deadline = run.start + *plan.duration;
  const std::size_t total = run.limit == std::numeric_limits<std::size_t>::max() ? 0 : run.limit - plan.warmup;

  std::vector<std::unique_ptr<Worker>> pool;
  for (int w = 0; w < workers; ++w) pool.push_back(std::make_unique<Worker>(run));
  if (open) {
    // Request i goes to worker i mod W; the cap is shared out evenly.
    const int cap = plan.load.concurrency;
    for (int w = 0; w < workers; ++w) {
      std::vector<std::size_t> numbers;
      for (std::size_t i = static_cast<std::size_t>(w); i < plan.offsets.size();
           i += static_cast<std::size_t>(workers)) {
        numbers.push_back(i);
      }
      const int share = cap == 0 ? 0 : std::max(1, (cap + workers - 1 - w) / workers);
      pool[static_cast<std::size_t>(w)]->start_open(std::move(numbers), plan.offsets, share);
    }
  } else {
    const int users = std::max(1, plan.load.concurrency);
    for (int w = 0; w < workers; ++w) {
      // A worker given no user ends at once (more workers than users).
      pool[static_cast<std::size_t>(w)]->start_closed(users / workers + (w < users % workers ? 1 : 0));
    }
  }

  LoadResult result;
  TimePoint next_progress = Clock::now() + hooks.progress_interval;
  while (!std::all_of(pool.begin(), pool.end(), [](const auto& w) { return w->finished(); })) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!result.interrupted && hooks.stop_requested && hooks.stop_requested()) {
      result.interrupted = true;
      for (auto& w : pool) w->stop();
    }
    if (hooks.on_progress && Clock::now() >= next_progress) {
      hooks.on_progress(collector.live(), total);
      next_progress += hooks.progress_interval;
    }
  }
  for (auto& w : pool) w->join();
  pool.clear();
  auto records = collector.finish();
  // Requests cut by the interruption say nothing about the server: they leave the results.
  for (auto& r : records) {
    if (r.error == "cancelled") {
      ++result.cancelled;
    } else {
      result.records.push_back(std::move(r));
    }
  }
  return result;
}

}  // namespace inferbench::engine
