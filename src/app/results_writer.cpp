#include "app/results_writer.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

#include "core/error.hpp"
#include "metrics/request_metrics.hpp"
#include "report/json.hpp"

namespace inferbench::app {

namespace {

void replace_file(const std::filesystem::path& path, const std::string& content) {
  const auto tmp = std::filesystem::path(path.string() + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    require(static_cast<bool>(out), "cannot write " + tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  require(!ec, "cannot write " + path.string() + ": " + ec.message());
}

}  // namespace

ResultsWriter::ResultsWriter(std::filesystem::path dir)
    : dir_(std::move(dir)), start_(Clock::now()), wall_start_(std::chrono::system_clock::now()) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  require(!ec, "cannot create output directory " + dir_.string() + ": " + ec.message());
  const auto path = dir_ / "requests.jsonl";
  requests_ = std::fopen(path.c_str(), "w");
  require(requests_ != nullptr, "cannot write " + path.string());
}

ResultsWriter::~ResultsWriter() {
  if (requests_) std::fclose(requests_);
}

void ResultsWriter::write_request(std::size_t load_point, const metrics::RequestRecord& record) {
  nlohmann::json line = report::request_line(record, metrics::derive(record));
  line["load_point"] = load_point;
  // When it was sent, so a run can be replayed and shards merged: seconds from the run's start,
  // and the wall clock as a label (never used for a duration).
  if (record.sent) {
    const Duration offset = *record.sent - start_;
    line["sent_offset_s"] = to_s(offset);
    const auto wall = std::chrono::time_point_cast<std::chrono::microseconds>(
        wall_start_ + std::chrono::duration_cast<std::chrono::system_clock::duration>(offset));
    line["sent_at"] = fmt::format("{:%FT%T}Z", wall);
  } else {
    line["sent_offset_s"] = nullptr;
    line["sent_at"] = nullptr;
  }
  line["scheduled_offset_s"] = to_s(record.scheduled - start_);
  line_ = report::to_text(line);
  line_ += '\n';
  // in the OS's hands after the flush: survives the process dying. A write that fails loses
  // the record, so the run must know (disk full, quota, I/O error).
  errno = 0;
  const bool written = std::fwrite(line_.data(), 1, line_.size(), requests_) == line_.size();
  if (!written || std::fflush(requests_) != 0) {
    std::lock_guard lock(error_mutex_);
    if (!error_)
      error_ = fmt::format("cannot write {}: {}", (dir_ / "requests.jsonl").string(),
                           errno != 0 ? std::strerror(errno) : "write failed");
  }
}

std::optional<std::string> ResultsWriter::write_error() const {
  std::lock_guard lock(error_mutex_);
  return error_;
}

void ResultsWriter::write_summary(const nlohmann::json& summary, const std::string& csv) {
  replace_file(dir_ / "summary.json", report::to_text(summary, 2) + "\n");
  replace_file(dir_ / "summary.csv", csv);
}

}  // namespace inferbench::app
