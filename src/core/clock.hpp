#pragma once
// The one clock of inferbench. Every duration that is measured comes from Clock;
// the wall clock (std::chrono::system_clock) only labels exported records.
#include <chrono>
#include <cstdint>

namespace inferbench {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;

// Milliseconds as a double, the unit every latency is reported in.
inline double to_ms(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
// Seconds as a double, the unit every run duration is reported in.
inline double to_s(Duration d) { return std::chrono::duration<double>(d).count(); }
// A double number of seconds as a Duration (rounded to the clock's tick).
inline Duration from_s(double s) { return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s)); }
inline Duration from_ms(double ms) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::milli>(ms));
}

}  // namespace inferbench
