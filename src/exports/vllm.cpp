#include "exports/vllm.hpp"

#include <fmt/format.h>

#include "exports/summary_view.hpp"

namespace inferbench::exports {

using nlohmann::json;

namespace {

json num(std::optional<double> v) { return v ? json(*v) : json(nullptr); }

// vLLM's name of a rate: "inf" for a closed loop (all requests at once, bounded by the cap).
json request_rate_of(const json& point) {
  if (text_at(point, "/load/mode") == "open") return num(number_at(point, "/load/rate"));
  return "inf";
}

json max_concurrency_of(const json& point) {
  const auto c = number_at(point, "/load/concurrency");
  if (!c) return nullptr;
  return static_cast<long long>(*c);
}

}  // namespace

json vllm_result(const json& summary, std::size_t index) {
  const json& point = summary.at("runs").at(index);
  json r;
  r["date"] = nullptr;  // summary.json keeps no wall-clock date
  r["endpoint_type"] = "openai";
  r["backend"] = text_at(summary, "/config/target/api") == "chat" ? "openai-chat" : "openai";
  r["label"] = "inferbench";
  r["model_id"] = model_of(summary);
  r["tokenizer_id"] = text_at(summary, "/config/workload/tokenizer").empty()
                          ? json(model_of(summary))
                          : json(text_at(summary, "/config/workload/tokenizer"));
  const auto completed = number_at(point, "/requests/completed");
  const auto failed = number_at(point, "/requests/failed");
  r["num_prompts"] = completed && failed ? json(static_cast<long long>(*completed + *failed)) : json(nullptr);
  r["request_rate"] = request_rate_of(point);
  r["burstiness"] = num(number_at(point, "/load/burstiness").value_or(1.0));
  r["max_concurrency"] = max_concurrency_of(point);
  r["duration"] = num(number_at(point, "/duration_s"));
  r["completed"] = completed ? json(static_cast<long long>(*completed)) : json(nullptr);
  r["failed"] = failed ? json(static_cast<long long>(*failed)) : json(nullptr);
  r["total_input_tokens"] = num(number_at(point, "/tokens/input"));
  r["total_output_tokens"] = num(number_at(point, "/tokens/output"));
  r["request_throughput"] = num(number_at(point, "/throughput/requests_per_s"));
  r["request_goodput"] = num(number_at(point, "/goodput/requests_per_s"));
  r["output_throughput"] = num(number_at(point, "/throughput/output_tokens_per_s"));
  r["total_token_throughput"] = num(number_at(point, "/throughput/total_tokens_per_s"));
  r["max_output_tokens_per_s"] = nullptr;  // a per-second peak: summary.json does not keep it
  r["max_concurrent_requests"] = num(number_at(point, "/concurrency/max"));
  const std::pair<const char*, const char*> metrics[] = {
      {"ttft", "ttft_ms"}, {"tpot", "tpot_ms"}, {"itl", "itl_ms"}, {"e2el", "e2e_ms"}};
  const std::pair<const char*, const char*> percentiles[] = {
      {"50", "p50"}, {"90", "p90"}, {"95", "p95"}, {"99", "p99"}, {"99.9", "p99_9"}};
  for (const auto& [name, ours] : metrics) {
    const std::string base = fmt::format("/latency/{}/", ours);
    r[fmt::format("mean_{}_ms", name)] = num(number_at(point, base + "mean"));
    r[fmt::format("median_{}_ms", name)] = num(number_at(point, base + "p50"));
    r[fmt::format("std_{}_ms", name)] = num(number_at(point, base + "std"));
    for (const auto& [word, stat] : percentiles) {
      r[fmt::format("p{}_{}_ms", word, name)] = num(number_at(point, base + stat));
    }
  }
  return r;
}

std::string vllm_file_name(const json& summary, std::size_t index) {
  const json& point = summary.at("runs").at(index);
  std::string model = model_of(summary);
  if (const auto slash = model.rfind('/'); slash != std::string::npos) model = model.substr(slash + 1);
  for (char& c : model) {
    if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = '_';
  }
  const json rate = request_rate_of(point);
  const std::string rate_text =
      rate.is_string() ? "inf" : fmt::format("{:g}", rate.is_number() ? rate.get<double>() : 0.0);
  const json c = max_concurrency_of(point);
  const std::string concurrency = c.is_number() ? fmt::format("-concurrency{}", c.get<long long>()) : "";
  return fmt::format("inferbench-{}qps{}-{}.json", rate_text, concurrency, model);
}

}  // namespace inferbench::exports
