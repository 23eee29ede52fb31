#pragma once
// Paged KV-cache block pool with prefix caching, after vLLM V1's BlockPool: blocks are
// ref-counted; a block whose count drops to 0 joins the tail of a free queue but keeps its
// content hash, so a later request with the same prefix can reuse it until the block is taken
// from the head of the queue for new content (LRU eviction). All operations are O(1).
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace inferbench::sim {

// The block pool of one engine. Not thread-safe.
class KvBlockPool {
 public:
  static constexpr std::uint32_t kNone = 0xffffffffu;  // "no block"

  // A pool of `num_blocks` blocks, all free; hashes are kept only with `prefix_caching`.
  KvBlockPool(std::uint32_t num_blocks, bool prefix_caching);

  std::uint32_t num_blocks() const { return num_blocks_; }            // capacity, blocks
  std::uint32_t num_free() const { return num_free_; }                // blocks with no reference
  std::uint32_t num_used() const { return num_blocks_ - num_free_; }  // referenced blocks
  // Fraction of blocks referenced by some sequence (vLLM's kv_cache_usage_perc), 0–1.
  double usage() const;
  // Blocks currently registered under a content hash (in use or evictable).
  std::size_t num_cached() const { return cached_.size(); }
  bool prefix_caching() const { return prefix_caching_; }  // whether hashes are kept

  // The block holding content `hash`, or kNone; does not take a reference.
  std::uint32_t find_cached(std::uint64_t hash) const;
  // Takes one reference to `block` (a cached hit), removing it from the free queue if idle.
  void acquire(std::uint32_t block);
  // Takes a block from the head of the free queue (evicting its hash); kNone if none is free.
  std::uint32_t allocate();
  // Drops one reference; at 0 the block joins the free queue tail (evicted last).
  void release(std::uint32_t block);
  // Registers the full, computed `block` under `hash` unless another block already holds it.
  void cache(std::uint32_t block, std::uint64_t hash);
  // References held on `block`.
  std::uint32_t ref_count(std::uint32_t block) const { return ref_[block]; }
  // Cached blocks taken from the free queue for new content since construction.
  std::uint64_t evictions() const { return evictions_; }

 private:
  void unlink(std::uint32_t block);
  void push_back(std::uint32_t block);

  std::uint32_t num_blocks_;
  bool prefix_caching_;
  std::uint32_t num_free_ = 0;
  std::uint64_t evictions_ = 0;
  std::vector<std::uint32_t> ref_;
  std::vector<std::uint64_t> hash_;                          // 0 = not cached
  std::vector<std::uint32_t> prev_, next_;                   // free queue links; index num_blocks_ is the sentinel
  std::unordered_map<std::uint64_t, std::uint32_t> cached_;  // hash -> block
};

}  // namespace inferbench::sim
