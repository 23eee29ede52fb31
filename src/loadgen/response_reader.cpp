#include "loadgen/response_reader.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>

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

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The media type of a Content-Type value: "text/html" of "text/html; charset=iso-8859-1".
std::string_view media_type(std::string_view content_type) {
  return trim(content_type.substr(0, content_type.find(';')));
}

bool is_event_stream(std::string_view content_type) { return iequals(media_type(content_type), "text/event-stream"); }

bool is_json(std::string_view content_type) {
  const std::string_view type = media_type(content_type);
  const std::string_view suffix = "+json";  // application/problem+json and the like
  return iequals(type, "application/json") ||
         (type.size() > suffix.size() && iequals(type.substr(type.size() - suffix.size()), suffix));
}

// The start of a body for a failure's detail, on one line.
std::string first_bytes(std::string_view body) {
  constexpr std::size_t kShown = 80;
  if (body.empty()) return "an empty body";
  std::string shown(body.substr(0, kShown));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  while (!shown.empty() && shown.back() == ' ') shown.pop_back();
  return "first bytes: " + shown + (body.size() > kShown ? "..." : "");
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
    : sink_(sink),
      decoder_(decoder),
      options_(options),
      body_kind_(options.stream ? BodyKind::Events : BodyKind::Whole) {}

void ResponseReader::on_sent(TimePoint t) {
  sent_ = t;
  sink_.on_sent(t);
}

void ResponseReader::on_content_headers(std::string_view content_type, std::string_view content_encoding) {
  // inferbench asks for identity (Accept-Encoding) and decodes no compression: a compressed
  // body would read as garbage, so it is named instead.
  if (!content_encoding.empty() && !iequals(trim(content_encoding), "identity")) {
    content_encoding_ = content_encoding;
    body_kind_ = BodyKind::Unexpected;
    return;
  }
  const bool json = is_json(content_type);
  if (options_.stream) {
    // A server that ignored "stream": true, or answered with an error object, sends JSON.
    body_kind_ = content_type.empty() || is_event_stream(content_type) ? BodyKind::Events
                 : json                                                ? BodyKind::Whole
                                                                       : BodyKind::Unexpected;
    if (body_kind_ != BodyKind::Events) content_type_ = content_type;
  } else {
    body_kind_ = content_type.empty() || json ? BodyKind::Whole : BodyKind::Unexpected;
    if (body_kind_ != BodyKind::Whole) content_type_ = content_type;
  }
}

void ResponseReader::on_headers(int status, TimePoint t) {
  status_ = status;
  ok_status_ = status >= 200 && status < 300;
  sink_.on_headers(status, t);
  if (ok_status_ && !content_encoding_.empty()) {
    fail(Failure::UnexpectedContent,
         fmt::format("Content-Encoding {} is not supported (inferbench asks for identity)", content_encoding_));
  }
}

void ResponseReader::on_body(std::string_view bytes, TimePoint t) {
  last_read_ = t;
  if (!ok_status_ || body_kind_ != BodyKind::Events) {
    const bool whole_answer = ok_status_ && body_kind_ == BodyKind::Whole;
    const std::size_t cap = whole_answer ? kMaxResponseBody : kMaxErrorBody;  // else only its start is shown
    const std::size_t room = std::min(bytes.size(), cap - std::min(cap, body_.size()));
    body_.append(bytes.substr(0, room));
    if (whole_answer && room < bytes.size()) {
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
  const protocol::ChunkInfo& chunk = decoder_.decode(data);
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
    // Each chunk holds at least one token: more chunks than max_tokens + slack is a server that
    // ignored the limit (llama.cpp builds of early 2025 did on chat) and would stream until its
    // context ends. Cut it; the record keeps what came within the limit.
    if (options_.max_output_chunks > 0 && ++output_chunks_ > options_.max_output_chunks) {
      overrun_ = true;
      return fail(Failure::Overrun, fmt::format("the stream went past {} output chunks (max_tokens + slack): the "
                                                "server ignored max_tokens, so it was cut there",
                                                options_.max_output_chunks));
    }
    sink_.on_chunk(t, 0, chunk.output_text);
  }
}

TimePoint ResponseReader::deadline() const {
  if (overrun_) return sent_;  // already passed: the exchange ends at the next read
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
    if (!content_encoding_.empty()) {
      return fail(Failure::HttpStatus,
                  fmt::format("HTTP {} (a {}-encoded body, not shown)", status_, content_encoding_));
    }
    const protocol::ResponseInfo info = decoder_.decode_response(body_);
    const std::string message = info.error && !info.error_message.empty() ? info.error_message : body_;
    fail(Failure::HttpStatus, fmt::format("HTTP {}: {:.200}", status_, message));
    return;
  }
  switch (body_kind_) {
    case BodyKind::Unexpected:
      // Named by what arrived (a proxy's HTML page, plain text, ...), never as a broken stream.
      return fail(Failure::UnexpectedContent,
                  fmt::format("expected {}, got {} ({})", options_.stream ? "text/event-stream" : "application/json",
                              content_type_, first_bytes(body_)));
    case BodyKind::Whole: return finish_whole_body();
    case BodyKind::Events: break;
  }
  if (sse_.has_partial_event()) {
    fail(Failure::TruncatedStream, "the stream ended inside an event");
  } else if (!output_seen_) {
    fail(Failure::NoOutput, events_ == 0 ? "2xx response without any SSE event (is streaming supported?)"
                                         : "the stream carried no output");
  }
}

void ResponseReader::finish_whole_body() {
  if (failure_ != Failure::None) return;  // too large: not decoded
  const protocol::ResponseInfo info = decoder_.decode_response(body_);
  if (options_.stream) {
    // JSON to a streaming request: an error object is the server's answer; a whole answer is
    // not counted as one, since its one arrival time would pass for a first token.
    if (info.error) return fail(Failure::ResponseError, "error in the response: " + info.error_message);
    if (info.malformed || !info.has_output) {
      return fail(Failure::UnexpectedContent,
                  fmt::format("expected text/event-stream, got {} ({})", content_type_, first_bytes(body_)));
    }
    return fail(Failure::UnexpectedContent,
                fmt::format("expected text/event-stream, got {}: a whole answer, not a stream (the server or a proxy "
                            "ignored \"stream\": true; --no-stream measures whole answers)",
                            content_type_));
  }
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
