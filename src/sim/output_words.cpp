#include "sim/output_words.hpp"

#include "core/error.hpp"
#include "tokenizer/words.hpp"

namespace inferbench::sim {

OutputWords::OutputWords() {
  const auto words = tokenizer::common_words();
  words_.assign(words.begin(), words.end());
}

OutputWords::OutputWords(const tokenizer::Tokenizer& tokenizer) {
  for (const std::string_view w : tokenizer::common_words()) {
    const std::string word(w);
    // "the" is a single token in every vocabulary we know; a word that merges with its
    // neighbour (or splits) would make re-tokenized counts differ from usage.
    if (tokenizer.count(word) == 1 && tokenizer.count("the " + word) == 2 && tokenizer.count(word + " the") == 2) {
      words_.push_back(w);
    }
  }
  require(words_.size() >= 32, "the tokenizer has too few single-token common English words for the simulator");
  std::string sample;
  append(sample, 1, 0, 4096);
  require(tokenizer.count(sample) == 4096,
          "the simulator's answers would not re-tokenize to their token count under this tokenizer");
}

void OutputWords::append(std::string& out, std::uint64_t id, std::int64_t first, std::int64_t count) const {
  for (std::int64_t i = first; i < first + count; ++i) {
    if (i > 0) out += ' ';
    out += words_[(id * 7 + static_cast<std::uint64_t>(i)) % words_.size()];
  }
}

}  // namespace inferbench::sim
