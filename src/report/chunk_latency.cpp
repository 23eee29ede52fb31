#include "report/chunk_latency.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>

#include "metrics/request_metrics.hpp"

namespace inferbench::report {

namespace dom = simdjson::dom;

namespace {

// The bound results/record_line.cpp puts on every offset (~100 years): no sum of a hostile
// file's deltas can overflow.
constexpr std::int64_t kMaxOffsetNs = std::int64_t{1} << 61;

// An integer in [lo, hi], or nullopt (absent, null, a float, a string, out of range).
// simdjson types a whole number above INT64_MAX as UINT64, so every other integer is INT64.
std::optional<std::int64_t> integer_in(dom::element v, std::int64_t lo, std::int64_t hi) {
  if (v.type() != dom::element_type::INT64) return std::nullopt;
  const std::int64_t x = v.get_int64().value_unsafe();
  if (x < lo || x > hi) return std::nullopt;
  return x;
}

// An optional field's integer (nullopt when the field is absent).
std::optional<std::int64_t> integer_of(const std::optional<dom::element>& v) {
  if (!v) return std::nullopt;
  return integer_in(*v, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max());
}

// The fields of a line the ITL depends on. A key given twice counts by its last value, as
// nlohmann (results::read_results, the summary's reader) takes it; simdjson's lookup would
// take the first.
struct TimelineFields {
  std::optional<dom::element> chunk_ns, chunk_tokens, prompt_tokens, completion_tokens, cached_tokens,
      client_prompt_tokens, client_output_tokens, max_tokens;

  explicit TimelineFields(dom::object line) {
    for (const dom::key_value_pair field : line) {
      const std::string_view key = field.key;
      if (key == "chunk_ns") {
        chunk_ns = field.value;
      } else if (key == "chunk_tokens") {
        chunk_tokens = field.value;
      } else if (key == "prompt_tokens") {
        prompt_tokens = field.value;
      } else if (key == "completion_tokens") {
        completion_tokens = field.value;
      } else if (key == "cached_tokens") {
        cached_tokens = field.value;
      } else if (key == "client_prompt_tokens") {
        client_prompt_tokens = field.value;
      } else if (key == "client_output_tokens") {
        client_output_tokens = field.value;
      } else if (key == "max_tokens") {
        max_tokens = field.value;
      }
    }
  }
};

// The ranks k·(n−1)/(steps−1), k < steps = min(n, max_points), of n sorted samples: evenly
// spaced, the first and the last always included.
std::vector<std::uint64_t> cdf_ranks(std::uint64_t n, std::size_t max_points) {
  std::vector<std::uint64_t> ranks;
  if (n == 0 || max_points == 0) return ranks;
  const std::uint64_t steps = std::min<std::uint64_t>(n, max_points);
  ranks.reserve(static_cast<std::size_t>(steps));
  // k·(n−1)/(steps−1) as k·q + k·r/(steps−1): n may be a count of tokens, where k·(n−1) could
  // overflow, while k·r < steps² stays small.
  const std::uint64_t q = steps == 1 ? 0 : (n - 1) / (steps - 1);
  const std::uint64_t r = steps == 1 ? 0 : (n - 1) % (steps - 1);
  for (std::uint64_t k = 0; k < steps; ++k) ranks.push_back(steps == 1 ? n - 1 : k * q + k * r / (steps - 1));
  return ranks;
}

}  // namespace

std::vector<CdfPoint> cdf_points(const metrics::SampleSet& set, std::size_t max_points) {
  const std::vector<std::uint64_t> ranks = cdf_ranks(set.count(), max_points);
  const std::vector<double> values = set.at_ranks(ranks);
  std::vector<CdfPoint> points(ranks.size());
  const auto n = static_cast<double>(set.count());
  for (std::size_t i = 0; i < ranks.size(); ++i) points[i] = {values[i], static_cast<double>(ranks[i] + 1) / n};
  return points;
}

std::vector<CdfPoint> cdf_points(const std::vector<double>& values, std::size_t max_points) {
  metrics::SampleSet set(std::max<std::size_t>(values.size(), 1));  // every sample kept
  for (const double v : values) set.add(v);
  return cdf_points(set, max_points);
}

std::vector<CdfPoint> cdf_points(const std::vector<metrics::WeightedSample>& samples, std::size_t max_points) {
  metrics::SampleSet set(std::max<std::size_t>(samples.size(), 1));
  for (const auto& s : samples) set.add(s.value, s.weight);
  return cdf_points(set, max_points);
}

ChunkLatencyPool::ChunkLatencyPool(std::size_t exact_samples) : itl_(exact_samples), gaps_(exact_samples) {}

bool ChunkLatencyPool::add(dom::object line) {
  const TimelineFields f(line);
  dom::array times;
  if (!f.chunk_ns || f.chunk_ns->get(times) != simdjson::SUCCESS) return false;
  const bool counted = f.chunk_tokens && !f.chunk_tokens->is_null();
  dom::array tokens;
  if (counted && f.chunk_tokens->get(tokens) != simdjson::SUCCESS) return false;

  // The record metrics::summarize held, as far as the ITL depends on it: chunk times (from a
  // send at the clock's epoch: only differences matter) and counts, and what out_i comes from.
  metrics::RequestRecord& r = record_;
  r.chunks.clear();
  r.sent = TimePoint{};
  std::int64_t t = 0;
  // The two arrays are walked together, not compared by size(): simdjson's size() stops
  // counting at 2^24 - 1.
  dom::array::iterator said_it;
  if (counted) said_it = tokens.begin();
  for (const dom::element time : times) {
    const auto delta = integer_in(time, -kMaxOffsetNs, kMaxOffsetNs);
    if (!delta) return false;
    t += *delta;
    if (t < -kMaxOffsetNs || t > kMaxOffsetNs) return false;
    std::int64_t n = 0;  // 0 = unknown, as the engine records it
    if (counted) {
      if (said_it == tokens.end()) return false;
      const auto said = integer_in(*said_it, 0, std::numeric_limits<std::uint32_t>::max());
      if (!said) return false;
      n = *said;
      ++said_it;
    }
    r.chunks.push_back({TimePoint{} + std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(t)),
                        static_cast<std::uint32_t>(n)});
  }
  if (counted && said_it != tokens.end()) return false;
  r.usage.prompt_tokens = integer_of(f.prompt_tokens);
  r.usage.completion_tokens = integer_of(f.completion_tokens);
  r.usage.cached_tokens = integer_of(f.cached_tokens);
  r.client_prompt_tokens = integer_of(f.client_prompt_tokens).value_or(-1);
  r.client_output_tokens = integer_of(f.client_output_tokens).value_or(-1);
  r.max_tokens = integer_of(f.max_tokens).value_or(0);

  const metrics::RequestMetrics m = metrics::derive(r);
  itl_scratch_.clear();
  metrics::append_itl_ms(r, m, itl_scratch_);
  for (const auto& x : itl_scratch_) itl_.add(x.value, x.weight);
  gap_scratch_.clear();
  metrics::append_inter_chunk_ms(r, gap_scratch_);
  for (const double gap : gap_scratch_) gaps_.add(gap);
  return true;
}

ChunkLatencies ChunkLatencyPool::reduce() const {
  return {cdf_points(itl_), cdf_points(gaps_), itl_.describe(), gaps_.describe()};
}

}  // namespace inferbench::report
