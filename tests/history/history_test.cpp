// The run history (SQLite round trips, filters, hostile files) and the comparison's statistics
// and verdicts. The commands end to end: history_e2e_test.sh.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "core/error.hpp"
#include "history/compare.hpp"
#include "history/history.hpp"

namespace inferbench::history {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "inferbench-history-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

json summary(const std::string& model, json labels, double rps = 10.0, double failure_rate = 0.0) {
  json s = {{"tool", "inferbench"},
            {"config", {{"target", {{"model", model}}}}},
            {"runs",
             {{{"load", {{"mode", "closed"}, {"concurrency", 4}}},
               {"throughput", {{"requests_per_s", rps}, {"output_tokens_per_s", rps * 100}}},
               {"requests", {{"failure_rate", failure_rate}}},
               {"latency", {{"ttft_ms", {{"p50", 100.0}}}}}}}}};
  if (!labels.is_null()) s["labels"] = std::move(labels);
  return s;
}

TEST(History, RecordsAndListsRuns) {
  TempDir tmp;
  const fs::path path = tmp.path() / "deep" / "er" / "history.sqlite";  // its folder is created
  History h(path);
  const auto a = h.record(summary("llama", {{"framework", "vllm"}, {"tp", 2}}), "");
  const auto b = h.record(summary("llama", {{"framework", "sglang"}}), (tmp.path() / "out").string());
  const auto c = h.record(summary("qwen'; DROP TABLE runs; --", nullptr), "");
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);

  const auto all = h.list(Filter{});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].id, c);  // newest first
  EXPECT_EQ(all[0].model, "qwen'; DROP TABLE runs; --");
  EXPECT_EQ(all[2].labels["tp"], "2");  // labels kept as strings
  EXPECT_EQ(all[1].results_dir, (tmp.path() / "out").string());
  EXPECT_EQ(all[2].summary["runs"][0]["throughput"]["requests_per_s"], 10.0);
  EXPECT_EQ(all[0].recorded_at.size(), 20u);  // 2026-12-02T16:30:00Z

  Filter by_model;
  by_model.model = "llama";
  EXPECT_EQ(h.list(by_model).size(), 2u);
  Filter by_label;
  by_label.labels = {{"framework", "vllm"}};
  ASSERT_EQ(h.list(by_label).size(), 1u);
  EXPECT_EQ(h.list(by_label)[0].id, a);
  by_label.labels.emplace_back("tp", "1");
  EXPECT_TRUE(h.list(by_label).empty());
  Filter limited;
  limited.limit = 1;
  EXPECT_EQ(h.list(limited).size(), 1u);

  const std::string today = all[0].recorded_at.substr(0, 10);
  Filter dates;
  dates.since = today;
  dates.until = today;  // the whole day
  EXPECT_EQ(h.list(dates).size(), 3u);
  dates.since = "2999-01-01";
  dates.until = "";
  EXPECT_TRUE(h.list(dates).empty());
  dates.since = "";
  dates.until = "2000-01-01";
  EXPECT_TRUE(h.list(dates).empty());
  dates.until = "yesterday";
  EXPECT_THROW(h.list(dates), Error);
  dates.until = "2026-02-30";
  EXPECT_THROW(h.list(dates), Error);

  EXPECT_EQ(h.get(b)->model, "llama");
  EXPECT_FALSE(h.get(9999).has_value());

  // A second handle (another run ending) sees the same runs.
  EXPECT_EQ(History(path).list(Filter{}).size(), 3u);
}

TEST(History, HostileFilesAreOneLineErrors) {
  TempDir tmp;
  std::ofstream(tmp.path() / "garbage.sqlite") << "this is not a database, just text, long enough to have a header";
  EXPECT_THROW(History(tmp.path() / "garbage.sqlite"), Error);
  EXPECT_THROW(History(tmp.path() / "garbage.sqlite" / "below-a-file.sqlite"), Error);
  fs::create_directories(tmp.path() / "a-directory.sqlite");
  EXPECT_THROW(History(tmp.path() / "a-directory.sqlite"), Error);
}

TEST(History, DefaultPathFollowsXdg) {
  const char* old_xdg = std::getenv("XDG_DATA_HOME");
  const char* old_home = std::getenv("HOME");
  const std::string saved_xdg = old_xdg ? old_xdg : "", saved_home = old_home ? old_home : "";
  setenv("XDG_DATA_HOME", "/data", 1);
  EXPECT_EQ(default_path(), fs::path("/data/inferbench/history.sqlite"));
  unsetenv("XDG_DATA_HOME");
  setenv("HOME", "/home/u", 1);
  EXPECT_EQ(default_path(), fs::path("/home/u/.local/share/inferbench/history.sqlite"));
  unsetenv("HOME");
  EXPECT_THROW(default_path(), Error);
  if (old_xdg) setenv("XDG_DATA_HOME", saved_xdg.c_str(), 1);
  if (old_home) setenv("HOME", saved_home.c_str(), 1);
}

TEST(MannWhitney, MatchesTheTextbook) {
  // scipy.stats.mannwhitneyu([1..5], [6..10]) (two-sided, asymptotic, continuity): U = 0, p = 0.01219.
  const auto separated = mann_whitney({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10});
  EXPECT_DOUBLE_EQ(separated.u, 0.0);
  EXPECT_NEAR(separated.p, 0.01219, 0.0001);
  // Interleaved: no evidence of a difference.
  const auto mixed = mann_whitney({1, 3, 5, 7, 9}, {2, 4, 6, 8, 10});
  EXPECT_GT(mixed.p, 0.5);
  EXPECT_DOUBLE_EQ(mann_whitney({4, 4, 4}, {4, 4}).p, 1.0);  // all tied
  EXPECT_DOUBLE_EQ(mann_whitney({}, {1.0}).p, 1.0);
}

// A run of `n` successful requests whose latencies are drawn around `ttft` ms.
report::ResultsDir run_with(double ttft, double rps, double failure_rate, unsigned seed, std::size_t n = 200) {
  report::ResultsDir r;
  r.summary = summary("m", nullptr, rps, failure_rate);
  r.requests = report::RequestLines{};
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(1.0, 0.1);
  for (std::size_t i = 0; i < n; ++i) {
    report::RequestLine line;
    line.ok = true;
    line.ttft_ms = ttft * noise(rng);
    line.tpot_ms = 10.0 * noise(rng);
    line.max_itl_ms = 30.0 * noise(rng);
    line.e2e_ms = 1000.0 * noise(rng);
    r.requests->lines.push_back(line);
  }
  return r;
}

const MetricDelta& find(const std::vector<MetricDelta>& deltas, const std::string& metric) {
  for (const auto& d : deltas) {
    if (d.metric == metric) return d;
  }
  throw std::runtime_error("no " + metric);
}

TEST(Compare, SameServerTwiceIsNotARegression) {
  const auto deltas = compare_runs(run_with(100, 10, 0, 1), run_with(100, 10, 0, 2), CompareOptions{});
  for (const auto& d : deltas) {
    EXPECT_NE(d.verdict, Verdict::Regressed) << d.metric;
    EXPECT_NE(d.verdict, Verdict::Missing) << d.metric;
  }
  EXPECT_TRUE(find(deltas, "ttft").p.has_value());
  EXPECT_EQ(find(deltas, "ttft").base_n, 200u);
}

TEST(Compare, ASlowerServerIsARegressionAndAFasterOneAnImprovement) {
  const auto slower = compare_runs(run_with(100, 10, 0, 1), run_with(130, 10, 0, 2), CompareOptions{});
  EXPECT_EQ(find(slower, "ttft").verdict, Verdict::Regressed);
  EXPECT_NEAR(*find(slower, "ttft").change, 0.30, 0.05);
  EXPECT_LT(*find(slower, "ttft").p, 1e-6);
  EXPECT_NE(find(slower, "e2e").verdict, Verdict::Regressed);
  const auto faster = compare_runs(run_with(130, 10, 0, 1), run_with(100, 10, 0, 2), CompareOptions{});
  EXPECT_EQ(find(faster, "ttft").verdict, Verdict::Improved);
  // A 30 % threshold lets it pass.
  CompareOptions lenient;
  lenient.thresholds["ttft"] = 40;
  EXPECT_EQ(find(compare_runs(run_with(100, 10, 0, 1), run_with(130, 10, 0, 2), lenient), "ttft").verdict,
            Verdict::Same);
}

TEST(Compare, AShiftBeyondTheThresholdButWithinTheNoiseIsNotARegression) {
  // Eight requests a side, 10 % noise: a 6 % shift of the median is not evidence.
  const auto deltas = compare_runs(run_with(100, 10, 0, 3, 8), run_with(106, 10, 0, 4, 8), CompareOptions{});
  const auto& ttft = find(deltas, "ttft");
  if (ttft.change && std::abs(*ttft.change) > 0.05) {
    EXPECT_EQ(ttft.verdict, Verdict::Noise);
  }
  EXPECT_NE(ttft.verdict, Verdict::Regressed);
}

TEST(Compare, ThroughputAndFailuresAgainstTheirThresholds) {
  const auto deltas = compare_runs(run_with(100, 10, 0.0, 1), run_with(100, 8.5, 0.03, 2), CompareOptions{});
  EXPECT_EQ(find(deltas, "requests_per_s").verdict, Verdict::Regressed);
  EXPECT_NEAR(*find(deltas, "requests_per_s").change, -0.15, 1e-9);
  EXPECT_EQ(find(deltas, "failure_rate").verdict, Verdict::Regressed);
  EXPECT_NEAR(*find(deltas, "failure_rate").change, 3.0, 1e-9);  // percentage points
  const auto better = compare_runs(run_with(100, 10, 0.0, 1), run_with(100, 10.3, 0.0, 2), CompareOptions{});
  EXPECT_EQ(find(better, "requests_per_s").verdict, Verdict::Same);
}

TEST(Compare, ThroughputNoiseComesFromTheRequestCount) {
  // A 7 % lower rate from 60 requests a side is within a rate's Poisson noise (about 13 %); from
  // 10,000 a side it is not.
  const auto with_counts = [](double rps, int completed) {
    report::ResultsDir r;
    r.summary = summary("m", nullptr, rps);
    r.summary["runs"][0]["requests"]["completed"] = completed;
    return r;
  };
  const auto few = compare_runs(with_counts(112.9, 60), with_counts(105.0, 60), CompareOptions{});
  EXPECT_EQ(find(few, "requests_per_s").verdict, Verdict::Noise);
  EXPECT_GT(*find(few, "requests_per_s").p, 0.5);
  const auto many = compare_runs(with_counts(112.9, 10000), with_counts(105.0, 10000), CompareOptions{});
  EXPECT_EQ(find(many, "requests_per_s").verdict, Verdict::Regressed);
  EXPECT_EQ(find(many, "output_tokens_per_s").verdict, Verdict::Regressed);
  EXPECT_LT(*find(many, "requests_per_s").p, 1e-6);
}

TEST(Compare, WithoutPerRequestValuesTheSummariesAreJudgedByThreshold) {
  report::ResultsDir base, candidate;
  base.summary = summary("m", nullptr);
  candidate.summary = summary("m", nullptr);
  candidate.summary["runs"][0]["latency"]["ttft_ms"]["p50"] = 120.0;
  const auto deltas = compare_runs(base, candidate, CompareOptions{});
  EXPECT_EQ(find(deltas, "ttft").verdict, Verdict::Regressed);
  EXPECT_FALSE(find(deltas, "ttft").p.has_value());
  EXPECT_EQ(find(deltas, "tpot").verdict, Verdict::Missing);  // neither summary has it
}

TEST(Compare, UnknownOrNegativeThresholdsAreErrors) {
  CompareOptions bad;
  bad.thresholds["ttfb"] = 5;
  EXPECT_THROW(compare_runs(run_with(100, 10, 0, 1), run_with(100, 10, 0, 2), bad), Error);
  CompareOptions negative;
  negative.thresholds["ttft"] = -1;
  EXPECT_THROW(compare_runs(run_with(100, 10, 0, 1), run_with(100, 10, 0, 2), negative), Error);
}

}  // namespace
}  // namespace inferbench::history
