#include <unistd.h>

#include <fmt/core.h>

#include <filesystem>
#include <memory>

#include "app/client_error_stop.hpp"
#include "app/commands.hpp"
#include "app/launch_support.hpp"
#include "app/mlflow_upload.hpp"
#include "app/processes.hpp"
#include "app/results_writer.hpp"
#include "app/run_config.hpp"
#include "app/run_target.hpp"
#include "app/sharding.hpp"
#include "app/signals.hpp"
#include "app/stage_totals.hpp"
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
#include "loadgen/runner.hpp"
#include "loadgen/worker.hpp"
#include "metrics/self_check.hpp"
#include "metrics/summary.hpp"
#include "protocol/openai.hpp"
#include "report/csv.hpp"
#include "report/html_report.hpp"
#include "report/json.hpp"
#include "report/server_metrics_table.hpp"
#include "report/table.hpp"
#include "results/anchor.hpp"
#include "schedule/schedule.hpp"
#include "sim/server.hpp"
#include "workload/workload.hpp"

namespace inferbench::app {

namespace {

// How long a load point should last, to pace the scraper (nullopt when not known in advance).
std::optional<Duration> expected_length(const PlannedPoint& point, const loadgen::LoadPlan& plan) {
  // Open loop: at least until the last request's intended send.
  if (!plan.offsets.empty()) return plan.offsets.back();
  // Closed loop bounded by time alone (after the ramp); with a request count it may end sooner.
  if (point.duration && point.num_requests == 0) return plan.ramp_up + *point.duration;
  return std::nullopt;
}

// report.html beside the results, drawn from the files just written by the same code as
// `inferbench report DIR`. A report that cannot be written costs a warning, never the results.
void write_run_report(const std::filesystem::path& dir) {
  try {
    report::write_html_report({dir}, dir / "report.html", report::HtmlReportOptions{});
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

// The progress line: rewritten in place on a terminal, a plain line every few seconds otherwise.
class Progress {
 public:
  Progress(std::string label) : label_(std::move(label)), tty_(isatty(STDERR_FILENO) != 0) {}
  Duration interval() const { return tty_ ? std::chrono::milliseconds(500) : std::chrono::seconds(5); }
  void update(const loadgen::LiveStats& s, std::size_t total) {
    const double elapsed = s.first_sent == TimePoint{} ? 0.0 : to_s(Clock::now() - s.first_sent);
    const double rps = elapsed > 0 ? static_cast<double>(s.completed) / elapsed : 0.0;
    const double tps = elapsed > 0 ? static_cast<double>(s.output_tokens) / elapsed : 0.0;
    const std::string done =
        total > 0 ? fmt::format("{}/{}", s.completed + s.failed, total) : fmt::format("{}", s.completed + s.failed);
    const std::string line = fmt::format("[{}] {} done  {:.2f} req/s  {:.0f} out tok/s  p50 TTFT {:.1f} ms  {} errors",
                                         label_, done, rps, tps, s.ttft_p50_ms, s.failed);
    if (tty_) {
      fmt::print(stderr, "\r{}\x1b[K", line);
      drawn_ = true;
    } else {
      fmt::print(stderr, "{}\n", line);
    }
    std::fflush(stderr);
  }
  void clear() {
    if (drawn_) fmt::print(stderr, "\r\x1b[K");
    drawn_ = false;
  }

 private:
  std::string label_;
  bool tty_;
  bool drawn_ = false;
};

// The --export formats, written from summary.json once the run is over. A failure is reported
// and leaves the run's results and exit code as they are.
void write_exports_after_run(const RunConfig& config, const ResultsWriter* writer) {
  if (writer == nullptr || config.exports.empty()) return;
  for (const std::string& name : config.exports) {
    const std::filesystem::path out = writer->dir() / "exports" / name;
    try {
      const nlohmann::json summary = exports::read_summary((writer->dir() / "summary.json").string());
      const auto files = exports::write_export(summary, *exports::parse_format(name), out);
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
                                     config.mlflow_restore_experiment});
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
  std::vector<metrics::LoadPointSummary> points;
  bool interrupted = false;
  bool warned_server = false;     // one warning per run when /metrics cannot be read
  ClientErrorStop client_errors;  // the first requests of the run, across load points
  bool aborted_run = false;       // a load point was aborted and --on-abort is stop
  StageTotals stage_totals;       // load.stages: every stage's requests, reported together too
  for (std::size_t i = 0; i < config.points.size() && !interrupted && !aborted_run; ++i) {
    const PlannedPoint& point = config.points[i];
    // Fresh prompts for every load point: prompts an earlier point sent would hit the
    // server's prefix cache and flatter the later points.
    const std::size_t distinct = std::clamp<std::size_t>(point.num_requests + config.warmup, 1, 10000);
    const auto specs = workload.build(distinct, config.seed ^ (i * 0x9E3779B97F4A7C15ull));
    const loadgen::HttpTargets targets(target, specs);  // every request encoded here, before the run
    // What the workload settings built (source, exactness, canonical lengths) joins them.
    if (i == 0) summary["config"]["workload"].update(workload.describe());
    loadgen::LoadPlan plan;
    plan.load = point.load;
    plan.num_requests = point.num_requests;
    plan.warmup = config.warmup;
    plan.duration = point.duration;
    plan.workers = config.workers;
    plan.abort_after = config.abort_after;
    plan.ramp_up = config.ramp_up;
    if (config.workload.tokenizer) plan.output_tokenizer = &*config.workload.tokenizer;
    plan.shard = sharding.shard;
    if (point.load.mode == metrics::LoadSpec::Mode::Open) {
      const schedule::RateSpec rate{point.load.rate, point.arrival, point.load.burstiness};
      plan.offsets = schedule::make_offsets(rate, point.num_requests + config.warmup, config.seed + i);
    }
    Progress progress(report::load_label(point.load));
    loadgen::RunHooks hooks;
    if (live_metrics) live_metrics->begin_load_point(i, report::load_label(point.load));
    hooks.on_record = [&writer, &client_errors, &live_metrics, i](const metrics::RequestRecord& r) {
      if (writer) writer->write_request(i, r);
      if (live_metrics) live_metrics->record(r);
      client_errors.observe(r);
    };
    // A run that cannot keep its records stops: what it measures would be lost. So does one
    // whose first requests all got the same client error: the rest would only repeat it.
    hooks.stop_requested = [&writer, &client_errors, &launched] {
      return stop_requested() || (writer && writer->write_error()) || client_errors.triggered() ||
             (launched && launched->exited().has_value());
    };
    // The live metrics' in-flight gauge is refreshed every 0.5 s; the progress line keeps its pace.
    hooks.on_progress = [&progress, &live_metrics, printed = Clock::now()](const loadgen::LiveStats& s,
                                                                           std::size_t total) mutable {
      if (live_metrics) live_metrics->set_in_flight(s.in_flight);
      if (Clock::now() - printed + std::chrono::milliseconds(100) < progress.interval()) return;
      progress.update(s, total);
      printed = Clock::now();
    };
    hooks.progress_interval =
        live_metrics ? std::min<Duration>(progress.interval(), std::chrono::milliseconds(500)) : progress.interval();

    std::unique_ptr<server_metrics::ServerMetricsScraper> scraper;
    if (config.scrape_server) {
      server_metrics::ScrapeOptions options = scrape_options(config, target);
      options.interval = server_metrics::scrape_interval_for(config.scrape_interval, expected_length(point, plan));
      scraper = std::make_unique<server_metrics::ServerMetricsScraper>(std::move(options));
      scraper->start();
    }
    if (sharding.start_at && i == 0) plan.start = start_instant(*sharding.start_at);
    loadgen::LoadResult result = loadgen::run_load(targets, specs, plan, hooks);
    std::optional<metrics::ServerSummary> server;
    if (scraper) server = scraper->stop();
    progress.clear();
    if (client_errors.triggered()) {
      fmt::print(stderr, "inferbench: the first {} requests to {}{} all failed: {}\n", ClientErrorStop::kFirst,
                 target.client.url.str(), protocol::path_for(target.api), client_errors.detail());
      if (simulator) simulator->stop();
      return 1;
    }
    if (writer) {
      if (const auto error = writer->write_error()) {
        fmt::print(stderr, "inferbench: {}: the run's records are lost, so it stops (exit 1)\n", *error);
        if (simulator) simulator->stop();
        return 1;
      }
    }
    interrupted = result.interrupted;
    if (config.staged) stage_totals.add(result.records);
    metrics::LoadPointSummary s = metrics::summarize(result.records, point.load, config.slo);
    s.interrupted = result.interrupted;
    s.requests.cancelled = result.cancelled;
    s.aborted = result.aborted;
    metrics::assess(s, result.busiest_worker_cpu, config.min_success_rate);
    if (live_metrics) live_metrics->end_load_point(result.busiest_worker_cpu, s.client.limited);
    nlohmann::json point_json = report::to_json(s);
    if (const auto ratio = workload.intended_cache_ratio()) point_json["workload"] = {{"intended_cache_ratio", *ratio}};
    if (server) {
      point_json["server"] = report::to_json(*server);
      if (!server->available && !warned_server) {
        fmt::print(stderr, "inferbench: warning: server metrics unavailable ({}); the run continues without them\n",
                   server->reason);
        warned_server = true;
      }
    }
    summary["runs"].push_back(std::move(point_json));  // "runs": the file format's name for load points
    summary["interrupted"] = interrupted;
    points.push_back(std::move(s));
    if (writer) writer->write_summary(summary, report::to_csv(points));
    if (!result.aborted.empty()) {
      fmt::print(stderr, "inferbench: {} aborted: {}{}\n", report::load_label(point.load), result.aborted,
                 config.stop_on_abort ? "; the run stops (--on-abort continue goes on)" : "");
      aborted_run = aborted_run || config.stop_on_abort;
    }
    if (!config.json) {
      fmt::print("{}", report::format_table(points.back()));
      if (server) fmt::print("{}", report::format_server_table(*server));
      fmt::print("\n");
      std::fflush(stdout);
    }
  }
  int launch_rc = 0;
  if (launched) {
    launch_rc = finish_launched_server(*launched, summary);
    if (writer && !points.empty()) writer->write_summary(summary, report::to_csv(points));
  }
  if (config.staged && !points.empty()) {
    summary["all_stages"] = stage_totals.to_json(config.slo, points.size());
    if (writer) writer->write_summary(summary, report::to_csv(points));
    if (!config.json) {
      fmt::print("All {} stages together\n{}\n", points.size(),
                 report::format_table(stage_totals.summarize(config.slo)));
    }
  }
  if (config.json) {
    fmt::print("{}\n", report::to_text(summary, 2));
  } else if (points.size() > 1) {
    fmt::print("{}\n", report::format_sweep_table(points));
  }
  if (!points.empty()) record_history(config, summary);
  if (writer) {
    if (!points.empty()) write_run_report(writer->dir());
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
  if (aborted_run) return 1;
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
  config::bind_profile(*cmd, *values);        // first: a profile is read before -o indexes into its lists
  config::foreign::bind_from(*cmd, *values);  // another tool's config: read like a profile
  config::bind(*cmd, *values);
  cmd->callback([values] {
    const int rc = execute_run(*values);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace inferbench::app
