#pragma once
// MLPerf Offline throughput: every request submitted at once, measured from the first send to
// the last end. The names are the OCI offline blueprint's (docs/offline.md).
#include <cstdint>
#include <vector>

#include "metrics/request_record.hpp"

namespace inferbench::metrics {

struct OfflineThroughput {
  std::uint64_t num_requests = 0;        // requests sent (every record)
  std::uint64_t completed = 0;           // of which succeeded
  std::uint64_t failed = 0;              // of which failed (cancelled ones included)
  std::int64_t total_input_tokens = 0;   // prompt tokens of the completed requests
  std::int64_t total_output_tokens = 0;  // output tokens of the completed requests
  double elapsed_time = 0;               // s, first send → last end (every record)
  double requests_per_second = 0;        // completed / elapsed_time
  double input_tokens_per_second = 0;    // total_input_tokens / elapsed_time
  double output_tokens_per_second = 0;   // total_output_tokens / elapsed_time
  double total_tokens_per_second = 0;    // (input + output) / elapsed_time
};

// The throughput of one offline batch. A request's tokens are the server's usage when it gave
// them, else the client's counts (prompt: the count of what was sent; output: the tokenizer's
// count of the text, else one per output chunk). Warm-up records are left out. Rates are 0 when
// nothing elapsed.
OfflineThroughput offline_throughput(const std::vector<RequestRecord>& records);

}  // namespace inferbench::metrics
