// The OCI AI Blueprints online benchmark (oracle-quickstart/oci-ai-blueprints,
// docs/sample_blueprints/gpu_benchmarking/online-inference-infra/example_online.yaml@1807459d).
// The blueprint runs LLMPerf's token_benchmark_ray.py with these keys; the wrapper script is
// not public, so each key is read as the LLMPerf argument it names (LLMPerf README):
// input_len/output_len are --mean-input-tokens/--mean-output-tokens (stddev 0), max_requests
// --max-num-completed-requests, timeout the test's length (--timeout), num_concurrent
// --num-concurrent-requests, metadata --metadata "k=v,k=v"; llm_api "openai" is LLMPerf's
// chat-completions client, which streams and sends max_tokens without ignore_eos.
#include <fmt/format.h>

#include "config/foreign/foreign.hpp"
#include "config/foreign/reader.hpp"
#include "core/error.hpp"

namespace inferbench::config::foreign {

namespace {

std::int64_t positive(Reader& r, const char* key, std::int64_t value) {
  if (value < 1) r.fail(key, fmt::format("invalid {} '{}': must be >= 1", key, value));
  return value;
}

}  // namespace

Translation from_oci_blueprint(Values& values, std::string_view text, std::string_view filename, const EnvLookup& env) {
  Reader r(render_env_tokens(text, filename, env), std::string(filename));
  Values& v = values;
  if (const auto kind = r.text("benchmark_type"); kind && *kind != "online") {
    r.fail("benchmark_type", fmt::format("invalid benchmark_type '{}': --from oci-blueprint reads the online "
                                         "benchmark (inferbench offline runs offline ones)",
                                         *kind));
  }
  if (const auto model = r.text("model")) r.set(v, "target.model", *model, "model");
  if (const auto n = r.integer("input_len"))
    r.set(v, "workload.input_tokens", positive(r, "input_len", *n), "input_len");
  if (const auto n = r.integer("output_len")) {
    r.set(v, "workload.output_tokens", positive(r, "output_len", *n), "output_len");
  }
  if (const auto n = r.integer("max_requests")) {
    r.set(v, "load.num_requests", positive(r, "max_requests", *n), "max_requests");
  }
  if (const auto s = r.number("timeout")) {
    if (*s <= 0) r.fail("timeout", fmt::format("invalid timeout '{}': must be > 0", *s));
    r.set(v, "load.duration", *s, "timeout");
  }
  if (const auto n = r.integer("num_concurrent")) {
    r.set(v, "load.concurrency", nlohmann::json::array({positive(r, "num_concurrent", *n)}), "num_concurrent");
  }
  if (const auto dir = r.text("results_dir")) r.set(v, "output.dir", *dir, "results_dir");
  const std::string api = r.text("llm_api").value_or("openai");
  if (api == "openai" || api == "chat") {
    r.set(v, "target.api", "chat", "llm_api");
  } else if (api == "completion" || api == "completions") {
    r.set(v, "target.api", "completions", "llm_api");
  } else {
    r.unsupported("llm_api", api + ": inferbench speaks the OpenAI API (openai, chat or completion)");
  }
  // LLMPerf streams and sends no ignore_eos: outputs may end before output_len.
  r.set(v, "target.stream", true, "llm_api");
  r.set(v, "target.ignore_eos", false, "llm_api");
  if (const auto key = r.text("llm_api_key")) r.set(v, "target.api_key", *key, "llm_api_key");
  if (const auto base = r.text("llm_api_base")) r.set(v, "target.endpoint", *base, "llm_api_base");
  if (const auto uri = r.text("mlflow_uri")) r.set(v, "mlflow.uri", *uri, "mlflow_uri");
  if (const auto name = r.text("experiment_name")) r.set(v, "mlflow.experiment", *name, "experiment_name");
  if (const auto name = r.text("run_name")) r.set(v, "mlflow.run_name", *name, "run_name");
  if (const auto meta = r.text("metadata")) {
    nlohmann::json labels = nlohmann::json::object();
    std::size_t start = 0;
    while (start < meta->size()) {
      const std::size_t comma = std::min(meta->find(',', start), meta->size());
      const std::string item = meta->substr(start, comma - start);
      start = comma + 1;
      if (item.empty()) continue;
      const auto eq = item.find('=');
      if (eq == std::string::npos || eq == 0) {
        r.fail("metadata", fmt::format("invalid metadata item '{}': expected KEY=VALUE", item));
      }
      labels[item.substr(0, eq)] = item.substr(eq + 1);
    }
    r.set(v, "labels", labels, "metadata");
  }
  r.explain("llmperf_path", "LLMPerf's install path: not used");
  r.explain("save_metrics_path", "results go to results_dir (--output)");
  return r.finish();
}

}  // namespace inferbench::config::foreign
