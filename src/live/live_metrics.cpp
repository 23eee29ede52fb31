#include "live/live_metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "metrics/request_metrics.hpp"
#include "report/failure_label.hpp"

namespace inferbench::live {

namespace {

std::vector<double> latency_bounds() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};
}
std::vector<double> token_gap_bounds() { return {0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5}; }
std::vector<double> lag_bounds() { return {0.0001, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5}; }

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

std::string escape_label_value(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

SecondsHistogram::SecondsHistogram(std::vector<double> bounds_s)
    : bounds_(std::move(bounds_s)), counts_(bounds_.size() + 1, 0) {}

void SecondsHistogram::observe(double seconds) {
  if (!std::isfinite(seconds)) return;
  const auto at = std::lower_bound(bounds_.begin(), bounds_.end(), seconds) - bounds_.begin();
  ++counts_[static_cast<std::size_t>(at)];
  sum_ += seconds;
  ++count_;
}

void SecondsHistogram::write(std::string& out, const std::string& name) const {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, bounds_[i], cumulative);
  }
  out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n{}_sum {}\n{}_count {}\n", name, count_, name, sum_, name, count_);
}

LiveMetrics::LiveMetrics()
    : ttft_(latency_bounds()),
      tpot_(token_gap_bounds()),
      itl_(token_gap_bounds()),
      e2e_(latency_bounds()),
      schedule_lag_(lag_bounds()) {
  for (const char* outcome : {"ok", "failed", "warmup", "cancelled"}) requests_[outcome] = 0;
}

void LiveMetrics::begin_load_point(std::size_t index, const std::string& label) {
  std::lock_guard lock(mutex_);
  load_point_ = index;
  load_label_ = label;
  running_ = true;
  in_flight_ = 0;
}

void LiveMetrics::record(const metrics::RequestRecord& record) {
  const metrics::RequestMetrics m = metrics::derive(record);
  std::lock_guard lock(mutex_);
  if (record.failure == metrics::Failure::Cancelled) {
    ++requests_["cancelled"];
    return;
  }
  if (record.warmup) {
    ++requests_["warmup"];
    return;
  }
  if (!record.ok()) {
    ++requests_["failed"];
    ++failures_[report::failure_label(record)];
    return;
  }
  ++requests_["ok"];
  input_tokens_ += static_cast<std::uint64_t>(std::max<std::int64_t>(0, m.input_tokens.value_or(0)));
  output_tokens_ += static_cast<std::uint64_t>(std::max<std::int64_t>(0, m.output_tokens.value_or(0)));
  if (m.ttft_ms) ttft_.observe(*m.ttft_ms / 1000.0);
  if (m.tpot_ms) tpot_.observe(*m.tpot_ms / 1000.0);
  if (m.e2e_ms) e2e_.observe(*m.e2e_ms / 1000.0);
  if (std::isfinite(m.schedule_lag_ms)) schedule_lag_.observe(m.schedule_lag_ms / 1000.0);
  // Every gap between output-bearing chunks.
  for (std::size_t i = 1; i < record.chunks.size(); ++i)
    itl_.observe(to_s(record.chunks[i].t - record.chunks[i - 1].t));
}

void LiveMetrics::set_in_flight(std::size_t in_flight) {
  std::lock_guard lock(mutex_);
  in_flight_ = in_flight;
}

void LiveMetrics::end_load_point(double busiest_worker_cpu, bool client_limited) {
  std::lock_guard lock(mutex_);
  running_ = false;
  in_flight_ = 0;
  busiest_worker_cpu_ = std::isfinite(busiest_worker_cpu) ? busiest_worker_cpu : 0.0;
  client_limited_ = client_limited;
  if (client_limited) ++client_limited_points_;
}

std::string LiveMetrics::exposition() const {
  std::lock_guard lock(mutex_);
  std::string out;
  header(out, "inferbench_requests_total", "counter",
         "Requests that ended, by outcome (ok, failed, warmup, cancelled); warm-up and cancelled are not measured.");
  for (const auto& [outcome, n] : requests_)
    out += fmt::format("inferbench_requests_total{{outcome=\"{}\"}} {}\n", outcome, n);
  header(out, "inferbench_request_failures_total", "counter", "Measured requests that failed, by failure label.");
  for (const auto& [label, n] : failures_) {
    out += fmt::format("inferbench_request_failures_total{{error=\"{}\"}} {}\n", escape_label_value(label), n);
  }
  header(out, "inferbench_input_tokens_total", "counter", "Prompt tokens of successful measured requests.");
  out += fmt::format("inferbench_input_tokens_total {}\n", input_tokens_);
  header(out, "inferbench_output_tokens_total", "counter", "Output tokens of successful measured requests.");
  out += fmt::format("inferbench_output_tokens_total {}\n", output_tokens_);
  header(out, "inferbench_ttft_seconds", "histogram", "Time to first token of successful measured requests.");
  ttft_.write(out, "inferbench_ttft_seconds");
  header(out, "inferbench_tpot_seconds", "histogram", "Time per output token after the first, per request.");
  tpot_.write(out, "inferbench_tpot_seconds");
  header(out, "inferbench_itl_seconds", "histogram", "Gaps between output-bearing chunks.");
  itl_.write(out, "inferbench_itl_seconds");
  header(out, "inferbench_e2e_seconds", "histogram", "End-to-end latency of successful measured requests.");
  e2e_.write(out, "inferbench_e2e_seconds");
  header(out, "inferbench_schedule_lag_seconds", "histogram",
         "Actual send minus intended send (open loop; 0 in closed loop).");
  schedule_lag_.write(out, "inferbench_schedule_lag_seconds");
  header(out, "inferbench_requests_in_flight", "gauge", "Requests sent and not yet ended (as of the progress line).");
  out += fmt::format("inferbench_requests_in_flight {}\n", in_flight_);
  header(out, "inferbench_load_point", "gauge", "Index (from 0) of the current or last load point.");
  out += fmt::format("inferbench_load_point {}\n", load_point_);
  header(out, "inferbench_load_point_running", "gauge",
         "1 while a load point runs, with its label; 0 between load points.");
  out += fmt::format("inferbench_load_point_running{{load=\"{}\"}} {}\n", escape_label_value(load_label_),
                     running_ ? 1 : 0);
  header(out, "inferbench_client_busiest_worker_cpu_ratio", "gauge",
         "Self-check of the last finished load point: the busiest client thread's CPU time over its length.");
  out += fmt::format("inferbench_client_busiest_worker_cpu_ratio {}\n", busiest_worker_cpu_);
  header(out, "inferbench_client_limited", "gauge",
         "Self-check of the last finished load point: 1 when the client, not the server, limited it.");
  out += fmt::format("inferbench_client_limited {}\n", client_limited_ ? 1 : 0);
  header(out, "inferbench_client_limited_load_points_total", "counter",
         "Load points the self-check found client-limited.");
  out += fmt::format("inferbench_client_limited_load_points_total {}\n", client_limited_points_);
  return out;
}

}  // namespace inferbench::live
