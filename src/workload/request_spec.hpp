#pragma once
// What one request asks for, built before the run.
#include <cstdint>
#include <string>
#include <vector>

namespace inferbench::workload {

// One chat message (role "system", "user" or "assistant").
struct ChatMessage {
  std::string role;
  std::string content;
};

struct RequestSpec {
  std::string prompt;                 // the user text (completions prompt or one chat user message)
  std::vector<ChatMessage> messages;  // when non-empty: the chat conversation sent instead of `prompt`
  std::int64_t input_tokens = -1;     // the client's count of the prompt's tokens, -1 = unknown
  std::int64_t max_tokens = 0;        // output tokens requested (sent with ignore_eos)
};

}  // namespace inferbench::workload
