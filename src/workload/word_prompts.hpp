#pragma once
// Synthetic prompts made of common words, one token each for the built-in simulator and,
// with their leading space, for Llama-3/Qwen/GPT-2 style vocabularies. Used when no tokenizer
// is given; exact prompts for a real model's tokenizer come from the tokenizer module.
#include <cstdint>
#include <vector>

#include "workload/request_spec.hpp"

namespace inferbench::workload {

// `count` prompts of `input_tokens` words each (distinct, seeded) asking for `output_tokens`.
std::vector<RequestSpec> make_word_prompts(std::size_t count, std::int64_t input_tokens,
                                           std::int64_t output_tokens, std::uint64_t seed);

}  // namespace inferbench::workload
