#pragma once
// Test helpers: run an SSE stream through SseParser + ChunkDecoder and record what came out.
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/openai.hpp"
#include "protocol/sse_parser.hpp"
#include "test_data.hpp"

namespace inferbench::protocol::test {

// What one event decoded to, with owned copies of every view.
struct Observed {
  std::string type;
  bool done = false, malformed = false, error = false, has_output = false, has_usage = false;
  std::string text, finish_reason, error_message;
  std::optional<std::int64_t> prompt_tokens, completion_tokens, cached_tokens, error_code;
  bool operator==(const Observed&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Observed& o) {
  os << "{type=" << o.type << " done=" << o.done << " malformed=" << o.malformed << " error=" << o.error
     << " out=" << o.has_output << " text='" << o.text << "' finish=" << o.finish_reason << " usage=" << o.has_usage
     << ":" << o.prompt_tokens.value_or(-1) << "/" << o.completion_tokens.value_or(-1) << "/"
     << o.cached_tokens.value_or(-1) << "}";
  return os;
}

inline Observed observe(std::string_view type, const ChunkInfo& c) {
  Observed o;
  o.type = type;
  o.done = c.done;
  o.malformed = c.malformed;
  o.error = c.error;
  o.has_output = c.has_output;
  o.has_usage = c.has_usage;
  o.text = c.output_text;
  o.finish_reason = c.finish_reason;
  o.error_message = c.error_message;
  o.prompt_tokens = c.usage.prompt_tokens;
  o.completion_tokens = c.usage.completion_tokens;
  o.cached_tokens = c.usage.cached_tokens;
  o.error_code = c.error_code;
  return o;
}

// The result of feeding a whole stream in pieces.
struct StreamRun {
  std::vector<Observed> events;
  bool ok = true;        // every feed returned SseStatus::Ok
  bool partial = false;  // has_partial_event() after the last piece
};

// Feeds `stream` cut at the given ascending offsets (each piece copied into its own buffer, so
// a view that outlives its read would be caught by the sanitizers / garbage).
inline StreamRun run_stream(std::string_view stream, const std::vector<std::size_t>& cuts, SseParser& parser,
                            ChunkDecoder& decoder) {
  StreamRun run;
  std::size_t begin = 0;
  auto feed = [&](std::size_t end) {
    std::string piece(stream.substr(begin, end - begin));
    if (parser.feed(piece, [&](const SseEvent& e) { run.events.push_back(observe(e.type, decoder.decode(e.data))); }) !=
        SseStatus::Ok) {
      run.ok = false;
    }
    piece.assign(piece.size(), '#');  // clobber: later events must not read this read's bytes
    begin = end;
  };
  for (const std::size_t cut : cuts) feed(cut);
  feed(stream.size());
  run.partial = parser.has_partial_event();
  return run;
}

inline StreamRun run_stream(std::string_view stream, const std::vector<std::size_t>& cuts = {}) {
  SseParser parser;
  ChunkDecoder decoder;
  return run_stream(stream, cuts, parser, decoder);
}

// `s` with every "\n" replaced by `eol`.
inline std::string with_line_ending(std::string_view s, std::string_view eol) {
  std::string out;
  for (const char c : s) {
    if (c == '\n') {
      out += eol;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace inferbench::protocol::test
