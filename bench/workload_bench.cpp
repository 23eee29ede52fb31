// Times building exact-length prompts on one core: `workload_bench TOKENIZER [COUNT] [TOKENS] [DATASET]`
// (defaults 100000, 2048, synthetic). Every prompt is verified by re-encoding inside build(); the
// bench also re-counts a sample to show it. See docs/performance.md ("Exact-length prompts").
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/error.hpp"
#include "tokenizer/tokenizer.hpp"
#include "workload/workload.hpp"

int main(int argc, char** argv) {
  using namespace inferbench;
  if (argc < 2) {
    std::fprintf(stderr, "usage: workload_bench TOKENIZER [COUNT] [TOKENS] [DATASET]\n");
    return 2;
  }
  try {
    const std::size_t count = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 100000;
    const std::string tokens = argc > 3 ? argv[3] : "2048";
    workload::WorkloadOptions o;
    o.tokenizer = tokenizer::Tokenizer::load(argv[1]);
    o.dataset = argc > 4 ? argv[4] : "synthetic";
    o.input = workload::LengthDist::parse(tokens, "TOKENS");
    o.output = workload::LengthDist::fixed(128);
    const auto t0 = std::chrono::steady_clock::now();
    const workload::Workload w(o);
    const auto t1 = std::chrono::steady_clock::now();
    const auto specs = w.build(count, 1);
    const auto t2 = std::chrono::steady_clock::now();
    std::size_t bytes = 0;
    for (const auto& s : specs) bytes += s.prompt.size();
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < specs.size(); i += 997) {
      wrong += static_cast<std::int64_t>(o.tokenizer->count(specs[i].prompt)) != specs[i].input_tokens;
    }
    const double prepare = std::chrono::duration<double>(t1 - t0).count();
    const double build = std::chrono::duration<double>(t2 - t1).count();
    std::printf(
        "dataset %s, %zu prompts of %s tokens: prepare %.3f s, build %.3f s (%.1f us/prompt, %.1f MB/s of "
        "prompt text), sampled re-count mismatches %zu\n",
        o.dataset.c_str(), specs.size(), tokens.c_str(), prepare, build,
        build / static_cast<double>(specs.size()) * 1e6, static_cast<double>(bytes) / build / 1e6, wrong);
    return wrong == 0 ? 0 : 1;
  } catch (const Error& e) {
    std::fprintf(stderr, "workload_bench: %s\n", e.what());
    return 1;
  }
}
