#include "engine/stream_recorder.hpp"

#include <fmt/core.h>

namespace inferbench::engine {

namespace {

constexpr std::size_t kMaxErrorBody = 2048;  // enough for any error message; bounded memory

bool is_epoch(TimePoint t) { return t == TimePoint{}; }

void take_usage(metrics::Usage& into, const protocol::Usage& from) {
  if (from.prompt_tokens) into.prompt_tokens = from.prompt_tokens;
  if (from.completion_tokens) into.completion_tokens = from.completion_tokens;
  if (from.cached_tokens) into.cached_tokens = from.cached_tokens;
}

}  // namespace

std::string outcome_label(const http::Outcome& outcome, bool first_token_seen, bool first_token_deadline) {
  using Kind = http::Outcome::Kind;
  switch (outcome.kind) {
    case Kind::Complete: return {};
    case Kind::DnsFailed: return "dns_failed";
    case Kind::ConnectFailed: return "connect_failed";
    case Kind::TlsFailed: return "tls_failed";
    case Kind::Timeout: return !first_token_seen && first_token_deadline ? "timeout_first_token" : "timeout_request";
    case Kind::ClosedBeforeResponse: return "closed_before_response";
    case Kind::ResetMidBody: return first_token_seen ? "reset_mid_stream" : "reset_before_first_token";
    case Kind::BadHttp: return "bad_http";
    case Kind::Cancelled: return "cancelled";
  }
  return "unknown";
}

StreamRecorder::StreamRecorder(metrics::RequestRecord& record, protocol::ChunkDecoder& decoder, bool stream,
                               bool closed_loop, Duration first_token_timeout, Duration request_timeout,
                               const tokenizer::Tokenizer* output_tokenizer, std::size_t expected_tokens)
    : record_(record),
      decoder_(decoder),
      stream_(stream),
      closed_loop_(closed_loop),
      first_token_timeout_(first_token_timeout),
      request_timeout_(request_timeout),
      output_tokenizer_(output_tokenizer) {
  // ~4 bytes per token in English; 8 leaves room so the hot path does not reallocate.
  if (output_tokenizer_ && stream_) output_text_.reserve(expected_tokens * 8 + 64);
}

void StreamRecorder::on_sent(TimePoint t) {
  // A retry on a fresh connection (stale keep-alive) sends again: the later send counts.
  record_.sent = t;
  if (closed_loop_) record_.scheduled = t;
}

void StreamRecorder::on_headers(int status, TimePoint t) {
  record_.headers = t;
  record_.http_status = status;
  ok_status_ = status >= 200 && status < 300;
}

void StreamRecorder::on_body(std::string_view bytes, TimePoint t) {
  last_read_ = t;
  if (!ok_status_ || !stream_) {
    const std::size_t room =
        ok_status_ ? bytes.size() : std::min(bytes.size(), kMaxErrorBody - std::min(kMaxErrorBody, body_.size()));
    body_.append(bytes.substr(0, room));
    return;
  }
  if (sse_.failed()) return;
  const auto status = sse_.feed(bytes, [&](const protocol::SseEvent& event) { on_event(event.data, t); });
  if (status == protocol::SseStatus::EventTooLarge) {
    fail("malformed_stream", fmt::format("an SSE event exceeded {} bytes", sse_.max_event_bytes()));
  }
}

void StreamRecorder::on_event(std::string_view data, TimePoint t) {
  ++record_.events;
  if (done_seen_) return;  // nothing after [DONE] belongs to this response
  const protocol::ChunkInfo chunk = decoder_.decode(data);
  if (chunk.done) {
    done_seen_ = true;
    return;
  }
  if (chunk.malformed) {
    fail("malformed_chunk", fmt::format("malformed chunk ({}): {:.120}", chunk.malformed_reason, data));
    return;
  }
  if (chunk.error) {
    fail("stream_error", fmt::format("error event in the stream: {:.200}", chunk.error_message));
    return;
  }
  if (chunk.has_usage) take_usage(record_.usage, chunk.usage);
  if (chunk.has_output) {
    record_.chunks.push_back({t, 0});
    if (output_tokenizer_) output_text_.append(chunk.output_text);
  }
}

TimePoint StreamRecorder::deadline() const {
  if (is_epoch(record_.sent)) return Clock::now() + request_timeout_;
  const TimePoint total = record_.sent + request_timeout_;
  if (!record_.chunks.empty()) return total;
  return std::min(total, record_.sent + first_token_timeout_);
}

void StreamRecorder::fail(std::string label, std::string detail) {
  if (!record_.error.empty()) return;  // the first failure is the cause; later ones follow from it
  record_.error = std::move(label);
  record_.error_detail = std::move(detail);
}

void StreamRecorder::finish_body() {
  if (!ok_status_) {
    const protocol::ResponseInfo info = decoder_.decode_response(body_);
    const std::string message = info.error && !info.error_message.empty() ? info.error_message : body_;
    fail(fmt::format("http_{}", record_.http_status), fmt::format("HTTP {}: {:.200}", record_.http_status, message));
    return;
  }
  if (stream_) {
    if (sse_.has_partial_event()) {
      fail("truncated_stream", "the stream ended inside an event");
    } else if (record_.chunks.empty() && record_.error.empty()) {
      fail("no_output", record_.events == 0 ? "2xx response without any SSE event (is streaming supported?)"
                                            : "the stream carried no output");
    }
    count_output(output_text_);
    return;
  }
  const protocol::ResponseInfo info = decoder_.decode_response(body_);
  if (info.malformed) return fail("malformed_response", "invalid response body: " + info.malformed_reason);
  if (info.error) return fail("response_error", "error in the response: " + info.error_message);
  take_usage(record_.usage, info.usage);
  if (!info.has_output) return fail("no_output", "the response carried no output");
  count_output(info.output_text);
  // Without streaming every token arrives at once: one chunk holding all of them.
  const auto tokens = record_.usage.completion_tokens.value_or(std::max<std::int64_t>(0, record_.client_output_tokens));
  record_.chunks.push_back({last_read_, static_cast<std::uint32_t>(std::max<std::int64_t>(0, tokens))});
}

void StreamRecorder::count_output(std::string_view text) {
  // Once per response, after its last byte: never on the per-chunk path.
  if (output_tokenizer_ && !record_.usage.completion_tokens) {
    record_.client_output_tokens = static_cast<std::int64_t>(output_tokenizer_->count(text));
  }
}

void StreamRecorder::finish(const http::Outcome& outcome) {
  record_.done = outcome.kind == http::Outcome::Kind::Complete && !is_epoch(last_read_) ? last_read_ : Clock::now();
  if (outcome.kind == http::Outcome::Kind::Complete) {
    finish_body();
    return;
  }
  const bool first_token_deadline =
      !is_epoch(record_.sent) && record_.sent + first_token_timeout_ < record_.sent + request_timeout_;
  // A transport failure outranks an earlier chunk-level failure only when none was recorded.
  fail(outcome_label(outcome, !record_.chunks.empty(), first_token_deadline), outcome.detail);
}

}  // namespace inferbench::engine
