#pragma once
// The MLflow upload of a results directory, shared by `inferbench run --mlflow-uri` (after
// the run) and `inferbench log-mlflow DIR` (later): messages on stderr, credentials never.
#include <filesystem>
#include <string>

#include "mlflow/upload.hpp"

namespace inferbench::app {

struct MlflowTarget {
  std::string uri;
  std::string experiment;
  std::string run_name;
  bool restore_experiment = false;
  std::string parent_run;  // "" = top-level; else the run id the upload nests under
};

// The client's options for `target`, with auth and TLS from MLflow's environment variables.
// Throws inferbench::Error for a bad URI or variable.
mlflow::UploadOptions upload_options(const MlflowTarget& target);

// Uploads `dir`; true when the results are in MLflow (now or from an earlier upload). A failure
// is printed (with how to upload later) and recorded in DIR/mlflow.json, never thrown, except
// for a configuration error in the environment (inferbench::Error).
bool upload_to_mlflow(const std::filesystem::path& dir, const MlflowTarget& target);

}  // namespace inferbench::app
