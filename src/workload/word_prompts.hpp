#pragma once
// Synthetic prompts made of common words, one token each for the built-in simulator and,
// with their leading space, for Llama-3/Qwen/GPT-2 style vocabularies. Used when no tokenizer
// is given; exact prompts for a real model's tokenizer come from workload/exact_text.hpp.
#include <cstdint>
#include <vector>

#include "workload/length_dist.hpp"
#include "workload/request_spec.hpp"

namespace inferbench::workload {

// `count` prompts of `input_tokens` words each (distinct, seeded) asking for `output_tokens`.
std::vector<RequestSpec> make_word_prompts(std::size_t count, std::int64_t input_tokens, std::int64_t output_tokens,
                                           std::uint64_t seed);

// `count` prompts whose word counts and max_tokens are drawn from `input` and `output` (seeded).
std::vector<RequestSpec> make_word_prompts(std::size_t count, const LengthDist& input, const LengthDist& output,
                                           std::uint64_t seed);

}  // namespace inferbench::workload
