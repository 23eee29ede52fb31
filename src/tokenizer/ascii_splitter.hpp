#pragma once
// Hand-written matchers for the three pre-tokenizer patterns real tokenizers ship (GPT-2,
// cl100k/Llama-3, Qwen2), over ASCII text only. On ASCII each pattern's leftmost-first
// alternation reduces to a few character-class tests, which run several times faster than a
// PCRE2 JIT call per piece. Text with any non-ASCII byte goes to PCRE2 (see Regex::find_all).
// tests/tokenizer/ascii_splitter_test.cpp checks every variant against PCRE2 on random text.
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace inferbench::tokenizer {

enum class AsciiPattern {
  kGpt2,    // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  kCl100k,  // (?i:'s|...)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  kQwen2,   // as kCl100k with \p{N} (single digits)
};

// The variant whose pattern text is exactly `pattern`, if any.
std::optional<AsciiPattern> ascii_pattern_of(std::string_view pattern);
// True if every byte of s is below 0x80.
bool is_ascii(std::string_view s);
// The end of the match that starts at s[i] (i < s.size(), s ASCII). Every ASCII character starts a
// match of these patterns, so successive matches tile the text: an Isolated split is the matches.
std::size_t ascii_match_end(AsciiPattern pattern, std::string_view s, std::size_t i);
// Appends the [start, end) byte ranges of successive matches of the pattern in ASCII text s.
void ascii_find_all(AsciiPattern pattern, std::string_view s, std::vector<std::pair<std::size_t, std::size_t>>& out);

}  // namespace inferbench::tokenizer
