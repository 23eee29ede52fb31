#pragma once
// vLLM's `vllm bench serve --save-result` JSON (vllm-project/vllm vllm/benchmarks/serve.py:
// benchmark()'s result and main()'s result_json), one per load point, from summary.json, so
// dashboards and scripts that read vLLM's files read inferbench's. The percentile keys are
// those of `--percentile-metrics ttft,tpot,itl,e2el --metric-percentiles 50,90,95,99,99.9`.
#include <nlohmann/json.hpp>

namespace inferbench::exports {

nlohmann::json vllm_result(const nlohmann::json& summary, std::size_t index);

// vLLM's file name: "{label}-{request_rate}qps[-concurrency{N}]-{model}-{date}.json"; the
// date is summary-independent, so it is left out: "inferbench-{rate}qps[-concurrency{N}]-{model}.json".
std::string vllm_file_name(const nlohmann::json& summary, std::size_t index);

}  // namespace inferbench::exports
