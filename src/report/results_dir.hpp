#pragma once
// Reading a finished run back from its results directory (summary.json, requests.jsonl): what
// the HTML report, and any later look at a run, is built from. summary.json is parsed with
// nlohmann::json; requests.jsonl, which holds every chunk time of the run, with simdjson.
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/chunk_latency.hpp"

namespace inferbench::report {

// The fields of one requests.jsonl line the report uses (docs/summary-schema.md); an absent,
// null or mistyped number is nullopt.
struct RequestLine {
  std::size_t load_point = 0;
  bool warmup = false;
  bool ok = false;
  std::string error;  // the failure label; empty when ok
  std::optional<double> sent_offset_s;
  std::optional<double> ttft_ms;
  std::optional<double> tpot_ms;
  std::optional<double> max_itl_ms;
  std::optional<double> e2e_ms;
  std::optional<double> done_ms;
  std::optional<double> schedule_lag_ms;
  std::optional<double> output_tokens;
};

// Per load point (the key), its chunk latencies.
using ChunkLatenciesByPoint = std::map<std::size_t, ChunkLatencies>;

struct RequestLines {
  std::vector<RequestLine> lines;
  std::size_t unreadable = 0;  // lines that are not a JSON object (a torn last line, say)
  // Per load point (the key), the ITL and inter-chunk latencies of its successful measured
  // requests, from their chunk timelines: reduced while reading, so no request's chunk list is
  // kept past its line.
  ChunkLatenciesByPoint chunk_latencies;
  std::size_t no_timeline = 0;  // successful measured requests without a readable "chunk_ns"
};

// Reads requests.jsonl. The one place this file is read for the report, so it can move onto a
// shared reader later. Throws inferbench::Error when the file cannot be opened. With `known`
// (the run that just wrote the file, from its own summary's samples), the chunk timelines are
// not read again: chunk_latencies is `known`.
RequestLines read_request_lines(const std::filesystem::path& path,
                                std::size_t exact_samples = metrics::kDefaultExactSamples,
                                const ChunkLatenciesByPoint* known = nullptr);

struct ResultsDir {
  std::filesystem::path dir;
  nlohmann::json summary;                // summary.json as written
  std::optional<RequestLines> requests;  // nullopt when requests.jsonl is absent
};

// Reads DIR/summary.json (required: a one-line inferbench::Error naming the file when it is
// missing, not JSON or not an inferbench summary) and DIR/requests.jsonl (optional; `known` as
// for read_request_lines).
ResultsDir read_results_dir(const std::filesystem::path& dir, const ChunkLatenciesByPoint* known = nullptr);

// A load point's name from its summary.json element: "concurrency 8", "rate 10/s poisson", or
// "load point N" (from 1) when its "load" is not readable.
std::string load_point_label(const nlohmann::json& point, std::size_t index);

// The directories a user named: each one holding summary.json, or else its immediate
// subdirectories that do (a sweep or experiment written one run per folder), sorted by name.
// Throws inferbench::Error for a path that is neither.
std::vector<std::filesystem::path> expand_results_dirs(const std::vector<std::filesystem::path>& paths);

}  // namespace inferbench::report
