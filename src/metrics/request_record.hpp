#pragma once
// The timeline of one request, as the engine records it (definitions in docs/metrics.md).
// Filled on the hot path by one worker thread; read by metrics and reports after it is done.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"

namespace inferbench::metrics {

// One streamed chunk that carried output (text, content or reasoning content).
struct ChunkTime {
  TimePoint t;               // when the bytes holding the chunk were read from the socket
  std::uint32_t tokens = 0;  // tokens in this chunk when the server says so, 0 = unknown
};

// Token counts the server reported in `usage` (absent when it did not send them).
struct Usage {
  std::optional<std::int64_t> prompt_tokens;
  std::optional<std::int64_t> completion_tokens;
  std::optional<std::int64_t> cached_tokens;  // usage.prompt_tokens_details.cached_tokens
};

// Why a request failed (docs/architecture.md, "Failures"). A type, not a string, so the hot path
// never compares text; report::failure_label turns it into the label written out, once.
enum class Failure : std::uint8_t {
  None,                   // success
  DnsFailed,              // the host name did not resolve
  ConnectFailed,          // refused, unreachable, or connect timeout
  TlsFailed,              // handshake or certificate verification failed
  ClosedBeforeResponse,   // the server closed or reset before a response header
  ResetBeforeFirstToken,  // the connection ended after the header, before any output
  ResetMidStream,         // the connection ended after some output
  BadHttp,                // the response was not valid HTTP/1.1
  TimeoutFirstToken,      // no output before the first-token timeout
  TimeoutRequest,         // the response did not end before the request timeout
  HttpStatus,             // a non-2xx status (the status is in RequestRecord::http_status)
  StreamError,            // an {"error": …} event after a 2xx
  MalformedChunk,         // an SSE event that is not a valid chunk
  MalformedStream,        // SSE framing broken (an event over the size limit)
  TruncatedStream,        // the stream ended inside an event
  NoOutput,               // a complete response that carried no output
  MalformedResponse,      // a non-streamed body that is not a valid response
  ResponseError,          // a JSON body (not an SSE stream) that is an error object
  ResponseTooLarge,       // a non-streamed body over the client's cap (kept memory bounded)
  UnexpectedContent,      // a 2xx body of another content type or encoding than the request asked for
  Overrun,                // a stream that went past max_tokens + slack, cut there (the server ignored the limit)
  ClientError,            // the client itself failed on this request (an exception)
  Cancelled,              // in flight when the run was interrupted
};

// A failure as it is counted: the HTTP status tells `http_429` from `http_500`.
struct FailureKey {
  Failure kind = Failure::None;
  int http_status = 0;  // only for Failure::HttpStatus, else 0
  auto operator<=>(const FailureKey&) const = default;
};

struct RequestRecord {
  std::uint64_t id = 0;
  bool warmup = false;              // warm-up requests are recorded but excluded from every statistic
  TimePoint scheduled{};            // intended send (open loop); equals `sent` in closed loop
  std::optional<TimePoint> sent;    // first byte of the request written; none = never sent
  TimePoint headers{};              // response headers read (epoch = never)
  TimePoint done{};                 // end of stream, error or timeout
  std::vector<ChunkTime> chunks;    // output-bearing chunks, in arrival order
  std::uint32_t events = 0;         // all SSE events received (output-bearing or not)
  bool retried = false;             // sent again on a fresh connection: a kept-alive one closed before any response
  int http_status = 0;              // 0 = no response
  Failure failure = Failure::None;  // why it failed; None = success
  std::string error_detail;         // human-readable detail of the failure (never an API key)
  Usage usage;
  std::int64_t client_prompt_tokens = -1;  // client's count of the prompt it sent, -1 = unknown
  std::int64_t client_output_tokens = -1;  // client's count of the generated text, -1 = unknown
  std::int64_t max_tokens = 0;             // output tokens requested

  bool ok() const { return failure == Failure::None; }
  FailureKey failure_key() const { return {failure, failure == Failure::HttpStatus ? http_status : 0}; }
};

}  // namespace inferbench::metrics
