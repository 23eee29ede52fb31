#pragma once
// Turns one HTTP response into a RequestRecord: SSE events are decoded as they arrive and each
// output-bearing chunk is stamped with the time its bytes were read. Runs on a worker thread.
#include <string>

#include "http/client.hpp"
#include "metrics/request_record.hpp"
#include "protocol/openai.hpp"
#include "protocol/sse_parser.hpp"
#include "tokenizer/tokenizer.hpp"

namespace inferbench::engine {

class StreamRecorder final : public http::ResponseHandler {
 public:
  // `record` and `decoder` must outlive the recorder; `decoder` may be shared by the streams
  // of one worker (decode is synchronous and its views are consumed before it returns).
  // With `output_tokenizer`, the output text is kept (room reserved for `expected_tokens`) and
  // counted once at the end when the server's usage has no completion_tokens.
  StreamRecorder(metrics::RequestRecord& record, protocol::ChunkDecoder& decoder, bool stream, bool closed_loop,
                 Duration first_token_timeout, Duration request_timeout,
                 const tokenizer::Tokenizer* output_tokenizer = nullptr, std::size_t expected_tokens = 0);

  void on_sent(TimePoint t) override;
  void on_headers(int status, TimePoint t) override;
  void on_body(std::string_view bytes, TimePoint t) override;
  TimePoint deadline() const override;

  // Closes the record once the exchange ended: sets `done` and the failure label, if any.
  void finish(const http::Outcome& outcome);

 private:
  void on_event(std::string_view data, TimePoint t);
  void fail(std::string label, std::string detail);
  void finish_body();
  void count_output(std::string_view text);

  metrics::RequestRecord& record_;
  protocol::ChunkDecoder& decoder_;
  protocol::SseParser sse_;
  bool stream_;
  bool closed_loop_;
  Duration first_token_timeout_;
  Duration request_timeout_;
  bool ok_status_ = false;
  bool done_seen_ = false;
  TimePoint last_read_{};
  std::string body_;                              // non-streamed body, or the start of an error body
  const tokenizer::Tokenizer* output_tokenizer_;  // null = do not keep the output text
  std::string output_text_;                       // streamed output text (only with a tokenizer)
};

// The label of a transport outcome ("connect_failed", "reset_mid_stream", ...).
std::string outcome_label(const http::Outcome& outcome, bool first_token_seen, bool first_token_deadline);

}  // namespace inferbench::engine
