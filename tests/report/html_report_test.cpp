// report.html from result directories: reading them back, the data the page draws, escaping.
// The page itself is opened in Chromium by report_browser_test.sh.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.hpp"
#include "report/embedded_assets.hpp"
#include "report/html_report.hpp"
#include "report/results_dir.hpp"

namespace inferbench::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "inferbench-html-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

json closed_point(int concurrency, double rps, double ttft_p50) {
  return {{"load", {{"mode", "closed"}, {"concurrency", concurrency}}},
          {"throughput", {{"requests_per_s", rps}, {"output_tokens_per_s", rps * 10}}},
          {"latency", {{"ttft_ms", {{"p50", ttft_p50}}}}},
          {"requests", {{"completed", 3}, {"failed", 1}, {"failures", {{"http_500", 1}}}}}};
}

json summary_with(const std::string& model, json points) {
  return {{"tool", "inferbench"},
          {"version", "0.1.0"},
          {"interrupted", false},
          {"config", {{"target", {{"model", model}}}, {"seed", 7}}},
          {"runs", std::move(points)}};
}

// Two load points; point 0 has 3 ok requests (1 s each, 10 tokens) and 1 failure, point 1 one
// ok request and one warm-up request.
void write_run(const fs::path& dir, const std::string& model) {
  write(dir / "summary.json", summary_with(model, {closed_point(1, 1.0, 10.0), closed_point(2, 2.0, 20.0)}).dump());
  std::string lines;
  const auto line = [&](int lp, bool warmup, bool ok, double sent, double e2e_ms, const char* error) {
    json j = {{"load_point", lp},
              {"warmup", warmup},
              {"ok", ok},
              {"error", error ? json(error) : json()},
              {"sent_offset_s", sent},
              {"ttft_ms", ok ? json(100.0) : json()},
              {"tpot_ms", ok ? json(10.0) : json()},
              {"max_itl_ms", ok ? json(30.0) : json()},
              {"e2e_ms", ok ? json(e2e_ms) : json()},
              {"done_ms", e2e_ms},
              {"output_tokens", ok ? json(10) : json()}};
    lines += j.dump() + "\n";
  };
  line(0, false, true, 0.0, 1000.0, nullptr);
  line(0, false, true, 1.0, 1000.0, nullptr);
  line(0, false, true, 2.0, 1000.0, nullptr);
  line(0, false, false, 2.5, 50.0, "http_500");
  line(1, true, true, 3.0, 500.0, nullptr);
  line(1, false, true, 3.5, 500.0, nullptr);
  write(dir / "requests.jsonl", lines);
}

TEST(ReadResults, ReadsSummaryAndRequests) {
  TempDir tmp;
  write_run(tmp.path() / "a", "m");
  const ResultsDir run = read_results_dir(tmp.path() / "a");
  EXPECT_EQ(run.summary["runs"].size(), 2u);
  ASSERT_TRUE(run.requests.has_value());
  EXPECT_EQ(run.requests->lines.size(), 6u);
  EXPECT_EQ(run.requests->unreadable, 0u);
  EXPECT_EQ(run.requests->lines[3].error, "http_500");
  EXPECT_FALSE(run.requests->lines[3].ttft_ms.has_value());
}

TEST(ReadResults, HostileFilesGiveOneLineErrors) {
  TempDir tmp;
  EXPECT_THROW(read_results_dir(tmp.path() / "missing"), Error);
  write(tmp.path() / "notjson" / "summary.json", "{\"tool\": \"inferbench\", \"runs\": [");
  EXPECT_THROW(read_results_dir(tmp.path() / "notjson"), Error);
  write(tmp.path() / "other" / "summary.json", R"({"tool": "vllm", "runs": []})");
  EXPECT_THROW(read_results_dir(tmp.path() / "other"), Error);
  write(tmp.path() / "runsobj" / "summary.json", R"({"tool": "inferbench", "runs": {}})");
  EXPECT_THROW(read_results_dir(tmp.path() / "runsobj"), Error);
  try {
    read_results_dir(tmp.path() / "other");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("summary.json"), std::string::npos);
  }
}

TEST(ReadResults, BadRequestLinesAreCountedNotFatal) {
  TempDir tmp;
  write(tmp.path() / "r.jsonl",
        "{\"ok\": true, \"ttft_ms\": \"fast\", \"load_point\": -3}\n"
        "not json\n"
        "[1,2]\n"
        "\xff\xfe\n"
        "{\"ok\": \"yes\", \"e2e_ms\": 5, \"load_point\": 1e300}\n"
        "{\"ok\": true, \"ttft_ms\": 12.5");  // a torn last line
  const RequestLines read = read_request_lines(tmp.path() / "r.jsonl");
  ASSERT_EQ(read.lines.size(), 2u);
  EXPECT_EQ(read.unreadable, 4u);
  EXPECT_TRUE(read.lines[0].ok);
  EXPECT_FALSE(read.lines[0].ttft_ms.has_value());  // a string is not a latency
  EXPECT_EQ(read.lines[0].load_point, 0u);
  EXPECT_FALSE(read.lines[1].ok);  // "yes" is not true
  EXPECT_EQ(read.lines[1].e2e_ms, 5.0);
}

TEST(ReadResults, ExpandsAFolderOfRuns) {
  TempDir tmp;
  write_run(tmp.path() / "sweep" / "b", "m");
  write_run(tmp.path() / "sweep" / "a", "m");
  fs::create_directories(tmp.path() / "sweep" / "not-a-run");
  write_run(tmp.path() / "single", "m");
  const auto dirs = expand_results_dirs({tmp.path() / "single", tmp.path() / "sweep"});
  ASSERT_EQ(dirs.size(), 3u);
  EXPECT_EQ(dirs[0], tmp.path() / "single");
  EXPECT_EQ(dirs[1], tmp.path() / "sweep" / "a");
  EXPECT_EQ(dirs[2], tmp.path() / "sweep" / "b");
  EXPECT_THROW(expand_results_dirs({tmp.path() / "sweep" / "not-a-run"}), Error);
  EXPECT_THROW(expand_results_dirs({tmp.path() / "nowhere"}), Error);
}

TEST(ReportData, CdfsAndTimeSeriesFromTheRequests) {
  TempDir tmp;
  write_run(tmp.path() / "a", "m");
  const json data = report_data({read_results_dir(tmp.path() / "a")}, HtmlReportOptions{});
  const json& run = data["runs"][0];
  EXPECT_EQ(run["series"], "m");  // no labels: the model
  ASSERT_EQ(run["points"].size(), 2u);
  EXPECT_EQ(run["points"][0]["label"], "concurrency 1");
  // Point 0: the three successes; the failure and point 1's warm-up are left out.
  const json& ttft = run["points"][0]["cdf"]["ttft_ms"];
  ASSERT_EQ(ttft.size(), 3u);
  EXPECT_DOUBLE_EQ(ttft.back()[1].get<double>(), 1.0);
  EXPECT_EQ(run["points"][1]["cdf"]["e2e_ms"].size(), 1u);

  const json& t = run["timeline"];
  const double w = t["bucket_s"].get<double>();
  double completed = 0, errors = 0, tokens = 0, busy_s = 0, sent = 0;
  for (std::size_t i = 0; i < t["t"].size(); ++i) {
    completed += t["completed_per_s"][i].get<double>() * w;
    errors += t["errors_per_s"][i].get<double>() * w;
    tokens += t["output_tokens_per_s"][i].get<double>() * w;
    busy_s += t["in_flight"][i].get<double>() * w;
    sent += t["sent_per_s"][i].get<double>() * w;
  }
  EXPECT_NEAR(completed, 5.0, 1e-9);  // every ok request, warm-up included: it loaded the server
  EXPECT_NEAR(errors, 1.0, 1e-9);
  EXPECT_NEAR(sent, 6.0, 1e-9);
  EXPECT_NEAR(tokens, 50.0, 1e-9);
  EXPECT_NEAR(busy_s, 3 * 1.0 + 0.05 + 2 * 0.5, 1e-9);  // the time-average in flight integrates to busy time
  // The run spans 4 s (0 → 4.0): about 120 buckets of a round width.
  EXPECT_LE(t["t"].size(), 480u);
  EXPECT_GE(t["t"].size(), 40u);
}

TEST(ReportData, SeriesFromLabelsOrAKeyPath) {
  TempDir tmp;
  json summary = summary_with("m", {closed_point(1, 1.0, 10.0)});
  summary["labels"] = {{"framework", "vllm"}, {"tp", 2}};
  write(tmp.path() / "a" / "summary.json", summary.dump());
  const auto run = read_results_dir(tmp.path() / "a");
  EXPECT_FALSE(run.requests.has_value());
  const json data = report_data({run}, HtmlReportOptions{});
  EXPECT_EQ(data["runs"][0]["series"], "framework=vllm, tp=2");
  EXPECT_EQ(data["runs"][0]["labels"]["tp"], "2");
  EXPECT_EQ(data["runs"][0]["notes"].size(), 1u);  // no requests.jsonl, said so
  HtmlReportOptions by_key;
  by_key.series_key = "config.seed";
  EXPECT_EQ(report_data({run}, by_key)["runs"][0]["series"], "7");
  by_key.series_key = "labels.nope";
  EXPECT_EQ(report_data({run}, by_key)["runs"][0]["series"], "(no labels.nope)");
}

TEST(HtmlReport, HostileStringsCannotLeaveTheDataElement) {
  const std::string hostile = "</script><script>alert(1)</script><!-- &amp; \xe2\x80\xa8 \xff";
  const std::string safe = script_safe_json(json{{"model", hostile}});
  EXPECT_EQ(safe.find('<'), std::string::npos);
  EXPECT_EQ(safe.find('>'), std::string::npos);
  EXPECT_EQ(safe.find('&'), std::string::npos);
  for (const char c : safe) EXPECT_LT(static_cast<unsigned char>(c), 0x80);
  const json back = json::parse(safe);
  EXPECT_EQ(back["model"].get<std::string>().substr(0, 9), "</script>");

  TempDir tmp;
  write_run(tmp.path() / "a", hostile.substr(0, hostile.size() - 1));  // a file on disk is UTF-8 JSON
  const std::string page = html_report({read_results_dir(tmp.path() / "a")}, HtmlReportOptions{});
  // Exactly the page's own three scripts and one data element: nothing the results said opened one.
  std::size_t scripts = 0;
  for (std::size_t at = page.find("<script"); at != std::string::npos; at = page.find("<script", at + 1)) ++scripts;
  EXPECT_EQ(scripts, 3u);
}

TEST(HtmlReport, EmbedsTheChartingLibraryWhole) {
  EXPECT_GT(embedded::echarts_js().size(), 500'000u);
  EXPECT_NE(embedded::echarts_js().find("echarts"), std::string_view::npos);
  EXPECT_NE(embedded::report_js().find("inferbenchReport"), std::string_view::npos);
  // Embedded verbatim in <script> elements, so none may contain their end tag.
  for (const auto asset : {embedded::echarts_js(), embedded::report_js(), embedded::report_css()}) {
    EXPECT_EQ(asset.find("</script"), std::string_view::npos);
    EXPECT_EQ(asset.find("</style"), std::string_view::npos);
  }
}

TEST(HtmlReport, WritesTheFileAndRefusesAnUnwritablePath) {
  TempDir tmp;
  write_run(tmp.path() / "a", "m");
  write_html_report({tmp.path() / "a"}, tmp.path() / "out.html", HtmlReportOptions{});
  EXPECT_GT(fs::file_size(tmp.path() / "out.html"), 500'000u);
  EXPECT_FALSE(fs::exists(tmp.path() / "out.html.tmp"));
  EXPECT_THROW(write_html_report({tmp.path() / "a"}, tmp.path() / "no" / "such" / "dir.html", HtmlReportOptions{}),
               Error);
}

}  // namespace
}  // namespace inferbench::report
