#include "core/clock.hpp"

#include <time.h>

namespace inferbench {

std::optional<TimePoint> kernel_stamp_on_clock(const timespec& stamp, TimePoint now, Duration max_age) {
  timespec wall_now{};
  ::clock_gettime(CLOCK_REALTIME, &wall_now);
  const auto age =
      std::chrono::seconds(wall_now.tv_sec - stamp.tv_sec) + std::chrono::nanoseconds(wall_now.tv_nsec - stamp.tv_nsec);
  if (age < std::chrono::nanoseconds::zero() || age > max_age) return std::nullopt;
  return now - std::chrono::duration_cast<Duration>(age);
}

}  // namespace inferbench
