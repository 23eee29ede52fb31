#pragma once
// Normalizers (NFC, NFD, Prepend, Replace, Strip, Sequence) as in HF tokenizers.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace inferbench::tokenizer {

// Base of all normalizers; implementations are immutable and thread-safe.
class Normalizer {
 public:
  virtual ~Normalizer() = default;
  // Normalizes text in place.
  virtual void apply(std::string& text) const = 0;
};

// Unicode canonical composition.
std::unique_ptr<Normalizer> make_nfc();
// Unicode canonical decomposition.
std::unique_ptr<Normalizer> make_nfd();
// Prepends `prefix` to non-empty text.
std::unique_ptr<Normalizer> make_prepend(std::string prefix);
// Replaces every match of a literal string (is_regex false) or regex with `content`.
std::unique_ptr<Normalizer> make_replace(std::string_view pattern, bool is_regex, std::string content);
// Strips whitespace on the left and/or right.
std::unique_ptr<Normalizer> make_strip(bool left, bool right);
// Applies each in order.
std::unique_ptr<Normalizer> make_sequence_normalizer(std::vector<std::unique_ptr<Normalizer>> steps);

}  // namespace inferbench::tokenizer
