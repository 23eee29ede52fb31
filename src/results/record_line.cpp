#include "results/record_line.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <string_view>
#include <type_traits>

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

// The wall clock at `t`, as a label for people (never used for a duration): "2026-12-04T08:35:49.123456Z".
std::string sent_at(TimePoint t, const Anchor& anchor) {
  const std::chrono::system_clock::time_point wall_start{
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(anchor.wall_ns))};
  const auto wall = std::chrono::time_point_cast<std::chrono::microseconds>(
      wall_start + std::chrono::duration_cast<std::chrono::system_clock::duration>(t - anchor.steady));
  return fmt::format("{:%FT%T}Z", wall);
}

}  // namespace

json request_line(const metrics::RequestRecord& record, std::size_t load_point, const Anchor& anchor) {
  json line = report::request_line(record, metrics::derive(record));
  line["load_point"] = load_point;
  add_times(line, record, anchor.steady);
  // When it was sent, for people: seconds from the anchor, and the wall clock.
  if (record.sent) {
    line["sent_offset_s"] = to_s(*record.sent - anchor.steady);
    line["sent_at"] = sent_at(*record.sent, anchor);
  } else {
    line["sent_offset_s"] = nullptr;
    line["sent_at"] = nullptr;
  }
  line["scheduled_offset_s"] = to_s(record.scheduled - anchor.steady);
  add_chunks(line, record, anchor.steady);
  return line;
}

namespace {

// JSON values appended to a line's text exactly as nlohmann's dump (report::to_text) writes
// them, so that append_request_line gives the text of request_line without building the object:
// building it (a std::map node and a string per key) and dumping it cost more than the rest of a
// short request's work in the collector. tests/results and tests/fuzz/results_fuzz.cpp hold the
// text to to_text(request_line(...)) byte for byte.
struct Null {};

void put(std::string& out, Null) { out += "null"; }

void put(std::string& out, bool v) { out += v ? "true" : "false"; }

template <class Integer>
requires(std::is_integral_v<Integer> && !std::is_same_v<Integer, bool>) void put(std::string& out, Integer v) {
  const fmt::format_int digits(v);
  out.append(digits.data(), digits.size());
}

// nlohmann's own shortest round-trip form (Grisu2, "1.0" for a whole number): another algorithm
// may pick other digits for the same double.
void put(std::string& out, double v) {
  if (!std::isfinite(v)) return put(out, Null{});
  std::array<char, 64> buffer{};
  const char* end = nlohmann::detail::to_chars(buffer.data(), buffer.data() + buffer.size(), v);
  out.append(buffer.data(), static_cast<std::size_t>(end - buffer.data()));
}

template <class T>
void put(std::string& out, const std::optional<T>& v) {
  if (v) return put(out, *v);
  put(out, Null{});
}

// Text known to need no escaping (ASCII letters, digits and punctuation other than quotes and
// backslashes).
void put_plain(std::string& out, std::string_view text) {
  out += '"';
  out += text;
  out += '"';
}

// Any text (a server's error body: quotes, control characters, bytes that are not UTF-8), or null
// when it is empty.
void put_text_or_null(std::string& out, const std::string& text) {
  if (text.empty()) return put(out, Null{});
  out += report::to_text(json(text));
}

// A key given as its whole token, comma included (R"(,"id":)"), then the value put writes: one
// append per key rather than one per quote.
template <class T>
void field(std::string& out, std::string_view comma_key, const T& value) {
  out += comma_key;
  put(out, value);
}

void append_chunk_arrays(std::string& out, const metrics::RequestRecord& record, TimePoint anchor) {
  std::string tokens;  // appended after the times
  tokens.reserve(record.chunks.size() * 2 + 2);
  out += R"(,"chunk_ns":[)";
  const bool any_tokens = for_each_chunk(record, anchor, [&](std::int64_t delta_ns, std::int64_t n) {
    put(out, delta_ns);
    out += ',';
    put(tokens, n);
    tokens += ',';
  });
  // Each list ends in a comma (or is empty): the bracket replaces it, or follows "[".
  if (out.back() == ',') out.pop_back();
  out += R"(],"chunk_tokens":)";
  if (any_tokens) {
    tokens.back() = ']';
    out += '[';
    out += tokens;
  } else {
    out += "null";
  }
}

}  // namespace

void append_request_line(std::string& out, const metrics::RequestRecord& record, std::size_t load_point,
                         const Anchor& anchor) {
  const metrics::RequestMetrics m = metrics::derive(record);
  const TimePoint origin = anchor.steady;
  // The keys in the order nlohmann's std::map sorts them (bytewise), as request_line dumps.
  out += R"({"cached_tokens":)";
  put(out, record.usage.cached_tokens);
  append_chunk_arrays(out, record, origin);
  field(out, R"(,"chunks":)", m.chunks);
  field(out, R"(,"client_output_tokens":)",
        record.client_output_tokens >= 0 ? std::optional(record.client_output_tokens) : std::nullopt);
  field(out, R"(,"client_prompt_tokens":)",
        record.client_prompt_tokens >= 0 ? std::optional(record.client_prompt_tokens) : std::nullopt);
  field(out, R"(,"completion_tokens":)", record.usage.completion_tokens);
  field(out, R"(,"done_ms":)", m.done_ms);
  field(out, R"(,"done_ns":)", to_ns(record.done - origin));
  field(out, R"(,"e2e_ms":)", m.e2e_ms);
  out += R"(,"error":)";
  put_text_or_null(out, record.ok() ? std::string() : report::failure_label(record));
  out += R"(,"error_detail":)";
  put_text_or_null(out, record.error_detail);
  field(out, R"(,"events":)", record.events);
  field(out, R"(,"headers_ns":)",
        record.headers == TimePoint{} ? std::nullopt : std::optional(to_ns(record.headers - origin)));
  field(out, R"(,"http_status":)", record.http_status != 0 ? std::optional(record.http_status) : std::nullopt);
  field(out, R"(,"id":)", record.id);
  field(out, R"(,"input_tokens":)", m.input_tokens);
  field(out, R"(,"load_point":)", load_point);
  field(out, R"(,"max_itl_ms":)", m.max_itl_ms);
  field(out, R"(,"max_tokens":)", record.max_tokens);
  field(out, R"(,"ntpot_ms":)", m.ntpot_ms);
  field(out, R"(,"ok":)", record.ok());
  field(out, R"(,"output_tokens":)", m.output_tokens);
  out += R"(,"output_tokens_source":)";
  if (!m.output_tokens) {
    put(out, Null{});
  } else {
    put_plain(out, m.output_tokens_from_usage ? "usage" : "client");
  }
  field(out, R"(,"over_max_tokens":)", m.over_max_tokens);
  field(out, R"(,"prompt_tokens":)", record.usage.prompt_tokens);
  field(out, R"(,"retried":)", record.retried);
  field(out, R"(,"sched_ns":)", to_ns(record.scheduled - origin));
  field(out, R"(,"schedule_lag_ms":)", m.schedule_lag_ms);
  field(out, R"(,"scheduled_offset_s":)", to_s(record.scheduled - origin));
  out += R"(,"sent_at":)";
  if (record.sent) {
    put_plain(out, sent_at(*record.sent, anchor));
  } else {
    put(out, Null{});
  }
  field(out, R"(,"sent_ns":)", record.sent ? std::optional(to_ns(*record.sent - origin)) : std::nullopt);
  field(out, R"(,"sent_offset_s":)", record.sent ? std::optional(to_s(*record.sent - origin)) : std::nullopt);
  field(out, R"(,"tpot_ms":)", m.tpot_ms);
  field(out, R"(,"ttft_ms":)", m.ttft_ms);
  out += R"(,"usage_rejected":)";
  put_text_or_null(out, report::usage_rejection(record, m.usage_problem));  // empty when None
  field(out, R"(,"warmup":)", record.warmup);
  out += '}';
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
