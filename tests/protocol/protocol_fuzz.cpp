// libFuzzer entry for the protocol parsers (clang only; see tests/protocol/CMakeLists.txt).
// Differential: the input fed whole and fed in pieces (sizes taken from its first bytes) must
// give the same events and status; every event's data also goes through ChunkDecoder.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/openai.hpp"
#include "protocol/sse_parser.hpp"

namespace {

using namespace inferbench::protocol;

struct Run {
  std::vector<std::string> events;
  SseStatus status = SseStatus::Ok;
  bool partial = false;
};

Run run(std::string_view stream, std::string_view cuts, ChunkDecoder& decoder) {
  SseParser parser(4096);
  Run r;
  auto on_event = [&](const SseEvent& e) {
    r.events.emplace_back(std::string(e.type) + '|' + std::string(e.data));
    const ChunkInfo c = decoder.decode(e.data);
    if (c.has_output && c.output_text.empty() && !c.has_tool_calls) std::abort();
    if (c.malformed && (c.has_output || c.error || c.done)) std::abort();
  };
  std::size_t pos = 0;
  for (const char c : cuts) {
    const std::size_t n = std::min<std::size_t>(static_cast<unsigned char>(c) % 64, stream.size() - pos);
    std::string piece(stream.substr(pos, n));  // a fresh buffer per read
    r.status = parser.feed(piece, on_event);
    pos += n;
  }
  std::string rest(stream.substr(pos));
  r.status = parser.feed(rest, on_event);
  r.partial = parser.has_partial_event();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static ChunkDecoder decoder;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t ncuts = size ? static_cast<unsigned char>(input[0]) % 16 : 0;
  const std::string_view cuts = input.substr(size ? 1 : 0, std::min(ncuts, size ? size - 1 : 0));
  const std::string_view stream = input.substr(std::min(size, 1 + cuts.size()));
  const Run whole = run(stream, {}, decoder);
  const Run split = run(stream, cuts, decoder);
  if (whole.status != split.status) std::abort();
  if (whole.status == SseStatus::Ok && (whole.events != split.events || whole.partial != split.partial)) {
    std::abort();
  }
  return 0;
}
