#include "tokenizer/tokenizer.hpp"

#include <fmt/format.h>

#include <fstream>

#include "core/error.hpp"
#include "tokenizer/tokenizer_impl.hpp"
#include "tokenizer/unicode.hpp"

namespace inferbench::tokenizer {

void TokenizerImpl::encode_normalized(std::string_view text, bool at_origin, std::vector<std::int32_t>& out) const {
  if (text.empty()) return;
  require(text.size() < (std::size_t{1} << 32), "tokenizer: a text segment of 4 GiB or more cannot be encoded");
  if (!pre_tokenizer) {
    model->encode_piece(text, out);
    return;
  }
  if (ascii_split && is_ascii(text)) {  // the same pieces as below, without building the list
    for (std::size_t i = 0; i < text.size();) {
      const std::size_t end = ascii_match_end(*ascii_split, text, i);
      model->encode_piece(text.substr(i, end - i), out);
      i = end;
    }
    return;
  }
  thread_local PreTokenized pt;
  pt.text.assign(text);
  pt.pieces.assign(1, Span{0, static_cast<std::uint32_t>(text.size())});
  pt.at_origin = at_origin;
  pre_tokenizer->apply(pt);
  // pt is thread-local: copy the pieces out before the model (which never re-enters pre-tokenization).
  const std::string_view all(pt.text);
  for (const Span s : pt.pieces) model->encode_piece(all.substr(s.begin, s.end - s.begin), out);
}

void TokenizerImpl::encode_into(std::string_view text, std::vector<std::int32_t>& out) const {
  std::vector<Segment> segments;
  added->split(text, false, segments);
  std::string normalized;
  std::vector<Segment> inner;
  for (const Segment& seg : segments) {
    if (seg.id >= 0) {
      out.push_back(seg.id);
      continue;
    }
    const std::string_view raw = text.substr(seg.begin, seg.end - seg.begin);
    const bool at_origin = seg.begin == 0;
    if (!normalizer && !added->has_tokens(true)) {
      encode_normalized(raw, at_origin, out);
      continue;
    }
    normalized.assign(raw);
    if (normalizer) normalizer->apply(normalized);
    inner.clear();
    added->split(normalized, true, inner);
    for (const Segment& part : inner) {
      if (part.id >= 0)
        out.push_back(part.id);
      else
        encode_normalized(std::string_view(normalized).substr(part.begin, part.end - part.begin),
                          at_origin && part.begin == 0, out);
    }
  }
}

Tokenizer Tokenizer::load(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::path file = path;
  std::optional<std::filesystem::path> config;
  if (std::filesystem::is_directory(path, ec)) {
    file = path / "tokenizer.json";
    if (std::filesystem::exists(path / "tokenizer_config.json", ec)) config = path / "tokenizer_config.json";
  }
  const auto read = [](const std::filesystem::path& p) {
    std::error_code exists_ec;
    if (!std::filesystem::exists(p, exists_ec)) throw Error(fmt::format("tokenizer: {} does not exist", p.string()));
    std::ifstream in(p, std::ios::binary);
    if (!in) throw Error(fmt::format("tokenizer: cannot read {}", p.string()));
    std::string content(std::filesystem::file_size(p), '\0');
    if (!in.read(content.data(), static_cast<std::streamsize>(content.size())))
      throw Error(fmt::format("tokenizer: cannot read {}", p.string()));
    return content;
  };
  auto impl = parse_tokenizer_json(read(file), file.string());
  if (config) {
    const std::string text = read(*config);
    parse_tokenizer_config(text, config->string(), *impl);
  }
  return Tokenizer(std::move(impl));
}

Tokenizer Tokenizer::from_json(std::string_view json, std::string_view origin) {
  return Tokenizer(parse_tokenizer_json(json, origin));
}

std::vector<std::int32_t> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  std::vector<std::int32_t> out;
  out.reserve(text.size() / 3 + 4);
  if (add_special_tokens) out = impl_->prefix;
  if (is_valid_utf8(text)) {
    impl_->encode_into(text, out);
  } else {
    impl_->encode_into(to_valid_utf8(text), out);
  }
  if (add_special_tokens) out.insert(out.end(), impl_->suffix.begin(), impl_->suffix.end());
  return out;
}

std::size_t Tokenizer::count(std::string_view text) const {
  // Reuses one buffer per thread: a fresh vector per call costs page faults once the freed
  // memory has been returned to the system (prompt building counts ~10 KB texts in a loop).
  thread_local std::vector<std::int32_t> ids;
  ids.clear();
  if (is_valid_utf8(text)) {
    impl_->encode_into(text, ids);
  } else {
    impl_->encode_into(to_valid_utf8(text), ids);
  }
  return ids.size();
}

std::string Tokenizer::decode(std::span<const std::int32_t> ids, bool skip_special_tokens) const {
  if (const auto& table = impl_->byte_level_table) {  // the common case: one copy per id
    std::string bytes;
    bytes.reserve(ids.size() * 6);
    for (const std::int32_t id : ids) {
      if (id < 0 || static_cast<std::size_t>(id) >= table->special.size()) continue;  // unknown ids decode to nothing
      const auto i = static_cast<std::size_t>(id);
      if (skip_special_tokens && table->special[i]) continue;
      bytes.append(table->bytes, table->offsets[i], table->offsets[i + 1] - table->offsets[i]);
    }
    return is_valid_utf8(bytes) ? bytes : to_valid_utf8(bytes);
  }
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (const std::int32_t id : ids) {
    if (const AddedToken* t = impl_->added->find(id)) {
      if (!(skip_special_tokens && t->special)) tokens.push_back(t->content);
    } else if (const std::string* s = impl_->model->id_to_token(id)) {
      tokens.push_back(*s);
    }
  }
  if (!impl_->decoder) {
    std::string out;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      if (i) out += ' ';
      out += tokens[i];
    }
    return out;
  }
  impl_->decoder->decode_chain(tokens);
  std::string out;
  for (const auto& t : tokens) out += t;
  return out;
}

std::size_t Tokenizer::vocab_size() const { return impl_->vocab_size; }

bool Tokenizer::is_special(std::int32_t id) const {
  const AddedToken* t = impl_->added->find(id);
  return t && t->special;
}

bool Tokenizer::is_added(std::int32_t id) const { return impl_->added->find(id) != nullptr; }

const std::vector<std::int32_t>& Tokenizer::regular_ids() const { return impl_->regular; }

std::optional<std::string> Tokenizer::id_to_token(std::int32_t id) const {
  if (const AddedToken* t = impl_->added->find(id)) return t->content;
  if (const std::string* s = impl_->model->id_to_token(id)) return *s;
  return std::nullopt;
}

std::optional<std::int32_t> Tokenizer::token_to_id(std::string_view token) const {
  if (auto id = impl_->added->id_of(token)) return id;
  return impl_->model->token_to_id(token);
}

const std::vector<std::int32_t>& Tokenizer::special_prefix() const { return impl_->prefix; }
const std::vector<std::int32_t>& Tokenizer::special_suffix() const { return impl_->suffix; }
const std::optional<std::string>& Tokenizer::bos_token() const { return impl_->bos_token; }
const std::optional<std::string>& Tokenizer::eos_token() const { return impl_->eos_token; }

}  // namespace inferbench::tokenizer
