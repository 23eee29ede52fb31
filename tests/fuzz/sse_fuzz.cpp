// libFuzzer target: protocol::SseParser (moved here from tests/protocol/protocol_fuzz.cpp).
// Differential: the stream fed whole and fed in pieces (sizes taken from the input's first bytes)
// must give the same events, status and partial-event state. Invariants: no event is larger than
// the limit, no event's data is longer than the stream, after EventTooLarge nothing more is
// dispatched, reset() gives a parser that behaves like a fresh one.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "protocol/sse_parser.hpp"

namespace {

using inferbench::fuzz::fail;

using namespace inferbench::protocol;

constexpr std::size_t kLimit = 4096;

struct Run {
  std::vector<std::string> events;
  SseStatus status = SseStatus::Ok;
  bool partial = false;
};

Run run(SseParser& parser, std::string_view stream, std::string_view cuts) {
  Run r;
  bool failed = false;
  auto on_event = [&](const SseEvent& e) {
    if (failed) fail();  // dispatched after EventTooLarge
    if (e.data.size() > kLimit || e.data.size() > stream.size()) fail();
    if (e.type.size() > stream.size()) fail();
    r.events.emplace_back(std::string(e.type) + '|' + std::string(e.data));
  };
  auto feed = [&](std::string_view bytes) {
    std::string piece(bytes);  // a fresh buffer per read: views into it must not outlive the call
    r.status = parser.feed(piece, on_event);
    if (r.status == SseStatus::EventTooLarge) {
      if (!parser.failed()) fail();
      failed = true;
    } else if (failed || parser.failed()) {
      fail();  // the failure must stick until reset()
    }
  };
  std::size_t pos = 0;
  for (const char c : cuts) {
    const std::size_t n = std::min<std::size_t>(static_cast<unsigned char>(c) % 64, stream.size() - pos);
    feed(stream.substr(pos, n));
    pos += n;
  }
  feed(stream.substr(pos));
  r.partial = parser.has_partial_event();
  if (r.events.size() > stream.size() / 2 + 1) fail();  // every event needs at least a blank line
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t ncuts = size ? static_cast<unsigned char>(input[0]) % 16 : 0;
  const std::string_view cuts = input.substr(size ? 1 : 0, std::min(ncuts, size ? size - 1 : 0));
  const std::string_view stream = input.substr(std::min(size, 1 + cuts.size()));

  SseParser whole_parser(kLimit);
  const Run whole = run(whole_parser, stream, {});
  static SseParser reused(kLimit);  // keeps its buffers across inputs, as a worker's parser does
  reused.reset();
  if (reused.failed() || reused.has_partial_event()) fail();
  const Run split = run(reused, stream, cuts);
  if (whole.status != split.status) fail();
  if (whole.status == SseStatus::Ok && (whole.events != split.events || whole.partial != split.partial)) fail();
  return 0;
}
