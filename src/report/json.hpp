#pragma once
// JSON views of the metrics (schema in docs/summary-schema.md). NaN and undefined → null.
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "metrics/request_metrics.hpp"
#include "metrics/request_record.hpp"
#include "metrics/stats.hpp"
#include "metrics/summary.hpp"

namespace inferbench::report {

// `v` as a JSON number, or null when it is NaN or infinite.
nlohmann::json number_or_null(double v);

// {"count","mean","std","min","p50","p90","p95","p99","p99_9","max"}; values null when count 0.
nlohmann::json to_json(const metrics::Distribution& d);

// One load point: the element of summary.json's "runs" array.
nlohmann::json to_json(const metrics::LoadPointSummary& s);

// How the run behind a summary.json built its distributions (config.output.exact_samples; the
// default when absent), so that what is recomputed from its records folds as the run did. No
// in-flight horizon: records read back are not in the order they ended.
metrics::SummaryOptions summary_options_of(const nlohmann::json& summary);

// One line of requests.jsonl; `m` must be metrics::derive(r). Safe to call off the hot path only.
nlohmann::json request_line(const metrics::RequestRecord& r, const metrics::RequestMetrics& m);

// Why a request's usage was not believed, with the numbers (docs/metrics.md, "Implausible
// usage"); empty when `problem` is None.
std::string usage_rejection(const metrics::RequestRecord& r, metrics::UsageProblem problem);

// JSON text of `j` (indented by `indent` spaces, -1 = one line). Bytes that are not UTF-8 (a
// server's Latin-1 error page, say) become U+FFFD instead of aborting the write.
std::string to_text(const nlohmann::json& j, int indent = -1);

// Writes `content` to `path` through a temporary file and a rename, so that a reader (or a run
// interrupted mid-write) never sees half a file. Throws inferbench::Error naming the file.
void replace_file(const std::filesystem::path& path, const std::string& content);

}  // namespace inferbench::report
