// `inferbench history` (the recorded runs, filtered) and `inferbench compare A B` (a baseline and
// a candidate run: deltas and a noise-aware verdict, exit 3 on a regression). docs/history.md.
#include <fmt/core.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "app/commands.hpp"
#include "core/error.hpp"
#include "history/compare.hpp"
#include "history/history.hpp"
#include "report/json.hpp"
#include "report/results_dir.hpp"

namespace inferbench::app {

namespace {

using nlohmann::json;

std::filesystem::path history_path(const std::string& given) {
  std::filesystem::path path = given.empty() ? history::default_path() : std::filesystem::path(given);
  require(std::filesystem::exists(path), "no history at " + path.string() + " (no run recorded there yet)");
  return path;
}

std::string cell(const std::optional<double>& v, int digits = 1) {
  return v && std::isfinite(*v) ? fmt::format("{:.{}f}", *v, digits) : "-";
}

std::optional<double> number_at(const json& j, std::initializer_list<const char*> path) {
  const json* v = &j;
  for (const char* key : path) {
    if (!v->is_object() || !v->contains(key)) return std::nullopt;
    v = &(*v)[key];
  }
  return v->is_number() ? std::optional<double>(v->get<double>()) : std::nullopt;
}

struct HistoryOptions {
  std::string path;
  std::string model;
  std::string profile;
  std::vector<std::string> labels;
  std::string since, until;
  std::size_t limit = 50;
  bool json = false;
};

void execute_history(const HistoryOptions& o) {
  history::Filter filter;
  filter.model = o.model;
  filter.profile = o.profile;
  filter.since = o.since;
  filter.until = o.until;
  filter.limit = o.limit;
  for (const auto& kv : o.labels) {
    const auto eq = kv.find('=');
    require(eq != std::string::npos && eq > 0, "--label: expected KEY=VALUE, got '" + kv + "'");
    filter.labels.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  const history::History runs(history_path(o.path));
  const auto entries = runs.list(filter);
  if (o.json) {
    json out = json::array();
    for (const auto& e : entries) {
      out.push_back({{"id", e.id},
                     {"recorded_at", e.recorded_at},
                     {"model", e.model},
                     {"labels", e.labels},
                     {"results_dir", e.results_dir.empty() ? json(nullptr) : json(e.results_dir)},
                     {"summary", e.summary}});
    }
    fmt::print("{}\n", report::to_text(out, 2));
    return;
  }
  fmt::print("{:>5}  {:<20}  {:<24}  {:>6}  {:>8}  {:>10}  {:>9}  {}\n", "id", "recorded (UTC)", "model", "points",
             "max req/s", "max tok/s", "TTFT p50", "labels / results");
  for (const auto& e : entries) {
    std::optional<double> rps, tps, ttft;
    std::size_t points = 0;
    if (e.summary.contains("runs") && e.summary["runs"].is_array()) {
      points = e.summary["runs"].size();
      for (const auto& p : e.summary["runs"]) {
        const auto r = number_at(p, {"throughput", "requests_per_s"});
        const auto t = number_at(p, {"throughput", "output_tokens_per_s"});
        if (r && (!rps || *r > *rps)) rps = r;
        if (t && (!tps || *t > *tps)) tps = t;
      }
      if (points > 0) ttft = number_at(e.summary["runs"][0], {"latency", "ttft_ms", "p50"});
    }
    std::string labels;
    for (const auto& [k, v] : e.labels.items()) labels += (labels.empty() ? "" : ",") + k + "=" + v.get<std::string>();
    if (!e.results_dir.empty()) labels += (labels.empty() ? "" : "  ") + e.results_dir;
    fmt::print("{:>5}  {:<20}  {:<24}  {:>6}  {:>8}  {:>10}  {:>9}  {}\n", e.id, e.recorded_at, e.model, points,
               cell(rps, 2), cell(tps), cell(ttft), labels);
  }
  if (entries.size() == o.limit) fmt::print(stderr, "inferbench: the newest {} runs (--limit)\n", o.limit);
}

struct CompareCli {
  std::string base, candidate;
  std::string path;
  double alpha = 0.01;
  std::vector<std::string> thresholds;
  bool json = false;
};

// A result directory, or a run id of the history (its result directory when that is still on
// disk, for the per-request values; else the summary kept in the history).
report::ResultsDir resolve(const std::string& what, const std::string& history_file) {
  if (std::filesystem::exists(std::filesystem::path(what) / "summary.json")) return report::read_results_dir(what);
  const bool is_id = !what.empty() && what.size() < 19 && what.find_first_not_of("0123456789") == std::string::npos;
  require(is_id, "compare: '" + what + "' is neither a results directory (with summary.json) nor a run id");
  const history::History runs(history_path(history_file));
  const auto entry = runs.get(std::stoll(what));
  require(entry.has_value(), "compare: no run " + what + " in the history");
  if (!entry->results_dir.empty() &&
      std::filesystem::exists(std::filesystem::path(entry->results_dir) / "summary.json")) {
    return report::read_results_dir(entry->results_dir);
  }
  require(entry->summary.contains("runs") && entry->summary["runs"].is_array(),
          "compare: run " + what + " has no summary in the history");
  return report::ResultsDir{.dir = {}, .summary = entry->summary, .requests = std::nullopt};
}

void execute_compare(const CompareCli& o) {
  history::CompareOptions options;
  require(std::isfinite(o.alpha) && o.alpha > 0 && o.alpha < 1, "--alpha: must be between 0 and 1");
  options.alpha = o.alpha;
  for (const auto& kv : o.thresholds) {
    const auto eq = kv.find('=');
    require(eq != std::string::npos && eq > 0, "--threshold: expected METRIC=PERCENT, got '" + kv + "'");
    double value = 0;
    try {
      std::size_t used = 0;
      value = std::stod(kv.substr(eq + 1), &used);
      require(used == kv.size() - eq - 1, "");
    } catch (const std::exception&) {
      throw Error("--threshold: '" + kv.substr(eq + 1) + "' is not a number (in '" + kv + "')");
    }
    options.thresholds[kv.substr(0, eq)] = value;
  }
  const report::ResultsDir base = resolve(o.base, o.path);
  const report::ResultsDir candidate = resolve(o.candidate, o.path);
  const auto deltas = history::compare_runs(base, candidate, options);
  std::size_t regressions = 0;
  for (const auto& d : deltas) regressions += d.verdict == history::Verdict::Regressed ? 1 : 0;
  if (o.json) {
    json out = json::array();
    for (const auto& d : deltas) {
      out.push_back({{"load_point", d.load_point},
                     {"load", d.load},
                     {"metric", d.metric},
                     {"base", d.base ? report::number_or_null(*d.base) : json(nullptr)},
                     {"candidate", d.candidate ? report::number_or_null(*d.candidate) : json(nullptr)},
                     {"change", d.change ? report::number_or_null(*d.change) : json(nullptr)},
                     {"p", d.p ? report::number_or_null(*d.p) : json(nullptr)},
                     {"base_n", d.base_n},
                     {"candidate_n", d.candidate_n},
                     {"verdict", history::to_string(d.verdict)}});
    }
    fmt::print("{}\n", report::to_text(json{{"regressions", regressions}, {"metrics", out}}, 2));
  } else {
    fmt::print("{:<22}  {:<19}  {:>10}  {:>10}  {:>8}  {:>7}  {}\n", "load", "metric", "base", "candidate", "change",
               "p", "verdict");
    for (const auto& d : deltas) {
      const bool points = d.metric == "failure_rate";
      const std::string change = !d.change ? "-"
                                 : points  ? fmt::format("{:+.2f} pp", *d.change)
                                           : fmt::format("{:+.1f} %", *d.change * 100.0);
      fmt::print("{:<22}  {:<19}  {:>10}  {:>10}  {:>8}  {:>7}  {}\n", d.load, d.metric,
                 cell(d.base ? std::optional<double>(*d.base * (points ? 100.0 : 1.0)) : std::nullopt, 2),
                 cell(d.candidate ? std::optional<double>(*d.candidate * (points ? 100.0 : 1.0)) : std::nullopt, 2),
                 change, d.p ? fmt::format("{:.3g}", *d.p) : "-", history::to_string(d.verdict));
    }
  }
  if (regressions > 0) {
    fmt::print(stderr, "inferbench: gate failed: {} regression{} beyond the thresholds (exit 3)\n", regressions,
               regressions == 1 ? "" : "s");
    throw CLI::RuntimeError(3);
  }
}

}  // namespace

void add_history_commands(CLI::App& app) {
  auto h = std::make_shared<HistoryOptions>();
  auto* list = app.add_subcommand("history", "List the recorded runs, newest first (filter by model, label, date)");
  list->add_option("--history", h->path, "History file (default: $XDG_DATA_HOME/inferbench/history.sqlite)");
  list->add_option("--model", h->model, "Only runs of this model");
  list->add_option("--profile", h->profile,
                   "Only runs started from this profile (a built-in profile's name, or the file's path as given)");
  list->add_option("--label", h->labels, "Only runs with this label KEY=VALUE (repeatable: all must match)");
  list->add_option("--since", h->since, "Only runs recorded on or after this UTC date or time (YYYY-MM-DD[THH:MM:SS])");
  list->add_option("--until", h->until, "Only runs recorded before the end of this UTC date (or before this time)");
  list->add_option("--limit", h->limit, "At most this many runs")->capture_default_str()->check(CLI::Range(1, 1000000));
  list->add_flag("--json", h->json, "Print the runs (with their summaries) as JSON");
  list->callback([h] { execute_history(*h); });

  auto c = std::make_shared<CompareCli>();
  auto* cmp = app.add_subcommand(
      "compare", "Compare a candidate run with a baseline: deltas, a noise-aware verdict, exit 3 on a regression");
  cmp->add_option("base", c->base, "Baseline: a results directory or a run id of the history")->required();
  cmp->add_option("candidate", c->candidate, "Candidate: a results directory or a run id of the history")->required();
  cmp->add_option("--history", c->path, "History file for run ids (default: $XDG_DATA_HOME/inferbench/history.sqlite)");
  cmp->add_option("--alpha", c->alpha, "Significance level of the Mann-Whitney U test on per-request latencies")
      ->capture_default_str();
  cmp->add_option("--threshold", c->thresholds,
                  "Allowed change METRIC=PERCENT (repeatable): ttft, tpot, itl, e2e, requests_per_s, "
                  "output_tokens_per_s (default 5), failure_rate (percentage points, default 1)");
  cmp->add_flag("--json", c->json, "Print the comparison as JSON");
  cmp->callback([c] { execute_compare(*c); });
}

}  // namespace inferbench::app
