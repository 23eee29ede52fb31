#pragma once
// Read access to summary.json (docs/output.md) for the exports and the MLflow upload: the
// one place that knows where a load point keeps each number.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace inferbench::exports {

// summary.json read from `path`; throws inferbench::Error (one line naming the file) when it is
// missing, not JSON, or not an inferbench summary (no "runs" array).
nlohmann::json read_summary(const std::string& path);

// The number at `pointer` (a JSON pointer such as "/latency/ttft_ms/p50") in `j`, or nullopt
// when it is absent, null or not a finite number.
std::optional<double> number_at(const nlohmann::json& j, const std::string& pointer);

// The text at `pointer`, or "" when absent or not a string.
std::string text_at(const nlohmann::json& j, const std::string& pointer);

// The load point as words: "concurrency 4", "rate 2.5 req/s".
std::string point_label(const nlohmann::json& point);
// The load point as a file-name part: "concurrency-4", "rate-2.5".
std::string point_slug(const nlohmann::json& point);

// The model the run measured (config.target.model), or "unknown".
std::string model_of(const nlohmann::json& summary);

}  // namespace inferbench::exports
