#pragma once
// The clock anchor of a results directory: one instant on Clock (steady) and the wall clock
// read at the same instant. requests.jsonl stores every time as integer nanoseconds from the
// steady instant; summary.json stores the anchor, so the shards of one run (other processes,
// other machines) can be put on one timeline (docs/results-format.md, "Clocks").
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"

namespace inferbench::results {

struct Anchor {
  TimePoint steady{};        // the instant, on this process's Clock
  std::int64_t wall_ns = 0;  // the wall clock (system_clock, ns since the Unix epoch) at that instant
  // Half the time the wall-clock read took (ns): how far wall_ns may be from the steady instant.
  std::int64_t read_error_ns = 0;
  std::string boot_id;  // the kernel's boot id: equal on two anchors = one steady clock ("" = unknown)

  // Reads both clocks now, the wall clock between two steady reads.
  static Anchor now();
};

// summary.json's "clock" object: {"steady_ns", "wall_ns", "wall", "read_error_ns", "boot_id"}.
nlohmann::json to_json(const Anchor& anchor);
// Parses that object; throws inferbench::Error naming the bad key (prefixed by `where`).
Anchor anchor_from_json(const nlohmann::json& j, const std::string& where);

// Nanoseconds of a Duration, the unit of requests.jsonl's times.
inline std::int64_t to_ns(Duration d) { return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(); }

}  // namespace inferbench::results
