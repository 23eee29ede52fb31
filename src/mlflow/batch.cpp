#include "mlflow/batch.hpp"

#include <fmt/format.h>

#include <cmath>
#include <set>

#include "mlflow/limits.hpp"

namespace inferbench::mlflow {

namespace {

bool allowed_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || c == '_' || c == '-' ||
         c == '.' || c == ' ' || c == '/';
}

// The length in Unicode characters (invalid bytes count one each).
std::size_t char_count(std::string_view text) {
  std::size_t n = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

}  // namespace

std::string key_problem(std::string_view key) {
  if (key.empty()) return "an empty key";
  if (key.size() > kMaxKeyLength) return fmt::format("longer than {} characters", kMaxKeyLength);
  for (const char c : key) {
    if (!allowed_char(c)) {
      return "it may only contain letters, digits, '_', '-', '.', ' ' and '/'";
    }
  }
  // mlflow/utils/validation.py path_not_unique: posixpath.normpath(key) must be key itself.
  if (key.front() == '/' || key.back() == '/') return "it would be read as a path ('/' at an end)";
  std::size_t start = 0;
  while (start <= key.size()) {
    const std::size_t slash = key.find('/', start);
    const std::string_view segment =
        key.substr(start, slash == std::string_view::npos ? key.size() - start : slash - start);
    if (segment.empty() || segment == "." || segment == "..") return "it would be read as a path ('.', '..' or '//')";
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (key.starts_with("..")) return "it would be read as a path (starts with '..')";
  return "";
}

std::string sanitize_key(std::string_view key) {
  std::string out;
  for (const char c : key) {
    const char kept = allowed_char(c) ? c : '_';
    if (kept == '/' && (out.empty() || out.back() == '/')) continue;  // no leading '/' nor "//"
    out += kept;
  }
  while (!out.empty() && out.back() == '/') out.pop_back();
  // '.' and '..' segments become '_' and '__'.
  std::string result;
  std::size_t start = 0;
  while (start <= out.size()) {
    const std::size_t slash = out.find('/', start);
    std::string segment = out.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (segment == "." || segment == "..") segment.assign(segment.size(), '_');
    if (!result.empty() || start > 0) result += '/';
    result += segment;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (result.starts_with("..")) result[0] = '_';
  if (result.empty()) result.push_back('_');
  return result;
}

std::string truncate_chars(std::string_view text, std::size_t max_chars, bool* truncated) {
  if (truncated) *truncated = false;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (chars == max_chars) {
        if (truncated) *truncated = true;
        return std::string(text.substr(0, i));
      }
      ++chars;
    }
  }
  return std::string(text);
}

Batch make_valid(Batch batch, std::vector<std::string>& warnings) {
  Batch out;
  for (Metric& m : batch.metrics) {
    if (const std::string problem = key_problem(m.key); !problem.empty()) {
      warnings.push_back(fmt::format("metric '{}' left out: {}", m.key, problem));
    } else if (std::isfinite(m.value)) {  // non-finite values are simply not sent
      out.metrics.push_back(std::move(m));
    }
  }
  std::set<std::string> param_keys;
  for (Param& p : batch.params) {
    if (const std::string problem = key_problem(p.key); !problem.empty()) {
      warnings.push_back(fmt::format("param '{}' left out: {}", p.key, problem));
      continue;
    }
    if (!param_keys.insert(p.key).second) {
      warnings.push_back(fmt::format("param '{}' given twice: the second value is left out", p.key));
      continue;
    }
    bool cut = false;
    std::string value = truncate_chars(p.value, kMaxParamValueLength, &cut);
    if (cut) {
      warnings.push_back(fmt::format("param '{}' ({} characters) is truncated to {} characters", p.key,
                                     char_count(p.value), kMaxParamValueLength));
    }
    out.params.push_back({std::move(p.key), std::move(value)});
  }
  for (Tag& t : batch.tags) {
    if (const std::string problem = key_problem(t.key); !problem.empty()) {
      warnings.push_back(fmt::format("tag '{}' left out: {}", t.key, problem));
      continue;
    }
    bool cut = false;
    std::string value = truncate_chars(t.value, kMaxTagValueLength, &cut);
    if (cut) {
      warnings.push_back(fmt::format("tag '{}' ({} characters) is truncated to {} characters", t.key,
                                     char_count(t.value), kMaxTagValueLength));
    }
    out.tags.push_back({std::move(t.key), std::move(value)});
  }
  return out;
}

std::vector<nlohmann::json> split_into_requests(const Batch& batch, const std::string& run_id) {
  using nlohmann::json;
  std::vector<json> requests;
  const auto empty_request = [&run_id] {
    return json{{"run_id", run_id}, {"metrics", json::array()}, {"params", json::array()}, {"tags", json::array()}};
  };
  // A margin under the 1,000,000 bytes for the commas and for the body's own framing.
  const std::size_t base_bytes = dump(empty_request()).size() + 64;
  json current = empty_request();
  std::size_t bytes = base_bytes;
  std::size_t entities = 0;
  const auto flush = [&] {
    if (entities == 0) return;
    requests.push_back(std::move(current));
    current = empty_request();
    bytes = base_bytes;
    entities = 0;
  };
  const auto add = [&](const char* field, json entity, std::size_t limit) {
    const std::size_t size = dump(entity).size() + 1;
    if (current[field].size() >= limit || entities >= kMaxEntitiesPerBatch || bytes + size > kMaxBatchBytes) flush();
    current[field].push_back(std::move(entity));
    bytes += size;
    ++entities;
  };
  for (const Param& p : batch.params) add("params", json{{"key", p.key}, {"value", p.value}}, kMaxParamsPerBatch);
  for (const Tag& t : batch.tags) add("tags", json{{"key", t.key}, {"value", t.value}}, kMaxTagsPerBatch);
  for (const Metric& m : batch.metrics) {
    add("metrics", json{{"key", m.key}, {"value", m.value}, {"timestamp", m.timestamp_ms}, {"step", m.step}},
        kMaxMetricsPerBatch);
  }
  flush();
  return requests;
}

}  // namespace inferbench::mlflow
