#pragma once
// Shared helpers for the engine-model tests.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <vector>

#include "sim/model/engine.hpp"

namespace inferbench::sim::testing {

// A small round-number model on a round-number accelerator; KV capacity set explicitly.
inline EngineConfig toy_config(std::uint32_t num_blocks) {
  EngineConfig c;
  c.model.name = "toy";
  c.model.layers = 2;
  c.model.hidden = 1000;
  c.model.heads = 10;
  c.model.kv_heads = 10;
  c.model.head_dim = 100;
  c.model.intermediate = 4000;
  c.model.vocab = 1000;
  c.model.params = 1e9;
  c.hardware = {"toy", 100e9, 1e12, 1e14, 2e11};
  c.num_gpu_blocks_override = num_blocks;
  c.watermark = 0;
  c.admission_delay_s = 0;
  return c;
}

// Checks the engine's bookkeeping after a step: references equal block-table entries, the free
// count equals the blocks nobody references, running sequences hold exactly the blocks their
// computed tokens need, waiting ones hold none, and the per-iteration limits hold.
inline void check_invariants(const EngineModel& e, const IterationResult& r) {
  const KvBlockPool& pool = e.pool();
  std::uint64_t refs = 0;
  std::uint32_t unreferenced = 0;
  for (std::uint32_t b = 0; b < pool.num_blocks(); ++b) {
    refs += pool.ref_count(b);
    unreferenced += pool.ref_count(b) == 0 ? 1 : 0;
  }
  ASSERT_EQ(unreferenced, pool.num_free());
  ASSERT_LE(pool.num_used(), pool.num_blocks());
  std::uint64_t table = 0;
  std::uint32_t running = 0;
  const std::uint32_t bs = e.config().block_size;
  for (const SeqInfo& s : e.sequences()) {
    table += s.num_blocks;
    if (s.running) {
      ++running;
      ASSERT_EQ(s.num_blocks, (s.num_computed + bs - 1) / bs) << "seq " << s.id;
    } else {
      ASSERT_EQ(s.num_blocks, 0u) << "waiting seq " << s.id << " holds blocks";
      ASSERT_EQ(s.num_computed, 0u);
    }
  }
  ASSERT_EQ(refs, table);
  ASSERT_LE(running, e.config().max_num_seqs);
  ASSERT_LE(r.tokens(), e.config().max_num_batched_tokens);
  ASSERT_LE(r.scheduled_seqs, e.config().max_num_seqs);
  ASSERT_GE(r.end_s, r.start_s);
}

// What a run delivered, per request id.
struct RunLog {
  std::map<std::uint64_t, std::uint32_t> tokens;           // tokens emitted
  std::map<std::uint64_t, std::uint32_t> firsts;           // first-token events
  std::map<std::uint64_t, double> first_token_s;           // time of the first token
  std::map<std::uint64_t, FinishedRequest> finished;       // finish records
  std::map<std::uint64_t, std::uint32_t> preempted;        // preemption events
  std::vector<std::uint64_t> finish_order;                 // ids in finishing order
  std::map<std::uint64_t, std::uint32_t> last_num_output;  // latest output position
  std::uint64_t steps = 0;
};

// Steps the engine until it has no work, checking invariants after every step.
inline RunLog run_to_completion(EngineModel& e, std::uint64_t max_steps = 1'000'000) {
  RunLog log;
  while (e.has_work() && log.steps < max_steps) {
    const IterationResult& r = e.step();
    ++log.steps;
    check_invariants(e, r);
    if (::testing::Test::HasFatalFailure()) return log;
    for (const SeqEvent& ev : r.events) {
      if (ev.preempted) ++log.preempted[ev.id];
      log.tokens[ev.id] += ev.tokens;
      if (ev.tokens > 0) {
        // Output positions advance by one per token (steps run before this log included).
        const auto last = log.last_num_output.find(ev.id);
        if (last != log.last_num_output.end()) {
          EXPECT_EQ(ev.num_output, last->second + 1) << "id " << ev.id;
        }
        log.last_num_output[ev.id] = ev.num_output;
      }
      if (ev.first) {
        ++log.firsts[ev.id];
        log.first_token_s[ev.id] = r.end_s;
      }
      if (ev.finished) log.finish_order.push_back(ev.id);
    }
    for (const FinishedRequest& f : r.finished) log.finished[f.id] = f;
  }
  return log;
}

}  // namespace inferbench::sim::testing
