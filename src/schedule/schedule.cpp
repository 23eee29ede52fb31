#include "schedule/schedule.hpp"

#include <fmt/format.h>

#include <cmath>
#include <random>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace inferbench::schedule {

namespace {
constexpr double kMaxScheduleSeconds = 30.0 * 24 * 3600;
}  // namespace

Arrival parse_arrival(const std::string& name) {
  if (name == "constant") return Arrival::Constant;
  if (name == "poisson") return Arrival::Poisson;
  if (name == "gamma") return Arrival::Gamma;
  throw Error("invalid arrival '" + name + "': expected constant, poisson or gamma");
}

std::string to_string(Arrival arrival) {
  switch (arrival) {
    case Arrival::Constant: return "constant";
    case Arrival::Poisson: return "poisson";
    case Arrival::Gamma: return "gamma";
  }
  return "constant";
}

void require_plausible_length(double rate, std::size_t count) {
  // The clock holds about 292 years; a schedule of months is a mistake, not a benchmark.
  require(static_cast<double>(count) / rate <= kMaxScheduleSeconds,
          fmt::format("{} requests at {} req/s would take over 30 days", count, rate));
}

std::vector<Duration> make_offsets(const RateSpec& spec, std::size_t count, std::uint64_t seed) {
  require(spec.rate > 0 && std::isfinite(spec.rate), "request rate must be a positive number");
  require(spec.burstiness > 0 && std::isfinite(spec.burstiness), "burstiness must be > 0");
  require_plausible_length(spec.rate, count);
  std::vector<Duration> offsets;
  offsets.reserve(count);
  Rng rng = make_rng(seed, 0xA1);
  std::exponential_distribution<double> exponential(spec.rate);
  std::gamma_distribution<double> gamma(spec.burstiness, 1.0 / (spec.rate * spec.burstiness));
  // Accumulate in seconds as a double and convert each offset once, so rounding to the
  // clock's tick never accumulates over a long schedule.
  double t = 0.0;
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) {
      switch (spec.arrival) {
        case Arrival::Constant: t = static_cast<double>(i) / spec.rate; break;
        case Arrival::Poisson: t += exponential(rng); break;
        case Arrival::Gamma: t += gamma(rng); break;
      }
    }
    // The clock holds about 292 years; a schedule that long is a mistake, not a benchmark.
    require(t <= kMaxScheduleSeconds,
            fmt::format("the schedule of {} requests at {} req/s would last over 30 days", count, spec.rate));
    offsets.push_back(from_s(t));
  }
  return offsets;
}

std::size_t count_for_duration(double rate, Duration duration) {
  const double n = std::floor(rate * to_s(duration) + 1e-9);
  return n < 1 ? 1 : static_cast<std::size_t>(n);
}

}  // namespace inferbench::schedule

namespace inferbench::schedule {

std::vector<std::size_t> owned_numbers(Shard shard, std::size_t total) {
  std::vector<std::size_t> numbers;
  numbers.reserve(owned_count(shard, total));
  for (std::size_t i = shard.index; i < total; i += shard.count) numbers.push_back(i);
  return numbers;
}

}  // namespace inferbench::schedule
