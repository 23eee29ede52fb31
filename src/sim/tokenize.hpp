#pragma once
// vLLM's POST /tokenize and POST /detokenize (vllm/entrypoints/openai/protocol.py:
// TokenizeCompletionRequest / TokenizeChatRequest -> TokenizeResponse, DetokenizeRequest ->
// DetokenizeResponse), answered with the simulator's tokenizer.
#include <cstdint>
#include <string>
#include <string_view>

#include "tokenizer/tokenizer.hpp"

namespace inferbench::sim {

// An HTTP status and its JSON body.
struct JsonAnswer {
  int status = 200;
  std::string body;
};

// {"prompt": ".."} or {"messages": [..]} -> {"count","max_model_len","tokens","token_strs"}.
// Without a tokenizer the ids are the simulator's word hashes, as the prefix cache sees them.
JsonAnswer tokenize(std::string_view body, const tokenizer::Tokenizer* tokenizer, std::int64_t max_model_len);

// {"tokens": [..]} -> {"prompt": ".."}. Needs a tokenizer: word hashes cannot be mapped back.
JsonAnswer detokenize(std::string_view body, const tokenizer::Tokenizer* tokenizer);

}  // namespace inferbench::sim
