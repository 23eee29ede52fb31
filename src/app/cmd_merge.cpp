// `inferbench merge DIR... --output DIR`: one result from the shards of a run, recomputed from
// their raw records (docs/scale-out.md, "Merge").
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>

#include "app/commands.hpp"
#include "app/merge_results.hpp"
#include "core/error.hpp"
#include "core/version.hpp"
#include "report/csv.hpp"
#include "report/json.hpp"
#include "report/table.hpp"
#include "results/merge.hpp"
#include "results/reader.hpp"
#include "results/record_line.hpp"

namespace inferbench::app {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct MergeOptions {
  std::vector<std::string> inputs;
  std::string output;
  bool json = false;
};

// A results folder, or a folder of shard-K results folders (what `run --shard … --output DIR`
// writes), as the list of results folders.
std::vector<fs::path> expand(const std::vector<std::string>& inputs) {
  std::vector<fs::path> dirs;
  for (const auto& input : inputs) {
    const fs::path dir(input);
    require(fs::is_directory(dir), input + ": no such folder");
    if (fs::exists(dir / "summary.json")) {
      dirs.push_back(dir);
      continue;
    }
    std::vector<fs::path> shards;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.is_directory() && entry.path().filename().string().starts_with("shard-") &&
          fs::exists(entry.path() / "summary.json")) {
        shards.push_back(entry.path());
      }
    }
    require(!shards.empty(), input + ": holds no summary.json and no shard-K results folder");
    std::sort(shards.begin(), shards.end());
    dirs.insert(dirs.end(), shards.begin(), shards.end());
  }
  return dirs;
}

void write_file(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  require(static_cast<bool>(out), "cannot write " + path.string());
}

}  // namespace

MergeOutcome merge_results(const std::vector<std::string>& inputs, const std::string& output, bool print_json) {
  const std::vector<fs::path> dirs = expand(inputs);
  const fs::path out(output);
  for (const auto& d : dirs) {
    std::error_code ec;
    require(!fs::equivalent(d, out, ec), fmt::format("--output {} is one of the inputs", output));
  }
  std::vector<results::Results> shards;
  shards.reserve(dirs.size());
  for (const auto& d : dirs) shards.push_back(results::read_results(d));
  // Kept before merge() consumes the shards' records.
  std::vector<std::pair<std::size_t, json>> shard_summaries;
  shard_summaries.reserve(shards.size());
  for (const auto& s : shards) shard_summaries.emplace_back(s.shard.index, s.summary);
  const json first = shards.front().summary;

  results::MergedRun merged;
  try {
    merged = results::merge(std::move(shards));
  } catch (const results::MergeError& e) {
    fmt::print(stderr, "inferbench: merge: {}\n", e.what());
    return {e.exit_code, {}};
  }

  std::error_code ec;
  fs::create_directories(out / "shards", ec);
  require(!ec, "cannot create " + (out / "shards").string() + ": " + ec.message());
  json summary = {{"tool", "inferbench"},
                  {"version", kVersion},
                  {"interrupted", false},
                  {"run_id", merged.run_id},
                  {"shard", {{"index", 0}, {"count", 1}}},
                  {"merged",
                   {{"shards", merged.shard_count},
                    {"from", json::array()},
                    {"same_clock", merged.same_clock},
                    {"alignment_error_ns", merged.alignment_error_ns}}},
                  {"clock", results::to_json(merged.anchor)},
                  {"config", first.value("config", json::object())},
                  {"runs", json::array()}};
  for (const auto& d : dirs) summary["merged"]["from"].push_back(d.string());
  if (summary["config"].contains("shard")) summary["config"]["shard"]["id"] = nullptr;

  std::string lines;
  std::vector<metrics::LoadPointSummary> points;
  for (std::size_t p = 0; p < merged.points.size(); ++p) {
    const results::MergedPoint& point = merged.points[p];
    for (const auto& r : point.records) {
      results::append_request_line(lines, r, p, merged.anchor);
      lines += '\n';
    }
    json point_json = report::to_json(point.summary);
    // What the workload intended is the same for every shard; server metrics are each shard's own.
    const auto& runs = first["runs"];
    if (p < runs.size() && runs[p].contains("workload")) point_json["workload"] = runs[p]["workload"];
    summary["runs"].push_back(std::move(point_json));
    summary["interrupted"] = summary["interrupted"].get<bool>() || point.summary.interrupted;
    points.push_back(point.summary);
  }
  write_file(out / "requests.jsonl", lines);
  write_file(out / "summary.json", report::to_text(summary, 2) + "\n");
  write_file(out / "summary.csv", report::to_csv(points));
  // The shards' own summaries, beside the merged one (their server metrics live there).
  for (const auto& [index, shard_summary] : shard_summaries) {
    const fs::path dir = out / "shards" / fmt::format("shard-{}", index);
    fs::create_directories(dir, ec);
    require(!ec, "cannot create " + dir.string() + ": " + ec.message());
    write_file(dir / "summary.json", report::to_text(shard_summary, 2) + "\n");
  }

  if (print_json) {
    fmt::print("{}\n", report::to_text(summary, 2));
  } else {
    for (const auto& s : points) fmt::print("{}\n", report::format_table(s));
  }
  fmt::print(stderr, "inferbench: merged {} shards of run {} into {}{}\n", merged.shard_count, merged.run_id,
             out.string(),
             merged.same_clock ? " (one machine's clock)"
                               : fmt::format(" (clocks aligned by wall time, ±{:.3f} ms plus the hosts' clock offset)",
                                             static_cast<double>(merged.alignment_error_ns) / 1e6));
  std::size_t completed = 0;
  for (const auto& s : points) completed += s.requests.completed;
  if (completed == 0) fmt::print(stderr, "inferbench: no request succeeded in any shard (exit 1)\n");
  return {completed == 0 ? 1 : 0, std::move(points)};
}

void add_merge_command(CLI::App& app) {
  auto options = std::make_shared<MergeOptions>();
  auto* cmd = app.add_subcommand(
      "merge", "Merge the shards of one run (inferbench run --shard …) into one result, from their raw records");
  cmd->add_option("dirs", options->inputs, "Results folders of the shards, or a folder holding their shard-K folders")
      ->required();
  cmd->add_option("--output", options->output,
                  "Folder for the merged summary.json, requests.jsonl, summary.csv "
                  "and the shards' summaries (shards/shard-K)")
      ->required();
  cmd->add_flag("--json", options->json, "Print the merged summary.json to stdout instead of the tables");
  cmd->callback([options] {
    const int rc = merge_results(options->inputs, options->output, options->json).exit_code;
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace inferbench::app
