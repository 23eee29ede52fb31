// The replay log and trace parsers against committed excerpts of real files (data/README.md
// names their sources) and hand-written hostile lines.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.hpp"
#include "replay/log.hpp"

namespace inferbench::replay {
namespace {

const std::filesystem::path kData = INFERBENCH_REPLAY_DATA;

double offset_s(const Entry& e) { return to_s(e.offset); }

TEST(FlowGptLog, ReadsRequestsSkipsAndCountsTheRest) {
  const ReplayLog log = read_log(kData / "flowgpt.log", std::nullopt);
  EXPECT_EQ(log.format, Format::FlowGpt);
  EXPECT_EQ(log.lines, 9u);
  ASSERT_EQ(log.entries.size(), 4u);
  // Sorted by time: the line-7 request is the earliest and has no conversationId.
  EXPECT_EQ(log.entries[0].line, 7u);
  EXPECT_EQ(log.entries[0].conversation_id, "");
  EXPECT_EQ(log.entries[0].prompt, "earlier, no id");
  EXPECT_DOUBLE_EQ(offset_s(log.entries[0]), 0.0);
  EXPECT_EQ(log.entries[1].conversation_id, "abc");
  EXPECT_EQ(log.entries[1].prompt, "Hello there");
  EXPECT_DOUBLE_EQ(offset_s(log.entries[1]), 1.0);
  // Fractional seconds kept; a brace inside a string of another object does not hide the request.
  EXPECT_EQ(log.entries[2].conversation_id, "def");
  EXPECT_EQ(log.entries[2].prompt, "A prompt with { braces } inside");
  EXPECT_DOUBLE_EQ(offset_s(log.entries[2]), 2.25);
  // 14:00:07+02:00 is 12:00:07Z.
  EXPECT_EQ(log.entries[3].conversation_id, "ghi");
  EXPECT_DOUBLE_EQ(offset_s(log.entries[3]), 3.0);
  // Not a request, no time zone, empty prompt, no timestamp; the blank line is not counted.
  EXPECT_EQ(log.skipped.count, 4u);
  ASSERT_EQ(log.skipped.first.size(), 4u);
  EXPECT_EQ(log.skipped.first[0].rfind("line 2: ", 0), 0u) << log.skipped.first[0];
  EXPECT_NE(log.skipped.first[1].find("line 5: no timestamp at the start: the time has no time zone"),
            std::string::npos)
      << log.skipped.first[1];
  EXPECT_NE(log.skipped.first[2].find("line 8: body.prompt"), std::string::npos) << log.skipped.first[2];
  EXPECT_EQ(log.skipped.first[3].rfind("line 9: no timestamp", 0), 0u) << log.skipped.first[3];
}

TEST(FlowGptLog, TakesTheLastChatRequestObjectAndNeedsAWholeInnerObject) {
  std::string reason;
  const auto two = parse_flowgpt_line(
      R"(2024-06-01T12:00:05Z {"message":"[Log chat request] {\"conversationId\":\"first\",\"body\":{\"prompt\":\"a\"}}"} )"
      R"({"message":"[Log chat request] {\"conversationId\":\"last\",\"body\":{\"prompt\":\"b\"}}"})",
      reason);
  ASSERT_TRUE(two) << reason;
  EXPECT_EQ(two->conversation_id, "last");
  EXPECT_FALSE(parse_flowgpt_line(
      R"(2024-06-01T12:00:05Z {"message":"[Log chat request] {\"conversationId\":\"x\",\"body\":{\"prompt\":\"a\"}} trailing"})",
      reason));
  EXPECT_NE(reason.find("not a JSON object"), std::string::npos) << reason;
  EXPECT_FALSE(parse_flowgpt_line(
      R"(2024-06-01T12:00:05Z {"message":"[Log chat request] {\"conversationId\":7,\"body\":{\"prompt\":\"a\"}}"})",
      reason));
  EXPECT_EQ(reason, "conversationId is not a string");
  EXPECT_FALSE(parse_flowgpt_line("2024-02-30T12:00:05Z {}", reason));
  EXPECT_NE(reason.find("out of range"), std::string::npos);
  EXPECT_FALSE(parse_flowgpt_line("2024-06-01T12:00:05Z {\"message\":\"[Log chat request] \xff\xfe\"}", reason));
}

TEST(DateTime, ParsesZonesAndFractions) {
  std::chrono::nanoseconds t{};
  std::string reason;
  ASSERT_EQ(parse_datetime("1970-01-01T00:00:01.5Z rest", false, true, t, reason), 22u);
  EXPECT_EQ(t.count(), 1'500'000'000);
  ASSERT_GT(parse_datetime("1970-01-01T01:00:00+01:00", false, true, t, reason), 0u);
  EXPECT_EQ(t.count(), 0);
  ASSERT_GT(parse_datetime("1970-01-01T00:00:00-0130", false, true, t, reason), 0u);
  EXPECT_EQ(t.count(), 5'400'000'000'000);
  // Digits past nanoseconds are read and ignored.
  ASSERT_GT(parse_datetime("1970-01-01 00:00:00.1234567891", true, false, t, reason), 0u);
  EXPECT_EQ(t.count(), 123'456'789);
  EXPECT_EQ(parse_datetime("1970-01-01 00:00:00", false, false, t, reason), 0u);  // space not allowed
  EXPECT_EQ(parse_datetime("1970-01-01T00:00:00.Z", false, true, t, reason), 0u);
  EXPECT_EQ(parse_datetime("1970-01-01T24:00:00Z", false, true, t, reason), 0u);
  EXPECT_EQ(parse_datetime("9999-01-01T00:00:00Z", false, true, t, reason), 0u);
}

TEST(MooncakeTrace, ReadsTheFast25Excerpt) {
  const ReplayLog log = read_log(kData / "mooncake_conversation_head.jsonl", std::nullopt);
  EXPECT_EQ(log.format, Format::Mooncake);
  EXPECT_EQ(log.skipped.count, 0u);
  ASSERT_EQ(log.entries.size(), 7u);
  EXPECT_EQ(log.entries[0].input_tokens, 6758);
  EXPECT_EQ(log.entries[0].output_tokens, 500);
  EXPECT_EQ(log.entries[0].hash_ids.size(), 14u);
  EXPECT_EQ(log.entries[0].conversation_id, "1");  // no session_id: the line number
  EXPECT_DOUBLE_EQ(offset_s(log.entries[5]), 3.0);
  EXPECT_DOUBLE_EQ(offset_s(log.entries[6]), 5.999);
  EXPECT_EQ(log.entries[6].hash_ids, (std::vector<std::int64_t>{0, 773, 774}));
}

TEST(MooncakeTrace, SkipsBadLinesWithReasons) {
  const std::string text =
      "{\"timestamp\": 10.5, \"input_length\": 20, \"output_length\": 4, \"hash_ids\": [1], \"session_id\": 9}\n"
      "{\"timestamp\": 1, \"input_length\": 20.5, \"output_length\": 4}\n"
      "{\"timestamp\": -1, \"input_length\": 20, \"output_length\": 4}\n"
      "{\"input_length\": 20, \"output_length\": 4}\n"
      "{\"timestamp\": 1, \"input_length\": 20, \"hash_ids\": [1, -2]}\n"
      "{\"timestamp\": 1, \"input_length\": 99999999999}\n"
      "[1, 2]\n"
      "{\"timestamp\": 2, \"input_text\": \"given text\", \"output_length\": 3}\n"
      "{\"timestamp\": 2, \"output_length\": 3}\n";
  const ReplayLog log = parse_log(text, Format::Mooncake);
  ASSERT_EQ(log.entries.size(), 2u);
  EXPECT_EQ(log.entries[0].prompt, "given text");
  EXPECT_EQ(log.entries[0].input_tokens, -1);
  EXPECT_EQ(log.entries[1].conversation_id, "9");
  EXPECT_DOUBLE_EQ(offset_s(log.entries[1]), 0.0085);  // 10.5 ms − 2 ms
  EXPECT_EQ(log.skipped.count, 7u);
  EXPECT_NE(log.skipped.first[0].find("line 2: input_length"), std::string::npos) << log.skipped.first[0];
}

TEST(AzureTrace, ReadsTheConversationExcerpt) {
  const ReplayLog log = read_log(kData / "azure_conv_head.csv", std::nullopt);
  EXPECT_EQ(log.format, Format::Azure);
  EXPECT_EQ(log.skipped.count, 0u);  // the header is not a skipped line
  ASSERT_EQ(log.entries.size(), 8u);
  EXPECT_EQ(log.entries[0].input_tokens, 374);
  EXPECT_EQ(log.entries[0].output_tokens, 44);
  EXPECT_EQ(log.entries[0].line, 2u);
  // 18:15:50.9951690 − 18:15:46.6805900, to the nanosecond (inference-perf keeps microseconds).
  EXPECT_EQ(log.entries[1].offset, std::chrono::nanoseconds(4'314'579'000));
  EXPECT_EQ(log.entries[7].input_tokens, 388);
}

TEST(AzureTrace, SkipsBadRows) {
  const std::string text =
      "2023-11-16 18:15:46.5,10,5\r\n"
      "\"2023-11-16T18:15:47Z\",11,6\n"
      "2023-11-16 18:15:48,abc,5\n"
      "2023-11-16 18:15:48,0,5\n"
      "2023-11-16 18:15:48,5\n"
      "2023-11-16 18:15:48,-5,5\n"
      "TIMESTAMP,ContextTokens,GeneratedTokens\n";
  const ReplayLog log = parse_log(text, std::nullopt);
  EXPECT_EQ(log.format, Format::Azure);
  ASSERT_EQ(log.entries.size(), 2u);
  EXPECT_DOUBLE_EQ(offset_s(log.entries[1]), 0.5);
  EXPECT_EQ(log.skipped.count, 5u);
}

TEST(Detection, NamesWhatItExpected) {
  try {
    detect_format("hello\nworld\n");
    FAIL();
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("FlowGPT"), std::string::npos);
    EXPECT_NE(what.find("Mooncake"), std::string::npos);
    EXPECT_NE(what.find("Azure"), std::string::npos);
    EXPECT_NE(what.find("--format"), std::string::npos);
  }
  EXPECT_THROW(detect_format(""), Error);
  EXPECT_THROW(parse_format("csv"), Error);
  EXPECT_EQ(parse_format("inferbench"), Format::Inferbench);
  EXPECT_EQ(parse_format("azure"), Format::Azure);
}

TEST(Detection, AFileOfOnlyBadLinesIsAnErrorNotAnEmptyReplay) {
  try {
    parse_log("{\"timestamp\": -1, \"input_length\": 3}\n", Format::Mooncake);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no mooncake request in 1 lines (1 skipped; first: line 1: timestamp"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(read_log(kData / "missing.log", std::nullopt), Error);
  EXPECT_THROW(read_log(kData, std::nullopt), Error);  // a directory
}

TEST(Detection, AFormatGivenWinsOverTheContent) {
  // A Mooncake trace read as Azure: every line skipped, with the Azure reason.
  EXPECT_THROW(read_log(kData / "mooncake_conversation_head.jsonl", Format::Azure), Error);
}

TEST(Inferbench, RequestsJsonlLinesGiveSendTimesLengthsAndMaxTokens) {
  const std::string text =
      "{\"id\":0,\"load_point\":1,\"sent_ns\":2000000,\"sched_ns\":1999000,\"input_tokens\":32,"
      "\"max_tokens\":16,\"output_tokens\":12}\n"
      "{\"id\":1,\"load_point\":1,\"sent_ns\":null,\"sched_ns\":5,\"input_tokens\":32,\"max_tokens\":16}\n"
      "{\"id\":2,\"load_point\":1,\"sent_ns\":1500000,\"input_tokens\":40,\"max_tokens\":null,"
      "\"output_tokens\":7}\n"
      "{\"id\":3,\"load_point\":1,\"sent_ns\":-4,\"input_tokens\":40}\n"
      "{\"id\":4,\"load_point\":1,\"sent_ns\":9,\"input_tokens\":null}\n";
  const ReplayLog log = parse_log(text, std::nullopt);
  EXPECT_EQ(log.format, Format::Inferbench);
  ASSERT_EQ(log.entries.size(), 2u);
  EXPECT_EQ(log.entries[0].conversation_id, "1-2");  // earliest first
  EXPECT_EQ(log.entries[0].offset, Duration::zero());
  EXPECT_EQ(log.entries[0].input_tokens, 40);
  EXPECT_EQ(log.entries[0].output_tokens, 7);  // no max_tokens: what came back
  EXPECT_EQ(log.entries[1].offset, std::chrono::microseconds(500));
  EXPECT_EQ(log.entries[1].output_tokens, 16);  // max_tokens, not the 12 that came back
  EXPECT_EQ(log.skipped.count, 3u);
  EXPECT_EQ(log.skipped.first.at(0), "line 2: never sent in the recorded run (sent_ns is null)");
  EXPECT_EQ(log.skipped.first.at(1), "line 4: sent_ns is not an integer from 0 to 30 years of nanoseconds");
  EXPECT_EQ(log.skipped.first.at(2), "line 5: input_tokens is missing, unknown or not an integer from 1 to 2^24");
}

}  // namespace
}  // namespace inferbench::replay
