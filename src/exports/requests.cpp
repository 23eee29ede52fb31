#include "exports/requests.hpp"

#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/error.hpp"

namespace inferbench::exports {

namespace {

using nlohmann::json;

// A CSV cell: numbers as JSON writes them, text quoted when it holds a separator, quote or line
// break, null empty.
std::string cell(const json& v) {
  if (v.is_null()) return "";
  if (!v.is_string()) return v.dump();
  const std::string& s = v.get_ref<const std::string&>();
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::optional<double> number(const json& line, const char* key) {
  const auto it = line.find(key);
  if (it == line.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

json seconds(std::optional<double> ms) { return ms ? json(*ms / 1000.0) : json(nullptr); }

}  // namespace

std::size_t for_each_request(const std::filesystem::path& requests_jsonl, const std::function<void(const json&)>& f) {
  std::ifstream in(requests_jsonl, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot read {}", requests_jsonl.string()));
  std::size_t unreadable = 0;
  std::string text;
  while (std::getline(in, text)) {
    if (text.empty()) continue;
    const json line = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!line.is_object()) {
      ++unreadable;
      continue;
    }
    f(line);
  }
  return unreadable;
}

void write_requests_csv(const std::filesystem::path& requests_jsonl, const std::filesystem::path& out_csv) {
  // Two passes: the columns (every line's scalar keys, first seen first), then the rows.
  // A field that is a list in any line (chunk_ns; chunk_tokens, null when unknown) is no column.
  std::vector<std::string> columns;
  std::set<std::string> seen, lists;
  for_each_request(requests_jsonl, [&](const json& line) {
    for (auto it = line.begin(); it != line.end(); ++it) {
      if (it->is_structured()) lists.insert(it.key());
      if (seen.insert(it.key()).second) columns.push_back(it.key());
    }
  });
  std::erase_if(columns, [&](const std::string& c) { return lists.count(c) != 0; });
  std::ofstream out(out_csv, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(fmt::format("cannot write {}", out_csv.string()));
  std::string row;
  for (std::size_t i = 0; i < columns.size(); ++i) row += (i ? "," : "") + cell(columns[i]);
  out << row << "\n";
  for_each_request(requests_jsonl, [&](const json& line) {
    row.clear();
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (i > 0) row += ',';
      const auto it = line.find(columns[i]);
      if (it != line.end() && !it->is_structured()) row += cell(*it);
    }
    out << row << "\n";
  });
  out.flush();
  if (!out) throw Error(fmt::format("cannot write {}", out_csv.string()));
}

json llmperf_individual_response(const json& line) {
  const bool ok = line.value("ok", false);
  const auto in = number(line, "input_tokens");
  const auto out = number(line, "output_tokens");
  const auto e2e_ms = number(line, "e2e_ms");
  json r;
  if (ok) {
    r["error_code"] = nullptr;
    r["error_msg"] = "";
  } else {
    const auto status = line.find("http_status");
    r["error_code"] =
        status != line.end() && status->is_number_integer() && status->get<int>() >= 400 ? *status : json(nullptr);
    const auto error = line.find("error");
    std::string msg = error != line.end() && error->is_string() ? error->get<std::string>() : "failed";
    if (const auto d = line.find("error_detail"); d != line.end() && d->is_string() && !d->get<std::string>().empty()) {
      msg += ": " + d->get<std::string>();
    }
    r["error_msg"] = msg;
  }
  r["inter_token_latency_s"] = seconds(number(line, "ntpot_ms"));
  r["ttft_s"] = seconds(number(line, "ttft_ms"));
  r["end_to_end_latency_s"] = seconds(e2e_ms);
  r["request_output_throughput_token_per_s"] =
      out && e2e_ms && *e2e_ms > 0 ? json(*out / (*e2e_ms / 1000.0)) : json(nullptr);
  r["number_total_tokens"] = in && out ? json(static_cast<std::int64_t>(*in + *out)) : json(nullptr);
  r["number_output_tokens"] = out ? json(static_cast<std::int64_t>(*out)) : json(nullptr);
  r["number_input_tokens"] = in ? json(static_cast<std::int64_t>(*in)) : json(nullptr);
  return r;
}

}  // namespace inferbench::exports
