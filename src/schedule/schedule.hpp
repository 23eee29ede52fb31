#pragma once
// Open-loop arrival schedules, computed before the run as data: the intended send offset of
// every request from the run's start. The engine sends request i at start + offsets[i]
// whatever happened before (no coordinated omission).
#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.hpp"

namespace inferbench::schedule {

enum class Arrival { Constant, Poisson, Gamma };

// Parses "constant" | "poisson" | "gamma"; throws inferbench::Error otherwise.
Arrival parse_arrival(const std::string& name);
std::string to_string(Arrival arrival);

struct RateSpec {
  double rate = 1.0;  // requests per second, > 0
  Arrival arrival = Arrival::Constant;
  double burstiness = 1.0;  // gamma shape k (1 = Poisson, < 1 burstier, > 1 smoother)
};

// Throws inferbench::Error when `count` requests at `rate` req/s would take over 30 days.
void require_plausible_length(double rate, std::size_t count);

// Offsets of `count` requests: offsets[0] = 0; gaps are 1/rate (constant), exponential with
// mean 1/rate (Poisson) or gamma with shape k and scale 1/(rate·k) (gamma), drawn from one
// stream seeded by `seed`. Non-decreasing.
std::vector<Duration> make_offsets(const RateSpec& spec, std::size_t count, std::uint64_t seed);

// The number of requests a rate sends in `duration` (at least 1).
std::size_t count_for_duration(double rate, Duration duration);

}  // namespace inferbench::schedule
