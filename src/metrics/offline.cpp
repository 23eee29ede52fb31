#include "metrics/offline.hpp"

#include <algorithm>
#include <optional>

namespace inferbench::metrics {

namespace {

std::int64_t input_tokens(const RequestRecord& r) {
  if (r.usage.prompt_tokens) return *r.usage.prompt_tokens;
  return std::max<std::int64_t>(r.client_prompt_tokens, 0);
}

std::int64_t output_tokens(const RequestRecord& r) {
  if (r.usage.completion_tokens) return *r.usage.completion_tokens;
  if (r.client_output_tokens >= 0) return r.client_output_tokens;
  std::int64_t n = 0;
  for (const ChunkTime& c : r.chunks) n += c.tokens > 0 ? c.tokens : 1;
  return n;
}

}  // namespace

OfflineThroughput offline_throughput(const std::vector<RequestRecord>& records) {
  OfflineThroughput out;
  std::optional<TimePoint> first;
  std::optional<TimePoint> last;
  for (const RequestRecord& r : records) {
    if (r.warmup) continue;
    ++out.num_requests;
    if (r.sent && (!first || *r.sent < *first)) first = *r.sent;
    if (r.done != TimePoint{} && (!last || r.done > *last)) last = r.done;
    if (!r.ok()) {
      ++out.failed;
      continue;
    }
    ++out.completed;
    out.total_input_tokens += input_tokens(r);
    out.total_output_tokens += output_tokens(r);
  }
  if (first && last && *last > *first) out.elapsed_time = to_s(*last - *first);
  if (out.elapsed_time > 0) {
    const double t = out.elapsed_time;
    out.requests_per_second = static_cast<double>(out.completed) / t;
    out.input_tokens_per_second = static_cast<double>(out.total_input_tokens) / t;
    out.output_tokens_per_second = static_cast<double>(out.total_output_tokens) / t;
    out.total_tokens_per_second = static_cast<double>(out.total_input_tokens + out.total_output_tokens) / t;
  }
  return out;
}

}  // namespace inferbench::metrics
