#pragma once
// report.html: one self-contained page (Apache ECharts and the page's script embedded, no
// network) drawn from result directories as they are on disk, so the report written at the end
// of a run and `inferbench report DIR...` are the same code. Layout in docs/report.md.
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/results_dir.hpp"

namespace inferbench::report {

struct HtmlReportOptions {
  std::string title = "inferbench report";
  // Dotted key path into summary.json naming each run's line in the throughput-latency curves
  // (e.g. "labels.framework", "config.target.model"); empty: the run's labels, else its model.
  std::string series_key;
};

// The data the page draws: per run its labels, flattened configuration, load points (summary,
// CDF points) and time series. Exposed for tests.
nlohmann::json report_data(const std::vector<ResultsDir>& runs, const HtmlReportOptions& options);

// The whole page.
std::string html_report(const std::vector<ResultsDir>& runs, const HtmlReportOptions& options);

// Reads `dirs` and writes the page to `output` (atomically, by rename). Throws inferbench::Error.
void write_html_report(const std::vector<std::filesystem::path>& dirs, const std::filesystem::path& output,
                       const HtmlReportOptions& options);

// The report of the one run just written to `dir`, whose chunk latencies per load point the run
// already holds (from its summary's samples, the ones requests.jsonl's timelines give again):
// the same page as write_html_report({dir}, ...), without reading every chunk time back.
void write_run_html_report(const std::filesystem::path& dir, const ChunkLatenciesByPoint& chunk_latencies,
                           const std::filesystem::path& output, const HtmlReportOptions& options);

// `text` as JSON that is safe inside a <script> element: '<', '>', '&' and every non-ASCII
// character escaped as \uXXXX, so no string from the results can end the element or open a tag.
std::string script_safe_json(const nlohmann::json& j);

}  // namespace inferbench::report
