#pragma once
// Texts of an exact token count under one tokenizer. Every text returned has been re-encoded
// and has exactly the asked count; when that cannot be reached an inferbench::Error is thrown,
// never a text of another length. Method in docs/workloads.md ("Exactness").
#include <algorithm>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/rng.hpp"
#include "tokenizer/tokenizer.hpp"

namespace inferbench::workload {

class ExactText {
 public:
  // Prepares the corpus (one encode per line) and the random-token pool. The pool is the model
  // vocabulary minus added/special tokens and minus byte-fallback tokens such as <0x0A>.
  explicit ExactText(tokenizer::Tokenizer tok, std::string_view corpus);

  // A slice of the corpus, starting at a random token of a random line, of exactly n tokens.
  std::string synthetic(std::int64_t n, Rng& rng) const;
  // Random vocabulary ids decoded to text and repaired to exactly n tokens (vLLM's random method
  // with a verified result): a slice, at a random offset, of a 65,536-id random stream drawn once.
  std::string random(std::int64_t n, Rng& rng) const;
  // head + text such that the whole has exactly n tokens; the added text comes from the corpus
  // (`random_tail` false) or from random ids. Requires n > count(head).
  std::string extend(std::string_view head, std::int64_t n, bool random_tail, Rng& rng) const;

  // The token count of text (one encode).
  std::int64_t count(std::string_view text) const { return static_cast<std::int64_t>(tok_.count(text)); }
  const tokenizer::Tokenizer& tokenizer() const { return tok_; }
  // Number of ids random prompts are drawn from.
  std::size_t pool_size() const { return pool_.size(); }
  // The capacity a text of n tokens is built in (about five bytes per token, and some slack).
  static std::size_t reserve_bytes(std::int64_t n) {
    return static_cast<std::size_t>(std::max<std::int64_t>(n, 0)) * 5 + 16;
  }

 private:
  struct Line {
    std::size_t begin = 0;                    // byte offset in corpus_
    std::size_t size = 0;                     // bytes, '\n' included
    std::vector<std::int32_t> ids;            // the line encoded alone
    std::vector<std::int32_t> after_newline;  // its ids after a "\n" (differ where a tokenizer marks the text start)
    std::int64_t in_context = 0;              // its tokens inside the whole corpus (estimate used to fill)
  };
  struct Cursor {
    std::size_t line = 0;
    std::size_t offset = 0;      // token offset within the line's ids
    bool after_newline = false;  // offset counts in after_newline instead of ids
  };
  // Sets each line's in_context count from one encode of the whole corpus.
  void attribute_in_context();
  // Appends about k tokens of corpus text from the cursor and advances it.
  // `text_start`: out, while empty, is the start of the text (no head before it).
  void take(Cursor& cursor, std::int64_t k, std::string& out, bool text_start) const;
  // Appends about k tokens of the random stream from `offset` (advanced, wrapping), decoded.
  void take_random(std::size_t& offset, std::int64_t k, std::string& out) const;
  // Makes count(head + tail) == n by cutting the tail or adding `more`; true on success.
  bool fit(std::string_view head, std::string& tail, std::int64_t n,
           const std::function<void(std::int64_t, std::string&)>& more) const;
  std::string build(std::string_view head, std::int64_t n, bool random_tail, Rng& rng) const;

  tokenizer::Tokenizer tok_;
  std::string corpus_;
  std::vector<Line> lines_;
  std::vector<std::int32_t> pool_;
  // kRandomStream random pool ids, decoded and re-encoded; drawn at first use, so that a synthetic
  // workload does not fill the tokenizer's piece cache with words it never sees.
  const std::vector<std::int32_t>& random_ids() const;
  mutable std::once_flag random_once_;
  mutable std::vector<std::int32_t> random_ids_;
};

}  // namespace inferbench::workload
