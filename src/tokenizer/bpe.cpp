#include "tokenizer/bpe.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "core/error.hpp"
#include "tokenizer/unicode.hpp"

namespace inferbench::tokenizer {
namespace {

constexpr std::size_t kCacheCapacity = 1 << 18;   // pieces; afterwards new pieces are not cached
constexpr std::size_t kCacheMaxPieceBytes = 256;  // longer pieces are rare and not worth caching

struct ByteAlphabet {
  std::array<char32_t, 256> to_char{};
  std::array<std::string, 256> to_utf8;
  std::array<std::int16_t, 256 + 68> to_byte{};  // code point -> byte, or -1
  ByteAlphabet() {
    to_byte.fill(-1);
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      to_char[static_cast<std::size_t>(b)] = printable ? static_cast<char32_t>(b) : next++;
      to_byte[to_char[static_cast<std::size_t>(b)]] = static_cast<std::int16_t>(b);
      append_utf8(to_utf8[static_cast<std::size_t>(b)], to_char[static_cast<std::size_t>(b)]);
    }
  }
};

const ByteAlphabet& alphabet() {
  static const ByteAlphabet a;
  return a;
}

constexpr std::uint64_t kEmptyKey = ~std::uint64_t{0};

std::uint64_t slot_of(std::uint64_t key, std::uint64_t mask) { return ((key * 0x9E3779B97F4A7C15ull) >> 20) & mask; }

std::uint64_t pair_key(std::int32_t a, std::int32_t b) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) | static_cast<std::uint32_t>(b);
}

}  // namespace

char32_t byte_to_char(std::uint8_t b) { return alphabet().to_char[b]; }

int char_to_byte(char32_t cp) { return cp < 256 + 68 ? alphabet().to_byte[cp] : -1; }

std::string bytes_to_byte_level(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) out += alphabet().to_utf8[static_cast<unsigned char>(c)];
  return out;
}

BpeModel::BpeModel(BpeConfig config) : config_(std::move(config)), cache_(kCacheCapacity) {
  std::int32_t max_id = -1;
  for (const auto& [token, id] : config_.vocab) {
    if (id < 0) throw Error(fmt::format("tokenizer: negative id {} for token {:?}", id, token));
    max_id = std::max(max_id, id);
  }
  id_to_token_.resize(static_cast<std::size_t>(max_id) + 1);
  for (const auto& [token, id] : config_.vocab) id_to_token_[static_cast<std::size_t>(id)] = token;

  const std::size_t prefix_len = config_.continuing_subword_prefix.size();
  std::size_t capacity = 16;
  while (capacity < config_.merges.size() * 2) capacity *= 2;
  merge_table_.assign(capacity, MergeSlot{kEmptyKey, Merge{0, 0}});
  merge_mask_ = capacity - 1;
  for (std::size_t rank = 0; rank < config_.merges.size(); ++rank) {
    const auto& [a, b] = config_.merges[rank];
    const auto ia = config_.vocab.find(a);
    const auto ib = config_.vocab.find(b);
    std::string merged = a;
    merged += prefix_len && b.starts_with(config_.continuing_subword_prefix) ? b.substr(prefix_len) : b;
    const auto im = config_.vocab.find(merged);
    if (ia == config_.vocab.end() || ib == config_.vocab.end() || im == config_.vocab.end())
      throw Error(fmt::format("tokenizer: BPE merge #{} ({:?} {:?}) uses a token missing from the vocab", rank, a, b));
    // The first (lowest-rank) occurrence of a pair wins, as in HF.
    const std::uint64_t key = pair_key(ia->second, ib->second);
    std::uint64_t slot = slot_of(key, merge_mask_);
    while (merge_table_[slot].key != kEmptyKey && merge_table_[slot].key != key) slot = (slot + 1) & merge_mask_;
    if (merge_table_[slot].key == kEmptyKey)
      merge_table_[slot] = MergeSlot{key, Merge{static_cast<std::int32_t>(rank), im->second}};
  }
  const std::string_view kMeta = "\u2581";
  split_before_metaspace_ = !config_.byte_level_input && !config_.ignore_merges && config_.vocab.contains(kMeta) &&
                            config_.continuing_subword_prefix.empty() && config_.end_of_word_suffix.empty() &&
                            std::ranges::none_of(config_.merges, [&](const auto& m) {
                              return m.second.starts_with(kMeta) && !m.first.ends_with(kMeta);
                            });
  config_.merges.clear();
  config_.merges.shrink_to_fit();

  for (int b = 0; b < 256; ++b) {
    const auto it = config_.vocab.find(alphabet().to_utf8[static_cast<std::size_t>(b)]);
    byte_ids_[b] = it == config_.vocab.end() ? -1 : it->second;
    const auto fb = config_.vocab.find(fmt::format("<0x{:02X}>", b));
    fallback_ids_[b] = fb == config_.vocab.end() ? -1 : fb->second;
  }
  if (config_.unk_token) {
    const auto it = config_.vocab.find(*config_.unk_token);
    if (it == config_.vocab.end())
      throw Error(fmt::format("tokenizer: unk_token {:?} is not in the vocab", *config_.unk_token));
    unk_id_ = it->second;
  }
}

const std::string* BpeModel::id_to_token(std::int32_t id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= id_to_token_.size()) return nullptr;
  const std::string& t = id_to_token_[static_cast<std::size_t>(id)];
  return t.empty() ? nullptr : &t;
}

std::optional<std::int32_t> BpeModel::token_to_id(std::string_view token) const {
  const auto it = config_.vocab.find(token);
  if (it == config_.vocab.end()) return std::nullopt;
  return it->second;
}

const BpeModel::Merge* BpeModel::find_merge(std::int32_t a, std::int32_t b) const {
  const std::uint64_t key = pair_key(a, b);
  for (std::uint64_t slot = slot_of(key, merge_mask_);; slot = (slot + 1) & merge_mask_) {
    const MergeSlot& s = merge_table_[slot];
    if (s.key == key) return &s.merge;
    if (s.key == kEmptyKey) return nullptr;
  }
}

void BpeModel::initial_symbols(std::string_view piece, std::vector<std::int32_t>& symbols) const {
  const bool plain = config_.continuing_subword_prefix.empty() && config_.end_of_word_suffix.empty();
  if (config_.byte_level_input && plain) {
    bool all_known = true;
    for (const char c : piece) {
      const std::int32_t id = byte_ids_[static_cast<unsigned char>(c)];
      all_known = all_known && id >= 0;
      symbols.push_back(id);
    }
    if (all_known) return;
    symbols.clear();
  }
  // General path, mirroring HF's BPE::merge_word: one symbol per character, with optional
  // prefix/suffix; unknown characters go to byte fallback, then to a (possibly fused) unk.
  const std::string text = config_.byte_level_input ? bytes_to_byte_level(piece) : std::string(piece);
  std::int32_t pending_unk = -1;
  std::string s;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t start = i;
    next_codepoint(text, i);
    s.assign(text, start, i - start);
    if (start > 0 && !config_.continuing_subword_prefix.empty()) s.insert(0, config_.continuing_subword_prefix);
    if (i >= text.size()) s += config_.end_of_word_suffix;
    if (const auto it = config_.vocab.find(s); it != config_.vocab.end()) {
      if (pending_unk >= 0) symbols.push_back(pending_unk);
      pending_unk = -1;
      symbols.push_back(it->second);
      continue;
    }
    if (config_.byte_fallback) {
      bool all = true;
      for (const char c : s) all = all && fallback_ids_[static_cast<unsigned char>(c)] >= 0;
      if (all) {
        for (const char c : s) symbols.push_back(fallback_ids_[static_cast<unsigned char>(c)]);
        continue;
      }
    }
    if (unk_id_ >= 0) {
      if (pending_unk >= 0 && !config_.fuse_unk) symbols.push_back(pending_unk);
      pending_unk = unk_id_;
    }
  }
  if (pending_unk >= 0) symbols.push_back(pending_unk);
}

void BpeModel::merge_symbols(std::vector<std::int32_t>& symbols) const {
  const auto n = static_cast<std::int32_t>(symbols.size());
  if (n < 2) return;
  // Heap of candidate merges ordered by (rank, position): lowest rank first, leftmost on ties.
  struct Candidate {
    std::int32_t rank;
    std::int32_t pos;
    std::int32_t new_id;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  thread_local std::vector<Candidate> heap;
  thread_local std::vector<std::int32_t> prev, next;
  heap.clear();
  prev.resize(static_cast<std::size_t>(n));
  next.resize(static_cast<std::size_t>(n));
  const auto cmp = [](const Candidate& a, const Candidate& b) { return a > b; };
  for (std::int32_t i = 0; i < n; ++i) {
    prev[static_cast<std::size_t>(i)] = i - 1;
    next[static_cast<std::size_t>(i)] = i + 1 < n ? i + 1 : -1;
    if (i + 1 < n) {
      if (const Merge* m = find_merge(symbols[static_cast<std::size_t>(i)], symbols[static_cast<std::size_t>(i) + 1]))
        heap.push_back({m->rank, i, m->new_id});
    }
  }
  std::make_heap(heap.begin(), heap.end(), cmp);
  constexpr std::int32_t kDead = -1;
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), cmp);
    const Candidate top = heap.back();
    heap.pop_back();
    const auto pos = static_cast<std::size_t>(top.pos);
    if (symbols[pos] == kDead || next[pos] < 0) continue;
    const auto right = static_cast<std::size_t>(next[pos]);
    const Merge* m = find_merge(symbols[pos], symbols[right]);
    if (!m || m->new_id != top.new_id) continue;
    symbols[pos] = m->new_id;
    symbols[right] = kDead;
    next[pos] = next[right];
    if (next[pos] >= 0) prev[static_cast<std::size_t>(next[pos])] = top.pos;
    if (prev[pos] >= 0) {
      const auto left = static_cast<std::size_t>(prev[pos]);
      if (const Merge* lm = find_merge(symbols[left], symbols[pos])) {
        heap.push_back({lm->rank, prev[pos], lm->new_id});
        std::push_heap(heap.begin(), heap.end(), cmp);
      }
    }
    if (next[pos] >= 0) {
      if (const Merge* rm = find_merge(symbols[pos], symbols[static_cast<std::size_t>(next[pos])])) {
        heap.push_back({rm->rank, top.pos, rm->new_id});
        std::push_heap(heap.begin(), heap.end(), cmp);
      }
    }
  }
  std::erase(symbols, kDead);
}

void BpeModel::encode_piece(std::string_view piece, std::vector<std::int32_t>& out) const {
  if (!split_before_metaspace_) {
    encode_word(piece, out);
    return;
  }
  constexpr std::string_view kMeta = "\u2581";
  std::size_t start = 0;
  for (std::size_t pos = piece.find(kMeta, 1); pos != std::string_view::npos;
       pos = piece.find(kMeta, pos + kMeta.size())) {
    if (pos >= start + kMeta.size() && piece.substr(pos - kMeta.size(), kMeta.size()) == kMeta) continue;
    if (pos == start) continue;
    encode_word(piece.substr(start, pos - start), out);
    start = pos;
  }
  encode_word(piece.substr(start), out);
}

void BpeModel::encode_word(std::string_view piece, std::vector<std::int32_t>& out) const {
  if (piece.empty()) return;
  const bool cacheable = piece.size() <= kCacheMaxPieceBytes;
  const std::uint64_t hash = cacheable ? PieceCache::hash(piece) : 0;
  if (cacheable && cache_.find(piece, hash, out)) return;
  thread_local std::vector<std::int32_t> symbols;
  symbols.clear();
  std::optional<std::int32_t> whole;
  if (config_.ignore_merges) {
    if (config_.byte_level_input) {
      const std::string mapped = bytes_to_byte_level(piece);
      whole = token_to_id(mapped);
    } else {
      whole = token_to_id(piece);
    }
  }
  if (whole) {
    symbols.push_back(*whole);
  } else {
    initial_symbols(piece, symbols);
    merge_symbols(symbols);
  }
  out.insert(out.end(), symbols.begin(), symbols.end());
  if (cacheable) cache_.insert(piece, hash, symbols);
}

}  // namespace inferbench::tokenizer
