#include "report/results_dir.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string_view>

#include <simdjson.h>

#include "core/error.hpp"
#include "report/json.hpp"

namespace inferbench::report {

using nlohmann::json;

namespace {

namespace dom = simdjson::dom;

// A number field's value (an integer too large for a double's 53 bits reads as the nearest
// double, as nlohmann gave it); nullopt for any other type.
std::optional<double> number_of(dom::element v) {
  double x = 0.0;
  if (v.get(x) != simdjson::SUCCESS) return std::nullopt;
  return x;
}

// The fields the report uses, in one pass over the line. A key given twice counts by its last
// value, as nlohmann (results::read_results) takes it; simdjson's lookup would take the first.
RequestLine request_line_of(dom::object line) {
  RequestLine r;
  for (const dom::key_value_pair field : line) {
    const std::string_view key = field.key;
    const dom::element v = field.value;
    if (key == "load_point") {
      const auto lp = number_of(v);
      r.load_point = lp && *lp >= 0 && *lp < 1e6 ? static_cast<std::size_t>(*lp) : 0;
    } else if (key == "warmup") {
      r.warmup = v.is_bool() && v.get_bool().value_unsafe();
    } else if (key == "ok") {
      r.ok = v.is_bool() && v.get_bool().value_unsafe();
    } else if (key == "error") {
      r.error = v.is_string() ? std::string(v.get_string().value_unsafe()) : std::string();
    } else if (key == "sent_offset_s") {
      r.sent_offset_s = number_of(v);
    } else if (key == "ttft_ms") {
      r.ttft_ms = number_of(v);
    } else if (key == "tpot_ms") {
      r.tpot_ms = number_of(v);
    } else if (key == "max_itl_ms") {
      r.max_itl_ms = number_of(v);
    } else if (key == "e2e_ms") {
      r.e2e_ms = number_of(v);
    } else if (key == "done_ms") {
      r.done_ms = number_of(v);
    } else if (key == "schedule_lag_ms") {
      r.schedule_lag_ms = number_of(v);
    } else if (key == "output_tokens") {
      r.output_tokens = number_of(v);
    }
  }
  return r;
}

}  // namespace

RequestLines read_request_lines(const std::filesystem::path& path, std::size_t exact_samples,
                                const ChunkLatenciesByPoint* known) {
  std::ifstream in(path, std::ios::binary);
  require(static_cast<bool>(in), "cannot read " + path.string());
  RequestLines out;
  // No line inferbench writes is shorter than this (its keys alone take ~550 bytes): room for every
  // line at once, without growing the vector (and copying its lines) while reading.
  constexpr std::uintmax_t kShortestLine = 512;
  std::error_code size_error;
  const std::uintmax_t size = std::filesystem::file_size(path, size_error);
  if (!size_error) out.lines.reserve(static_cast<std::size_t>(size / kShortestLine));
  std::map<std::size_t, ChunkLatencyPool> pools;
  // simdjson, not nlohmann: a long run's file holds millions of chunk times, and the run writes
  // report.html from it at its end. Line by line, so memory stays one line's.
  dom::parser parser;
  std::string text;
  while (std::getline(in, text)) {
    if (text.empty()) continue;
    dom::object line;
    if (parser.parse(text).get(line) != simdjson::SUCCESS) {
      ++out.unreadable;
      continue;
    }
    RequestLine r = request_line_of(line);
    // The requests metrics::summarize takes the ITL of: successful and not warm-up.
    if (!known && r.ok && !r.warmup && !pools.try_emplace(r.load_point, exact_samples).first->second.add(line)) {
      ++out.no_timeline;
    }
    out.lines.push_back(std::move(r));
  }
  if (known) {
    out.chunk_latencies = *known;
  } else {
    for (auto& [point, pool] : pools) out.chunk_latencies.emplace(point, pool.reduce());
  }
  return out;
}

ResultsDir read_results_dir(const std::filesystem::path& dir, const ChunkLatenciesByPoint* known) {
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
    out.requests = read_request_lines(requests_path, summary_options_of(out.summary).exact_samples, known);
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
