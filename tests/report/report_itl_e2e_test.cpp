// The report's ITL on real runs: `inferbench run --output DIR` against the built-in simulator
// (one token per chunk) and against `inferbench sim --tokens-per-chunk 3` (chunk_tokens null, so
// each chunk's tokens are estimated from out_i), each with warm-up requests, then the report data
// read back from DIR. Per load point, the page's ITL CDF and the statistics of the same samples
// must give summary.json's latency.itl_ms p50 and p99 exactly (and inter_chunk_ms likewise), and
// the run's own report.html must be the page `inferbench report DIR` draws from the files.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "metrics/stats.hpp"
#include "report/html_report.hpp"
#include "report/results_dir.hpp"

#ifndef INFERBENCH_BINARY
#error "INFERBENCH_BINARY (the inferbench executable) must be defined by the build"
#endif

namespace inferbench::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "inferbench-itl-e2e-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Stops a process this test started, by its id, however the test ends.
struct StopOnExit {
  pid_t pid = 0;
  ~StopOnExit() {
    if (pid > 0) kill(pid, SIGTERM);
  }
};

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `inferbench run` with a short workload: two load points of 12 measured requests of 16
// tokens, after 2 warm-up requests each (which the ITL must leave out).
void run_inferbench(const TempDir& tmp, const std::string& target, const fs::path& out) {
  const std::string command = std::string("'") + INFERBENCH_BINARY + "' run " + target +
                              " --input-tokens 32 --output-tokens 16 --no-server-metrics --concurrency 1,4"
                              " --num-requests 12 --warmup 2 --history '" +
                              (tmp.path() / "history.sqlite").string() + "' --output '" + out.string() + "' >'" +
                              out.string() + ".log' 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << command << "\n" << slurp(out.string() + ".log");
}

// The numpy-linear percentile of the samples a CDF holds, when it holds every one of them.
double percentile_of(const json& cdf, double p) {
  std::vector<double> values;
  for (const auto& point : cdf) values.push_back(point[0].get<double>());
  return metrics::percentile_sorted(values, p);
}

// The run wrote report.html with the chunk latencies of its own summaries; drawn again from the
// files, which recomputes them from every chunk time, the page is the same byte for byte.
void expect_run_page_is_redrawn_page(const fs::path& dir, const char* what) {
  const fs::path again = dir.parent_path() / "again.html";
  write_html_report({dir}, again, HtmlReportOptions{});
  EXPECT_TRUE(slurp(dir / "report.html") == slurp(again)) << what << ": the run's report.html differs from " << again;
}

void expect_report_matches_summary(const fs::path& dir, const char* what) {
  expect_run_page_is_redrawn_page(dir, what);
  const ResultsDir run = read_results_dir(dir);
  ASSERT_TRUE(run.requests);
  EXPECT_EQ(run.requests->no_timeline, 0u);
  const json data = report_data({run}, HtmlReportOptions{});
  const json& runs = run.summary["runs"];
  ASSERT_EQ(runs.size(), 2u);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    ASSERT_EQ(runs[i]["requests"]["warmup"], 2) << "the run has no warm-up requests to leave out";
    const json& cdf = data["runs"][0]["points"][i]["cdf"];
    const ChunkLatencies& chunks = run.requests->chunk_latencies.at(i);
    for (const auto& [key, stats] : {std::pair{"itl_ms", &chunks.itl_ms}, {"inter_chunk_ms", &chunks.inter_chunk_ms}}) {
      const json& want = runs[i]["latency"][key];
      SCOPED_TRACE(std::string(what) + ", load point " + std::to_string(i) + ", " + key);
      // Every sample of the load point, counted as the summary counts them (tokens for the ITL).
      EXPECT_EQ(stats->count, want["count"].get<std::size_t>());
      EXPECT_EQ(stats->p50, want["p50"].get<double>());
      EXPECT_EQ(stats->p99, want["p99"].get<double>());
      EXPECT_EQ(stats->min, want["min"].get<double>());
      EXPECT_EQ(stats->max, want["max"].get<double>());
      // Under 400 samples the page's CDF holds each one: its percentiles are the summary's.
      ASSERT_LE(stats->count, 400u);
      ASSERT_EQ(cdf[key].size(), stats->count);
      EXPECT_EQ(cdf[key].back()[1].get<double>(), 1.0);
      const double p50 = percentile_of(cdf[key], 50.0);
      const double p99 = percentile_of(cdf[key], 99.0);
      EXPECT_EQ(p50, want["p50"].get<double>());
      EXPECT_EQ(p99, want["p99"].get<double>());
      std::cout << std::setprecision(17) << what << " load point " << i << " " << key << ": " << stats->count
                << " samples; CDF p50 " << p50 << " p99 " << p99 << "; summary.json p50 " << want["p50"] << " p99 "
                << want["p99"] << "\n";
    }
  }
}

TEST(ReportItlEndToEnd, BuiltInSimulatorOneTokenPerChunk) {
  TempDir tmp;
  ASSERT_NO_FATAL_FAILURE(run_inferbench(tmp, "--sim-ttft-ms 5 --sim-itl-ms 1", tmp.path() / "out"));
  expect_report_matches_summary(tmp.path() / "out", "built-in sim");
}

// Past --exact-samples the samples fold into a histogram, in the summary and in the report's
// recomputation alike: the CDF points are the histogram's, and still the same page.
// (Gaps of 0, chunks read together, are counted as one entry: ITL 0.2 ms keeps them apart.)
TEST(ReportItlEndToEnd, FoldedIntoAHistogramTheRunsPageIsStillTheRedrawnOne) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  const std::string command = std::string("'") + INFERBENCH_BINARY +
                              "' run --sim-ttft-ms 1 --sim-itl-ms 0.2 --input-tokens 32 --output-tokens 100"
                              " --no-server-metrics --concurrency 1,4 --num-requests 30 --warmup 2"
                              " --exact-samples 1000 --no-history --output '" +
                              out.string() + "' >'" + out.string() + ".log' 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << command << "\n" << slurp(out.string() + ".log");
  const json summary = json::parse(slurp(out / "summary.json"));
  for (const json& point : summary["runs"]) ASSERT_GT(point["latency"]["itl_ms"]["relative_error"], 0.0);
  expect_run_page_is_redrawn_page(out, "folded");
}

TEST(ReportItlEndToEnd, ThreeTokensPerChunkOfUnknownCount) {
  TempDir tmp;
  const fs::path log = tmp.path() / "sim.log";
  const fs::path pid_file = tmp.path() / "sim.pid";
  const std::string start = std::string("'") + INFERBENCH_BINARY +
                            "' sim --port 0 --tokens-per-chunk 3 --ttft-ms 5 --itl-ms 1 --itl-std-ms 0.3 >'" +
                            log.string() + "' 2>&1 & echo $! >'" + pid_file.string() + "'";
  ASSERT_EQ(std::system(start.c_str()), 0);
  const StopOnExit sim{std::stoi(slurp(pid_file))};
  std::smatch url;
  std::string said;
  for (int tries = 0; tries < 100; ++tries) {
    said = slurp(log);
    if (std::regex_search(said, url, std::regex("http://127\\.0\\.0\\.1:[0-9]+"))) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(url.empty()) << "the simulator did not say where it serves: " << said;
  ASSERT_NO_FATAL_FAILURE(run_inferbench(tmp, "--endpoint " + url.str(), tmp.path() / "out"));
  // The simulator's chunks hold 3 tokens and say nothing of it: the ITL has more samples than
  // there are gaps, each gap's estimated tokens as metrics::ChunkTokens estimates them.
  const json summary = json::parse(slurp(tmp.path() / "out" / "summary.json"));
  EXPECT_GT(summary["runs"][0]["latency"]["itl_ms"]["count"], summary["runs"][0]["latency"]["inter_chunk_ms"]["count"]);
  expect_report_matches_summary(tmp.path() / "out", "3 tokens per chunk");
}

}  // namespace
}  // namespace inferbench::report
