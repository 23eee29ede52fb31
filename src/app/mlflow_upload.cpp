#include "app/mlflow_upload.hpp"

#include <fmt/core.h>

#include "app/signals.hpp"
#include "config/json.hpp"
#include "core/error.hpp"

namespace inferbench::app {

mlflow::UploadOptions upload_options(const MlflowTarget& target) {
  mlflow::UploadOptions options;
  options.client = mlflow::options_from_environment(target.uri);
  // After Ctrl-C an upload makes one attempt per call: a user who stops the run does not wait
  // out retries against a server that is down (the results stay on disk for log-mlflow).
  options.client.stop_retrying = stop_requested;
  options.tracking_uri = target.uri;
  options.experiment = target.experiment;
  options.run_name = target.run_name;
  options.restore_deleted_experiment = target.restore_experiment;
  options.parent_run_id = target.parent_run;
  return options;
}

bool upload_to_mlflow(const std::filesystem::path& dir, const MlflowTarget& target) {
  const mlflow::UploadOptions options = upload_options(target);  // a bad URI or variable throws: config error
  const std::string shown_uri = config::redact_userinfo(target.uri);
  const auto warn = [](const std::string& w) { fmt::print(stderr, "inferbench: MLflow: warning: {}\n", w); };
  try {
    const mlflow::UploadResult r = mlflow::upload_results(dir, options, warn);
    if (r.already_uploaded) {
      fmt::print(stderr,
                 "inferbench: MLflow: {} is already in experiment '{}' at {} as run {} ({} in mlflow.json): not "
                 "uploaded again\n",
                 dir.string(), target.experiment, shown_uri, r.parent_run_id, dir.string());
    } else {
      fmt::print(stderr, "inferbench: MLflow: uploaded to experiment '{}' (id {}) at {}: run {} with {} load point{}\n",
                 target.experiment, r.experiment_id, shown_uri, r.parent_run_id, r.child_run_ids.size(),
                 r.child_run_ids.size() == 1 ? "" : "s");
    }
    return true;
  } catch (const Error& e) {
    fmt::print(stderr,
               "inferbench: MLflow: upload failed: {}\ninferbench: MLflow: the results are safe in {}; upload them "
               "later with: inferbench log-mlflow {}\n",
               e.what(), dir.string(), dir.string());
    return false;
  }
}

}  // namespace inferbench::app
