// libFuzzer target: results::read_results on a requests.jsonl (the input) beside a fixed
// summary.json with two load points, as merge and reports read results folders. Only
// inferbench::Error may escape. Invariants: no more records than lines; every record read
// survives a round trip (results::request_line, then parse_record) unchanged, and its line as the
// app writes it (results::append_request_line) is that JSON's dump; and the summary
// over the records, exact or folded into histograms, never crashes and counts what it was given.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "fuzz_support.hpp"
#include "metrics/summary.hpp"
#include "report/json.hpp"
#include "report/results_dir.hpp"
#include "results/reader.hpp"
#include "results/record_line.hpp"

namespace {

using inferbench::fuzz::fail;
using namespace inferbench;

constexpr std::string_view kSummary = R"({"tool": "inferbench", "run_id": "fuzz",
  "clock": {"boot_id": "b", "read_error_ns": 100, "steady_ns": 5000000000, "wall": "2026-12-03T08:00:00Z",
            "wall_ns": 1796284800000000000},
  "runs": [{"load": {"mode": "closed", "concurrency": 4, "rate": null, "arrival": null, "burstiness": null}},
           {"load": {"mode": "open", "concurrency": 0, "rate": 10.0, "arrival": "poisson", "burstiness": 1.0},
            "goodput": {"slo": {"ttft_ms": 100, "e2e_ms": 1000}}}]})";

const std::filesystem::path& folder() {
  static const std::filesystem::path dir = [] {
    const auto d = fuzz::input_file("", ".d").replace_extension(".results");
    std::filesystem::create_directories(d);
    std::ofstream(d / "summary.json", std::ios::binary) << kSummary;
    return d;
  }();
  return dir;
}

bool same(const metrics::RequestRecord& a, const metrics::RequestRecord& b) {
  if (a.id != b.id || a.warmup != b.warmup || a.scheduled != b.scheduled || a.sent != b.sent ||
      a.headers != b.headers || a.done != b.done || a.events != b.events || a.http_status != b.http_status ||
      a.failure != b.failure || a.retried != b.retried || a.max_tokens != b.max_tokens ||
      a.client_prompt_tokens != b.client_prompt_tokens || a.client_output_tokens != b.client_output_tokens ||
      a.usage.prompt_tokens != b.usage.prompt_tokens || a.usage.completion_tokens != b.usage.completion_tokens ||
      a.usage.cached_tokens != b.usage.cached_tokens || a.chunks.size() != b.chunks.size()) {
    return false;
  }
  for (std::size_t k = 0; k < a.chunks.size(); ++k) {
    if (a.chunks[k].t != b.chunks[k].t || a.chunks[k].tokens != b.chunks[k].tokens) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::filesystem::path& dir = folder();
  std::ofstream(dir / "requests.jsonl", std::ios::binary | std::ios::trunc)
      .write(text.data(), static_cast<std::streamsize>(text.size()));
  const std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;

  // The report's own reader (simdjson) of the same file: every line is read or counted unreadable.
  const report::RequestLines report_lines = report::read_request_lines(dir / "requests.jsonl");
  if (report_lines.lines.size() + report_lines.unreadable > lines) fail();

  results::Results read;
  try {
    read = results::read_results(dir);
  } catch (const Error& e) {
    if (std::string_view(e.what()).empty()) fail();
    return 0;
  }
  std::size_t records = 0;
  for (const results::LoadPointRecords& p : read.points) {
    records += p.records.size();
    for (const metrics::RequestRecord& r : p.records) {
      const nlohmann::json line = results::request_line(r, p.index, read.anchor);
      const metrics::RequestRecord again = results::parse_record(line, read.anchor.steady);
      if (!same(r, again)) fail();
      // The text the app writes is the line's JSON dump, whatever the record holds.
      std::string text;
      results::append_request_line(text, r, p.index, read.anchor);
      if (text != report::to_text(line)) fail();
    }
    for (const std::size_t exact : {std::size_t{1}, metrics::kDefaultExactSamples}) {
      const metrics::LoadPointSummary s =
          metrics::summarize(p.records, p.load, p.slo, {.exact_samples = exact, .in_flight_horizon = std::nullopt});
      if (s.requests.completed + s.requests.failed + s.requests.warmup != p.records.size()) fail();
      // Lines both readers accept: the report's ITL and gaps are the summary's samples.
      if (exact != metrics::kDefaultExactSamples || report_lines.unreadable != 0 || report_lines.no_timeline != 0) {
        continue;
      }
      const auto it = report_lines.chunk_latencies.find(p.index);
      const std::size_t itl = it == report_lines.chunk_latencies.end() ? 0 : it->second.itl_ms.count;
      const std::size_t gaps = it == report_lines.chunk_latencies.end() ? 0 : it->second.inter_chunk_ms.count;
      if (itl != s.latency.itl_ms.count || gaps != s.latency.inter_chunk_ms.count) fail();
      if (itl > 0 && (it->second.itl_ms.min != s.latency.itl_ms.min || it->second.itl_ms.max != s.latency.itl_ms.max)) {
        fail();
      }
    }
  }
  if (records > lines) fail();
  return 0;
}
