#include "replay/log.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace inferbench::replay {

namespace {

constexpr std::string_view kExpected =
    "expected a FlowGPT online-replay log (lines starting YYYY-MM-DDTHH:MM:SSZ that carry "
    "{\"message\":\"[Log chat request] {…}\"}), a Mooncake trace (JSON lines with timestamp, input_length, "
    "output_length, hash_ids), an Azure trace CSV (TIMESTAMP,ContextTokens,GeneratedTokens) or inferbench's "
    "requests.jsonl (JSON lines with sent_ns, input_tokens); "
    "--format names the format";

bool blank(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

// Calls f(line, number) for each line of `content` (without its '\n'); stops when f returns true.
template <typename F>
void for_each_line(std::string_view content, F&& f) {
  std::size_t number = 0;
  std::size_t pos = 0;
  while (pos < content.size()) {
    const std::size_t end = content.find('\n', pos);
    const std::string_view line = content.substr(pos, end == std::string_view::npos ? end : end - pos);
    if (f(line, ++number)) return;
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
  return out;
}

// The format one line shows, if it shows one.
std::optional<Format> line_format(std::string_view line) {
  std::size_t start = 0;
  while (start < line.size() && (line[start] == ' ' || line[start] == '\t')) ++start;
  line.remove_prefix(start);
  std::chrono::nanoseconds time{};
  std::string reason;
  if (parse_datetime(line, false, false, time, reason) > 0 && line.find("[Log chat request]") != std::string::npos) {
    return Format::FlowGpt;
  }
  if (line.starts_with('{')) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("sent_ns") && j.contains("input_tokens")) return Format::Inferbench;
    if (j.is_object() && (j.contains("input_length") || j.contains("hash_ids") || j.contains("output_length"))) {
      return Format::Mooncake;
    }
    return std::nullopt;
  }
  if (std::count(line.begin(), line.end(), ',') >= 2) {
    if (lower(line).find("contexttokens") != std::string::npos) return Format::Azure;
    std::string r;
    if (!is_azure_header(line) && parse_azure_line(line, r)) return Format::Azure;
  }
  return std::nullopt;
}

}  // namespace

void SkippedLines::add(std::size_t line, std::string_view reason) {
  ++count;
  if (first.size() < kKeep) first.push_back(fmt::format("line {}: {}", line, reason));
}

Format parse_format(std::string_view name) {
  if (name == "flowgpt") return Format::FlowGpt;
  if (name == "mooncake") return Format::Mooncake;
  if (name == "azure") return Format::Azure;
  if (name == "inferbench") return Format::Inferbench;
  throw Error(fmt::format("--format '{}': must be flowgpt, mooncake, azure or inferbench", name));
}

std::string to_string(Format format) {
  switch (format) {
    case Format::FlowGpt: return "flowgpt";
    case Format::Mooncake: return "mooncake";
    case Format::Azure: return "azure";
    case Format::Inferbench: return "inferbench";
  }
  return "?";
}

Format detect_format(std::string_view content) {
  std::optional<Format> found;
  for_each_line(content, [&](std::string_view line, std::size_t) {
    if (!blank(line)) found = line_format(line);
    return found.has_value();
  });
  if (!found) throw Error(fmt::format("not a replay log: {}", kExpected));
  return *found;
}

ReplayLog parse_log(std::string_view content, std::optional<Format> format) {
  ReplayLog log;
  log.format = format ? *format : detect_format(content);
  bool first = true;
  std::string reason;
  for_each_line(content, [&](std::string_view line, std::size_t number) {
    log.lines = number;
    if (blank(line)) return false;
    const bool header = first && log.format == Format::Azure && is_azure_header(line);
    first = false;
    if (header) return false;
    reason.clear();
    std::optional<Entry> entry;
    switch (log.format) {
      case Format::FlowGpt: entry = parse_flowgpt_line(line, reason); break;
      case Format::Mooncake: entry = parse_mooncake_line(line, reason); break;
      case Format::Azure: entry = parse_azure_line(line, reason); break;
      case Format::Inferbench: entry = parse_inferbench_line(line, reason); break;
    }
    if (!entry) {
      log.skipped.add(number, reason);
      return false;
    }
    entry->line = number;
    if (entry->conversation_id.empty() && log.format != Format::FlowGpt) {
      entry->conversation_id = std::to_string(number);
    }
    log.entries.push_back(std::move(*entry));
    return false;
  });
  if (log.entries.empty()) {
    throw Error(fmt::format(
        "no {} request in {} lines ({} skipped{}{})", to_string(log.format), log.lines, log.skipped.count,
        log.skipped.first.empty() ? "" : "; first: ", log.skipped.first.empty() ? "" : log.skipped.first.front()));
  }
  // Offsets from the earliest entry (a log's lines need not be in time order: FlowGPT's tool
  // queues them by time too); ties keep the file's order.
  Duration earliest = Duration::max();
  for (const auto& e : log.entries) earliest = std::min(earliest, e.offset);
  for (auto& e : log.entries) e.offset -= earliest;
  std::stable_sort(log.entries.begin(), log.entries.end(),
                   [](const Entry& a, const Entry& b) { return a.offset < b.offset; });
  return log;
}

ReplayLog read_log(const std::filesystem::path& path, std::optional<Format> format) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error(fmt::format("{}: is a directory, not a replay log", path.string()));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open the replay log", path.string()));
  const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(fmt::format("{}: cannot read the replay log", path.string()));
  try {
    return parse_log(content, format);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", path.string(), e.what()));
  }
}

}  // namespace inferbench::replay
