// loadgen::ResponseReader and RecordSink at the byte level, without a network: HTTP bodies as
// recorded from vLLM / OpenAI-compatible servers go through ResponseReader::on_body cut into
// reads at every possible point, and the record must come out the same whatever the cuts, with
// each chunk timed by the read that completed it and exactly one failure label, the first cause.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "../protocol/test_data.hpp"
#include "loadgen/record_sink.hpp"
#include "loadgen/response_reader.hpp"
#include "metrics/request_metrics.hpp"
#include "report/failure_label.hpp"

namespace inferbench::loadgen {
namespace {

using metrics::Failure;
using Kind = http::Outcome::Kind;
using namespace std::chrono_literals;

// Times are offsets from an arbitrary non-epoch origin (the epoch means "never" to the reader).
const TimePoint kOrigin = TimePoint{} + 1h;
TimePoint ms(double v) { return kOrigin + from_ms(v); }

// Everything a StreamSink was told, with owned copies; each call is also passed on to a
// RecordSink so that the RequestRecord the load generator keeps is checked too.
class Recorder final : public target::StreamSink {
 public:
  struct Chunk {
    TimePoint t;
    std::uint32_t tokens;
    std::string text;
  };

  explicit Recorder(target::StreamSink& next) : next_(next) {}

  void on_sent(TimePoint t) override {
    log("sent");
    next_.on_sent(t);
  }
  void on_headers(int status, TimePoint t) override {
    log("headers");
    next_.on_headers(status, t);
  }
  void on_event() override {
    ++events;
    next_.on_event();
  }
  void on_chunk(TimePoint t, std::uint32_t tokens, std::string_view text) override {
    log("chunk");
    chunks.push_back({t, tokens, std::string(text)});
    next_.on_chunk(t, tokens, text);
  }
  void on_whole_output(TimePoint t, std::string_view text) override {
    log("whole");
    whole_calls.push_back({t, 0, std::string(text)});
    next_.on_whole_output(t, text);
  }
  void on_usage(const metrics::Usage& usage) override {
    log("usage");
    next_.on_usage(usage);
  }
  void on_done(TimePoint t, Failure failure, std::string_view detail) override {
    log("done");
    ++done_calls;
    next_.on_done(t, failure, detail);
  }

  std::vector<std::string> texts() const {
    std::vector<std::string> v;
    for (const auto& c : chunks) v.push_back(c.text);
    return v;
  }

  std::vector<std::string> calls;  // in order; events are counted, not logged
  std::uint32_t events = 0;
  std::vector<Chunk> chunks;
  std::vector<Chunk> whole_calls;
  int done_calls = 0;

 private:
  void log(const char* call) {
    if (done_calls > 0) ADD_FAILURE() << call << " after on_done";
    calls.emplace_back(call);
  }
  target::StreamSink& next_;
};

// One request: a ResponseReader reporting to a Recorder that fills `record`.
struct Exchange {
  explicit Exchange(const ResponseReaderOptions& options = {}) : reader(sink, decoder, options) {}

  // on_sent at 0 ms, the header at 5 ms.
  void start(int status = 200) {
    reader.on_sent(ms(0));
    reader.on_headers(status, ms(5));
  }
  // One read. The bytes live in their own buffer, clobbered after the call: nothing may keep a
  // view of a read once it returned.
  void read(std::string_view bytes, TimePoint t) {
    std::string buffer(bytes);
    reader.on_body(buffer, t);
    buffer.assign(buffer.size(), '#');
  }
  void finish(Kind kind = Kind::Complete, std::string detail = {}) {
    reader.finish(http::Outcome{kind, std::move(detail)});
    EXPECT_EQ(sink.done_calls, 1);
    EXPECT_EQ(sink.calls.back(), "done");
  }
  std::string label() const { return report::failure_label(record); }

  metrics::RequestRecord record;
  RecordSink record_sink{record, {}};
  Recorder sink{record_sink};
  protocol::ChunkDecoder decoder;
  ResponseReader reader;
};

// ---- test streams -------------------------------------------------------------------------

// tests/protocol/data/vllm_chat.sse: 8 events (role-only chunk, 5 content chunks, usage-only
// chunk, [DONE]); usage 42 prompt / 8 completion / 32 cached.
const std::vector<std::string> kChatTexts = {"Hello", ",", " caf\u00e9 ", "world \U0001F600 and \"more\"\n", "!"};
const std::vector<std::size_t> kChatOutputEvents = {1, 2, 3, 4, 5};  // indices of the events with output

// tests/protocol/data/vllm_completions.sse: 6 events; " quick brown" carries two tokens and one
// chunk has empty text (no output); usage 7 prompt / 4 completion.
const std::vector<std::string> kCompletionTexts = {" The", " quick brown", " fox"};

// The index of the byte that completes each event of `stream` (the second '\n' of its blank
// line; the streams here use "\n" line endings).
std::vector<std::size_t> event_ends(std::string_view stream) {
  std::vector<std::size_t> ends;
  for (std::size_t p = stream.find("\n\n"); p != std::string_view::npos; p = stream.find("\n\n", p + 2)) {
    ends.push_back(p + 1);
  }
  return ends;
}

std::string event(std::string_view data) { return "data: " + std::string(data) + "\n\n"; }

std::string content_chunk(std::string_view text) {
  return event(R"({"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":")" +
               std::string(text) + R"("},"finish_reason":null}]})");
}

const std::string kUsageChunk = event(
    R"({"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":3,"total_tokens":14}})");
const std::string kRoleChunk = event(
    R"({"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})");
const std::string kDone = event("[DONE]");

// Feeds `stream` as reads ending at the ascending offsets `cuts` (then at its end), read i at
// ms(100 + i); returns the time of each read.
std::vector<TimePoint> read_in_pieces(Exchange& x, std::string_view stream, const std::vector<std::size_t>& cuts) {
  std::vector<TimePoint> times;
  std::size_t begin = 0;
  for (std::size_t i = 0; i <= cuts.size(); ++i) {
    const std::size_t end = i < cuts.size() ? cuts[i] : stream.size();
    times.push_back(ms(100 + static_cast<double>(i)));
    x.read(stream.substr(begin, end - begin), times.back());
    begin = end;
  }
  return times;
}

// The time of the read holding byte `b` when the reads end at `cuts` (read i at `times[i]`).
TimePoint time_of_byte(std::size_t b, const std::vector<std::size_t>& cuts, const std::vector<TimePoint>& times) {
  return times[static_cast<std::size_t>(std::upper_bound(cuts.begin(), cuts.end(), b) - cuts.begin())];
}

// Checks a run of vllm_chat.sse cut at `cuts`: every chunk timed by the read completing it.
void expect_chat_record(const Exchange& x, const std::string& stream, const std::vector<std::size_t>& cuts,
                        const std::vector<TimePoint>& times) {
  const std::vector<std::size_t> ends = event_ends(stream);
  ASSERT_EQ(ends.size(), 8u);
  ASSERT_TRUE(x.record.ok()) << x.label() << ": " << x.record.error_detail;
  EXPECT_EQ(x.sink.texts(), kChatTexts);
  ASSERT_EQ(x.record.chunks.size(), kChatOutputEvents.size());
  for (std::size_t j = 0; j < kChatOutputEvents.size(); ++j) {
    const TimePoint want = time_of_byte(ends[kChatOutputEvents[j]], cuts, times);
    EXPECT_EQ(x.record.chunks[j].t, want) << "chunk " << j;
    EXPECT_EQ(x.record.chunks[j].tokens, 0u) << "chunk " << j;  // SSE chunks do not say their tokens
  }
  EXPECT_EQ(x.record.events, 8u);
  EXPECT_EQ(x.record.done, times.back());  // the last read
  EXPECT_EQ(x.record.usage.prompt_tokens, 42);
  EXPECT_EQ(x.record.usage.completion_tokens, 8);
  EXPECT_EQ(x.record.usage.cached_tokens, 32);
}

// ---- whole streams and split points -------------------------------------------------------

TEST(ResponseReader, RecordedChatStreamInOneRead) {
  const std::string s = protocol::test::read_data("vllm_chat.sse");
  Exchange x;
  x.start();
  x.read(s, ms(100));
  x.finish();
  expect_chat_record(x, s, {}, {ms(100)});
  EXPECT_EQ(x.record.sent, std::optional<TimePoint>(ms(0)));
  EXPECT_EQ(x.record.scheduled, ms(0));  // closed loop
  EXPECT_EQ(x.record.headers, ms(5));
  EXPECT_EQ(x.record.http_status, 200);
  EXPECT_EQ(x.record.error_detail, "");
  EXPECT_EQ(x.label(), "");
  EXPECT_EQ(x.sink.calls, (std::vector<std::string>{"sent", "headers", "chunk", "chunk", "chunk", "chunk", "chunk",
                                                    "usage", "done"}));
}

TEST(ResponseReader, EverySplitPointTimesEachChunkByTheReadThatCompletedIt) {
  const std::string s = protocol::test::read_data("vllm_chat.sse");
  for (std::size_t cut = 1; cut < s.size(); ++cut) {
    Exchange x;
    x.start();
    const std::vector<std::size_t> cuts{cut};
    const auto times = read_in_pieces(x, s, cuts);
    x.finish();
    SCOPED_TRACE("cut at " + std::to_string(cut));
    expect_chat_record(x, s, cuts, times);
    if (HasFailure()) return;
  }
}

TEST(ResponseReader, ByteByByteAndRandomSplitsTimeEachChunkByItsCompletingRead) {
  const std::string s = protocol::test::read_data("vllm_chat.sse");
  {
    std::vector<std::size_t> every_byte;
    for (std::size_t i = 1; i < s.size(); ++i) every_byte.push_back(i);
    Exchange x;
    x.start();
    const auto times = read_in_pieces(x, s, every_byte);
    x.finish();
    SCOPED_TRACE("byte by byte");
    expect_chat_record(x, s, every_byte, times);
  }
  std::mt19937_64 rng(20250301);
  for (int pattern = 0; pattern < 300; ++pattern) {
    std::uniform_int_distribution<std::size_t> count(2, 30), offset(1, s.size() - 1);
    std::vector<std::size_t> cuts(count(rng));
    for (auto& c : cuts) c = offset(rng);
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    Exchange x;
    x.start();
    const auto times = read_in_pieces(x, s, cuts);
    x.finish();
    SCOPED_TRACE("pattern " + std::to_string(pattern));
    expect_chat_record(x, s, cuts, times);
    if (HasFailure()) return;
  }
}

// ---- what a chunk is ----------------------------------------------------------------------

TEST(ResponseReader, MultiTokenChunksCountAsChunksAndTheTokensComeFromUsage) {
  const std::string s = protocol::test::read_data("vllm_completions.sse");
  Exchange x;
  x.start();
  read_in_pieces(x, s, {50, 400, 401, 700});
  x.finish();
  ASSERT_TRUE(x.record.ok()) << x.record.error_detail;
  EXPECT_EQ(x.sink.texts(), kCompletionTexts);  // the empty-text chunk is not output
  EXPECT_EQ(x.record.chunks.size(), 3u);
  EXPECT_EQ(x.record.events, 6u);
  EXPECT_EQ(x.record.usage.completion_tokens, 4);
  EXPECT_EQ(x.record.usage.prompt_tokens, 7);
  EXPECT_FALSE(x.record.usage.cached_tokens);
  const metrics::RequestMetrics m = metrics::derive(x.record);
  EXPECT_EQ(m.chunks, 3u);
  EXPECT_EQ(m.output_tokens, 4);  // four tokens in three chunks
  EXPECT_TRUE(m.output_tokens_from_usage);
  EXPECT_EQ(m.input_tokens, 7);
}

TEST(ResponseReader, WithoutUsageTheTokenCountIsUnknown) {
  // Same chunks, the usage-only chunk removed: chunks are not tokens, so no count is made up.
  const std::string s = content_chunk(" The") + content_chunk(" quick brown") + content_chunk(" fox") + kDone;
  Exchange x;
  x.start();
  x.read(s, ms(100));
  x.finish();
  ASSERT_TRUE(x.record.ok()) << x.record.error_detail;
  EXPECT_EQ(x.record.chunks.size(), 3u);
  EXPECT_FALSE(x.record.usage.completion_tokens);
  EXPECT_EQ(x.record.client_output_tokens, -1);  // no tokenizer given
  EXPECT_FALSE(metrics::derive(x.record).output_tokens);
  EXPECT_EQ(std::count(x.sink.calls.begin(), x.sink.calls.end(), "usage"), 0);
}

TEST(ResponseReader, UsageOnlyChunkIsUsageNotOutput) {
  Exchange x;
  x.start();
  x.read(kRoleChunk, ms(90));
  x.read(content_chunk("Hi"), ms(100));
  x.read(kUsageChunk, ms(110));
  x.read(kDone, ms(120));
  x.finish();
  ASSERT_TRUE(x.record.ok()) << x.record.error_detail;
  ASSERT_EQ(x.record.chunks.size(), 1u);
  EXPECT_EQ(x.record.chunks[0].t, ms(100));  // not the usage chunk's time
  EXPECT_EQ(x.record.usage.prompt_tokens, 11);
  EXPECT_EQ(x.record.usage.completion_tokens, 3);
  EXPECT_EQ(x.record.events, 4u);
  EXPECT_EQ(x.record.done, ms(120));
  EXPECT_EQ(x.sink.calls, (std::vector<std::string>{"sent", "headers", "chunk", "usage", "done"}));
}

TEST(ResponseReader, EventsAfterDoneAreCountedButIgnored) {
  Exchange x;
  x.start();
  x.read(content_chunk("a") + kDone, ms(100));
  // Nothing after [DONE] belongs to the response: not output, not usage, not a failure.
  x.read(content_chunk("b") + kUsageChunk + event(R"({"error":{"message":"late"}})") + event("{not json"), ms(200));
  x.finish();
  ASSERT_TRUE(x.record.ok()) << x.label() << ": " << x.record.error_detail;
  EXPECT_EQ(x.sink.texts(), std::vector<std::string>{"a"});
  EXPECT_EQ(x.record.chunks[0].t, ms(100));
  EXPECT_FALSE(x.record.usage.completion_tokens);
  EXPECT_EQ(x.record.events, 6u);
  EXPECT_EQ(x.record.done, ms(200));  // the last read, even if it carried nothing
}

// ---- failures in the stream ---------------------------------------------------------------

TEST(ResponseReader, ErrorEventIsStreamError) {
  Exchange x;
  x.start();
  x.read(content_chunk("Hel"), ms(100));
  x.read(event(R"({"error":{"message":"CUDA out of memory","type":"InternalServerError","code":500}})") + kDone,
         ms(150));
  x.finish();
  EXPECT_EQ(x.record.failure, Failure::StreamError);
  EXPECT_EQ(x.label(), "stream_error");
  EXPECT_EQ(x.record.error_detail, "error event in the stream: CUDA out of memory");
  EXPECT_EQ(x.record.chunks.size(), 1u);  // what came before stays recorded
  EXPECT_EQ(x.record.http_status, 200);
}

TEST(ResponseReader, MalformedChunkIsMalformedChunkAndTheFirstCauseWins) {
  const std::string bad = R"({"choices":[{"delta":{"content":"a")";  // cut JSON
  Exchange x;
  x.start();
  x.read(content_chunk("ok") + event(bad), ms(100));
  x.read(event(R"({"error":{"message":"later"}})") + kDone, ms(110));
  x.finish(Kind::ResetMidBody, "connection reset by peer");
  EXPECT_EQ(x.record.failure, Failure::MalformedChunk);
  EXPECT_EQ(x.label(), "malformed_chunk");
  EXPECT_EQ(x.record.error_detail.rfind("malformed chunk (", 0), 0u) << x.record.error_detail;
  EXPECT_NE(x.record.error_detail.find("): " + bad), std::string::npos) << x.record.error_detail;
}

TEST(ResponseReader, OversizedEventIsMalformedStream) {
  const std::size_t limit = protocol::SseParser::kDefaultMaxEventBytes;
  Exchange x;
  x.start();
  x.read(content_chunk("a"), ms(100));
  x.read("data: ", ms(110));
  const std::string megabyte(std::size_t{1} << 20, 'x');
  for (std::size_t sent = 0; sent <= limit + megabyte.size(); sent += megabyte.size()) x.read(megabyte, ms(120));
  x.read("\n\n" + kDone, ms(130));
  x.finish();
  EXPECT_EQ(x.record.failure, Failure::MalformedStream);
  EXPECT_EQ(x.record.error_detail, "an SSE event exceeded " + std::to_string(limit) + " bytes");
  EXPECT_EQ(x.record.chunks.size(), 1u);
}

// ---- a stream that ends early -------------------------------------------------------------

TEST(ResponseReader, CompleteResponseEndingInsideAnEventIsTruncatedStream) {
  const std::string s = protocol::test::read_data("vllm_chat.sse");
  const std::vector<std::size_t> ends = event_ends(s);
  int inside = 0;
  for (std::size_t len = 1; len < s.size(); ++len) {
    if (std::find(ends.begin(), ends.end(), len - 1) != ends.end()) continue;  // ends on an event boundary
    ++inside;
    Exchange x;
    x.start();
    x.read(std::string_view(s).substr(0, len), ms(100));
    x.finish();
    ASSERT_EQ(x.record.failure, Failure::TruncatedStream) << "length " << len << ": " << x.label();
    ASSERT_EQ(x.label(), "truncated_stream");
    ASSERT_EQ(x.record.error_detail, "the stream ended inside an event");
    ASSERT_EQ(x.record.done, ms(100));
  }
  EXPECT_GT(inside, 1000);
}

TEST(ResponseReader, ResetInsideAnEventAfterOutputIsResetMidStream) {
  const std::string s = content_chunk("Hello") + content_chunk(" world");
  Exchange x;
  x.start();
  x.read(s.substr(0, s.size() - 10), ms(100));  // the second chunk is cut
  const TimePoint before = Clock::now();
  x.finish(Kind::ResetMidBody, "connection reset by peer");
  EXPECT_EQ(x.record.failure, Failure::ResetMidStream);
  EXPECT_EQ(x.label(), "reset_mid_stream");
  EXPECT_EQ(x.record.error_detail, "connection reset by peer");
  EXPECT_EQ(x.sink.texts(), std::vector<std::string>{"Hello"});
  // A failed exchange ends when it is known to have failed, not at its last read.
  EXPECT_GE(x.record.done, before);
  EXPECT_LE(x.record.done, Clock::now());
}

TEST(ResponseReader, ResetBeforeAnyOutputIsResetBeforeFirstToken) {
  const std::string s = kRoleChunk + content_chunk("Hello");
  Exchange x;
  x.start();
  x.read(s.substr(0, s.size() - 10), ms(100));  // the role chunk came, the first output is cut
  x.finish(Kind::ResetMidBody, "end of stream");
  EXPECT_EQ(x.record.failure, Failure::ResetBeforeFirstToken);
  EXPECT_EQ(x.label(), "reset_before_first_token");
  EXPECT_EQ(x.record.error_detail, "end of stream");
  EXPECT_TRUE(x.record.chunks.empty());
  EXPECT_EQ(x.record.events, 1u);
}

TEST(ResponseReader, TwoXxWithoutEventsIsNoOutput) {
  for (const std::string& body : {std::string(), std::string(": keep-alive\n\n: ping\n\n")}) {
    Exchange x;
    x.start();
    if (!body.empty()) x.read(body, ms(100));
    x.finish();
    EXPECT_EQ(x.record.failure, Failure::NoOutput) << body;
    EXPECT_EQ(x.label(), "no_output");
    EXPECT_EQ(x.record.error_detail, "2xx response without any SSE event (is streaming supported?)") << body;
    EXPECT_EQ(x.record.events, 0u);
  }
  // Events, but none with output.
  Exchange x;
  x.start();
  x.read(kRoleChunk + kUsageChunk + kDone, ms(100));
  x.finish();
  EXPECT_EQ(x.record.failure, Failure::NoOutput);
  EXPECT_EQ(x.record.error_detail, "the stream carried no output");
  EXPECT_EQ(x.record.events, 3u);
  EXPECT_EQ(x.record.usage.completion_tokens, 3);
}

// ---- non-2xx ------------------------------------------------------------------------------

TEST(ResponseReader, ErrorStatusQuotesTheJsonMessage) {
  const std::string body =
      R"({"object":"error","message":"Rate limit exceeded: 10 requests per minute","type":"RateLimitError","code":429})";
  const std::string openai_body =
      R"({"error":{"message":"The model `gpt-5` does not exist","type":"invalid_request_error","code":null}})";
  struct Case {
    int status;
    std::string body, detail, label;
  };
  for (const Case& c : {Case{429, body, "HTTP 429: Rate limit exceeded: 10 requests per minute", "http_429"},
                        Case{404, openai_body, "HTTP 404: The model `gpt-5` does not exist", "http_404"},
                        Case{503, "upstream connect error", "HTTP 503: upstream connect error", "http_503"}}) {
    Exchange x;
    x.start(c.status);
    read_in_pieces(x, c.body, {3, 20});
    x.finish();
    EXPECT_EQ(x.record.failure, Failure::HttpStatus) << c.status;
    EXPECT_EQ(x.record.http_status, c.status);
    EXPECT_EQ(x.label(), c.label);
    EXPECT_EQ(x.record.error_detail, c.detail);
    EXPECT_TRUE(x.record.chunks.empty());
  }
}

// A server (or proxy) that echoes the request in its error body must not put the API key or a
// header value into requests.jsonl: every known secret is replaced in the detail.
TEST(ResponseReader, EchoedSecretsAreRedactedFromTheDetail) {
  const std::vector<std::string> secrets = {"sk-SECRET-4242", "hunter2", "ab"};  // "ab": too short to redact
  ResponseReaderOptions options;
  options.secrets = &secrets;
  Exchange x(options);
  x.start(401);
  x.read(R"({"message":"bad key: Authorization: Bearer sk-SECRET-4242, X-Team: hunter2 (hunter2) ab"})", ms(10));
  x.finish();
  EXPECT_EQ(x.record.error_detail,
            R"(HTTP 401: {"message":"bad key: Authorization: Bearer ***, X-Team: *** (***) ab"})");
  // A stream error event echoing a secret is redacted the same way.
  Exchange y(options);
  y.start(200);
  y.read(std::string(R"(data: {"error":{"message":"quota for hunter2 exceeded"}})") + "\n\n", ms(10));
  y.finish();
  EXPECT_EQ(y.record.error_detail, "error event in the stream: quota for *** exceeded");
}

TEST(ResponseReader, ErrorStatusBodyIsNotParsedAsSse) {
  const std::string body = content_chunk("not output") + kDone;
  Exchange x;
  x.start(500);
  x.read(body, ms(100));
  x.finish();
  EXPECT_EQ(x.label(), "http_500");
  EXPECT_TRUE(x.record.chunks.empty());
  EXPECT_EQ(x.record.events, 0u);
  EXPECT_EQ(x.record.error_detail, "HTTP 500: " + body.substr(0, 200));  // quoted, at most 200 characters
}

// An error body of exactly `size` bytes whose message is "overloaded" (padding after it).
std::string error_body(std::size_t size) {
  const std::string head = R"({"error":{"message":"overloaded","type":"server_error"},"pad":")";
  const std::string tail = R"("})";
  return head + std::string(size - head.size() - tail.size(), 'p') + tail;
}

TEST(ResponseReader, ErrorBodyIsKeptUpTo2048Bytes) {
  // 2048 bytes are kept, so the JSON is whole and its message quoted; at 2049 the closing brace
  // is cut off and the detail quotes the start of the raw body.
  for (const std::size_t size : {std::size_t{2048}, std::size_t{2049}, std::size_t{100000}}) {
    const std::string body = error_body(size);
    ASSERT_EQ(body.size(), size);
    std::vector<std::size_t> cuts;
    for (std::size_t c = 700; c < size; c += 700) cuts.push_back(c);
    Exchange x;
    x.start(503);
    read_in_pieces(x, body, cuts);
    x.finish();
    EXPECT_EQ(x.label(), "http_503");
    EXPECT_EQ(x.record.error_detail, size <= 2048 ? "HTTP 503: overloaded" : "HTTP 503: " + body.substr(0, 200))
        << size;
  }
}

// ---- non-streamed responses ---------------------------------------------------------------

ResponseReaderOptions not_streamed() {
  ResponseReaderOptions o;
  o.stream = false;
  return o;
}

const std::string kChatResponse =
    R"({"id":"chatcmpl-9","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there, data: world"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":6,"total_tokens":18,"prompt_tokens_details":{"cached_tokens":8}}})";

TEST(ResponseReader, NonStreamedResponseIsOneChunkWithEveryToken) {
  Exchange x(not_streamed());
  x.start();
  const auto times = read_in_pieces(x, kChatResponse, {10, 100, 101});
  x.finish();
  ASSERT_TRUE(x.record.ok()) << x.label() << ": " << x.record.error_detail;
  ASSERT_EQ(x.record.chunks.size(), 1u);
  EXPECT_EQ(x.record.chunks[0].t, times.back());  // all output arrives with the last read
  EXPECT_EQ(metrics::ChunkTokens(x.record, metrics::derive(x.record).output_tokens)(0), 6u);  // from usage
  ASSERT_EQ(x.sink.whole_calls.size(), 1u);
  EXPECT_EQ(x.sink.whole_calls[0].text, "Hello there, data: world");
  EXPECT_EQ(x.record.usage.prompt_tokens, 12);
  EXPECT_EQ(x.record.usage.cached_tokens, 8);
  EXPECT_EQ(x.record.events, 0u);  // not SSE, even where the text says "data: "
  EXPECT_EQ(x.record.done, times.back());
  EXPECT_EQ(x.sink.calls, (std::vector<std::string>{"sent", "headers", "usage", "whole", "done"}));
  const metrics::RequestMetrics m = metrics::derive(x.record);
  EXPECT_EQ(m.output_tokens, 6);
  EXPECT_EQ(m.ttft_ms, to_ms(times.back() - ms(0)));
}

TEST(ResponseReader, NonStreamedFailures) {
  struct Case {
    std::string body;
    Failure failure;
    std::string detail_start;
  };
  const std::string no_output =
      R"({"id":"c","object":"text_completion","choices":[{"index":0,"text":"","finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":0}})";
  for (const Case& c :
       {Case{R"({"choices":[{"index":0,"message":)", Failure::MalformedResponse, "invalid response body: "},
        Case{R"({"error":{"message":"context too long","type":"invalid_request_error"}})", Failure::ResponseError,
             "error in the response: context too long"},
        Case{no_output, Failure::NoOutput, "the response carried no output"}}) {
    Exchange x(not_streamed());
    x.start();
    x.read(c.body, ms(100));
    x.finish();
    EXPECT_EQ(x.record.failure, c.failure) << c.body;
    EXPECT_EQ(x.record.error_detail.rfind(c.detail_start, 0), 0u) << x.record.error_detail;
    EXPECT_TRUE(x.record.chunks.empty());
  }
}

// ---- deadlines and timeouts ---------------------------------------------------------------

ResponseReaderOptions timeouts(Duration first_token, Duration request) {
  ResponseReaderOptions o;
  o.first_token_timeout = first_token;
  o.request_timeout = request;
  return o;
}

TEST(ResponseReader, DeadlineBeforeSendIsTheRequestTimeoutFromNow) {
  Exchange x(timeouts(2s, 10s));
  const TimePoint before = Clock::now();
  const TimePoint d = x.reader.deadline();
  const TimePoint after = Clock::now();
  EXPECT_GE(d, before + 10s);
  EXPECT_LE(d, after + 10s);
}

TEST(ResponseReader, DeadlineIsTheFirstTokenOneUntilOutputThenTheRequestOne) {
  Exchange x(timeouts(2s, 10s));
  x.start();  // sent at 0 ms
  EXPECT_EQ(x.reader.deadline(), ms(0) + 2s);
  x.read(kRoleChunk, ms(100));  // an event without output does not count
  EXPECT_EQ(x.reader.deadline(), ms(0) + 2s);
  x.read(content_chunk("Hi").substr(0, 20), ms(150));  // nor do the first bytes of one
  EXPECT_EQ(x.reader.deadline(), ms(0) + 2s);
  x.read(content_chunk("Hi").substr(20), ms(200));
  EXPECT_EQ(x.reader.deadline(), ms(0) + 10s);
  // A retry sends again: deadlines count from the later send.
  Exchange y(timeouts(2s, 10s));
  y.reader.on_sent(ms(0));
  y.reader.on_sent(ms(50));
  EXPECT_EQ(y.reader.deadline(), ms(50) + 2s);
  EXPECT_EQ(y.record.sent, std::optional<TimePoint>(ms(50)));
}

TEST(ResponseReader, DeadlineIsTheRequestOneWhenItComesFirst) {
  Exchange x(timeouts(60s, 10s));
  x.start();
  EXPECT_EQ(x.reader.deadline(), ms(0) + 10s);
}

TEST(ResponseReader, TimeoutBeforeOutputIsTimeoutFirstToken) {
  Exchange x(timeouts(2s, 10s));
  x.start();
  x.read(kRoleChunk, ms(100));
  x.finish(Kind::Timeout, "no data for 2 s");
  EXPECT_EQ(x.record.failure, Failure::TimeoutFirstToken);
  EXPECT_EQ(x.label(), "timeout_first_token");
  EXPECT_EQ(x.record.error_detail, "no data for 2 s");
}

TEST(ResponseReader, TimeoutAfterOutputIsTimeoutRequest) {
  Exchange x(timeouts(2s, 10s));
  x.start();
  x.read(content_chunk("Hi"), ms(100));
  x.finish(Kind::Timeout, "deadline");
  EXPECT_EQ(x.record.failure, Failure::TimeoutRequest);
  EXPECT_EQ(x.label(), "timeout_request");
  EXPECT_EQ(x.record.chunks.size(), 1u);
}

TEST(ResponseReader, TimeoutBeforeOutputIsTimeoutRequestWhenThatDeadlineCameFirst) {
  for (const Duration first_token : {10s, 60s}) {  // not shorter than the request timeout
    Exchange x(timeouts(first_token, 10s));
    x.start();
    x.finish(Kind::Timeout, "deadline");
    EXPECT_EQ(x.record.failure, Failure::TimeoutRequest) << to_s(first_token);
  }
  Exchange unsent(timeouts(2s, 10s));  // never sent: only the request deadline applied
  unsent.finish(Kind::Timeout, "deadline");
  EXPECT_EQ(unsent.record.failure, Failure::TimeoutRequest);
}

TEST(ResponseReader, TransportOutcomesMapToTheirFailure) {
  struct Case {
    Kind kind;
    Failure failure;
    const char* label;
  };
  for (const Case& c :
       {Case{Kind::DnsFailed, Failure::DnsFailed, "dns_failed"},
        Case{Kind::ConnectFailed, Failure::ConnectFailed, "connect_failed"},
        Case{Kind::TlsFailed, Failure::TlsFailed, "tls_failed"},
        Case{Kind::ClosedBeforeResponse, Failure::ClosedBeforeResponse, "closed_before_response"},
        Case{Kind::BadHttp, Failure::BadHttp, "bad_http"}, Case{Kind::Cancelled, Failure::Cancelled, "cancelled"}}) {
    Exchange x;
    x.reader.on_sent(ms(0));
    x.finish(c.kind, "transport detail");
    EXPECT_EQ(x.record.failure, c.failure) << c.label;
    EXPECT_EQ(x.label(), c.label);
    EXPECT_EQ(x.record.error_detail, "transport detail");
    EXPECT_EQ(x.record.http_status, 0);
  }
  EXPECT_EQ(outcome_failure(http::Outcome{}, false, true), Failure::None);
}

}  // namespace
}  // namespace inferbench::loadgen
