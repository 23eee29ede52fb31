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

namespace inferbench::schedule {

// One slice of a run split over `count` processes (docs/scale-out.md). Every shard builds the
// same seeded global workload and schedule and keeps request i when i mod count == index, and
// user u when u mod count == index: the union of the shards is the single schedule exactly.
struct Shard {
  std::size_t index = 0;
  std::size_t count = 1;
  bool whole() const { return count <= 1; }
};

// Whether request (or user) `number` belongs to `shard`.
inline bool owns(Shard shard, std::size_t number) { return number % shard.count == shard.index; }
// The global number of the shard's `local`-th request or user (local = 0, 1, 2, …).
inline std::size_t global_number(Shard shard, std::size_t local) { return shard.index + local * shard.count; }
// How many of the numbers [0, total) the shard owns.
inline std::size_t owned_count(Shard shard, std::size_t total) {
  return total / shard.count + (shard.index < total % shard.count ? 1 : 0);
}
// The numbers in [0, total) the shard owns, ascending.
std::vector<std::size_t> owned_numbers(Shard shard, std::size_t total);

}  // namespace inferbench::schedule
