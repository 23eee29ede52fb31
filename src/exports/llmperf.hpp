#pragma once
// LLMPerf's `<model>_<in>_<out>_summary.json` (ray-project/llmperf token_benchmark_ray.py
// metrics_summary + utils.py LLMPerfResults.to_dict, keys flattened with '_'), made from one
// load point of summary.json. Numbers summary.json does not keep are null (see docs/exports.md).
#include <string>

#include <nlohmann/json.hpp>

namespace inferbench::exports {

// LLMPerf's results version string (llmperf/utils.py RESULTS_VERSION).
inline constexpr const char* kLlmperfResultsVersion = "2023-08-31";

// The flat summary of load point `point` of `summary`; `timestamp` is Unix seconds.
nlohmann::json llmperf_summary(const nlohmann::json& summary, const nlohmann::json& point, long long timestamp);

// LLMPerf's file-name stem "<model>_<in>_<out>" (non-word runs become '-').
std::string llmperf_stem(const nlohmann::json& summary, const nlohmann::json& point);

}  // namespace inferbench::exports
