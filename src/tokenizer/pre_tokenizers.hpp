#pragma once
// Pre-tokenizers (Split, ByteLevel, Metaspace, Digits, WhitespaceSplit, Sequence) as in HF tokenizers.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/regex.hpp"

namespace inferbench::tokenizer {

// A byte range [begin, end) of PreTokenized::text.
struct Span {
  std::uint32_t begin;
  std::uint32_t end;
};

// One normalized segment being cut into pieces; pieces are non-empty and in text order.
struct PreTokenized {
  std::string text;          // current text (rewritten by Metaspace / ByteLevel prefix space)
  std::vector<Span> pieces;  // current pieces of text
  bool at_origin = false;    // segment starts at offset 0 of the input (Metaspace prepend_scheme "first")
};

// How a Split pre-tokenizer treats matches (HF SplitDelimiterBehavior).
enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

// Base of all pre-tokenizers; implementations are immutable and thread-safe.
class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Splits (and possibly rewrites) every piece of pt.
  virtual void apply(PreTokenized& pt) const = 0;
  // True for ByteLevel: the model must map bytes to the GPT-2 alphabet.
  virtual bool byte_level() const { return false; }
  // The pattern, if on ASCII text this pre-tokenizer is exactly an Isolated split by one of the
  // patterns ascii_match_end knows (the encoder then splits and encodes in one pass).
  virtual std::optional<AsciiPattern> ascii_split() const { return std::nullopt; }
  // True if it leaves text and pieces unchanged (ByteLevel without prefix space and regex).
  virtual bool is_identity() const { return false; }
};

// Split with a regex or a literal string pattern.
std::unique_ptr<PreTokenizer> make_split(std::string_view pattern, bool is_regex, SplitBehavior behavior, bool invert);
// ByteLevel: optional prefix space, optional GPT-2 regex split; byte mapping is left to the model.
std::unique_ptr<PreTokenizer> make_byte_level(bool add_prefix_space, bool use_regex);
// Metaspace: spaces -> replacement, prepend per scheme ("always", "first", "never"), optional split.
std::unique_ptr<PreTokenizer> make_metaspace(std::string replacement, std::string prepend_scheme, bool split);
// Digits: isolates digits (each one, or runs).
std::unique_ptr<PreTokenizer> make_digits(bool individual_digits);
// WhitespaceSplit: splits on whitespace, dropping it.
std::unique_ptr<PreTokenizer> make_whitespace_split();
// Sequence: applies each in order; a ByteLevel must come last.
std::unique_ptr<PreTokenizer> make_sequence(std::vector<std::unique_ptr<PreTokenizer>> steps);

// Applies an HF split behaviour to the (match, non-match) partition of a piece; appends the result.
void split_by_matches(const std::vector<std::pair<std::size_t, std::size_t>>& matches, Span piece,
                      SplitBehavior behavior, bool invert, std::vector<Span>& out);

}  // namespace inferbench::tokenizer
