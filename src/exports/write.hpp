#pragma once
// `inferbench export` and `run --export`: summary.json in the peers' formats (docs/exports.md).
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace inferbench::exports {

enum class Format { LlmdV02, LlmdV01, Vllm, Llmperf, Csv };

// The formats by name, in the order help lists them.
const std::vector<std::string>& format_names();
std::optional<Format> parse_format(std::string_view name);

// Writes `summary` in `format` into `out_dir` (created when missing) and returns the files
// written. With the run's `requests_jsonl` (when it exists), the per-request files too: LLMPerf's
// individual responses, the CSV's requests.csv. Throws inferbench::Error (one line naming the
// file) when a file cannot be written.
std::vector<std::filesystem::path> write_export(const nlohmann::json& summary, Format format,
                                                const std::filesystem::path& out_dir,
                                                const std::filesystem::path& requests_jsonl = {});

// `j` as YAML (strings double-quoted, so "0.2" stays a string; numbers as JSON writes them).
std::string to_yaml(const nlohmann::json& j);

// One CSV row per load point: every leaf of the load point's JSON as a column named by its
// path ("latency.ttft_ms.p50"), the union of the columns of all points, in first-seen order.
std::string load_points_csv(const nlohmann::json& summary);

}  // namespace inferbench::exports
