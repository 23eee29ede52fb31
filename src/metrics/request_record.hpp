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

struct RequestRecord {
  std::uint64_t id = 0;
  bool warmup = false;            // warm-up requests are recorded but excluded from every statistic
  TimePoint scheduled{};          // intended send (open loop); equals `sent` in closed loop
  TimePoint sent{};               // first byte of the request written
  TimePoint headers{};            // response headers read (epoch = never)
  TimePoint done{};               // end of stream, error or timeout
  std::vector<ChunkTime> chunks;  // output-bearing chunks, in arrival order
  std::uint32_t events = 0;       // all SSE events received (output-bearing or not)
  int http_status = 0;            // 0 = no response
  std::string error;              // empty = success; otherwise a label such as "http_429"
  std::string error_detail;       // human-readable detail of the failure (never an API key)
  Usage usage;
  std::int64_t client_prompt_tokens = -1;  // client's count of the prompt it sent, -1 = unknown
  std::int64_t client_output_tokens = -1;  // client's count of the generated text, -1 = unknown
  std::int64_t max_tokens = 0;             // output tokens requested

  bool ok() const { return error.empty(); }
};

}  // namespace inferbench::metrics
