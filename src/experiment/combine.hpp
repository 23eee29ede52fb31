#pragma once
// An experiment's combined results: one table and CSV over every cell (and repeat), read from
// the cells' summary.json files, and across repeats the mean, standard deviation and 95 %
// confidence interval of each headline metric.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace inferbench::experiment {

// One run of one cell, as the runner left it.
struct CellRun {
  std::string cell;
  int repeat = 1;                                           // 1..N
  std::vector<std::pair<std::string, std::string>> levels;  // as in Cell
  std::filesystem::path dir;                                // its results
  std::string status;                                       // "done", "failed", "not run"
  int exit_code = 0;
};

// Mean, sample standard deviation and the 95 % interval of the mean (Student's t) of `xs`.
// With fewer than two values the spread and the interval are NaN: unknown, not zero.
struct Spread {
  std::size_t n = 0;
  double mean = 0, sd = 0, ci95_low = 0, ci95_high = 0;
};
Spread spread(const std::vector<double>& xs);
// The 0.975 quantile of Student's t with `dof` degrees of freedom (dof >= 1).
double t975(std::size_t dof);

// The headline metrics of the combined outputs: (CSV column, JSON pointer into a summary.json run).
const std::vector<std::pair<std::string, std::string>>& headline_metrics();

struct Combined {
  nlohmann::json json;      // experiment.json
  std::string csv;          // experiment.csv: one row per cell, repeat and load point
  std::string repeats_csv;  // experiment-repeats.csv (empty with one repeat): one row per cell, load point, metric
  std::string table;        // what the terminal shows
};
// Reads each run's summary.json (a missing or unreadable one leaves its rows with the status
// and empty metrics) and combines them. `factors` are the experiment's factor keys (empty in
// the treatments form).
Combined combine(const std::string& name, const std::vector<std::string>& factors, const std::vector<CellRun>& runs,
                 int repeats);

}  // namespace inferbench::experiment
