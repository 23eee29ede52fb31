#include "loadgen/response_reader.hpp"

#include <fmt/core.h>

namespace inferbench::loadgen {

namespace {

using metrics::Failure;

// After [DONE] the server has a short grace to end the HTTP body (so the connection stays
// reusable); one that never does still gets its answer counted, ended at [DONE].
constexpr Duration kDoneGrace = std::chrono::milliseconds(500);
constexpr std::size_t kMaxErrorBody = 2048;  // enough for any error message; bounded memory
// A non-streamed answer is kept whole to be decoded; beyond this it is not an LLM answer the
// client should hold (docs/architecture.md, "Failures": response_too_large).
constexpr std::size_t kMaxResponseBody = std::size_t{64} << 20;

bool is_epoch(TimePoint t) { return t == TimePoint{}; }

// Replaces every occurrence of each secret (of 4 or more bytes: shorter ones would blank
// ordinary words) with "***".
void redact(std::string& text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.size() < 4) continue;
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
      text.replace(at, secret.size(), "***");
    }
  }
}

metrics::Usage usage_of(const protocol::Usage& from) {
  return {from.prompt_tokens, from.completion_tokens, from.cached_tokens};
}

}  // namespace

Failure outcome_failure(const http::Outcome& outcome, bool first_token_seen, bool first_token_deadline) {
  using Kind = http::Outcome::Kind;
  switch (outcome.kind) {
    case Kind::Complete: return Failure::None;
    case Kind::DnsFailed: return Failure::DnsFailed;
    case Kind::ConnectFailed: return Failure::ConnectFailed;
    case Kind::TlsFailed: return Failure::TlsFailed;
    case Kind::Timeout:
      return !first_token_seen && first_token_deadline ? Failure::TimeoutFirstToken : Failure::TimeoutRequest;
    case Kind::ClosedBeforeResponse: return Failure::ClosedBeforeResponse;
    case Kind::ResetMidBody: return first_token_seen ? Failure::ResetMidStream : Failure::ResetBeforeFirstToken;
    case Kind::BadHttp: return Failure::BadHttp;
    case Kind::Cancelled: return Failure::Cancelled;
  }
  return Failure::BadHttp;
}

ResponseReader::ResponseReader(target::StreamSink& sink, protocol::ChunkDecoder& decoder,
                               const ResponseReaderOptions& options)
    : sink_(sink), decoder_(decoder), options_(options) {}

void ResponseReader::on_sent(TimePoint t) {
  sent_ = t;
  sink_.on_sent(t);
}

void ResponseReader::on_headers(int status, TimePoint t) {
  status_ = status;
  ok_status_ = status >= 200 && status < 300;
  sink_.on_headers(status, t);
}

void ResponseReader::on_body(std::string_view bytes, TimePoint t) {
  last_read_ = t;
  if (!ok_status_ || !options_.stream) {
    const std::size_t cap = ok_status_ ? kMaxResponseBody : kMaxErrorBody;
    const std::size_t room = std::min(bytes.size(), cap - std::min(cap, body_.size()));
    body_.append(bytes.substr(0, room));
    if (ok_status_ && room < bytes.size()) {
      fail(Failure::ResponseTooLarge, fmt::format("the response body exceeded {} bytes", kMaxResponseBody));
    }
    return;
  }
  if (sse_.failed()) return;
  const auto status = sse_.feed(bytes, [&](const protocol::SseEvent& event) { on_event(event.data, t); });
  if (status == protocol::SseStatus::EventTooLarge) {
    fail(Failure::MalformedStream, fmt::format("an SSE event exceeded {} bytes", sse_.max_event_bytes()));
  }
}

void ResponseReader::on_event(std::string_view data, TimePoint t) {
  ++events_;
  sink_.on_event();
  if (done_seen_) return;  // nothing after [DONE] belongs to this response
  const protocol::ChunkInfo chunk = decoder_.decode(data);
  if (chunk.done) {
    done_seen_ = true;
    done_at_ = t;
    return;
  }
  if (chunk.malformed) {
    fail(Failure::MalformedChunk, fmt::format("malformed chunk ({}): {:.120}", chunk.malformed_reason, data));
    return;
  }
  if (chunk.error) {
    fail(Failure::StreamError, fmt::format("error event in the stream: {:.200}", chunk.error_message));
    return;
  }
  if (chunk.has_usage) sink_.on_usage(usage_of(chunk.usage));
  if (chunk.has_output) {
    output_seen_ = true;
    sink_.on_chunk(t, 0, chunk.output_text);
  }
}

TimePoint ResponseReader::deadline() const {
  if (is_epoch(sent_)) return Clock::now() + options_.request_timeout;
  const TimePoint total = sent_ + options_.request_timeout;
  if (done_seen_) return std::min(total, done_at_ + kDoneGrace);
  if (output_seen_) return total;
  return std::min(total, sent_ + options_.first_token_timeout);
}

void ResponseReader::fail(Failure failure, std::string detail) {
  if (failure_ != Failure::None) return;  // the first failure is the cause; later ones follow from it
  failure_ = failure;
  detail_ = std::move(detail);
}

void ResponseReader::finish_body() {
  if (!ok_status_) {
    const protocol::ResponseInfo info = decoder_.decode_response(body_);
    const std::string message = info.error && !info.error_message.empty() ? info.error_message : body_;
    fail(Failure::HttpStatus, fmt::format("HTTP {}: {:.200}", status_, message));
    return;
  }
  if (options_.stream) {
    if (sse_.has_partial_event()) {
      fail(Failure::TruncatedStream, "the stream ended inside an event");
    } else if (!output_seen_) {
      fail(Failure::NoOutput, events_ == 0 ? "2xx response without any SSE event (is streaming supported?)"
                                           : "the stream carried no output");
    }
    return;
  }
  if (failure_ != Failure::None) return;  // too large: not decoded
  const protocol::ResponseInfo info = decoder_.decode_response(body_);
  if (info.malformed) return fail(Failure::MalformedResponse, "invalid response body: " + info.malformed_reason);
  if (info.error) return fail(Failure::ResponseError, "error in the response: " + info.error_message);
  sink_.on_usage(usage_of(info.usage));
  if (!info.has_output) return fail(Failure::NoOutput, "the response carried no output");
  sink_.on_whole_output(last_read_, info.output_text);
}

void ResponseReader::finish(const http::Outcome& outcome) {
  // A stream that said [DONE] is whole even if its body never ended (the grace ran out).
  const bool done_then_timeout = outcome.kind == http::Outcome::Kind::Timeout && done_seen_ && ok_status_;
  const bool complete = outcome.kind == http::Outcome::Kind::Complete || done_then_timeout;
  const TimePoint done = complete && !is_epoch(last_read_) ? last_read_ : Clock::now();
  if (complete) {
    finish_body();
  } else {
    const bool first_token_deadline =
        !is_epoch(sent_) && sent_ + options_.first_token_timeout < sent_ + options_.request_timeout;
    // A transport failure outranks an earlier chunk-level failure only when none was recorded.
    fail(outcome_failure(outcome, output_seen_, first_token_deadline), outcome.detail);
  }
  // Once per failed request, never per chunk: the server's text may echo a credential.
  if (failure_ != Failure::None && options_.secrets) redact(detail_, *options_.secrets);
  sink_.on_done(done, failure_, detail_);
}

}  // namespace inferbench::loadgen
