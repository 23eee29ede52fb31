#pragma once
// The per-request exports, read from a run's requests.jsonl (docs/exports.md): one CSV row per
// request, and LLMPerf's `<stem>_individual_responses.json` per load point. The file is read
// line by line and never held whole, so a million-request run exports in bounded memory.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace inferbench::exports {

// Calls `f` with each line of requests.jsonl that is a JSON object; returns how many lines were
// not (a torn last line, say). Throws inferbench::Error when the file cannot be opened.
std::size_t for_each_request(const std::filesystem::path& requests_jsonl,
                             const std::function<void(const nlohmann::json&)>& f);

// Writes `out_csv`: one row per request, every scalar field of its line as a column (arrays
// such as chunk_ns left out), the union of all lines' columns in first-seen order.
void write_requests_csv(const std::filesystem::path& requests_jsonl, const std::filesystem::path& out_csv);

// One request in LLMPerf's individual-responses keys (ray-project/llmperf token_benchmark_ray.py):
// times in seconds, its inter_token_latency_s being the request's latency over its output tokens
// (inferbench's ntpot), error_code the HTTP status of a failed request (null when it had none).
nlohmann::json llmperf_individual_response(const nlohmann::json& line);

}  // namespace inferbench::exports
