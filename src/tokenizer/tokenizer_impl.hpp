#pragma once
// Internal state of a Tokenizer: the HF pipeline components built by the loader.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tokenizer/added_tokens.hpp"
#include "tokenizer/bpe.hpp"
#include "tokenizer/decoders.hpp"
#include "tokenizer/normalizers.hpp"
#include "tokenizer/pre_tokenizers.hpp"

namespace inferbench::tokenizer {

// Everything a Tokenizer needs; built once by load(), then shared read-only.
struct TokenizerImpl {
  std::unique_ptr<Normalizer> normalizer;       // may be null
  std::unique_ptr<PreTokenizer> pre_tokenizer;  // may be null
  std::optional<AsciiPattern> ascii_split;      // pre_tokenizer->ascii_split(), looked up once
  std::unique_ptr<BpeModel> model;
  std::unique_ptr<Decoder> decoder;  // may be null (tokens joined with spaces)
  std::unique_ptr<AddedVocabulary> added;
  std::vector<std::int32_t> prefix;   // post-processor ids before a single sequence
  std::vector<std::int32_t> suffix;   // post-processor ids after a single sequence
  std::vector<std::int32_t> regular;  // model ids that are not added tokens
  std::size_t vocab_size = 0;
  // With a ByteLevel decoder alone: every id's decoded bytes in one buffer (id -> [offsets[id],
  // offsets[id + 1])) and whether it is a special token, so decode is a copy per id.
  struct ByteLevelTable {
    std::string bytes;
    std::vector<std::uint32_t> offsets;
    std::vector<std::uint8_t> special;
  };
  std::optional<ByteLevelTable> byte_level_table;
  std::optional<std::string> bos_token;
  std::optional<std::string> eos_token;

  // Appends the ids of text (valid UTF-8) without post-processing.
  void encode_into(std::string_view text, std::vector<std::int32_t>& out) const;
  // Normalized text (no added tokens inside) -> pre-tokenizer -> model.
  void encode_normalized(std::string_view text, bool at_origin, std::vector<std::int32_t>& out) const;
};

// Builds the implementation from tokenizer.json content (throws inferbench::Error).
std::shared_ptr<TokenizerImpl> parse_tokenizer_json(std::string_view json, std::string_view origin);
// Reads bos_token / eos_token from tokenizer_config.json content into impl (throws inferbench::Error).
void parse_tokenizer_config(std::string_view json, std::string_view origin, TokenizerImpl& impl);

}  // namespace inferbench::tokenizer
