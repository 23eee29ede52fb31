// Client CPU per streamed chunk: SseParser::feed + ChunkDecoder::decode on a vLLM chat stream.
// The project target is <= 0.5 us per streamed token when many tokens arrive per read.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "protocol/openai.hpp"
#include "protocol/sse_parser.hpp"

namespace {

using inferbench::protocol::ChunkDecoder;
using inferbench::protocol::SseEvent;
using inferbench::protocol::SseParser;

constexpr int kEventsPerStream = 64;

// One vLLM chat content chunk as sent on the wire (one token per chunk), ~240 bytes.
std::string vllm_chat_event(int i) {
  static const char* const kWords[] = {" the",   " model", " answer",         "ing", ",",     " caf\\u00e9", " KV",
                                       " cache", ".",      " \\\"quoted\\\"", "\\n", " token"};
  return std::string(
             R"(data: {"id":"chatcmpl-b8d3f2e4a1c94e6f9e0a7d5c3b2a1f00","object":"chat.completion.chunk","created":1732320000,"model":"meta-llama/Llama-3.1-8B-Instruct","choices":[{"index":0,"delta":{"content":")") +
         kWords[i % 12] + R"("},"logprobs":null,"finish_reason":null}]})" + "\n\n";
}

std::vector<std::string> events() {
  std::vector<std::string> out;
  for (int i = 0; i < kEventsPerStream; ++i) out.push_back(vllm_chat_event(i));
  return out;
}

void set_counters(benchmark::State& state, std::size_t events_per_iteration, std::size_t bytes_per_iteration) {
  const auto n = static_cast<double>(state.iterations()) * static_cast<double>(events_per_iteration);
  // Seconds per event, printed with an SI prefix: "215n" is 215 ns of CPU per event.
  state.counters["time_per_event"] = benchmark::Counter(n, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(bytes_per_iteration));
}

// 64 events per read: a busy server or a client that read late.
void BM_StreamManyEventsPerRead(benchmark::State& state) {
  std::string read;
  for (const auto& e : events()) read += e;
  SseParser parser;
  ChunkDecoder decoder;
  std::size_t outputs = 0;
  auto on_event = [&](const SseEvent& e) { outputs += decoder.decode(e.data).has_output; };
  for (auto _ : state) {
    parser.feed(read, on_event);
  }
  benchmark::DoNotOptimize(outputs);
  set_counters(state, kEventsPerStream, read.size());
}
BENCHMARK(BM_StreamManyEventsPerRead);

// One event per read: the usual case at low load (one token per TCP segment).
void BM_StreamOneEventPerRead(benchmark::State& state) {
  const std::vector<std::string> reads = events();
  std::size_t bytes = 0;
  for (const auto& r : reads) bytes += r.size();
  SseParser parser;
  ChunkDecoder decoder;
  std::size_t outputs = 0;
  auto on_event = [&](const SseEvent& e) { outputs += decoder.decode(e.data).has_output; };
  for (auto _ : state) {
    for (const auto& r : reads) parser.feed(r, on_event);
  }
  benchmark::DoNotOptimize(outputs);
  set_counters(state, kEventsPerStream, bytes);
}
BENCHMARK(BM_StreamOneEventPerRead);

// Reads of 1000 bytes that cut events anywhere: the partial-line path (copy into the buffer).
void BM_StreamSplitReads(benchmark::State& state) {
  std::string stream;
  for (const auto& e : events()) stream += e;
  std::vector<std::string> reads;
  for (std::size_t i = 0; i < stream.size(); i += 1000) reads.push_back(stream.substr(i, 1000));
  SseParser parser;
  ChunkDecoder decoder;
  std::size_t outputs = 0;
  auto on_event = [&](const SseEvent& e) { outputs += decoder.decode(e.data).has_output; };
  for (auto _ : state) {
    for (const auto& r : reads) parser.feed(r, on_event);
  }
  benchmark::DoNotOptimize(outputs);
  set_counters(state, kEventsPerStream, stream.size());
}
BENCHMARK(BM_StreamSplitReads);

// The two halves separately, many events per read.
void BM_SseParserOnly(benchmark::State& state) {
  std::string read;
  for (const auto& e : events()) read += e;
  SseParser parser;
  std::size_t bytes = 0;
  auto on_event = [&](const SseEvent& e) { bytes += e.data.size(); };
  for (auto _ : state) {
    parser.feed(read, on_event);
  }
  benchmark::DoNotOptimize(bytes);
  set_counters(state, kEventsPerStream, read.size());
}
BENCHMARK(BM_SseParserOnly);

void BM_ChunkDecoderOnly(benchmark::State& state) {
  std::vector<std::string> data;
  for (const auto& e : events()) data.push_back(e.substr(6, e.size() - 8));  // strip framing
  ChunkDecoder decoder;
  std::size_t outputs = 0;
  for (auto _ : state) {
    for (const auto& d : data) outputs += decoder.decode(d).output_text.size();
  }
  benchmark::DoNotOptimize(outputs);
  set_counters(state, kEventsPerStream, 0);
}
BENCHMARK(BM_ChunkDecoderOnly);

}  // namespace

BENCHMARK_MAIN();
