#pragma once
// MLflow's request limits, as its server enforces them: mlflow/utils/validation.py
// (MAX_METRICS_PER_BATCH, MAX_PARAMS_TAGS_PER_BATCH, MAX_ENTITIES_PER_BATCH,
// MAX_BATCH_LOG_REQUEST_SIZE, MAX_ENTITY_KEY_LENGTH, MAX_PARAM_VAL_LENGTH, MAX_TAG_VAL_LENGTH,
// _VALID_PARAM_AND_METRIC_NAMES, path_not_unique). The client keeps every request inside them;
// the test server (tests/mlflow/fake_mlflow_server.mjs) rejects anything outside them.
#include <cstddef>
#include <string_view>

namespace inferbench::mlflow {

inline constexpr std::size_t kMaxMetricsPerBatch = 1000;
inline constexpr std::size_t kMaxParamsPerBatch = 100;
inline constexpr std::size_t kMaxTagsPerBatch = 100;
inline constexpr std::size_t kMaxEntitiesPerBatch = 1000;     // metrics + params + tags
inline constexpr std::size_t kMaxBatchBytes = 1000000;        // int(1e6): the JSON body of one log-batch
inline constexpr std::size_t kMaxKeyLength = 250;             // metric, param and tag keys
inline constexpr std::size_t kMaxParamValueLength = 6000;     // longer values are truncated, with a warning
inline constexpr std::size_t kMaxTagValueLength = 5000;       // MLflow 2.x (3.x allows 8000): the lower one
inline constexpr std::size_t kMaxExperimentNameLength = 500;  // MAX_EXPERIMENT_NAME_LENGTH

// A run id as MLflow accepts one (_RUN_ID_REGEX: ^[a-zA-Z0-9][\w\-]{0,255}$, ASCII here).
constexpr bool is_run_id(std::string_view id) {
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (id.empty() || id.size() > 256 || !alnum(id.front())) return false;
  for (const char c : id.substr(1)) {
    if (!alnum(c) && c != '_' && c != '-') return false;
  }
  return true;
}

}  // namespace inferbench::mlflow
