#include "metrics/self_check.hpp"

#include <cmath>

#include <fmt/format.h>

namespace inferbench::metrics {

namespace {

// The first rule the load point breaks, as a reason; empty when it breaks none.
std::string client_limit(const LoadPointSummary& s, double cpu) {
  if (cpu >= kClientCpuLimit) {
    return fmt::format("the busiest client thread was busy {:.0f} % of the load point (limit {:.0f} %); add --workers",
                       cpu * 100.0, kClientCpuLimit * 100.0);
  }
  // With a cap, lateness is the server's: requests wait for a free slot (client queue time).
  const bool uncapped_open = s.load.mode == LoadSpec::Mode::Open && s.load.concurrency == 0;
  if (!uncapped_open) return {};
  const Distribution& lag = s.latency.schedule_lag_ms;
  if (lag.count > 0 && lag.p99 > kScheduleLagLimitMs) {
    return fmt::format("requests left {:.1f} ms after their scheduled time at p99 (limit {:.0f} ms)", lag.p99,
                       kScheduleLagLimitMs);
  }
  if (s.rate && std::isfinite(s.rate->achieved) && std::isfinite(s.rate->scheduled) &&
      s.rate->achieved < kScheduleRateLimit * s.rate->scheduled) {
    return fmt::format("sent {:.1f} req/s of the schedule's {:.1f} req/s (limit {:.0f} %)", s.rate->achieved,
                       s.rate->scheduled, kScheduleRateLimit * 100.0);
  }
  return {};
}

}  // namespace

void assess(LoadPointSummary& s, double busiest_worker_cpu, std::optional<double> min_success_rate) {
  s.client.busiest_worker_cpu = busiest_worker_cpu;
  s.client.reason = client_limit(s, busiest_worker_cpu);
  s.client.limited = !s.client.reason.empty();

  Completeness& c = s.completeness;
  const auto attempted = static_cast<double>(s.requests.completed + s.requests.failed);
  c.success_rate = attempted > 0 ? static_cast<double>(s.requests.completed) / attempted : kNaN;
  c.min_success_rate = min_success_rate.value_or(kDefaultMinSuccessRate);
  // Nothing attempted is incomplete too: a load point with no answer compares with nothing.
  c.incomplete = !(c.success_rate >= c.min_success_rate);
}

}  // namespace inferbench::metrics
