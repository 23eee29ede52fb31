#pragma once
// The files of `--output DIR`: requests.jsonl appended as each request finishes, and
// summary.json / summary.csv rewritten after each load point (atomically, by rename).
#include <cstdio>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "metrics/request_record.hpp"

namespace inferbench::app {

class ResultsWriter {
 public:
  // Creates `dir` if needed and starts a fresh requests.jsonl; throws inferbench::Error.
  explicit ResultsWriter(std::filesystem::path dir);
  ~ResultsWriter();
  ResultsWriter(const ResultsWriter&) = delete;
  ResultsWriter& operator=(const ResultsWriter&) = delete;

  // Appends one request line and flushes it to the OS. Called from one thread at a time.
  void write_request(std::size_t load_point, const metrics::RequestRecord& record);
  // Replaces summary.json and summary.csv.
  void write_summary(const nlohmann::json& summary, const std::string& csv);

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::FILE* requests_ = nullptr;
  std::string line_;
};

}  // namespace inferbench::app
