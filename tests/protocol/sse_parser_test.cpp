// SseParser against the WHATWG event-stream rules, split reads, limits and partial events.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/sse_parser.hpp"

namespace inferbench::protocol {
namespace {

struct Got {
  std::string data, type;
  bool operator==(const Got&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Got& g) {
  return os << "{data='" << g.data << "' type='" << g.type << "'}";
}

// Feeds the pieces in order into a fresh parser (or `parser`) and collects the events.
std::vector<Got> parse(const std::vector<std::string>& pieces, SseParser* parser = nullptr,
                       SseStatus* last_status = nullptr) {
  SseParser local;
  SseParser& p = parser ? *parser : local;
  std::vector<Got> got;
  for (const auto& piece : pieces) {
    const SseStatus st = p.feed(piece, [&](const SseEvent& e) {
      got.push_back({std::string(e.data), std::string(e.type)});
    });
    if (last_status) *last_status = st;
  }
  return got;
}

std::vector<Got> data_events(std::initializer_list<const char*> data) {
  std::vector<Got> out;
  for (const char* d : data) out.push_back({d, ""});
  return out;
}

TEST(SseParser, DataWithAndWithoutOneLeadingSpace) {
  EXPECT_EQ(parse({"data: a\n\ndata:b\n\ndata:  c\n\n"}), data_events({"a", "b", " c"}));
}

TEST(SseParser, MultiLineDataIsJoinedWithNewlines) {
  EXPECT_EQ(parse({"data: one\ndata: two\ndata:\ndata: four\n\n"}), data_events({"one\ntwo\n\nfour"}));
  // A line with no colon is a field with an empty value.
  EXPECT_EQ(parse({"data\ndata: b\n\n"}), data_events({"\nb"}));
}

TEST(SseParser, EventWithoutDataIsNotDispatched) {
  EXPECT_EQ(parse({"event: ping\n\nid: 3\n\nretry: 10\n\n\n\ndata: x\n\n"}), data_events({"x"}));
}

TEST(SseParser, EmptyDataLineIsAnEventWithEmptyData) { EXPECT_EQ(parse({"data:\n\n"}), data_events({""})); }

TEST(SseParser, CommentsAreIgnored) {
  EXPECT_EQ(parse({": ping\n\n:\ndata: a\n: inside an event\ndata: b\n\n: ping\n\n"}), data_events({"a\nb"}));
}

TEST(SseParser, EventTypeIsReportedAndResetAfterDispatch) {
  const std::vector<Got> want = {{"1", "delta"}, {"2", ""}, {"3", "done"}};
  EXPECT_EQ(parse({"event: delta\ndata: 1\n\ndata: 2\n\nevent: x\nevent: done\ndata: 3\n\n"}), want);
  // An event type from an event without data does not leak into the next one.
  EXPECT_EQ(parse({"event: lost\n\ndata: 4\n\n"}), data_events({"4"}));
}

TEST(SseParser, FieldNamesAreCaseSensitiveAndUnknownFieldsIgnored) {
  EXPECT_EQ(parse({"Data: no\n\nfoo: bar\ndata: yes\n\n"}), data_events({"yes"}));
}

TEST(SseParser, AllThreeLineEndings) {
  EXPECT_EQ(parse({"data: a\r\n\r\ndata: b\r\rdata: c\n\ndata: d\r\ndata: e\r\n\n"}),
            data_events({"a", "b", "c", "d\ne"}));
}

TEST(SseParser, CrAtEndOfReadThenLfAtStartOfNext) {
  // If "\r" | "\n" were two line ends, the "\n" would be a blank line and dispatch "a" alone.
  EXPECT_EQ(parse({"data: a\r", "\ndata: b\r\n\r", "\n"}), data_events({"a\nb"}));
  EXPECT_EQ(parse({"data: a\r\n\r", "", "\ndata: b\r\n\r\n"}), data_events({"a", "b"}));
  // A lone "\r" followed by a read starting with something else ends the line too.
  EXPECT_EQ(parse({"data: a\r", "data: b\r", "\r"}), data_events({"a\nb"}));
}

TEST(SseParser, LeadingByteOrderMarkIsSkippedEvenWhenSplit) {
  EXPECT_EQ(parse({"\xEF\xBB\xBF"
                   "data: a\n\n"}),
            data_events({"a"}));
  EXPECT_EQ(parse({"\xEF", "\xBB",
                   "\xBF"
                   "data: a\n\n"}),
            data_events({"a"}));
  // Not a BOM after all: the bytes are line content (here an unknown field name).
  EXPECT_EQ(parse({"\xEF\xBB", "data: a\n\ndata: b\n\n"}), data_events({"b"}));
  // Only at the start of the stream.
  EXPECT_EQ(parse({"data: a\n\n\xEF\xBB\xBF"
                   "data: b\n\n"}),
            data_events({"a"}));
}

TEST(SseParser, EmptyReadsAreHarmless) {
  EXPECT_EQ(parse({"", "data: a", "", "\n", "", "\n", ""}), data_events({"a"}));
}

TEST(SseParser, SinkInterface) {
  struct Sink : SseEventSink {
    std::vector<std::string> seen;
    void on_event(const SseEvent& e) override { seen.emplace_back(e.data); }
  } sink;
  SseParser p;
  EXPECT_EQ(p.feed("data: x\n\ndata: y\n", sink), SseStatus::Ok);
  EXPECT_EQ(p.feed("\n", sink), SseStatus::Ok);
  EXPECT_EQ(sink.seen, (std::vector<std::string>{"x", "y"}));
}

TEST(SseParser, WholeEventInOneReadIsAViewIntoThatRead) {
  SseParser p;
  const std::string read = "data: {\"a\":1}\n\ndata: first";
  const char* seen = nullptr;
  p.feed(read, [&](const SseEvent& e) { seen = e.data.data(); });
  EXPECT_EQ(seen, read.data() + 6);  // zero copy
  std::string rest = "\ndata: second\n\n";
  std::string got;
  p.feed(rest, [&](const SseEvent& e) { got = e.data; });
  EXPECT_EQ(got, "first\nsecond");
}

TEST(SseParser, LongLinesWellBeyond64KiBAcrossManyReads) {
  std::string big(3 << 20, 'x');
  for (std::size_t i = 0; i < big.size(); i += 97) big[i] = static_cast<char>('a' + i % 26);
  const std::string stream = "data: " + big + "\r\ndata: tail\r\n\r\n";
  std::vector<std::string> pieces;
  for (std::size_t i = 0; i < stream.size(); i += 4096) pieces.push_back(stream.substr(i, 4096));
  SseStatus st = SseStatus::EventTooLarge;
  const auto got = parse(pieces, nullptr, &st);
  EXPECT_EQ(st, SseStatus::Ok);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, big + "\ntail");
}

TEST(SseParser, EventOverTheLimitFailsInOneRead) {
  SseParser p(1000);
  std::vector<Got> got;
  auto sink = [&](const SseEvent& e) { got.push_back({std::string(e.data), ""}); };
  EXPECT_EQ(p.feed("data: ok\n\ndata: " + std::string(1001, 'x') + "\n\ndata: after\n\n", sink),
            SseStatus::EventTooLarge);
  EXPECT_EQ(got, data_events({"ok"}));
  EXPECT_TRUE(p.failed());
  EXPECT_TRUE(p.has_partial_event());
  // The parser stays failed: nothing more is dispatched.
  EXPECT_EQ(p.feed("data: more\n\n", sink), SseStatus::EventTooLarge);
  EXPECT_EQ(got.size(), 1u);
  p.reset();
  EXPECT_FALSE(p.failed());
  EXPECT_EQ(p.feed("data: again\n\n", sink), SseStatus::Ok);
  EXPECT_EQ(got.back().data, "again");
}

TEST(SseParser, LimitOutcomeDoesNotDependOnHowTheStreamIsSplit) {
  constexpr std::size_t kMax = 300;
  const std::string at_limit = "data: " + std::string(150, 'a') + "\r\ndata:" + std::string(149, 'b') + "\r\n\r\n";
  const std::string over_limit = "data: " + std::string(150, 'a') + "\ndata:" + std::string(150, 'b') + "\n\n";
  const std::string long_comment = ":" + std::string(kMax + SseParser::kLineOverhead, 'c') + "\n";
  const std::string ok_comment = ":" + std::string(kMax + SseParser::kLineOverhead - 1, 'c') + "\n";
  struct Case {
    std::string stream;
    SseStatus want;
    std::size_t events;
  };
  const Case cases[] = {
      {at_limit + "data: x\n\n", SseStatus::Ok, 2},
      {"data: ok\n\n" + over_limit, SseStatus::EventTooLarge, 1},
      {long_comment + "data: x\n\n", SseStatus::EventTooLarge, 0},
      {ok_comment + "data: x\n\n", SseStatus::Ok, 1},
  };
  for (const Case& c : cases) {
    for (std::size_t cut = 0; cut <= c.stream.size(); ++cut) {
      SseParser p(kMax);
      SseStatus st = SseStatus::Ok;
      const auto got = parse({c.stream.substr(0, cut), c.stream.substr(cut)}, &p, &st);
      ASSERT_EQ(st, c.want) << "cut at " << cut << " of " << c.stream.substr(0, 20);
      ASSERT_EQ(got.size(), c.events) << "cut at " << cut;
      if (c.events == 2) {
        ASSERT_EQ(got[0].data.size(), kMax);
      }
    }
  }
}

TEST(SseParser, LimitCoversDataLinesAndUnterminatedLinesAcrossReads) {
  {  // many data lines in separate reads
    SseParser p(1000);
    SseStatus st = SseStatus::Ok;
    std::vector<std::string> pieces(30, "data: " + std::string(40, 'z') + "\n");
    parse(pieces, &p, &st);
    EXPECT_EQ(st, SseStatus::EventTooLarge);
  }
  {  // one line that never ends (a peer sending garbage without newlines)
    SseParser p(1000);
    SseStatus st = SseStatus::Ok;
    std::vector<std::string> pieces(30, std::string(40, 'q'));
    parse(pieces, &p, &st);
    EXPECT_EQ(st, SseStatus::EventTooLarge);
  }
}

TEST(SseParser, PartialEventDetection) {
  struct Case {
    const char* stream;
    bool partial;
  };
  const Case cases[] = {
      {"", false},
      {"data: a\n\n", false},
      {": ping\n", false},
      {": ping\n\n", false},
      {"data: a\n\n: pi", true},
      {"data: a\n\nda", true},
      {"data: a\n\ndata: [DONE]", true},
      {"data: a\n\ndata: [DONE]\n", true},
      {"data: a\n\nevent: x\n", true},
      {"data: a\r\n\r", false},
      {"data: a\r", true},
      {"\xEF\xBB", true},
  };
  for (const Case& c : cases) {
    SseParser p;
    p.feed(c.stream, [](const SseEvent&) {});
    EXPECT_EQ(p.has_partial_event(), c.partial) << "stream: " << c.stream;
  }
}

TEST(SseParser, ResetStartsAFreshStream) {
  SseParser p;
  std::vector<Got> got;
  auto sink = [&](const SseEvent& e) { got.push_back({std::string(e.data), std::string(e.type)}); };
  p.feed("event: x\ndata: half", sink);
  EXPECT_TRUE(p.has_partial_event());
  p.reset();
  EXPECT_FALSE(p.has_partial_event());
  p.feed("data: new\n\n", sink);
  EXPECT_EQ(got, data_events({"new"}));
}

}  // namespace
}  // namespace inferbench::protocol
