#pragma once
// The true emission times of streamed responses: when each chunk's bytes were handed to the
// socket, which is what a client's measured latencies should be checked against. Kept in
// memory for SimServer::emissions() (the tests) and/or appended to a JSON-lines trace file.
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "sim/server.hpp"

namespace inferbench::sim {

class EmissionLog {
 public:
  // `keep`: remember every record in memory. A non-empty `trace_path` is opened for writing
  // (throws inferbench::Error if it cannot be).
  EmissionLog(bool keep, const std::string& trace_path);
  ~EmissionLog();
  EmissionLog(const EmissionLog&) = delete;
  EmissionLog& operator=(const EmissionLog&) = delete;

  // Whether records are wanted at all (sessions skip the bookkeeping otherwise).
  bool enabled() const { return keep_ || trace_ != nullptr; }
  // Records one response under its x-request-id (a trace line is flushed at once). Any thread.
  void record(std::string_view request_id, Emissions&& emissions);
  // The records kept so far (a copy). Any thread.
  std::map<std::string, Emissions> snapshot() const;

 private:
  bool keep_;
  std::FILE* trace_ = nullptr;  // owned
  mutable std::mutex mutex_;    // guards emissions_ and the trace file
  std::map<std::string, Emissions> emissions_;
};

}  // namespace inferbench::sim
