#include "experiment/combine.hpp"

#include <cmath>
#include <fstream>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "report/csv.hpp"

namespace inferbench::experiment {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The load points of a run's summary.json (an empty list when it is missing or unreadable: the
// run's status says why).
nlohmann::json load_points(const std::filesystem::path& dir) {
  std::ifstream in(dir / "summary.json");
  if (!in) return nlohmann::json::array();
  const nlohmann::json summary = nlohmann::json::parse(in, nullptr, false);
  if (summary.is_discarded() || !summary.contains("runs") || !summary["runs"].is_array()) {
    return nlohmann::json::array();
  }
  return summary["runs"];
}

double number_at(const nlohmann::json& point, const std::string& pointer) {
  const nlohmann::json::json_pointer p(pointer);
  if (!point.contains(p) || !point[p].is_number()) return kNaN;
  return point[p].get<double>();
}

std::string number_cell(double v) { return std::isfinite(v) ? fmt::format("{}", v) : std::string(); }

// "c=5" for a closed-loop point, "2 req/s" for an open-loop one.
std::string load_text(const nlohmann::json& point) {
  const nlohmann::json& load = point.value("load", nlohmann::json::object());
  if (load.value("mode", "") == "closed" && load.contains("concurrency") && load["concurrency"].is_number()) {
    return fmt::format("c={}", load["concurrency"].dump());
  }
  if (load.contains("rate") && load["rate"].is_number()) return fmt::format("{} req/s", load["rate"].dump());
  return load.value("mode", "?");
}

std::string level_of(const CellRun& run, const std::string& factor) {
  for (const auto& [key, value] : run.levels) {
    if (key == factor) return value;
  }
  return "";
}

// "12.3 ± 0.4" (the half-width of the 95 % interval), or the mean alone with one repeat.
std::string mean_pm(const Spread& s) {
  if (s.n == 0) return "-";
  if (!std::isfinite(s.ci95_high)) return fmt::format("{:.2f}", s.mean);
  return fmt::format("{:.2f} ± {:.2f}", s.mean, (s.ci95_high - s.ci95_low) / 2);
}

}  // namespace

double t975(std::size_t dof) {
  // Student's t, two-sided 95 %: exact table to 30 degrees of freedom, then the normal limit
  // approached through 40, 60 and 120.
  static const double table[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                 2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                 2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (dof == 0) return kNaN;
  if (dof <= 30) return table[dof - 1];
  if (dof <= 40) return 2.021;
  if (dof <= 60) return 2.000;
  if (dof <= 120) return 1.980;
  return 1.960;
}

Spread spread(const std::vector<double>& xs) {
  Spread s;
  s.n = xs.size();
  if (s.n == 0) return {0, kNaN, kNaN, kNaN, kNaN};
  double sum = 0;
  for (const double x : xs) sum += x;
  s.mean = sum / static_cast<double>(s.n);
  if (s.n < 2) {
    s.sd = s.ci95_low = s.ci95_high = kNaN;
    return s;
  }
  double squares = 0;
  for (const double x : xs) squares += (x - s.mean) * (x - s.mean);
  s.sd = std::sqrt(squares / static_cast<double>(s.n - 1));
  const double half = t975(s.n - 1) * s.sd / std::sqrt(static_cast<double>(s.n));
  s.ci95_low = s.mean - half;
  s.ci95_high = s.mean + half;
  return s;
}

const std::vector<std::pair<std::string, std::string>>& headline_metrics() {
  static const std::vector<std::pair<std::string, std::string>> metrics = {
      {"completed", "/requests/completed"},
      {"failed", "/requests/failed"},
      {"requests_per_s", "/throughput/requests_per_s"},
      {"output_tokens_per_s", "/throughput/output_tokens_per_s"},
      {"total_tokens_per_s", "/throughput/total_tokens_per_s"},
      {"ttft_ms_p50", "/latency/ttft_ms/p50"},
      {"ttft_ms_p99", "/latency/ttft_ms/p99"},
      {"tpot_ms_p50", "/latency/tpot_ms/p50"},
      {"tpot_ms_p99", "/latency/tpot_ms/p99"},
      {"itl_ms_p50", "/latency/itl_ms/p50"},
      {"e2e_ms_p50", "/latency/e2e_ms/p50"},
      {"e2e_ms_p99", "/latency/e2e_ms/p99"},
  };
  return metrics;
}

Combined combine(const std::string& name, const std::vector<std::string>& factors, const std::vector<CellRun>& runs,
                 int repeats) {
  Combined out;
  const auto& metrics = headline_metrics();
  const std::vector<std::string> keys = factors.empty() ? std::vector<std::string>{"treatment"} : factors;

  // experiment.csv and experiment.json: every run's load points.
  out.csv = "experiment,cell,repeat";
  for (const auto& k : keys) out.csv += "," + report::csv_field(k);
  out.csv += ",status,exit_code,point,mode,concurrency,rate";
  for (const auto& [column, pointer] : metrics) out.csv += "," + column;
  out.csv += "\n";
  out.json = {{"experiment", name}, {"factors", keys}, {"repeats", repeats}, {"cells", nlohmann::json::array()}};
  // Per cell and load point, each metric's values across repeats, in the runs' order.
  std::map<std::pair<std::string, std::size_t>, std::vector<std::vector<double>>> across;
  std::map<std::pair<std::string, std::size_t>, std::string> point_load;
  std::vector<std::string> cell_order;
  for (const CellRun& run : runs) {
    if (run.repeat == 1) cell_order.push_back(run.cell);
    const nlohmann::json points = load_points(run.dir);
    nlohmann::json entry = {{"cell", run.cell},
                            {"repeat", run.repeat},
                            {"dir", run.dir.string()},
                            {"status", run.status},
                            {"exit_code", run.exit_code},
                            {"levels", nlohmann::json::object()},
                            {"points", nlohmann::json::array()}};
    for (const auto& [key, value] : run.levels) entry["levels"][key] = value;
    const std::string prefix =
        fmt::format("{},{},{}", report::csv_field(name), report::csv_field(run.cell), run.repeat);
    std::string levels;
    for (const auto& k : keys) levels += "," + report::csv_field(level_of(run, k));
    const std::string status = fmt::format(",{},{}", run.status, run.exit_code);
    if (points.empty()) out.csv += prefix + levels + status + ",,,,";
    if (points.empty()) {
      for (std::size_t m = 0; m < metrics.size(); ++m) out.csv += ",";
      out.csv += "\n";
    }
    for (std::size_t i = 0; i < points.size(); ++i) {
      const nlohmann::json& p = points[i];
      const nlohmann::json load = p.value("load", nlohmann::json::object());
      out.csv += prefix + levels + status +
                 fmt::format(",{},{},{},{}", i, report::csv_field(load.value("mode", "")),
                             load.contains("concurrency") ? load["concurrency"].dump() : "",
                             load.contains("rate") && !load["rate"].is_null() ? load["rate"].dump() : "");
      nlohmann::json values = {{"load", load}};
      auto& series = across[{run.cell, i}];
      series.resize(metrics.size());
      point_load[{run.cell, i}] = load_text(p);
      for (std::size_t m = 0; m < metrics.size(); ++m) {
        const double v = number_at(p, metrics[m].second);
        out.csv += "," + number_cell(v);
        values[metrics[m].first] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
        if (std::isfinite(v)) series[m].push_back(v);
      }
      out.csv += "\n";
      entry["points"].push_back(std::move(values));
    }
    out.json["cells"].push_back(std::move(entry));
  }

  // Across repeats: mean, sd and 95 % interval per cell, load point and metric.
  if (repeats > 1) {
    out.repeats_csv = "experiment,cell,point,load,metric,n,mean,sd,ci95_low,ci95_high\n";
    out.json["across_repeats"] = nlohmann::json::array();
    for (const auto& [where, series] : across) {
      nlohmann::json row = {{"cell", where.first}, {"point", where.second}, {"load", point_load[where]}};
      for (std::size_t m = 0; m < metrics.size(); ++m) {
        const Spread s = spread(series[m]);
        out.repeats_csv +=
            fmt::format("{},{},{},{},{},{},{},{},{},{}\n", report::csv_field(name), report::csv_field(where.first),
                        where.second, report::csv_field(point_load[where]), metrics[m].first, s.n, number_cell(s.mean),
                        number_cell(s.sd), number_cell(s.ci95_low), number_cell(s.ci95_high));
        const auto j = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
        row[metrics[m].first] = {{"n", s.n},
                                 {"mean", j(s.mean)},
                                 {"sd", j(s.sd)},
                                 {"ci95_low", j(s.ci95_low)},
                                 {"ci95_high", j(s.ci95_high)}};
      }
      out.json["across_repeats"].push_back(std::move(row));
    }
  }

  // The terminal's table: one line per cell and load point (means ± 95 % half-widths with repeats).
  out.table = fmt::format("Experiment {}: {} cell{}{}\n", name, cell_order.size(), cell_order.size() == 1 ? "" : "s",
                          repeats > 1 ? fmt::format(", {} repeats (mean ± 95 % interval)", repeats) : "");
  out.table += fmt::format("{:<36} {:>10} {:>16} {:>18} {:>18} {:>18}  {}\n", "cell", "load", "req/s", "out tok/s",
                           "TTFT p99 ms", "TPOT p50 ms", "status");
  std::map<std::string, std::string> status_of;
  for (const CellRun& run : runs) {
    std::string& s = status_of[run.cell];
    if (run.status != "done" || s.empty()) s = run.status;
  }
  for (const std::string& cell : cell_order) {
    bool any = false;
    for (std::size_t i = 0; across.count({cell, i}) != 0; ++i) {
      const auto& series = across[{cell, i}];
      out.table += fmt::format("{:<36} {:>10} {:>16} {:>18} {:>18} {:>18}  {}\n", cell, point_load[{cell, i}],
                               mean_pm(spread(series[2])), mean_pm(spread(series[3])), mean_pm(spread(series[6])),
                               mean_pm(spread(series[7])), status_of[cell]);
      any = true;
    }
    if (!any)
      out.table += fmt::format("{:<36} {:>10} {:>16} {:>18} {:>18} {:>18}  {}\n", cell, "-", "-", "-", "-", "-",
                               status_of[cell]);
  }
  return out;
}

}  // namespace inferbench::experiment
