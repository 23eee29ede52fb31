#pragma once
// The MLflow upload of a results directory, shared by `inferbench run --mlflow-uri` (after
// the run) and `inferbench log-mlflow DIR` (later): messages on stderr, credentials never.
#include <filesystem>
#include <string>

namespace inferbench::app {

struct MlflowTarget {
  std::string uri;
  std::string experiment;
  std::string run_name;
  bool restore_experiment = false;
};

// Uploads `dir`; true when the results are in MLflow (now or from an earlier upload). A failure
// is printed (with how to upload later) and recorded in DIR/mlflow.json, never thrown, except
// for a configuration error in the environment (inferbench::Error).
bool upload_to_mlflow(const std::filesystem::path& dir, const MlflowTarget& target);

}  // namespace inferbench::app
