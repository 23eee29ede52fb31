// Across repeats: mean, sample standard deviation and Student's t interval, unknown (NaN) rather
// than zero where two values are needed; the combined CSV from the cells' summary.json files.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "experiment/combine.hpp"

namespace inferbench::experiment {
namespace {

TEST(Spread, MeanSdAndStudentInterval) {
  const Spread s = spread({1, 2, 3});
  EXPECT_EQ(s.n, 3u);
  EXPECT_DOUBLE_EQ(s.mean, 2);
  EXPECT_DOUBLE_EQ(s.sd, 1);
  EXPECT_NEAR(s.ci95_high - s.mean, 4.303 / std::sqrt(3.0), 1e-12);
  EXPECT_NEAR(s.mean - s.ci95_low, 4.303 / std::sqrt(3.0), 1e-12);
}

TEST(Spread, OneValueHasNoSpreadAndNoneHasNoMean) {
  const Spread one = spread({5});
  EXPECT_DOUBLE_EQ(one.mean, 5);
  EXPECT_TRUE(std::isnan(one.sd));
  EXPECT_TRUE(std::isnan(one.ci95_low));
  EXPECT_TRUE(std::isnan(spread({}).mean));
}

TEST(Spread, TQuantilesApproachTheNormal) {
  EXPECT_DOUBLE_EQ(t975(1), 12.706);
  EXPECT_DOUBLE_EQ(t975(9), 2.262);
  EXPECT_DOUBLE_EQ(t975(30), 2.042);
  EXPECT_DOUBLE_EQ(t975(1000), 1.960);
  EXPECT_TRUE(std::isnan(t975(0)));
}

class Combine : public ::testing::Test {
 protected:
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ::testing::UnitTest::GetInstance()->current_test_info()->name();
  void SetUp() override { std::filesystem::remove_all(dir); }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::filesystem::path write_run(const std::string& name, double rps, double ttft_p99) {
    const auto d = dir / name;
    std::filesystem::create_directories(d);
    const nlohmann::json summary = {{"runs",
                                     {{{"load", {{"mode", "closed"}, {"concurrency", 4}, {"rate", nullptr}}},
                                       {"requests", {{"completed", 10}, {"failed", 0}}},
                                       {"throughput", {{"requests_per_s", rps}, {"output_tokens_per_s", rps * 100}}},
                                       {"latency", {{"ttft_ms", {{"p50", 10.0}, {"p99", ttft_p99}}}}}}}}};
    std::ofstream(d / "summary.json") << summary.dump();
    return d;
  }
};

TEST_F(Combine, RowsPerRunAndIntervalsAcrossRepeats) {
  std::vector<CellRun> runs = {{"a", 1, {{"load.concurrency", "4"}}, write_run("a1", 10, 50), "done", 0},
                               {"a", 2, {{"load.concurrency", "4"}}, write_run("a2", 12, 70), "done", 0},
                               {"b", 1, {{"load.concurrency", "8"}}, dir / "missing", "failed", 1},
                               {"b", 2, {{"load.concurrency", "8"}}, dir / "missing", "failed", 1}};
  const Combined c = combine("x", {"load.concurrency"}, runs, 2);
  const std::string header =
      "experiment,cell,repeat,load.concurrency,status,exit_code,point,mode,concurrency,rate,completed,failed,"
      "requests_per_s,output_tokens_per_s,total_tokens_per_s,ttft_ms_p50,ttft_ms_p99,tpot_ms_p50,tpot_ms_p99,"
      "itl_ms_p50,e2e_ms_p50,e2e_ms_p99\n";
  EXPECT_EQ(c.csv.substr(0, header.size()), header);
  EXPECT_NE(c.csv.find("\nx,a,2,4,done,0,0,closed,4,,10,0,12,1200,,10,70,,,,,\n"), std::string::npos) << c.csv;
  EXPECT_NE(c.csv.find("\nx,b,1,8,failed,1,,,,,,,,,,,,,,,,\n"), std::string::npos) << c.csv;
  EXPECT_NE(c.repeats_csv.find("\nx,a,0,c=4,requests_per_s,2,11,1.4142135623730951,"), std::string::npos)
      << c.repeats_csv;
  ASSERT_EQ(c.json["across_repeats"].size(), 1u);  // b measured nothing
  EXPECT_DOUBLE_EQ(c.json["across_repeats"][0]["ttft_ms_p99"]["mean"].get<double>(), 60);
  EXPECT_TRUE(c.json["across_repeats"][0]["tpot_ms_p50"]["mean"].is_null());  // unknown, not 0
  EXPECT_NE(c.table.find("11.00 ± 12.71"), std::string::npos) << c.table;
  EXPECT_NE(c.table.find("failed"), std::string::npos) << c.table;
}

}  // namespace
}  // namespace inferbench::experiment
