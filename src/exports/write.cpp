#include "exports/write.hpp"

#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>

#include "core/error.hpp"
#include "exports/llmd.hpp"
#include "exports/llmperf.hpp"
#include "exports/requests.hpp"
#include "exports/summary_view.hpp"
#include "exports/vllm.hpp"

namespace inferbench::exports {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A number as JSON writes it (the shortest text that reads back exactly), with a '.' in every
// float: YAML 1.1 readers (PyYAML, which llm-d uses) read "1e-05" as a string, "1.0e-05" as a float.
std::string yaml_number(const json& j) {
  std::string text = j.dump();
  if (j.is_number_float() && text.find('.') == std::string::npos) {
    const std::size_t e = text.find_first_of("eE");
    if (e == std::string::npos) {
      text += ".0";
    } else {
      text.insert(e, ".0");
    }
  }
  return text;
}

void emit(YAML::Emitter& out, const json& j) {
  if (j.is_object()) {
    out << YAML::BeginMap;
    for (auto it = j.begin(); it != j.end(); ++it) {
      out << YAML::Key << YAML::DoubleQuoted << it.key() << YAML::Value;
      emit(out, it.value());
    }
    out << YAML::EndMap;
  } else if (j.is_array()) {
    out << YAML::BeginSeq;
    for (const json& v : j) emit(out, v);
    out << YAML::EndSeq;
  } else if (j.is_string()) {
    out << YAML::DoubleQuoted << j.get<std::string>();
  } else if (j.is_null()) {
    out << YAML::Null;
  } else if (j.is_boolean()) {
    out << (j.get<bool>() ? "true" : "false");
  } else {
    out << yaml_number(j);
  }
}

void write_file(const fs::path& path, const std::string& text, std::vector<fs::path>& written) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw Error(fmt::format("cannot write {}", path.string()));
  written.push_back(path);
}

std::string pretty(const json& j) { return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n"; }

void leaves(const json& j, const std::string& prefix, std::vector<std::pair<std::string, json>>& out) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      leaves(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
    return;
  }
  out.emplace_back(prefix, j);
}

std::string csv_cell(const json& v) {
  if (v.is_null()) return "";
  std::string text = v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

const std::vector<std::string>& format_names() {
  static const std::vector<std::string> names = {"llm-d-v0.2", "llm-d-v0.1", "vllm", "llmperf", "csv"};
  return names;
}

std::optional<Format> parse_format(std::string_view name) {
  if (name == "llm-d-v0.2") return Format::LlmdV02;
  if (name == "llm-d-v0.1") return Format::LlmdV01;
  if (name == "vllm") return Format::Vllm;
  if (name == "llmperf") return Format::Llmperf;
  if (name == "csv") return Format::Csv;
  return std::nullopt;
}

std::string to_yaml(const json& j) {
  YAML::Emitter out;
  out.SetIndent(2);
  emit(out, j);
  return std::string(out.c_str()) + "\n";
}

std::string load_points_csv(const json& summary) {
  std::vector<std::string> columns = {"load_point"};
  std::map<std::string, bool> known;
  std::vector<std::vector<std::pair<std::string, json>>> rows;
  for (const json& point : summary.at("runs")) {
    std::vector<std::pair<std::string, json>> cells;
    leaves(point, "", cells);
    for (const auto& [key, value] : cells) {
      if (!known.contains(key)) {
        known[key] = true;
        columns.push_back(key);
      }
    }
    cells.emplace_back("load_point", point_label(point));
    rows.push_back(std::move(cells));
  }
  std::string out;
  for (std::size_t i = 0; i < columns.size(); ++i) out += (i ? "," : "") + csv_cell(columns[i]);
  out += "\n";
  for (const auto& cells : rows) {
    std::map<std::string, json> by_key(cells.begin(), cells.end());
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const auto it = by_key.find(columns[i]);
      out += (i ? "," : "") + (it == by_key.end() ? std::string() : csv_cell(it->second));
    }
    out += "\n";
  }
  return out;
}

namespace {

// LLMPerf's `<stem>_individual_responses.json` beside each load point's summary: the measured
// (not warm-up) requests of the point, streamed from requests.jsonl into one JSON array per point.
void write_llmperf_individual(const json& summary, const fs::path& out_dir, const fs::path& requests_jsonl,
                              std::vector<fs::path>& written) {
  const std::size_t points = summary.at("runs").size();
  std::vector<std::unique_ptr<std::ofstream>> files(points);
  std::vector<fs::path> paths(points);
  for (std::size_t i = 0; i < points; ++i) {
    const json& point = summary["runs"][i];
    paths[i] = out_dir / point_slug(point) / (llmperf_stem(summary, point) + "_individual_responses.json");
    files[i] = std::make_unique<std::ofstream>(paths[i], std::ios::binary | std::ios::trunc);
    if (!*files[i]) throw Error(fmt::format("cannot write {}", paths[i].string()));
    *files[i] << "[";
  }
  std::vector<bool> first(points, true);
  for_each_request(requests_jsonl, [&](const json& line) {
    const auto lp = line.find("load_point");
    if (line.value("warmup", false) || lp == line.end() || !lp->is_number_unsigned()) return;
    const auto i = lp->get<std::size_t>();
    if (i >= points) return;
    *files[i] << (first[i] ? "\n  " : ",\n  ")
              << llmperf_individual_response(line).dump(-1, ' ', false, json::error_handler_t::replace);
    first[i] = false;
  });
  for (std::size_t i = 0; i < points; ++i) {
    *files[i] << (first[i] ? "]\n" : "\n]\n");
    files[i]->flush();
    if (!*files[i]) throw Error(fmt::format("cannot write {}", paths[i].string()));
    written.push_back(paths[i]);
  }
}

}  // namespace

std::vector<fs::path> write_export(const json& summary, Format format, const fs::path& out_dir,
                                   const fs::path& requests_jsonl) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw Error(fmt::format("cannot create {}: {}", out_dir.string(), ec.message()));
  std::vector<fs::path> written;
  const std::size_t points = summary.at("runs").size();
  const long long now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  for (std::size_t i = 0; i < points; ++i) {
    const json& point = summary["runs"][i];
    const std::string native = "inferbench_" + point_slug(point);
    switch (format) {
      case Format::LlmdV02: {
        const json report = llmd_report_v02(summary, i);
        write_file(out_dir / llmd_report_name("0.2", native, "yaml"), to_yaml(report), written);
        write_file(out_dir / llmd_report_name("0.2", native, "json"), pretty(report), written);
        break;
      }
      case Format::LlmdV01: {
        const json report = llmd_report_v01(summary, i);
        write_file(out_dir / llmd_report_name("0.1", native, "yaml"), to_yaml(report), written);
        write_file(out_dir / llmd_report_name("0.1", native, "json"), pretty(report), written);
        break;
      }
      case Format::Vllm:
        write_file(out_dir / vllm_file_name(summary, i), pretty(vllm_result(summary, i)), written);
        break;
      case Format::Llmperf: {
        // One folder per load point: LLMPerf names its file after model and lengths only.
        const fs::path dir = out_dir / point_slug(point);
        fs::create_directories(dir, ec);
        if (ec) throw Error(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
        write_file(dir / (llmperf_stem(summary, point) + "_summary.json"), pretty(llmperf_summary(summary, point, now)),
                   written);
        break;
      }
      case Format::Csv: break;
    }
  }
  if (format == Format::Csv) write_file(out_dir / "load_points.csv", load_points_csv(summary), written);
  std::error_code exists_ec;
  if (requests_jsonl.empty() || !fs::exists(requests_jsonl, exists_ec)) return written;
  if (format == Format::Llmperf) write_llmperf_individual(summary, out_dir, requests_jsonl, written);
  if (format == Format::Csv) {
    write_requests_csv(requests_jsonl, out_dir / "requests.csv");
    written.push_back(out_dir / "requests.csv");
  }
  return written;
}

}  // namespace inferbench::exports
