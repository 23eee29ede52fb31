#pragma once
// Whether a load point's numbers describe the server or the client (docs/metrics.md, "Self-check"):
// the client's CPU, its lateness against the schedule, and the share of requests that succeeded.
#include <optional>
#include <string>

#include "metrics/summary.hpp"

namespace inferbench::metrics {

// The rules, stated once (docs/metrics.md lists them).
inline constexpr double kClientCpuLimit = 0.9;         // busiest worker thread busy ≥ 90 % of the load point
inline constexpr double kScheduleLagLimitMs = 10.0;    // uncapped open loop: schedule lag p99 above it
inline constexpr double kScheduleRateLimit = 0.95;     // uncapped open loop: sends slower than 95 % of the schedule
inline constexpr double kDefaultMinSuccessRate = 0.9;  // below it a load point is flagged incomplete

// Fills s.client (the client's self-check) and s.completeness. `busiest_worker_cpu` is the CPU
// time of the busiest worker thread over the load point's length (NaN when unknown);
// `min_success_rate` is --min-success-rate when given.
void assess(LoadPointSummary& s, double busiest_worker_cpu, std::optional<double> min_success_rate);

}  // namespace inferbench::metrics
