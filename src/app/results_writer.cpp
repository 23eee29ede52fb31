#include "app/results_writer.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

#include "core/error.hpp"
#include "report/json.hpp"
#include "results/record_line.hpp"

namespace inferbench::app {

ResultsWriter::ResultsWriter(std::filesystem::path dir) : dir_(std::move(dir)), anchor_(results::Anchor::now()) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  require(!ec, "cannot create output directory " + dir_.string() + ": " + ec.message());
  const auto path = dir_ / "requests.jsonl";
  requests_ = std::fopen(path.c_str(), "w");
  require(requests_ != nullptr, "cannot write " + path.string());
}

ResultsWriter::~ResultsWriter() {
  flush();
  if (requests_) std::fclose(requests_);
}

void ResultsWriter::write_request(std::size_t load_point, const metrics::RequestRecord& record) {
  results::append_request_line(pending_, record, load_point, anchor_);
  pending_ += '\n';
  if (pending_.size() >= kFlushAt) flush();
}

void ResultsWriter::flush() {
  if (pending_.empty()) return;
  // Whole lines only reach the file: a process killed between two flushes leaves no half line.
  // A write that fails loses the records, so the run must know (disk full, quota, I/O error).
  errno = 0;
  const bool written = std::fwrite(pending_.data(), 1, pending_.size(), requests_) == pending_.size();
  if (!written || std::fflush(requests_) != 0) keep_write_error();
  pending_.clear();
}

void ResultsWriter::keep_write_error() {
  std::lock_guard lock(error_mutex_);
  if (!error_)
    error_ = fmt::format("cannot write {}: {}", (dir_ / "requests.jsonl").string(),
                         errno != 0 ? std::strerror(errno) : "write failed");
}

std::optional<std::string> ResultsWriter::write_error() const {
  std::lock_guard lock(error_mutex_);
  return error_;
}

void ResultsWriter::write_summary(const nlohmann::json& summary, const std::string& csv) {
  report::replace_file(dir_ / "summary.json", report::to_text(summary, 2) + "\n");
  report::replace_file(dir_ / "summary.csv", csv);
}

}  // namespace inferbench::app
