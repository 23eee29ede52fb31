#include "sim/engine_driver.hpp"

#include <boost/asio/post.hpp>

namespace inferbench::sim {

TokenChannel::TokenChannel(const boost::asio::any_io_executor& executor) : signal(executor) {}

void TokenChannel::push(std::vector<TokenEvent>&& events) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) {
      queue_ = std::move(events);
    } else {
      queue_.insert(queue_.end(), events.begin(), events.end());
    }
  }
  // The timer belongs to the session's strand: cancel it there, never from this thread.
  boost::asio::post(signal.get_executor(), [self = shared_from_this()] { self->signal.cancel(); });
}

bool TokenChannel::take(std::vector<TokenEvent>& out) {
  out.clear();
  std::lock_guard lock(mutex_);
  if (queue_.empty()) return false;
  out.swap(queue_);
  return true;
}

EngineDriver::EngineDriver(EngineConfig config, double time_scale, SimMetrics& metrics)
    : config_(config), scale_(time_scale), metrics_(metrics), t0_(Clock::now()), model_(std::move(config)) {
  max_model_len_ = model_.max_model_len();
  thread_ = std::thread([this] { loop(); });
}

EngineDriver::~EngineDriver() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

SubmitStatus EngineDriver::submit(std::uint64_t id, std::vector<std::uint32_t> prompt_ids, std::uint32_t max_tokens,
                                  std::uint32_t stop_after, std::shared_ptr<TokenChannel> channel) {
  SubmitStatus status;
  {
    std::lock_guard lock(mutex_);
    // Arrival times are taken under the lock, so they are non-decreasing (FIFO order).
    SeqRequest request = SeqRequest::from_tokens(id, std::move(prompt_ids), max_tokens, virtual_now(Clock::now()));
    request.stop_after = stop_after;
    status = model_.submit(std::move(request));
    if (status == SubmitStatus::kAccepted) channels_[id] = std::move(channel);
  }
  wake_.notify_one();
  return status;
}

void EngineDriver::abort(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  if (channels_.erase(id) > 0) model_.abort(id);
}

SimGauges EngineDriver::gauges() const {
  std::lock_guard lock(mutex_);
  const EngineStats s = model_.stats();
  SimGauges g;
  g.running = s.running;
  g.waiting = s.waiting;
  g.kv_cache_usage = s.kv_cache_usage;
  g.num_gpu_blocks = s.num_gpu_blocks;
  g.block_size = s.block_size;
  g.prompt_tokens = s.prompt_tokens;
  g.generation_tokens = s.generation_tokens;
  g.preemptions = s.preemptions;
  g.prefix_cache_queries = s.prefix_cache_queries;
  g.prefix_cache_hits = s.prefix_cache_hits;
  return g;
}

void EngineDriver::loop() {
  // Per-stream batches of this iteration, reused; delivered after the lock is released.
  std::vector<std::pair<std::shared_ptr<TokenChannel>, std::vector<TokenEvent>>> deliveries;
  std::unordered_map<std::uint64_t, std::size_t> slot;
  std::vector<double> gaps;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (!model_.has_work()) {
      wake_.wait(lock);
      continue;
    }
    // An iteration is computed when real time reaches its virtual start, so it sees every
    // request that has arrived by then; its tokens are due at its virtual end.
    const TimePoint start = real_time(model_.next_step_time());
    if (start > Clock::now()) {
      wake_.wait_until(lock, start);
      continue;
    }
    const IterationResult& r = model_.step();
    if (r.idle) continue;
    const TimePoint due = real_time(r.end_s);
    deliveries.clear();
    slot.clear();
    gaps.clear();
    auto batch_of = [&](std::uint64_t id) -> std::vector<TokenEvent>* {
      const auto ch = channels_.find(id);
      if (ch == channels_.end()) return nullptr;
      auto [it, fresh] = slot.try_emplace(id, deliveries.size());
      if (fresh) deliveries.emplace_back(ch->second, std::vector<TokenEvent>{});
      return &deliveries[it->second].second;
    };
    for (const SeqEvent& e : r.events) {
      if (e.tokens == 0) continue;
      if (!e.first) gaps.push_back(e.latency_s);
      if (auto* batch = batch_of(e.id)) batch->push_back({due, e.tokens, false, {}});
    }
    for (const FinishedRequest& f : r.finished) {
      // The finish rides on the request's last token, so the session knows that chunk is the last.
      if (auto* batch = batch_of(f.id)) {
        if (batch->empty()) batch->push_back({due, 0, false, {}});
        batch->back().finished = true;
        batch->back().finish = f;
      }
      channels_.erase(f.id);
      metrics_.observe_finished({f.ttft_s, f.e2e_s, f.queue_s, f.prefill_s, f.decode_s, f.inference_s, f.tpot_s,
                                 f.prompt_tokens, f.output_tokens, f.max_tokens, f.reason == FinishReason::kStop});
    }
    metrics_.observe_iteration(r.tokens());
    if (!gaps.empty()) metrics_.observe_itl(gaps);
    lock.unlock();
    for (auto& [channel, events] : deliveries) channel->push(std::move(events));
    lock.lock();
  }
}

}  // namespace inferbench::sim
