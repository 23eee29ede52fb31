#include "sim/emission_log.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace inferbench::sim {

namespace {

std::int64_t ns_since_epoch(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

EmissionLog::EmissionLog(bool keep, const std::string& trace_path) : keep_(keep) {
  if (!trace_path.empty()) {
    trace_ = std::fopen(trace_path.c_str(), "w");
    require(trace_ != nullptr, "cannot write the simulator trace file " + trace_path);
  }
}

EmissionLog::~EmissionLog() {
  if (trace_) std::fclose(trace_);
}

void EmissionLog::record(std::string_view request_id, Emissions&& emissions) {
  if (!enabled()) return;
  std::lock_guard lock(mutex_);
  const std::string key(request_id);
  if (trace_) {
    nlohmann::json line = {{"request_id", key}, {"received_ns", ns_since_epoch(emissions.received)}};
    auto& times = line["chunk_ns"] = nlohmann::json::array();
    for (const auto t : emissions.chunk_times) times.push_back(ns_since_epoch(t));
    line["chunk_tokens"] = emissions.chunk_tokens;
    const std::string text = line.dump() + "\n";
    std::fwrite(text.data(), 1, text.size(), trace_);
    std::fflush(trace_);
  }
  if (keep_) emissions_[key] = std::move(emissions);
}

std::map<std::string, Emissions> EmissionLog::snapshot() const {
  std::lock_guard lock(mutex_);
  return emissions_;
}

}  // namespace inferbench::sim
