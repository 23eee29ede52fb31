#include "tokenizer/added_tokens.hpp"

#include <algorithm>

#include "tokenizer/normalizers.hpp"
#include "tokenizer/regex.hpp"
#include "tokenizer/unicode.hpp"

namespace inferbench::tokenizer {
namespace {

// The last code point of text[0, end) (valid UTF-8, end > 0).
char32_t codepoint_before(std::string_view text, std::size_t end) {
  std::size_t start = end - 1;
  while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
  return next_codepoint(text, start);
}

bool is_word_character(char32_t cp) { return cp == '_' || is_alphanumeric(cp); }

}  // namespace

void AddedVocabulary::Trie::insert(std::string_view key, std::int32_t token) {
  if (key.empty()) return;
  if (nodes.empty()) nodes.emplace_back();
  first_byte[static_cast<unsigned char>(key[0])] = true;
  std::int32_t node = 0;
  for (const char ch : key) {
    const auto c = static_cast<unsigned char>(ch);
    auto& children = nodes[static_cast<std::size_t>(node)].children;
    const auto it = std::ranges::lower_bound(children, c, {}, &std::pair<unsigned char, std::int32_t>::first);
    if (it != children.end() && it->first == c) {
      node = it->second;
    } else {
      const auto child = static_cast<std::int32_t>(nodes.size());
      children.insert(it, {c, child});
      nodes.emplace_back();
      node = child;
    }
  }
  // The first occurrence of a content wins.
  if (nodes[static_cast<std::size_t>(node)].token < 0) nodes[static_cast<std::size_t>(node)].token = token;
}

std::pair<std::size_t, std::int32_t> AddedVocabulary::Trie::longest(std::string_view text, std::size_t pos) const {
  std::pair<std::size_t, std::int32_t> best{0, -1};
  std::int32_t node = 0;
  for (std::size_t i = pos; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const auto& children = nodes[static_cast<std::size_t>(node)].children;
    const auto it = std::ranges::lower_bound(children, c, {}, &std::pair<unsigned char, std::int32_t>::first);
    if (it == children.end() || it->first != c) break;
    node = it->second;
    if (nodes[static_cast<std::size_t>(node)].token >= 0)
      best = {i + 1 - pos, nodes[static_cast<std::size_t>(node)].token};
  }
  return best;
}

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer) {
  for (auto& t : tokens) {
    const bool duplicate =
        std::ranges::any_of(tokens_, [&](const AddedToken& o) { return o.id == t.id && o.content == t.content; });
    if (!duplicate) tokens_.push_back(std::move(t));
  }
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    const AddedToken& t = tokens_[i];
    by_id_.try_emplace(t.id, i);
    if (t.normalized) {
      std::string content = t.content;
      if (normalizer) normalizer->apply(content);
      normalized_.insert(content, static_cast<std::int32_t>(i));
    } else {
      raw_.insert(t.content, static_cast<std::int32_t>(i));
    }
  }
}

void AddedVocabulary::split(std::string_view text, bool normalized_set, std::vector<Segment>& out) const {
  const Trie& t = trie(normalized_set);
  std::size_t start_offset = 0;  // end of the last emitted added token
  if (!t.nodes.empty()) {
    for (std::size_t pos = 0; pos < text.size();) {
      if (!t.first_byte[static_cast<unsigned char>(text[pos])]) {
        ++pos;
        continue;
      }
      const auto [len, index] = t.longest(text, pos);
      if (index < 0) {
        ++pos;
        continue;
      }
      const AddedToken& token = tokens_[static_cast<std::size_t>(index)];
      std::size_t start = pos, stop = pos + len;
      pos = stop;  // matching resumes after the raw match (non-overlapping leftmost-longest)
      if (start < start_offset) continue;
      if (token.single_word) {
        const bool start_ok = start == 0 || !is_word_character(codepoint_before(text, start));
        std::size_t after = stop;
        const bool stop_ok = stop == text.size() || !is_word_character(next_codepoint(text, after));
        if (!start_ok || !stop_ok) continue;
      }
      if (token.lstrip) {
        std::size_t s = start;
        while (s > start_offset && is_whitespace(codepoint_before(text, s))) {
          --s;
          while (s > start_offset && (static_cast<unsigned char>(text[s]) & 0xC0) == 0x80) --s;
        }
        start = s;
      }
      if (token.rstrip) {
        while (stop < text.size()) {
          std::size_t i = stop;
          if (!is_whitespace(next_codepoint(text, i))) break;
          stop = i;
        }
      }
      if (start_offset < start) out.push_back({start_offset, start, -1});
      out.push_back({start, stop, token.id});
      start_offset = stop;
    }
  }
  if (start_offset < text.size()) out.push_back({start_offset, text.size(), -1});
}

const AddedToken* AddedVocabulary::find(std::int32_t id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

std::optional<std::int32_t> AddedVocabulary::id_of(std::string_view content) const {
  for (const auto& t : tokens_)
    if (t.content == content) return t.id;
  return std::nullopt;
}

}  // namespace inferbench::tokenizer
