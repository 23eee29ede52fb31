#pragma once
// The MLflow side of an experiment matrix (docs/mlflow.md, "Experiments"): one run for the
// experiment, each cell's run nested under it (and each cell's load points under the cell's),
// with experiment.csv and experiment.json as its artifacts. Messages go to stderr; a failure is
// printed with how to upload later, never thrown, and never costs a result.
#include <filesystem>
#include <string>
#include <vector>

#include "app/mlflow_upload.hpp"

namespace inferbench::app {

struct ExperimentRunInfo {
  std::string name;                  // the experiment's name (the run's name unless target.run_name)
  std::vector<std::string> factors;  // its factor keys ("treatment" in the treatments form)
  std::size_t cells = 0;
  int repeats = 1;
};

// Opens the experiment's run in `dir` (reopened when an earlier invocation made it); its run id,
// or "" when MLflow failed (the cells then upload on their own, top-level).
std::string open_experiment_run(const std::filesystem::path& dir, const MlflowTarget& target,
                                const ExperimentRunInfo& info);

// Ends the experiment's run with `status` (FINISHED, FAILED or KILLED) after uploading the
// experiment's tables; false when MLflow failed.
bool close_experiment_run(const std::filesystem::path& dir, const MlflowTarget& target, const std::string& status);

// `inferbench log-mlflow EXPERIMENT_DIR`: the experiment's run, then every finished cell nested
// under it (cells uploaded already are not uploaded again), then its end. An empty
// target.experiment means the cells' own (their mlflow.experiment). True when all is in MLflow.
bool upload_experiment_to_mlflow(const std::filesystem::path& dir, MlflowTarget target);

// The status an experiment's run ends with: FINISHED when every run of every cell is done,
// KILLED when it was interrupted or some are not run, FAILED when some failed.
std::string experiment_run_status(std::size_t runs, std::size_t done, std::size_t failed, bool interrupted);

}  // namespace inferbench::app
