#include "app/results_writer.hpp"

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

ResultsWriter::ResultsWriter(std::filesystem::path dir) : dir_(std::move(dir)) {
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
  line_ = line.dump();
  line_ += '\n';
  std::fwrite(line_.data(), 1, line_.size(), requests_);
  std::fflush(requests_);  // in the OS's hands now: survives the process dying
}

void ResultsWriter::write_summary(const nlohmann::json& summary, const std::string& csv) {
  replace_file(dir_ / "summary.json", summary.dump(2) + "\n");
  replace_file(dir_ / "summary.csv", csv);
}

}  // namespace inferbench::app
