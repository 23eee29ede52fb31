#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <utility>
#include <vector>

#include "metrics/in_flight.hpp"

namespace inferbench::metrics {
namespace {

using std::chrono::milliseconds;

struct Interval {
  TimePoint sent, done;
};

// The definition: the most intervals [sent, done) covering one instant, by a full sort.
int brute_peak(const std::vector<Interval>& intervals) {
  std::vector<std::pair<TimePoint, int>> events;
  for (const auto& i : intervals) {
    events.emplace_back(i.sent, +1);
    events.emplace_back(i.done, -1);
  }
  std::sort(events.begin(), events.end());
  int now = 0, peak = 0;
  for (const auto& e : events) peak = std::max(peak, now += e.second);
  return peak;
}

// Requests of 1–400 ms sent over `seconds`, some sharing instants, given in end order with
// a few tens of ms of reordering (several workers handing records over).
std::vector<Interval> run_of(int seconds, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::vector<Interval> out;
  TimePoint t = TimePoint{} + std::chrono::hours(1);
  const TimePoint end = t + std::chrono::seconds(seconds);
  while (t < end) {
    const TimePoint sent = t;
    out.push_back({sent, sent + milliseconds(1 + rng() % 400)});
    if (rng() % 4 != 0) t += milliseconds(rng() % 3);  // a quarter share the previous send instant
  }
  // Touching intervals: one ends exactly where the next starts.
  out.push_back({out.back().done, out.back().done + milliseconds(5)});
  std::sort(out.begin(), out.end(), [](const Interval& a, const Interval& b) { return a.done < b.done; });
  for (std::size_t i = 0; i + 1 < out.size(); i += 1 + rng() % 5) std::swap(out[i], out[i + 1]);
  return out;
}

TEST(InFlightPeak, WithAHorizonItIsTheFullSweepAndKeepsOnlyTheWindow) {
  const std::vector<Interval> run = run_of(60, 1);
  InFlightPeak peak(milliseconds(1000));
  std::size_t most_pending = 0;
  for (const auto& i : run) {
    peak.add(i.sent, i.done);
    most_pending = std::max(most_pending, peak.pending());
  }
  EXPECT_EQ(peak.peak(), brute_peak(run));
  // ~1,000 requests a second: the window holds a horizon and a tenth of events, not the run's.
  EXPECT_LT(most_pending, run.size() / 20);
}

TEST(InFlightPeak, WithoutAHorizonAnyOrderWorks) {
  std::vector<Interval> run = run_of(5, 2);
  std::shuffle(run.begin(), run.end(), std::mt19937_64(3));
  InFlightPeak peak;
  for (const auto& i : run) peak.add(i.sent, i.done);
  EXPECT_EQ(peak.peak(), brute_peak(run));
}

TEST(InFlightPeak, AnIntervalLaterThanTheHorizonMakesThePeakUnknown) {
  const std::vector<Interval> run = run_of(10, 4);
  InFlightPeak peak(milliseconds(500));
  for (const auto& i : run) peak.add(i.sent, i.done);
  // A request sent at the start, reported only now: its instants were already swept.
  peak.add(run.front().sent, run.back().done);
  EXPECT_TRUE(std::isnan(peak.peak()));
}

TEST(InFlightPeak, TouchingIntervalsDoNotOverlapAndNoneIsUnknown) {
  InFlightPeak peak(milliseconds(10));
  const TimePoint t0 = TimePoint{} + std::chrono::seconds(1);
  peak.add(t0, t0 + milliseconds(5));
  peak.add(t0 + milliseconds(5), t0 + milliseconds(9));
  EXPECT_EQ(peak.peak(), 1.0);
  EXPECT_TRUE(std::isnan(InFlightPeak().peak()));
}

}  // namespace
}  // namespace inferbench::metrics
