// libFuzzer targets flowgpt_log_fuzz, mooncake_trace_fuzz, azure_trace_fuzz and requests_jsonl_replay_fuzz:
// this file built with INFERBENCH_REPLAY_FORMAT 0, 1, 2 or 3 feeds replay::parse_log that format, then the input
// with format detection (one target per format, so coverage guides each parser on its own). Only inferbench::Error may
// escape. Invariants: entries are sorted by offset, the earliest at 0; each entry's line is within the input and lines
// come once; entries + skipped never exceed the lines read; counts are within their bounds; a detected format parses as
// that format with the same result.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string_view>

#include "core/error.hpp"
#include "fuzz_support.hpp"
#include "replay/log.hpp"

namespace {

using inferbench::fuzz::fail;
using namespace inferbench;
using namespace inferbench::replay;

std::optional<ReplayLog> parse(std::string_view text, std::optional<Format> format) {
  try {
    return parse_log(text, format);
  } catch (const Error& e) {
    if (std::string_view(e.what()).empty()) fail();
    return std::nullopt;
  }
}

void check(const ReplayLog& log, std::string_view text) {
  const std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  if (log.entries.empty() || log.lines > lines) fail();
  if (log.entries.size() + log.skipped.count > log.lines) fail();
  if (log.skipped.first.size() > std::min(log.skipped.count, SkippedLines::kKeep)) fail();
  if (log.entries.front().offset != Duration::zero()) fail();
  std::set<std::size_t> seen;
  for (std::size_t i = 0; i < log.entries.size(); ++i) {
    const Entry& e = log.entries[i];
    if (i > 0 && e.offset < log.entries[i - 1].offset) fail();
    if (e.line == 0 || e.line > log.lines || !seen.insert(e.line).second) fail();
    if (e.input_tokens == 0 || e.input_tokens > (1 << 24) || e.output_tokens == 0 || e.output_tokens > (1 << 24)) {
      fail();
    }
    if (e.prompt.empty() && e.input_tokens < 1) fail();
    for (const auto id : e.hash_ids) {
      if (id < 0) fail();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  constexpr Format kFormat = static_cast<Format>(INFERBENCH_REPLAY_FORMAT);
  if (const auto log = parse(text, kFormat)) check(*log, text);
  std::optional<Format> detected;
  try {
    detected = detect_format(text);
  } catch (const Error&) {}
  const auto log = parse(text, std::nullopt);
  if (log.has_value() && (!detected || log->format != *detected)) fail();
  if (detected) {
    const auto given = parse(text, *detected);
    if (given.has_value() != log.has_value()) fail();
    if (given && given->entries.size() != log->entries.size()) fail();
  }
  return 0;
}
