#pragma once
// A client of MLflow's tracking REST API 2.0 (docs: mlflow.org/docs/latest/rest-api.html;
// server: mlflow/server/handlers.py) and of its artifact proxy (mlflow-artifacts), over the
// project's HTTP client. Calls retry with exponential backoff on 429, 5xx and transport
// failures, as MLflow's own client does (mlflow/utils/rest_utils.py).
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "http/client.hpp"
#include "mlflow/batch.hpp"

namespace inferbench::mlflow {

struct ClientOptions {
  http::Url url;  // the tracking server, e.g. http://mlflow:5000 (a path prefix is kept)
  bool insecure = false;
  // Authorization header: "Bearer <token>" or "Basic <base64>" (never printed).
  std::vector<std::pair<std::string, std::string>> headers;
  int max_attempts = 6;  // per call, first try included
  Duration first_backoff = std::chrono::milliseconds(500);
  Duration max_backoff = std::chrono::seconds(10);
  Duration timeout = std::chrono::seconds(60);  // per attempt, to the end of the response
  Duration connect_timeout = std::chrono::seconds(10);
  // Once it returns true (the user pressed Ctrl-C), a call stops retrying: it fails with what its
  // last attempt got instead of waiting out the backoff. Null = always retry.
  std::function<bool()> stop_retrying;
};

// The options for tracking server `uri`, with auth and TLS from MLflow's own environment
// variables: MLFLOW_TRACKING_TOKEN (Bearer) or MLFLOW_TRACKING_USERNAME and
// MLFLOW_TRACKING_PASSWORD (Basic), MLFLOW_TRACKING_INSECURE_TLS=true. Throws Error for a bad URI.
ClientOptions options_from_environment(std::string_view uri);

// The server answered with an MLflow error ({"error_code", "message"}) or a status that
// retrying does not change (4xx).
class ApiError : public Error {
 public:
  ApiError(int status, std::string code, const std::string& what)
      : Error(what), status_(status), code_(std::move(code)) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }  // e.g. RESOURCE_DOES_NOT_EXIST ("" when not MLflow's)

 private:
  int status_;
  std::string code_;
};

// The server could not be reached, or kept answering 429/5xx, through every attempt.
class Unreachable : public Error {
 public:
  using Error::Error;
};

struct Experiment {
  std::string id;
  std::string name;
  std::string lifecycle_stage;  // "active" or "deleted"
};

struct RunInfo {
  std::string run_id;
  std::string experiment_id;
  std::string artifact_uri;  // e.g. mlflow-artifacts:/1/<run>/artifacts
  std::string lifecycle_stage;
  std::string status;
};

class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // nullopt when no experiment has that name (deleted experiments are returned, with their stage).
  std::optional<Experiment> experiment_by_name(const std::string& name);
  std::string create_experiment(const std::string& name);
  void restore_experiment(const std::string& experiment_id);
  // The id of experiment `name`, created when missing. A deleted experiment keeps its name in
  // MLflow: with `restore_deleted` it is restored, otherwise this throws an Error saying so.
  std::string ensure_experiment(const std::string& name, bool restore_deleted);

  RunInfo create_run(const std::string& experiment_id, const std::string& run_name, std::int64_t start_time_ms,
                     const std::vector<Tag>& tags);
  // nullopt when the run does not exist (RESOURCE_DOES_NOT_EXIST).
  std::optional<RunInfo> get_run(const std::string& run_id);
  // status: FINISHED, FAILED, KILLED or RUNNING.
  void update_run(const std::string& run_id, const std::string& status, std::int64_t end_time_ms);
  // Logs everything in `batch` (made valid first; each change reported to `warn`), in as
  // many log-batch requests as MLflow's limits need.
  void log_batch(const std::string& run_id, Batch batch, const std::function<void(const std::string&)>& warn);
  // Uploads `bytes` as `relative_path` under the run's artifact root, through the tracking
  // server's artifact proxy. Throws Error when `artifact_uri` is not an mlflow-artifacts URI
  // (the server stores artifacts where a REST client cannot write).
  void upload_artifact(const std::string& artifact_uri, const std::string& relative_path, std::string bytes,
                       const std::string& content_type);

  // Calls made so far, retries included (for tests and messages).
  std::size_t requests_sent() const { return sent_; }

 private:
  // One REST call with retries; returns the parsed JSON reply ({} for an empty body).
  nlohmann::json call(boost::beast::http::verb method, const std::string& target, std::string body,
                      const std::string& content_type);

  ClientOptions options_;
  boost::asio::io_context ioc_{1};
  std::unique_ptr<http::ConnectionPool> pool_;
  std::size_t sent_ = 0;
};

// The path of an artifact under `artifact_uri` as the proxy names it, e.g.
// "mlflow-artifacts:/1/abc/artifacts" + "summary.json" -> "1/abc/artifacts/summary.json";
// nullopt when the URI is not an mlflow-artifacts one.
std::optional<std::string> proxy_artifact_path(std::string_view artifact_uri, std::string_view relative_path);

}  // namespace inferbench::mlflow
