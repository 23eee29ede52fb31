#pragma once
// The files of `--output DIR`: requests.jsonl appended as requests finish (a batch at a time, at
// most loadgen::Collector::kPoll after they end), and summary.json / summary.csv rewritten
// after each load point (atomically, by rename).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "metrics/request_record.hpp"
#include "results/anchor.hpp"

namespace inferbench::app {

class ResultsWriter {
 public:
  // Creates `dir` if needed and starts a fresh requests.jsonl; throws inferbench::Error. The
  // run's clock anchor is taken now: each line's times are ns offsets from it, and its send time
  // also a wall-clock label (the wall clock read once, here, plus the monotonic offset).
  explicit ResultsWriter(std::filesystem::path dir);
  ~ResultsWriter();
  ResultsWriter(const ResultsWriter&) = delete;
  ResultsWriter& operator=(const ResultsWriter&) = delete;

  // Appends one request line to the file's buffer; flush() hands the lines to the OS. Called
  // from one thread at a time. A failed write (disk full) is kept, not thrown: see write_error().
  void write_request(std::size_t load_point, const metrics::RequestRecord& record);
  // Hands every line written so far to the OS: from then on they survive the process dying.
  // The load generator calls it after each batch of finished requests (RunHooks::on_batch_end).
  void flush();
  // Why requests.jsonl could not be written, once a write failed. Any thread.
  std::optional<std::string> write_error() const;
  // Replaces summary.json and summary.csv.
  void write_summary(const nlohmann::json& summary, const std::string& csv);

  const std::filesystem::path& dir() const { return dir_; }
  // The instant every time in requests.jsonl counts from (summary.json's "clock").
  const results::Anchor& anchor() const { return anchor_; }

 private:
  void keep_write_error();  // records the first failed write (errno says why)

  std::filesystem::path dir_;
  std::FILE* requests_ = nullptr;
  std::string pending_;  // whole lines written since the last flush
  // A batch of long responses can hold megabytes of lines: they go out in pieces of about this.
  static constexpr std::size_t kFlushAt = std::size_t{4} << 20;
  results::Anchor anchor_;
  mutable std::mutex error_mutex_;
  std::optional<std::string> error_;  // the first failed write
};

}  // namespace inferbench::app
