#pragma once
// Decoders (ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, Sequence) as in HF tokenizers.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace inferbench::tokenizer {

// Base of all decoders: transforms the token strings (HF decode_chain). Immutable, thread-safe.
class Decoder {
 public:
  virtual ~Decoder() = default;
  // Rewrites the list of token strings in place.
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
  // True for ByteLevel alone: the text is the lossy UTF-8 of every token's append_byte_level_token
  // bytes, so it can be decoded without building the list of token strings.
  virtual bool is_byte_level() const { return false; }
};

// Appends the bytes a ByteLevel decoder turns token text into: each GPT-2 alphabet character's
// byte, or the token's own UTF-8 if any character is outside the alphabet (HF behaviour).
void append_byte_level_token(std::string_view token, std::string& bytes);

// ByteLevel: maps GPT-2 alphabet characters back to bytes (lossy UTF-8); joins everything.
std::unique_ptr<Decoder> make_byte_level_decoder();
// Metaspace: replacement -> space; the first token loses its replacements unless the scheme is "never".
std::unique_ptr<Decoder> make_metaspace_decoder(std::string replacement, const std::string& prepend_scheme);
// Replace: literal or regex pattern -> content, per token.
std::unique_ptr<Decoder> make_replace_decoder(std::string_view pattern, bool is_regex, std::string content);
// ByteFallback: runs of <0xNN> tokens become bytes (U+FFFD per byte if not valid UTF-8).
std::unique_ptr<Decoder> make_byte_fallback_decoder();
// Fuse: concatenates all tokens into one.
std::unique_ptr<Decoder> make_fuse_decoder();
// Strip: removes up to `start` leading and `stop` trailing `content` characters from every token.
std::unique_ptr<Decoder> make_strip_decoder(std::string content, std::size_t start, std::size_t stop);
// Applies each in order.
std::unique_ptr<Decoder> make_sequence_decoder(std::vector<std::unique_ptr<Decoder>> steps);

}  // namespace inferbench::tokenizer
