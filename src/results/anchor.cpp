#include "results/anchor.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <cstdlib>
#include <fstream>

#include "core/error.hpp"

namespace inferbench::results {

namespace {

std::string read_boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return in ? id : std::string();
}

std::int64_t int_key(const nlohmann::json& j, const char* key, const std::string& where) {
  const auto it = j.find(key);
  require(it != j.end() && it->is_number_integer(), fmt::format("{}: \"clock.{}\" must be an integer", where, key));
  return it->get<std::int64_t>();
}

}  // namespace

Anchor Anchor::now() {
  // The wall clock read between two steady reads: the anchor is their midpoint, and half
  // their distance bounds the error of the pairing.
  const TimePoint before = Clock::now();
  const auto wall = std::chrono::system_clock::now();
  const TimePoint after = Clock::now();
  Anchor a;
  a.steady = before + (after - before) / 2;
  a.wall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wall.time_since_epoch()).count();
  a.read_error_ns = to_ns(after - before) / 2 + 1;
  a.boot_id = read_boot_id();
  return a;
}

nlohmann::json to_json(const Anchor& a) {
  const auto wall = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(a.wall_ns))));
  return {{"steady_ns", to_ns(a.steady.time_since_epoch())},
          {"wall_ns", a.wall_ns},
          {"wall", fmt::format("{:%FT%T}Z", wall)},
          {"read_error_ns", a.read_error_ns},
          {"boot_id", a.boot_id}};
}

Anchor anchor_from_json(const nlohmann::json& j, const std::string& where) {
  require(j.is_object(), where + ": \"clock\" must be an object (results written before inferbench kept raw records?)");
  Anchor a;
  a.steady = TimePoint(std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(int_key(j, "steady_ns", where))));
  a.wall_ns = int_key(j, "wall_ns", where);
  a.read_error_ns = int_key(j, "read_error_ns", where);
  // Bounds that keep the differences of two anchors far from overflow.
  constexpr std::int64_t kLimit = std::int64_t{1} << 62;
  require(a.wall_ns >= 0 && a.wall_ns < kLimit, where + ": \"clock.wall_ns\" is out of range");
  require(std::abs(to_ns(a.steady.time_since_epoch())) < kLimit, where + ": \"clock.steady_ns\" is out of range");
  require(a.read_error_ns >= 0 && a.read_error_ns < kLimit, where + ": \"clock.read_error_ns\" is out of range");
  const auto boot = j.find("boot_id");
  require(boot != j.end() && boot->is_string(), where + ": \"clock.boot_id\" must be a string");
  a.boot_id = boot->get<std::string>();
  return a;
}

}  // namespace inferbench::results
