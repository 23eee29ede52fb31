#include "tokenizer/piece_cache.hpp"

#include <cstring>
#include <new>

namespace inferbench::tokenizer {

// One allocation per entry: the header, then the ids, then the piece's bytes. Entries are
// immutable once published, so readers need no lock; they are freed only with the cache.
struct PieceCache::Entry {
  std::uint64_t hash;
  std::uint32_t size;   // piece bytes
  std::uint32_t count;  // ids
  const std::int32_t* ids() const { return reinterpret_cast<const std::int32_t*>(this + 1); }
  std::int32_t* ids() { return reinterpret_cast<std::int32_t*>(this + 1); }
  const char* bytes() const { return reinterpret_cast<const char*>(ids() + count); }
  char* bytes() { return reinterpret_cast<char*>(ids() + count); }
};

PieceCache::PieceCache(std::size_t capacity) {
  std::size_t slots = 64;
  while (slots < capacity * 2) slots *= 2;
  slots_ = std::make_unique<std::atomic<Entry*>[]>(slots);
  for (std::size_t i = 0; i < slots; ++i) slots_[i].store(nullptr, std::memory_order_relaxed);
  mask_ = slots - 1;
  limit_ = slots / 2;
}

PieceCache::~PieceCache() {
  for (std::size_t i = 0; i <= mask_; ++i) ::operator delete(slots_[i].load(std::memory_order_relaxed));
}

std::uint64_t PieceCache::hash(std::string_view piece) noexcept {
  // Eight bytes at a time, each word folded in with a multiply-xorshift; pieces are short.
  constexpr std::uint64_t kMul = 0x9E3779B97F4A7C15ull;
  std::uint64_t h = piece.size() * kMul;
  const char* p = piece.data();
  std::size_t n = piece.size();
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
  }
  h *= kMul;
  return h ^ (h >> 32);
}

bool PieceCache::find(std::string_view piece, std::uint64_t hash, std::vector<std::int32_t>& out) const noexcept {
  for (std::size_t i = 0, slot = hash & mask_; i < kMaxProbes; ++i, slot = (slot + 1) & mask_) {
    const Entry* e = slots_[slot].load(std::memory_order_acquire);
    if (!e) return false;
    if (e->hash == hash && e->size == piece.size() && std::memcmp(e->bytes(), piece.data(), piece.size()) == 0) {
      out.insert(out.end(), e->ids(), e->ids() + e->count);
      return true;
    }
  }
  return false;
}

void PieceCache::insert(std::string_view piece, std::uint64_t hash, std::span<const std::int32_t> ids) noexcept {
  if (size_.load(std::memory_order_relaxed) >= limit_) return;
  void* memory = ::operator new(sizeof(Entry) + ids.size() * sizeof(std::int32_t) + piece.size(), std::nothrow);
  if (!memory) return;
  auto* e = new (memory) Entry{hash, static_cast<std::uint32_t>(piece.size()), static_cast<std::uint32_t>(ids.size())};
  std::memcpy(e->ids(), ids.data(), ids.size() * sizeof(std::int32_t));
  std::memcpy(e->bytes(), piece.data(), piece.size());
  for (std::size_t i = 0, slot = hash & mask_; i < kMaxProbes; ++i, slot = (slot + 1) & mask_) {
    Entry* expected = nullptr;
    if (slots_[slot].compare_exchange_strong(expected, e, std::memory_order_release, std::memory_order_acquire)) {
      size_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (expected->hash == hash && expected->size == piece.size() &&
        std::memcmp(expected->bytes(), piece.data(), piece.size()) == 0)
      break;  // another thread cached it first
  }
  ::operator delete(e);
}

}  // namespace inferbench::tokenizer
