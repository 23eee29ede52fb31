#pragma once
// Uploads a results directory (summary.json and the files beside it) to MLflow: one parent
// run, one nested child run per load point (tag mlflow.parentRunId), artifacts on the parent.
// Progress is kept in `mlflow.json` beside the results, so an upload cut short resumes where
// it stopped and a finished one is not repeated (no second run for the same results).
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "mlflow/client.hpp"

namespace inferbench::mlflow {

inline constexpr const char* kStateFile = "mlflow.json";
inline constexpr const char* kDefaultExperiment = "inferbench";

struct UploadOptions {
  ClientOptions client;
  std::string tracking_uri;  // as the user gave it (recorded in mlflow.json; never with credentials)
  std::string experiment = kDefaultExperiment;
  std::string run_name;  // "" = "inferbench <model>"
  bool restore_deleted_experiment = false;
  std::string parent_run_id;  // "" = a top-level run; else the run ours nest under (mlflow.parentRunId)
};

struct UploadResult {
  bool already_uploaded = false;  // mlflow.json says these results are in this experiment already
  std::string experiment_id;
  std::string parent_run_id;
  std::vector<std::string> child_run_ids;  // one per load point, in summary.json's order
  std::vector<std::string> artifacts;      // files uploaded
};

// Uploads `dir` (which must hold summary.json). Warnings (truncated params, artifacts that
// could not be stored) go to `warn`. Throws Unreachable when the server cannot be reached,
// ApiError or Error otherwise; mlflow.json then records how far the upload got and why it
// stopped.
UploadResult upload_results(const std::filesystem::path& dir, const UploadOptions& options,
                            const std::function<void(const std::string&)>& warn);

// An experiment matrix's own run, which its cells' runs nest under (docs/mlflow.md,
// "Experiments"). Recorded in `dir`/mlflow.json like an upload of results, so a resumed
// experiment or a later log-mlflow reuses it: opening it again sets it RUNNING and replaces its
// tags (its params are logged when it is made: MLflow keeps a param's first value).
// `options.run_name` names it. Throws as upload_results does.
struct GroupRun {
  std::string experiment_id;
  std::string run_id;
  bool reused = false;  // recorded by an earlier open
};
GroupRun open_group_run(const std::filesystem::path& dir, const UploadOptions& options,
                        const std::vector<Param>& params, const std::vector<Tag>& tags,
                        const std::function<void(const std::string&)>& warn);
// Uploads the files of `artifacts` found in `dir` to the group run (again: an experiment's tables
// change as it resumes) and ends it with `status` (FINISHED, FAILED or KILLED).
void close_group_run(const std::filesystem::path& dir, const UploadOptions& options,
                     const std::vector<std::string>& artifacts, const std::string& status,
                     const std::function<void(const std::string&)>& warn);

// Records in `dir`/mlflow.json that an upload to `tracking_uri` failed with `reason`, for a
// later `inferbench log-mlflow DIR` (used when the client could not even be made).
void record_failure(const std::filesystem::path& dir, const std::string& tracking_uri, const std::string& experiment,
                    const std::string& reason);

}  // namespace inferbench::mlflow
