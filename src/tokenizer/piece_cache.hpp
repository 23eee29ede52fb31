#pragma once
// A bounded, insert-only cache of pre-tokenized piece -> token ids, shared by all threads without
// locks: lookups are a hash, a probe of an open-addressing table and one acquire load per slot.
// The BPE model's hot path; see docs/tokenizer.md ("Speed").
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace inferbench::tokenizer {

class PieceCache {
 public:
  // Holds up to capacity pieces (rounded up to a power of two); later inserts are dropped.
  explicit PieceCache(std::size_t capacity);
  ~PieceCache();
  PieceCache(const PieceCache&) = delete;
  PieceCache& operator=(const PieceCache&) = delete;

  static std::uint64_t hash(std::string_view piece) noexcept;
  // Appends the cached ids of piece to out and returns true, or returns false if it is not cached.
  bool find(std::string_view piece, std::uint64_t hash, std::vector<std::int32_t>& out) const noexcept;
  // Caches piece -> ids (a no-op if the cache is full or another thread cached it first).
  void insert(std::string_view piece, std::uint64_t hash, std::span<const std::int32_t> ids) noexcept;

 private:
  struct Entry;
  static constexpr int kMaxProbes = 32;
  std::unique_ptr<std::atomic<Entry*>[]> slots_;
  std::size_t mask_;
  std::size_t limit_;               // entries allowed (half the slots)
  std::atomic<std::size_t> size_{0};
};

}  // namespace inferbench::tokenizer
