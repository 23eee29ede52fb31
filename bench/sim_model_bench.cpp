// Engine-model micro-benchmarks: CPU cost of simulating continuous batching. The simulated
// server must stream >= 200,000 tokens/s on one core, so the engine's share per token has to
// stay far below 5 µs. Counters: tokens/s and iterations/s of CPU time.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <numeric>
#include <vector>

#include "core/rng.hpp"
#include "sim/model/engine.hpp"
#include "sim/model/latency_profile.hpp"

namespace inferbench::sim {
namespace {

constexpr std::uint32_t kConcurrent = 1000;

// Keeps kConcurrent sequences live: each finished one is replaced by a new one.
class SteadyLoad {
 public:
  explicit SteadyLoad(bool token_prompts) : token_prompts_(token_prompts), engine_(config()) {
    for (std::uint32_t i = 0; i < kConcurrent; ++i) submit(0);
  }

  static EngineConfig config() {
    EngineConfig c;
    c.model = find_model("Llama-3.1-8B");
    c.hardware = find_hardware("H100");
    c.max_num_seqs = 1024;
    c.max_num_batched_tokens = 8192;
    return c;
  }

  // One engine iteration; returns the tokens it emitted.
  std::uint64_t step() {
    const IterationResult& r = engine_.step();
    std::uint64_t tokens = 0;
    std::uint32_t finished = 0;
    for (const SeqEvent& ev : r.events) {
      tokens += ev.tokens;
      finished += ev.finished ? 1 : 0;
    }
    for (std::uint32_t i = 0; i < finished; ++i) submit(engine_.now());
    return tokens;
  }

 private:
  void submit(double now) {
    const std::uint64_t id = next_id_++;
    const std::uint32_t max_tokens = 64 + static_cast<std::uint32_t>((id * 37) % 384);
    SeqRequest r;
    if (token_prompts_) {
      // A 96-token shared system prompt, then a unique 64-token question.
      std::vector<std::uint32_t> tokens(160);
      std::iota(tokens.begin(), tokens.begin() + 96, 1u);
      for (std::size_t k = 96; k < tokens.size(); ++k) {
        tokens[k] = static_cast<std::uint32_t>(id * 131 + k);
      }
      r = SeqRequest::from_tokens(id, std::move(tokens), max_tokens, now);
    } else {
      r = SeqRequest::from_length(id, 160, max_tokens, now);
    }
    engine_.submit(std::move(r));
  }

  bool token_prompts_;
  EngineModel engine_;
  std::uint64_t next_id_ = 0;
};

void run_steady(benchmark::State& state, bool token_prompts) {
  SteadyLoad load(token_prompts);
  for (int i = 0; i < 2000; ++i) load.step();  // reach steady state: decode-heavy, full batch
  std::uint64_t tokens = 0;
  for (auto _ : state) tokens += load.step();
  state.counters["tokens_per_s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
  state.counters["iterations_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["s_per_token"] =
      benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_EngineStep1000Seqs_LengthPrompts(benchmark::State& state) { run_steady(state, false); }
BENCHMARK(BM_EngineStep1000Seqs_LengthPrompts)->Unit(benchmark::kMicrosecond);

void BM_EngineStep1000Seqs_TokenPrompts(benchmark::State& state) { run_steady(state, true); }
BENCHMARK(BM_EngineStep1000Seqs_TokenPrompts)->Unit(benchmark::kMicrosecond);

void BM_RooflineStepTime(benchmark::State& state) {
  const StepTimeModel m(find_model("Llama-3.1-8B"), find_hardware("H100"));
  BatchShape b;
  for (int i = 0; i < 256; ++i) b.add_decode(500 + i);
  b.add_prefill(512, 0);
  for (auto _ : state) benchmark::DoNotOptimize(m.step_time(b));
}
BENCHMARK(BM_RooflineStepTime);

void BM_LatencyProfileSample(benchmark::State& state) {
  LatencyProfileConfig c;
  c.prefill_overhead_s = 0.03;
  c.prefill_time_per_token_s = 0.0002;
  c.inter_token_latency_s = 0.012;
  c.inter_token_latency_std_dev_s = 0.002;
  const LatencyProfile p(c);
  Rng rng = make_rng(1, 0);
  std::vector<double> gaps;
  for (auto _ : state) benchmark::DoNotOptimize(p.sample(256, 0, 256, 3, rng, gaps));
  state.counters["tokens_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * 256, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LatencyProfileSample);

}  // namespace
}  // namespace inferbench::sim

BENCHMARK_MAIN();
