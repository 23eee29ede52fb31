#include "loadgen/collector.hpp"

#include <algorithm>

#include "metrics/request_metrics.hpp"

namespace inferbench::loadgen {

Collector::Collector(Sink sink, BatchEnd batch_end, bool keep_records)
    : sink_(std::move(sink)),
      batch_end_(std::move(batch_end)),
      keep_records_(keep_records),
      thread_([this] { run(); }) {}

Collector::~Collector() {
  if (thread_.joinable()) finish();
}

void Collector::push(metrics::RequestRecord&& record) {
  // No wake-up per request: the collector takes what came every kPoll (a notify costs a futex
  // call on both sides, per request); only a large backlog wakes it early, to bound memory.
  bool backlog = false;
  {
    std::lock_guard lock(mutex_);
    pending_.push_back(std::move(record));
    backlog = pending_.size() == kWakeBacklog;
  }
  if (backlog) wake_.notify_one();
}

LiveStats Collector::live() const {
  std::lock_guard lock(mutex_);
  LiveStats live = live_;
  // Here, not per record: a percentile walks every bucket of the histogram.
  if (ttft_ns_.count() > 0) live.ttft_p50_ms = ttft_ns_.percentile(50.0) / 1e6;
  return live;
}

bool is_unreachable(metrics::Failure failure) {
  using metrics::Failure;
  return failure == Failure::ConnectFailed || failure == Failure::DnsFailed || failure == Failure::TlsFailed ||
         failure == Failure::ClosedBeforeResponse;
}

void Collector::account(const metrics::RequestRecord& record) {
  const metrics::RequestMetrics m = metrics::derive(record);
  std::lock_guard lock(mutex_);
  if (is_unreachable(record.failure)) {
    ++live_.unreachable_in_a_row;
  } else if (record.http_status != 0) {
    live_.unreachable_in_a_row = 0;
    live_.last_response = std::max(live_.last_response, record.done);
  }
  if (record.warmup) {
    ++live_.warmup;
    return;
  }
  if (record.sent && (live_.first_sent == TimePoint{} || *record.sent < live_.first_sent)) {
    live_.first_sent = *record.sent;
  }
  if (record.done > live_.last_done) live_.last_done = record.done;
  if (!record.ok()) {
    ++live_.failed;
    return;
  }
  ++live_.completed;
  live_.output_tokens += m.output_tokens.value_or(0);
  if (m.ttft_ms) ttft_ns_.record(from_ms(*m.ttft_ms));
}

void Collector::run() {
  std::vector<metrics::RequestRecord> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, kPoll, [this] { return pending_.size() >= kWakeBacklog || closing_; });
      if (pending_.empty() && closing_) return;
      batch.swap(pending_);
    }
    for (auto& record : batch) {
      account(record);
      if (sink_) sink_(record);
      // Requests cut by the interruption say nothing about the server: they leave the results.
      if (record.failure == metrics::Failure::Cancelled) {
        ++cancelled_;
      } else if (keep_records_) {
        kept_.push_back(std::move(record));
      }
    }
    if (!batch.empty() && batch_end_) batch_end_();
    batch.clear();
  }
}

std::vector<metrics::RequestRecord> Collector::finish() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  wake_.notify_one();
  thread_.join();
  return std::move(kept_);
}

}  // namespace inferbench::loadgen
