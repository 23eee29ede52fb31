#pragma once
// The run's own progress as Prometheus metrics (text format 0.0.4), for `--metrics-port`:
// requests by outcome, tokens, latency histograms, in flight, schedule lag, the self-check.
// Fed off the hot path: each finished record on the collector's thread, the in-flight count with
// the progress line, the self-check after each load point. Names in docs/live-metrics.md.
#include <array>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "metrics/request_record.hpp"

namespace inferbench::live {

// A cumulative histogram over fixed bounds in seconds.
class SecondsHistogram {
 public:
  explicit SecondsHistogram(std::vector<double> bounds_s);
  void observe(double seconds);
  // `name`_bucket{le=…}, `name`_sum and `name`_count lines.
  void write(std::string& out, const std::string& name) const;

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;  // per bound, not cumulative; one more for +Inf
  double sum_ = 0.0;
  std::uint64_t count_ = 0;
};

class LiveMetrics {
 public:
  LiveMetrics();

  // A load point starts: its index (from 0) and label ("concurrency 4").
  void begin_load_point(std::size_t index, const std::string& label);
  // One finished request. Any thread (the collector's).
  void record(const metrics::RequestRecord& record);
  // Requests sent and not yet ended, as of the last progress update.
  void set_in_flight(std::size_t in_flight);
  // The load point's self-check (docs/metrics.md, "Self-check").
  void end_load_point(double busiest_worker_cpu, bool client_limited);
  // The exposition: every metric with HELP and TYPE. Any thread.
  std::string exposition() const;

 private:
  mutable std::mutex mutex_;
  std::size_t load_point_ = 0;
  std::string load_label_;
  bool running_ = false;
  std::map<std::string, std::uint64_t> requests_;  // outcome → count
  std::map<std::string, std::uint64_t> failures_;  // failure label → count
  std::uint64_t input_tokens_ = 0;
  std::uint64_t output_tokens_ = 0;
  std::size_t in_flight_ = 0;
  double busiest_worker_cpu_ = 0.0;
  bool client_limited_ = false;
  std::size_t client_limited_points_ = 0;
  SecondsHistogram ttft_, tpot_, itl_, e2e_, schedule_lag_;
};

// `value` escaped for a label value of the text format: backslash, double quote and newline.
std::string escape_label_value(const std::string& value);

}  // namespace inferbench::live
