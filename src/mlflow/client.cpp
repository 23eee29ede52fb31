#include "mlflow/client.hpp"

#include <openssl/evp.h>

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <thread>

#include "http/blocking_call.hpp"
#include "mlflow/limits.hpp"

namespace inferbench::mlflow {

namespace bhttp = boost::beast::http;
using nlohmann::json;

namespace {

const char* const kApi = "/api/2.0/mlflow/";
const char* const kArtifactsApi = "/api/2.0/mlflow-artifacts/artifacts/";

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

// A number from the environment within [min, max]; nullopt when unset. Throws Error otherwise.
std::optional<double> env_number(const char* name, double min, double max) {
  const std::string text = env(name);
  if (text.empty()) return std::nullopt;
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || !std::isfinite(v) || v < min || v > max) {
    throw Error(fmt::format("{}='{}': expected a number from {:g} to {:g}", name, text, min, max));
  }
  return v;
}

std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// Percent-encodes everything but RFC 3986's unreserved characters (and '/' when `keep_slash`).
std::string percent_encode(std::string_view text, bool keep_slash) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const bool unreserved = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || c == '-' ||
                            c == '.' || c == '_' || c == '~' || (keep_slash && c == '/');
    if (unreserved) {
      out += c;
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// The retryable statuses of MLflow's own client (mlflow/utils/rest_utils.py,
// _TRANSIENT_FAILURE_RESPONSE_CODES).
bool transient(int status) {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

// One line of a reply body for messages: MLflow's "message", or the start of the body.
std::pair<std::string, std::string> error_of(const std::string& body) {
  const json j = json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error_code") && j["error_code"].is_string()) {
    return {j["error_code"].get<std::string>(), j.value("message", std::string())};
  }
  std::string line = body.substr(0, std::min<std::size_t>(body.find('\n'), 200));
  return {"", line};
}

std::string string_field(const json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

RunInfo run_info_of(const json& reply) {
  const json info =
      reply.contains("run") && reply["run"].is_object() ? reply["run"].value("info", json::object()) : json::object();
  RunInfo r;
  r.run_id = string_field(info, "run_id");
  if (r.run_id.empty()) r.run_id = string_field(info, "run_uuid");  // servers before 1.x named it so
  r.experiment_id = string_field(info, "experiment_id");
  r.artifact_uri = string_field(info, "artifact_uri");
  r.lifecycle_stage = string_field(info, "lifecycle_stage");
  r.status = string_field(info, "status");
  if (r.run_id.empty()) throw Error("MLflow answered runs/create or runs/get without a run id");
  return r;
}

}  // namespace

ClientOptions options_from_environment(std::string_view uri) {
  ClientOptions o;
  o.url = http::Url::parse(uri);
  const std::string token = env("MLFLOW_TRACKING_TOKEN");
  const std::string user = env("MLFLOW_TRACKING_USERNAME");
  const std::string password = env("MLFLOW_TRACKING_PASSWORD");
  if (!token.empty()) {
    o.headers.emplace_back("Authorization", "Bearer " + token);
  } else if (!user.empty() || !password.empty()) {
    o.headers.emplace_back("Authorization", "Basic " + base64(user + ":" + password));
  }
  const std::string insecure = env("MLFLOW_TRACKING_INSECURE_TLS");
  o.insecure = insecure == "true" || insecure == "True" || insecure == "1";
  // MLflow's own knobs for its HTTP retries (mlflow/environment_variables.py).
  if (const auto retries = env_number("MLFLOW_HTTP_REQUEST_MAX_RETRIES", 0, 100)) {
    o.max_attempts = static_cast<int>(*retries) + 1;
  }
  if (const auto factor = env_number("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", 0, 600)) {
    o.first_backoff = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(*factor));
  }
  if (const auto timeout = env_number("MLFLOW_HTTP_REQUEST_TIMEOUT", 0.001, 86400)) {
    o.timeout = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(*timeout));
  }
  return o;
}

std::optional<std::string> proxy_artifact_path(std::string_view artifact_uri, std::string_view relative_path) {
  constexpr std::string_view kScheme = "mlflow-artifacts:";
  if (!artifact_uri.starts_with(kScheme)) return std::nullopt;
  std::string_view rest = artifact_uri.substr(kScheme.size());
  if (rest.starts_with("//")) {  // mlflow-artifacts://host:port/path: the authority is the server's
    const std::size_t slash = rest.find('/', 2);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  }
  while (rest.starts_with('/')) rest.remove_prefix(1);
  while (rest.ends_with('/')) rest.remove_suffix(1);
  std::string path(rest);
  if (!relative_path.empty()) path += (path.empty() ? "" : "/") + std::string(relative_path);
  return path;
}

Client::Client(ClientOptions options) : options_(std::move(options)) {
  http::ClientOptions http_options;
  http_options.url = options_.url;
  http_options.insecure = options_.insecure;
  http_options.connect_timeout = options_.connect_timeout;
  pool_ = std::make_unique<http::ConnectionPool>(ioc_, http_options);
}

Client::~Client() { pool_->shutdown(); }

json Client::call(bhttp::verb method, const std::string& target, std::string body, const std::string& content_type) {
  auto headers = options_.headers;
  if (!content_type.empty()) headers.emplace_back("Content-Type", content_type);
  const http::Request request = http::make_request(options_.url, method, target, std::move(body), headers);
  const std::string what = fmt::format("{} {}{}", std::string(bhttp::to_string(method)), options_.url.str(), target);
  std::minstd_rand jitter(static_cast<unsigned>(Clock::now().time_since_epoch().count()));
  std::string last_problem;
  const auto stopped = [this] { return options_.stop_retrying && options_.stop_retrying(); };
  int attempts = 0;
  for (int attempt = 0; attempt < std::max(1, options_.max_attempts); ++attempt) {
    if (attempt > 0) {
      // Exponential backoff with up to 25 % jitter, so that clients sharing a server spread out.
      const double factor = std::pow(2.0, attempt - 1) * (1.0 + 0.25 * std::uniform_real_distribution<>(0, 1)(jitter));
      const Duration wait = std::min<Duration>(std::chrono::duration_cast<Duration>(options_.first_backoff * factor),
                                               options_.max_backoff);
      // In slices, so that Ctrl-C ends the wait within 50 ms.
      const TimePoint until = Clock::now() + wait;
      while (!stopped() && Clock::now() < until) {
        std::this_thread::sleep_for(std::min<Duration>(until - Clock::now(), std::chrono::milliseconds(50)));
      }
      if (stopped()) break;
    }
    ++attempts;
    ++sent_;
    const http::CallResult result = http::blocking_call(ioc_, *pool_, request, options_.timeout);
    if (result.outcome.kind != http::Outcome::Kind::Complete) {
      last_problem = result.outcome.detail;
      continue;
    }
    if (result.status >= 200 && result.status < 300) {
      if (result.body.empty()) return json::object();
      json reply = json::parse(result.body, nullptr, false);
      if (reply.is_discarded()) throw Error(fmt::format("{}: the reply is not JSON", what));
      return reply;
    }
    const auto [code, message] = error_of(result.body);
    if (transient(result.status)) {
      last_problem = fmt::format("HTTP {}{}", result.status, message.empty() ? "" : ": " + message);
      continue;
    }
    if (result.status == 401 || result.status == 403) {
      throw ApiError(result.status, code,
                     fmt::format("{}: HTTP {} (check MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD)", what,
                                 result.status));
    }
    throw ApiError(result.status, code,
                   fmt::format("{}: HTTP {} {}{}", what, result.status, code, message.empty() ? "" : ": " + message));
  }
  throw Unreachable(fmt::format("{}: {} attempt{} failed{}, the last with: {}", what, attempts,
                                attempts == 1 ? "" : "s", stopped() ? " (no more retries after Ctrl-C)" : "",
                                last_problem));
}

std::optional<Experiment> Client::experiment_by_name(const std::string& name) {
  try {
    const json reply =
        call(bhttp::verb::get,
             std::string(kApi) + "experiments/get-by-name?experiment_name=" + percent_encode(name, false), "", "");
    const json e = reply.value("experiment", json::object());
    Experiment out{string_field(e, "experiment_id"), string_field(e, "name"), string_field(e, "lifecycle_stage")};
    if (out.id.empty()) throw Error("MLflow answered experiments/get-by-name without an experiment id");
    return out;
  } catch (const ApiError& e) {
    if (e.code() == "RESOURCE_DOES_NOT_EXIST") return std::nullopt;
    throw;
  }
}

std::string Client::create_experiment(const std::string& name) {
  const json reply =
      call(bhttp::verb::post, std::string(kApi) + "experiments/create", dump(json{{"name", name}}), "application/json");
  std::string id = string_field(reply, "experiment_id");
  if (id.empty()) throw Error("MLflow answered experiments/create without an experiment id");
  return id;
}

void Client::restore_experiment(const std::string& experiment_id) {
  call(bhttp::verb::post, std::string(kApi) + "experiments/restore", dump(json{{"experiment_id", experiment_id}}),
       "application/json");
}

std::string Client::ensure_experiment(const std::string& name, bool restore_deleted) {
  require(!name.empty(), "--experiment: the MLflow experiment name is empty");
  require(name.size() <= kMaxExperimentNameLength,
          fmt::format("--experiment: MLflow experiment names have at most {} characters", kMaxExperimentNameLength));
  for (int round = 0; round < 2; ++round) {
    if (const auto existing = experiment_by_name(name)) {
      if (existing->lifecycle_stage == "deleted") {
        if (!restore_deleted) {
          throw Error(fmt::format(
              "MLflow experiment '{}' (id {}) is deleted, and MLflow keeps the name of a deleted experiment: "
              "restore it (--mlflow-restore-experiment, or in the MLflow UI), delete it permanently on the server "
              "(mlflow gc), or choose another --experiment",
              name, existing->id));
        }
        restore_experiment(existing->id);
      }
      return existing->id;
    }
    try {
      return create_experiment(name);
    } catch (const ApiError& e) {
      // Created by someone else between our get-by-name and create: look it up again.
      if (e.code() != "RESOURCE_ALREADY_EXISTS") throw;
    }
  }
  throw Error(fmt::format("MLflow experiment '{}' could not be found nor created", name));
}

RunInfo Client::create_run(const std::string& experiment_id, const std::string& run_name, std::int64_t start_time_ms,
                           const std::vector<Tag>& tags) {
  json body = {{"experiment_id", experiment_id}, {"start_time", start_time_ms}, {"tags", json::array()}};
  if (!run_name.empty()) body["run_name"] = run_name;
  std::vector<std::string> ignored;  // the tags of runs/create are few and made by us: valid by construction
  for (const Tag& t : make_valid(Batch{{}, {}, tags}, ignored).tags) {
    body["tags"].push_back(json{{"key", t.key}, {"value", t.value}});
  }
  return run_info_of(call(bhttp::verb::post, std::string(kApi) + "runs/create", dump(body), "application/json"));
}

std::optional<RunInfo> Client::get_run(const std::string& run_id) {
  try {
    return run_info_of(
        call(bhttp::verb::get, std::string(kApi) + "runs/get?run_id=" + percent_encode(run_id, false), "", ""));
  } catch (const ApiError& e) {
    if (e.code() == "RESOURCE_DOES_NOT_EXIST") return std::nullopt;
    throw;
  }
}

void Client::update_run(const std::string& run_id, const std::string& status, std::int64_t end_time_ms) {
  call(bhttp::verb::post, std::string(kApi) + "runs/update",
       dump(json{{"run_id", run_id}, {"status", status}, {"end_time", end_time_ms}}), "application/json");
}

void Client::log_batch(const std::string& run_id, Batch batch, const std::function<void(const std::string&)>& warn) {
  std::vector<std::string> warnings;
  const Batch valid = make_valid(std::move(batch), warnings);
  if (warn) {
    for (const auto& w : warnings) warn(w);
  }
  for (const json& request : split_into_requests(valid, run_id)) {
    call(bhttp::verb::post, std::string(kApi) + "runs/log-batch", dump(request), "application/json");
  }
}

void Client::upload_artifact(const std::string& artifact_uri, const std::string& relative_path, std::string bytes,
                             const std::string& content_type) {
  const auto path = proxy_artifact_path(artifact_uri, relative_path);
  if (!path) {
    throw Error(fmt::format(
        "the run's artifacts live at {}, which a REST client cannot write: start the MLflow server with its "
        "artifact proxy (mlflow server --serve-artifacts, the default since 2.0)",
        artifact_uri));
  }
  call(bhttp::verb::put, kArtifactsApi + percent_encode(*path, true), std::move(bytes), content_type);
}

}  // namespace inferbench::mlflow
