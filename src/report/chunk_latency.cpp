#include "report/chunk_latency.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>

#include "metrics/request_metrics.hpp"

namespace inferbench::report {

using nlohmann::json;

namespace {

// The bound results/record_line.cpp puts on every offset (~100 years): no sum of a hostile
// file's deltas can overflow.
constexpr std::int64_t kMaxOffsetNs = std::int64_t{1} << 61;

// An integer in [lo, hi], or nullopt (absent, null, a float, a string, out of range).
std::optional<std::int64_t> integer_in(const json& v, std::int64_t lo, std::int64_t hi) {
  if (!v.is_number_integer()) return std::nullopt;
  if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(hi)) return std::nullopt;
  const auto x = v.get<std::int64_t>();
  if (x < lo || x > hi) return std::nullopt;
  return x;
}

std::optional<std::int64_t> integer_at(const json& line, const char* key) {
  const auto it = line.find(key);
  if (it == line.end()) return std::nullopt;
  return integer_in(*it, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max());
}

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

// The CDF of a sample set's observations at those ranks.
std::vector<CdfPoint> cdf_of(const metrics::SampleSet& set, std::size_t max_points) {
  const std::vector<std::uint64_t> ranks = cdf_ranks(set.count(), max_points);
  const std::vector<double> values = set.at_ranks(ranks);
  std::vector<CdfPoint> points(ranks.size());
  const auto n = static_cast<double>(set.count());
  for (std::size_t i = 0; i < ranks.size(); ++i) points[i] = {values[i], static_cast<double>(ranks[i] + 1) / n};
  return points;
}

}  // namespace

std::vector<CdfPoint> cdf_points(const std::vector<double>& values, std::size_t max_points) {
  metrics::SampleSet set(std::max<std::size_t>(values.size(), 1));  // every sample kept
  for (const double v : values) set.add(v);
  return cdf_of(set, max_points);
}

std::vector<CdfPoint> cdf_points(const std::vector<metrics::WeightedSample>& samples, std::size_t max_points) {
  metrics::SampleSet set(std::max<std::size_t>(samples.size(), 1));
  for (const auto& s : samples) set.add(s.value, s.weight);
  return cdf_of(set, max_points);
}

ChunkLatencyPool::ChunkLatencyPool(std::size_t exact_samples) : itl_(exact_samples), gaps_(exact_samples) {}

bool ChunkLatencyPool::add(const json& line) {
  const auto times = line.find("chunk_ns");
  if (times == line.end() || !times->is_array()) return false;
  const auto tokens = line.find("chunk_tokens");
  const bool counted = tokens != line.end() && !tokens->is_null();
  if (counted && (!tokens->is_array() || tokens->size() != times->size())) return false;

  // The record metrics::summarize held, as far as the ITL depends on it: chunk times (from a
  // send at the clock's epoch: only differences matter) and counts, and what out_i comes from.
  metrics::RequestRecord& r = record_;
  r.chunks.clear();
  r.sent = TimePoint{};
  std::int64_t t = 0;
  for (std::size_t k = 0; k < times->size(); ++k) {
    const auto delta = integer_in((*times)[k], -kMaxOffsetNs, kMaxOffsetNs);
    if (!delta) return false;
    t += *delta;
    if (t < -kMaxOffsetNs || t > kMaxOffsetNs) return false;
    std::int64_t n = 0;  // 0 = unknown, as the engine records it
    if (counted) {
      const auto said = integer_in((*tokens)[k], 0, std::numeric_limits<std::uint32_t>::max());
      if (!said) return false;
      n = *said;
    }
    r.chunks.push_back({TimePoint{} + std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(t)),
                        static_cast<std::uint32_t>(n)});
  }
  r.usage.prompt_tokens = integer_at(line, "prompt_tokens");
  r.usage.completion_tokens = integer_at(line, "completion_tokens");
  r.usage.cached_tokens = integer_at(line, "cached_tokens");
  r.client_prompt_tokens = integer_at(line, "client_prompt_tokens").value_or(-1);
  r.client_output_tokens = integer_at(line, "client_output_tokens").value_or(-1);
  r.max_tokens = integer_at(line, "max_tokens").value_or(0);

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
  ChunkLatencies out;
  out.itl_ms = itl_.describe();
  out.itl_cdf = cdf_of(itl_, kMaxCdfPoints);
  out.inter_chunk_ms = gaps_.describe();
  out.inter_chunk_cdf = cdf_of(gaps_, kMaxCdfPoints);
  return out;
}

}  // namespace inferbench::report
