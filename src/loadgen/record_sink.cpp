#include "loadgen/record_sink.hpp"

#include <algorithm>

#include "metrics/request_metrics.hpp"

namespace inferbench::loadgen {

RecordSink::RecordSink(metrics::RequestRecord& record, const RecordSinkOptions& options)
    : record_(record), options_(options) {
  // ~4 bytes per token in English; 8 leaves room so the hot path does not reallocate.
  if (options_.output_tokenizer) {
    output_text_.reserve(static_cast<std::size_t>(std::max<std::int64_t>(record_.max_tokens, 0)) * 8 + 64);
  }
}

void RecordSink::on_sent(TimePoint t) {
  // A retry on a fresh connection (stale keep-alive) sends again: the later send counts, and the
  // record says it was retried.
  if (record_.sent) record_.retried = true;
  record_.sent = t;
  if (options_.closed_loop) record_.scheduled = t;
}

void RecordSink::on_headers(int status, TimePoint t) {
  record_.headers = t;
  record_.http_status = status;
}

void RecordSink::on_event() { ++record_.events; }

void RecordSink::on_chunk(TimePoint t, std::uint32_t tokens, std::string_view text) {
  record_.chunks.push_back({t, tokens});
  streamed_ = true;
  if (options_.output_tokenizer) output_text_.append(text);
}

void RecordSink::on_whole_output(TimePoint t, std::string_view text) {
  count_output(text);
  // Without streaming every token arrives at once: one chunk holding all of them (its count is
  // the request's output count, which metrics::derive checks before it believes it).
  record_.chunks.push_back({t, 0});
}

void RecordSink::on_usage(const metrics::Usage& usage) {
  if (usage.prompt_tokens) record_.usage.prompt_tokens = usage.prompt_tokens;
  if (usage.completion_tokens) record_.usage.completion_tokens = usage.completion_tokens;
  if (usage.cached_tokens) record_.usage.cached_tokens = usage.cached_tokens;
}

void RecordSink::on_done(TimePoint t, metrics::Failure failure, std::string_view detail) {
  record_.done = t;
  record_.failure = failure;
  record_.error_detail = detail;
  // A streamed answer is counted once it is whole; a failed one is not counted at all.
  if (streamed_ && failure == metrics::Failure::None) count_output(output_text_);
}

void RecordSink::count_output(std::string_view text) {
  // Once per response, after its last byte: never on the per-chunk path.
  // Also when the server's count is not believed (metrics::check_usage).
  const bool usage_counts =
      record_.usage.completion_tokens && metrics::check_usage(record_) == metrics::UsageProblem::None;
  if (options_.output_tokenizer && !usage_counts) {
    record_.client_output_tokens = static_cast<std::int64_t>(options_.output_tokenizer->count(text));
  }
}

}  // namespace inferbench::loadgen
