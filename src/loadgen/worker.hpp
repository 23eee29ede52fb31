#pragma once
// One worker: a thread with its own event loop and its own Target (for HTTP: a connection pool
// and a chunk decoder); shares nothing with other workers but the read-only plan and an atomic
// request counter.
#include <atomic>
#include <deque>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "loadgen/collector.hpp"
#include "loadgen/record_sink.hpp"
#include "schedule/schedule.hpp"
#include "target/target.hpp"
#include "workload/request_spec.hpp"

namespace inferbench::loadgen {

// What all workers of one load point share. Read-only during the run except the atomics.
struct SharedRun {
  const target::TargetFactory* targets = nullptr;             // the system under test
  const std::vector<workload::RequestSpec>* specs = nullptr;  // request i uses [i % size]
  RecordSinkOptions sink;             // closed loop (t_sched = t_send), client-side output counting
  std::size_t warmup = 0;             // the first `warmup` request numbers are warm-up
  std::size_t limit = 0;              // request numbers [0, limit) are sent (warm-up included)
  TimePoint start{};                  // common start of the load point
  std::optional<TimePoint> deadline;  // closed loop: no new request after it
  Duration ramp_up{};                 // closed loop: users start spread over it; its requests are warm-up
  int users = 0;                      // closed loop: all users of the load point (for the ramp)
  schedule::Shard shard;              // closed loop: this process's users and request numbers
  std::atomic<std::size_t> next{0};   // closed loop: this shard's next request (local number)
  // Requests started (one relaxed add per request): run_load's in-flight count for the progress.
  std::atomic<std::size_t> launched{0};
  Collector* collector = nullptr;
};

class Worker {
 public:
  explicit Worker(SharedRun& run);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Closed loop: this shard's users number [first_user, first_user + users) (local numbers;
  // global user u = schedule::global_number), each sending its next request when the last
  // ends; user u starts at run.start + ramp_up × u / run.users.
  void start_closed(int first_user, int users);
  // Open loop: sends request numbers `numbers` at run.start + offsets[number]; at most
  // `cap` in flight (0 = no cap), later ones wait in order (their schedule lag shows it).
  void start_open(std::vector<std::size_t> numbers, const std::vector<Duration>& offsets, int cap);
  // Asks the worker to stop: no new sends, in-flight requests are cancelled. Any thread.
  void stop();
  // Waits for the worker's thread to end.
  void join();
  // True once every request of this worker has ended.
  bool finished() const { return finished_.load(); }
  // CPU seconds the worker's thread used, from its start to its end; valid once finished().
  double cpu_seconds() const { return cpu_seconds_; }

 private:
  boost::asio::awaitable<void> user_loop(int user);
  boost::asio::awaitable<void> open_dispatch(std::vector<std::size_t> numbers, const std::vector<Duration>* offsets);
  // Sends request `number` and records it; returns how it failed (None = it succeeded).
  boost::asio::awaitable<metrics::Failure> send(std::size_t number, TimePoint scheduled);
  void pump();
  void launch(std::size_t number, TimePoint scheduled);
  void run_thread();

  SharedRun& run_;
  boost::asio::io_context ioc_;
  std::unique_ptr<target::Target> target_;
  boost::asio::steady_timer dispatch_timer_;
  std::deque<std::pair<std::size_t, TimePoint>> waiting_;  // open loop: due but over the cap
  int cap_ = 0;
  int in_flight_ = 0;
  bool stopping_ = false;     // worker thread only
  double cpu_seconds_ = 0.0;  // written by the worker thread before finished_ is set
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

}  // namespace inferbench::loadgen
