#pragma once
// `inferbench run`'s flags, and their validation into what the engine runs.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "engine/runner.hpp"
#include "engine/server_metrics.hpp"
#include "engine/target.hpp"
#include "metrics/summary.hpp"
#include "workload/workload.hpp"

namespace inferbench::app {

// The flags as typed (strings and numbers); validated by `validate`.
struct RunFlags {
  std::string endpoint;  // empty = start the built-in simulator
  std::string model;
  std::string api = "chat";
  std::string concurrency;  // list "1,4,16"
  std::string rate;         // list "1,2.5,10"
  std::string arrival = "poisson";
  double burstiness = 1.0;
  int max_concurrency = 0;
  std::size_t num_requests = 0;  // 0 = auto
  double duration_s = 0;
  std::size_t warmup = 0;
  std::string input_tokens = "128";  // N, uniform:MIN:MAX, normal:MEAN:STD[:MIN:MAX], lognormal:...
  std::string output_tokens = "128";
  bool output_tokens_given = false;  // --output-tokens typed (overrides a dataset's own lengths)
  std::string tokenizer;             // tokenizer.json or its directory; empty = word prompts
  std::string dataset;               // --dataset; empty = synthetic with a tokenizer
  std::string on_bad_line = "stop";  // dataset entries that are not valid: skip or stop
  std::string slo;
  std::string output_dir;
  bool json = false;
  std::string api_key;
  std::vector<std::string> headers;
  bool insecure = false;
  bool no_stream = false;
  bool no_ignore_eos = false;
  std::string extra_body;
  double connect_timeout_s = 10;
  double first_token_timeout_s = 60;
  double timeout_s = 600;
  int workers = 1;
  std::uint64_t seed = 0;
  std::string sim_model_preset = "Llama-3.1-8B";  // built-in simulator: engine model of this model
  std::string sim_hardware = "H100";              // ... on this accelerator
  double sim_ttft_ms = 15;                        // built-in simulator: latency profile instead,
  double sim_itl_ms = 4;                          // when either of these is given
  bool sim_latency_profile = false;               // --sim-ttft-ms or --sim-itl-ms was given
  std::vector<std::string> server_metrics;        // /metrics URLs, one per replica (default: the target's)
  double scrape_interval_s = 5;
  bool no_server_metrics = false;
};

// Adds every flag of `run` to `cmd`, bound to `flags`.
void bind_run_flags(CLI::App& cmd, RunFlags& flags);

// One load point to run, in order.
struct PlannedPoint {
  metrics::LoadSpec load;
  std::size_t num_requests = 0;  // measured requests (0 = duration-bound)
  std::optional<Duration> duration;
};

// The validated run. Throws inferbench::Error with a one-line message on any bad value.
struct RunConfig {
  engine::TargetOptions target;  // url left empty when the simulator is used
  bool use_sim = false;
  std::vector<PlannedPoint> points;
  std::size_t warmup = 0;
  workload::WorkloadOptions workload;  // prompt source, lengths and tokenizer (loaded)
  metrics::Slo slo;
  std::uint64_t seed = 0;
  int workers = 1;
  std::string output_dir;
  bool json = false;
  std::string arrival;
  double burstiness = 1.0;
  bool scrape_server = true;              // read the server's /metrics around each load point
  std::vector<http::Url> server_metrics;  // empty = the target's /metrics
  Duration scrape_interval = std::chrono::seconds(5);
};

RunConfig validate(const RunFlags& flags);

// The /metrics sources for a run whose target URL is final (the simulator's once started).
// The target's headers (auth) go only to sources on the target's own host and port.
engine::ScrapeOptions scrape_options(const RunConfig& config);

// Parses "ttft=500,tpot=50,e2e=10000,itl=100,ntpot=60" (ms).
metrics::Slo parse_slo(const std::string& text);

// The run's configuration as JSON for summary.json: header names only, never their values
// (they may hold credentials), and never the API key.
nlohmann::json config_json(const RunConfig& config, const RunFlags& flags);

}  // namespace inferbench::app
