#include <fmt/core.h>

#include <filesystem>
#include <memory>

#include "app/adaptive_run.hpp"
#include "app/commands.hpp"
#include "app/launch_support.hpp"
#include "app/mlflow_upload.hpp"
#include "app/processes.hpp"
#include "app/results_writer.hpp"
#include "app/run_config.hpp"
#include "app/run_session.hpp"
#include "app/run_target.hpp"
#include "app/sharding.hpp"
#include "app/signals.hpp"
#include "config/foreign/foreign.hpp"
#include "config/profile.hpp"
#include "config/run_settings.hpp"
#include "config/sources.hpp"
#include "core/error.hpp"
#include "core/version.hpp"
#include "exports/summary_view.hpp"
#include "exports/write.hpp"
#include "history/history.hpp"
#include "live/live_metrics.hpp"
#include "live/metrics_server.hpp"
#include "loadgen/http_target.hpp"
#include "metrics/summary.hpp"
#include "report/html_report.hpp"
#include "report/json.hpp"
#include "report/table.hpp"
#include "results/anchor.hpp"
#include "sim/server.hpp"
#include "workload/workload.hpp"

namespace inferbench::app {

namespace {

// report.html beside the results, drawn from the files just written by the same code as
// `inferbench report DIR`, except the chunk latencies, which the run's summaries already hold.
// A report that cannot be written costs a warning, never the results.
void write_run_report(const std::filesystem::path& dir, const report::ChunkLatenciesByPoint& chunk_latencies) {
  try {
    report::write_run_html_report(dir, chunk_latencies, dir / "report.html", report::HtmlReportOptions{});
  } catch (const std::exception& e) {
    fmt::print(stderr, "inferbench: warning: report.html not written: {}\n", e.what());
  }
}

// The run into the history (docs/history.md). A history that cannot be written costs a
// warning, never the run.
void record_history(const RunConfig& config, const nlohmann::json& summary) {
  if (!config.record_history) return;
  try {
    const std::filesystem::path path =
        config.history_path.empty() ? history::default_path() : std::filesystem::path(config.history_path);
    history::History runs(path);
    const std::int64_t id = runs.record(summary, config.output_dir);
    fmt::print(stderr, "inferbench: recorded as run {} in {}\n", id, path.string());
  } catch (const std::exception& e) {
    fmt::print(stderr, "inferbench: warning: the run is not in the history: {}\n", e.what());
  }
}

// The --export formats, written from summary.json once the run is over. A failure is reported
// and leaves the run's results and exit code as they are.
void write_exports_after_run(const RunConfig& config, const ResultsWriter* writer) {
  if (writer == nullptr || config.exports.empty()) return;
  for (const std::string& name : config.exports) {
    const std::filesystem::path out = writer->dir() / "exports" / name;
    try {
      const nlohmann::json summary = exports::read_summary((writer->dir() / "summary.json").string());
      const auto files =
          exports::write_export(summary, *exports::parse_format(name), out, writer->dir() / "requests.jsonl");
      fmt::print(stderr, "inferbench: {} export in {} ({} file{})\n", name, out.string(), files.size(),
                 files.size() == 1 ? "" : "s");
    } catch (const Error& e) {
      fmt::print(stderr, "inferbench: {} export failed: {}\n", name, e.what());
    }
  }
}

// The MLflow upload once the results are on disk; it never changes the run's exit code.
void upload_after_run(const RunConfig& config, const ResultsWriter* writer, bool interrupted, bool measured) {
  if (config.mlflow_uri.empty()) return;
  if (writer == nullptr) {  // only possible with $MLFLOW_TRACKING_URI: --mlflow-uri requires --output
    fmt::print(stderr, "inferbench: MLFLOW_TRACKING_URI is set but no --output is given: nothing uploaded to MLflow\n");
    return;
  }
  const std::string dir = writer->dir().string();
  if (interrupted || !measured) {
    fmt::print(stderr, "inferbench: MLflow: the run {}: not uploaded; to upload: inferbench log-mlflow {}\n",
               interrupted ? "was interrupted" : "measured nothing", dir);
    return;
  }
  try {
    upload_to_mlflow(writer->dir(), {config.mlflow_uri, config.mlflow_experiment, config.mlflow_run_name,
                                     config.mlflow_restore_experiment, config.mlflow_parent_run});
  } catch (const Error& e) {  // a bad MLFLOW_* variable: the results are on disk all the same
    fmt::print(stderr, "inferbench: MLflow: not uploaded: {}; to upload: inferbench log-mlflow {}\n", e.what(), dir);
  }
}

int execute_run(const config::Values& values) {
  const RunConfig config = make_run_config(values);
  const Sharding sharding = make_sharding(values, config.settings, process_env);
  const int processes = static_cast<int>(values.integer("shard.processes"));
  require(processes == 1 || sharding.shard.whole(),
          "--processes runs shards of its own: it cannot be given with --shard or --shards");
  // Each shard would choose its next load point from its own slice of the results.
  require(config.adaptive.kind == AdaptiveConfig::Kind::None || (processes == 1 && sharding.shard.whole()),
          "--sweep and --slo-search choose each load point from the results so far: they cannot run as shards");
  // --processes: the children's checks, made once before anything starts.
  const std::string output_dir = check_sharded_run(
      processes > 1 ? Sharding{{0, static_cast<std::size_t>(processes)}, sharding.start_at, sharding.run_id} : sharding,
      config);
  // The config is immutable: the simulator's URL and the discovered model go into this copy.
  loadgen::HttpTargetOptions target = config.target;
  const workload::Workload workload(config.workload);
  if (workload.bad_lines().count > 0) {
    fmt::print(stderr, "inferbench: warning: skipped {} bad dataset entries (first: {})\n", workload.bad_lines().count,
               workload.bad_lines().first.front());
  }
  if (!config.workload.tokenizer && !config.use_sim) {
    fmt::print(stderr,
               "inferbench: no --tokenizer: prompts are common words, exact for the built-in simulator but "
               "approximate for a real model's tokenizer\n");
  }
  install_stop_handlers();

  std::unique_ptr<sim::SimServer> simulator = start_simulator(config, target);
  warn_if_short_of_descriptors(config);
  // --launch: the server starts now and stops when this function returns (its destructor).
  std::unique_ptr<launch::LaunchedServer> launched;
  if (!config.launch_command.empty()) {
    const LaunchFlags flags{config.launch_command, to_s(config.launch_timeout), to_s(config.launch_stop_grace)};
    launched = start_launched_server(flags, target, output_dir);
    if (!launched) return 130;
  }
  if (!check_target(target)) {
    fmt::print(stderr, "inferbench: interrupted before the run started (waiting for {})\n", target.client.url.str());
    if (simulator) simulator->stop();
    return 130;
  }

  if (processes > 1) {
    const int rc = run_processes(config, sharding, processes, target);
    if (simulator) simulator->stop();
    return rc;
  }

  std::unique_ptr<ResultsWriter> writer;
  if (!output_dir.empty()) writer = std::make_unique<ResultsWriter>(output_dir);
  // --metrics-port: the run's progress for Prometheus, fed from the collector's thread and the
  // progress updates, never from the workers.
  std::unique_ptr<live::LiveMetrics> live_metrics;
  std::unique_ptr<live::MetricsServer> metrics_server;
  if (config.metrics_port) {
    live_metrics = std::make_unique<live::LiveMetrics>();
    metrics_server = std::make_unique<live::MetricsServer>(*live_metrics, config.metrics_host,
                                                           static_cast<std::uint16_t>(*config.metrics_port));
    fmt::print(stderr, "inferbench: live metrics at http://{}:{}/metrics\n", config.metrics_host,
               metrics_server->port());
  }

  nlohmann::json summary = {{"tool", "inferbench"},
                            {"version", kVersion},
                            {"interrupted", false},
                            {"run_id", sharding.run_id},
                            {"shard", {{"index", sharding.shard.index}, {"count", sharding.shard.count}}},
                            {"config", config.settings},
                            {"runs", nlohmann::json::array()}};
  summary["config"]["target"]["model"] = target.model;                // as discovered from /v1/models
  if (writer) summary["clock"] = results::to_json(writer->anchor());  // what requests.jsonl's times count from
  // A profile's free labels (GPU shape, framework, TP degree, ...) at the top, for tools that group results.
  summary["labels"] =
      config.settings.at("labels").is_object() ? config.settings.at("labels") : nlohmann::json::object();
  RunSession session(config, target, workload, sharding, writer.get(), live_metrics.get(), launched.get(), summary);
  std::optional<std::string> adaptive_report;
  if (config.adaptive.kind != AdaptiveConfig::Kind::None) {
    adaptive_report = run_adaptive(session, config, summary);
    if (!adaptive_report) {
      if (simulator) simulator->stop();
      return 1;
    }
  }
  for (const PlannedPoint& point : config.points) {
    if (session.stop()) break;
    if (!session.measure(point)) {
      if (simulator) simulator->stop();
      return 1;
    }
  }
  const std::vector<metrics::LoadPointSummary>& points = session.points();
  const bool interrupted = session.interrupted();
  int launch_rc = 0;
  if (launched) {
    launch_rc = finish_launched_server(*launched, summary);
    if (!points.empty()) session.write_summary();
  }
  if (config.staged && !points.empty()) {
    const metrics::LoadPointSummary all = session.finish_all_stages();
    summary["all_stages"] = report::to_json(all);
    summary["all_stages"]["load"] = {{"mode", "stages"}, {"stages", points.size()}};
    session.write_summary();
    if (!config.json) fmt::print("All {} stages together\n{}\n", points.size(), report::format_table(all));
  }
  if (config.json) {
    fmt::print("{}\n", report::to_text(summary, 2));
  } else if (adaptive_report) {
    fmt::print("{}\n", *adaptive_report);
  } else if (points.size() > 1) {
    fmt::print("{}\n", report::format_sweep_table(points));
  }
  if (!points.empty()) record_history(config, summary);
  if (writer) {
    if (!points.empty()) write_run_report(writer->dir(), session.chunk_latencies());
    fmt::print(stderr, "inferbench: results in {}\n", writer->dir().string());
  }
  if (simulator) simulator->stop();
  if (!points.empty()) write_exports_after_run(config, writer.get());
  upload_after_run(config, writer.get(), interrupted, !points.empty());
  if (launch_rc != 0) return launch_rc;
  if (interrupted) {
    fmt::print(stderr, "inferbench: interrupted; the summary covers the requests that ended\n");
    return 130;
  }
  if (session.aborted_run()) return 1;
  return gate_exit_code(config, points);
}

}  // namespace

int gate_exit_code(const RunConfig& config, const std::vector<metrics::LoadPointSummary>& points) {
  std::size_t completed = 0;
  for (const auto& p : points) completed += p.requests.completed;
  if (completed == 0) {
    fmt::print(stderr, "inferbench: no request succeeded: the run measured nothing (exit 1)\n");
    return 1;
  }
  int rc = 0;
  for (const auto& p : points) {
    if (config.min_success_rate && p.completeness.incomplete) {
      fmt::print(stderr, "inferbench: gate failed: {}: {:.1f} % of requests succeeded, below --min-success-rate {}\n",
                 report::load_label(p.load), p.completeness.success_rate * 100.0, *config.min_success_rate);
      rc = 3;
    }
    if (config.fail_if_client_limited && p.client.limited) {
      fmt::print(stderr, "inferbench: gate failed: {}: client-limited: {}\n", report::load_label(p.load),
                 p.client.reason);
      rc = 3;
    }
  }
  return rc;
}

void add_run_command(CLI::App& app) {
  auto values = std::make_shared<config::Values>(config::run_settings());
  auto* cmd = app.add_subcommand(
      "run",
      "Benchmark an OpenAI-compatible server online (closed loop at fixed concurrency, or open loop at a "
      "rate); without --endpoint, benchmarks the built-in simulator");
  config::bind_profile(*cmd, *values);  // first: a profile is read before -o indexes into its lists
  // Another tool's config, read like a profile; an -o of its keys changes the file, not ours.
  config::bind(*cmd, *values, config::foreign::bind_from(*cmd, *values));
  cmd->callback([values] {
    const int rc = execute_run(*values);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace inferbench::app
