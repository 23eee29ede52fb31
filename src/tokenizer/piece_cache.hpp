#pragma once
// A bounded, insert-only cache of pre-tokenized piece -> token ids, shared by all threads without
// locks: lookups are a hash, a probe of an open-addressing table and one acquire load per slot.
// The table starts small and doubles as it fills, so a text with few distinct words keeps its
// table in the CPU's cache. The BPE model's hot path; see docs/tokenizer.md ("Speed").
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

namespace inferbench::tokenizer {

class PieceCache {
 public:
  // Holds up to capacity pieces (about; a power of two); later inserts are dropped.
  explicit PieceCache(std::size_t capacity);
  ~PieceCache();
  PieceCache(const PieceCache&) = delete;
  PieceCache& operator=(const PieceCache&) = delete;

  static std::uint64_t hash(std::string_view piece) noexcept;
  // Appends the cached ids of piece to out and returns true, or returns false if it is not cached.
  bool find(std::string_view piece, std::uint64_t hash, std::vector<std::int32_t>& out) const noexcept;
  // Caches piece -> ids (a no-op if the cache is full or another thread cached it first).
  void insert(std::string_view piece, std::uint64_t hash, std::span<const std::int32_t> ids);

 private:
  struct Entry;
  struct Table;
  static constexpr int kMaxProbes = 32;
  static bool place(Table& table, Entry* e) noexcept;
  void grow(const Table* full);

  std::size_t max_slots_;
  std::atomic<Table*> current_;
  std::mutex grow_mutex_;                       // only taken to replace a full table
  std::vector<std::unique_ptr<Table>> tables_;  // every generation: readers may still hold an old one
};

}  // namespace inferbench::tokenizer
