#pragma once
// Fills one RequestRecord from what a Target reports (docs/metrics.md defines every field).
// Runs on the worker thread that started the request; no allocation per chunk (the record's
// chunk vector is reserved ahead by the worker).
#include <string>

#include "metrics/request_record.hpp"
#include "target/target.hpp"
#include "tokenizer/tokenizer.hpp"

namespace inferbench::loadgen {

struct RecordSinkOptions {
  bool closed_loop = true;  // the intended send is the actual send (no schedule)
  // Counts the output text client-side, once at the end, when the usage has no
  // completion_tokens (--tokenizer). Null: the text is not kept.
  const tokenizer::Tokenizer* output_tokenizer = nullptr;
};

class RecordSink final : public target::StreamSink {
 public:
  // `record` must outlive the sink; its max_tokens sizes the kept output text.
  RecordSink(metrics::RequestRecord& record, const RecordSinkOptions& options);

  void on_sent(TimePoint t) override;
  void on_headers(int status, TimePoint t) override;
  void on_event() override;
  void on_chunk(TimePoint t, std::uint32_t tokens, std::string_view text) override;
  void on_whole_output(TimePoint t, std::string_view text) override;
  void on_usage(const metrics::Usage& usage) override;
  void on_done(TimePoint t, metrics::Failure failure, std::string_view detail) override;

 private:
  void count_output(std::string_view text);

  metrics::RequestRecord& record_;
  RecordSinkOptions options_;
  std::string output_text_;  // streamed output text (only with an output tokenizer)
  bool streamed_ = false;    // output came as chunks (not as one whole response)
};

}  // namespace inferbench::loadgen
