#pragma once
// Common English words used where text only needs to be readable and countable: synthetic
// prompts before a tokenizer is given, and the simulator's output. Each is ASCII, and with a
// leading space each is a single token in the Llama-3, Qwen and GPT-2 vocabularies.
#include <span>
#include <string_view>

namespace inferbench::tokenizer {

// The word list (stable order; never empty).
std::span<const std::string_view> common_words();

}  // namespace inferbench::tokenizer
