#include <gtest/gtest.h>

#include <numeric>

#include "model_test_util.hpp"
#include "sim/model/engine.hpp"

namespace inferbench::sim {
namespace {

using testing::run_to_completion;
using testing::toy_config;

std::vector<std::uint32_t> iota_tokens(std::uint32_t n, std::uint32_t first) {
  std::vector<std::uint32_t> v(n);
  std::iota(v.begin(), v.end(), first);
  return v;
}

// Runs one request to completion on `e` and returns its cached prompt tokens.
std::uint32_t run_one(EngineModel& e, SeqRequest r) {
  const std::uint64_t id = r.id;
  r.arrival_s = e.now();
  EXPECT_EQ(e.submit(std::move(r)), SubmitStatus::kAccepted);
  const auto log = run_to_completion(e);
  return log.finished.at(id).cached_tokens;
}

TEST(PrefixCache, IdenticalPromptsHitAllButTheLastToken) {
  EngineModel e(toy_config(1000));
  EXPECT_EQ(run_one(e, SeqRequest::from_tokens(1, iota_tokens(100, 0), 4, 0)), 0u);
  // 100 tokens: 6 full blocks, all reusable (the 7th is partial).
  EXPECT_EQ(run_one(e, SeqRequest::from_tokens(2, iota_tokens(100, 0), 4, 0)), 96u);
  // 64 tokens: the last block must be recomputed to produce logits, so 3 blocks hit.
  EXPECT_EQ(run_one(e, SeqRequest::from_tokens(3, iota_tokens(64, 0), 4, 0)), 48u);
  const EngineStats st = e.stats();
  EXPECT_EQ(st.prefix_cache_queries, 264u);
  EXPECT_EQ(st.prefix_cache_hits, 144u);
}

TEST(PrefixCache, OnlyTheSharedPrefixHits) {
  EngineModel e(toy_config(1000));
  run_one(e, SeqRequest::from_tokens(1, iota_tokens(100, 0), 4, 0));
  auto diverging = iota_tokens(100, 0);
  diverging[70] = 99999;  // inside block 4: blocks 0–3 are shared
  EXPECT_EQ(run_one(e, SeqRequest::from_tokens(2, diverging, 4, 0)), 64u);
  auto early = iota_tokens(100, 0);
  early[5] = 12345;  // the first block differs: the chain shares nothing
  EXPECT_EQ(run_one(e, SeqRequest::from_tokens(3, early, 4, 0)), 0u);
  EXPECT_EQ(run_one(e, SeqRequest::from_tokens(4, iota_tokens(100, 1), 4, 0)), 0u);
  // Same blocks at a different position do not hit (hashes chain on the parent).
  auto shifted = iota_tokens(16, 1000);
  const auto tail = iota_tokens(100, 0);
  shifted.insert(shifted.end(), tail.begin(), tail.end());
  EXPECT_EQ(run_one(e, SeqRequest::from_tokens(5, shifted, 4, 0)), 0u);
}

TEST(PrefixCache, LengthOnlyPromptsAreUnique) {
  EngineModel e(toy_config(1000));
  EXPECT_EQ(run_one(e, SeqRequest::from_length(1, 100, 4, 0)), 0u);
  EXPECT_EQ(run_one(e, SeqRequest::from_length(2, 100, 4, 0)), 0u);
  EXPECT_EQ(e.stats().prefix_cache_hits, 0u);
}

TEST(PrefixCache, BlockHashesDeclareSharing) {
  EngineModel e(toy_config(1000));
  SeqRequest a = SeqRequest::from_length(1, 100, 4, 0);
  a.block_hashes = {11, 22, 33};
  EXPECT_EQ(run_one(e, a), 0u);
  SeqRequest b = SeqRequest::from_length(2, 100, 4, 0);
  b.block_hashes = {11, 22, 33, 44};
  EXPECT_EQ(run_one(e, b), 48u);
  SeqRequest c = SeqRequest::from_length(3, 100, 4, 0);
  c.block_hashes = {11, 99, 33};
  EXPECT_EQ(run_one(e, c), 16u);
}

TEST(PrefixCache, DisabledMeansNoHits) {
  EngineConfig c = toy_config(1000);
  c.enable_prefix_caching = false;
  EngineModel e(c);
  run_one(e, SeqRequest::from_tokens(1, iota_tokens(100, 0), 4, 0));
  EXPECT_EQ(run_one(e, SeqRequest::from_tokens(2, iota_tokens(100, 0), 4, 0)), 0u);
  EXPECT_EQ(e.stats().prefix_cache_queries, 0u);
}

TEST(PrefixCache, RunningRequestsShareBlocks) {
  EngineModel e(toy_config(1000));
  e.submit(SeqRequest::from_tokens(1, iota_tokens(100, 0), 50, 0));
  e.step();  // request 1's prompt is computed and its blocks registered
  e.submit(SeqRequest::from_tokens(2, iota_tokens(100, 0), 50, e.now()));
  e.step();
  std::uint32_t table = 0;
  for (const auto& s : e.sequences()) table += s.num_blocks;
  // Both hold 7 blocks, 6 of them the same physical blocks.
  EXPECT_EQ(table, 14u);
  EXPECT_EQ(e.pool().num_used(), 8u);
  std::uint32_t shared = 0;
  for (std::uint32_t b = 0; b < e.pool().num_blocks(); ++b) shared += e.pool().ref_count(b) == 2;
  EXPECT_EQ(shared, 6u);
  const auto log = run_to_completion(e);
  EXPECT_EQ(log.finished.at(2).cached_tokens, 96u);
  EXPECT_EQ(e.pool().num_used(), 0u);
}

TEST(PrefixCache, LeastRecentlyUsedBlocksAreEvicted) {
  EngineModel e(toy_config(20));  // 320 tokens
  run_one(e, SeqRequest::from_tokens(1, iota_tokens(100, 0), 4, 0));
  // Two unique requests reuse every free block, evicting request 1's cached prefix.
  run_one(e, SeqRequest::from_length(2, 150, 4, 0));
  run_one(e, SeqRequest::from_length(3, 150, 4, 0));
  EXPECT_GT(e.pool().evictions(), 0u);
  EXPECT_EQ(run_one(e, SeqRequest::from_tokens(4, iota_tokens(100, 0), 4, 0)), 0u);
  // Freshly cached again: the next identical prompt hits.
  EXPECT_EQ(run_one(e, SeqRequest::from_tokens(5, iota_tokens(100, 0), 4, 0)), 96u);
}

TEST(PrefixCache, RecentPrefixSurvivesWhileOlderOneIsEvicted) {
  EngineModel e(toy_config(20));
  run_one(e, SeqRequest::from_tokens(1, iota_tokens(64, 0), 1, 0));    // older: 4 blocks
  run_one(e, SeqRequest::from_tokens(2, iota_tokens(64, 500), 1, 0));  // newer: 4 blocks
  // 12 free blocks are never cached; this one needs 14, so it evicts 2 blocks — the LRU ones.
  run_one(e, SeqRequest::from_length(3, 220, 1, 0));
  EXPECT_EQ(run_one(e, SeqRequest::from_tokens(4, iota_tokens(64, 500), 1, 0)), 48u);
}

}  // namespace
}  // namespace inferbench::sim
