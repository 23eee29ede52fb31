#include "workload/exact_text.hpp"

#include <fmt/core.h>

#include <random>

#include "core/error.hpp"

namespace inferbench::workload {

namespace {

constexpr int kFitRounds = 48;                  // cut/extend rounds for one candidate text
constexpr int kCandidates = 8;                  // fresh candidates before giving up
constexpr std::size_t kRandomStream = 1 << 16;  // random ids drawn once for random prompts

bool is_byte_token(const std::string& t) {
  // <0xNN>: SentencePiece byte-fallback tokens; decoded alone they are rarely valid UTF-8.
  const auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); };
  return t.size() == 6 && t[0] == '<' && t[1] == '0' && t[2] == 'x' && hex(t[3]) && hex(t[4]) && t[5] == '>';
}

}  // namespace

ExactText::ExactText(tokenizer::Tokenizer tok, std::string_view corpus) : tok_(std::move(tok)), corpus_(corpus) {
  require(!corpus_.empty(), "the synthetic corpus is empty");
  if (corpus_.back() != '\n') corpus_ += '\n';
  const std::vector<std::int32_t> newline_ids = tok_.encode("\n");
  std::string with_newline;
  for (std::size_t begin = 0; begin < corpus_.size();) {
    const std::size_t end = corpus_.find('\n', begin) + 1;
    Line line;
    line.begin = begin;
    line.size = end - begin;
    const std::string_view text(corpus_.data() + begin, line.size);
    line.ids = tok_.encode(text);
    with_newline.assign("\n");
    with_newline += text;
    const auto with = tok_.encode(with_newline);
    const auto prefix = static_cast<std::ptrdiff_t>(newline_ids.size());
    line.in_context = std::max<std::int64_t>(0, static_cast<std::int64_t>(with.size()) - prefix);
    const bool prefixed =
        with.size() >= newline_ids.size() && std::equal(newline_ids.begin(), newline_ids.end(), with.begin());
    line.after_newline = prefixed ? std::vector<std::int32_t>(with.begin() + prefix, with.end()) : line.ids;
    if (!line.ids.empty()) lines_.push_back(std::move(line));
    begin = end;
  }
  require(!lines_.empty(), "the synthetic corpus encodes to no tokens");
  attribute_in_context();
  for (const std::int32_t id : tok_.regular_ids()) {
    const auto text = tok_.id_to_token(id);
    if (text && !is_byte_token(*text)) pool_.push_back(id);
  }
  require(!pool_.empty(), "the tokenizer has no regular (non-added, non-byte) token to draw random prompts from");
}

const std::vector<std::int32_t>& ExactText::random_ids() const {
  // A random token stream drawn once and re-encoded: slices of canonical ids decode to text that
  // re-encodes (nearly) to the same ids, so random prompts need few repair rounds.
  std::call_once(random_once_, [this] {
    Rng rng = make_rng(0x5EED, 0xD0);
    std::uniform_int_distribution<std::size_t> pick(0, pool_.size() - 1);
    std::vector<std::int32_t> drawn(kRandomStream);
    for (auto& id : drawn) id = pool_[pick(rng)];
    random_ids_ = tok_.encode(tok_.decode(drawn));
    require(random_ids_.size() > 1, "the random token stream encodes to nothing");
  });
  return random_ids_;
}

void ExactText::attribute_in_context() {
  // Encode the corpus once as a whole and give each line the tokens that start inside it: the
  // in-context counts, so that a slice of whole lines is usually exact at the first count.
  // Token byte lengths come from the token texts, which is valid for ASCII text (the bundled
  // corpus): one byte per character, '▁' a space, <0xNN> one byte. If the lengths do not add
  // up (a tokenizer this does not fit), the per-line estimates are kept.
  const auto ids = tok_.encode(corpus_);
  std::vector<std::size_t> lengths;
  lengths.reserve(ids.size());
  std::size_t total = 0;
  for (const std::int32_t id : ids) {
    const auto text = tok_.id_to_token(id);
    if (!text) return;
    std::size_t n = 0;
    if (is_byte_token(*text)) {
      n = 1;
    } else {
      for (const char c : *text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;  // code points
    }
    lengths.push_back(n);
    total += n;
  }
  if (total < corpus_.size() || total > corpus_.size() + 1 || lengths.empty()) return;
  if (total == corpus_.size() + 1) {  // a prepended '▁' (SentencePiece) belongs to no corpus byte
    if (lengths[0] == 0) return;
    --lengths[0];
  }
  std::vector<std::int64_t> counts(lines_.size(), 0);
  std::size_t offset = 0;
  std::size_t line = 0;
  for (const std::size_t n : lengths) {
    while (line + 1 < lines_.size() && offset >= lines_[line + 1].begin) ++line;
    ++counts[line];
    offset += n;
  }
  for (std::size_t i = 0; i < lines_.size(); ++i) lines_[i].in_context = counts[i];
}

void ExactText::take(Cursor& cursor, std::int64_t k, std::string& out, bool text_start) const {
  while (k > 0) {
    const bool at_start = text_start && out.empty();
    const Line& line = lines_[cursor.line];
    const Cursor next{(cursor.line + 1) % lines_.size(), 0, false};
    if (cursor.offset == 0) {
      // A whole line's in-context count assumes the corpus text before it; at the start of the
      // text the line stands alone (a blank line's "\n" is then a token of its own, not part of ".\n\n").
      const std::int64_t whole = at_start ? static_cast<std::int64_t>(line.ids.size()) : line.in_context;
      if (k >= whole) {
        out.append(corpus_, line.begin, line.size);
        k -= whole;
        cursor = next;
        continue;
      }
      // Cut after other text: from the after-newline ids (SentencePiece marks only the text start with "▁").
      cursor.after_newline = !at_start;
    }
    const auto& ids = cursor.after_newline ? line.after_newline : line.ids;
    const std::size_t n = std::min(static_cast<std::size_t>(k), ids.size() - cursor.offset);
    const std::string piece = tok_.decode(std::span(ids).subspan(cursor.offset, n));
    // A cut that starts the text stands alone: count it (SentencePiece gives it a "▁" of its own).
    k -= at_start && cursor.offset > 0 ? count(piece) : static_cast<std::int64_t>(n);
    out += piece;
    cursor.offset += n;
    if (cursor.offset >= ids.size()) cursor = next;
  }
}

void ExactText::take_random(std::size_t& offset, std::int64_t k, std::string& out) const {
  const auto& stream = random_ids();
  std::vector<std::int32_t> ids(static_cast<std::size_t>(std::max<std::int64_t>(k, 1)));
  for (auto& id : ids) {
    id = stream[offset];
    offset = (offset + 1) % stream.size();
  }
  out += tok_.decode(ids);
}

bool ExactText::fit(std::string_view head, std::string& tail, std::int64_t n,
                    const std::function<void(std::int64_t, std::string&)>& more) const {
  std::string full;
  for (int round = 0; round < kFitRounds; ++round) {
    std::int64_t c = 0;
    if (head.empty()) {
      c = count(tail);
    } else {
      full.assign(head);
      full += tail;
      c = count(full);
    }
    if (c == n) return true;
    if (c < n) {
      more(n - c, tail);
      continue;
    }
    // Too long: cut the excess off the tail's own tokens (decode of a prefix of canonical ids).
    // Only the tail's last line is re-encoded when it holds enough tokens (cheap); the next
    // round's full count verifies the result either way.
    const auto excess = static_cast<std::size_t>(c - n);
    if (tail.size() > 2) {
      const auto newline = tail.rfind('\n', tail.size() - 2);
      if (newline != std::string::npos && newline > 0) {
        auto last = tok_.encode(std::string_view(tail).substr(newline + 1));
        if (last.size() > excess) {
          last.resize(last.size() - excess);
          tail.resize(newline + 1);
          tail += tok_.decode(last);
          continue;
        }
      }
    }
    auto ids = tok_.encode(tail);
    if (ids.empty()) return false;  // the head alone is too long
    ids.resize(ids.size() > excess ? ids.size() - excess : 0);
    tail = tok_.decode(ids);
  }
  return false;
}

std::string ExactText::build(std::string_view head, std::int64_t n, bool random_tail, Rng& rng) const {
  require(n >= 1, fmt::format("a prompt must have at least 1 token, not {}", n));
  const std::int64_t head_tokens = head.empty() ? 0 : count(head);
  require(head_tokens < n, fmt::format("cannot build {} tokens after a head of {} tokens", n, head_tokens));
  std::uniform_int_distribution<std::size_t> pick_line(0, lines_.size() - 1);
  for (int candidate = 0; candidate < kCandidates; ++candidate) {
    std::string tail;
    tail.reserve(reserve_bytes(n - head_tokens));
    std::function<void(std::int64_t, std::string&)> more;
    Cursor cursor;
    std::size_t random_offset = 0;
    if (random_tail) {
      random_offset = std::uniform_int_distribution<std::size_t>(0, random_ids().size() - 1)(rng);
      more = [&](std::int64_t k, std::string& out) { take_random(random_offset, k, out); };
    } else {
      cursor.line = pick_line(rng);
      const auto& ids = lines_[cursor.line].ids;
      cursor.offset = std::uniform_int_distribution<std::size_t>(0, ids.size() - 1)(rng);
      more = [&](std::int64_t k, std::string& out) { take(cursor, k, out, head.empty()); };
    }
    more(n - head_tokens, tail);
    if (fit(head, tail, n, more)) {
      if (head.empty()) return tail;
      std::string full(head);
      full += tail;
      return full;
    }
  }
  throw Error(
      fmt::format("could not build a text of exactly {} tokens with this tokenizer ({} attempts)", n, kCandidates));
}

std::string ExactText::synthetic(std::int64_t n, Rng& rng) const { return build({}, n, false, rng); }

std::string ExactText::random(std::int64_t n, Rng& rng) const { return build({}, n, true, rng); }

std::string ExactText::extend(std::string_view head, std::int64_t n, bool random_tail, Rng& rng) const {
  return build(head, n, random_tail, rng);
}

}  // namespace inferbench::workload
