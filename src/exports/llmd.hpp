#pragma once
// llm-d's benchmark report (llm-d/llm-d-benchmark, llmdbenchmark/analysis/benchmark_report:
// br_v0_2_json_schema.json / schema_v0_2.py, and v0.1), one report per load point, from
// summary.json. Units follow llm-d's own checks (schema_v0_2.py check_units): lengths
// `count`, TTFT and request latency `ms`, TPOT/ITL/NTPOT `ms/token`, token rates `tokens/s`,
// request rate `queries/s`.
#include <string>

#include <nlohmann/json.hpp>

namespace inferbench::exports {

// The v0.2 report of load point `index` of `summary`.
nlohmann::json llmd_report_v02(const nlohmann::json& summary, std::size_t index);
// The v0.1 report of load point `index` of `summary`.
nlohmann::json llmd_report_v01(const nlohmann::json& summary, std::size_t index);

// The file name llm-d's analysis gives a report of a native result file `native_name`
// ("benchmark_report_v0.2,_<native>.yaml"; v0.1: "benchmark_report,_<native>.yaml"), with
// `extension` "yaml" or "json". The comma is load-bearing: llm-d finds reports by the glob
// `benchmark_report_v0.2,_*.yaml`.
std::string llmd_report_name(const std::string& version, const std::string& native_name, const std::string& extension);

}  // namespace inferbench::exports
