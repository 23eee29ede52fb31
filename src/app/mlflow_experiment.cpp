#include "app/mlflow_experiment.hpp"

#include <fmt/format.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "config/json.hpp"
#include "core/error.hpp"
#include "core/version.hpp"
#include "exports/summary_view.hpp"

namespace inferbench::app {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The experiment's own files, uploaded as its run's artifacts when present.
const std::vector<std::string> kExperimentArtifacts = {"experiment.csv", "experiment.json", "experiment-repeats.csv"};

void warn(const std::string& w) { fmt::print(stderr, "inferbench: MLflow: warning: {}\n", w); }

void print_failure(const fs::path& dir, const std::string& what) {
  fmt::print(stderr,
             "inferbench: MLflow: the experiment's run: {}\ninferbench: MLflow: the results are safe in {}; upload "
             "them later with: inferbench log-mlflow {}\n",
             what, dir.string(), dir.string());
}

json read_json(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot read {}", path.string()));
  json doc = json::parse(in, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) throw Error(fmt::format("{} is not valid JSON", path.string()));
  return doc;
}

// A whole number of `doc` at `key` (between 1 and 1000, as --repeat), `fallback` when absent.
int count_at(const json& doc, const char* key, int fallback, const fs::path& file) {
  if (!doc.contains(key)) return fallback;
  const json& v = doc[key];
  require(v.is_number_integer() && v.get<std::int64_t>() >= 1 && v.get<std::int64_t>() <= 1000,
          fmt::format("{}: '{}' is not a whole number from 1 to 1000", file.string(), key));
  return v.get<int>();
}

}  // namespace

std::string experiment_run_status(std::size_t runs, std::size_t done, std::size_t failed, bool interrupted) {
  if (failed > 0) return "FAILED";
  if (interrupted || done < runs) return "KILLED";
  return "FINISHED";
}

std::string open_experiment_run(const fs::path& dir, const MlflowTarget& target, const ExperimentRunInfo& info) {
  try {
    mlflow::UploadOptions options = upload_options(target);
    if (options.run_name.empty()) options.run_name = info.name;
    const std::vector<mlflow::Param> params = {{"experiment.name", info.name},
                                               {"experiment.factors", json(info.factors).dump()}};
    // Tags, replaced when the experiment resumes (it may have gained cells).
    const std::vector<mlflow::Tag> tags = {{"inferbench.version", std::string(kVersion)},
                                           {"experiment", info.name},
                                           {"experiment.cells", std::to_string(info.cells)},
                                           {"experiment.repeats", std::to_string(info.repeats)}};
    const mlflow::GroupRun run = mlflow::open_group_run(dir, options, params, tags, warn);
    fmt::print(stderr, "inferbench: MLflow: experiment '{}' at {}: {} run {}; the cells' runs nest under it\n",
               target.experiment, config::redact_userinfo(target.uri), run.reused ? "reopened" : "opened", run.run_id);
    return run.run_id;
  } catch (const Error& e) {
    print_failure(dir, fmt::format("not opened: {}; the cells upload on their own", e.what()));
    return "";
  }
}

bool close_experiment_run(const fs::path& dir, const MlflowTarget& target, const std::string& status) {
  try {
    mlflow::close_group_run(dir, upload_options(target), kExperimentArtifacts, status, warn);
    return true;
  } catch (const Error& e) {
    print_failure(dir, fmt::format("not ended: {}", e.what()));
    return false;
  }
}

bool upload_experiment_to_mlflow(const fs::path& dir, MlflowTarget target) {
  const json experiment = read_json(dir / "experiment.json");
  require(experiment.contains("cells") && experiment["cells"].is_array(),
          fmt::format("{}: no cells (is it written by inferbench experiment?)", (dir / "experiment.json").string()));
  ExperimentRunInfo info;
  info.name = exports::text_at(experiment, "/experiment");
  require(!info.name.empty(), fmt::format("{}: no experiment name", (dir / "experiment.json").string()));
  if (experiment.contains("factors") && experiment["factors"].is_array()) {
    for (const json& f : experiment["factors"])
      if (f.is_string()) info.factors.push_back(f.get<std::string>());
  }
  const fs::path file = dir / "experiment.json";
  info.repeats = count_at(experiment, "repeats", 1, file);
  // Each run of each cell, where the experiment left it, with its status.
  struct CellDir {
    fs::path dir;
    std::string status;
  };
  std::vector<CellDir> runs;
  std::size_t done = 0, failed = 0;
  for (const json& cell : experiment["cells"]) {
    require(cell.is_object(), fmt::format("{}: a cell that is not an object", file.string()));
    const std::string name = exports::text_at(cell, "/cell");
    require(!name.empty() && fs::path(name).filename() == name,
            fmt::format("{}: a cell without a plain name", (dir / "experiment.json").string()));
    fs::path cell_dir = dir / name;
    const int repeat = count_at(cell, "repeat", 1, file);
    if (info.repeats > 1) cell_dir /= fmt::format("repeat-{}", repeat);
    const std::string status = exports::text_at(cell, "/status");
    runs.push_back({cell_dir, status});
    done += status == "done" ? 1 : 0;
    failed += status == "failed" ? 1 : 0;
    if (repeat == 1) ++info.cells;
  }
  // The MLflow experiment the cells were configured with (by default the experiment's name).
  if (target.experiment.empty()) {
    for (const CellDir& run : runs) {
      if (run.status != "done" || !fs::exists(run.dir / "summary.json")) continue;
      target.experiment =
          exports::text_at(exports::read_summary((run.dir / "summary.json").string()), "/config/mlflow/experiment");
      break;
    }
    if (target.experiment.empty()) target.experiment = info.name;
  }
  const std::string parent = open_experiment_run(dir, target, info);
  if (parent.empty()) return false;
  bool all_in = true;
  for (const CellDir& run : runs) {
    if (run.status != "done") {
      fmt::print(stderr, "inferbench: MLflow: {}: {}, not uploaded\n", run.dir.string(),
                 run.status.empty() ? "no status" : run.status);
      continue;
    }
    MlflowTarget cell = target;
    cell.parent_run = parent;
    cell.run_name.clear();  // each cell keeps its own name (its mlflow.run_name)
    all_in = upload_to_mlflow(run.dir, cell) && all_in;
  }
  const bool closed =
      close_experiment_run(dir, target, experiment_run_status(runs.size(), done, failed, /*interrupted=*/false));
  return all_in && closed;
}

}  // namespace inferbench::app
