#include "mlflow/upload.hpp"

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>

#include "config/json.hpp"
#include "exports/summary_view.hpp"
#include "mlflow/results_mapping.hpp"

namespace inferbench::mlflow {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The files uploaded as the parent run's artifacts, when present.
const char* const kArtifacts[] = {"summary.json", "summary.csv", "requests.jsonl", "report.html"};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot read {}", path.string()));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// mlflow.json: {"uploads": [{tracking_uri, experiment, ...}, ...]}, one record per server and
// experiment the results went to.
class State {
 public:
  explicit State(const fs::path& dir) : path_(dir / kStateFile) {
    if (!fs::exists(path_)) {
      doc_ = json{{"uploads", json::array()}};
      return;
    }
    doc_ = json::parse(read_file(path_), nullptr, false);
    if (doc_.is_discarded() || !doc_.is_object() || !doc_.contains("uploads") || !doc_["uploads"].is_array()) {
      throw Error(fmt::format("{} is not an inferbench MLflow record (remove it to upload afresh)", path_.string()));
    }
  }
  json& record(const std::string& uri, const std::string& experiment) {
    for (json& r : doc_["uploads"]) {
      if (r.value("tracking_uri", "") == uri && r.value("experiment", "") == experiment) return r;
    }
    doc_["uploads"].push_back(json{{"tracking_uri", uri},
                                   {"experiment", experiment},
                                   {"complete", false},
                                   {"timestamp_ms", now_ms()},
                                   {"point_runs", json::object()},
                                   {"points_done", json::array()}});
    return doc_["uploads"].back();
  }
  // Written whole to a temporary file and renamed: a crash never leaves half a record.
  void save() const {
    const fs::path tmp = path_.string() + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << doc_.dump(2) << "\n";
      if (!out) throw Error(fmt::format("cannot write {}", tmp.string()));
    }
    std::error_code ec;
    fs::rename(tmp, path_, ec);
    if (ec) throw Error(fmt::format("cannot write {}: {}", path_.string(), ec.message()));
  }

 private:
  fs::path path_;
  json doc_;
};

bool done(const json& record, std::size_t point) {
  for (const json& i : record["points_done"]) {
    if (i.is_number_unsigned() && i.get<std::size_t>() == point) return true;
  }
  return false;
}

std::string content_type_of(const std::string& name) {
  if (name.ends_with(".json")) return "application/json";
  if (name.ends_with(".jsonl")) return "application/x-ndjson";
  if (name.ends_with(".csv")) return "text/csv";
  if (name.ends_with(".html")) return "text/html";
  return "application/octet-stream";
}

// Whether run `id` exists on the server and is not deleted.
bool run_is_live(Client& client, const std::string& id) {
  const auto run = client.get_run(id);
  return run && run->lifecycle_stage != "deleted";
}

// Runs `step`; an Error it throws is first recorded in mlflow.json (`last_error`), so that a later
// log-mlflow can say why the upload stopped.
template <class Step>
auto recording_failure(State& state, json& record, Step&& step) {
  try {
    return step();
  } catch (const Error& e) {
    record["last_error"] = e.what();
    state.save();
    throw;
  }
}

// Uploads those of `names` present in `dir` under `artifact_uri`, appending each to `uploaded`.
// False when the server keeps artifacts where a REST client cannot write (warned once).
bool upload_files(Client& client, const std::string& artifact_uri, const fs::path& dir,
                  const std::vector<std::string>& names, std::vector<std::string>& uploaded,
                  const std::function<void(const std::string&)>& warn) {
  for (const std::string& name : names) {
    const fs::path file = dir / name;
    if (!fs::exists(file)) continue;
    try {
      client.upload_artifact(artifact_uri, name, read_file(file), content_type_of(name));
      uploaded.push_back(name);
    } catch (const ApiError&) {
      throw;
    } catch (const Unreachable&) {
      throw;
    } catch (const Error& e) {  // not an mlflow-artifacts URI: the numbers are in, the files are not
      warn(fmt::format("artifacts not uploaded: {}", e.what()));
      return false;
    }
  }
  return true;
}

// The tags of a run nested under `parent_run_id` ("" = none): the tag MLflow's UI nests by.
// A parent that does not exist (or was deleted) is not named: the run is then top-level.
std::vector<Tag> nesting_tags(Client& client, const std::string& parent_run_id,
                              const std::function<void(const std::string&)>& warn) {
  if (parent_run_id.empty()) return {};
  if (!run_is_live(client, parent_run_id)) {
    warn(fmt::format("the parent run {} does not exist: the run is not nested", parent_run_id));
    return {};
  }
  return {{"mlflow.parentRunId", parent_run_id}};
}

// The run's name: as given, else as the run was configured (mlflow.run_name, e.g. an experiment's
// cell), else "inferbench <model>".
std::string run_name_of(const json& summary, const UploadOptions& options) {
  if (!options.run_name.empty()) return options.run_name;
  const std::string configured = exports::text_at(summary, "/config/mlflow/run_name");
  return configured.empty() ? "inferbench " + exports::model_of(summary) : configured;
}

UploadResult upload_with(Client& client, const fs::path& dir, const json& summary, json& record, State& state,
                         const UploadOptions& options, const std::function<void(const std::string&)>& warn) {
  UploadResult result;
  const std::int64_t timestamp = record["timestamp_ms"].get<std::int64_t>();
  result.experiment_id = client.ensure_experiment(options.experiment, options.restore_deleted_experiment);
  record["experiment_id"] = result.experiment_id;

  // A parent run recorded earlier is reused unless it has gone (deleted on the server).
  std::string parent = record.value("parent_run_id", "");
  if (!parent.empty() && !run_is_live(client, parent)) {
    warn(fmt::format("the MLflow run {} recorded in {} is gone: uploading afresh", parent, kStateFile));
    parent.clear();
    record["point_runs"] = json::object();
    record["points_done"] = json::array();
  }
  const std::string run_name = run_name_of(summary, options);
  const std::vector<Tag> tags = run_tags(summary);
  std::vector<Tag> parent_tags = tags;
  for (Tag& t : nesting_tags(client, options.parent_run_id, warn)) {
    record["nested_under"] = t.value;
    parent_tags.push_back(std::move(t));
  }
  std::string artifact_uri = record.value("artifact_uri", "");
  if (parent.empty()) {
    const RunInfo info = client.create_run(result.experiment_id, run_name, timestamp, parent_tags);
    parent = info.run_id;
    artifact_uri = info.artifact_uri;
    record["parent_run_id"] = parent;
    record["artifact_uri"] = artifact_uri;
    state.save();
  }
  result.parent_run_id = parent;
  const std::vector<Param> params = config_params(summary);
  client.log_batch(parent, Batch{{}, params, parent_tags}, warn);

  const json& points = summary["runs"];
  for (std::size_t i = 0; i < points.size(); ++i) {
    const json& point = points[i];
    const std::string index = std::to_string(i);
    std::string child = record["point_runs"].value(index, "");
    if (!done(record, i)) {
      std::vector<Tag> child_tags = tags;
      child_tags.push_back({"mlflow.parentRunId", parent});
      child_tags.push_back({"load_point", exports::point_label(point)});
      if (child.empty()) {
        child = client
                    .create_run(result.experiment_id, fmt::format("{} [{}]", run_name, exports::point_label(point)),
                                timestamp, child_tags)
                    .run_id;
        record["point_runs"][index] = child;
        state.save();
      }
      Batch batch;
      batch.params = params;
      for (Param& p : point_params(point)) batch.params.push_back(std::move(p));
      batch.tags = child_tags;
      batch.metrics = point_metrics(summary, point, timestamp);
      // Re-sending after a cut is harmless: params keep equal values, tags are overwritten and
      // MLflow stores an identical metric (key, value, timestamp, step) once.
      client.log_batch(child, std::move(batch), warn);
      const bool interrupted = point.value("interrupted", false);
      client.update_run(child, interrupted ? "KILLED" : "FINISHED", now_ms());
      record["points_done"].push_back(i);
      state.save();
    }
    result.child_run_ids.push_back(child);
  }

  if (!record.value("artifacts_done", false)) {
    const std::vector<std::string> names(std::begin(kArtifacts), std::end(kArtifacts));
    const bool proxied = upload_files(client, artifact_uri, dir, names, result.artifacts, warn);
    record["artifacts_done"] = true;
    record["artifacts_uploaded"] = proxied;
    state.save();
  }
  client.update_run(parent, summary.value("interrupted", false) ? "KILLED" : "FINISHED", now_ms());
  record["complete"] = true;
  record.erase("last_error");
  state.save();
  return result;
}

}  // namespace

UploadResult upload_results(const fs::path& dir, const UploadOptions& options,
                            const std::function<void(const std::string&)>& warn) {
  const json summary = exports::read_summary((dir / "summary.json").string());
  State state(dir);
  const std::string uri = config::redact_userinfo(options.tracking_uri);
  json& record = state.record(uri, options.experiment);
  // The parent's params are every child's too: a truncation is reported once, not per run.
  std::set<std::string> warned;
  const auto warn_once = [&](const std::string& w) {
    if (warned.insert(w).second && warn) warn(w);
  };
  if (record.value("complete", false)) {
    UploadResult result;
    result.already_uploaded = true;
    result.experiment_id = record.value("experiment_id", "");
    result.parent_run_id = record.value("parent_run_id", "");
    for (const auto& [index, run] : record["point_runs"].items())
      result.child_run_ids.push_back(run.get<std::string>());
    // Uploaded before on its own (an experiment whose run could not be opened then): nested now.
    if (!options.parent_run_id.empty() && record.value("nested_under", "") != options.parent_run_id) {
      Client client(options.client);
      std::vector<Tag> nesting = nesting_tags(client, options.parent_run_id, warn_once);
      if (!nesting.empty()) {
        client.log_batch(result.parent_run_id, Batch{{}, {}, std::move(nesting)}, warn_once);
        record["nested_under"] = options.parent_run_id;
        state.save();
      }
    }
    return result;
  }
  Client client(options.client);
  return recording_failure(state, record,
                           [&] { return upload_with(client, dir, summary, record, state, options, warn_once); });
}

GroupRun open_group_run(const fs::path& dir, const UploadOptions& options, const std::vector<Param>& params,
                        const std::vector<Tag>& tags, const std::function<void(const std::string&)>& warn) {
  State state(dir);
  json& record = state.record(config::redact_userinfo(options.tracking_uri), options.experiment);
  Client client(options.client);
  return recording_failure(state, record, [&] {
    GroupRun group;
    group.experiment_id = client.ensure_experiment(options.experiment, options.restore_deleted_experiment);
    record["experiment_id"] = group.experiment_id;
    group.run_id = record.value("parent_run_id", "");
    if (!group.run_id.empty() && !run_is_live(client, group.run_id)) {
      warn(fmt::format("the MLflow run {} recorded in {} is gone: making a new one", group.run_id, kStateFile));
      group.run_id.clear();
    }
    group.reused = !group.run_id.empty();
    if (group.reused) {
      client.update_run(group.run_id, "RUNNING", now_ms());
    } else {
      const RunInfo info = client.create_run(group.experiment_id, options.run_name, now_ms(), tags);
      group.run_id = info.run_id;
      record["parent_run_id"] = info.run_id;
      record["artifact_uri"] = info.artifact_uri;
    }
    record["complete"] = false;
    state.save();
    // Params once: MLflow refuses a param's value changed, and a resumed experiment may have
    // grown; what may change goes in tags, which are replaced.
    client.log_batch(group.run_id, Batch{{}, group.reused ? std::vector<Param>{} : params, tags}, warn);
    return group;
  });
}

void close_group_run(const fs::path& dir, const UploadOptions& options, const std::vector<std::string>& artifacts,
                     const std::string& status, const std::function<void(const std::string&)>& warn) {
  State state(dir);
  json& record = state.record(config::redact_userinfo(options.tracking_uri), options.experiment);
  const std::string run_id = record.value("parent_run_id", "");
  if (run_id.empty()) throw Error(fmt::format("{} records no MLflow run to end", (dir / kStateFile).string()));
  Client client(options.client);
  recording_failure(state, record, [&] {
    std::vector<std::string> uploaded;
    record["artifacts_uploaded"] =
        upload_files(client, record.value("artifact_uri", ""), dir, artifacts, uploaded, warn);
    client.update_run(run_id, status, now_ms());
    record["complete"] = true;
    record["status"] = status;
    record.erase("last_error");
    state.save();
  });
}

void record_failure(const fs::path& dir, const std::string& tracking_uri, const std::string& experiment,
                    const std::string& reason) {
  State state(dir);
  json& record = state.record(config::redact_userinfo(tracking_uri), experiment);
  record["last_error"] = reason;
  state.save();
}

}  // namespace inferbench::mlflow
