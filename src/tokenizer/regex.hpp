#pragma once
// PCRE2 (UTF + UCP + JIT) regular expressions that behave like HF tokenizers' Oniguruma ones.
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/ascii_splitter.hpp"
#include "tokenizer/unicode.hpp"

namespace inferbench::tokenizer {

// A compiled pattern; immutable and safe to share between threads (match data is per call).
class Regex {
 public:
  // Which matcher runs ASCII text: the hand-written one for the patterns it knows (the default), or
  // PCRE2 always (for tests that compare the two).
  enum class AsciiFastPath { kOn, kOff };
  // Compiles an HF/Oniguruma pattern; throws inferbench::Error naming the pattern if PCRE2 rejects it.
  explicit Regex(std::string_view pattern, AsciiFastPath fast_path = AsciiFastPath::kOn);
  ~Regex();
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Byte ranges [start, end) of successive non-overlapping matches in subject (valid UTF-8);
  // an empty match advances by one character, as Oniguruma's find_iter does.
  void find_all(std::string_view subject, std::vector<std::pair<std::size_t, std::size_t>>& out) const;
  // The hand-written matcher find_all uses on ASCII text, if any.
  std::optional<AsciiPattern> ascii_pattern() const { return ascii_; }
  // The exact PCRE2 pattern (after rewriting \s, \p{L}, \p{N}).
  const std::string& translated() const { return translated_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string translated_;
  std::optional<AsciiPattern> ascii_;
};

// True if s holds a code point that PCRE2's own tables classify differently from HF's (U+180E, letters and
// digits newer than Unicode 14). Text without one matches the untranslated pattern exactly, which is faster.
bool has_reclassified_codepoint(std::string_view s);
// The sorted code point ranges has_reclassified_codepoint looks for.
std::span<const CodepointRange> reclassified_ranges();

// Rewrites an Oniguruma pattern so PCRE2 10.42 classifies characters as HF does: \s/\S use HF's
// whitespace set (no U+180E) and \p{L}/\p{N} gain the letters and digits of newer Unicode versions.
std::string translate_pattern(std::string_view pattern);

// Rust's char::is_alphanumeric, approximated by HF's \p{L} or \p{N} (used for single_word added tokens).
bool is_alphanumeric(char32_t cp);

}  // namespace inferbench::tokenizer
