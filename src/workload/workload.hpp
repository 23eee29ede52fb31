#pragma once
// The requests of a run: where prompts come from (--dataset), their lengths (--input-tokens,
// --output-tokens) and, with a tokenizer, exact token counts. See docs/workloads.md.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenizer/tokenizer.hpp"
#include "workload/datasets.hpp"
#include "workload/length_dist.hpp"
#include "workload/request_spec.hpp"

namespace inferbench::workload {

// What the user asked for.
struct WorkloadOptions {
  std::string dataset;                         // "" = synthetic with a tokenizer, words without
  LengthDist input = LengthDist::fixed(128);   // prompt length (sources that make prompts)
  LengthDist output = LengthDist::fixed(128);  // max_tokens
  bool output_given = false;                   // --output-tokens given: overrides dataset lengths
  bool chat = false;                           // --api chat (multi-turn and messages need it)
  std::optional<tokenizer::Tokenizer> tokenizer;
  OnBadLine on_bad_line = OnBadLine::Stop;
};

// A parsed --dataset value.
struct DatasetSpec {
  enum class Kind { Words, Synthetic, Random, ShareGpt, Jsonl, SharedPrefix, PrefixRatio, MultiTurn };
  Kind kind = Kind::Words;
  std::string path;  // sharegpt, jsonl, prefix-ratio's prefix_file
  // sharegpt filters (vLLM's defaults)
  std::int64_t min_tokens = 4;     // drop prompts or replies shorter than this
  std::int64_t max_prompt = 1024;  // drop prompts longer than this
  std::int64_t max_total = 2048;   // drop prompt + reply longer than this
  // shared-prefix (inference-perf's defaults)
  std::int64_t groups = 10;
  std::int64_t prompts_per_group = 10;
  std::int64_t system_prompt_tokens = 100;
  std::int64_t question_tokens = 50;
  double prefix_ratio = 0;  // prefix-ratio: share of each prompt that is the fixed prefix
  std::int64_t turns = 3;   // multi-turn: user turns per conversation
};

// Parses --dataset ("synthetic", "random", "sharegpt:PATH[,min_tokens=4,max_prompt=1024,max_total=2048]",
// "jsonl:PATH", "shared-prefix:groups=G,prompts_per_group=K,system_prompt_tokens=S,question_tokens=Q",
// "prefix-ratio:R[,prefix_file=PATH]", "multi-turn[:turns=T]"); "" gives Synthetic with a tokenizer and Words
// without. Throws inferbench::Error with a one-line message.
DatasetSpec parse_dataset(const std::string& text, bool have_tokenizer);

// The built workload source: parsed, files read and material prepared once; build() per load point.
class Workload {
 public:
  // Throws inferbench::Error (one line) for a bad --dataset, an unreadable or bad dataset file,
  // a source that needs a tokenizer or --api chat, or lengths that cannot be met.
  explicit Workload(WorkloadOptions options);
  ~Workload();
  Workload(Workload&&) noexcept;
  Workload& operator=(Workload&&) noexcept;

  // `count` requests (shared-prefix: groups × prompts_per_group, whatever `count`), seeded. With a
  // tokenizer each spec's input_tokens is the verified count of what is sent (chat: content only,
  // without the server's template). Throws inferbench::Error if a length cannot be reached.
  std::vector<RequestSpec> build(std::size_t count, std::uint64_t seed) const;

  const DatasetSpec& spec() const { return spec_; }
  // Entries skipped as bad while reading the dataset file.
  const BadLines& bad_lines() const { return bad_; }
  // Dataset entries left after the length filters (sharegpt, jsonl); 0 otherwise.
  std::size_t usable_entries() const;
  // The intended share of prompt tokens a prefix cache can serve (prefix-ratio, shared-prefix), over
  // the last build(); nullopt for other sources.
  std::optional<double> intended_cache_ratio() const { return cache_ratio_; }
  // The workload for summary.json: source, lengths, tokenizer exactness, cache ratio, bad lines.
  nlohmann::json describe() const;

 private:
  struct Impl;
  WorkloadOptions options_;
  DatasetSpec spec_;
  BadLines bad_;
  std::unique_ptr<Impl> impl_;
  mutable std::optional<double> cache_ratio_;
};

}  // namespace inferbench::workload
