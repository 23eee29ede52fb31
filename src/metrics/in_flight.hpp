#pragma once
// The largest number of requests in flight at one instant, from their [send, done) intervals
// given in any order, in memory that does not grow with the run's length.
//
// An interval is known only when its request ends, so an instant is settled once no interval
// still to come can cover it. Given `horizon`, a bound on how far a send can precede the latest
// end seen when its request arrives (the request timeout plus a margin), every instant older
// than (latest end − horizon) is settled and swept, and only the events after it are kept.
// Without a horizon every event is kept until peak(). The sweep is the exact one either way:
// events in time order, an end before a start at the same instant (touching intervals do not
// overlap). An interval that arrives later than the horizon allowed makes the peak unknown
// (NaN) instead of possibly wrong.
#include <cstddef>
#include <deque>
#include <optional>
#include <queue>
#include <utility>

#include "core/clock.hpp"

namespace inferbench::metrics {

class InFlightPeak {
 public:
  explicit InFlightPeak(std::optional<Duration> horizon = std::nullopt);

  // Adds one request's interval (done ≥ sent).
  void add(TimePoint sent, TimePoint done);
  // The peak over every interval added; NaN when none was, or when one came later than the horizon.
  double peak();
  // Events waiting to be swept (for tests of the memory bound).
  std::size_t pending() const { return events_.size(); }

 private:
  using Event = std::pair<TimePoint, int>;  // +1 send, −1 end; (t, −1) orders before (t, +1)
  void sweep_before(TimePoint settled);

  std::optional<Duration> horizon_;
  // On a deque: it grows in blocks, where a vector's doubling would copy every event at once
  // (see metrics/block_buffer.hpp for why that matters on the collector's thread).
  std::priority_queue<Event, std::deque<Event>, std::greater<>> events_;
  TimePoint settled_ = TimePoint::min();  // every instant before it has been swept
  TimePoint latest_end_ = TimePoint::min();
  int in_flight_ = 0;
  int peak_ = 0;
  bool any_ = false;
  bool late_ = false;
};

}  // namespace inferbench::metrics
