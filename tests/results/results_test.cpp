// Raw records on disk, read back exactly: a real run against the built-in simulator over
// loopback HTTP is written as the app writes it, read back, and summarized again; every
// statistic equals the run's own summary.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

#include "loadgen/http_target.hpp"
#include "loadgen/runner.hpp"
#include "metrics/summary.hpp"
#include "report/json.hpp"
#include "results/reader.hpp"
#include "results/record_line.hpp"
#include "sim/server.hpp"
#include "summary_diff.hpp"
#include "workload/word_prompts.hpp"

namespace inferbench::results {
namespace {

using metrics::LoadSpec;

std::filesystem::path fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("inferbench-results-{}-{}", name, getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

struct WrittenRun {
  std::vector<metrics::RequestRecord> records;  // completion order, as the run held them
  metrics::LoadPointSummary summary;
  std::filesystem::path dir;
};

// Runs `plan` against the simulator, writing requests.jsonl line by line from the collector's
// thread (as ResultsWriter does) and summary.json at the end.
WrittenRun run_and_write(const loadgen::LoadPlan& plan, const metrics::Slo& slo, const std::string& name) {
  sim::SimOptions options;
  options.port = 0;
  options.ttft_ms = 15;
  options.itl_ms = 3;
  sim::SimServer server(options);
  server.start();
  loadgen::HttpTargetOptions target;
  target.client.url = http::Url::parse("http://127.0.0.1:" + std::to_string(server.port()));
  target.model = "inferbench-sim";
  const auto specs = workload::make_word_prompts(8, 24, 12, 11);
  const loadgen::HttpTargets targets(target, specs);

  WrittenRun run;
  run.dir = fresh_dir(name);
  const Anchor anchor = Anchor::now();
  std::ofstream requests(run.dir / "requests.jsonl", std::ios::binary);
  loadgen::RunHooks hooks;
  hooks.on_record = [&](const metrics::RequestRecord& r) {
    // As ResultsWriter writes it; the text must be the JSON line's dump.
    std::string text;
    append_request_line(text, r, 0, anchor);
    EXPECT_EQ(text, report::to_text(request_line(r, 0, anchor)));
    requests << text << '\n';
  };
  loadgen::LoadResult result = loadgen::run_load(targets, specs, plan, hooks);
  requests.close();
  server.stop();
  run.records = std::move(result.records);
  run.summary = metrics::summarize(run.records, plan.load, slo);
  nlohmann::json summary = {
      {"tool", "inferbench"}, {"clock", to_json(anchor)}, {"runs", {report::to_json(run.summary)}}};
  std::ofstream(run.dir / "summary.json") << summary.dump(2);
  return run;
}

// append_request_line writes the line without building its JSON: it must give the JSON line's
// dump byte for byte, whatever the record holds.
TEST(RequestLineText, IsTheJsonLinesDump) {
  const Anchor anchor = Anchor::now();
  metrics::RequestRecord base;
  base.id = 7;
  base.scheduled = anchor.steady + std::chrono::milliseconds(3);
  base.done = base.scheduled + std::chrono::seconds(2);
  std::vector<metrics::RequestRecord> records;
  records.push_back(base);  // never sent, no chunk
  metrics::RequestRecord sent = base;
  sent.sent = base.scheduled + std::chrono::microseconds(40);
  sent.headers = *sent.sent + std::chrono::milliseconds(20);
  for (int k = 0; k < 1000; ++k) sent.chunks.push_back({*sent.sent + std::chrono::microseconds(20'000 + 5'003 * k), 0});
  records.push_back(sent);  // no token counts: "chunk_tokens" is null
  metrics::RequestRecord counted = sent;
  for (auto& c : counted.chunks) c.tokens = 3;
  counted.chunks.back().tokens = std::numeric_limits<std::uint32_t>::max();
  records.push_back(counted);
  metrics::RequestRecord early = sent;
  early.chunks.front().t = base.scheduled - std::chrono::seconds(1);  // a negative delta
  records.push_back(early);
  // A server's error text that repeats the placeholder the formatting replaces: it stays as it is.
  metrics::RequestRecord hostile = sent;
  hostile.failure = metrics::Failure::StreamError;
  hostile.error_detail = R"("chunk_ns":0,"chunk_tokens":0 {"chunk_ns":0,"chunk_tokens":0})";
  records.push_back(hostile);
  // Every field set, a usage the server lied in, and an error text that is not UTF-8.
  metrics::RequestRecord full = counted;
  full.warmup = true;
  full.retried = true;
  full.http_status = 200;
  full.events = 1003;
  full.max_tokens = 10;
  full.usage = {.prompt_tokens = 12, .completion_tokens = 5000, .cached_tokens = 3};
  full.client_prompt_tokens = 12;
  full.client_output_tokens = 999;
  records.push_back(full);
  metrics::RequestRecord garbled = full;
  garbled.failure = metrics::Failure::HttpStatus;
  garbled.http_status = 503;
  garbled.error_detail = "caf\xe9 \"quoted\" \\ \x01\t\n\xff\xfe end";
  records.push_back(garbled);
  // Times from one nanosecond to days: the doubles span fixed and exponent notation.
  std::mt19937_64 random(42);
  for (int n = 0; n < 2000; ++n) {
    metrics::RequestRecord r;
    r.id = random() >> 1;  // ids above int64 are refused when read back
    const auto pick = [&](std::int64_t max_ns) {
      return std::chrono::nanoseconds(static_cast<std::int64_t>(random() % static_cast<std::uint64_t>(max_ns)));
    };
    const std::int64_t scale = std::int64_t{1} << (random() % 50);  // 1 ns to ~13 days
    r.scheduled = anchor.steady + pick(scale + 1);
    if (random() % 4 != 0) {
      r.sent = r.scheduled + pick(scale + 1);
      TimePoint t = *r.sent + pick(scale + 1);
      if (random() % 2 == 0) r.headers = t;
      const auto chunks = random() % 5;
      for (std::uint64_t k = 0; k < chunks; ++k) {
        t += pick(scale + 1);
        r.chunks.push_back({t, static_cast<std::uint32_t>(random() % 3)});
      }
      r.done = t + pick(scale + 1);
    } else {
      r.done = r.scheduled + pick(scale + 1);
    }
    if (random() % 3 == 0) r.usage.prompt_tokens = static_cast<std::int64_t>(random() % 100'000) - 10;
    if (random() % 3 == 0) r.usage.completion_tokens = static_cast<std::int64_t>(random() % 5'000);
    if (random() % 5 == 0) r.usage.cached_tokens = static_cast<std::int64_t>(random() % 50);
    r.max_tokens = static_cast<std::int64_t>(random() % 3'000);
    if (random() % 2 == 0) r.client_output_tokens = static_cast<std::int64_t>(random() % 3'000);
    if (random() % 6 == 0) {
      r.failure = metrics::Failure::TimeoutRequest;
      r.error_detail = "no data before the deadline";
    }
    records.push_back(r);
  }
  for (std::size_t i = 0; i < records.size(); ++i) {
    SCOPED_TRACE(fmt::format("record {}", i));
    std::string text = "earlier text\n";  // appended to, not replaced
    append_request_line(text, records[i], 2, anchor);
    ASSERT_TRUE(text.starts_with("earlier text\n"));
    text.erase(0, std::string_view("earlier text\n").size());
    EXPECT_EQ(text, report::to_text(request_line(records[i], 2, anchor)));
    const auto back = parse_record(nlohmann::json::parse(text), anchor.steady);
    EXPECT_EQ(back.chunks.size(), records[i].chunks.size());
  }
}

void expect_same_record(const metrics::RequestRecord& a, const metrics::RequestRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.warmup, b.warmup);
  EXPECT_EQ(a.scheduled, b.scheduled);
  EXPECT_EQ(a.sent, b.sent);
  EXPECT_EQ(a.headers, b.headers);
  EXPECT_EQ(a.done, b.done);
  ASSERT_EQ(a.chunks.size(), b.chunks.size());
  for (std::size_t k = 0; k < a.chunks.size(); ++k) {
    EXPECT_EQ(a.chunks[k].t, b.chunks[k].t) << "chunk " << k;
    EXPECT_EQ(a.chunks[k].tokens, b.chunks[k].tokens) << "chunk " << k;
  }
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.retried, b.retried);
  EXPECT_EQ(a.http_status, b.http_status);
  EXPECT_EQ(a.failure, b.failure);
  EXPECT_EQ(a.usage.prompt_tokens, b.usage.prompt_tokens);
  EXPECT_EQ(a.usage.completion_tokens, b.usage.completion_tokens);
  EXPECT_EQ(a.usage.cached_tokens, b.usage.cached_tokens);
  EXPECT_EQ(a.client_prompt_tokens, b.client_prompt_tokens);
  EXPECT_EQ(a.client_output_tokens, b.client_output_tokens);
  EXPECT_EQ(a.max_tokens, b.max_tokens);
}

void check_round_trip(const WrittenRun& run) {
  const Results back = read_results(run.dir);
  ASSERT_EQ(back.points.size(), 1u);
  const LoadPointRecords& point = back.points[0];
  ASSERT_EQ(point.records.size(), run.records.size());
  for (std::size_t i = 0; i < run.records.size(); ++i) {
    SCOPED_TRACE(fmt::format("record {}", i));
    expect_same_record(run.records[i], point.records[i]);
  }
  EXPECT_EQ(report::to_json(metrics::summarize({}, point.load, {}))["load"], report::to_json(run.summary)["load"]);
  const auto again = metrics::summarize(point.records, point.load, point.slo);
  EXPECT_GT(test::expect_same_summary(run.summary, again), 60u);
  // Placed elsewhere on the clock (as a merge does), the records give the same statistics.
  const Results moved = read_results(run.dir, TimePoint{} + std::chrono::hours(1000));
  test::expect_same_summary(run.summary, metrics::summarize(moved.points[0].records, point.load, point.slo));
}

TEST(ResultsRoundTrip, ClosedLoopRunReadBackGivesEveryStatisticExactly) {
  loadgen::LoadPlan plan;
  plan.load = {LoadSpec::Mode::Closed, 4, 0.0, "", 1.0};
  plan.num_requests = 24;
  plan.warmup = 2;
  plan.workers = 2;
  metrics::Slo slo;
  slo.ttft_ms = 18;
  slo.itl_ms = 10;
  const WrittenRun run = run_and_write(plan, slo, "closed");
  ASSERT_EQ(run.records.size(), 26u);
  ASSERT_EQ(run.summary.requests.completed, 24u);
  check_round_trip(run);
}

TEST(ResultsRoundTrip, OpenLoopRunReadBackGivesEveryStatisticExactly) {
  loadgen::LoadPlan plan;
  plan.load = {LoadSpec::Mode::Open, 0, 200.0, "poisson", 1.0};
  plan.num_requests = 30;
  std::mt19937_64 rng(5);
  std::exponential_distribution<double> gap(200.0);
  Duration t{};
  for (int i = 0; i < 30; ++i) {
    plan.offsets.push_back(t);
    t += from_s(gap(rng));
  }
  const WrittenRun run = run_and_write(plan, {}, "open");
  ASSERT_EQ(run.summary.requests.completed, 30u);
  check_round_trip(run);
}

TEST(ResultsRoundTrip, SummaryDoesNotDependOnTheRecordsOrder) {
  loadgen::LoadPlan plan;
  plan.load = {LoadSpec::Mode::Closed, 3, 0.0, "", 1.0};
  plan.num_requests = 15;
  const WrittenRun run = run_and_write(plan, {}, "order");
  auto shuffled = run.records;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937_64(3));
  std::reverse(shuffled.begin(), shuffled.end());
  test::expect_same_summary(run.summary, metrics::summarize(shuffled, plan.load, {}));
}

}  // namespace
}  // namespace inferbench::results
