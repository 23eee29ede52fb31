// Recorded-style streams of real servers, fed whole and split at every possible point: the
// decoded event sequence must not depend on how the bytes were cut into reads.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "core/rng.hpp"
#include "stream_helpers.hpp"

namespace inferbench::protocol::test {
namespace {

// What a stream must decode to (checked on the whole-stream run).
struct Expected {
  const char* file;
  std::size_t events;          // dispatched events, [DONE] included
  std::size_t output_chunks;   // events with has_output
  std::string text;            // concatenated output_text
  std::string finish_reason;   // the last non-empty finish_reason
  std::int64_t prompt_tokens;  // from the usage chunk
  std::int64_t completion_tokens;
  std::optional<std::int64_t> cached_tokens;
  bool role_first = true;  // chat: the first chunk carries only the role
};

const Expected kStreams[] = {
    {"vllm_chat.sse", 8, 5, "Hello, caf\u00e9 world \U0001F600 and \"more\"\n!", "length", 42, 8, 32},
    {"vllm_completions.sse", 6, 3, " The quick brown fox", "length", 7, 4, std::nullopt, false},
    {"llamacpp_chat.sse", 7, 3, "Think.Hi there", "stop", 12, 4, std::nullopt},
    {"sglang_chat.sse", 6, 2, "Sure, here it is", "stop", 20, 5, std::nullopt},
    {"openai_chat.sse", 6, 2, "Bonjour \u4e16\u754c", "stop", 1200, 3, 1024},
    {"vllm_reasoning_tools.sse", 8, 4, "The user wants weather.get_weather{\"city\": \"Paris\"}", "tool_calls", 30, 22,
     std::nullopt},
};

const char* const kLineEndings[] = {"\n", "\r\n", "\r"};

class RecordedStream : public ::testing::TestWithParam<std::tuple<int, int>> {
 protected:
  const Expected& expected() const { return kStreams[std::get<0>(GetParam())]; }
  std::string stream() const {
    const std::string raw = read_data(expected().file);
    return with_line_ending(raw, kLineEndings[std::get<1>(GetParam())]);
  }
};

TEST_P(RecordedStream, WholeStreamDecodesAsRecorded) {
  const Expected& want = expected();
  const StreamRun run = run_stream(stream());
  ASSERT_TRUE(run.ok);
  EXPECT_FALSE(run.partial);
  ASSERT_EQ(run.events.size(), want.events);

  std::size_t outputs = 0;
  std::string text, finish;
  int usage_chunks = 0;
  for (std::size_t i = 0; i < run.events.size(); ++i) {
    const Observed& e = run.events[i];
    EXPECT_FALSE(e.malformed) << "event " << i << ": " << e;
    EXPECT_FALSE(e.error) << "event " << i << ": " << e;
    EXPECT_EQ(e.done, i + 1 == run.events.size()) << "only the last event is [DONE]";
    if (e.has_output) {
      ++outputs;
      EXPECT_FALSE(e.text.empty() && e.finish_reason.empty() && !e.has_usage) << "output chunk without text: " << e;
    } else {
      EXPECT_TRUE(e.text.empty()) << e;
    }
    text += e.text;
    if (!e.finish_reason.empty()) finish = e.finish_reason;
    if (e.has_usage) {
      ++usage_chunks;
      EXPECT_EQ(e.prompt_tokens, want.prompt_tokens);
      EXPECT_EQ(e.completion_tokens, want.completion_tokens);
      EXPECT_EQ(e.cached_tokens, want.cached_tokens);
    }
  }
  EXPECT_EQ(outputs, want.output_chunks);
  EXPECT_EQ(text, want.text);
  EXPECT_EQ(finish, want.finish_reason);
  EXPECT_EQ(usage_chunks, 1);
  if (want.role_first) {
    EXPECT_TRUE(run.events.front().text.empty() && !run.events.front().has_output)
        << "the first chunk carries only the role";
  }
}

TEST_P(RecordedStream, EverySingleSplitPointGivesTheSameEvents) {
  const std::string s = stream();
  const StreamRun whole = run_stream(s);
  SseParser parser;
  ChunkDecoder decoder;
  for (std::size_t cut = 0; cut <= s.size(); ++cut) {
    parser.reset();
    const StreamRun run = run_stream(s, {cut}, parser, decoder);
    ASSERT_TRUE(run.ok) << "cut at " << cut;
    ASSERT_FALSE(run.partial) << "cut at " << cut;
    ASSERT_EQ(run.events, whole.events) << "cut at " << cut;
  }
}

TEST_P(RecordedStream, RandomMultiSplitsAndByteByByteGiveTheSameEvents) {
  const std::string s = stream();
  const StreamRun whole = run_stream(s);
  SseParser parser;
  ChunkDecoder decoder;

  std::vector<std::size_t> every_byte;
  for (std::size_t i = 1; i < s.size(); ++i) every_byte.push_back(i);
  const StreamRun bytewise = run_stream(s, every_byte, parser, decoder);
  ASSERT_TRUE(bytewise.ok);
  EXPECT_FALSE(bytewise.partial);
  EXPECT_EQ(bytewise.events, whole.events);

  Rng rng = make_rng(20241123, static_cast<std::uint64_t>(std::get<0>(GetParam()) * 3 + std::get<1>(GetParam())));
  for (int pattern = 0; pattern < 200; ++pattern) {
    std::uniform_int_distribution<std::size_t> count(2, 40), offset(0, s.size());
    std::vector<std::size_t> cuts(count(rng));
    for (auto& c : cuts) c = offset(rng);
    std::sort(cuts.begin(), cuts.end());  // duplicates give empty reads, which must be harmless
    parser.reset();
    const StreamRun run = run_stream(s, cuts, parser, decoder);
    ASSERT_TRUE(run.ok) << "pattern " << pattern;
    ASSERT_FALSE(run.partial) << "pattern " << pattern;
    ASSERT_EQ(run.events, whole.events) << "pattern " << pattern;
  }
}

TEST_P(RecordedStream, EveryTruncationIsDetected) {
  // A stream cut short yields a prefix of the events, never [DONE], and has_partial_event()
  // tells whether the cut fell inside an event.
  const std::string s = stream();
  const StreamRun whole = run_stream(s);
  const std::string eol = kLineEndings[std::get<1>(GetParam())];
  const std::string blank = eol + eol;
  for (std::size_t len = 0; len + eol.size() < s.size(); ++len) {
    const std::string_view prefix = std::string_view(s).substr(0, len);
    const StreamRun run = run_stream(prefix);
    ASSERT_TRUE(run.ok);
    ASSERT_LE(run.events.size(), whole.events.size());
    for (std::size_t i = 0; i < run.events.size(); ++i) {
      ASSERT_EQ(run.events[i], whole.events[i]) << "cut at " << len << " event " << i;
    }
    EXPECT_TRUE(run.events.empty() || !run.events.back().done) << "cut at " << len;
    const std::size_t last_eol = prefix.rfind(eol);
    const std::string_view tail = last_eol == std::string_view::npos ? prefix : prefix.substr(last_eol + eol.size());
    if (!tail.empty() && tail.back() != '\r') {  // a '\r' in CRLF mode ends the line too
      EXPECT_TRUE(run.partial) << "cut inside a line at " << len;
    }
    if (len == 0 || prefix.ends_with(blank)) {
      EXPECT_FALSE(run.partial) << "cut between events at " << len;
    }
  }
}

std::string stream_name(const ::testing::TestParamInfo<std::tuple<int, int>>& info) {
  std::string name = kStreams[std::get<0>(info.param)].file;
  name = name.substr(0, name.find('.'));
  static const char* const kEol[] = {"lf", "crlf", "cr"};
  return name + "_" + kEol[std::get<1>(info.param)];
}

INSTANTIATE_TEST_SUITE_P(Servers, RecordedStream, ::testing::Combine(::testing::Range(0, 6), ::testing::Range(0, 3)),
                         stream_name);

}  // namespace
}  // namespace inferbench::protocol::test
