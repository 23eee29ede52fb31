#pragma once
// Added (and special) tokens: matched in the text before normalization and the model, as HF does.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace inferbench::tokenizer {

class Normalizer;

// One entry of tokenizer.json's `added_tokens`.
struct AddedToken {
  std::int32_t id = 0;
  std::string content;
  bool single_word = false;  // only matches as a whole word
  bool lstrip = false;       // swallows whitespace on its left
  bool rstrip = false;       // swallows whitespace on its right
  bool normalized = true;    // matched on normalized text (else on raw text)
  bool special = false;      // skipped by decode(skip_special_tokens)
};

// A part of a text: [begin, end) bytes, and the added token id it matched (-1 = ordinary text).
struct Segment {
  std::size_t begin;
  std::size_t end;
  std::int32_t id;
};

// The added vocabulary with its two matchers (raw text and normalized text). Immutable, thread-safe.
class AddedVocabulary {
 public:
  // Builds the matchers; normalized tokens' contents are normalized with `normalizer` (may be null).
  AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer);

  // Splits text (leftmost-longest matches) with the raw (normalized=false) or normalized token set; appends.
  void split(std::string_view text, bool normalized_set, std::vector<Segment>& out) const;
  // Whether the raw / normalized token set is non-empty.
  bool has_tokens(bool normalized_set) const { return !trie(normalized_set).nodes.empty(); }
  // The added token with this id, or nullptr.
  const AddedToken* find(std::int32_t id) const;
  // Id of the added token with this content, if any.
  std::optional<std::int32_t> id_of(std::string_view content) const;
  // All added tokens, in file order (duplicates removed).
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  struct Node {
    std::vector<std::pair<unsigned char, std::int32_t>> children;  // sorted by byte
    std::int32_t token = -1;                                       // index into tokens_, or -1
  };
  struct Trie {
    std::vector<Node> nodes;  // nodes[0] is the root when non-empty
    bool first_byte[256] = {};
    void insert(std::string_view key, std::int32_t token);
    // Longest key that starts at text[pos]: (length, token index) or (0, -1).
    std::pair<std::size_t, std::int32_t> longest(std::string_view text, std::size_t pos) const;
  };
  const Trie& trie(bool normalized_set) const { return normalized_set ? normalized_ : raw_; }

  std::vector<AddedToken> tokens_;
  std::unordered_map<std::int32_t, std::size_t> by_id_;  // id -> index into tokens_
  Trie raw_;
  Trie normalized_;
};

}  // namespace inferbench::tokenizer
