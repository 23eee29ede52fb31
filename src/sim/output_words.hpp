#pragma once
// The words the simulator answers with. Each is one token, and so is each word with a space
// before it, so a client that re-tokenizes the answer with the same tokenizer counts exactly
// usage.completion_tokens. Without a tokenizer the simulator's own rule (one token per word)
// holds by construction; with one, the words are checked against it at start-up.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace inferbench::sim {

class OutputWords {
 public:
  // All of core's common words (the simulator's own one-word-one-token rule).
  OutputWords();
  // The common words that are single tokens under `tokenizer`, alone and after a space; throws
  // inferbench::Error if too few remain or a long sample text does not count exactly.
  explicit OutputWords(const tokenizer::Tokenizer& tokenizer);

  // Appends the text of output tokens [first, first + count) of response `id`: the first
  // token without a leading space, the others with one.
  void append(std::string& out, std::uint64_t id, std::int64_t first, std::int64_t count) const;
  std::size_t size() const { return words_.size(); }

 private:
  std::vector<std::string_view> words_;
};

}  // namespace inferbench::sim
