#include "sim/model/kv_cache.hpp"

#include <cassert>

namespace inferbench::sim {

KvBlockPool::KvBlockPool(std::uint32_t num_blocks, bool prefix_caching)
    : num_blocks_(num_blocks),
      prefix_caching_(prefix_caching),
      ref_(num_blocks, 0),
      hash_(num_blocks, 0),
      prev_(num_blocks + 1),
      next_(num_blocks + 1) {
  const std::uint32_t sentinel = num_blocks_;
  prev_[sentinel] = next_[sentinel] = sentinel;
  for (std::uint32_t b = 0; b < num_blocks_; ++b) push_back(b);
  if (prefix_caching_) cached_.reserve(num_blocks_);
}

double KvBlockPool::usage() const { return num_blocks_ == 0 ? 0.0 : static_cast<double>(num_used()) / num_blocks_; }

void KvBlockPool::unlink(std::uint32_t block) {
  next_[prev_[block]] = next_[block];
  prev_[next_[block]] = prev_[block];
  --num_free_;
}

void KvBlockPool::push_back(std::uint32_t block) {
  const std::uint32_t sentinel = num_blocks_;
  const std::uint32_t last = prev_[sentinel];
  prev_[block] = last;
  next_[block] = sentinel;
  next_[last] = block;
  prev_[sentinel] = block;
  ++num_free_;
}

std::uint32_t KvBlockPool::find_cached(std::uint64_t hash) const {
  if (!prefix_caching_) return kNone;
  const auto it = cached_.find(hash);
  return it == cached_.end() ? kNone : it->second;
}

void KvBlockPool::acquire(std::uint32_t block) {
  if (ref_[block]++ == 0) unlink(block);
}

std::uint32_t KvBlockPool::allocate() {
  const std::uint32_t sentinel = num_blocks_;
  const std::uint32_t block = next_[sentinel];
  if (block == sentinel) return kNone;
  unlink(block);
  if (hash_[block] != 0) {
    cached_.erase(hash_[block]);
    hash_[block] = 0;
    ++evictions_;
  }
  ref_[block] = 1;
  return block;
}

void KvBlockPool::release(std::uint32_t block) {
  assert(ref_[block] > 0);
  if (--ref_[block] == 0) push_back(block);
}

void KvBlockPool::cache(std::uint32_t block, std::uint64_t hash) {
  if (!prefix_caching_ || hash_[block] != 0) return;
  if (hash == 0) hash = 1;  // 0 marks "not cached"
  if (cached_.emplace(hash, block).second) hash_[block] = hash;
}

}  // namespace inferbench::sim
