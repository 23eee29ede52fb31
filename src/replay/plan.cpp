#include "replay/plan.hpp"

#include <cmath>
#include <random>
#include <unordered_map>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "tokenizer/words.hpp"

namespace inferbench::replay {

namespace {

constexpr double kMaxReplaySeconds = 30.0 * 24 * 3600;

// Mixes one more value into a chain of hash ids (splitmix64 finaliser): a block's text depends on
// its id and every id before it, as a block hash in a prefix cache does.
std::uint64_t mix(std::uint64_t chain, std::uint64_t value) {
  std::uint64_t z = chain ^ (value + 0x9E3779B97F4A7C15ull + (chain << 6) + (chain >> 2));
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Appends `count` common words (one token each for the simulator) drawn from `rng`.
void append_words(std::string& out, std::int64_t count, Rng& rng) {
  const auto words = tokenizer::common_words();
  std::uniform_int_distribution<std::size_t> pick(0, words.size() - 1);
  for (std::int64_t i = 0; i < count; ++i) {
    if (!out.empty()) out += ' ';
    out += words[pick(rng)];
  }
}

// One word per token: block k is drawn from the chain of ids up to k, so equal leading ids give
// equal text; a shorter last block is the start of the full one.
std::string word_prompt(const Entry& e, const PromptOptions& o) {
  std::string out;
  out.reserve(static_cast<std::size_t>(e.input_tokens) * 7);
  std::int64_t have = 0;
  std::uint64_t chain = 0;
  for (std::size_t k = 0; k < e.hash_ids.size() && have < e.input_tokens; ++k) {
    chain = mix(chain, static_cast<std::uint64_t>(e.hash_ids[k]));
    const std::int64_t take = std::min(o.block_size, e.input_tokens - have);
    Rng rng = make_rng(o.seed, chain);
    append_words(out, take, rng);
    have += take;
  }
  if (have < e.input_tokens) {  // past the ids (or none): unique to this entry
    Rng rng = make_rng(o.seed + 1, e.line);
    append_words(out, e.input_tokens - have, rng);
  }
  return out;
}

// Exact token counts: the prompt grows block by block with ExactText::extend, so the first k
// blocks hold exactly k·block_size tokens; texts already built for the same chain of ids (and
// length) are reused from an earlier prompt, which starts with them.
class ExactPrompts {
 public:
  ExactPrompts(const PromptOptions& o, const std::vector<workload::RequestSpec>& specs) : o_(o), specs_(specs) {}

  std::string build(const Entry& e, std::size_t index) {
    const auto& exact = *o_.exact;
    std::string text;
    std::int64_t have = 0;
    std::uint64_t chain = 0;
    for (std::size_t k = 0; k < e.hash_ids.size() && have < e.input_tokens; ++k) {
      chain = mix(chain, static_cast<std::uint64_t>(e.hash_ids[k]));
      const std::int64_t target = std::min(have + o_.block_size, e.input_tokens);
      const std::uint64_t key = mix(chain, static_cast<std::uint64_t>(target));
      if (const auto it = built_.find(key); it != built_.end()) {
        text.assign(specs_[it->second.first].prompt, 0, it->second.second);
      } else {
        Rng rng = make_rng(o_.seed, chain);
        text = have == 0 ? exact.synthetic(target, rng) : exact.extend(text, target, false, rng);
        built_.emplace(key, std::make_pair(index, text.size()));
      }
      have = target;
    }
    if (have < e.input_tokens) {
      Rng rng = make_rng(o_.seed + 1, e.line);
      text = have == 0 ? exact.synthetic(e.input_tokens, rng) : exact.extend(text, e.input_tokens, false, rng);
    }
    return text;
  }

 private:
  const PromptOptions& o_;
  const std::vector<workload::RequestSpec>& specs_;
  std::unordered_map<std::uint64_t, std::pair<std::size_t, std::size_t>> built_;  // key → (spec, bytes)
};

}  // namespace

Mode parse_mode(const std::string& name) {
  if (name == "timestamp") return Mode::Timestamp;
  if (name == "qps") return Mode::Qps;
  throw Error(fmt::format("--replay-mode '{}': must be timestamp or qps", name));
}

std::vector<workload::RequestSpec> make_specs(const std::vector<Entry>& entries, const PromptOptions& options) {
  require(options.block_size >= 1 && options.block_size <= (1 << 20),
          fmt::format("invalid --block-size {}: must be from 1 to 1048576", options.block_size));
  require(options.default_max_tokens >= 1, fmt::format("invalid --max-tokens {}", options.default_max_tokens));
  std::vector<workload::RequestSpec> specs(entries.size());
  std::optional<ExactPrompts> exact;
  if (options.exact) exact.emplace(options, specs);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    auto& spec = specs[i];
    spec.max_tokens = e.output_tokens > 0 ? e.output_tokens : options.default_max_tokens;
    if (!e.prompt.empty()) {
      spec.prompt = e.prompt;
      spec.input_tokens = options.exact ? options.exact->count(e.prompt) : -1;
      continue;
    }
    spec.prompt = exact ? exact->build(e, i) : word_prompt(e, options);
    spec.input_tokens = e.input_tokens;
  }
  return specs;
}

std::vector<Duration> make_offsets(const std::vector<Entry>& entries, const ScheduleOptions& options) {
  std::vector<Duration> offsets;
  if (entries.empty()) return offsets;
  if (options.mode == Mode::Qps) {
    require(std::isfinite(options.target_qps) && options.target_qps > 0 && options.target_qps <= 1e6,
            fmt::format("invalid --target-qps {}: must be above 0 and at most 1000000", options.target_qps));
    require(options.arrival == schedule::Arrival::Constant || options.arrival == schedule::Arrival::Poisson,
            "--arrival for a replay must be constant or poisson");
    schedule::require_plausible_length(options.target_qps, entries.size());
    return schedule::make_offsets({options.target_qps, options.arrival, 1.0}, entries.size(), options.seed);
  }
  require(std::isfinite(options.speed) && options.speed >= 0.001 && options.speed <= 1e6,
          fmt::format("invalid --speed {}: must be from 0.001 to 1000000", options.speed));
  const double last = to_s(entries.back().offset) / options.speed;
  require(last <= kMaxReplaySeconds,
          fmt::format("the replay would last {:.0f} s at --speed {}, over 30 days", last, options.speed));
  offsets.reserve(entries.size());
  for (const auto& e : entries) {
    // In nanoseconds, exact for speed 1 (no round trip through a double of seconds).
    offsets.push_back(options.speed == 1.0
                          ? e.offset
                          : std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::nano>(
                                static_cast<double>(std::chrono::nanoseconds(e.offset).count()) / options.speed)));
  }
  return offsets;
}

ReplayPlan make_plan(const std::vector<Entry>& entries, const PromptOptions& prompts, const ScheduleOptions& schedule) {
  ReplayPlan plan;
  plan.offsets = make_offsets(entries, schedule);
  plan.specs = make_specs(entries, prompts);
  plan.conversation_ids.reserve(entries.size());
  plan.lines.reserve(entries.size());
  for (const auto& e : entries) {
    plan.conversation_ids.push_back(e.conversation_id);
    plan.lines.push_back(e.line);
  }
  return plan;
}

}  // namespace inferbench::replay
