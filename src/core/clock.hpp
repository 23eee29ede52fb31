#pragma once
// The one clock of inferbench. Every duration that is measured comes from Clock;
// the wall clock (std::chrono::system_clock) only labels exported records.
#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>

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

// A kernel timestamp (CLOCK_REALTIME, as SO_TIMESTAMPNS and SO_TIMESTAMPING give them) on Clock,
// `now` being a Clock reading just taken. The offset between the two clocks is read here (vDSO
// calls, no system call), so a wall-clock step between two stamps cannot skew either. nullopt
// for a stamp later than now or older than `max_age` (the wall clock was stepped in between).
std::optional<TimePoint> kernel_stamp_on_clock(const timespec& stamp, TimePoint now, Duration max_age);

}  // namespace inferbench
