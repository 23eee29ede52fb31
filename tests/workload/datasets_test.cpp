// Dataset readers (good and bad lines, line numbers, skip/stop), ShareGPT filters, and output
// counted by the client when the server sends no usage.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "loadgen/record_sink.hpp"
#include "loadgen/response_reader.hpp"
#include "metrics/request_metrics.hpp"
#include "test_support.hpp"
#include "workload/datasets.hpp"
#include "workload/workload.hpp"

namespace inferbench::workload {
namespace {

using nlohmann::json;
using test::real_tokenizer;
using test::temp_file;

const std::string kJsonl =
    "{\"prompt\": \"Tell me about the sea.\", \"output_tokens\": 12}\n"    // 1 good
    "\n"                                                                   // 2 blank: ignored
    "{\"prompt\": 42}\n"                                                   // 3 bad: not a string
    "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi there\"}]}\n"  // 4 good (chat)
    "not json at all\n"                                                    // 5 bad
    "{\"prompt\": \"Count to ten.\", \"output_tokens\": 0}\n"              // 6 bad: output_tokens
    "{\"messages\": []}\n"                                                 // 7 bad: empty
    "{\"prompt\": \"Write a haiku.\"}\r\n";                                // 8 good (CRLF)

TEST(Jsonl, SkipKeepsGoodLinesAndCountsBadOnesWithLineNumbers) {
  const auto path = temp_file("prompts.jsonl", kJsonl);
  BadLines bad;
  const auto entries = read_jsonl(path, OnBadLine::Skip, bad);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].line, 1u);
  EXPECT_EQ(entries[0].prompt, "Tell me about the sea.");
  EXPECT_EQ(entries[0].output_tokens, 12);
  EXPECT_EQ(entries[1].line, 4u);
  ASSERT_EQ(entries[1].messages.size(), 1u);
  EXPECT_EQ(entries[1].messages[0].content, "Hi there");
  EXPECT_EQ(entries[2].line, 8u);
  EXPECT_EQ(entries[2].prompt, "Write a haiku.");
  EXPECT_FALSE(entries[2].output_tokens);
  EXPECT_EQ(bad.count, 4u);
  ASSERT_EQ(bad.first.size(), 4u);
  EXPECT_EQ(bad.first[0], path.string() + ":3: neither a string `prompt` nor `messages`");
  EXPECT_NE(bad.first[1].find(":5: not a JSON object"), std::string::npos);
  EXPECT_NE(bad.first[2].find(":6: `output_tokens`"), std::string::npos);
  EXPECT_NE(bad.first[3].find(":7: `messages`"), std::string::npos);
}

TEST(Jsonl, StopFailsAtTheFirstBadLine) {
  const auto path = temp_file("prompts_stop.jsonl", kJsonl);
  BadLines bad;
  try {
    read_jsonl(path, OnBadLine::Stop, bad);
    FAIL() << "accepted a bad line";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path.string() + ":3:"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_jsonl("/nonexistent/prompts.jsonl", OnBadLine::Skip, bad), Error);
}

TEST(Jsonl, WorkloadCountsEachPromptAndUsesItsOutputTokens) {
  WorkloadOptions o;
  o.dataset = "jsonl:" + temp_file("prompts_wl.jsonl", kJsonl).string();
  o.tokenizer = real_tokenizer("qwen3");
  o.on_bad_line = OnBadLine::Skip;
  o.output = LengthDist::fixed(33);
  o.chat = false;  // the messages line is then bad too
  const Workload w(o);
  EXPECT_EQ(w.bad_lines().count, 5u);
  EXPECT_EQ(w.usable_entries(), 2u);
  const auto specs = w.build(6, 1);
  ASSERT_EQ(specs.size(), 6u);  // cycles over the 2 entries
  for (const auto& s : specs) {
    EXPECT_EQ(s.input_tokens, static_cast<std::int64_t>(o.tokenizer->count(s.prompt)));
    EXPECT_EQ(s.max_tokens, s.prompt == "Tell me about the sea." ? 12 : 33);
  }
  o.on_bad_line = OnBadLine::Stop;
  EXPECT_THROW(Workload{o}, Error);
}

json conversation(const std::string& human, const std::string& gpt) {
  return {{"id", "x"},
          {"conversations", json::array({{{"from", "human"}, {"value", human}}, {{"from", "gpt"}, {"value", gpt}}})}};
}

std::string words(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += i == 0 ? "word" : " word";
  return s;
}

TEST(ShareGpt, FiltersAsVllmDoesAndReportsBadEntries) {
  const auto& tok = real_tokenizer("llama3");  // " word" is one token, so words(n) is n tokens
  ASSERT_EQ(tok.count(words(10)), 10u);
  json doc = json::array();
  doc.push_back(conversation(words(10), words(20)));  // 0 kept
  doc.push_back(conversation(words(2), words(20)));   // 1 prompt < min_tokens
  doc.push_back(conversation(words(10), words(3)));   // 2 reply < min_tokens
  doc.push_back(conversation(words(40), words(5)));   // 3 prompt > max_prompt (30)
  doc.push_back(conversation(words(25), words(30)));  // 4 total > max_total (50)
  doc.push_back({{"conversations", json::array({{{"from", "human"}, {"value", "alone"}}})}});  // 5 one turn: left out
  doc.push_back({{"nothing", 1}});                                                             // 6 bad
  doc.push_back({{"conversations",
                  json::array({{{"from", "gpt"}, {"value", "a"}}, {{"from", "human"}, {"value", "b"}}})}});  // 7 bad
  doc.push_back(conversation(words(30), words(20)));  // 8 kept (edges: prompt = 30, total = 50)
  const auto path = temp_file("sharegpt.json", doc.dump());

  BadLines bad;
  EXPECT_EQ(read_sharegpt(path, OnBadLine::Skip, bad).size(), 6u);  // 0-4 and 8
  EXPECT_EQ(bad.count, 2u);
  EXPECT_EQ(bad.first[0], path.string() + ": entry 6: no `conversations` array");
  EXPECT_NE(bad.first[1].find("entry 7: the first turn is from 'gpt'"), std::string::npos);

  WorkloadOptions o;
  o.dataset = "sharegpt:" + path.string() + ",min_tokens=4,max_prompt=30,max_total=50";
  o.tokenizer = tok;
  o.on_bad_line = OnBadLine::Skip;
  const Workload w(o);
  EXPECT_EQ(w.usable_entries(), 2u);
  for (const auto& s : w.build(10, 2)) {
    EXPECT_TRUE(s.input_tokens == 10 || s.input_tokens == 30) << s.input_tokens;
    EXPECT_EQ(s.max_tokens, 20) << "the reply's length is the output length";
    EXPECT_EQ(s.input_tokens, static_cast<std::int64_t>(tok.count(s.prompt)));
  }
  o.output_given = true;
  o.output = LengthDist::fixed(7);
  EXPECT_EQ(Workload(o).build(3, 1)[0].max_tokens, 7);  // --output-tokens overrides
  o.on_bad_line = OnBadLine::Stop;
  EXPECT_THROW(Workload{o}, Error);
  o.on_bad_line = OnBadLine::Skip;
  o.dataset = "sharegpt:" + path.string() + ",max_prompt=5";
  EXPECT_THROW(Workload{o}, Error);  // nothing passes
  o.dataset = "sharegpt:" + temp_file("notarray.json", "{\"a\": 1}").string();
  EXPECT_THROW(Workload{o}, Error);
  o.dataset = "sharegpt:" + temp_file("corrupt.json", "[{\"conversations\": [").string();
  EXPECT_THROW(Workload{o}, Error);
}

// A streamed completion without usage, as a server that ignores include_usage sends it.
std::string stream_without_usage(const std::vector<std::string>& pieces) {
  std::string body;
  for (const auto& p : pieces) {
    body += "data: " +
            json{{"id", "c"},
                 {"object", "text_completion"},
                 {"choices", json::array({{{"index", 0}, {"text", p}, {"finish_reason", nullptr}}})}}
                .dump() +
            "\n\n";
  }
  return body + "data: [DONE]\n\n";
}

TEST(ClientOutputCount, CountsTheStreamedTextOnceWhenUsageIsAbsent) {
  const auto& tok = real_tokenizer("llama3");
  const std::vector<std::string> pieces = {"The", " quick brown", " fox", " jumps over the lazy", " dog.", " Façade"};
  std::string text;
  for (const auto& p : pieces) text += p;
  const std::string body = stream_without_usage(pieces);
  protocol::ChunkDecoder decoder;
  for (const bool with_tokenizer : {true, false}) {
    metrics::RequestRecord record;
    record.max_tokens = 16;
    loadgen::RecordSink sink(record, {.closed_loop = true, .output_tokenizer = with_tokenizer ? &tok : nullptr});
    loadgen::ResponseReader recorder(sink, decoder, {true, std::chrono::seconds(5), std::chrono::seconds(5)});
    recorder.on_sent(Clock::now());
    recorder.on_headers(200, Clock::now());
    // Split the body at odd places: events across reads.
    for (std::size_t i = 0; i < body.size(); i += 37)
      recorder.on_body(std::string_view(body).substr(i, 37), Clock::now());
    recorder.finish(http::Outcome{});
    ASSERT_TRUE(record.ok()) << record.error_detail;
    EXPECT_EQ(record.chunks.size(), pieces.size());
    EXPECT_FALSE(record.usage.completion_tokens);
    EXPECT_EQ(record.client_output_tokens, with_tokenizer ? static_cast<std::int64_t>(tok.count(text)) : -1);
  }
}

TEST(ClientOutputCount, UsageWinsWhenTheServerSendsIt) {
  const auto& tok = real_tokenizer("qwen3");
  std::string body = stream_without_usage({"a", "b"});
  body.insert(body.size() - std::string("data: [DONE]\n\n").size(),
              "data: {\"id\":\"c\",\"object\":\"text_completion\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,"
              "\"completion_tokens\":2,\"total_tokens\":5}}\n\n");
  protocol::ChunkDecoder decoder;
  metrics::RequestRecord record;
  record.max_tokens = 2;
  loadgen::RecordSink sink(record, {.closed_loop = true, .output_tokenizer = &tok});
  loadgen::ResponseReader recorder(sink, decoder, {true, std::chrono::seconds(5), std::chrono::seconds(5)});
  recorder.on_headers(200, Clock::now());
  recorder.on_body(body, Clock::now());
  recorder.finish(http::Outcome{});
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record.usage.completion_tokens, 2);
  EXPECT_EQ(record.client_output_tokens, -1);  // not counted: the server's count is used
}

TEST(ClientOutputCount, NonStreamedResponsesAreCountedToo) {
  const auto& tok = real_tokenizer("llama2");
  const std::string body =
      json{{"id", "c"},
           {"object", "text_completion"},
           {"choices", json::array({{{"index", 0}, {"text", "Hello world, again"}, {"finish_reason", "length"}}})}}
          .dump();
  protocol::ChunkDecoder decoder;
  metrics::RequestRecord record;
  record.max_tokens = 8;
  loadgen::RecordSink sink(record, {.closed_loop = true, .output_tokenizer = &tok});
  loadgen::ResponseReader recorder(sink, decoder, {false, std::chrono::seconds(5), std::chrono::seconds(5)});
  recorder.on_headers(200, Clock::now());
  recorder.on_body(body, Clock::now());
  recorder.finish(http::Outcome{});
  ASSERT_TRUE(record.ok()) << record.error_detail;
  EXPECT_EQ(record.client_output_tokens, static_cast<std::int64_t>(tok.count("Hello world, again")));
  ASSERT_EQ(record.chunks.size(), 1u);
  // The one chunk holds every token the client counted.
  EXPECT_EQ(metrics::ChunkTokens(record, metrics::derive(record).output_tokens)(0),
            static_cast<std::uint64_t>(record.client_output_tokens));
}

// Found by fuzzing (tests/fuzz/regressions/sharegpt_fuzz/number_overflow.json): a number out
// of double's range escaped as json out_of_range and ended the process.
TEST(ShareGpt, NumbersOutOfRangeAreAOneLineError) {
  BadLines bad;
  try {
    (void)read_sharegpt("tests/fuzz/regressions/sharegpt_fuzz/number_overflow.json", OnBadLine::Stop, bad);
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not valid JSON"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace inferbench::workload
