#pragma once
// HF `tokenizers`-exact encode/decode for BPE tokenizer.json files (Llama-3, Qwen2/3, GPT-2, Llama-2, Mistral).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace inferbench::tokenizer {

struct TokenizerImpl;

// A loaded tokenizer. Immutable and cheap to copy (shared state); all methods are thread-safe.
class Tokenizer {
 public:
  // Loads a tokenizer.json file, or a directory holding tokenizer.json (and optionally tokenizer_config.json).
  // Throws inferbench::Error with a one-line message for missing/corrupt files or unsupported components.
  static Tokenizer load(const std::filesystem::path& path);
  // Parses tokenizer.json content; `origin` names it in error messages.
  static Tokenizer from_json(std::string_view json, std::string_view origin = "tokenizer.json");

  // Token ids of text as HF Tokenizer::encode(text, add_special_tokens) gives them. Invalid UTF-8 is
  // first replaced by U+FFFD (HF only accepts valid strings).
  std::vector<std::int32_t> encode(std::string_view text, bool add_special_tokens = false) const;
  // Text of ids as HF Tokenizer::decode gives it; unknown ids are skipped.
  std::string decode(std::span<const std::int32_t> ids, bool skip_special_tokens = false) const;
  // Number of tokens of encode(text, false).
  std::size_t count(std::string_view text) const;

  // 1 + the largest id of the model vocabulary or the added tokens (the id space a model embeds).
  std::size_t vocab_size() const;
  // True if id is an added token marked special (<|begin_of_text|>, <s>, <|im_end|>...).
  bool is_special(std::int32_t id) const;
  // True if id is any added token (special or not, e.g. Qwen's <think>).
  bool is_added(std::int32_t id) const;
  // Ids of the model vocabulary that are not added tokens, ascending: safe material for random prompts.
  const std::vector<std::int32_t>& regular_ids() const;
  // Token text of id (model alphabet, e.g. "Ġworld" or "▁Hello"), if the id exists.
  std::optional<std::string> id_to_token(std::int32_t id) const;
  // Id of a token text (added tokens first, then the model vocabulary), if present.
  std::optional<std::int32_t> token_to_id(std::string_view token) const;
  // Ids the post-processor puts before / after a single sequence when add_special_tokens is true.
  const std::vector<std::int32_t>& special_prefix() const;
  const std::vector<std::int32_t>& special_suffix() const;
  // bos_token / eos_token from tokenizer_config.json, if it was loaded and names them.
  const std::optional<std::string>& bos_token() const;
  const std::optional<std::string>& eos_token() const;

 private:
  explicit Tokenizer(std::shared_ptr<const TokenizerImpl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const TokenizerImpl> impl_;
};

}  // namespace inferbench::tokenizer
