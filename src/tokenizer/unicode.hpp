#pragma once
// UTF-8 helpers and the Unicode data the tokenizer needs (NFC/NFD, whitespace, regex class deltas).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace inferbench::tokenizer {

// An inclusive code point range.
struct CodepointRange {
  char32_t first;
  char32_t last;
};

// Decodes the UTF-8 code point at s[i] (s must be valid UTF-8); advances i past it.
char32_t next_codepoint(std::string_view s, std::size_t& i);
// Appends the UTF-8 encoding of cp to out.
void append_utf8(std::string& out, char32_t cp);
// Byte length of the UTF-8 sequence that starts with lead byte b (1 for stray continuation bytes).
std::size_t utf8_length(unsigned char b);
// True if s is well-formed UTF-8 (no surrogates, no overlongs).
bool is_valid_utf8(std::string_view s);
// s with every ill-formed sequence replaced by U+FFFD (like Rust's String::from_utf8_lossy).
std::string to_valid_utf8(std::string_view s);

// Rust's char::is_whitespace (the White_Space property), which HF uses for lstrip/rstrip.
bool is_whitespace(char32_t cp);

// Canonical composition (NFC) exactly as HF tokenizers' normalizer computes it.
std::string nfc(std::string_view s);
// Canonical decomposition (NFD) exactly as HF tokenizers' normalizer computes it.
std::string nfd(std::string_view s);

// Code points HF's regex engine counts as \p{L} / \p{N} but PCRE2's older tables do not.
std::span<const CodepointRange> extra_letters();
std::span<const CodepointRange> extra_numbers();
// Code points PCRE2 counts as \p{L} / \p{N} but HF's tables do not (empty for PCRE2 10.42).
std::span<const CodepointRange> missing_letters();
std::span<const CodepointRange> missing_numbers();
// HF's \s (Oniguruma): 25 code points; PCRE2's \s also has U+180E.
std::span<const CodepointRange> whitespace_ranges();

}  // namespace inferbench::tokenizer
