// Hot path: decoding streamed OpenAI chunks with simdjson On-Demand. Fields are read in
// document order in one pass; unknown fields (id, created, model, system_fingerprint, timings,
// logprobs, stop_reason, ...) are skipped without being parsed. No allocation per chunk once
// the padded buffer, the parser and the text buffer have grown to the largest chunk.
//
// A stream's chunks mostly differ from the one before only in their text: the same id, model,
// created and finish_reason null around another token. So after a chunk whose text came from one
// string value, the next chunk that is byte for byte that chunk around a different plain string
// (no quote, backslash or control byte; valid UTF-8; not empty) is decoded without parsing: it is
// valid JSON exactly when the first was, and says the same with the new text. Anything else is
// parsed in full.
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <utility>

#include "protocol/openai.hpp"

namespace inferbench::protocol {

namespace {

namespace od = simdjson::ondemand;

// nullptr = fine; otherwise a short static reason why the chunk is malformed.
using Reason = const char*;

constexpr std::string_view kFinishReasonError = "finish_reason is \"error\"";

// The text pieces of one chunk; joined (copied) only when a chunk has more than one.
class TextCollector {
 public:
  explicit TextCollector(std::string& buffer) : buffer_(buffer) {}
  // raw: the piece's JSON string in the document, quotes included (and maybe whitespace after),
  // when the piece is a whole string value; empty otherwise.
  void add(std::string_view piece, std::string_view raw = {}) {
    if (piece.empty()) return;
    if (count_ == 0) {
      first_ = piece;
      first_raw_ = raw;
    } else {
      if (count_ == 1) buffer_.assign(first_);
      buffer_.append(piece);
    }
    ++count_;
  }
  std::string_view text() const { return count_ <= 1 ? first_ : std::string_view(buffer_); }
  // The one JSON string the text came from, or empty when it came from several pieces or none.
  std::string_view only_raw() const { return count_ == 1 ? first_raw_ : std::string_view(); }

 private:
  std::string& buffer_;
  std::string_view first_;
  std::string_view first_raw_;
  int count_ = 0;
};

// Everything gathered while walking one document.
struct Scan {
  ChunkInfo& out;
  TextCollector text;
  bool object_is_error = false;  // top-level "object":"error" (old vLLM error body)
  bool has_choices_key = false;
  std::string_view top_message;
  std::string_view top_type;
  std::optional<std::int64_t> top_code;
};

Reason type_of(od::value& v, od::json_type& type) { return v.type().get(type) ? "invalid JSON value" : nullptr; }

// A string, or null / absent (empty view). `raw`, when given, is set to the string's token in
// the document (quotes included, maybe whitespace after).
Reason read_string_or_null(od::value& v, std::string_view& out, std::string_view* raw = nullptr) {
  od::json_type type;
  if (Reason r = type_of(v, type)) return r;
  if (type == od::json_type::null) {
    out = {};
    return nullptr;
  }
  if (type != od::json_type::string) return "expected a string";
  if (raw != nullptr) *raw = v.raw_json_token();  // before get_string, which moves past it
  return v.get_string().get(out) ? "invalid string" : nullptr;
}

// A piece of output text: a string, or null / absent. `seen` is set when it is not empty.
Reason read_text(od::value& v, Scan& scan, bool& seen) {
  std::string_view s;
  std::string_view raw;
  if (Reason r = read_string_or_null(v, s, &raw)) return r;
  if (!s.empty()) seen = true;
  scan.text.add(s, raw);
  return nullptr;
}

// A token count: an integer (or an integral double), or null.
Reason read_count(od::value& v, std::optional<std::int64_t>& out) {
  od::json_type type;
  if (Reason r = type_of(v, type)) return r;
  if (type == od::json_type::null) return nullptr;
  if (type != od::json_type::number) return "token count is not a number";
  std::int64_t n = 0;
  if (!v.get_int64().get(n)) {
    out = n;
    return nullptr;
  }
  double d = 0;
  if (v.get_double().get(d) || !std::isfinite(d) || d < 0 || d > 9.0e15) {
    return "token count out of range";
  }
  out = static_cast<std::int64_t>(d);
  return nullptr;
}

// An error code: a number, or a string holding one; anything else is ignored.
void read_error_code(od::value& v, std::optional<std::int64_t>& out) {
  od::json_type type;
  if (type_of(v, type)) return;
  std::int64_t n = 0;
  if (type == od::json_type::number) {
    if (!v.get_int64().get(n)) out = n;
  } else if (type == od::json_type::string) {
    std::string_view s;
    if (v.get_string().get(s)) return;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && end == s.data() + s.size()) out = n;
  }
}

Reason parse_tool_calls(od::value& v, Scan& scan) {
  od::json_type type;
  if (Reason r = type_of(v, type)) return r;
  if (type == od::json_type::null) return nullptr;
  od::array calls;
  if (v.get_array().get(calls)) return "tool_calls is not an array";
  for (auto call_result : calls) {
    od::object call;
    if (call_result.get_object().get(call)) return "tool call is not an object";
    scan.out.has_tool_calls = true;
    for (auto field_result : call) {
      od::field field;
      if (std::move(field_result).get(field)) return "invalid tool call";
      if (field.key() != "function") continue;
      od::json_type ftype;
      if (Reason r = type_of(field.value(), ftype)) return r;
      if (ftype == od::json_type::null) continue;
      od::object function;
      if (field.value().get_object().get(function)) return "tool function is not an object";
      for (auto fn_result : function) {
        od::field fn_field;
        if (std::move(fn_result).get(fn_field)) return "invalid tool function";
        if (fn_field.key() == "name" || fn_field.key() == "arguments") {
          std::string_view s;
          if (Reason r = read_string_or_null(fn_field.value(), s)) return r;
          scan.text.add(s);
        }
      }
    }
  }
  return nullptr;
}

// A chat `delta` (streamed) or `message` (non-streamed).
Reason parse_delta(od::value& v, Scan& scan) {
  od::json_type type;
  if (Reason r = type_of(v, type)) return r;
  if (type == od::json_type::null) return nullptr;
  od::object delta;
  if (v.get_object().get(delta)) return "delta is not an object";
  for (auto field_result : delta) {
    od::field field;
    if (std::move(field_result).get(field)) return "invalid delta";
    const auto key = field.key();
    if (key == "content") {
      if (Reason r = read_text(field.value(), scan, scan.out.has_content)) return r;
    } else if (key == "reasoning_content" || key == "reasoning") {
      if (Reason r = read_text(field.value(), scan, scan.out.has_reasoning)) return r;
    } else if (key == "tool_calls") {
      if (Reason r = parse_tool_calls(field.value(), scan)) return r;
    }
  }
  return nullptr;
}

Reason parse_choice(od::value& v, Scan& scan) {
  od::object choice;
  if (v.get_object().get(choice)) return "choice is not an object";
  for (auto field_result : choice) {
    od::field field;
    if (std::move(field_result).get(field)) return "invalid choice";
    const auto key = field.key();
    if (key == "text") {
      if (Reason r = read_text(field.value(), scan, scan.out.has_content)) return r;
    } else if (key == "delta" || key == "message") {
      if (Reason r = parse_delta(field.value(), scan)) return r;
    } else if (key == "finish_reason") {
      if (Reason r = read_string_or_null(field.value(), scan.out.finish_reason)) return r;
    }
  }
  return nullptr;
}

Reason parse_choices(od::value& v, Scan& scan) {
  od::json_type type;
  if (Reason r = type_of(v, type)) return r;
  if (type == od::json_type::null) return nullptr;
  od::array choices;
  if (v.get_array().get(choices)) return "choices is not an array";
  // Only choices[0] is read (one completion per request); the rest are skipped unparsed.
  for (auto choice_result : choices) {
    od::value choice;
    if (std::move(choice_result).get(choice)) return "invalid choices";
    scan.out.has_choices = true;
    return parse_choice(choice, scan);
  }
  return nullptr;
}

Reason parse_usage(od::value& v, Scan& scan) {
  od::json_type type;
  if (Reason r = type_of(v, type)) return r;
  if (type == od::json_type::null) return nullptr;
  od::object usage;
  if (v.get_object().get(usage)) return "usage is not an object";
  scan.out.has_usage = true;
  Usage& u = scan.out.usage;
  for (auto field_result : usage) {
    od::field field;
    if (std::move(field_result).get(field)) return "invalid usage";
    const auto key = field.key();
    Reason r = nullptr;
    if (key == "prompt_tokens") {
      r = read_count(field.value(), u.prompt_tokens);
    } else if (key == "completion_tokens") {
      r = read_count(field.value(), u.completion_tokens);
    } else if (key == "total_tokens") {
      r = read_count(field.value(), u.total_tokens);
    } else if (key == "prompt_tokens_details") {
      od::json_type dtype;
      if ((r = type_of(field.value(), dtype))) return r;
      if (dtype == od::json_type::null) continue;
      od::object details;
      if (field.value().get_object().get(details)) return "prompt_tokens_details is not an object";
      for (auto detail_result : details) {
        od::field detail;
        if (std::move(detail_result).get(detail)) return "invalid prompt_tokens_details";
        if (detail.key() == "cached_tokens") {
          if ((r = read_count(detail.value(), u.cached_tokens))) return r;
        }
      }
    }
    if (r) return r;
  }
  return nullptr;
}

// `"error": {...}` or `"error": "text"` inside a response or stream.
Reason parse_error(od::value& v, Scan& scan) {
  od::json_type type;
  if (Reason r = type_of(v, type)) return r;
  if (type == od::json_type::null) return nullptr;
  scan.out.error = true;
  if (type == od::json_type::string) return v.get_string().get(scan.out.error_message) ? "invalid string" : nullptr;
  if (type != od::json_type::object) return nullptr;
  od::object error;
  if (v.get_object().get(error)) return "invalid error object";
  for (auto field_result : error) {
    od::field field;
    if (std::move(field_result).get(field)) return "invalid error object";
    const auto key = field.key();
    if (key == "message") {
      od::json_type mtype;
      if (Reason r = type_of(field.value(), mtype)) return r;
      if (mtype == od::json_type::string && field.value().get_string().get(scan.out.error_message)) {
        return "invalid string";
      }
    } else if (key == "type") {
      od::json_type ttype;
      if (Reason r = type_of(field.value(), ttype)) return r;
      if (ttype == od::json_type::string && field.value().get_string().get(scan.out.error_type)) {
        return "invalid string";
      }
    } else if (key == "code") {
      read_error_code(field.value(), scan.out.error_code);
    }
  }
  return nullptr;
}

// Reads an optional top-level string (ignored when of another type).
Reason read_top_string(od::value& v, std::string_view& out) {
  od::json_type type;
  if (Reason r = type_of(v, type)) return r;
  if (type == od::json_type::string && v.get_string().get(out)) return "invalid string";
  return nullptr;
}

Reason parse_root(od::document& doc, Scan& scan) {
  od::object root;
  if (doc.get_object().get(root)) return "not a JSON object";
  for (auto field_result : root) {
    od::field field;
    if (std::move(field_result).get(field)) return "invalid JSON";
    const auto key = field.key();
    Reason r = nullptr;
    if (key == "choices") {
      scan.has_choices_key = true;
      r = parse_choices(field.value(), scan);
    } else if (key == "usage") {
      r = parse_usage(field.value(), scan);
    } else if (key == "error") {
      r = parse_error(field.value(), scan);
    } else if (key == "object") {
      std::string_view object;
      r = read_top_string(field.value(), object);
      if (object == "error") scan.object_is_error = true;
    } else if (key == "message") {
      r = read_top_string(field.value(), scan.top_message);
    } else if (key == "type") {
      r = read_top_string(field.value(), scan.top_type);
    } else if (key == "code") {
      read_error_code(field.value(), scan.top_code);
    }
    if (r) return r;
  }
  // On-Demand does not look past the root value by itself.
  const char* trailing = nullptr;
  if (!doc.current_location().get(trailing)) return "trailing content after JSON";
  return nullptr;
}

// Whether `s`, put between two quotes, is a JSON string that means `s` itself: no quote,
// backslash or control byte, and valid UTF-8.
bool is_plain_json_text(std::string_view s) {
  unsigned char any = 0;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == '"' || u == '\\') return false;
    any |= u;
  }
  return any < 0x80 || simdjson::validate_utf8(s);
}

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

}  // namespace

struct ChunkDecoder::Impl {
  od::parser parser;
  std::unique_ptr<char[]> buffer;  // padded copy of the data (simdjson reads past the end)
  std::size_t capacity = 0;        // bytes in buffer, padding included
  std::string text;                // joined output text when a chunk has several pieces
  ChunkInfo result;                // the last answer of decode()

  // The last chunk parsed in full (its bytes are still in `buffer`), when its text came from one
  // string value: where that string's contents are, and what the chunk said.
  struct Shape {
    bool valid = false;
    std::size_t size = 0;        // bytes of the chunk
    std::size_t text_begin = 0;  // the string's first byte, after its opening quote
    std::size_t text_end = 0;    // its closing quote
    ChunkInfo info;              // views into the parser's buffers, valid until it parses again
  } last;

  explicit Impl(std::size_t initial_capacity) {
    reserve(initial_capacity);
    text.reserve(4096);
    // A failure here only means the parser allocates on first use.
    if (parser.allocate(initial_capacity) != simdjson::SUCCESS) return;
  }

  void reserve(std::size_t json_bytes) {
    const std::size_t needed = json_bytes + simdjson::SIMDJSON_PADDING;
    if (needed <= capacity) return;
    const std::size_t grown = std::max(needed, capacity * 2);
    buffer = std::make_unique<char[]>(grown);
    capacity = grown;
  }

  // The answer is kept here rather than returned by value: building a copy on the stack and
  // reading it back stalled on store forwarding, a fifth of the time of a chunk decoded like the
  // last.
  const ChunkInfo& decode(std::string_view data) {
    const std::string_view new_text = text_like_last(data);
    if (new_text.empty()) {
      result = decode_in_full(data);
    } else {
      text.assign(new_text);
      result = last.info;
      result.output_text = text;
    }
    return result;
  }

  ChunkInfo decode_in_full(std::string_view data) {
    last.valid = false;  // the buffer is about to change
    ChunkInfo out;
    const std::string_view trimmed = trim(data);
    if (trimmed == "[DONE]") {
      out.done = true;
      return out;
    }
    if (trimmed.empty()) return malformed("empty data");
    reserve(data.size());
    std::memcpy(buffer.get(), data.data(), data.size());
    std::memset(buffer.get() + data.size(), 0, simdjson::SIMDJSON_PADDING);
    od::document doc;
    if (parser.iterate(buffer.get(), data.size(), capacity).get(doc)) {
      return malformed("invalid JSON");
    }
    Scan scan{out, TextCollector(text), false, false, {}, {}, std::nullopt};
    if (Reason r = parse_root(doc, scan)) return malformed(r);

    if (scan.object_is_error || (!out.error && !scan.has_choices_key && !out.has_usage && !scan.top_message.empty() &&
                                 (scan.top_code || !scan.top_type.empty()))) {
      // Old vLLM `{"object":"error","message":...,"code":400}` or a bare error body.
      out.error = true;
      if (out.error_message.empty()) out.error_message = scan.top_message;
      if (out.error_type.empty()) out.error_type = scan.top_type;
      if (!out.error_code) out.error_code = scan.top_code;
    }
    if (out.finish_reason == "error") {
      out.error = true;
      if (out.error_message.empty()) out.error_message = kFinishReasonError;
    }
    out.has_output = out.has_content || out.has_reasoning || out.has_tool_calls;
    out.output_text = scan.text.text();
    remember_shape(data.size(), scan.text.only_raw(), out);
    return out;
  }

  // Keeps the chunk's shape when its text came from one string. `raw` is that string's token:
  // from its opening quote to the next token, so its last byte that is not JSON whitespace is
  // the closing quote.
  void remember_shape(std::size_t size, std::string_view raw, const ChunkInfo& info) {
    const char* start = buffer.get();
    if (raw.empty() || raw.data() < start || raw.data() + raw.size() > start + size) return;
    const auto close = raw.find_last_not_of(" \t\r\n");
    if (close == std::string_view::npos || close == 0 || raw.front() != '"' || raw[close] != '"') return;
    const auto begin = static_cast<std::size_t>(raw.data() - start);
    last = {true, size, begin + 1, begin + close, info};
  }

  // When `data` is the last chunk around another plain text (see the top of this file), that
  // text (never empty); otherwise an empty view.
  std::string_view text_like_last(std::string_view data) const {
    if (!last.valid) return {};
    const std::size_t suffix = last.size - last.text_end;
    if (data.size() <= last.text_begin + suffix) return {};  // the new text would be empty
    const char* was = buffer.get();
    if (std::memcmp(data.data(), was, last.text_begin) != 0 ||
        std::memcmp(data.data() + data.size() - suffix, was + last.text_end, suffix) != 0) {
      return {};
    }
    const std::string_view piece = data.substr(last.text_begin, data.size() - suffix - last.text_begin);
    return is_plain_json_text(piece) ? piece : std::string_view();
  }

  static ChunkInfo malformed(std::string_view reason) {
    ChunkInfo out;
    out.malformed = true;
    out.malformed_reason = reason;
    return out;
  }
};

ChunkDecoder::ChunkDecoder(std::size_t initial_capacity) : impl_(std::make_unique<Impl>(initial_capacity)) {}
ChunkDecoder::~ChunkDecoder() = default;
ChunkDecoder::ChunkDecoder(ChunkDecoder&&) noexcept = default;
ChunkDecoder& ChunkDecoder::operator=(ChunkDecoder&&) noexcept = default;

const ChunkInfo& ChunkDecoder::decode(std::string_view data) { return impl_->decode(data); }

ResponseInfo ChunkDecoder::decode_response(std::string_view body) {
  ChunkInfo chunk = impl_->decode(body);
  if (chunk.done) chunk = Impl::malformed("[DONE] is not a response body");
  ResponseInfo out;
  out.malformed = chunk.malformed;
  out.malformed_reason = chunk.malformed_reason;
  out.error = chunk.error;
  out.error_message = chunk.error_message;
  out.error_type = chunk.error_type;
  out.error_code = chunk.error_code;
  out.has_output = chunk.has_output;
  out.output_text = chunk.output_text;
  out.finish_reason = chunk.finish_reason;
  out.usage = chunk.usage;
  return out;
}

ResponseInfo decode_response(std::string_view body) {
  ChunkDecoder decoder(body.size());
  return decoder.decode_response(body);
}

}  // namespace inferbench::protocol
