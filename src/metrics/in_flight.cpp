#include "metrics/in_flight.hpp"

#include <algorithm>

#include "metrics/stats.hpp"

namespace inferbench::metrics {

InFlightPeak::InFlightPeak(std::optional<Duration> horizon) : horizon_(horizon) {}

void InFlightPeak::add(TimePoint sent, TimePoint done) {
  any_ = true;
  if (sent < settled_) late_ = true;  // its start belongs to an instant already swept
  events_.emplace(sent, +1);
  events_.emplace(done, -1);
  latest_end_ = std::max(latest_end_, done);
  // Sweep in steps of a tenth of the horizon, not after every request.
  if (horizon_ && latest_end_ - *horizon_ > settled_ + *horizon_ / 10) sweep_before(latest_end_ - *horizon_);
}

void InFlightPeak::sweep_before(TimePoint settled) {
  while (!events_.empty() && events_.top().first < settled) {
    in_flight_ += events_.top().second;
    peak_ = std::max(peak_, in_flight_);
    events_.pop();
  }
  settled_ = settled;
}

double InFlightPeak::peak() {
  while (!events_.empty()) {
    in_flight_ += events_.top().second;
    peak_ = std::max(peak_, in_flight_);
    events_.pop();
  }
  settled_ = TimePoint::max();
  if (!any_ || late_) return kNaN;
  return static_cast<double>(peak_);
}

}  // namespace inferbench::metrics
