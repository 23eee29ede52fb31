// The exact merge: a run's records split into N shards merge to the run's own summary,
// statistic by statistic; shards of different runs, twice-given or missing shards are refused;
// and shards run side by side against the simulator account for every request once.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "loadgen/http_target.hpp"
#include "loadgen/runner.hpp"
#include "metrics/self_check.hpp"
#include "report/json.hpp"
#include "results/merge.hpp"
#include "results/reader.hpp"
#include "results/record_line.hpp"
#include "schedule/schedule.hpp"
#include "sim/server.hpp"
#include "summary_diff.hpp"
#include "workload/word_prompts.hpp"

namespace inferbench::results {
namespace {

using metrics::LoadSpec;
namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  const auto dir = fs::temp_directory_path() / fmt::format("inferbench-merge-{}-{}", name, getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Writes a results folder as `inferbench run` does: one line per record, and a summary.
void write_results(const fs::path& dir, const std::vector<metrics::RequestRecord>& records, const Anchor& anchor,
                   const LoadSpec& load, const metrics::Slo& slo, schedule::Shard shard, const std::string& run_id) {
  fs::create_directories(dir);
  std::ofstream lines(dir / "requests.jsonl", std::ios::binary);
  for (const auto& r : records) lines << report::to_text(request_line(r, 0, anchor)) << '\n';
  const auto s = metrics::summarize(records, load, slo);
  nlohmann::json summary = {{"tool", "inferbench"},
                            {"run_id", run_id},
                            {"shard", {{"index", shard.index}, {"count", shard.count}}},
                            {"clock", to_json(anchor)},
                            {"runs", {report::to_json(s)}}};
  std::ofstream(dir / "summary.json") << summary.dump(2);
}

struct Sim {
  sim::SimServer server;
  loadgen::HttpTargetOptions target;
  Sim() : server(options()) {
    server.start();
    target.client.url = http::Url::parse("http://127.0.0.1:" + std::to_string(server.port()));
    target.model = "inferbench-sim";
  }
  static sim::SimOptions options() {
    sim::SimOptions o;
    o.port = 0;
    o.ttft_ms = 12;
    o.itl_ms = 2;
    return o;
  }
};

const std::vector<workload::RequestSpec>& specs() {
  static const auto s = workload::make_word_prompts(8, 20, 10, 3);
  return s;
}

loadgen::LoadPlan open_plan(std::size_t n) {
  loadgen::LoadPlan plan;
  plan.load = {LoadSpec::Mode::Open, 0, 300.0, "gamma", 0.5};
  plan.num_requests = n;
  plan.warmup = 2;
  plan.offsets = schedule::make_offsets({300.0, schedule::Arrival::Gamma, 0.5}, n + 2, 9);
  return plan;
}

loadgen::LoadPlan closed_plan(int users, std::size_t n) {
  loadgen::LoadPlan plan;
  plan.load = {LoadSpec::Mode::Closed, users, 0.0, "", 1.0};
  plan.num_requests = n;
  plan.warmup = 2;
  return plan;
}

metrics::LoadPointSummary assessed(metrics::LoadPointSummary s) {
  metrics::assess(s, metrics::kNaN, std::nullopt);
  return s;
}

TEST(Merge, ARunSplitIntoShardsMergesToTheUnsplitSummaryStatisticByStatistic) {
  Sim sim;
  const loadgen::HttpTargets targets(sim.target, specs());
  metrics::Slo slo;
  slo.ttft_ms = 14;
  slo.e2e_ms = 40;
  for (const auto& plan : {open_plan(40), closed_plan(5, 40)}) {
    const Anchor anchor = Anchor::now();
    const auto result = loadgen::run_load(targets, specs(), plan, {});
    const auto whole = assessed(metrics::summarize(result.records, plan.load, slo));
    ASSERT_EQ(whole.requests.completed, 40u);
    for (const std::size_t n : {1, 2, 3, 5}) {
      SCOPED_TRACE(fmt::format("{} loop, {} parts", plan.offsets.empty() ? "closed" : "open", n));
      const fs::path root = fresh_dir(fmt::format("split-{}", n));
      std::vector<Results> parts;
      for (std::size_t k = 0; k < n; ++k) {
        // Part k: every n-th line of the run's requests.jsonl, in file order.
        std::vector<metrics::RequestRecord> part;
        for (std::size_t i = k; i < result.records.size(); i += n) part.push_back(result.records[i]);
        write_results(root / fmt::format("shard-{}", k), part, anchor, plan.load, slo, {k, n}, "run-a");
        parts.push_back(read_results(root / fmt::format("shard-{}", k)));
      }
      const MergedRun merged = merge(std::move(parts));
      ASSERT_EQ(merged.points.size(), 1u);
      EXPECT_TRUE(merged.same_clock);
      EXPECT_EQ(merged.points[0].records.size(), result.records.size());
      EXPECT_GT(test::expect_same_summary(whole, merged.points[0].summary), 80u);
      fs::remove_all(root);
    }
  }
}

TEST(Merge, ShardsOnAnotherClockAreAlignedByTheirWallClockAnchors) {
  // The same records written by two "machines": shard 1's steady clock is 5 h ahead and its
  // boot differs; its wall clock says the same instant. The merge undoes the offset exactly.
  Sim sim;
  const loadgen::HttpTargets targets(sim.target, specs());
  const auto plan = closed_plan(4, 24);
  const Anchor anchor = Anchor::now();
  const auto result = loadgen::run_load(targets, specs(), plan, {});
  const auto whole = assessed(metrics::summarize(result.records, plan.load, {}));
  Anchor other = anchor;
  other.boot_id = "another-machine";
  other.steady += std::chrono::hours(5);
  std::vector<metrics::RequestRecord> a, b;
  for (std::size_t i = 0; i < result.records.size(); ++i) {
    auto r = result.records[i];
    if (i % 2 == 0) {
      a.push_back(r);
    } else {
      shift(r, std::chrono::hours(5));
      b.push_back(r);
    }
  }
  const fs::path root = fresh_dir("clocks");
  write_results(root / "shard-0", a, anchor, plan.load, {}, {0, 2}, "run-b");
  write_results(root / "shard-1", b, other, plan.load, {}, {1, 2}, "run-b");
  std::vector<Results> parts;
  parts.push_back(read_results(root / "shard-1"));
  parts.push_back(read_results(root / "shard-0"));
  const MergedRun merged = merge(std::move(parts));
  EXPECT_FALSE(merged.same_clock);
  EXPECT_EQ(merged.alignment_error_ns, 2 * anchor.read_error_ns);
  test::expect_same_summary(whole, merged.points[0].summary);
  fs::remove_all(root);
}

int merge_exit_code(std::vector<Results> parts, std::string& message) {
  try {
    merge(std::move(parts));
  } catch (const MergeError& e) {
    message = e.what();
    return e.exit_code;
  }
  return 0;
}

TEST(Merge, RefusesMixedRunsTwiceGivenAndMissingShards) {
  const Anchor anchor = Anchor::now();
  metrics::RequestRecord r;
  r.scheduled = anchor.steady;
  r.sent = anchor.steady;
  r.done = anchor.steady + std::chrono::milliseconds(5);
  r.chunks.push_back({anchor.steady + std::chrono::milliseconds(3), 0});
  r.usage.completion_tokens = 1;
  const LoadSpec load{LoadSpec::Mode::Closed, 3, 0.0, "", 1.0};
  const fs::path root = fresh_dir("refuse");
  const auto shard = [&](const std::string& name, std::size_t k, std::size_t n, const std::string& run,
                         std::uint64_t id) {
    r.id = id;
    write_results(root / name, {r}, anchor, load, {}, {k, n}, run);
    return read_results(root / name);
  };
  std::string message;
  {
    std::vector<Results> parts;
    parts.push_back(shard("a0", 0, 3, "run-1", 0));
    parts.push_back(shard("a1", 1, 3, "run-2", 1));
    EXPECT_EQ(merge_exit_code(std::move(parts), message), 2);
    EXPECT_NE(message.find("shards of different runs do not merge"), std::string::npos) << message;
  }
  {
    std::vector<Results> parts;
    parts.push_back(shard("b0", 0, 3, "run-1", 0));
    parts.push_back(shard("b1", 0, 3, "run-1", 3));
    EXPECT_EQ(merge_exit_code(std::move(parts), message), 2);
    EXPECT_NE(message.find("shard 0/3 is given twice"), std::string::npos) << message;
  }
  {
    std::vector<Results> parts;
    parts.push_back(shard("c0", 0, 3, "run-1", 0));
    parts.push_back(shard("c2", 2, 3, "run-1", 2));
    EXPECT_EQ(merge_exit_code(std::move(parts), message), 1);
    EXPECT_NE(message.find("has 3 shards; missing: 1"), std::string::npos) << message;
  }
  {
    std::vector<Results> parts;
    parts.push_back(shard("d0", 0, 2, "run-1", 7));
    parts.push_back(shard("d1", 1, 2, "run-1", 7));
    EXPECT_EQ(merge_exit_code(std::move(parts), message), 2);
    EXPECT_NE(message.find("request 7 of load point 0 appears twice"), std::string::npos) << message;
  }
  {
    std::vector<Results> parts;
    parts.push_back(shard("e0", 0, 2, "run-1", 0));
    parts.push_back(shard("e1", 1, 3, "run-1", 1));
    EXPECT_EQ(merge_exit_code(std::move(parts), message), 2);
    EXPECT_NE(message.find("is a shard of 3 but"), std::string::npos) << message;
  }
  fs::remove_all(root);
}

// N shards run side by side (threads standing in for machines) with a common start, each its
// own slice of the same seeded schedule: every request of the single schedule is sent exactly
// once, at its own intended offset, and the merge counts what a single process counts.
TEST(Merge, ShardsRunSideBySideSendTheSingleScheduleOnceEach) {
  Sim sim;
  const loadgen::HttpTargets targets(sim.target, specs());
  for (const auto& plan : {open_plan(45), closed_plan(6, 45)}) {
    const bool open = !plan.offsets.empty();
    SCOPED_TRACE(open ? "open loop" : "closed loop");
    const std::size_t n = 3;
    const TimePoint start = Clock::now() + std::chrono::milliseconds(100);
    std::vector<loadgen::LoadResult> results(n);
    {
      std::vector<std::jthread> shards;
      for (std::size_t k = 0; k < n; ++k) {
        shards.emplace_back([&, k] {
          loadgen::LoadPlan mine = plan;
          mine.shard = {k, n};
          mine.start = start;
          results[k] = loadgen::run_load(targets, specs(), mine, {});
        });
      }
    }
    std::vector<int> seen(47, 0);
    const fs::path root = fresh_dir(open ? "side-open" : "side-closed");
    std::vector<Results> parts;
    const Anchor anchor = Anchor::now();
    for (std::size_t k = 0; k < n; ++k) {
      for (const auto& r : results[k].records) {
        ASSERT_LT(r.id, seen.size());
        ++seen[r.id];
        EXPECT_EQ(r.id % n, k);
        EXPECT_TRUE(r.ok()) << r.error_detail;
        EXPECT_EQ(r.warmup, r.id < 2);
        if (open) {
          EXPECT_EQ(r.scheduled - start, plan.offsets[r.id]) << "request " << r.id;
        }
      }
      write_results(root / fmt::format("shard-{}", k), results[k].records, anchor, plan.load, {}, {k, n}, "side");
      parts.push_back(read_results(root / fmt::format("shard-{}", k)));
    }
    for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], 1) << "request " << i;
    const MergedRun merged = merge(std::move(parts));
    const auto& s = merged.points[0].summary;
    EXPECT_EQ(s.requests.completed, 45u);
    EXPECT_EQ(s.requests.warmup, 2u);
    EXPECT_EQ(s.tokens.output, 45 * 10);
    EXPECT_EQ(s.tokens.input, 45 * 20);
    fs::remove_all(root);
  }
}

}  // namespace
}  // namespace inferbench::results
