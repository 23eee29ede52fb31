#pragma once
// `inferbench run`'s settings (declared in config/run_settings.cpp) validated into what the
// load generator runs. make_run_config is the one place that gives the settings their meaning:
// it is the only caller of the parsers of URLs, arrivals, length distributions, datasets, SLOs
// and tokenizers for a run.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/values.hpp"
#include "loadgen/http_target_options.hpp"
#include "metrics/summary.hpp"
#include "schedule/schedule.hpp"
#include "server_metrics/scraper.hpp"
#include "workload/workload.hpp"

namespace inferbench::app {

// One load point to run, in order.
struct PlannedPoint {
  metrics::LoadSpec load;
  schedule::Arrival arrival = schedule::Arrival::Poisson;  // open loop: parsed load.arrival
  std::size_t num_requests = 0;                            // measured requests (0 = duration-bound)
  std::optional<Duration> duration;
};

// What every load point of the run shares, from the load settings: the fixed points and the
// points an adaptive run chooses as it goes are bounded alike.
struct PointTemplate {
  std::string arrival_name = "poisson";
  schedule::Arrival arrival = schedule::Arrival::Poisson;
  double burstiness = 1.0;
  int max_concurrency = 0;           // open loop: in-flight cap (0 = none)
  std::size_t num_requests = 0;      // --num-requests (0 = not given)
  std::optional<Duration> duration;  // --duration
  std::size_t warmup = 0;
};

// An open-loop point at `rate` req/s, and a closed-loop point of `users` users, with the request
// count or duration the settings give (docs/cli.md, --num-requests). open_point throws
// inferbench::Error for a schedule too long to run.
PlannedPoint open_point(const PointTemplate& t, double rate);
PlannedPoint closed_point(const PointTemplate& t, int users);

// --sweep or --slo-search: the load points are chosen one by one from the earlier results
// (app/sweep.hpp, docs/sweeps.md).
struct AdaptiveConfig {
  enum class Kind { None, Sweep, RateSearch, ConcurrencySearch };
  Kind kind = Kind::None;
  std::size_t sweep_points = 0;
  bool geometric = false;         // the sweep's rates: geometric, else linear, spacing
  double saturation_ratio = 0.9;  // served / scheduled below it: over-saturated
  double search_start = 1.0;
  double search_tolerance = 0.1;
  std::size_t search_max_probes = 12;
  int slo_percentile = 99;
};

// The built-in simulator started when no endpoint is given.
struct SimConfig {
  bool latency_profile = false;  // sim.ttft or sim.itl given: fixed latencies, no engine model
  std::string model_preset;      // engine model of this model ...
  std::string hardware;          // ... on this accelerator
  Duration ttft{};               // latency profile: time to first token
  Duration itl{};                // latency profile: inter-token latency
};

// The validated run. Immutable once built: the app copies `target` to fill in what it learns
// later (the simulator's URL, the discovered model).
struct RunConfig {
  loadgen::HttpTargetOptions target;  // url left empty when the simulator is used
  bool use_sim = false;
  SimConfig sim;
  // --launch: the server to start before the run (at target's URL) and stop after it.
  std::string launch_command;  // "" = none
  Duration launch_timeout = std::chrono::seconds(600);
  Duration launch_stop_grace = std::chrono::seconds(10);
  std::string tokenizer_path;        // as given ("" = none); the loaded tokenizer is in workload
  std::vector<PlannedPoint> points;  // empty for an adaptive run
  PointTemplate point_template;
  AdaptiveConfig adaptive;
  bool staged = false;  // the points are load.stages: also reported all together
  std::size_t warmup = 0;
  Duration ramp_up{};                              // closed loop: users start spread over it
  Duration abort_after = std::chrono::seconds(5);  // circuit breaker (0 = never)
  bool stop_on_abort = true;                       // an aborted load point ends the run
  workload::WorkloadOptions workload;              // prompt source, lengths and tokenizer (loaded)
  metrics::Slo slo;
  std::optional<double> min_success_rate;  // --min-success-rate: below it exit 3
  bool fail_if_client_limited = false;     // --fail-if-client-limited: a client-limited point exits 3
  std::uint64_t seed = 0;
  int workers = 1;
  std::string output_dir;
  std::optional<int> metrics_port;  // --metrics-port (0 = any free port; none = off)
  std::string metrics_host;
  bool record_history = true;  // --no-history turns it off
  std::string history_path;    // --history; empty = history::default_path()
  bool json = false;
  metrics::SummaryOptions summary;  // --exact-samples, and the request timeout as the in-flight horizon
  // MLflow upload after the run (docs/mlflow.md); uri "" = none.
  std::vector<std::string> exports;  // --export: peer formats written under OUTPUT/exports/<format>
  std::string mlflow_uri;
  bool mlflow_uri_from_env = false;  // taken from $MLFLOW_TRACKING_URI, not --mlflow-uri
  std::string mlflow_experiment;
  std::string mlflow_run_name;
  std::string mlflow_parent_run;  // "" = a top-level run
  bool mlflow_restore_experiment = false;
  bool scrape_server = true;              // read the server's /metrics around each load point
  std::vector<http::Url> server_metrics;  // empty = the target's /metrics
  Duration scrape_interval = std::chrono::seconds(5);
  nlohmann::json settings;  // summary.json's `config` block: every non-secret setting by key path
};

// Validates `values` (of config::run_settings()) into the run. Throws inferbench::Error with a
// one-line message naming the flag (or key path) of any bad value.
RunConfig make_run_config(const config::Values& values);

// The /metrics sources for a run whose target is final (`target`: the simulator's URL once
// started). The target's headers (auth) go only to sources on the target's own host and port.
server_metrics::ScrapeOptions scrape_options(const RunConfig& config, const loadgen::HttpTargetOptions& target);

}  // namespace inferbench::app
