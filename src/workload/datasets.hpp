#pragma once
// Readers of prompt datasets: ShareGPT JSON and JSON Lines. They check structure only; token
// counts and length filters are applied by the workload with the tokenizer.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "workload/request_spec.hpp"

namespace inferbench::workload {

// What to do with an entry that is not valid: skip it (and count it) or stop with an error.
enum class OnBadLine { Skip, Stop };

// Entries skipped as bad while reading a dataset.
struct BadLines {
  std::size_t count = 0;
  std::vector<std::string> first;  // the first few messages, "PATH:LINE: reason"
};

// One ShareGPT conversation reduced to what a benchmark sends: the first human turn and the reply.
struct ShareGptEntry {
  std::string prompt;
  std::string reply;
  std::size_t index = 0;  // position in the file's top-level array
};

// Reads a ShareGPT file: a JSON array of objects with `conversations` [{from, value}, ...].
// Conversations with fewer than two turns are left out (not bad, as in vLLM); an entry without
// a `conversations` array, a turn without string `from`/`value`, or a first turn not from the
// human/user is bad ("PATH: entry N: reason"). Throws inferbench::Error if the file cannot be
// read or is not a JSON array, or on the first bad entry with OnBadLine::Stop.
std::vector<ShareGptEntry> read_sharegpt(const std::filesystem::path& path, OnBadLine on_bad, BadLines& bad);

// One JSON Lines record: `prompt` (string) or `messages` ([{role, content}]), optional positive
// integer `output_tokens`.
struct JsonlEntry {
  std::string prompt;
  std::vector<ChatMessage> messages;
  std::optional<std::int64_t> output_tokens;
  std::size_t line = 0;  // 1-based line number
};

// Reads a JSON Lines file; blank lines are ignored. A line that is not a JSON object, has
// neither a string `prompt` nor a valid `messages` array, or a bad `output_tokens` is bad
// ("PATH:LINE: reason"). Throws inferbench::Error if the file cannot be read, or on the first
// bad line with OnBadLine::Stop.
std::vector<JsonlEntry> read_jsonl(const std::filesystem::path& path, OnBadLine on_bad, BadLines& bad);

}  // namespace inferbench::workload
