#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "app/commands.hpp"
#include "app/mlflow_experiment.hpp"
#include "app/mlflow_upload.hpp"
#include "core/error.hpp"
#include "exports/summary_view.hpp"
#include "mlflow/limits.hpp"
#include "mlflow/upload.hpp"

namespace inferbench::app {

void add_log_mlflow_command(CLI::App& app) {
  auto target = std::make_shared<MlflowTarget>();
  auto dir = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "log-mlflow",
      "Upload a results directory (summary.json and the files beside it) to MLflow: a parent run and one run per "
      "load point; or an experiment's folder: its run with every finished cell nested under it. Results already "
      "uploaded there are not uploaded twice");
  cmd->add_option("RESULTS_DIR", *dir,
                  "Directory written by inferbench run --output (or inferbench experiment --output)")
      ->required();
  cmd->add_option("--mlflow-uri", target->uri, "MLflow tracking server (default: $MLFLOW_TRACKING_URI)");
  auto* experiment = cmd->add_option(
      "--experiment", target->experiment,
      fmt::format("MLflow experiment (created when missing; default: the one the results were configured "
                  "with, else {})",
                  mlflow::kDefaultExperiment));
  cmd->add_option("--run-name", target->run_name,
                  "Name of the parent run (default: as the run was configured, else inferbench <model>; an "
                  "experiment's run: the experiment's name)");
  cmd->add_option("--mlflow-parent-run", target->parent_run, "Nest the upload under this existing MLflow run (its id)");
  cmd->add_flag("--mlflow-restore-experiment", target->restore_experiment,
                "Restore the experiment when it was deleted (MLflow keeps a deleted experiment's name)");
  cmd->callback([target, dir, experiment] {
    if (target->uri.empty()) {
      if (const char* env = std::getenv("MLFLOW_TRACKING_URI"); env != nullptr) target->uri = env;
    }
    require(!target->uri.empty(), "log-mlflow needs --mlflow-uri or MLFLOW_TRACKING_URI");
    require(experiment->count() == 0 || (!target->experiment.empty() && target->experiment.size() <= 500),
            "--experiment: an MLflow experiment name has 1 to 500 characters");
    require(target->parent_run.empty() || mlflow::is_run_id(target->parent_run),
            fmt::format("--mlflow-parent-run: '{}' is not an MLflow run id", target->parent_run));
    const std::filesystem::path path(*dir);
    require(std::filesystem::is_directory(path), fmt::format("{}: no such results directory", *dir));
    const bool is_experiment =
        !std::filesystem::exists(path / "summary.json") && std::filesystem::exists(path / "experiment.json");
    if (is_experiment) {
      require(target->parent_run.empty(), "--mlflow-parent-run: an experiment's run is a top-level run");
      if (!upload_experiment_to_mlflow(path, *target)) throw CLI::RuntimeError(1);
      return;
    }
    require(std::filesystem::exists(path / "summary.json"),
            fmt::format("{}: no summary.json (is it a directory written by inferbench run --output?)", *dir));
    // Bad input is a usage error (exit 2).
    const nlohmann::json summary = exports::read_summary((path / "summary.json").string());
    if (experiment->count() == 0) {  // where the run was configured to go
      const std::string configured = exports::text_at(summary, "/config/mlflow/experiment");
      target->experiment = configured.empty() ? mlflow::kDefaultExperiment : configured;
    }
    if (!upload_to_mlflow(path, *target)) throw CLI::RuntimeError(1);
  });
}

}  // namespace inferbench::app
