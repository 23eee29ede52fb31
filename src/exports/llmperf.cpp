#include "exports/llmperf.hpp"

#include <fmt/format.h>

#include <cmath>

#include "exports/summary_view.hpp"

namespace inferbench::exports {

using nlohmann::json;

namespace {

json num(std::optional<double> v) { return v ? json(*v) : json(nullptr); }

std::optional<double> scaled(std::optional<double> v, double factor) {
  if (!v) return std::nullopt;
  return *v * factor;
}

// Mean tokens per completed request.
std::optional<double> mean_tokens(const json& point, const char* which) {
  const auto total = number_at(point, std::string("/tokens/") + which);
  const auto completed = number_at(point, "/requests/completed");
  if (!total || !completed || *completed <= 0) return std::nullopt;
  return *total / *completed;
}

// One LLMPerf distribution ("results_<name>_..."), from an inferbench distribution in ms,
// converted to seconds. LLMPerf's stddev is pandas' sample standard deviation; inferbench keeps
// the population one, so it is scaled by sqrt(n / (n - 1)).
void put_distribution(json& out, const std::string& name, const json& point, const std::string& ours) {
  const std::string base = "/latency/" + ours + "/";
  const std::string key = "results_" + name + "_";
  constexpr double kSeconds = 1e-3;
  out[key + "quantiles_p25"] = nullptr;  // summary.json keeps p50, p90, p95, p99 only
  out[key + "quantiles_p50"] = num(scaled(number_at(point, base + "p50"), kSeconds));
  out[key + "quantiles_p75"] = nullptr;
  out[key + "quantiles_p90"] = num(scaled(number_at(point, base + "p90"), kSeconds));
  out[key + "quantiles_p95"] = num(scaled(number_at(point, base + "p95"), kSeconds));
  out[key + "quantiles_p99"] = num(scaled(number_at(point, base + "p99"), kSeconds));
  out[key + "mean"] = num(scaled(number_at(point, base + "mean"), kSeconds));
  out[key + "min"] = num(scaled(number_at(point, base + "min"), kSeconds));
  out[key + "max"] = num(scaled(number_at(point, base + "max"), kSeconds));
  const auto std = number_at(point, base + "std");
  const auto n = number_at(point, base + "count");
  std::optional<double> sample_std;
  if (std && n && *n > 1) sample_std = *std * std::sqrt(*n / (*n - 1)) * kSeconds;
  out[key + "stddev"] = num(sample_std);
}

void put_unknown_distribution(json& out, const std::string& name, std::optional<double> mean) {
  const std::string key = "results_" + name + "_";
  for (const char* q : {"p25", "p50", "p75", "p90", "p95", "p99"}) out[key + "quantiles_" + q] = nullptr;
  out[key + "mean"] = num(mean);
  out[key + "min"] = nullptr;
  out[key + "max"] = nullptr;
  out[key + "stddev"] = nullptr;
}

std::string word_runs_to_dash(const std::string& text) {
  // re.sub(r"[^\w\d-]+", "-", ...) then re.sub(r"-{2,}", "-", ...)
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const bool word = std::isalnum(u) != 0 || c == '_' || c == '-' || u >= 0x80;
    const char kept = word ? c : '-';
    if (kept == '-' && !out.empty() && out.back() == '-') continue;
    out += kept;
  }
  return out;
}

}  // namespace

std::string llmperf_stem(const json& summary, const json& point) {
  const auto in = mean_tokens(point, "input");
  const auto out = mean_tokens(point, "output");
  return word_runs_to_dash(
      fmt::format("{}_{}_{}", model_of(summary), in ? std::llround(*in) : 0, out ? std::llround(*out) : 0));
}

json llmperf_summary(const json& summary, const json& point, long long timestamp) {
  json out = json::object();
  out["version"] = kLlmperfResultsVersion;
  out["name"] = llmperf_stem(summary, point) + "_summary";
  out["model"] = model_of(summary);
  out["mean_input_tokens"] = num(mean_tokens(point, "input"));
  out["stddev_input_tokens"] = nullptr;
  out["mean_output_tokens"] = num(mean_tokens(point, "output"));
  out["stddev_output_tokens"] = nullptr;
  out["num_concurrent_requests"] = num(number_at(point, "/load/concurrency"));
  // LLMPerf's inter-token latency is a request's whole time over its output tokens (TTFT
  // included), which is inferbench's normalized TPOT (ntpot), not its TPOT.
  put_distribution(out, "inter_token_latency_s", point, "ntpot_ms");
  put_distribution(out, "ttft_s", point, "ttft_ms");
  put_distribution(out, "end_to_end_latency_s", point, "e2e_ms");
  put_unknown_distribution(out, "request_output_throughput_token_per_s", std::nullopt);
  put_unknown_distribution(out, "number_input_tokens", mean_tokens(point, "input"));
  put_unknown_distribution(out, "number_output_tokens", mean_tokens(point, "output"));
  const auto completed = number_at(point, "/requests/completed");
  const auto failed = number_at(point, "/requests/failed");
  const auto duration = number_at(point, "/duration_s");
  out["results_num_requests_started"] =
      num(completed && failed ? std::optional<double>(*completed + *failed) : std::nullopt);
  out["results_error_rate"] = num(number_at(point, "/requests/failure_rate"));
  out["results_number_errors"] = num(failed);
  json frequency = json::object();
  if (point.contains("requests") && point["requests"].contains("failures") &&
      point["requests"]["failures"].is_object()) {
    frequency = point["requests"]["failures"];
  }
  // LLMPerf writes str(dict) of error codes to counts; the labels here are inferbench's.
  std::string freq = "{";
  for (auto it = frequency.begin(); it != frequency.end(); ++it) {
    if (freq.size() > 1) freq += ", ";
    freq += fmt::format("'{}': {}", it.key(), it.value().dump());
  }
  out["results_error_code_frequency"] = freq + "}";
  out["results_mean_output_throughput_token_per_s"] = num(number_at(point, "/throughput/output_tokens_per_s"));
  out["results_num_completed_requests"] = num(completed);
  out["results_num_completed_requests_per_min"] =
      num(completed && duration && *duration > 0 ? std::optional<double>(*completed / *duration * 60.0) : std::nullopt);
  out["timestamp"] = timestamp;
  return out;
}

}  // namespace inferbench::exports
