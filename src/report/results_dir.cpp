#include "report/results_dir.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "report/json.hpp"

namespace inferbench::report {

using nlohmann::json;

namespace {

std::optional<double> number_at(const json& line, const char* key) {
  const auto it = line.find(key);
  if (it == line.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

bool bool_at(const json& line, const char* key) {
  const auto it = line.find(key);
  return it != line.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace

RequestLines read_request_lines(const std::filesystem::path& path, std::size_t exact_samples) {
  std::ifstream in(path, std::ios::binary);
  require(static_cast<bool>(in), "cannot read " + path.string());
  RequestLines out;
  std::map<std::size_t, ChunkLatencyPool> pools;
  std::string text;
  while (std::getline(in, text)) {
    if (text.empty()) continue;
    const json line = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!line.is_object()) {
      ++out.unreadable;
      continue;
    }
    RequestLine r;
    if (const auto lp = number_at(line, "load_point"); lp && *lp >= 0 && *lp < 1e6)
      r.load_point = static_cast<std::size_t>(*lp);
    r.warmup = bool_at(line, "warmup");
    r.ok = bool_at(line, "ok");
    if (const auto it = line.find("error"); it != line.end() && it->is_string()) r.error = it->get<std::string>();
    r.sent_offset_s = number_at(line, "sent_offset_s");
    r.ttft_ms = number_at(line, "ttft_ms");
    r.tpot_ms = number_at(line, "tpot_ms");
    r.max_itl_ms = number_at(line, "max_itl_ms");
    r.e2e_ms = number_at(line, "e2e_ms");
    r.done_ms = number_at(line, "done_ms");
    r.schedule_lag_ms = number_at(line, "schedule_lag_ms");
    r.output_tokens = number_at(line, "output_tokens");
    // The requests metrics::summarize takes the ITL of: successful and not warm-up.
    if (r.ok && !r.warmup && !pools.try_emplace(r.load_point, exact_samples).first->second.add(line)) {
      ++out.no_timeline;
    }
    out.lines.push_back(std::move(r));
  }
  for (auto& [point, pool] : pools) out.chunk_latencies.emplace(point, pool.reduce());
  return out;
}

ResultsDir read_results_dir(const std::filesystem::path& dir) {
  ResultsDir out;
  out.dir = dir;
  const auto summary_path = dir / "summary.json";
  std::ifstream in(summary_path, std::ios::binary);
  require(static_cast<bool>(in), "cannot read " + summary_path.string() + " (not an inferbench results directory?)");
  std::stringstream text;
  text << in.rdbuf();
  out.summary = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  require(!out.summary.is_discarded(), summary_path.string() + " is not valid JSON");
  require(out.summary.is_object() && out.summary.value("tool", json()) == "inferbench" &&
              out.summary.contains("runs") && out.summary["runs"].is_array(),
          summary_path.string() + " is not an inferbench summary (no \"tool\": \"inferbench\" and \"runs\" array)");
  const auto requests_path = dir / "requests.jsonl";
  // The run's --exact-samples: the report's chunk statistics fold as the summary's did.
  if (std::filesystem::exists(requests_path)) {
    out.requests = read_request_lines(requests_path, summary_options_of(out.summary).exact_samples);
  }
  return out;
}

std::string load_point_label(const json& point, std::size_t index) {
  const json load = point.is_object() ? point.value("load", json()) : json();
  const json mode = load.is_object() ? load.value("mode", json()) : json();
  const json concurrency = load.is_object() ? load.value("concurrency", json()) : json();
  const json rate = load.is_object() ? load.value("rate", json()) : json();
  if (mode == "closed" && concurrency.is_number()) return fmt::format("concurrency {}", concurrency.dump());
  if (mode == "open" && rate.is_number()) {
    std::string label = fmt::format("rate {:g}/s", rate.get<double>());
    if (load.value("arrival", json()).is_string()) label += " " + load["arrival"].get<std::string>();
    if (concurrency.is_number()) label += fmt::format(", cap {}", concurrency.dump());
    return label;
  }
  return fmt::format("load point {}", index + 1);
}

std::vector<std::filesystem::path> expand_results_dirs(const std::vector<std::filesystem::path>& paths) {
  std::vector<std::filesystem::path> dirs;
  for (const auto& path : paths) {
    std::error_code ec;
    if (std::filesystem::exists(path / "summary.json", ec)) {
      dirs.push_back(path);
      continue;
    }
    require(std::filesystem::is_directory(path, ec), path.string() + " is not a directory");
    std::vector<std::filesystem::path> found;
    for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
      if (entry.is_directory(ec) && std::filesystem::exists(entry.path() / "summary.json", ec)) {
        found.push_back(entry.path());
      }
    }
    require(!found.empty(), path.string() + " holds no summary.json (nor do its subdirectories)");
    std::sort(found.begin(), found.end());
    dirs.insert(dirs.end(), found.begin(), found.end());
  }
  return dirs;
}

}  // namespace inferbench::report
