#pragma once
// Helpers to build exact request timelines in tests (times in ms from the clock's epoch).
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include "metrics/request_record.hpp"

namespace inferbench::metrics::testing {

// TimePoint at `ms` milliseconds (microsecond resolution) after the epoch.
inline TimePoint at(double ms) {
  return TimePoint{} + std::chrono::microseconds(static_cast<std::int64_t>(ms * 1000.0));
}

// A request sent at `sent`, with output chunks at the given (time, tokens) pairs, done at `done`.
inline RequestRecord request(double sent, std::initializer_list<std::pair<double, std::uint32_t>> chunks, double done) {
  RequestRecord r;
  r.scheduled = at(sent);
  r.sent = at(sent);
  r.headers = at(sent);
  r.done = at(done);
  for (const auto& [t, n] : chunks) r.chunks.push_back(ChunkTime{at(t), n});
  r.events = static_cast<std::uint32_t>(r.chunks.size());
  r.http_status = 200;
  return r;
}

// A failed request (`status` for Failure::HttpStatus).
inline RequestRecord failure(double sent, double done, Failure kind, int status = 0) {
  RequestRecord r = request(sent, {}, done);
  r.failure = kind;
  r.http_status = status;
  return r;
}

}  // namespace inferbench::metrics::testing
