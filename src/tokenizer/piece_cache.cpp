#include "tokenizer/piece_cache.hpp"

#include <algorithm>
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

// An open-addressing table (linear probing, power-of-two size) of entry pointers, at most half full.
struct PieceCache::Table {
  explicit Table(std::size_t slot_count)
      : slots(std::make_unique<std::atomic<Entry*>[]>(slot_count)), mask(slot_count - 1), limit(slot_count / 2) {
    for (std::size_t i = 0; i < slot_count; ++i) slots[i].store(nullptr, std::memory_order_relaxed);
  }
  std::unique_ptr<std::atomic<Entry*>[]> slots;
  std::size_t mask;
  std::size_t limit;
  std::atomic<std::size_t> size{0};
};

PieceCache::PieceCache(std::size_t capacity) {
  constexpr std::size_t kFirstSlots = 4096;
  max_slots_ = kFirstSlots;
  while (max_slots_ < capacity * 2) max_slots_ *= 2;
  tables_.push_back(std::make_unique<Table>(kFirstSlots));
  current_.store(tables_.back().get(), std::memory_order_relaxed);
}

PieceCache::~PieceCache() {
  // An entry can sit in several generations (or only in an old one, if it was inserted while the
  // table was being replaced): free each exactly once.
  std::vector<Entry*> all;
  for (const auto& t : tables_)
    for (std::size_t i = 0; i <= t->mask; ++i)
      if (Entry* e = t->slots[i].load(std::memory_order_relaxed)) all.push_back(e);
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  for (Entry* e : all) ::operator delete(e);
}

namespace {

// The n < 8 bytes at p as one little-endian word, without reading past them (and without a
// variable-length memcpy call, which costs more than the hash).
std::uint64_t load_tail(const char* p, std::size_t n) noexcept {
  const auto byte = [p](std::size_t i) { return static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])); };
  if (n >= 4) {
    std::uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    return lo | (static_cast<std::uint64_t>(hi) << 32);  // overlapping halves; n is hashed separately
  }
  if (n == 0) return 0;
  return byte(0) | (byte(n / 2) << 8) | (byte(n - 1) << 16);
}

bool same_bytes(const char* a, const char* b, std::size_t n) noexcept {
  for (; n >= 8; a += 8, b += 8, n -= 8) {
    std::uint64_t x, y;
    std::memcpy(&x, a, 8);
    std::memcpy(&y, b, 8);
    if (x != y) return false;
  }
  return load_tail(a, n) == load_tail(b, n);
}

}  // namespace

std::uint64_t PieceCache::hash(std::string_view piece) noexcept {
  // Eight bytes at a time, each word folded in with a multiply-xorshift; pieces are short.
  constexpr std::uint64_t kMul = 0x9E3779B97F4A7C15ull;
  std::uint64_t h = (piece.size() + 1) * kMul;
  const char* p = piece.data();
  std::size_t n = piece.size();
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
  }
  h = (h ^ load_tail(p, n)) * kMul;
  h ^= h >> 32;
  return h;
}

bool PieceCache::find(std::string_view piece, std::uint64_t hash, std::vector<std::int32_t>& out) const noexcept {
  const Table& t = *current_.load(std::memory_order_acquire);
  for (std::size_t i = 0, slot = hash & t.mask; i < kMaxProbes; ++i, slot = (slot + 1) & t.mask) {
    const Entry* e = t.slots[slot].load(std::memory_order_acquire);
    if (!e) return false;
    if (e->hash == hash && e->size == piece.size() && same_bytes(e->bytes(), piece.data(), piece.size())) {
      for (std::uint32_t k = 0; k < e->count; ++k) out.push_back(e->ids()[k]);  // usually 1-2: no memmove call
      return true;
    }
  }
  return false;
}

bool PieceCache::place(Table& table, Entry* e) noexcept {
  for (std::size_t i = 0, slot = e->hash & table.mask; i < kMaxProbes; ++i, slot = (slot + 1) & table.mask) {
    Entry* expected = nullptr;
    if (table.slots[slot].compare_exchange_strong(expected, e, std::memory_order_release, std::memory_order_acquire)) {
      table.size.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
    if (expected == e ||
        (expected->hash == e->hash && expected->size == e->size && same_bytes(expected->bytes(), e->bytes(), e->size)))
      return false;  // already there (another thread cached it first)
  }
  return false;
}

void PieceCache::grow(const Table* full) {
  const std::lock_guard lock(grow_mutex_);
  if (current_.load(std::memory_order_relaxed) != full || full->mask + 1 >= max_slots_) return;
  auto next = std::make_unique<Table>((full->mask + 1) * 2);
  for (std::size_t i = 0; i <= full->mask; ++i)
    if (Entry* e = full->slots[i].load(std::memory_order_acquire)) place(*next, e);
  current_.store(next.get(), std::memory_order_release);
  tables_.push_back(std::move(next));
}

void PieceCache::insert(std::string_view piece, std::uint64_t hash, std::span<const std::int32_t> ids) {
  Table* table = current_.load(std::memory_order_acquire);
  if (table->size.load(std::memory_order_relaxed) >= table->limit) {
    if (table->mask + 1 >= max_slots_) return;  // at capacity: no lock on every miss
    grow(table);
    table = current_.load(std::memory_order_acquire);
    if (table->size.load(std::memory_order_relaxed) >= table->limit) return;  // at capacity
  }
  void* memory = ::operator new(sizeof(Entry) + ids.size() * sizeof(std::int32_t) + piece.size(), std::nothrow);
  if (!memory) return;
  auto* e = new (memory) Entry{hash, static_cast<std::uint32_t>(piece.size()), static_cast<std::uint32_t>(ids.size())};
  if (!ids.empty()) std::memcpy(e->ids(), ids.data(), ids.size() * sizeof(std::int32_t));  // data() may be null
  std::memcpy(e->bytes(), piece.data(), piece.size());
  if (!place(*table, e)) ::operator delete(e);
}

}  // namespace inferbench::tokenizer
