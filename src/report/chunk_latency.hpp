#pragma once
// The report's latencies between chunks, from requests.jsonl's raw chunk timeline ("chunk_ns",
// "chunk_tokens"): the token-weighted ITL and the raw inter-chunk gaps of docs/metrics.md. The
// samples come from metrics' own functions (derive, append_itl_ms, append_inter_chunk_ms), the
// ones metrics::summarize uses, so the report's ITL is the summary's sample for sample, including
// how chunks of unknown token count are treated (metrics::ChunkTokens).
#include <cstddef>
#include <vector>

#include <simdjson.h>

#include "metrics/request_record.hpp"
#include "metrics/sample_set.hpp"
#include "metrics/stats.hpp"

namespace inferbench::report {

// At most this many points per CDF line: enough to draw the curve, small enough that a run of a
// million requests still makes a page of a few MB.
inline constexpr std::size_t kMaxCdfPoints = 400;

// One point of a CDF: a sample's value and the fraction of samples at ranks up to its own.
struct CdfPoint {
  double value = 0.0;
  double fraction = 0.0;
};

// The CDF of `values`, thinned to at most `max_points` points evenly spaced in rank, always
// keeping the first and last. With no more samples than `max_points`, every sample is a point.
std::vector<CdfPoint> cdf_points(const std::vector<double>& values, std::size_t max_points = kMaxCdfPoints);

// The same over the samples expanded (each value `weight` times) without expanding them: the
// ranks are the expanded ones, so a chunk of n tokens counts n times. Zero weights are ignored.
std::vector<CdfPoint> cdf_points(const std::vector<metrics::WeightedSample>& samples,
                                 std::size_t max_points = kMaxCdfPoints);

// The same over a sample set's observations (sorted in place once, as describe() sorts them;
// the histogram's estimates once it has folded).
std::vector<CdfPoint> cdf_points(const metrics::SampleSet& set, std::size_t max_points = kMaxCdfPoints);

// One load point's chunk latencies, reduced to what the page draws and the statistics of the
// same samples (equal to summary.json's latency.itl_ms and inter_chunk_ms for the same requests).
struct ChunkLatencies {
  std::vector<CdfPoint> itl_cdf;          // token-weighted ITL, ms
  std::vector<CdfPoint> inter_chunk_cdf;  // raw gaps between chunks, ms
  metrics::Distribution itl_ms;
  metrics::Distribution inter_chunk_ms;
};

// Gathers the chunk samples of one load point's requests while requests.jsonl is read, then
// reduces them. Its samples are metrics::SampleSets like the run's summary: exact up to
// `exact_samples` (the run's --exact-samples, so the statistics equal summary.json's), then a
// histogram, so a long run's report needs no more memory than its summary did. A request's own
// chunk list is never kept past its line.
class ChunkLatencyPool {
 public:
  explicit ChunkLatencyPool(std::size_t exact_samples = metrics::kDefaultExactSamples);

  // Adds the samples of one line of a successful measured request (the caller filters), parsed
  // with simdjson: a long run's requests.jsonl holds two numbers per chunk, millions of them.
  // Returns false, adding nothing, when its timeline is missing or malformed (a file written
  // before "chunk_ns" existed, a hostile one).
  bool add(simdjson::dom::object line);

  // The CDFs and statistics of everything added.
  ChunkLatencies reduce() const;

 private:
  metrics::RequestRecord record_;                     // reused line after line: its chunk list keeps its capacity
  std::vector<metrics::WeightedSample> itl_scratch_;  // one line's samples, capacity reused
  std::vector<double> gap_scratch_;
  metrics::SampleSet itl_;
  metrics::SampleSet gaps_;
};

}  // namespace inferbench::report
