// The hot path (SseParser::feed + ChunkDecoder::decode) allocates nothing per event once warm.
// This file replaces the global operator new of the test binary to count allocations.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "protocol/openai.hpp"
#include "protocol/sse_parser.hpp"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
// GCC flags free() on memory from operator new, not knowing operator new is replaced here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace inferbench::protocol {
namespace {

std::string chunk(int i) {
  return R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"tok)" +
         std::to_string(i) + R"( caf\u00e9"},"logprobs":null,"finish_reason":null}]}

)";
}

TEST(HotPath, NoAllocationPerEventWhenWarm) {
  std::string stream;
  for (int i = 0; i < 64; ++i) stream += chunk(i);
  stream +=
      ": ping\r\n\r\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,"
      "\"completion_tokens\":64}}\r\n\r\ndata: [DONE]\n\n";

  SseParser parser;
  ChunkDecoder decoder;
  long outputs = 0;
  auto on_event = [&](const SseEvent& e) { outputs += decoder.decode(e.data).has_output; };
  auto run = [&](std::size_t read_size) {
    parser.reset();
    for (std::size_t i = 0; i < stream.size(); i += read_size) {
      parser.feed(std::string_view(stream).substr(i, read_size), on_event);
    }
  };
  for (const std::size_t read_size : {stream.size(), std::size_t{1}, std::size_t{7}, std::size_t{300}}) {
    run(read_size);  // warm-up: buffers grow to this stream's largest event
    outputs = 0;
    const long before = g_allocations.load();
    run(read_size);
    const long after = g_allocations.load();
    EXPECT_EQ(after - before, 0) << "read size " << read_size;
    EXPECT_EQ(outputs, 64) << "read size " << read_size;
  }
}

TEST(HotPath, AllocationCounterWorks) {
  const long before = g_allocations.load();
  auto* p = new std::string(100, 'x');
  delete p;
  EXPECT_GE(g_allocations.load() - before, 1);
}

}  // namespace
}  // namespace inferbench::protocol
