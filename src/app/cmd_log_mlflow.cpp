#include <fmt/core.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "app/commands.hpp"
#include "app/mlflow_upload.hpp"
#include "core/error.hpp"
#include "exports/summary_view.hpp"
#include "mlflow/upload.hpp"

namespace inferbench::app {

void add_log_mlflow_command(CLI::App& app) {
  auto target = std::make_shared<MlflowTarget>();
  auto dir = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "log-mlflow",
      "Upload a results directory (summary.json and the files beside it) to MLflow: a parent run and one run per "
      "load point; results already uploaded there are not uploaded twice");
  cmd->add_option("RESULTS_DIR", *dir, "Directory written by inferbench run --output")->required();
  cmd->add_option("--mlflow-uri", target->uri, "MLflow tracking server (default: $MLFLOW_TRACKING_URI)");
  target->experiment = mlflow::kDefaultExperiment;
  cmd->add_option("--experiment", target->experiment, "MLflow experiment (created when missing)")
      ->capture_default_str();
  cmd->add_option("--run-name", target->run_name, "Name of the parent run (default: inferbench <model>)");
  cmd->add_flag("--mlflow-restore-experiment", target->restore_experiment,
                "Restore the experiment when it was deleted (MLflow keeps a deleted experiment's name)");
  cmd->callback([target, dir] {
    if (target->uri.empty()) {
      if (const char* env = std::getenv("MLFLOW_TRACKING_URI"); env != nullptr) target->uri = env;
    }
    require(!target->uri.empty(), "log-mlflow needs --mlflow-uri or MLFLOW_TRACKING_URI");
    require(!target->experiment.empty() && target->experiment.size() <= 500,
            "--experiment: an MLflow experiment name has 1 to 500 characters");
    const std::filesystem::path path(*dir);
    require(std::filesystem::is_directory(path), fmt::format("{}: no such results directory", *dir));
    require(std::filesystem::exists(path / "summary.json"),
            fmt::format("{}: no summary.json (is it a directory written by inferbench run --output?)", *dir));
    (void)exports::read_summary((path / "summary.json").string());  // bad input is a usage error (exit 2)
    if (!upload_to_mlflow(path, *target)) throw CLI::RuntimeError(1);
  });
}

}  // namespace inferbench::app
