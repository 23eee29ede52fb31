#pragma once
// How a summary.json becomes MLflow runs: the parent run gets the flattened configuration as
// params and the run's tags; each load point's child run gets the same params, the load
// point's own, and every summary statistic as a metric. The names are documented in
// docs/mlflow.md.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlflow/batch.hpp"

namespace inferbench::mlflow {

// The configuration flattened to params: "load.concurrency" = "[1,4,16]", "target.model" =
// "llama". Null settings are left out; lists and objects are compact JSON.
std::vector<Param> config_params(const nlohmann::json& summary);

// Tags of every run: tool version, model, endpoint host, scenario.
std::vector<Tag> run_tags(const nlohmann::json& summary);

// The metrics of one load point, all with `timestamp_ms` and step 0.
std::vector<Metric> point_metrics(const nlohmann::json& summary, const nlohmann::json& point,
                                  std::int64_t timestamp_ms);

// The params describing one load point: point.mode, point.concurrency, point.rate, ...
std::vector<Param> point_params(const nlohmann::json& point);

}  // namespace inferbench::mlflow
