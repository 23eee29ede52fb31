#pragma once
// The JSON bodies the simulator sends, in the shapes vLLM sends them.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace inferbench::sim {

// What the simulator understood of one completions or chat request.
struct ParsedRequest {
  bool chat = false;
  bool stream = false;
  bool include_usage = false;
  bool continuous_usage = false;  // stream_options.continuous_usage_stats (with include_usage)
  bool ignore_eos = false;
  std::int64_t max_tokens = 0;            // 0 = not given
  std::int64_t prompt_tokens = 0;         // words in the prompt (the simulator's tokenizer)
  std::vector<std::uint32_t> prompt_ids;  // one id per word (a hash), for the prefix cache
  std::string model;
  std::string error;  // non-empty: the request is invalid (HTTP 400 with this message)
};

// Parses a request body; never throws (a bad body sets `error`). Prompt tokens are counted
// with `tokenizer` when given (message contents only: no chat template), else as words.
ParsedRequest parse_request(std::string_view body, bool chat, const tokenizer::Tokenizer* tokenizer);

// Tokenizes the way the simulator does: one token per whitespace-separated word, whose id is
// a hash of the word (so equal prefixes have equal ids). Appends to `ids`.
void append_word_ids(std::string_view text, std::vector<std::uint32_t>& ids);

// Token counts of a response so far, as vLLM's `usage` carries them.
struct Usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
};

// Appends the SSE event for a chunk carrying `text` (finish_reason set on the last one), with
// `usage` when given (stream_options.continuous_usage_stats).
void append_chunk_event(std::string& out, bool chat, std::string_view id, std::string_view model, std::string_view text,
                        std::string_view finish_reason, const Usage* usage = nullptr);
// Appends the chat role-only first chunk event.
void append_role_event(std::string& out, std::string_view id, std::string_view model);
// Appends the usage-only chunk event (empty choices).
void append_usage_event(std::string& out, bool chat, std::string_view id, std::string_view model,
                        std::int64_t prompt_tokens, std::int64_t completion_tokens,
                        std::optional<std::int64_t> cached_tokens);
// A complete non-streamed response body.
std::string full_response(bool chat, std::string_view id, std::string_view model, std::string_view text,
                          std::string_view finish_reason, std::int64_t prompt_tokens, std::int64_t completion_tokens,
                          std::optional<std::int64_t> cached_tokens);
// vLLM's error body: {"object":"error","message":..,"type":..,"param":null,"code":..}.
std::string error_body(std::string_view message, std::string_view type, int code);
// The same with vLLM's type for `status` (BadRequestError, NotFoundError, ...).
std::string error_body(std::string_view message, int status);
// vLLM's error type for an HTTP status.
std::string_view error_type(int status);
// vLLM's in-stream error event payload: {"error": <error body>}.
std::string stream_error_body(std::string_view message, std::string_view type, int code);

}  // namespace inferbench::sim
