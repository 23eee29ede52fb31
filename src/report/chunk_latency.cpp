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

// Points at ranks k·(n−1)/(steps−1) of n sorted samples, `value_at(rank)` giving the sample at a
// rank (called with ranks in increasing order).
template <typename ValueAt>
std::vector<CdfPoint> thin(std::uint64_t n, std::size_t max_points, ValueAt value_at) {
  std::vector<CdfPoint> points;
  if (n == 0 || max_points == 0) return points;
  const std::uint64_t steps = std::min<std::uint64_t>(n, max_points);
  points.reserve(static_cast<std::size_t>(steps));
  // k·(n−1)/(steps−1) as k·q + k·r/(steps−1): n may be a count of tokens, where k·(n−1) could
  // overflow, while k·r < steps² stays small.
  const std::uint64_t q = steps == 1 ? 0 : (n - 1) / (steps - 1);
  const std::uint64_t r = steps == 1 ? 0 : (n - 1) % (steps - 1);
  for (std::uint64_t k = 0; k < steps; ++k) {
    const std::uint64_t rank = steps == 1 ? n - 1 : k * q + k * r / (steps - 1);
    points.push_back({value_at(rank), static_cast<double>(rank + 1) / static_cast<double>(n)});
  }
  return points;
}

}  // namespace

std::vector<CdfPoint> cdf_points(std::vector<double> values, std::size_t max_points) {
  std::sort(values.begin(), values.end());
  return thin(values.size(), max_points, [&](std::uint64_t rank) { return values[rank]; });
}

std::vector<CdfPoint> cdf_points(std::vector<metrics::WeightedSample> samples, std::size_t max_points) {
  std::erase_if(samples, [](const metrics::WeightedSample& s) { return s.weight == 0; });
  std::sort(samples.begin(), samples.end(),
            [](const metrics::WeightedSample& a, const metrics::WeightedSample& b) { return a.value < b.value; });
  std::uint64_t total = 0;
  for (const auto& s : samples) total += s.weight;
  // Ranks come in increasing order: walk the samples once, `end` one past the current one's ranks.
  std::size_t at = 0;
  std::uint64_t end = samples.empty() ? 0 : samples.front().weight;
  return thin(total, max_points, [&](std::uint64_t rank) {
    while (rank >= end) end += samples[++at].weight;
    return samples[at].value;
  });
}

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
  metrics::append_itl_ms(r, m, itl_);
  metrics::append_inter_chunk_ms(r, gaps_);
  return true;
}

ChunkLatencies ChunkLatencyPool::reduce() {
  ChunkLatencies out;
  out.itl_ms = metrics::describe_weighted(itl_);
  out.itl_cdf = cdf_points(std::exchange(itl_, {}));
  out.inter_chunk_ms = metrics::describe(gaps_);
  out.inter_chunk_cdf = cdf_points(std::exchange(gaps_, {}));
  record_.chunks = {};
  return out;
}

}  // namespace inferbench::report
