#pragma once
// A replay as data: what each request sends and when, computed before the replay starts, so it
// runs through the load generator as an open-loop plan (and can be sliced, e.g. into shards).
#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "replay/log.hpp"
#include "schedule/schedule.hpp"
#include "workload/exact_text.hpp"
#include "workload/request_spec.hpp"

namespace inferbench::replay {

enum class Mode { Timestamp, Qps };

// "timestamp" | "qps"; throws inferbench::Error otherwise.
Mode parse_mode(const std::string& name);

// How prompts are made of a log's lengths and hash ids (docs/replay.md, "Prompts").
struct PromptOptions {
  std::int64_t block_size = 512;          // tokens per hash id (Mooncake's block)
  std::int64_t default_max_tokens = 180;  // for entries without an output length (FlowGPT's --max-tokens)
  std::uint64_t seed = 0;
  const workload::ExactText* exact = nullptr;  // --tokenizer: exact token counts; null = one word per token
};

// The request of each entry, in order. Entries with text send it as is. Entries with lengths get
// a prompt of input_tokens tokens: hash id k gives block k, block_size tokens (the last block the
// rest), and equal ids at equal positions give identical text, so equal leading ids share a
// prefix; tokens past the ids are unique to the entry. Throws inferbench::Error when an exact
// length cannot be built.
std::vector<workload::RequestSpec> make_specs(const std::vector<Entry>& entries, const PromptOptions& options);

struct ScheduleOptions {
  Mode mode = Mode::Timestamp;
  double speed = 1.0;  // timestamp: the log's gaps divided by it (2 = twice as fast)
  double target_qps = 1.0;
  schedule::Arrival arrival = schedule::Arrival::Constant;  // qps: constant or poisson
  std::uint64_t seed = 0;
};

// The intended send offset of each entry: its log offset / speed (timestamp), or the log's order
// at target_qps (qps). Non-decreasing, as the entries are. Throws inferbench::Error when the
// replay would last over 30 days.
std::vector<Duration> make_offsets(const std::vector<Entry>& entries, const ScheduleOptions& options);

// Everything a replay sends: request i is specs[i] at offsets[i], from the log's line lines[i].
struct ReplayPlan {
  std::vector<Duration> offsets;
  std::vector<workload::RequestSpec> specs;
  std::vector<std::string> conversation_ids;
  std::vector<std::size_t> lines;
};

ReplayPlan make_plan(const std::vector<Entry>& entries, const PromptOptions& prompts, const ScheduleOptions& schedule);

}  // namespace inferbench::replay
