#pragma once
// OpenAI-compatible HTTP API: request bodies (built before the run), streamed chunk decoding
// (hot path, simdjson On-Demand), non-streamed response decoding and `/v1/models` parsing.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace inferbench::protocol {

// Which OpenAI endpoint a request goes to.
enum class Api { Completions, Chat };

// Request path of an API: "/v1/completions" or "/v1/chat/completions".
std::string path_for(Api api);

// Everything the encoder needs for one request body; plain data, built at setup time.
struct RequestBody {
  Api api = Api::Completions;
  std::string model;
  std::string prompt;  // Completions; Chat sends it as one user message when messages is empty
  std::vector<std::pair<std::string, std::string>> messages;  // Chat: (role, content)
  std::int64_t max_tokens = -1;                               // output token limit; negative = omit the limit fields
  bool stream = true;
  bool include_usage = true;                 // adds stream_options.include_usage (only when streaming)
  bool ignore_eos = false;                   // adds "ignore_eos": true (vLLM, SGLang, llama.cpp extension)
  std::optional<nlohmann::json> extra_body;  // JSON merge-patch applied last (null deletes)
};

// The JSON body for a request. Throws inferbench::Error if the body has nothing to send
// (Completions without a prompt but with messages) or extra_body is not an object.
std::string encode(const RequestBody& body);

// Token counts from a `usage` object; each is absent when the server did not send it.
struct Usage {
  std::optional<std::int64_t> prompt_tokens;
  std::optional<std::int64_t> completion_tokens;
  std::optional<std::int64_t> total_tokens;
  std::optional<std::int64_t> cached_tokens;  // usage.prompt_tokens_details.cached_tokens
};

// What one streamed event's data says. Every view is valid until the decoder's next call.
struct ChunkInfo {
  bool done = false;                       // data is `[DONE]`
  bool malformed = false;                  // not JSON, or a known field has an unexpected type
  bool error = false;                      // in-stream error object, or finish_reason "error"
  bool has_choices = false;                // `choices` is a non-empty array (vLLM's TTFT criterion)
  bool has_output = false;                 // has_content || has_reasoning || has_tool_calls
  bool has_content = false;                // non-empty choices[0].text or delta.content
  bool has_reasoning = false;              // non-empty delta.reasoning_content or delta.reasoning
  bool has_tool_calls = false;             // non-empty delta.tool_calls
  bool has_usage = false;                  // a non-null `usage` object was present
  std::string_view malformed_reason;       // short static text when malformed
  std::string_view error_message;          // error.message (or a fixed text for finish_reason)
  std::string_view error_type;             // error.type when sent
  std::optional<std::int64_t> error_code;  // error.code when numeric (or a numeric string)
  std::string_view output_text;            // generated text of this chunk (reasoning, content, tool args)
  std::string_view finish_reason;          // choices[0].finish_reason; empty when null or absent
  Usage usage;
};

// A complete non-streamed completions / chat response, with owned strings.
struct ResponseInfo {
  bool malformed = false;
  bool error = false;
  bool has_output = false;
  std::string malformed_reason;
  std::string error_message;
  std::string error_type;
  std::optional<std::int64_t> error_code;
  std::string output_text;  // choices[0].text, or message reasoning + content + tool arguments
  std::string finish_reason;
  Usage usage;
};

// Decoder of streamed chunks for one thread (e.g. one per worker, shared by its streams).
// Reuses one simdjson parser and one padded copy buffer: no allocation per chunk once they
// have grown to the largest chunk seen. Not thread-safe.
class ChunkDecoder {
 public:
  // initial_capacity: bytes of JSON the parser and buffer are sized for up front.
  explicit ChunkDecoder(std::size_t initial_capacity = 64 * 1024);
  ~ChunkDecoder();
  ChunkDecoder(ChunkDecoder&&) noexcept;
  ChunkDecoder& operator=(ChunkDecoder&&) noexcept;

  // Decodes one SSE event's data. Never throws; problems are reported in the result, which
  // (like its views) is valid until the decoder's next call.
  const ChunkInfo& decode(std::string_view data);

  // Decodes a complete non-streamed response body (same field rules, `message` for `delta`).
  ResponseInfo decode_response(std::string_view body);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// decode_response with a temporary decoder (allocates; for one-off use).
ResponseInfo decode_response(std::string_view body);

// The first model id of a `/v1/models` response, or nullopt if there is none or it is invalid.
std::optional<std::string> first_model_id(std::string_view models_json);

}  // namespace inferbench::protocol
