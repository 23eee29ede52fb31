// One line of each replay format to an Entry (docs/replay.md, "Inputs"). JSON is read with
// nlohmann::json; a line that is not an entry returns nullopt and a reason in fixed words (never
// the line's own bytes, which may not be UTF-8).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <istream>
#include <streambuf>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "replay/log.hpp"

namespace inferbench::replay {

namespace {

using nlohmann::json;

// No model has a context window this large: a count above it is a broken line, and bounding
// every count keeps sums far from overflow (the same bound as metrics::kMaxPlausibleTokens).
constexpr std::int64_t kMaxTokens = std::int64_t{1} << 24;
// 30 years of milliseconds: later timestamps are broken lines, and offsets stay far inside int64 ns.
constexpr double kMaxTimestampMs = 30.0 * 365 * 24 * 3600 * 1000;
constexpr std::string_view kChatRequest = "[Log chat request] ";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// A token count in a JSON value: an integer in [min, kMaxTokens], else nullopt.
std::optional<std::int64_t> json_count(const json& v, std::int64_t min) {
  if (!v.is_number_integer()) return std::nullopt;
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(kMaxTokens)) return std::nullopt;
    return static_cast<std::int64_t>(u) >= min ? std::optional<std::int64_t>(static_cast<std::int64_t>(u))
                                               : std::nullopt;
  }
  const auto i = v.get<std::int64_t>();
  if (i < min || i > kMaxTokens) return std::nullopt;
  return i;
}

// A token count in a CSV field: ASCII digits only (spaces around allowed), in [min, kMaxTokens].
std::optional<std::int64_t> csv_count(std::string_view field, std::int64_t min) {
  field = trim(field);
  std::int64_t value = 0;
  if (field.empty() || field.front() < '0' || field.front() > '9') return std::nullopt;
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (ec != std::errc() || end != field.data() + field.size() || value < min || value > kMaxTokens) {
    return std::nullopt;
  }
  return value;
}

// A read-only stream over a string_view (no copy), which says how much of it was read.
class ViewBuffer : public std::streambuf {
 public:
  explicit ViewBuffer(std::string_view text) {
    char* begin = const_cast<char*>(text.data());  // NOLINT(cppcoreguidelines-pro-type-const-cast): only read
    setg(begin, begin, begin + text.size());
  }
  std::size_t consumed() const { return static_cast<std::size_t>(gptr() - eback()); }
};

// Every top-level JSON object in `text`, in order: at each '{' not inside an object already
// read, one JSON value is parsed (the rest of the line may follow it). This is what FlowGPT's
// brace counter looks for, with a real parser: braces inside strings do not confuse it.
std::vector<json> objects_in(std::string_view text) {
  std::vector<json> objects;
  std::size_t pos = 0;
  while ((pos = text.find('{', pos)) != std::string_view::npos) {
    ViewBuffer buffer(text.substr(pos));
    std::istream in(&buffer);
    json value;
    try {
      in >> value;
    } catch (const json::exception&) {
      ++pos;
      continue;
    }
    pos += std::max<std::size_t>(buffer.consumed(), 1);
    objects.push_back(std::move(value));
  }
  return objects;
}

}  // namespace

std::optional<Entry> parse_flowgpt_line(std::string_view line, std::string& reason) {
  line = trim(line);
  std::chrono::nanoseconds time{};
  const std::size_t used = parse_datetime(line, /*space_separator=*/false, /*zone_required=*/true, time, reason);
  if (used == 0) {
    reason = "no timestamp at the start: " + reason;
    return std::nullopt;
  }
  // FlowGPT tries the objects last to first; the first whose `message` is a chat request wins.
  const auto objects = objects_in(line.substr(used));
  const json* request_text = nullptr;
  for (auto it = objects.rbegin(); it != objects.rend() && !request_text; ++it) {
    if (!it->is_object()) continue;
    const auto m = it->find("message");
    if (m != it->end() && m->is_string() && m->get_ref<const std::string&>().starts_with(kChatRequest)) {
      request_text = &*m;
    }
  }
  if (!request_text) {
    reason = "no JSON object whose message starts with \"[Log chat request] \"";
    return std::nullopt;
  }
  const json request =
      json::parse(std::string_view(request_text->get_ref<const std::string&>()).substr(kChatRequest.size()), nullptr,
                  /*allow_exceptions=*/false);
  if (!request.is_object()) {
    reason = "the chat request after \"[Log chat request] \" is not a JSON object";
    return std::nullopt;
  }
  Entry entry;
  entry.offset = time;
  if (const auto id = request.find("conversationId"); id != request.end()) {
    if (!id->is_string()) {
      reason = "conversationId is not a string";
      return std::nullopt;
    }
    entry.conversation_id = id->get<std::string>();
  }
  const auto body = request.find("body");
  if (body == request.end() || !body->is_object()) {
    reason = "the chat request has no body object";
    return std::nullopt;
  }
  const auto prompt = body->find("prompt");
  if (prompt == body->end() || !prompt->is_string() || prompt->get_ref<const std::string&>().empty()) {
    reason = "body.prompt is missing, empty or not a string";
    return std::nullopt;
  }
  entry.prompt = prompt->get<std::string>();
  return entry;
}

std::optional<Entry> parse_mooncake_line(std::string_view line, std::string& reason) {
  const json j = json::parse(trim(line), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    reason = "not a JSON object";
    return std::nullopt;
  }
  Entry entry;
  const auto ts = j.find("timestamp");
  if (ts == j.end() || !ts->is_number() || !std::isfinite(ts->get<double>()) || ts->get<double>() < 0 ||
      ts->get<double>() > kMaxTimestampMs) {
    reason = "timestamp (ms) is missing, negative, too large or not a number";
    return std::nullopt;
  }
  entry.offset = from_ms(ts->get<double>());
  if (const auto text = j.find("input_text"); text != j.end()) {
    if (!text->is_string() || text->get_ref<const std::string&>().empty()) {
      reason = "input_text is not a non-empty string";
      return std::nullopt;
    }
    entry.prompt = text->get<std::string>();
  }
  if (const auto in = j.find("input_length"); in != j.end()) {
    const auto n = json_count(*in, 1);
    if (!n) {
      reason = "input_length is not an integer from 1 to 2^24";
      return std::nullopt;
    }
    entry.input_tokens = *n;
  } else if (entry.prompt.empty()) {
    reason = "no input_length (nor input_text)";
    return std::nullopt;
  }
  if (const auto out = j.find("output_length"); out != j.end()) {
    const auto n = json_count(*out, 1);
    if (!n) {
      reason = "output_length is not an integer from 1 to 2^24";
      return std::nullopt;
    }
    entry.output_tokens = *n;
  }
  if (const auto ids = j.find("hash_ids"); ids != j.end()) {
    if (!ids->is_array()) {
      reason = "hash_ids is not an array";
      return std::nullopt;
    }
    entry.hash_ids.reserve(ids->size());
    for (const auto& id : *ids) {
      if (!id.is_number_integer() || (!id.is_number_unsigned() && id.get<std::int64_t>() < 0) ||
          (id.is_number_unsigned() && id.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))) {
        reason = "hash_ids holds something other than non-negative integers";
        return std::nullopt;
      }
      entry.hash_ids.push_back(id.get<std::int64_t>());
    }
  }
  if (const auto session = j.find("session_id"); session != j.end()) {
    if (session->is_string()) {
      entry.conversation_id = session->get<std::string>();
    } else if (session->is_number_integer()) {
      entry.conversation_id = session->dump();
    } else {
      reason = "session_id is not a string or an integer";
      return std::nullopt;
    }
  }
  return entry;
}

bool is_azure_header(std::string_view line) {
  std::chrono::nanoseconds time{};
  std::string reason;
  const std::size_t comma = line.find(',');
  if (comma == std::string_view::npos) return false;
  std::string_view first = trim(line.substr(0, comma));
  if (first.size() >= 2 && first.front() == '"' && first.back() == '"') first = first.substr(1, first.size() - 2);
  return parse_datetime(first, true, false, time, reason) == 0;
}

std::optional<Entry> parse_azure_line(std::string_view line, std::string& reason) {
  std::string_view fields[3];
  std::size_t n = 0;
  std::size_t start = 0;
  while (n < 3) {
    const std::size_t comma = line.find(',', start);
    fields[n++] = line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (n < 3) {
    reason = "fewer than 3 comma-separated fields (timestamp,ContextTokens,GeneratedTokens)";
    return std::nullopt;
  }
  std::string_view stamp = trim(fields[0]);
  if (stamp.size() >= 2 && stamp.front() == '"' && stamp.back() == '"') stamp = stamp.substr(1, stamp.size() - 2);
  std::chrono::nanoseconds time{};
  const std::size_t used = parse_datetime(stamp, true, false, time, reason);
  if (used == 0 || used != stamp.size()) {
    reason = used == 0 ? "timestamp: " + reason : "timestamp: text after the time";
    return std::nullopt;
  }
  const auto context = csv_count(fields[1], 1);
  const auto generated = csv_count(fields[2], 1);
  if (!context || !generated) {
    reason = "ContextTokens and GeneratedTokens must be integers from 1 to 2^24";
    return std::nullopt;
  }
  Entry entry;
  entry.offset = time;
  entry.input_tokens = *context;
  entry.output_tokens = *generated;
  return entry;
}

std::optional<Entry> parse_inferbench_line(std::string_view line, std::string& reason) {
  const json j = json::parse(trim(line), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    reason = "not a JSON object";
    return std::nullopt;
  }
  const auto sent = j.find("sent_ns");
  if (sent == j.end() || sent->is_null()) {
    reason = "never sent in the recorded run (sent_ns is null)";
    return std::nullopt;
  }
  if (!sent->is_number_integer() || (!sent->is_number_unsigned() && sent->get<std::int64_t>() < 0) ||
      sent->get<double>() > kMaxTimestampMs * 1e6) {
    reason = "sent_ns is not an integer from 0 to 30 years of nanoseconds";
    return std::nullopt;
  }
  Entry entry;
  entry.offset = std::chrono::nanoseconds(sent->get<std::int64_t>());
  const auto in = j.find("input_tokens");
  const auto input = in == j.end() ? std::nullopt : json_count(*in, 1);
  if (!input) {
    reason = "input_tokens is missing, unknown or not an integer from 1 to 2^24";
    return std::nullopt;
  }
  entry.input_tokens = *input;
  // What was asked (max_tokens) reproduces the request; what came back stands in without it.
  for (const char* key : {"max_tokens", "output_tokens"}) {
    if (const auto out = j.find(key); out != j.end() && !out->is_null()) {
      const auto n = json_count(*out, 1);
      if (!n) {
        reason = fmt::format("{} is not an integer from 1 to 2^24", key);
        return std::nullopt;
      }
      entry.output_tokens = *n;
      break;
    }
  }
  const auto id = j.find("id");
  const auto point = j.find("load_point");
  if (id != j.end() && id->is_number_integer()) {
    entry.conversation_id =
        point != j.end() && point->is_number_integer() ? fmt::format("{}-{}", point->dump(), id->dump()) : id->dump();
  }
  return entry;
}

}  // namespace inferbench::replay
