#pragma once
// Runs the engine model (sim/model) in real time for the HTTP server: one thread steps the
// model; each iteration's tokens are handed to their streams with the real time they are due
// (the iteration's virtual end mapped through the time scale). Sessions wait on their
// TokenChannel; they never touch the model.
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <utility>  // before Asio: awaitable.hpp uses std::exchange without including it

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/clock.hpp"
#include "sim/model/engine.hpp"
#include "sim/sim_metrics.hpp"

namespace inferbench::sim {

// Tokens of one iteration for one stream.
struct TokenEvent {
  TimePoint due{};           // when the tokens are ready (real time)
  std::uint32_t tokens = 0;  // tokens emitted (0 or 1)
  bool finished = false;     // the request is done; `finish` is set
  FinishedRequest finish;    // valid when finished
};

// The hand-over between the engine thread and one HTTP session. The session's executor must
// be a strand (or single-threaded), because `signal` is only touched there.
class TokenChannel : public std::enable_shared_from_this<TokenChannel> {
 public:
  explicit TokenChannel(const boost::asio::any_io_executor& executor);
  // Engine thread: queues events and wakes the session.
  void push(std::vector<TokenEvent>&& events);
  // Session: moves queued events into `out` (clearing it first); false when none.
  bool take(std::vector<TokenEvent>& out);
  boost::asio::steady_timer signal;  // the session waits on it; a push cancels the wait

 private:
  std::mutex mutex_;
  std::vector<TokenEvent> queue_;
};

class EngineDriver {
 public:
  // time_scale > 1 runs simulated time faster than real time.
  EngineDriver(EngineConfig config, double time_scale, SimMetrics& metrics);
  ~EngineDriver();
  EngineDriver(const EngineDriver&) = delete;
  EngineDriver& operator=(const EngineDriver&) = delete;

  // Submits a request (any thread); its tokens arrive on `channel`. `prompt_ids` lets the
  // prefix cache see shared prefixes.
  SubmitStatus submit(std::uint64_t id, std::vector<std::uint32_t> prompt_ids, std::uint32_t max_tokens,
                      std::uint32_t stop_after, std::shared_ptr<TokenChannel> channel);
  // Drops a request whose client went away (frees its KV blocks). Any thread.
  void abort(std::uint64_t id);
  // Live gauges and counters for /metrics. Any thread.
  SimGauges gauges() const;
  const EngineConfig& config() const { return config_; }
  // The engine's prompt + max_tokens limit (fixed at construction). Any thread.
  std::uint32_t max_model_len() const { return max_model_len_; }

 private:
  void loop();
  double virtual_now(TimePoint t) const { return to_s(t - t0_) * scale_; }
  TimePoint real_time(double v) const { return t0_ + from_s(v / scale_); }

  EngineConfig config_;
  std::uint32_t max_model_len_ = 0;
  double scale_;
  SimMetrics& metrics_;
  TimePoint t0_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  EngineModel model_;
  std::unordered_map<std::uint64_t, std::shared_ptr<TokenChannel>> channels_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace inferbench::sim
