#include "mlflow/results_mapping.hpp"

#include <fmt/format.h>

#include <utility>

#include "exports/llmperf.hpp"
#include "exports/summary_view.hpp"
#include "mlflow/client.hpp"

namespace inferbench::mlflow {

using exports::number_at;
using nlohmann::json;

namespace {

std::string text_of(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

void flatten(const json& j, const std::string& prefix, std::vector<Param>& out) {
  if (j.is_object() && !j.empty()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
    }
    return;
  }
  if (j.is_null() || prefix.empty()) return;
  // Keys come from the schema and from user labels: a label MLflow cannot name is renamed.
  out.push_back({key_problem(prefix).empty() ? prefix : sanitize_key(prefix), text_of(j)});
}

// AIPerf's names for the distributions whose definition matches inferbench's, the summary's
// own name (without "_ms") for the others.
const std::pair<const char*, const char*> kDistributions[] = {
    {"ttft_ms", "time_to_first_token"},
    {"tpot_ms", "inter_token_latency"},  // AIPerf: (latency - TTFT) / (output tokens - 1), per request
    {"e2e_ms", "request_latency"},
    {"inter_chunk_ms", "inter_chunk_latency"},
    {"itl_ms", "itl"},      // each gap between tokens (vLLM's ITL)
    {"ntpot_ms", "ntpot"},  // latency / output tokens
    {"ttft_from_sched_ms", "ttft_from_schedule"},
    {"e2e_from_sched_ms", "request_latency_from_schedule"},
    {"schedule_lag_ms", "schedule_lag"},
};
// summary.json statistic -> AIPerf's statistic name.
const std::pair<const char*, const char*> kStats[] = {
    {"mean", "avg"}, {"std", "std"}, {"min", "min"},     {"p50", "p50"}, {"p90", "p90"},
    {"p95", "p95"},  {"p99", "p99"}, {"p99_9", "p99_9"}, {"max", "max"},
};

}  // namespace

std::vector<Param> config_params(const json& summary) {
  std::vector<Param> out;
  if (summary.contains("config")) flatten(summary["config"], "", out);
  return out;
}

std::vector<Tag> run_tags(const json& summary) {
  std::vector<Tag> tags;
  tags.push_back({"inferbench.version", exports::text_at(summary, "/version")});
  tags.push_back({"model", exports::model_of(summary)});
  const std::string endpoint = exports::text_at(summary, "/config/target/endpoint");
  std::string host = "built-in simulator";
  if (!endpoint.empty()) {
    try {
      host = http::Url::parse(endpoint).host;
    } catch (const Error&) {
      host = "unknown";
    }
  }
  tags.push_back({"endpoint.host", host});
  const std::string scenario = exports::text_at(summary, "/config/scenario");
  if (!scenario.empty()) tags.push_back({"scenario", scenario});
  return tags;
}

std::vector<Param> point_params(const json& point) {
  std::vector<Param> out;
  if (point.contains("load")) flatten(point["load"], "point", out);
  return out;
}

std::vector<Metric> point_metrics(const json& summary, const json& point, std::int64_t timestamp_ms) {
  std::vector<Metric> out;
  const auto put = [&](const std::string& key, std::optional<double> v) {
    if (v) out.push_back({key, *v, timestamp_ms, 0});
  };
  // <metric>.<stat>, as AIPerf names them.
  for (const auto& [ours, name] : kDistributions) {
    for (const auto& [stat, stat_name] : kStats) {
      put(fmt::format("{}.{}", name, stat_name), number_at(point, fmt::format("/latency/{}/{}", ours, stat)));
    }
  }
  const auto rps = number_at(point, "/throughput/requests_per_s");
  const auto input_tps = number_at(point, "/throughput/input_tokens_per_s");
  const auto output_tps = number_at(point, "/throughput/output_tokens_per_s");
  const auto total_tps = number_at(point, "/throughput/total_tokens_per_s");
  const auto duration = number_at(point, "/duration_s");
  const auto input_tokens = number_at(point, "/tokens/input");
  const auto output_tokens = number_at(point, "/tokens/output");
  put("request_throughput", rps);
  put("input_token_throughput", input_tps);
  put("output_token_throughput", output_tps);
  put("total_token_throughput", total_tps);
  put("request_count", number_at(point, "/requests/completed"));
  put("error_request_count", number_at(point, "/requests/failed"));
  put("error_rate", number_at(point, "/requests/failure_rate"));
  put("cancelled_request_count", number_at(point, "/requests/cancelled"));
  put("benchmark_duration", duration);
  put("cached_input_tokens", number_at(point, "/tokens/cached"));
  put("concurrency.avg", number_at(point, "/concurrency/mean"));
  put("concurrency.max", number_at(point, "/concurrency/max"));
  put("rate.requested", number_at(point, "/rate/requested"));
  put("rate.achieved", number_at(point, "/rate/achieved"));
  put("goodput", number_at(point, "/goodput/requests_per_s"));
  put("slo_attainment", number_at(point, "/goodput/slo_attainment"));
  put("success_rate", number_at(point, "/completeness/success_rate"));
  put("client.busiest_worker_cpu", number_at(point, "/client/busiest_worker_cpu"));
  // The OCI AI Blueprints' names: online (LLMPerf) blueprint ...
  put("output_tokens_per_second", output_tps);
  put("requests_per_minute", rps ? std::optional<double>(*rps * 60.0) : std::nullopt);
  put("overall_output_throughput", output_tps);
  // ... and offline (vLLM throughput) blueprint.
  put("requests_per_second", rps);
  put("input_tokens_per_second", input_tps);
  put("total_tokens_per_second", total_tps);
  put("elapsed_time", duration);
  put("total_input_tokens", input_tokens);
  put("total_output_tokens", output_tokens);
  // LLMPerf's _summary.json keys, which the online blueprint logs: the numeric ones.
  const json llmperf = exports::llmperf_summary(summary, point, 0);
  for (auto it = llmperf.begin(); it != llmperf.end(); ++it) {
    if (it.key().starts_with("results_") && it.value().is_number()) put(it.key(), it.value().get<double>());
  }
  return out;
}

}  // namespace inferbench::mlflow
