// Client CPU per streamed token on the engine's real parsing path: loadgen::ResponseReader and RecordSink (SSE
// parser + simdjson chunk decoder + RequestRecord bookkeeping) fed with vLLM chat SSE bytes
// through on_body, exactly as the HTTP layer hands them over. Three levels:
//   BM_Recorder_*  bytes go straight to ResponseReader::on_body (the body already de-chunked);
//   BM_Beast_*     the HTTP/1.1 response (chunked framing, one HTTP chunk per SSE event, as vLLM
//                  behind uvicorn sends it) goes through Beast's basic_parser from a memory
//                  buffer, with the same parser callbacks and read loop as http/client.cpp;
//   BM_Pool_Loopback the real http::ConnectionPool over loopback TCP against a thread that
//                  answers every request with the prebuilt response (adds syscalls, the
//                  coroutine machinery and the request write; CPU time is the client thread's).
// Each iteration is one whole request (record set-up, headers, body, finish), so the per-request
// costs are amortised over the stream's tokens as they are in a real run.
// Counter `cpu_per_token`: CPU seconds per streamed token ("180n" = 180 ns). Target (docs/
// performance.md): <= 0.5 us per streamed token when many tokens arrive per read.
// protocol_bench.cpp measures SseParser + ChunkDecoder alone; this one the whole recorder path.
#include <benchmark/benchmark.h>

#include <utility>  // before Asio: awaitable.hpp uses std::exchange without including it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http/client.hpp"
#include "http/streaming_parser.hpp"
#include "http/url.hpp"
#include "loadgen/record_sink.hpp"
#include "loadgen/response_reader.hpp"
#include "metrics/request_record.hpp"
#include "protocol/openai.hpp"

// Allocations by operator new on the calling thread (the benchmark's), for `allocs_per_token`.
thread_local std::uint64_t t_allocations = 0;

void* counted_alloc(std::size_t n) {
  ++t_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}

void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using inferbench::Clock;
using inferbench::TimePoint;
using inferbench::loadgen::RecordSink;
using inferbench::loadgen::ResponseReader;
using inferbench::metrics::RequestRecord;
using inferbench::protocol::ChunkDecoder;

constexpr int kEventsPerRead = 64;

// The SSE events of one vLLM chat stream with `tokens` content chunks (one token each): the
// role chunk, the content chunks (the last with finish_reason), the usage chunk and [DONE].
std::vector<std::string> vllm_chat_events(int tokens) {
  static const char* const kWords[] = {" the",   " model", " answer",         "ing", ",",     " caf\\u00e9", " KV",
                                       " cache", ".",      " \\\"quoted\\\"", "\\n", " token"};
  const std::string head =
      R"(data: {"id":"chatcmpl-b8d3f2e4a1c94e6f9e0a7d5c3b2a1f00","object":"chat.completion.chunk","created":1732320000,"model":"meta-llama/Llama-3.1-8B-Instruct","choices":[)";
  std::vector<std::string> out;
  out.push_back(head +
                R"({"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]})" +
                "\n\n");
  for (int i = 0; i < tokens; ++i) {
    const bool last = i + 1 == tokens;
    out.push_back(head + R"({"index":0,"delta":{"content":")" + kWords[i % 12] +
                  R"("},"logprobs":null,"finish_reason":)" + (last ? R"("length")" : "null") + "}]}\n\n");
  }
  out.push_back(head + R"(],"usage":{"prompt_tokens":512,"total_tokens":)" + std::to_string(512 + tokens) +
                R"(,"completion_tokens":)" + std::to_string(tokens) + "}}\n\n");
  out.push_back("data: [DONE]\n\n");
  return out;
}

// Groups the events into reads of `per_read` events each.
std::vector<std::string> group(const std::vector<std::string>& events, int per_read) {
  std::vector<std::string> reads;
  for (std::size_t i = 0; i < events.size(); i += static_cast<std::size_t>(per_read)) {
    std::string r;
    for (std::size_t j = i; j < std::min(events.size(), i + static_cast<std::size_t>(per_read)); ++j) r += events[j];
    reads.push_back(std::move(r));
  }
  return reads;
}

// The HTTP/1.1 response carrying the events, one HTTP chunk per event.
std::string chunked_response(const std::vector<std::string>& events) {
  std::string out =
      "HTTP/1.1 200 OK\r\ndate: Mon, 25 Nov 2024 10:00:00 GMT\r\nserver: uvicorn\r\n"
      "content-type: text/event-stream; charset=utf-8\r\ntransfer-encoding: chunked\r\n\r\n";
  char size[32];
  for (const auto& e : events) {
    std::snprintf(size, sizeof size, "%zx\r\n", e.size());
    out += size;
    out += e;
    out += "\r\n";
  }
  out += "0\r\n\r\n";
  return out;
}

// Bytes of one event once framed as an HTTP chunk: "<hex size>\r\n" event "\r\n".
std::size_t framed_size(const std::string& event) {
  char size[32];
  return static_cast<std::size_t>(std::snprintf(size, sizeof size, "%zx\r\n", event.size())) + event.size() + 2;
}

// Call at the start of the timed loop; set_counters reads the difference.
std::uint64_t g_alloc_start = 0;
void start_counting() { g_alloc_start = t_allocations; }

void set_counters(benchmark::State& state, int tokens, std::size_t bytes_per_iteration) {
  const double n = static_cast<double>(state.iterations()) * tokens;
  // operator new calls per token, the whole request's (set-up, record, parsing) included.
  state.counters["allocs_per_token"] = static_cast<double>(t_allocations - g_alloc_start) / n;
  // Rate counters divide by the CPU time: kInvert turns tokens/s into CPU seconds per token.
  state.counters["cpu_per_token"] = benchmark::Counter(n, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes_per_iteration));
}

// One request's record as loadgen::Worker::send sets it up.
RequestRecord new_record(std::int64_t max_tokens) {
  RequestRecord record;
  record.max_tokens = max_tokens;
  record.chunks.reserve(static_cast<std::size_t>(max_tokens) + 8);
  return record;
}

void check(const RequestRecord& record, int tokens) {
  if (!record.ok() || record.chunks.size() != static_cast<std::size_t>(tokens)) {
    throw std::runtime_error("bench stream was not recorded as expected: " + record.error_detail);
  }
}

// ---- 1. ResponseReader::on_body directly --------------------------------------------------

void run_recorder(benchmark::State& state, int per_read) {
  const int tokens = static_cast<int>(state.range(0));
  const auto reads = group(vllm_chat_events(tokens), per_read);
  std::size_t bytes = 0;
  for (const auto& r : reads) bytes += r.size();
  ChunkDecoder decoder;  // one per worker, shared by its streams
  const TimePoint t0 = Clock::now();
  start_counting();
  for (auto _ : state) {
    RequestRecord record = new_record(tokens);
    RecordSink sink(record, {});
    ResponseReader recorder(sink, decoder, {});
    recorder.on_sent(t0);
    recorder.on_headers(200, t0);
    for (const auto& r : reads) recorder.on_body(r, Clock::now());  // the HTTP layer stamps every read
    recorder.finish(inferbench::http::Outcome{});
    benchmark::DoNotOptimize(record.chunks.data());
    if (state.iterations() == 1) check(record, tokens);
  }
  set_counters(state, tokens, bytes);
}

void BM_Recorder_ManyEventsPerRead(benchmark::State& state) { run_recorder(state, kEventsPerRead); }
void BM_Recorder_OneEventPerRead(benchmark::State& state) { run_recorder(state, 1); }
BENCHMARK(BM_Recorder_ManyEventsPerRead)->Arg(128)->Arg(1024);
BENCHMARK(BM_Recorder_OneEventPerRead)->Arg(128)->Arg(1024);

// ---- 2. Beast's HTTP/1.1 parser from memory, then the recorder ----------------------------

using inferbench::http::StreamingParser;  // the client's own parser

// `reads`: the response bytes as successive socket reads would return them.
void run_beast(benchmark::State& state, const std::vector<std::string>& reads, int tokens) {
  std::size_t bytes = 0;
  for (const auto& r : reads) bytes += r.size();
  ChunkDecoder decoder;
  beast::flat_buffer buffer;  // one per connection, reused across requests
  const TimePoint t0 = Clock::now();
  start_counting();
  for (auto _ : state) {
    RequestRecord record = new_record(tokens);
    RecordSink sink(record, {});
    ResponseReader recorder(sink, decoder, {});
    recorder.on_sent(t0);
    StreamingParser parser(recorder);
    for (const auto& r : reads) {
      // As exchange_on: the read lands in the flat_buffer, then the parser consumes it.
      auto space = buffer.prepare(64 * 1024);
      std::memcpy(space.data(), r.data(), r.size());
      const TimePoint read_time = Clock::now();
      buffer.commit(r.size());
      while (buffer.size() > 0 && !parser.is_done()) {
        boost::system::error_code ec;
        const std::size_t used = parser.put(buffer.data(), read_time, ec);
        buffer.consume(used);
        if (ec == bhttp::error::need_more) break;
        if (ec) throw std::runtime_error("bench response rejected: " + ec.message());
        if (used == 0) break;
      }
    }
    if (!parser.is_done()) throw std::runtime_error("bench response not complete");
    recorder.finish(inferbench::http::Outcome{});
    benchmark::DoNotOptimize(record.chunks.data());
    if (state.iterations() == 1) check(record, tokens);
  }
  set_counters(state, tokens, bytes);
}

// Reads holding 64 HTTP chunks (= 64 SSE events) each.
void BM_Beast_ManyEventsPerRead(benchmark::State& state) {
  const int tokens = static_cast<int>(state.range(0));
  const auto events = vllm_chat_events(tokens);
  const std::string response = chunked_response(events);
  // Cut before every 64th HTTP chunk (the response header goes with the first read).
  std::vector<std::string> reads;
  std::size_t from = 0;
  std::size_t pos = response.find("\r\n\r\n") + 4;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i > 0 && i % kEventsPerRead == 0) {
      reads.push_back(response.substr(from, pos - from));
      from = pos;
    }
    pos += framed_size(events[i]);
  }
  reads.push_back(response.substr(from));
  run_beast(state, reads, tokens);
}

// One read per HTTP chunk (the header arrives in its own read, as a server flushes it first).
void BM_Beast_OneEventPerRead(benchmark::State& state) {
  const int tokens = static_cast<int>(state.range(0));
  const auto events = vllm_chat_events(tokens);
  const std::string response = chunked_response(events);
  std::vector<std::string> reads;
  std::size_t pos = response.find("\r\n\r\n") + 4;
  reads.push_back(response.substr(0, pos));
  for (const auto& e : events) {
    const std::size_t len = framed_size(e);
    reads.push_back(response.substr(pos, len));
    pos += len;
  }
  reads.back() += response.substr(pos);  // the last-chunk marker comes with [DONE]
  run_beast(state, reads, tokens);
}
BENCHMARK(BM_Beast_ManyEventsPerRead)->Arg(128)->Arg(1024);
BENCHMARK(BM_Beast_OneEventPerRead)->Arg(128)->Arg(1024);

// ---- 3. The real ConnectionPool over loopback TCP -----------------------------------------

// A thread that answers each request on one connection with `response` in a single write.
class CannedServer {
 public:
  explicit CannedServer(std::string response)
      : response_(std::move(response)), acceptor_(ioc_, {net::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] { serve(); });
  }
  // The client must have closed its connection first (the thread ends at EOF).
  ~CannedServer() { thread_.join(); }
  unsigned short port() const { return acceptor_.local_endpoint().port(); }

 private:
  void serve() {
    socket_.emplace(acceptor_.accept());
    socket_->set_option(net::ip::tcp::no_delay(true));
    std::string in;
    for (;;) {
      boost::system::error_code ec;
      const std::size_t head = net::read_until(*socket_, net::dynamic_buffer(in), "\r\n\r\n", ec);
      if (ec) return;
      // The body length (the request always carries Content-Length).
      const auto cl = in.find("Content-Length: ");
      const std::size_t body = cl == std::string::npos ? 0 : std::stoul(in.substr(cl + 16));
      if (in.size() < head + body)
        net::read(*socket_, net::dynamic_buffer(in), net::transfer_exactly(head + body - in.size()), ec);
      if (ec) return;
      in.erase(0, head + body);
      net::write(*socket_, net::buffer(response_), ec);
      if (ec) return;
    }
  }
  std::string response_;
  net::io_context ioc_;
  net::ip::tcp::acceptor acceptor_;
  std::optional<net::ip::tcp::socket> socket_;
  std::thread thread_;
};

net::awaitable<void> loopback_requests(inferbench::http::ConnectionPool& pool, const inferbench::http::Request& request,
                                       ChunkDecoder& decoder, benchmark::State& state, int tokens) {
  start_counting();
  for (auto _ : state) {
    RequestRecord record = new_record(tokens);
    RecordSink sink(record, {});
    ResponseReader recorder(sink, decoder, {});
    const auto outcome = co_await pool.exchange(request, recorder);
    recorder.finish(outcome);
    benchmark::DoNotOptimize(record.chunks.data());
    if (state.iterations() == 1) check(record, tokens);
  }
}

void BM_Pool_Loopback(benchmark::State& state) {
  const int tokens = static_cast<int>(state.range(0));
  const auto events = vllm_chat_events(tokens);
  CannedServer server(chunked_response(events));
  inferbench::http::ClientOptions options;
  options.url = inferbench::http::Url::parse("http://127.0.0.1:" + std::to_string(server.port()));
  net::io_context ioc(1);
  inferbench::http::ConnectionPool pool(ioc, options);
  const auto request = inferbench::http::make_request(
      options.url, bhttp::verb::post, "/v1/chat/completions",
      R"({"model":"m","messages":[{"role":"user","content":"hello"}],"max_tokens":)" + std::to_string(tokens) +
          R"(,"stream":true,"stream_options":{"include_usage":true},"ignore_eos":true})",
      {{"x-request-id", "1"}});
  ChunkDecoder decoder;
  net::co_spawn(ioc, loopback_requests(pool, request, decoder, state, tokens), net::detached);
  ioc.run();
  std::size_t bytes = 0;
  for (const auto& e : events) bytes += e.size();
  set_counters(state, tokens, bytes);
}
BENCHMARK(BM_Pool_Loopback)->Arg(128)->Arg(1024);

}  // namespace

BENCHMARK_MAIN();
