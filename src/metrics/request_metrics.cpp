#include "metrics/request_metrics.hpp"

#include <algorithm>

namespace inferbench::metrics {

ChunkTokens::ChunkTokens(const RequestRecord& record, std::optional<std::int64_t> output_tokens) noexcept
    : chunks_(&record.chunks) {
  const std::size_t n = record.chunks.size();
  if (n == 0) return;
  const bool all_reported =
      std::all_of(record.chunks.begin(), record.chunks.end(), [](const ChunkTime& c) { return c.tokens > 0; });
  if (all_reported) {
    source_ = Source::Reported;
    return;
  }
  if (!output_tokens || *output_tokens < static_cast<std::int64_t>(n)) return;  // 1 per chunk
  source_ = Source::Estimated;
  const auto out = static_cast<std::uint64_t>(*output_tokens);
  if (n == 1) {
    first_ = out;  // a single chunk holds the whole output
    return;
  }
  const std::uint64_t later = n - 1;
  first_ = 1;
  base_ = (out - 1) / later;  // ≥ 1 because out ≥ n
  extra_ = (out - 1) % later;
}

std::uint64_t ChunkTokens::operator()(std::size_t k) const noexcept {
  switch (source_) {
    case Source::Reported: return (*chunks_)[k].tokens;
    case Source::Estimated:
      if (k == 0) return first_;
      return base_ + (k - 1 < extra_ ? 1 : 0);
    case Source::OnePerChunk: break;
  }
  return 1;
}

std::int64_t output_token_slack(std::int64_t max_tokens) noexcept {
  return std::max<std::int64_t>(16, max_tokens / 20);
}

UsageProblem check_usage(const RequestRecord& r) noexcept {
  const Usage& u = r.usage;
  for (const auto& count : {u.prompt_tokens, u.completion_tokens, u.cached_tokens}) {
    if (count && *count < 0) return UsageProblem::Negative;
    if (count && *count > kMaxPlausibleTokens) return UsageProblem::AboveLimit;
  }
  if (u.completion_tokens && r.max_tokens > 0 &&
      *u.completion_tokens > r.max_tokens + output_token_slack(r.max_tokens)) {
    return UsageProblem::AboveMaxTokens;
  }
  if (u.cached_tokens && u.prompt_tokens && *u.cached_tokens > *u.prompt_tokens) return UsageProblem::CachedAbovePrompt;
  return UsageProblem::None;
}

RequestMetrics derive(const RequestRecord& r) {
  RequestMetrics m;
  m.usage_problem = check_usage(r);
  const bool trust_usage = m.usage_problem == UsageProblem::None;
  if (trust_usage && r.usage.prompt_tokens) {
    m.input_tokens = *r.usage.prompt_tokens;
    m.input_tokens_from_usage = true;
  } else if (r.client_prompt_tokens >= 0) {
    m.input_tokens = r.client_prompt_tokens;
  }
  if (trust_usage && r.usage.completion_tokens) {
    m.output_tokens = *r.usage.completion_tokens;
    m.output_tokens_from_usage = true;
  } else if (r.client_output_tokens >= 0) {
    m.output_tokens = r.client_output_tokens;
  }
  m.over_max_tokens = m.output_tokens && r.max_tokens > 0 && *m.output_tokens > r.max_tokens;
  m.chunks = r.chunks.size();
  if (!r.sent) return m;  // never sent: no time to measure from
  const TimePoint sent = *r.sent;
  m.done_ms = to_ms(r.done - sent);
  m.schedule_lag_ms = to_ms(sent - r.scheduled);
  if (r.chunks.empty()) return m;

  const TimePoint first = r.chunks.front().t;
  const TimePoint last = r.chunks.back().t;
  m.ttft_ms = to_ms(first - sent);
  m.ttft_from_sched_ms = to_ms(first - r.scheduled);
  m.e2e_ms = to_ms(last - sent);
  m.e2e_from_sched_ms = to_ms(last - r.scheduled);
  if (m.output_tokens && *m.output_tokens >= 2) {
    m.tpot_ms = to_ms(last - first) / static_cast<double>(*m.output_tokens - 1);
  }
  if (m.output_tokens && *m.output_tokens >= 1) {
    m.ntpot_ms = *m.e2e_ms / static_cast<double>(*m.output_tokens);
  }
  if (r.chunks.size() >= 2) {
    const ChunkTokens tokens(r, m.output_tokens);
    double worst = 0.0;
    for (std::size_t k = 1; k < r.chunks.size(); ++k) {
      const double gap = to_ms(r.chunks[k].t - r.chunks[k - 1].t);
      worst = std::max(worst, gap / static_cast<double>(tokens(k)));
    }
    m.max_itl_ms = worst;
  }
  return m;
}

void append_itl_ms(const RequestRecord& r, const RequestMetrics& m, std::vector<WeightedSample>& out) {
  if (r.chunks.size() < 2) return;
  const ChunkTokens tokens(r, m.output_tokens);
  for (std::size_t k = 1; k < r.chunks.size(); ++k) {
    const std::uint64_t n = tokens(k);
    out.push_back({to_ms(r.chunks[k].t - r.chunks[k - 1].t) / static_cast<double>(n), n});
  }
}

void append_inter_chunk_ms(const RequestRecord& r, std::vector<double>& out) {
  for (std::size_t k = 1; k < r.chunks.size(); ++k) {
    out.push_back(to_ms(r.chunks[k].t - r.chunks[k - 1].t));
  }
}

}  // namespace inferbench::metrics
