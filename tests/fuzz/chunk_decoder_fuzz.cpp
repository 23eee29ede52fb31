// libFuzzer target: protocol::ChunkDecoder::decode (one streamed event's data) and
// decode_response (a whole non-streamed body). Invariants: the flags agree with each other, a
// reused decoder gives the same answer as a fresh one, decode_response agrees with decode, and
// every view stays inside what the decoder could have produced. An input holding a 0x1E byte is
// two chunks: the one after it is decoded after the one before (so it may be decoded as that
// chunk around another text, without parsing) and must say what it says to a fresh decoder.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "protocol/openai.hpp"

namespace {

using inferbench::fuzz::fail;

using namespace inferbench::protocol;

// An owned copy of a ChunkInfo (its views die at the decoder's next call).
struct Owned {
  bool done, malformed, error, has_choices, has_output, has_content, has_reasoning, has_tool_calls, has_usage;
  std::string malformed_reason, error_message, error_type, output_text, finish_reason;
  std::optional<std::int64_t> error_code, prompt_tokens, completion_tokens, total_tokens, cached_tokens;
  bool operator==(const Owned&) const = default;
};

Owned own(const ChunkInfo& c) {
  return {c.done,
          c.malformed,
          c.error,
          c.has_choices,
          c.has_output,
          c.has_content,
          c.has_reasoning,
          c.has_tool_calls,
          c.has_usage,
          std::string(c.malformed_reason),
          std::string(c.error_message),
          std::string(c.error_type),
          std::string(c.output_text),
          std::string(c.finish_reason),
          c.error_code,
          c.usage.prompt_tokens,
          c.usage.completion_tokens,
          c.usage.total_tokens,
          c.usage.cached_tokens};
}

void check_chunk(const ChunkInfo& c, std::string_view data) {
  if (c.has_output != (c.has_content || c.has_reasoning || c.has_tool_calls)) fail();
  if (c.malformed) {
    if (c.malformed_reason.empty()) fail();
    if (c.has_output || c.error || c.done || c.has_usage || !c.output_text.empty()) fail();
  } else if (!c.malformed_reason.empty()) {
    fail();
  }
  if (c.done && (c.error || c.has_output)) fail();
  if ((c.has_content || c.has_reasoning) && c.output_text.empty()) fail();
  // Text only comes out of the data (unescaping never lengthens JSON strings beyond 3 bytes
  // per \uXXXX escape, i.e. less than the 6 bytes they take).
  if (c.output_text.size() > data.size() || c.finish_reason.size() > data.size()) fail();
  if (c.error_message.size() > data.size() + 64) fail();  // + a fixed text for finish_reason
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  static ChunkDecoder reused(16);  // starts small so that inputs make it grow
  std::string_view data(reinterpret_cast<const char*>(bytes), size);
  if (const auto split = data.find('\x1e'); split != std::string_view::npos) {
    ChunkDecoder primed(16);
    const std::string_view before = data.substr(0, split);
    check_chunk(primed.decode(before), before);
    data.remove_prefix(split + 1);
    reused.decode(before);
    const ChunkInfo after = primed.decode(data);
    check_chunk(after, data);
    ChunkDecoder fresh;
    if (own(after) != own(fresh.decode(data))) fail();
  }

  const ChunkInfo first = reused.decode(data);
  check_chunk(first, data);
  const Owned a = own(first);
  ChunkDecoder fresh;
  const ChunkInfo second = fresh.decode(data);
  check_chunk(second, data);
  if (own(second) != a) fail();

  const ResponseInfo r = reused.decode_response(data);
  if (r.malformed != (a.malformed || a.done)) fail();
  if (r.malformed && r.malformed_reason.empty()) fail();
  if (!r.malformed && (r.error != a.error || r.has_output != a.has_output || r.output_text != a.output_text ||
                       r.finish_reason != a.finish_reason || r.error_code != a.error_code)) {
    fail();
  }
  const ResponseInfo one_off = decode_response(data);
  if (one_off.malformed != r.malformed || one_off.output_text != r.output_text || one_off.error != r.error) fail();
  return 0;
}
