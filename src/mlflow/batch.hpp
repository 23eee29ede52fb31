#pragma once
// What one MLflow run receives (metrics, params, tags), made valid for MLflow and cut into
// log-batch requests that stay inside its limits (limits.hpp).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace inferbench::mlflow {

struct Metric {
  std::string key;
  double value = 0;
  std::int64_t timestamp_ms = 0;  // Unix ms, as MLflow wants it
  std::int64_t step = 0;
};
struct Param {
  std::string key;
  std::string value;
};
struct Tag {
  std::string key;
  std::string value;
};

struct Batch {
  std::vector<Metric> metrics;
  std::vector<Param> params;
  std::vector<Tag> tags;
};

// Why MLflow would refuse `key` as a metric, param or tag key ("" when it accepts it): at most
// 250 characters of letters, digits, '_', '-', '.', ' ' and '/', and a path that does not
// normalize to another name (no leading '/', no '.' or '..' segment, no empty segment).
std::string key_problem(std::string_view key);

// The key with every character MLflow refuses replaced by '_' (and '/' runs that would make
// it path-like collapsed), for keys that come from user data (labels, dataset names).
std::string sanitize_key(std::string_view key);

// `text` cut to at most `max_chars` Unicode characters (MLflow counts characters, not bytes),
// never inside a UTF-8 sequence. Invalid UTF-8 counts one character per byte.
std::string truncate_chars(std::string_view text, std::size_t max_chars, bool* truncated = nullptr);

// The batch as MLflow accepts it, each change explained in `warnings`: metrics with a
// non-finite value are left out (JSON cannot carry them and MLflow's REST would refuse
// them); entries with a key MLflow refuses are left out; param values over 6000 characters
// and tag values over 5000 are truncated (as MLflow's own client does with
// MLFLOW_TRUNCATE_LONG_VALUES); a second param with the same key is left out (MLflow
// refuses duplicate param keys in one request).
Batch make_valid(Batch batch, std::vector<std::string>& warnings);

// The log-batch request bodies for `run_id`: each with at most 1000 metrics, 100 params,
// 100 tags, 1000 entities in all and 1,000,000 bytes. Params and tags go first, so a run's
// description lands before its numbers. Expects a batch from make_valid.
std::vector<nlohmann::json> split_into_requests(const Batch& batch, const std::string& run_id);

}  // namespace inferbench::mlflow
