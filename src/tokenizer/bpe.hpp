#pragma once
// The BPE model of HF tokenizers (byte-level and SentencePiece-style), with a per-piece cache.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/piece_cache.hpp"

namespace inferbench::tokenizer {

// Hash for heterogeneous (string / string_view) lookup in unordered maps.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
// token text -> id, searchable by string_view.
using Vocab = std::unordered_map<std::string, std::int32_t, StringHash, std::equal_to<>>;

// Settings of an HF BPE model (`model` in tokenizer.json).
struct BpeConfig {
  Vocab vocab;                                              // token -> id
  std::vector<std::pair<std::string, std::string>> merges;  // in rank order
  std::optional<std::string> unk_token;                     // may be absent
  std::string continuing_subword_prefix;                    // empty = none
  std::string end_of_word_suffix;                           // empty = none
  bool fuse_unk = false;                                    // merge consecutive unknowns into one unk
  bool byte_fallback = false;                               // unknown chars become <0xNN> tokens
  bool ignore_merges = false;                               // whole piece looked up in the vocab first
  bool byte_level_input = false;                            // pieces are raw bytes to map to the GPT-2 alphabet
};

// Immutable after construction; encode_piece is thread-safe (the piece cache is lock-free).
class BpeModel {
 public:
  // Builds merge tables; throws inferbench::Error on merges naming unknown tokens.
  explicit BpeModel(BpeConfig config);

  // Appends the ids of one pre-tokenized piece (raw bytes if byte_level_input, else UTF-8 text) to out.
  void encode_piece(std::string_view piece, std::vector<std::int32_t>& out) const;
  // Token text of id (in the model's alphabet), or nullptr if id is not in the vocab.
  const std::string* id_to_token(std::int32_t id) const;
  // Id of token text, if present.
  std::optional<std::int32_t> token_to_id(std::string_view token) const;
  // 1 + the largest id of the model vocabulary.
  std::size_t id_limit() const { return id_to_token_.size(); }
  // Whether pieces are mapped byte -> GPT-2 alphabet before lookup.
  bool byte_level_input() const { return config_.byte_level_input; }

 private:
  struct Merge {
    std::int32_t rank;
    std::int32_t new_id;
  };
  void encode_word(std::string_view word, std::vector<std::int32_t>& out) const;
  void initial_symbols(std::string_view piece, std::vector<std::int32_t>& symbols) const;
  void merge_symbols(std::vector<std::int32_t>& symbols) const;
  const Merge* find_merge(std::int32_t a, std::int32_t b) const;

  BpeConfig config_;
  std::vector<std::string> id_to_token_;
  // Open-addressing table (linear probing, power-of-two size) of pair key -> merge; the BPE hot path.
  struct MergeSlot {
    std::uint64_t key;  // kEmptyKey when unused
    Merge merge;
  };
  std::vector<MergeSlot> merge_table_;
  std::uint64_t merge_mask_ = 0;
  std::int32_t byte_ids_[256];      // byte-level: id of the mapped single byte, or -1
  std::int32_t fallback_ids_[256];  // byte_fallback: id of <0xNN>, or -1
  std::int32_t unk_id_ = -1;
  // SentencePiece speed-up: no merge joins "x" with a following "▁", so a piece can be cut before
  // every "▁" that follows another character without changing the result (and the parts are cacheable).
  bool split_before_metaspace_ = false;

  mutable PieceCache cache_;
};

// The GPT-2 byte-level alphabet: the code point byte b is shown as.
char32_t byte_to_char(std::uint8_t b);
// Inverse of byte_to_char: the byte, or -1 if cp is not in the alphabet.
int char_to_byte(char32_t cp);
// Maps raw bytes to their byte-level (GPT-2 alphabet) UTF-8 text.
std::string bytes_to_byte_level(std::string_view bytes);

}  // namespace inferbench::tokenizer
