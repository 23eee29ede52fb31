#include <gtest/gtest.h>

#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "../metrics/timeline.hpp"
#include "metrics/request_metrics.hpp"
#include "metrics/summary.hpp"
#include "report/csv.hpp"
#include "report/json.hpp"
#include "report/table.hpp"

namespace inferbench::report {
namespace {

using metrics::Failure;
using metrics::LoadPointSummary;
using metrics::LoadSpec;
using metrics::RequestRecord;
using metrics::Slo;
using metrics::testing::at;
using metrics::testing::failure;
using metrics::testing::request;
using nlohmann::json;

// Three successes with TTFT 100, 200, 300 ms (E2E 140, 250, 300), two http_429
// and one http_500; window 1000 → 2100 ms. r1 carries cached tokens; r3 only
// client counts.
std::vector<RequestRecord> records() {
  std::vector<RequestRecord> v;
  RequestRecord r1 = request(1000, {{1100, 0}, {1120, 0}, {1140, 0}}, 1150);
  r1.usage.prompt_tokens = 100;
  r1.usage.completion_tokens = 3;
  r1.usage.cached_tokens = 40;
  v.push_back(r1);
  RequestRecord r2 = request(1050, {{1250, 0}, {1300, 0}}, 1310);
  r2.usage.prompt_tokens = 200;
  r2.usage.completion_tokens = 5;
  v.push_back(r2);
  RequestRecord r3 = request(1100, {{1400, 0}}, 1400);
  r3.client_prompt_tokens = 50;
  r3.client_output_tokens = 1;
  v.push_back(r3);
  v.push_back(failure(1200, 2100, Failure::HttpStatus, 500));
  v.push_back(failure(1300, 1350, Failure::HttpStatus, 429));
  v.push_back(failure(1320, 1330, Failure::HttpStatus, 429));
  return v;
}

LoadSpec closed(int n) {
  LoadSpec l;
  l.concurrency = n;
  return l;
}

LoadSpec open(double rate, const char *arrival, int cap = 0) {
  LoadSpec l;
  l.mode = LoadSpec::Mode::Open;
  l.rate = rate;
  l.arrival = arrival;
  l.concurrency = cap;
  return l;
}

LoadPointSummary open_summary() {
  std::vector<RequestRecord> v;
  const double sched[] = {0, 100, 200};
  const double sent[] = {2, 105, 230};
  for (int i = 0; i < 3; ++i) {
    RequestRecord r =
        request(sent[i], {{sent[i] + 20, 0}, {sent[i] + 30, 0}}, sent[i] + 30);
    r.scheduled = at(sched[i]);
    r.usage.completion_tokens = 2;
    v.push_back(r);
  }
  return metrics::summarize(v, open(10, "poisson"), Slo{});
}

TEST(ToJson, ClosedLoopHasEveryKeyAndNumbers) {
  const json j = to_json(metrics::summarize(records(), closed(4), Slo{}));
  for (const char *key : {"load", "interrupted", "requests", "duration_s",
                          "throughput", "tokens", "latency", "concurrency"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_FALSE(j.contains("rate"));
  EXPECT_FALSE(j.contains("goodput"));
  EXPECT_EQ(j["load"]["mode"], "closed");
  EXPECT_EQ(j["load"]["concurrency"], 4);
  EXPECT_TRUE(j["load"]["rate"].is_null());
  EXPECT_EQ(j["interrupted"], false);
  EXPECT_EQ(j["requests"]["completed"], 3);
  EXPECT_EQ(j["requests"]["failed"], 3);
  EXPECT_DOUBLE_EQ(j["requests"]["failure_rate"].get<double>(), 0.5);
  EXPECT_EQ(j["requests"]["warmup"], 0);
  EXPECT_EQ(j["requests"]["failures"],
            (json{{"http_429", 2}, {"http_500", 1}}));
  EXPECT_DOUBLE_EQ(j["duration_s"].get<double>(), 1.1);
  EXPECT_DOUBLE_EQ(j["throughput"]["requests_per_s"].get<double>(), 3 / 1.1);
  EXPECT_DOUBLE_EQ(j["throughput"]["total_tokens_per_s"].get<double>(),
                   359 / 1.1);
  EXPECT_EQ(j["tokens"]["input"], 350);
  EXPECT_EQ(j["tokens"]["output"], 9);
  EXPECT_EQ(j["tokens"]["cached"], 40);
  EXPECT_EQ(j["tokens"]["output_from_client"], 1);
  for (const char *m : {"ttft_ms", "tpot_ms", "itl_ms", "inter_chunk_ms",
                        "e2e_ms", "ntpot_ms"}) {
    ASSERT_TRUE(j["latency"].contains(m)) << m;
    for (const char *stat : {"count", "mean", "std", "min", "p50", "p90", "p95",
                             "p99", "p99_9", "max"}) {
      EXPECT_TRUE(j["latency"][m].contains(stat)) << m << "." << stat;
    }
  }
  EXPECT_FALSE(j["latency"].contains("schedule_lag_ms"));
  EXPECT_EQ(j["latency"]["ttft_ms"]["count"], 3);
  EXPECT_DOUBLE_EQ(j["latency"]["ttft_ms"]["p90"].get<double>(), 280.0);
  EXPECT_DOUBLE_EQ(j["concurrency"]["max"].get<double>(), 4.0);
}

TEST(ToJson, NaNBecomesNull) {
  const json j = to_json(metrics::summarize({}, closed(2), Slo{}));
  EXPECT_TRUE(j["duration_s"].is_null());
  EXPECT_TRUE(j["requests"]["failure_rate"].is_null());
  EXPECT_TRUE(j["throughput"]["requests_per_s"].is_null());
  EXPECT_TRUE(j["concurrency"]["mean"].is_null());
  EXPECT_TRUE(
      j["tokens"]["cached"].is_null()); // no request reported cached tokens
  EXPECT_EQ(j["latency"]["ttft_ms"]["count"], 0);
  for (const char *stat :
       {"mean", "std", "min", "p50", "p90", "p95", "p99", "p99_9", "max"}) {
    EXPECT_TRUE(j["latency"]["ttft_ms"][stat].is_null()) << stat;
  }
  EXPECT_EQ(j.dump().find("nan"), std::string::npos);
  EXPECT_TRUE(
      number_or_null(std::numeric_limits<double>::infinity()).is_null());
  EXPECT_TRUE(
      number_or_null(std::numeric_limits<double>::quiet_NaN()).is_null());
  EXPECT_EQ(number_or_null(2.5), 2.5);
}

TEST(ToJson, OpenLoopAddsRateAndScheduleMetrics) {
  const json j = to_json(open_summary());
  EXPECT_EQ(j["load"]["mode"], "open");
  EXPECT_TRUE(j["load"]["concurrency"].is_null()); // no cap
  EXPECT_EQ(j["load"]["rate"], 10.0);
  EXPECT_EQ(j["load"]["arrival"], "poisson");
  ASSERT_TRUE(j.contains("rate"));
  EXPECT_EQ(j["rate"]["requested"], 10.0);
  EXPECT_NEAR(j["rate"]["achieved"].get<double>(), 2 / 0.228,
              1e-9); // (3 − 1) / (230 − 2 ms)
  for (const char *m :
       {"ttft_from_sched_ms", "e2e_from_sched_ms", "schedule_lag_ms"}) {
    EXPECT_TRUE(j["latency"].contains(m)) << m;
  }
  EXPECT_DOUBLE_EQ(j["latency"]["schedule_lag_ms"]["max"].get<double>(), 30.0);
}

TEST(ToJson, GoodputWhenSlosAreGiven) {
  Slo slo;
  slo.ttft_ms = 250;
  slo.e2e_ms = 280;
  const json j = to_json(metrics::summarize(records(), closed(4), slo));
  ASSERT_TRUE(j.contains("goodput"));
  EXPECT_EQ(j["goodput"]["slo"], (json{{"ttft_ms", 250.0}, {"e2e_ms", 280.0}}));
  EXPECT_EQ(j["goodput"]["good"], 2);
  EXPECT_DOUBLE_EQ(j["goodput"]["requests_per_s"].get<double>(), 2 / 1.1);
  EXPECT_DOUBLE_EQ(j["goodput"]["slo_attainment"].get<double>(), 2.0 / 6.0);
  EXPECT_DOUBLE_EQ(j["goodput"]["attainment"]["ttft_ms"].get<double>(),
                   2.0 / 6.0);
}

TEST(RequestLine, SuccessfulRequestWithUsage) {
  RequestRecord r = request(0, {{50, 0}, {70, 0}, {110, 0}}, 112);
  r.id = 42;
  r.usage.prompt_tokens = 12;
  r.usage.completion_tokens = 6;
  r.client_prompt_tokens = 11;
  const json j = request_line(r, metrics::derive(r));
  EXPECT_EQ(j["id"], 42);
  EXPECT_EQ(j["ok"], true);
  EXPECT_TRUE(j["error"].is_null());
  EXPECT_TRUE(j["error_detail"].is_null());
  EXPECT_EQ(j["http_status"], 200);
  EXPECT_EQ(j["prompt_tokens"], 12);
  EXPECT_EQ(j["completion_tokens"], 6);
  EXPECT_TRUE(j["cached_tokens"].is_null());
  EXPECT_EQ(j["client_prompt_tokens"], 11);
  EXPECT_EQ(j["input_tokens"], 12);
  EXPECT_EQ(j["output_tokens"], 6);
  EXPECT_EQ(j["output_tokens_source"], "usage");
  EXPECT_EQ(j["chunks"], 3);
  EXPECT_DOUBLE_EQ(j["ttft_ms"].get<double>(), 50.0);
  EXPECT_DOUBLE_EQ(j["tpot_ms"].get<double>(), 12.0);
  EXPECT_DOUBLE_EQ(j["e2e_ms"].get<double>(), 110.0);
  EXPECT_DOUBLE_EQ(j["ntpot_ms"].get<double>(), 110.0 / 6.0);
  EXPECT_DOUBLE_EQ(j["schedule_lag_ms"].get<double>(), 0.0);
  EXPECT_EQ(j["warmup"], false);
}

TEST(RequestLine, FailedRequestHasNulls) {
  RequestRecord r = failure(0, 30, Failure::HttpStatus, 429);
  r.error_detail = "rate limited";
  r.warmup = true;
  const json j = request_line(r, metrics::derive(r));
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["error"], "http_429");
  EXPECT_EQ(j["error_detail"], "rate limited");
  EXPECT_EQ(j["http_status"], 429);
  for (const char *k : {"prompt_tokens", "completion_tokens", "cached_tokens",
                        "input_tokens", "output_tokens", "output_tokens_source",
                        "ttft_ms", "tpot_ms", "e2e_ms", "ntpot_ms"}) {
    EXPECT_TRUE(j[k].is_null()) << k;
  }
  EXPECT_EQ(j["chunks"], 0);
  EXPECT_EQ(j["warmup"], true);
  const RequestRecord none = failure(0, 5, Failure::ConnectFailed);
  EXPECT_TRUE(
      request_line(none, metrics::derive(none))["http_status"].is_null());
}

TEST(RequestLine, ClientCountedOutput) {
  RequestRecord r = request(0, {{10, 0}}, 10);
  r.client_output_tokens = 1;
  const json j = request_line(r, metrics::derive(r));
  EXPECT_EQ(j["output_tokens_source"], "client");
  EXPECT_TRUE(j["completion_tokens"].is_null());
  EXPECT_EQ(j["output_tokens"], 1);
}

// The line of `table` whose first word is `first` (empty if none).
std::string row(const std::string &table, const std::string &first) {
  std::istringstream lines(table);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream in(line);
    std::string w;
    if (in >> w && w == first)
      return line;
  }
  return {};
}

std::vector<std::string> words(const std::string &line) {
  std::istringstream in(line);
  std::vector<std::string> v;
  for (std::string w; in >> w;)
    v.push_back(w);
  return v;
}

TEST(Table, ShowsTheNumbers) {
  Slo slo;
  slo.ttft_ms = 250;
  const std::string t =
      format_table(metrics::summarize(records(), closed(4), slo));
  EXPECT_EQ(t.rfind("concurrency 4\n", 0), 0u) << t;
  EXPECT_NE(t.find("completed    3"), std::string::npos) << t;
  EXPECT_NE(t.find("3 (50.0%: http_429 x2, http_500 x1)"), std::string::npos)
      << t;
  EXPECT_NE(t.find("1.10 s"), std::string::npos) << t;
  EXPECT_NE(t.find("2.73"), std::string::npos) << t;  // 3 / 1.1 req/s
  EXPECT_NE(t.find("318.2"), std::string::npos) << t; // 350 / 1.1 in tok/s
  EXPECT_NE(t.find("8.2"), std::string::npos) << t;   // 9 / 1.1 out tok/s
  // TTFT row: mean 200, p50 200, p90 280, p99 298 (index 1.98 → 200 +
  // 0.98·100), max 300, n 3.
  EXPECT_EQ(words(row(t, "TTFT")),
            (std::vector<std::string>{"TTFT", "200.00", "200.00", "280.00",
                                      "298.00", "300.00", "3"}));
  // E2E {140, 250, 300}: mean 230, p90 index 1.8 → 290.
  EXPECT_EQ(words(row(t, "E2E")),
            (std::vector<std::string>{"E2E", "230.00", "250.00", "290.00",
                                      "299.00", "300.00", "3"}));
  EXPECT_NE(t.find("1.82 req/s, SLO attainment 33.3% (ttft_ms 33.3%)"),
            std::string::npos)
      << t;
  EXPECT_EQ(t.find("schedule lag"), std::string::npos);
  // Aligned: every latency row has the same length.
  std::istringstream lines(t);
  std::string line;
  std::size_t width = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("  TTFT", 0) == 0 || line.rfind("  E2E", 0) == 0) {
      if (width == 0)
        width = line.size();
      EXPECT_EQ(line.size(), width) << line;
    }
  }
  EXPECT_GT(width, 0u);
}

TEST(Table, OpenLoopShowsRateAndLag) {
  const std::string t = format_table(open_summary());
  EXPECT_EQ(t.rfind("rate 10/s poisson\n", 0), 0u) << t;
  EXPECT_NE(t.find("achieved 8.77/s of requested 10.00/s"), std::string::npos)
      << t;
  EXPECT_NE(t.find("schedule lag"), std::string::npos) << t;
  EXPECT_NE(t.find("30.00"), std::string::npos) << t; // max lag
}

TEST(Table, LoadLabels) {
  EXPECT_EQ(load_label(closed(8)), "concurrency 8");
  EXPECT_EQ(load_label(open(2.5, "constant", 16)),
            "rate 2.5/s constant, cap 16");
  LoadSpec g = open(5, "gamma");
  g.burstiness = 0.5;
  EXPECT_EQ(load_label(g), "rate 5/s gamma(0.5)");
}

TEST(SweepTable, OneLinePerLoadPoint) {
  const std::vector<LoadPointSummary> points{
      metrics::summarize(records(), closed(4), Slo{}), open_summary()};
  const std::string t = format_sweep_table(points);
  std::istringstream lines(t);
  std::vector<std::string> v;
  for (std::string line; std::getline(lines, line);)
    v.push_back(line);
  ASSERT_EQ(v.size(), 3u) << t;
  EXPECT_NE(v[0].find("TTFT p99"), std::string::npos);
  EXPECT_EQ(v[1].rfind("concurrency 4", 0), 0u);
  EXPECT_NE(v[1].find("200.00"), std::string::npos); // TTFT p50
  EXPECT_NE(v[1].find("298.00"), std::string::npos); // TTFT p99
  EXPECT_NE(v[1].find("3 (50.0%)"), std::string::npos);
  EXPECT_EQ(v[2].rfind("rate 10/s poisson", 0), 0u);
  EXPECT_NE(v[2].find("10.00"),
            std::string::npos); // TPOT p50: 10 ms between 2 tokens
}

TEST(Csv, OneRowPerPointWithFlattenedColumns) {
  const std::vector<LoadPointSummary> points{
      metrics::summarize(records(), closed(4), Slo{}), open_summary()};
  const std::string csv = to_csv(points);
  std::istringstream lines(csv);
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> cells;
    std::string cell;
    std::istringstream in(line);
    while (std::getline(in, cell, ','))
      cells.push_back(cell);
    if (!line.empty() && line.back() == ',')
      cells.emplace_back();
    rows.push_back(cells);
  }
  ASSERT_EQ(rows.size(), 3u);
  const auto col = [&](const std::string &name) {
    for (std::size_t i = 0; i < rows[0].size(); ++i) {
      if (rows[0][i] == name)
        return i;
    }
    ADD_FAILURE() << "no column " << name;
    return std::size_t{0};
  };
  EXPECT_EQ(rows[1].size(), rows[0].size());
  EXPECT_EQ(rows[2].size(), rows[0].size());
  EXPECT_EQ(rows[1][col("mode")], "closed");
  EXPECT_EQ(rows[1][col("ttft_ms_p50")], "200");
  EXPECT_EQ(rows[1][col("ttft_ms_p90")], "280");
  EXPECT_EQ(rows[1][col("failures")], "http_429:2;http_500:1");
  EXPECT_EQ(rows[1][col("completed")], "3");
  EXPECT_EQ(rows[1][col("rate_achieved")], ""); // closed loop: not applicable
  EXPECT_EQ(rows[1][col("schedule_lag_ms_max")],
            ""); // closed loop: not applicable
  EXPECT_EQ(rows[2][col("mode")], "open");
  EXPECT_EQ(rows[2][col("schedule_lag_ms_max")], "30");
  EXPECT_EQ(rows[2][col("tpot_ms_p50")], "10");
  EXPECT_EQ(rows[2][col("failure_rate")], "0");
}

} // namespace
} // namespace inferbench::report
