#include "workload/word_prompts.hpp"

#include <random>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "tokenizer/words.hpp"

namespace inferbench::workload {

std::vector<RequestSpec> make_word_prompts(std::size_t count, std::int64_t input_tokens, std::int64_t output_tokens,
                                           std::uint64_t seed) {
  require(input_tokens >= 1, "input tokens must be >= 1");
  require(output_tokens >= 1, "output tokens must be >= 1");
  return make_word_prompts(count, LengthDist::fixed(input_tokens), LengthDist::fixed(output_tokens), seed);
}

std::vector<RequestSpec> make_word_prompts(std::size_t count, const LengthDist& input, const LengthDist& output,
                                           std::uint64_t seed) {
  const auto words = tokenizer::common_words();
  Rng rng = make_rng(seed, 0xB0);
  Rng lengths = make_rng(seed, 0xB1);
  std::uniform_int_distribution<std::size_t> pick(0, words.size() - 1);
  std::vector<RequestSpec> specs(count);
  for (auto& spec : specs) {
    const std::int64_t input_tokens = input.sample(lengths);
    const std::int64_t output_tokens = output.sample(lengths);
    spec.prompt.reserve(static_cast<std::size_t>(input_tokens) * 6);
    for (std::int64_t i = 0; i < input_tokens; ++i) {
      if (i > 0) spec.prompt += ' ';
      spec.prompt += words[pick(rng)];
    }
    spec.input_tokens = input_tokens;
    spec.max_tokens = output_tokens;
  }
  return specs;
}

}  // namespace inferbench::workload
