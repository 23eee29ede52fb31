#pragma once
// Logs and traces of production traffic, read as data for `inferbench replay` (docs/replay.md):
// FlowGPT's online-replay log, Mooncake JSONL traces, Azure trace CSV and inferbench's own
// requests.jsonl. A parsed log is a
// list of entries; every line that is not an entry is counted with its reason, never dropped
// silently.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"

namespace inferbench::replay {

enum class Format { FlowGpt, Mooncake, Azure, Inferbench };

// "flowgpt" | "mooncake" | "azure" | "inferbench"; anything else throws inferbench::Error naming
// the accepted values.
Format parse_format(std::string_view name);
std::string to_string(Format format);

// One logged request.
struct Entry {
  Duration offset{};                   // send offset from the log's earliest entry (≥ 0)
  std::string conversation_id;         // FlowGPT conversationId; Mooncake session_id; else the line number
  std::string prompt;                  // FlowGPT body.prompt, Mooncake input_text; "" = build from lengths
  std::int64_t input_tokens = -1;      // Mooncake input_length, Azure ContextTokens, input_tokens; -1 = not in the log
  std::int64_t output_tokens = -1;     // Mooncake output_length, Azure GeneratedTokens, max_tokens; -1 = not in the log
  std::vector<std::int64_t> hash_ids;  // Mooncake prefix blocks (equal ids = identical blocks)
  std::size_t line = 0;                // 1-based line number in the file
};

// Lines that did not give an entry (blank lines are not counted).
struct SkippedLines {
  std::size_t count = 0;
  std::vector<std::string> first;  // the first kKeep reasons, "line N: reason"
  static constexpr std::size_t kKeep = 5;
  void add(std::size_t line, std::string_view reason);
};

struct ReplayLog {
  Format format = Format::FlowGpt;
  std::vector<Entry> entries;  // sorted by offset, ties in file order
  SkippedLines skipped;
  std::size_t lines = 0;  // lines read (blank ones included)
};

// The format a log's content shows (its first lines), or inferbench::Error naming what was
// expected when none matches.
Format detect_format(std::string_view content);

// Parses `content` as `format` (detected from the content when nullopt). Never throws for a bad
// line (it is skipped and counted); throws inferbench::Error when no line gives an entry.
ReplayLog parse_log(std::string_view content, std::optional<Format> format);

// Reads and parses the file at `path` (inferbench::Error naming it when it cannot be read).
ReplayLog read_log(const std::filesystem::path& path, std::optional<Format> format);

// The parsers of each format, one line at a time. Each returns the entry (offset holding the
// absolute time since an arbitrary epoch, not yet relative) or nullopt with `reason` set.
std::optional<Entry> parse_flowgpt_line(std::string_view line, std::string& reason);
std::optional<Entry> parse_mooncake_line(std::string_view line, std::string& reason);
std::optional<Entry> parse_azure_line(std::string_view line, std::string& reason);
// A line of inferbench's requests.jsonl (docs/results-format.md): sent at `sent_ns`, with its
// `input_tokens` and `max_tokens` (else its `output_tokens`); a request that was never sent is
// skipped with that reason.
std::optional<Entry> parse_inferbench_line(std::string_view line, std::string& reason);

// True when `line` is an Azure CSV header (its first field is not a time: "TIMESTAMP,…").
bool is_azure_header(std::string_view line);

// Parses "YYYY-MM-DD<sep>HH:MM:SS[.fraction][Z|±HH:MM|±HHMM]" at the start of `text` (sep 'T',
// or also ' ' when `space_separator`) as time since the Unix epoch; a time without a zone is
// UTC unless `zone_required`. Fractions keep nanoseconds. Returns the characters consumed, or 0
// with `reason` set when `text` does not start with such a time.
std::size_t parse_datetime(std::string_view text, bool space_separator, bool zone_required,
                           std::chrono::nanoseconds& out, std::string& reason);

}  // namespace inferbench::replay
