#pragma once
// Reads one HTTP response for the HTTP target: SSE events are decoded as they arrive and each
// output-bearing chunk goes to the StreamSink with the time its bytes crossed the socket.
// Failures become one label, the first cause (docs/architecture.md, "Failures"). Runs on a
// worker thread.
#include <cstdint>
#include <string>
#include <string_view>

#include "http/client.hpp"
#include "protocol/openai.hpp"
#include "protocol/sse_parser.hpp"
#include "target/target.hpp"

namespace inferbench::loadgen {

struct ResponseReaderOptions {
  bool stream = true;                                       // an SSE stream is expected
  Duration first_token_timeout = std::chrono::seconds(60);  // send → first output chunk
  Duration request_timeout = std::chrono::seconds(600);     // send → end of response
  const std::vector<std::string>* secrets = nullptr;        // redacted from failure details
  // Output chunks past which a stream is cut as an overrun: max_tokens + slack (0 = no limit).
  std::int64_t max_output_chunks = 0;
};

class ResponseReader final : public http::ResponseHandler {
 public:
  // `sink` and `decoder` must outlive the reader; `decoder` may be shared by the streams of one
  // worker (decode is synchronous and its views are consumed before it returns).
  ResponseReader(target::StreamSink& sink, protocol::ChunkDecoder& decoder, const ResponseReaderOptions& options);

  void on_sent(TimePoint t) override;
  void on_content_headers(std::string_view content_type, std::string_view content_encoding) override;
  void on_headers(int status, TimePoint t) override;
  void on_body(std::string_view bytes, TimePoint t) override;
  TimePoint deadline() const override;

  // Ends the response once the exchange ended: the sink's on_done with the failure, if any.
  void finish(const http::Outcome& outcome);

 private:
  // How a 2xx body is read, decided by its Content-Type and Content-Encoding
  // (docs/architecture.md, "Failures").
  enum class BodyKind : std::uint8_t {
    Events,      // an SSE stream (text/event-stream, or no Content-Type) to a streaming request
    Whole,       // one JSON body: a non-streamed answer, or a JSON answer to a streaming request
    Unexpected,  // any other type or an encoding: only its start is kept, to be named
  };

  void on_event(std::string_view data, TimePoint t);
  void fail(metrics::Failure failure, std::string detail);
  void finish_body();
  void finish_whole_body();

  target::StreamSink& sink_;
  protocol::ChunkDecoder& decoder_;
  protocol::SseParser sse_;
  ResponseReaderOptions options_;
  int status_ = 0;
  bool ok_status_ = false;
  bool done_seen_ = false;
  bool output_seen_ = false;
  bool overrun_ = false;  // cut: the next read's deadline has passed
  std::int64_t output_chunks_ = 0;
  std::uint32_t events_ = 0;
  TimePoint sent_{};
  TimePoint done_at_{};  // when [DONE] arrived
  TimePoint last_read_{};
  std::string body_;  // non-streamed body, or the start of an error or unexpected body
  BodyKind body_kind_;
  std::string content_type_;      // kept only when it is not the one asked for (named in the failure)
  std::string content_encoding_;  // kept only when it is not identity
  metrics::Failure failure_ = metrics::Failure::None;
  std::string detail_;
};

// The failure of a transport outcome (connect_failed, reset_mid_stream, …); None when complete.
metrics::Failure outcome_failure(const http::Outcome& outcome, bool first_token_seen, bool first_token_deadline);

}  // namespace inferbench::loadgen
