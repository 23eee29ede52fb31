#include "results/record_line.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <limits>

#include "core/error.hpp"
#include "metrics/request_metrics.hpp"
#include "report/failure_label.hpp"
#include "report/json.hpp"
#include "results/anchor.hpp"

namespace inferbench::results {

using nlohmann::json;

namespace {

// No offset in a results file is further than ~100 years from its anchor: a bound that keeps
// every sum of offsets far from overflow, whatever a hostile file holds.
constexpr std::int64_t kMaxOffsetNs = std::int64_t{1} << 61;

const json& key(const json& line, const char* name) {
  const auto it = line.find(name);
  require(it != line.end(), fmt::format("missing \"{}\"", name));
  return *it;
}

std::int64_t integer(const json& v, const char* name, std::int64_t lo, std::int64_t hi) {
  require(v.is_number_integer(), fmt::format("\"{}\" must be an integer", name));
  // Unsigned values above int64 are out of range, not wrapped.
  require(!(v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(hi)),
          fmt::format("\"{}\" is out of range", name));
  const auto x = v.get<std::int64_t>();
  require(x >= lo && x <= hi, fmt::format("\"{}\" is out of range [{}, {}]", name, lo, hi));
  return x;
}

std::int64_t integer_key(const json& line, const char* name, std::int64_t lo, std::int64_t hi) {
  return integer(key(line, name), name, lo, hi);
}

std::optional<std::int64_t> nullable_integer(const json& line, const char* name, std::int64_t lo, std::int64_t hi) {
  const json& v = key(line, name);
  if (v.is_null()) return std::nullopt;
  return integer(v, name, lo, hi);
}

bool boolean_key(const json& line, const char* name) {
  const json& v = key(line, name);
  require(v.is_boolean(), fmt::format("\"{}\" must be true or false", name));
  return v.get<bool>();
}

TimePoint at(TimePoint anchor, std::int64_t offset_ns) {
  return anchor + std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(offset_ns));
}

// The raw timeline's single times, integer ns from `anchor` (the chunk arrays: add_chunks).
void add_times(json& line, const metrics::RequestRecord& r, TimePoint anchor) {
  line["sched_ns"] = to_ns(r.scheduled - anchor);
  line["sent_ns"] = r.sent ? json(to_ns(*r.sent - anchor)) : json(nullptr);
  line["headers_ns"] = r.headers == TimePoint{} ? json(nullptr) : json(to_ns(r.headers - anchor));
  line["done_ns"] = to_ns(r.done - anchor);
}

// Chunk times as deltas (the first from the send, or the anchor when never sent): short
// numbers, exact integers. Calls chunk(delta_ns, tokens) per chunk; true when any chunk
// carried a token count.
template <class Chunk>
bool for_each_chunk(const metrics::RequestRecord& r, TimePoint anchor, Chunk chunk) {
  bool any_tokens = false;
  TimePoint previous = r.sent.value_or(anchor);
  for (const metrics::ChunkTime& c : r.chunks) {
    chunk(to_ns(c.t - previous), c.tokens);
    previous = c.t;
    any_tokens = any_tokens || c.tokens != 0;
  }
  return any_tokens;
}

void add_chunks(json& line, const metrics::RequestRecord& r, TimePoint anchor) {
  json times = json::array();
  json tokens = json::array();
  const bool any_tokens = for_each_chunk(r, anchor, [&](std::int64_t delta_ns, std::int64_t n) {
    times.push_back(delta_ns);
    tokens.push_back(n);
  });
  line["chunk_ns"] = std::move(times);
  line["chunk_tokens"] = any_tokens ? std::move(tokens) : json(nullptr);
}

// request_line without "chunk_ns" and "chunk_tokens".
json line_without_chunks(const metrics::RequestRecord& record, std::size_t load_point, const Anchor& anchor) {
  json line = report::request_line(record, metrics::derive(record));
  line["load_point"] = load_point;
  add_times(line, record, anchor.steady);
  // When it was sent, for people: seconds from the anchor, and the wall clock as a label
  // (never used for a duration).
  const std::chrono::system_clock::time_point wall_start{
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(anchor.wall_ns))};
  if (record.sent) {
    const Duration offset = *record.sent - anchor.steady;
    line["sent_offset_s"] = to_s(offset);
    const auto wall = std::chrono::time_point_cast<std::chrono::microseconds>(
        wall_start + std::chrono::duration_cast<std::chrono::system_clock::duration>(offset));
    line["sent_at"] = fmt::format("{:%FT%T}Z", wall);
  } else {
    line["sent_offset_s"] = nullptr;
    line["sent_at"] = nullptr;
  }
  line["scheduled_offset_s"] = to_s(record.scheduled - anchor.steady);
  return line;
}

}  // namespace

json request_line(const metrics::RequestRecord& record, std::size_t load_point, const Anchor& anchor) {
  json line = line_without_chunks(record, load_point, anchor);
  add_chunks(line, record, anchor.steady);
  return line;
}

std::string request_line_text(const metrics::RequestRecord& record, std::size_t load_point, const Anchor& anchor) {
  // The chunk arrays (two numbers per chunk, thousands in a long response) are formatted
  // here rather than built as JSON values: the rest of the line is dumped with placeholders,
  // which are then replaced. The placeholder cannot occur anywhere else in the text: every
  // quote inside a JSON string is escaped.
  json line = line_without_chunks(record, load_point, anchor);
  line["chunk_ns"] = 0;
  line["chunk_tokens"] = 0;
  std::string text = report::to_text(line);
  constexpr std::string_view kPlaceholder = R"("chunk_ns":0,"chunk_tokens":0)";
  std::string arrays = R"("chunk_ns":[)";
  std::string tokens = R"("chunk_tokens":[)";
  arrays.reserve(arrays.size() + record.chunks.size() * 9 + 2);
  tokens.reserve(tokens.size() + record.chunks.size() * 2 + 2);
  const auto append = [](std::string& out, std::int64_t n) {
    const fmt::format_int digits(n);
    out.append(digits.data(), digits.size());
    out += ',';
  };
  const bool any_tokens = for_each_chunk(record, anchor.steady, [&](std::int64_t delta_ns, std::int64_t n) {
    append(arrays, delta_ns);
    append(tokens, n);
  });
  // Each list ends in a comma (or is empty): the bracket replaces it, or follows "[".
  const auto close = [](std::string& list) {
    if (list.back() == ',') list.pop_back();
    list += ']';
  };
  close(arrays);
  arrays += ',';
  if (any_tokens) {
    close(tokens);
    arrays += tokens;
  } else {
    arrays += R"("chunk_tokens":null)";
  }
  text.replace(text.find(kPlaceholder), kPlaceholder.size(), arrays);
  return text;
}

metrics::RequestRecord parse_record(const json& line, TimePoint anchor) {
  require(line.is_object(), "not a JSON object");
  require(line.contains("sched_ns"),
          "no \"sched_ns\": the line has no raw timeline (written by an inferbench before 0.2?)");
  constexpr std::int64_t kIntMax = std::numeric_limits<std::int64_t>::max();
  metrics::RequestRecord r;
  r.id = static_cast<std::uint64_t>(integer_key(line, "id", 0, kIntMax));
  r.warmup = boolean_key(line, "warmup");
  r.scheduled = at(anchor, integer_key(line, "sched_ns", -kMaxOffsetNs, kMaxOffsetNs));
  if (const auto sent = nullable_integer(line, "sent_ns", -kMaxOffsetNs, kMaxOffsetNs)) r.sent = at(anchor, *sent);
  if (const auto headers = nullable_integer(line, "headers_ns", -kMaxOffsetNs, kMaxOffsetNs)) {
    r.headers = at(anchor, *headers);
  }
  r.done = at(anchor, integer_key(line, "done_ns", -kMaxOffsetNs, kMaxOffsetNs));

  const json& times = key(line, "chunk_ns");
  require(times.is_array(), "\"chunk_ns\" must be an array");
  const json& tokens = key(line, "chunk_tokens");
  require(tokens.is_null() || (tokens.is_array() && tokens.size() == times.size()),
          "\"chunk_tokens\" must be null or an array as long as \"chunk_ns\"");
  r.chunks.reserve(times.size());
  std::int64_t t = r.sent ? to_ns(*r.sent - anchor) : 0;
  for (std::size_t k = 0; k < times.size(); ++k) {
    t += integer(times[k], "chunk_ns", -kMaxOffsetNs, kMaxOffsetNs);
    require(t >= -kMaxOffsetNs && t <= kMaxOffsetNs, "\"chunk_ns\" adds up out of range");
    const auto n =
        tokens.is_null() ? 0 : integer(tokens[k], "chunk_tokens", 0, std::numeric_limits<std::uint32_t>::max());
    r.chunks.push_back({at(anchor, t), static_cast<std::uint32_t>(n)});
  }
  r.events = static_cast<std::uint32_t>(integer_key(line, "events", 0, std::numeric_limits<std::uint32_t>::max()));
  r.retried = line.contains("retried") && boolean_key(line, "retried");  // absent in older results
  r.http_status = static_cast<int>(nullable_integer(line, "http_status", 0, 999).value_or(0));

  const json& error = key(line, "error");
  const bool ok = boolean_key(line, "ok");
  if (ok) {
    require(error.is_null(), "\"ok\" is true but \"error\" is not null");
  } else {
    require(error.is_string(), "\"ok\" is false but \"error\" is not a string");
    const auto failure = report::parse_failure_label(error.get<std::string>());
    require(failure.has_value() && failure->kind != metrics::Failure::None,
            fmt::format("\"error\" is not a failure label: {}", error.get<std::string>()));
    r.failure = failure->kind;
    if (failure->kind == metrics::Failure::HttpStatus) {
      require(r.http_status == failure->http_status,
              fmt::format("\"error\" {} disagrees with \"http_status\"", error.get<std::string>()));
    }
  }
  const json& detail = key(line, "error_detail");
  require(detail.is_null() || detail.is_string(), "\"error_detail\" must be a string or null");
  if (detail.is_string()) r.error_detail = detail.get<std::string>();

  constexpr std::int64_t kIntMin = std::numeric_limits<std::int64_t>::min();
  // Usage exactly as the server sent it: any integer (metrics::check_usage judges it).
  r.usage.prompt_tokens = nullable_integer(line, "prompt_tokens", kIntMin, kIntMax);
  r.usage.completion_tokens = nullable_integer(line, "completion_tokens", kIntMin, kIntMax);
  r.usage.cached_tokens = nullable_integer(line, "cached_tokens", kIntMin, kIntMax);
  r.client_prompt_tokens = nullable_integer(line, "client_prompt_tokens", 0, kIntMax).value_or(-1);
  r.client_output_tokens = nullable_integer(line, "client_output_tokens", 0, kIntMax).value_or(-1);
  r.max_tokens = integer_key(line, "max_tokens", kIntMin, kIntMax);
  return r;
}

}  // namespace inferbench::results
