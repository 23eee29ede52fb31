#pragma once
// A replay's statistics every --round-duration seconds, as FlowGPT's online replay reports them
// (docs/replay.md, "Rounds"), without its faults: a round holds the requests that ended in it
// and the sends made in it; rounds with only failures, the last partial round and requests still
// in flight at the end are all reported.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "metrics/request_record.hpp"

namespace inferbench::replay {

struct RoundOptions {
  Duration length = std::chrono::seconds(60);  // --round-duration
  std::optional<double> ttft_slo_ms;           // --ttft-slo (ms)
  std::optional<double> tpot_slo_ms;           // --tpot-slo (ms)
  std::optional<double> e2e_slo_s;             // --e2e-slo (s)
  std::optional<double> target_qps;            // qps mode: written with each round
  std::string model;
  // A round is reported this long after its end, so that requests which ended just before the
  // boundary have reached the collector.
  Duration grace = std::chrono::milliseconds(250);
};

struct Round {
  std::size_t index = 0;  // 1-based
  double start_s = 0.0;   // from the replay's start
  double end_s = 0.0;     // a partial last round ends with the replay
  bool partial = false;
  std::size_t sent = 0;                         // requests whose first byte was written in the round
  std::size_t completed = 0;                    // requests that ended in the round and succeeded
  std::size_t failed = 0;                       // ... and failed
  std::size_t late = 0;                         // ended in an earlier round, already reported, so counted here
  std::map<std::string, std::size_t> failures;  // label → count
  // Successful requests that ended in the round:
  std::vector<double> latency_s;     // t_done − t_send
  std::vector<double> ttft_s;        // t_first − t_send
  std::vector<double> tpot_ms;       // (t_last − t_first) / (out − 1), out ≥ 2 only
  std::vector<double> tokens_per_s;  // out / latency
  std::int64_t input_tokens = 0, output_tokens = 0;
  std::size_t input_counted = 0, output_counted = 0;  // requests whose counts are known
  std::size_t ttft_met = 0, tpot_met = 0, e2e_met = 0;

  double duration_s() const { return end_s - start_s; }
  std::size_t ended() const { return completed + failed; }
};

// The round as one JSON record: FlowGPT's keys where the meaning is the same (actual_qps,
// success_rate, Latency, TTFT, …) and the round's own (round, start_s, sent, …).
nlohmann::json to_json(const Round& round, const RoundOptions& options);
// The round as the terminal shows it.
std::string format_round(const Round& round, const RoundOptions& options);

// Sorts finished requests into rounds. sent() is called by the workers' threads, add() by the
// collector's, due() and finish() by the thread watching the replay.
class RoundTracker {
 public:
  // `offsets`: the plan's intended send offsets (request i at start + offsets[i]); borrowed.
  RoundTracker(RoundOptions options, const std::vector<Duration>& offsets);

  // Request `id` was dispatched (its intended time has come): the first call fixes the replay's
  // start when no request has ended yet.
  void dispatched(std::uint64_t id, TimePoint now);
  // Request `id`'s first byte was written at `t` (later calls for the same id, retries, are ignored).
  void sent(std::uint64_t id, TimePoint t);
  // A finished request (cancelled ones are left out, as from every statistic).
  void add(const metrics::RequestRecord& record);
  // The rounds that ended (plus the grace) by `now` and were not yet returned, in order.
  std::vector<Round> due(TimePoint now);
  // Every round not yet returned, up to `end` (the replay's end); the last is partial when `end`
  // falls inside it.
  std::vector<Round> finish(TimePoint end);
  // The replay's start (the first request's intended send minus its offset); nullopt before any.
  std::optional<TimePoint> start() const;

 private:
  Round close(std::size_t k, TimePoint end);
  Round& open_round(std::size_t k);

  RoundOptions options_;
  const std::vector<Duration>& offsets_;
  std::unique_ptr<std::atomic<std::int64_t>[]> sends_;  // ns since the clock's epoch, 0 = not sent
  std::atomic<std::int64_t> dispatch_start_{0};         // estimate from the first dispatch (ns)
  mutable std::mutex mutex_;
  std::optional<TimePoint> start_;     // fixed once known
  std::size_t next_ = 0;               // the first round not yet returned
  std::map<std::size_t, Round> open_;  // rounds with requests, not yet returned
};

// The per-request CSV: header and one row (times in seconds from the replay's start; tpot_ms is
// per token; empty fields for what is unknown).
std::string csv_header();
std::string csv_row(const metrics::RequestRecord& record, std::string_view conversation_id, std::size_t line,
                    TimePoint start);

}  // namespace inferbench::replay
