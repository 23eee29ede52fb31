#include "exports/llmd.hpp"

#include <openssl/sha.h>

#include <fmt/format.h>

#include <cmath>

#include "core/error.hpp"
#include "exports/summary_view.hpp"
#include "workload/length_dist.hpp"
#include "workload/workload.hpp"

namespace inferbench::exports {

using nlohmann::json;

namespace {

// A stable id from text: the first 16 bytes of its SHA-256 as a UUID-shaped string, so that
// exporting the same results twice gives the same ids.
std::string stable_id(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  std::string hex;
  for (int i = 0; i < 16; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20, 12);
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// llm-d's Statistics ({units, mean, stddev, min, p50, p90, p95, p99, p99p9, max}) from a
// summary.json distribution; null when it has no mean (no data).
json statistics(const json& point, const std::string& ours, const char* units) {
  const std::string base = "/latency/" + ours + "/";
  const auto mean = number_at(point, base + "mean");
  if (!mean) return nullptr;
  json s = {{"units", units}, {"mean", *mean}};
  const std::pair<const char*, const char*> fields[] = {{"std", "stddev"},  {"min", "min"}, {"p50", "p50"},
                                                        {"p90", "p90"},     {"p95", "p95"}, {"p99", "p99"},
                                                        {"p99_9", "p99p9"}, {"max", "max"}};
  for (const auto& [from, to] : fields) {
    if (const auto v = number_at(point, base + from)) s[to] = *v;
  }
  return s;
}

std::optional<double> per_completed(const json& point, const char* total_pointer) {
  const auto total = number_at(point, total_pointer);
  const auto completed = number_at(point, "/requests/completed");
  if (!total || !completed || *completed <= 0) return std::nullopt;
  return *total / *completed;
}

// A rate statistic: only the mean is known (the rate over the load point).
json rate(std::optional<double> v, const char* units) {
  if (!v) return nullptr;
  return json{{"units", units}, {"mean", *v}};
}

// llm-d's SequenceLength of a configured length ("128", "uniform:64:256", "normal:…"), with
// the measured mean when the configured one is not known (datasets).
json sequence_length(const std::string& configured, std::optional<double> measured) {
  try {
    const auto d = workload::LengthDist::parse(configured, "length");
    using K = workload::LengthDist::Kind;
    const char* kind = d.kind() == K::Fixed     ? "fixed"
                       : d.kind() == K::Uniform ? "uniform"
                       : d.kind() == K::Normal  ? "gaussian"
                                                : "other";
    json s = {{"distribution", kind}, {"value", d.mean()}};
    if (d.kind() != K::Fixed) {
      if (d.kind() != K::Uniform) s["std_dev"] = d.stddev();
      s["min"] = d.min();
      s["max"] = d.max();
    }
    return s;
  } catch (const Error&) {
    return json{{"distribution", "other"}, {"value", measured.value_or(0.0)}};
  }
}

// llm-d's `prefix` (all four fields) for workloads built around a shared prefix.
json prefix_of(const json& summary, std::optional<double> mean_input) {
  const std::string dataset = text_at(summary, "/config/workload/dataset");
  if (dataset.empty()) return nullptr;
  workload::DatasetSpec spec;
  try {
    spec = workload::parse_dataset(dataset, true);
  } catch (const Error&) {
    return nullptr;
  }
  using K = workload::DatasetSpec::Kind;
  if (spec.kind == K::SharedPrefix) {
    return json{{"prefix_len", {{"distribution", "fixed"}, {"value", spec.system_prompt_tokens}}},
                {"num_groups", spec.groups},
                {"num_users_per_group", spec.prompts_per_group},
                {"num_prefixes", 1}};
  }
  if (spec.kind == K::PrefixRatio && mean_input) {
    return json{{"prefix_len", {{"distribution", "fixed"}, {"value", std::round(spec.prefix_ratio * *mean_input)}}},
                {"num_groups", 1},
                {"num_users_per_group", 1},
                {"num_prefixes", 1}};
  }
  return nullptr;
}

const char* source_of(const json& summary) {
  const std::string source = text_at(summary, "/config/workload/source");
  if (source == "sharegpt" || source == "jsonl") return "sampled";
  if (source.empty()) return "unknown";
  return "random";  // generated prompts (words, synthetic, random, shared prefix, ...)
}

// The server measured: the built-in simulator is an inference engine whose model and
// accelerator are known (one replica, no parallelism); a real endpoint is described by what
// the results know of it, its host.
json stack_component(const json& summary) {
  const std::string version = text_at(summary, "/version");
  const std::string endpoint = text_at(summary, "/config/target/endpoint");
  if (endpoint.empty()) {
    const std::string hardware = text_at(summary, "/config/sim/hardware");
    return json{{"metadata", {{"schema_version", "0.0.1"}, {"label", "inferbench-sim"}, {"cfg_id", "inferbench-sim"}}},
                {"standardized",
                 {{"kind", "inference_engine"},
                  {"tool", "inferbench-sim"},
                  {"tool_version", version.empty() ? "unknown" : version},
                  {"role", "replica"},
                  {"replicas", 1},
                  {"model", {{"name", model_of(summary)}}},
                  {"accelerator",
                   {{"model", hardware.empty() ? "unknown" : hardware},
                    {"count", 1},
                    {"parallelism", {{"tp", 1}, {"dp", 1}, {"dp_local", 1}, {"workers", 1}, {"ep", 1}, {"pp", 1}}}}}}},
                {"native", {{"config", summary.value(json::json_pointer("/config/sim"), json::object())}}}};
  }
  return json{
      {"metadata", {{"schema_version", "0.0.1"}, {"label", endpoint}, {"cfg_id", stable_id(endpoint)}}},
      {"standardized", {{"kind", "generic"}, {"tool", "openai-compatible-server"}, {"tool_version", "unknown"}}},
      {"native", json::object()}};
}

void put_if(json& j, const char* key, const json& v) {
  if (!v.is_null()) j[key] = v;
}

}  // namespace

std::string llmd_report_name(const std::string& version, const std::string& native_name, const std::string& extension) {
  return fmt::format("{},_{}.{}", version == "0.1" ? "benchmark_report" : "benchmark_report_v0.2", native_name,
                     extension);
}

json llmd_report_v02(const json& summary, std::size_t index) {
  const json& point = summary.at("runs").at(index);
  const std::string version = text_at(summary, "/version");
  const std::string eid = stable_id(dump(summary.value("config", json::object())));
  json report;
  report["version"] = "0.2";
  report["run"] = {{"uid", stable_id(dump(summary.value("config", json::object())) + "/" + std::to_string(index))},
                   {"eid", eid},
                   {"description", fmt::format("{} [{}]", model_of(summary), point_label(point))},
                   {"keywords", json::array({"inferbench"})}};

  const auto mean_input = per_completed(point, "/tokens/input");
  const auto mean_output = per_completed(point, "/tokens/output");
  json load_std = {
      {"tool", "inferbench"},
      {"tool_version", version.empty() ? "unknown" : version},
      {"source", source_of(summary)},
      {"stage", index},
      {"input_seq_len", sequence_length(text_at(summary, "/config/workload/input_tokens"), mean_input)},
      {"output_seq_len", sequence_length(text_at(summary, "/config/workload/output_tokens"), mean_output)}};
  if (const auto workers = number_at(summary, "/config/client/workers"); workers && *workers >= 1) {
    load_std["parallelism"] = static_cast<long long>(*workers);
  }
  put_if(load_std, "prefix", prefix_of(summary, mean_input));
  if (text_at(point, "/load/mode") == "open") {
    if (const auto r = number_at(point, "/load/rate"); r && *r > 0) load_std["rate_qps"] = *r;
    if (const auto c = number_at(point, "/load/concurrency"); c && *c >= 1) load_std["concurrency"] = *c;
  } else if (const auto c = number_at(point, "/load/concurrency"); c && *c >= 1) {
    load_std["concurrency"] = static_cast<long long>(*c);
  }
  report["scenario"] = {
      {"stack", json::array({stack_component(summary)})},
      {"load",
       {{"metadata", {{"schema_version", "0.0.1"}, {"cfg_id", eid}, {"description", point_label(point)}}},
        {"standardized", load_std},
        {"native", {{"config", summary.value("config", json::object())}}}}}};

  const auto completed = number_at(point, "/requests/completed").value_or(0);
  const auto failed = number_at(point, "/requests/failed").value_or(0);
  json requests = {{"total", static_cast<long long>(completed + failed)},
                   {"failures", static_cast<long long>(failed)},
                   {"incomplete", static_cast<long long>(number_at(point, "/requests/cancelled").value_or(0))}};
  put_if(requests, "input_length", rate(mean_input, "count"));
  put_if(requests, "output_length", rate(mean_output, "count"));
  json latency = json::object();
  put_if(latency, "time_to_first_token", statistics(point, "ttft_ms", "ms"));
  put_if(latency, "normalized_time_per_output_token", statistics(point, "ntpot_ms", "ms/token"));
  put_if(latency, "time_per_output_token", statistics(point, "tpot_ms", "ms/token"));
  put_if(latency, "inter_token_latency", statistics(point, "itl_ms", "ms/token"));
  put_if(latency, "request_latency", statistics(point, "e2e_ms", "ms"));
  json throughput = json::object();
  put_if(throughput, "input_token_rate", rate(number_at(point, "/throughput/input_tokens_per_s"), "tokens/s"));
  put_if(throughput, "output_token_rate", rate(number_at(point, "/throughput/output_tokens_per_s"), "tokens/s"));
  put_if(throughput, "total_token_rate", rate(number_at(point, "/throughput/total_tokens_per_s"), "tokens/s"));
  put_if(throughput, "request_rate", rate(number_at(point, "/throughput/requests_per_s"), "queries/s"));
  report["results"] = {{"request_performance",
                        {{"aggregate", {{"requests", requests}, {"latency", latency}, {"throughput", throughput}}}}}};
  return report;
}

json llmd_report_v01(const json& summary, std::size_t index) {
  const json& point = summary.at("runs").at(index);
  const std::string version = text_at(summary, "/version");
  const auto mean_input = per_completed(point, "/tokens/input");
  const auto mean_output = per_completed(point, "/tokens/output");
  const auto completed = number_at(point, "/requests/completed").value_or(0);
  const auto failed = number_at(point, "/requests/failed").value_or(0);
  json report;
  report["version"] = "0.1";
  // v0.1's load generator is a closed list (guidellm, inference-perf, vllm-benchmark, nop)
  // without inferbench: the statistics follow vLLM's definitions, so it is vllm-benchmark,
  // and `type` and the metadata say which tool wrote them.
  report["scenario"] = {
      {"description", fmt::format("{} [{}]", model_of(summary), point_label(point))},
      {"model", {{"name", model_of(summary)}}},
      {"load",
       {{"name", "vllm-benchmark"},
        {"type", "inferbench " + version},
        {"args", summary.value("config", json::object())},
        {"metadata", {{"tool", "inferbench"}, {"tool_version", version}, {"load_point", point_label(point)}}}}}};
  json metrics;
  metrics["time"] = {{"duration", number_at(point, "/duration_s").value_or(0)}};
  metrics["requests"] = {{"total", static_cast<long long>(completed + failed)},
                         {"failures", static_cast<long long>(failed)},
                         {"incomplete", static_cast<long long>(number_at(point, "/requests/cancelled").value_or(0))},
                         {"input_length", {{"units", "count"}, {"mean", mean_input.value_or(0)}}},
                         {"output_length", {{"units", "count"}, {"mean", mean_output.value_or(0)}}}};
  json latency = json::object();
  json ttft = statistics(point, "ttft_ms", "ms");
  latency["time_to_first_token"] = ttft.is_null() ? json{{"units", "ms"}, {"mean", 0}} : ttft;
  put_if(latency, "normalized_time_per_output_token", statistics(point, "ntpot_ms", "ms/token"));
  put_if(latency, "time_per_output_token", statistics(point, "tpot_ms", "ms/token"));
  put_if(latency, "inter_token_latency", statistics(point, "itl_ms", "ms/token"));
  put_if(latency, "request_latency", statistics(point, "e2e_ms", "ms"));
  metrics["latency"] = latency;
  json throughput = {{"total_tokens_per_sec", number_at(point, "/throughput/total_tokens_per_s").value_or(0)}};
  if (const auto v = number_at(point, "/throughput/input_tokens_per_s")) throughput["input_tokens_per_sec"] = *v;
  if (const auto v = number_at(point, "/throughput/output_tokens_per_s")) throughput["output_tokens_per_sec"] = *v;
  if (const auto v = number_at(point, "/throughput/requests_per_s")) throughput["requests_per_sec"] = *v;
  metrics["throughput"] = throughput;
  report["metrics"] = metrics;
  return report;
}

}  // namespace inferbench::exports
