// The report's ITL and inter-chunk latencies from requests.jsonl's chunk timelines: the weighted
// CDF, and the samples against metrics::summarize's on the same requests, for every way a chunk's
// token count is known (reported, estimated from out_i, unknown) and for malformed timelines.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "metrics/summary.hpp"
#include "report/chunk_latency.hpp"
#include "report/html_report.hpp"
#include "report/results_dir.hpp"

namespace inferbench::report {
namespace {

namespace fs = std::filesystem;
using metrics::WeightedSample;
using nlohmann::json;

TEST(CdfPoints, WeightedRanksAreTheExpandedOnes) {
  // 1.0 once and 2.0 three times: the CDF of [1, 2, 2, 2].
  const auto all = cdf_points(std::vector<WeightedSample>{{2.0, 3}, {1.0, 1}, {5.0, 0}});
  ASSERT_EQ(all.size(), 4u);
  const double want[][2] = {{1.0, 0.25}, {2.0, 0.5}, {2.0, 0.75}, {2.0, 1.0}};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(all[i].value, want[i][0]);
    EXPECT_EQ(all[i].fraction, want[i][1]);
  }
  // Thinned to 3: ranks 0, 1 (3/2 rounded down) and 3, the first and last kept.
  const auto thinned = cdf_points(std::vector<WeightedSample>{{2.0, 3}, {1.0, 1}}, 3);
  ASSERT_EQ(thinned.size(), 3u);
  EXPECT_EQ(thinned[0].fraction, 0.25);
  EXPECT_EQ(thinned[1].value, 2.0);
  EXPECT_EQ(thinned[1].fraction, 0.5);
  EXPECT_EQ(thinned[2].fraction, 1.0);
  EXPECT_TRUE(cdf_points(std::vector<WeightedSample>{}).empty());
}

TEST(CdfPoints, HugeWeightsNeitherOverflowNorExpand) {
  const std::uint64_t big = std::uint64_t{1} << 62;
  const auto points = cdf_points(std::vector<WeightedSample>{{1.0, big}, {3.0, big}, {2.0, 1}});
  ASSERT_EQ(points.size(), kMaxCdfPoints);
  EXPECT_EQ(points.front().value, 1.0);
  EXPECT_EQ(points.back().value, 3.0);
  EXPECT_EQ(points.back().fraction, 1.0);
  for (std::size_t i = 1; i < points.size(); ++i) EXPECT_LE(points[i - 1].fraction, points[i].fraction);
  // Plain values thin the same way: 1000 values, 400 points, evenly in rank.
  std::vector<double> values(1000);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(999 - i);
  const auto plain = cdf_points(values);
  ASSERT_EQ(plain.size(), kMaxCdfPoints);
  EXPECT_EQ(plain.front().value, 0.0);
  EXPECT_EQ(plain.back().value, 999.0);
}

// A request of chunks `gaps_ns` apart (after a 5 ms first token), as the engine records it and
// as requests.jsonl writes it (docs/results-format.md).
struct Case {
  std::vector<std::int64_t> gaps_ns;
  std::vector<std::uint32_t> tokens;  // empty: no chunk said (chunk_tokens null)
  std::optional<std::int64_t> completion_tokens;
  std::int64_t client_output_tokens = -1;
  std::int64_t max_tokens = 0;
};

metrics::RequestRecord record_of(const Case& c) {
  metrics::RequestRecord r;
  r.scheduled = TimePoint{} + std::chrono::seconds(100);
  r.sent = r.scheduled;
  TimePoint t = *r.sent + std::chrono::milliseconds(5);
  for (std::size_t k = 0; k <= c.gaps_ns.size(); ++k) {
    if (k > 0) t += std::chrono::nanoseconds(c.gaps_ns[k - 1]);
    r.chunks.push_back({t, c.tokens.empty() ? 0u : c.tokens[k]});
  }
  r.done = t;
  r.usage.completion_tokens = c.completion_tokens;
  r.client_output_tokens = c.client_output_tokens;
  r.max_tokens = c.max_tokens;
  return r;
}

// A line as the report reads it: its text parsed by simdjson.
class Parsed {
 public:
  explicit Parsed(const json& line) : text_(line.dump()) {
    EXPECT_EQ(parser_.parse(text_).get(object_), simdjson::SUCCESS) << text_;
  }
  operator simdjson::dom::object() const { return object_; }  // NOLINT(google-explicit-constructor)

 private:
  std::string text_;
  simdjson::dom::parser parser_;
  simdjson::dom::object object_;
};

json line_of(const Case& c) {
  json times = json::array({5'000'000});
  for (const auto g : c.gaps_ns) times.push_back(g);
  return {{"ok", true},
          {"warmup", false},
          {"load_point", 0},
          {"chunk_ns", times},
          {"chunk_tokens", c.tokens.empty() ? json() : json(c.tokens)},
          {"prompt_tokens", 10},
          {"completion_tokens", c.completion_tokens ? json(*c.completion_tokens) : json()},
          {"cached_tokens", nullptr},
          {"client_prompt_tokens", nullptr},
          {"client_output_tokens", c.client_output_tokens >= 0 ? json(c.client_output_tokens) : json()},
          {"max_tokens", c.max_tokens}};
}

void expect_same(const metrics::Distribution& got, const metrics::Distribution& want) {
  EXPECT_EQ(got.count, want.count);
  EXPECT_EQ(got.min, want.min);
  EXPECT_EQ(got.p50, want.p50);
  EXPECT_EQ(got.p90, want.p90);
  EXPECT_EQ(got.p99, want.p99);
  EXPECT_EQ(got.max, want.max);
  EXPECT_DOUBLE_EQ(got.mean, want.mean);
}

TEST(ChunkLatencyPool, SamplesAreTheSummarys) {
  const std::vector<Case> cases = {
      {{1'000'000, 3'000'000}, {}, 7, -1, 0},              // unknown counts, out 7: 1, then 3 and 3
      {{1'000'000, 2'000'000, 7'000'000}, {}, 11, -1, 0},  // 1, then 10 over 3 chunks: 4, 3, 3
      {{2'000'000, 8'000'000}, {1, 2, 4}, 7, -1, 0},       // every chunk said its count
      {{2'000'000, 8'000'000}, {1, 0, 4}, 9, -1, 0},       // one did not: estimated from out
      {{4'000'000, 4'000'000}, {}, std::nullopt, -1, 0},   // out unknown: one token per chunk
      {{4'000'000, 6'000'000}, {}, std::nullopt, 9, 0},    // out from the client's count
      {{4'000'000, 6'000'000}, {}, 500, 5, 16},            // usage over max_tokens: rejected, client's 5
      {{}, {}, 1, -1, 0},                                  // one chunk: no ITL sample
  };
  std::vector<metrics::RequestRecord> records;
  ChunkLatencyPool pool;
  for (const Case& c : cases) {
    records.push_back(record_of(c));
    EXPECT_TRUE(pool.add(Parsed(line_of(c))));
  }
  const metrics::LoadPointSummary want = metrics::summarize(records, metrics::LoadSpec{}, metrics::Slo{});
  const ChunkLatencies got = pool.reduce();
  expect_same(got.itl_ms, want.latency.itl_ms);
  expect_same(got.inter_chunk_ms, want.latency.inter_chunk_ms);
  // Every sample is a point here (fewer than 400): the CDF ends at 1 with as many points.
  ASSERT_EQ(got.itl_cdf.size(), want.latency.itl_ms.count);
  EXPECT_EQ(got.itl_cdf.back().fraction, 1.0);
  EXPECT_EQ(got.inter_chunk_cdf.size(), want.latency.inter_chunk_ms.count);
  // The first case alone, by hand: 1 ms over 3 tokens, 3 ms over 3 tokens.
  ChunkLatencyPool one;
  ASSERT_TRUE(one.add(Parsed(line_of(cases[0]))));
  const ChunkLatencies first = one.reduce();
  EXPECT_EQ(first.itl_ms.count, 6u);
  EXPECT_DOUBLE_EQ(first.itl_ms.min, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(first.itl_ms.max, 1.0);
  EXPECT_EQ(first.inter_chunk_ms.count, 2u);

  // Past the run's --exact-samples both fold into the same histogram: still the summary's numbers.
  ChunkLatencyPool folded_pool(4);
  for (const Case& c : cases) EXPECT_TRUE(folded_pool.add(Parsed(line_of(c))));
  const metrics::LoadPointSummary folded_want = metrics::summarize(
      records, metrics::LoadSpec{}, metrics::Slo{}, {.exact_samples = 4, .in_flight_horizon = std::nullopt});
  const ChunkLatencies folded = folded_pool.reduce();
  ASSERT_GT(folded_want.latency.itl_ms.relative_error, 0.0);
  expect_same(folded.itl_ms, folded_want.latency.itl_ms);
  expect_same(folded.inter_chunk_ms, folded_want.latency.inter_chunk_ms);
  EXPECT_EQ(folded.itl_cdf.size(), folded_want.latency.itl_ms.count);
  EXPECT_EQ(folded.itl_cdf.front().value, folded_want.latency.itl_ms.min);
  EXPECT_EQ(folded.itl_cdf.back().value, folded_want.latency.itl_ms.max);
  for (std::size_t i = 1; i < folded.itl_cdf.size(); ++i)
    EXPECT_LE(folded.itl_cdf[i - 1].value, folded.itl_cdf[i].value);
}

TEST(ChunkLatencyPool, MalformedTimelinesAddNothing) {
  const json good = line_of({{1'000'000}, {}, 2, -1, 0});
  const auto with = [&](const char* key, json value) {
    json j = good;
    j[key] = std::move(value);
    return j;
  };
  ChunkLatencyPool pool;
  json absent = good;
  absent.erase("chunk_ns");
  EXPECT_FALSE(pool.add(Parsed(absent)));
  EXPECT_FALSE(pool.add(Parsed(with("chunk_ns", "1,2"))));
  EXPECT_FALSE(pool.add(Parsed(with("chunk_ns", json::array({1, 2.5})))));
  EXPECT_FALSE(pool.add(Parsed(with("chunk_ns", json::array({1, std::uint64_t{1} << 63})))));
  EXPECT_FALSE(pool.add(Parsed(with("chunk_ns", json::array({std::int64_t{1} << 61, std::int64_t{1} << 61})))));
  EXPECT_FALSE(pool.add(Parsed(with("chunk_tokens", json::array({1})))));
  EXPECT_FALSE(pool.add(Parsed(with("chunk_tokens", json::array({1, 1, 1})))));
  EXPECT_FALSE(pool.add(Parsed(with("chunk_tokens", json::array({1, -1})))));
  EXPECT_FALSE(pool.add(Parsed(with("chunk_tokens", json::array({1, std::int64_t{1} << 40})))));
  EXPECT_FALSE(pool.add(Parsed(with("chunk_tokens", "many"))));
  EXPECT_EQ(pool.reduce().itl_ms.count, 0u);
  // Hostile counts elsewhere fall back as the summary's would: unknown, one token per chunk.
  EXPECT_TRUE(pool.add(Parsed(with("completion_tokens", "lots"))));
  EXPECT_EQ(pool.reduce().itl_ms.count, 1u);
}

TEST(ChunkLatencyPool, ReadsOnlySuccessfulMeasuredRequestsOfEachLoadPoint) {
  const std::string pattern = (fs::temp_directory_path() / "inferbench-itl-XXXXXX").string();
  std::string dir = pattern;
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  const fs::path run = dir;
  std::string lines;
  const auto add = [&](int point, bool ok, bool warmup, json chunk_ns) {
    json j = line_of({{}, {}, 1, -1, 0});
    j["load_point"] = point;
    j["ok"] = ok;
    j["warmup"] = warmup;
    j["chunk_ns"] = std::move(chunk_ns);
    lines += j.dump() + "\n";
  };
  add(0, true, false, {5, 1'000'000});
  add(0, true, true, {5, 9'000'000});    // warm-up: not measured
  add(0, false, false, {5, 9'000'000});  // failed: no latency
  add(1, true, false, {5, 2'000'000, 4'000'000});
  add(1, true, false, "old");  // counted as without a timeline
  std::ofstream(run / "requests.jsonl") << lines;
  std::ofstream(run / "summary.json")
      << json{{"tool", "inferbench"}, {"runs", json::array({json::object(), json::object()})}}.dump();

  const ResultsDir read = read_results_dir(run);
  ASSERT_TRUE(read.requests);
  EXPECT_EQ(read.requests->no_timeline, 1u);
  ASSERT_EQ(read.requests->chunk_latencies.size(), 2u);
  EXPECT_EQ(read.requests->chunk_latencies.at(0).itl_ms.count, 1u);
  EXPECT_EQ(read.requests->chunk_latencies.at(0).itl_ms.max, 1.0);
  EXPECT_EQ(read.requests->chunk_latencies.at(1).inter_chunk_ms.count, 2u);

  const json data = report_data({read}, HtmlReportOptions{});
  const json& points = data["runs"][0]["points"];
  EXPECT_EQ(points[0]["cdf"]["itl_ms"], json::parse("[[1.0, 1.0]]"));
  EXPECT_EQ(points[1]["cdf"]["inter_chunk_ms"], json::parse("[[2.0, 0.5], [4.0, 1.0]]"));
  bool noted = false;
  for (const auto& note : data["runs"][0]["notes"])
    noted = noted || note.get<std::string>().find("chunk_ns") != std::string::npos;
  EXPECT_TRUE(noted);
  fs::remove_all(run);
}

// A key given twice counts by its last value, as the summary's reader (nlohmann) takes it:
// the report must not file a request under another load point, or read another timeline.
TEST(ReadRequestLines, ADuplicatedKeyCountsByItsLastValue) {
  const std::string pattern = (fs::temp_directory_path() / "inferbench-dup-XXXXXX").string();
  std::string dir = pattern;
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  const fs::path file = fs::path(dir) / "requests.jsonl";
  std::ofstream(file) << R"({"load_point":0,"ok":false,"chunk_ns":[5],"e2e_ms":"x","warmup":false,)"
                      << R"("chunk_ns":[5,1000000,3000000],"ok":true,"load_point":1,"e2e_ms":4.5})"
                      << "\n";
  const RequestLines read = read_request_lines(file);
  ASSERT_EQ(read.lines.size(), 1u);
  EXPECT_EQ(read.lines[0].load_point, 1u);
  EXPECT_TRUE(read.lines[0].ok);
  EXPECT_EQ(read.lines[0].e2e_ms, 4.5);
  ASSERT_EQ(read.chunk_latencies.count(1), 1u);
  EXPECT_EQ(read.chunk_latencies.at(1).inter_chunk_ms.count, 2u);
  EXPECT_EQ(read.chunk_latencies.at(1).inter_chunk_ms.max, 3.0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace inferbench::report
