#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "../metrics/fixtures.hpp"
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
using metrics::testing::closed_loop_records;
using metrics::testing::failure;
using metrics::testing::request;
using nlohmann::json;

// closed_loop_closed_loop_records(): the load point of tests/metrics/fixtures.hpp (a warm-up, three
// successes with TTFT 100, 200, 300 ms, two http_429 and one http_500; window 1000 → 2100 ms).

LoadSpec closed(int n) {
  LoadSpec l;
  l.concurrency = n;
  return l;
}

LoadSpec open(double rate, const char* arrival, int cap = 0) {
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
    RequestRecord r = request(sent[i], {{sent[i] + 20, 0}, {sent[i] + 30, 0}}, sent[i] + 30);
    r.scheduled = at(sched[i]);
    r.usage.completion_tokens = 2;
    v.push_back(r);
  }
  return metrics::summarize(v, open(10, "poisson"), Slo{});
}

// The JSON pointers of every number in `j` that is NaN or infinite (nlohmann::json would dump
// them as null, so the text cannot tell them from a real null).
std::vector<std::string> non_finite_numbers(const json& j, const std::string& path = "") {
  std::vector<std::string> out;
  if (j.is_number_float() && !std::isfinite(j.get<double>())) out.push_back(path);
  if (j.is_structured()) {
    for (const auto& item : j.items()) {
      for (auto& p : non_finite_numbers(item.value(), path + "/" + item.key())) out.push_back(std::move(p));
    }
  }
  return out;
}

TEST(ToJson, ClosedLoopHasEveryKeyAndNumbers) {
  const json j = to_json(metrics::summarize(closed_loop_records(), closed(4), Slo{}));
  for (const char* key :
       {"load", "interrupted", "requests", "duration_s", "throughput", "tokens", "latency", "concurrency"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_FALSE(j.contains("rate"));
  EXPECT_FALSE(j.contains("goodput"));
  EXPECT_EQ(j.at("load").at("mode"), "closed");
  EXPECT_EQ(j.at("load").at("concurrency"), 4);
  EXPECT_TRUE(j.at("load").at("rate").is_null());
  EXPECT_EQ(j.at("interrupted"), false);
  EXPECT_EQ(j.at("requests").at("completed"), 3);
  EXPECT_EQ(j.at("requests").at("failed"), 3);
  EXPECT_DOUBLE_EQ(j.at("requests").at("failure_rate").get<double>(), 0.5);
  EXPECT_EQ(j.at("requests").at("warmup"), 1);  // excluded from every number below
  EXPECT_EQ(j.at("requests").at("failures"), (json{{"http_429", 2}, {"http_500", 1}}));
  EXPECT_DOUBLE_EQ(j.at("duration_s").get<double>(), 1.1);
  EXPECT_DOUBLE_EQ(j.at("throughput").at("requests_per_s").get<double>(), 3 / 1.1);
  EXPECT_DOUBLE_EQ(j.at("throughput").at("total_tokens_per_s").get<double>(), 359 / 1.1);
  EXPECT_EQ(j.at("tokens").at("input"), 350);
  EXPECT_EQ(j.at("tokens").at("output"), 9);
  EXPECT_EQ(j.at("tokens").at("cached"), 40);
  EXPECT_EQ(j.at("tokens").at("output_from_client"), 1);
  for (const char* m : {"ttft_ms", "tpot_ms", "itl_ms", "inter_chunk_ms", "e2e_ms", "ntpot_ms"}) {
    ASSERT_TRUE(j.at("latency").contains(m)) << m;
    for (const char* stat : {"count", "mean", "std", "min", "p50", "p90", "p95", "p99", "p99_9", "max"}) {
      EXPECT_TRUE(j.at("latency").at(m).contains(stat)) << m << "." << stat;
    }
  }
  EXPECT_FALSE(j.at("latency").contains("schedule_lag_ms"));
  EXPECT_EQ(j.at("latency").at("ttft_ms").at("count"), 3);
  EXPECT_DOUBLE_EQ(j.at("latency").at("ttft_ms").at("p90").get<double>(), 280.0);
  EXPECT_DOUBLE_EQ(j.at("concurrency").at("max").get<double>(), 4.0);
}

TEST(ToJson, NaNBecomesNull) {
  const json j = to_json(metrics::summarize({}, closed(2), Slo{}));
  EXPECT_TRUE(j.at("duration_s").is_null());
  EXPECT_TRUE(j.at("requests").at("failure_rate").is_null());
  EXPECT_TRUE(j.at("throughput").at("requests_per_s").is_null());
  EXPECT_TRUE(j.at("concurrency").at("mean").is_null());
  EXPECT_TRUE(j.at("tokens").at("cached").is_null());  // no request reported cached tokens
  EXPECT_EQ(j.at("latency").at("ttft_ms").at("count"), 0);
  for (const char* stat : {"mean", "std", "min", "p50", "p90", "p95", "p99", "p99_9", "max"}) {
    EXPECT_TRUE(j.at("latency").at("ttft_ms").at(stat).is_null()) << stat;
  }
  // dump() would print a NaN as null too: look at the values themselves.
  EXPECT_EQ(non_finite_numbers(j), std::vector<std::string>{}) << j.dump();
  EXPECT_TRUE(number_or_null(std::numeric_limits<double>::infinity()).is_null());
  EXPECT_TRUE(number_or_null(std::numeric_limits<double>::quiet_NaN()).is_null());
  EXPECT_EQ(number_or_null(2.5), 2.5);
}

TEST(ToJson, OpenLoopAddsRateAndScheduleMetrics) {
  const json j = to_json(open_summary());
  EXPECT_EQ(j.at("load").at("mode"), "open");
  EXPECT_TRUE(j.at("load").at("concurrency").is_null());  // no cap
  EXPECT_EQ(j.at("load").at("rate"), 10.0);
  EXPECT_EQ(j.at("load").at("arrival"), "poisson");
  ASSERT_TRUE(j.contains("rate"));
  EXPECT_EQ(j.at("rate").at("requested"), 10.0);
  EXPECT_NEAR(j.at("rate").at("achieved").get<double>(), 2 / 0.228, 1e-9);  // (3 − 1) / (230 − 2 ms)
  for (const char* m : {"ttft_from_sched_ms", "e2e_from_sched_ms", "schedule_lag_ms"}) {
    EXPECT_TRUE(j.at("latency").contains(m)) << m;
  }
  EXPECT_DOUBLE_EQ(j.at("latency").at("schedule_lag_ms").at("max").get<double>(), 30.0);
}

TEST(ToJson, GoodputWhenSlosAreGiven) {
  Slo slo;
  slo.ttft_ms = 250;
  slo.e2e_ms = 280;
  const json j = to_json(metrics::summarize(closed_loop_records(), closed(4), slo));
  ASSERT_TRUE(j.contains("goodput"));
  EXPECT_EQ(j.at("goodput").at("slo"), (json{{"ttft_ms", 250.0}, {"e2e_ms", 280.0}}));
  EXPECT_EQ(j.at("goodput").at("good"), 2);
  EXPECT_DOUBLE_EQ(j.at("goodput").at("requests_per_s").get<double>(), 2 / 1.1);
  EXPECT_DOUBLE_EQ(j.at("goodput").at("slo_attainment").get<double>(), 2.0 / 6.0);
  EXPECT_DOUBLE_EQ(j.at("goodput").at("attainment").at("ttft_ms").get<double>(), 2.0 / 6.0);
}

TEST(RequestLine, SuccessfulRequestWithUsage) {
  RequestRecord r = request(0, {{50, 0}, {70, 0}, {110, 0}}, 112);
  r.id = 42;
  r.usage.prompt_tokens = 12;
  r.usage.completion_tokens = 6;
  r.client_prompt_tokens = 11;
  const json j = request_line(r, metrics::derive(r));
  EXPECT_EQ(j.at("id"), 42);
  EXPECT_EQ(j.at("ok"), true);
  EXPECT_TRUE(j.at("error").is_null());
  EXPECT_TRUE(j.at("error_detail").is_null());
  EXPECT_EQ(j.at("http_status"), 200);
  EXPECT_EQ(j.at("prompt_tokens"), 12);
  EXPECT_EQ(j.at("completion_tokens"), 6);
  EXPECT_TRUE(j.at("cached_tokens").is_null());
  EXPECT_EQ(j.at("client_prompt_tokens"), 11);
  EXPECT_EQ(j.at("input_tokens"), 12);
  EXPECT_EQ(j.at("output_tokens"), 6);
  EXPECT_EQ(j.at("output_tokens_source"), "usage");
  EXPECT_EQ(j.at("chunks"), 3);
  EXPECT_DOUBLE_EQ(j.at("ttft_ms").get<double>(), 50.0);
  EXPECT_DOUBLE_EQ(j.at("tpot_ms").get<double>(), 12.0);
  EXPECT_DOUBLE_EQ(j.at("e2e_ms").get<double>(), 110.0);
  EXPECT_DOUBLE_EQ(j.at("ntpot_ms").get<double>(), 110.0 / 6.0);
  EXPECT_DOUBLE_EQ(j.at("schedule_lag_ms").get<double>(), 0.0);
  EXPECT_EQ(j.at("warmup"), false);
}

TEST(RequestLine, FailedRequestHasNulls) {
  RequestRecord r = failure(0, 30, Failure::HttpStatus, 429);
  r.error_detail = "rate limited";
  r.warmup = true;
  const json j = request_line(r, metrics::derive(r));
  EXPECT_EQ(j.at("ok"), false);
  EXPECT_EQ(j.at("error"), "http_429");
  EXPECT_EQ(j.at("error_detail"), "rate limited");
  EXPECT_EQ(j.at("http_status"), 429);
  for (const char* k : {"prompt_tokens", "completion_tokens", "cached_tokens", "input_tokens", "output_tokens",
                        "output_tokens_source", "ttft_ms", "tpot_ms", "e2e_ms", "ntpot_ms"}) {
    EXPECT_TRUE(j.at(k).is_null()) << k;
  }
  EXPECT_EQ(j.at("chunks"), 0);
  EXPECT_EQ(j.at("warmup"), true);
  const RequestRecord none = failure(0, 5, Failure::ConnectFailed);
  EXPECT_TRUE(request_line(none, metrics::derive(none)).at("http_status").is_null());
}

TEST(RequestLine, ClientCountedOutput) {
  RequestRecord r = request(0, {{10, 0}}, 10);
  r.client_output_tokens = 1;
  const json j = request_line(r, metrics::derive(r));
  EXPECT_EQ(j.at("output_tokens_source"), "client");
  EXPECT_TRUE(j.at("completion_tokens").is_null());
  EXPECT_EQ(j.at("output_tokens"), 1);
}

// A rendered terminal table: cells are separated by runs of two or more spaces (no cell holds
// two spaces in a row); `end` is the column just past the cell's last character.
struct Cell {
  std::string text;
  std::size_t end = 0;
};
using Row = std::vector<Cell>;

Row split_cells(const std::string& line) {
  Row cells;
  std::size_t begin = line.find_first_not_of(' ');
  while (begin != std::string::npos) {
    const std::size_t end = std::min(line.find("  ", begin), line.size());
    cells.push_back({line.substr(begin, end - begin), end});
    begin = line.find_first_not_of(' ', end);
  }
  return cells;
}

std::vector<std::string> texts(const Row& row) {
  std::vector<std::string> v;
  for (const Cell& c : row) v.push_back(c.text);
  return v;
}

// The block of `table` that starts at the row whose first cell is `first_header` and runs to
// the end: its header row and its data rows.
struct Block {
  Row header;
  std::vector<Row> rows;
};

Block block(const std::string& table, const std::string& first_header) {
  Block b;
  bool in = false;
  std::istringstream lines(table);
  for (std::string line; std::getline(lines, line);) {
    Row cells = split_cells(line);
    if (!in && !cells.empty() && cells[0].text == first_header) {
      b.header = std::move(cells);
      in = true;
    } else if (in && !cells.empty()) {
      b.rows.push_back(std::move(cells));
    }
  }
  if (!in) ADD_FAILURE() << "no header row '" << first_header << "' in\n" << table;
  return b;
}

// The data row labelled `label` (exactly one must exist); empty when none.
Row row(const Block& b, const std::string& label) {
  const Row* found = nullptr;
  for (const Row& r : b.rows) {
    if (r[0].text != label) continue;
    if (found) ADD_FAILURE() << "two rows labelled '" << label << "'";
    found = &r;
  }
  if (!found) {
    ADD_FAILURE() << "no row labelled '" << label << "'";
    return {};
  }
  return *found;
}

bool has_row(const Block& b, const std::string& label) {
  return std::any_of(b.rows.begin(), b.rows.end(), [&](const Row& r) { return r[0].text == label; });
}

// The cell of the row labelled `label` under the header `column`.
std::string cell(const Block& b, const std::string& label, const std::string& column) {
  std::size_t c = 0;
  while (c < b.header.size() && b.header[c].text != column) ++c;
  if (c == b.header.size()) {
    ADD_FAILURE() << "no column '" << column << "'";
    return {};
  }
  const Row r = row(b, label);
  if (r.size() != b.header.size()) {
    ADD_FAILURE() << "row '" << label << "' has " << r.size() << " cells for " << b.header.size() << " columns";
    return {};
  }
  return r[c].text;
}

// The text of the fact labelled `label` in the lines above format_table's latency block
// ("  failed       3 (50.0%: …)"); exactly one must exist.
std::string fact(const std::string& table, const std::string& label) {
  std::istringstream lines(table);
  std::string found;
  int matches = 0;
  for (std::string line; std::getline(lines, line);) {
    const Row cells = split_cells(line);
    if (!cells.empty() && cells[0].text == "latency (ms)") break;
    if (cells.size() == 2 && cells[0].text == label) {
      found = cells[1].text;
      ++matches;
    }
  }
  EXPECT_EQ(matches, 1) << "fact '" << label << "' in\n" << table;
  return found;
}

TEST(Table, ShowsTheNumbers) {
  Slo slo;
  slo.ttft_ms = 250;
  const std::string t = format_table(metrics::summarize(closed_loop_records(), closed(4), slo));
  EXPECT_EQ(t.rfind("concurrency 4\n", 0), 0u) << t;
  EXPECT_EQ(fact(t, "completed"), "3");
  EXPECT_EQ(fact(t, "failed"), "3 (50.0%: http_429 x2, http_500 x1)");
  EXPECT_EQ(fact(t, "warm-up"), "1 excluded");
  EXPECT_EQ(fact(t, "duration"), "1.10 s");
  EXPECT_EQ(fact(t, "req/s"), "2.73");      // 3 / 1.1
  EXPECT_EQ(fact(t, "in tok/s"), "318.2");  // 350 / 1.1
  EXPECT_EQ(fact(t, "out tok/s"), "8.2");   // 9 / 1.1
  EXPECT_EQ(fact(t, "goodput"), "1.82 req/s, SLO attainment 33.3% (ttft_ms 33.3%)");
  const Block lat = block(t, "latency (ms)");
  EXPECT_EQ(texts(lat.header), (std::vector<std::string>{"latency (ms)", "mean", "p50", "p90", "p99", "max", "n"}));
  // TTFT row: mean 200, p50 200, p90 280, p99 298 (index 1.98 → 200 + 0.98·100), max 300, n 3.
  EXPECT_EQ(texts(row(lat, "TTFT")),
            (std::vector<std::string>{"TTFT", "200.00", "200.00", "280.00", "298.00", "300.00", "3"}));
  // E2E {140, 250, 300}: mean 230, p90 index 1.8 → 290.
  EXPECT_EQ(texts(row(lat, "E2E")),
            (std::vector<std::string>{"E2E", "230.00", "250.00", "290.00", "299.00", "300.00", "3"}));
  // Closed loop: no schedule rows.
  std::vector<std::string> labels;
  for (const Row& r : lat.rows) labels.push_back(r[0].text);
  EXPECT_EQ(labels, (std::vector<std::string>{"TTFT", "TPOT", "ITL", "inter-chunk", "E2E", "NTPOT"})) << t;
  EXPECT_EQ(t.find("schedule lag"), std::string::npos);
  // Aligned: every latency row has a cell under each header, right-aligned on it.
  for (const Row& r : lat.rows) {
    ASSERT_EQ(r.size(), lat.header.size()) << r[0].text;
    for (std::size_t c = 1; c < r.size(); ++c) {
      EXPECT_EQ(r[c].end, lat.header[c].end) << r[0].text << " / " << lat.header[c].text << "\n" << t;
    }
  }
}

TEST(Table, OpenLoopShowsRateAndLag) {
  const std::string t = format_table(open_summary());
  EXPECT_EQ(t.rfind("rate 10/s poisson\n", 0), 0u) << t;
  EXPECT_EQ(fact(t, "rate"), "achieved 8.77/s of requested 10.00/s");
  const Block lat = block(t, "latency (ms)");
  EXPECT_TRUE(has_row(lat, "TTFT from sched")) << t;
  EXPECT_TRUE(has_row(lat, "E2E from sched")) << t;
  // Lags 2, 5, 30 ms; every E2E is 30 ms, so "30.00" alone does not say which row it is in.
  EXPECT_EQ(cell(lat, "schedule lag", "max"), "30.00") << t;
  EXPECT_EQ(cell(lat, "schedule lag", "p50"), "5.00") << t;
  EXPECT_EQ(cell(lat, "schedule lag", "n"), "3") << t;
}

TEST(Table, LoadLabels) {
  EXPECT_EQ(load_label(closed(8)), "concurrency 8");
  EXPECT_EQ(load_label(open(2.5, "constant", 16)), "rate 2.5/s constant, cap 16");
  LoadSpec g = open(5, "gamma");
  g.burstiness = 0.5;
  EXPECT_EQ(load_label(g), "rate 5/s gamma(0.5)");
}

TEST(SweepTable, OneLinePerLoadPoint) {
  const std::vector<LoadPointSummary> points{metrics::summarize(closed_loop_records(), closed(4), Slo{}),
                                             open_summary()};
  const std::string t = format_sweep_table(points);
  const Block sweep = block(t, "load");
  EXPECT_EQ(texts(sweep.header), (std::vector<std::string>{"load", "req/s", "out tok/s", "TTFT p50", "TTFT p99",
                                                           "TPOT p50", "TPOT p99", "E2E p50", "failed"}));
  ASSERT_EQ(sweep.rows.size(), 2u) << t;
  EXPECT_EQ(sweep.rows[0][0].text, "concurrency 4");
  EXPECT_EQ(cell(sweep, "concurrency 4", "TTFT p50"), "200.00") << t;
  EXPECT_EQ(cell(sweep, "concurrency 4", "TTFT p99"), "298.00") << t;
  EXPECT_EQ(cell(sweep, "concurrency 4", "failed"), "3 (50.0%)") << t;
  EXPECT_EQ(sweep.rows[1][0].text, "rate 10/s poisson");
  EXPECT_EQ(cell(sweep, "rate 10/s poisson", "TPOT p50"), "10.00") << t;  // 10 ms between 2 tokens
  EXPECT_EQ(cell(sweep, "rate 10/s poisson", "failed"), "0") << t;
}

TEST(Csv, OneRowPerPointWithFlattenedColumns) {
  const std::vector<LoadPointSummary> points{metrics::summarize(closed_loop_records(), closed(4), Slo{}),
                                             open_summary()};
  const std::string csv = to_csv(points);
  std::istringstream lines(csv);
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> cells;
    std::string cell;
    std::istringstream in(line);
    while (std::getline(in, cell, ',')) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    rows.push_back(cells);
  }
  ASSERT_EQ(rows.size(), 3u);
  const auto col = [&](const std::string& name) {
    for (std::size_t i = 0; i < rows[0].size(); ++i) {
      if (rows[0][i] == name) return i;
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
  EXPECT_EQ(rows[1][col("rate_achieved")], "");        // closed loop: not applicable
  EXPECT_EQ(rows[1][col("schedule_lag_ms_max")], "");  // closed loop: not applicable
  EXPECT_EQ(rows[2][col("mode")], "open");
  EXPECT_EQ(rows[2][col("schedule_lag_ms_max")], "30");
  EXPECT_EQ(rows[2][col("tpot_ms_p50")], "10");
  EXPECT_EQ(rows[2][col("failure_rate")], "0");
}

// A proxy's Latin-1 error page (HTTP 503, text/html; charset=iso-8859-1) in a failure's detail:
// its bytes are not UTF-8, and writing the line used to abort the run (json type_error 316).
TEST(RequestLine, ServerTextThatIsNotUtf8IsReplacedNotFatal) {
  RequestRecord r = failure(0, 30, Failure::HttpStatus, 503);
  r.error_detail = "HTTP 503: <h1>Service indisponible \xe0 cette heure \xff</h1>";
  const json line = request_line(r, metrics::derive(r));
  EXPECT_THROW((void)line.dump(), json::type_error);  // what the writer used to do
  std::string text;
  ASSERT_NO_THROW(text = to_text(line));
  const json back = json::parse(text);
  EXPECT_EQ(back.at("error_detail"), "HTTP 503: <h1>Service indisponible \xef\xbf\xbd cette heure \xef\xbf\xbd</h1>");
  EXPECT_EQ(back.at("error"), "http_503");
}

// The table says "unknown" and how to make it known, never "0.0".
TEST(Table, UnknownTokenRatesAreSaidWithAHint) {
  std::vector<RequestRecord> v{request(0, {{10, 0}}, 20)};
  v[0].usage.prompt_tokens = 8;
  const std::string t = format_table(metrics::summarize(v, LoadSpec{}, Slo{}));
  EXPECT_NE(t.find("unknown (1 request without a count of output tokens: the server sent no usage; --tokenizer "
                   "counts them)"),
            std::string::npos)
      << t;
  EXPECT_EQ(t.find("out tok/s  0.0"), std::string::npos) << t;
}

}  // namespace
}  // namespace inferbench::report
