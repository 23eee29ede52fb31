#pragma once
// Gathers finished requests from every worker, off the hot path: one thread keeps the live
// statistics for the progress line and hands each record to a sink (requests.jsonl) within
// kPoll of its end, then tells the sink the batch is over (it flushes what it wrote), so nothing
// completed is lost if the process dies.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "metrics/histogram.hpp"
#include "metrics/request_record.hpp"

namespace inferbench::loadgen {

// Running totals over measured (non warm-up) requests, for the progress line.
struct LiveStats {
  std::size_t completed = 0;
  std::size_t failed = 0;
  std::size_t warmup = 0;
  std::int64_t output_tokens = 0;
  double ttft_p50_ms = 0.0;  // from a histogram (bounded relative error); 0 before any sample
  TimePoint first_sent{};    // earliest send among measured requests (epoch = none yet)
  TimePoint last_done{};
  // Requests (warm-up included) that ended unable to reach the server (connect, DNS, TLS, closed
  // before any response) since the last one that got a response: the circuit breaker's input.
  std::size_t unreachable_in_a_row = 0;
  TimePoint last_response{};  // when the last request that got any HTTP response ended (epoch = none)
  std::size_t in_flight = 0;  // started and not yet through the collector (set by run_load, warm-up included)
};

// A failure that says the server could not be reached at all (no HTTP response).
bool is_unreachable(metrics::Failure failure);

class Collector {
 public:
  // Called on the collector's thread for every record, in completion order.
  using Sink = std::function<void(const metrics::RequestRecord&)>;
  // Called on the collector's thread after each batch of records went through the sink: one
  // flush of a file per batch, not per record (a write(2) per request is ~10 % of a short one).
  using BatchEnd = std::function<void()>;

  // `keep_records`: finish() returns every record; otherwise each is only given to the sink, and
  // memory does not grow with the run.
  Collector(Sink sink, BatchEnd batch_end, bool keep_records);
  ~Collector();
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  // How often the collector takes the records handed over, and the backlog that wakes it sooner.
  // Records reach the sink (requests.jsonl) and the live totals at most kPoll after they end.
  static constexpr std::chrono::milliseconds kPoll{10};
  static constexpr std::size_t kWakeBacklog = 4096;

  // Hands over a finished record. Any thread; one short lock per request, never per token, and
  // no wake-up of the collector (it polls).
  void push(metrics::RequestRecord&& record);
  // A consistent copy of the live totals. Any thread.
  LiveStats live() const;
  // Waits until every pushed record went through the sink, stops the thread and returns the
  // records kept (keep_records), cancelled ones left out, in completion order. Call once, after
  // every push.
  std::vector<metrics::RequestRecord> finish();
  // Records that ended Cancelled (in flight when the run was interrupted). After finish().
  std::size_t cancelled() const { return cancelled_; }

 private:
  void run();
  void account(const metrics::RequestRecord& record);

  Sink sink_;
  BatchEnd batch_end_;
  bool keep_records_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<metrics::RequestRecord> pending_;
  bool closing_ = false;
  LiveStats live_;
  metrics::Histogram ttft_ns_;
  std::vector<metrics::RequestRecord> kept_;  // touched by the collector thread only
  std::size_t cancelled_ = 0;                 // likewise
  std::thread thread_;
};

}  // namespace inferbench::loadgen
