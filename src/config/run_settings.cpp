// Every setting of `inferbench run`, declared once. Flags, YAML keys, `-o` keys, validation,
// summary.json's config block and docs/config.md all come from this table; what a value
// means (arrival names aside, which are plain allowed values) is parsed by the app in
// app/run_config.cpp.
#include "config/run_settings.hpp"

// Each setting names only the fields it uses; the rest keep their declared defaults. GCC 12
// still warns about the omitted fields of a designated initializer.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace inferbench::config {

namespace {

const char* const kSim = "Built-in simulator (without --endpoint)";
const char* const kScaleOut = "Scale-out: shards of one run (docs/scale-out.md)";
const char* const kMlflow = "MLflow";

std::vector<Setting> declare() {
  using T = Type;
  return {
      // what the run is (profiles): carried into summary.json unchanged
      {.key = "description",
       .help = "One line saying what this benchmark is (inferbench profiles lists it); copied into summary.json",
       .flag = "--description"},
      {.key = "labels",
       .type = T::Json,
       .help = "Free labels carried into summary.json, e.g. {\"gpu\": \"H100x8\", \"framework\": \"vllm\", \"tp\": 4} "
               "(in a profile a YAML map; -o labels.gpu=H100 sets one)",
       .flag = "--labels"},
      // target
      {.key = "target.endpoint",
       .help = "Base URL of an OpenAI-compatible server, e.g. http://localhost:8000 (default: start the built-in "
               "simulator on a loopback port)",
       .flag = "--endpoint"},
      {.key = "target.model", .help = "Model name to request (default: the first of /v1/models)", .flag = "--model"},
      {.key = "target.api",
       .default_value = "chat",
       .allowed = {"completions", "chat"},
       .help = "API to load: completions or chat",
       .flag = "--api"},
      // load
      {.key = "load.concurrency",
       .type = T::NumberList,
       .unit = "users",
       .min = 1,
       .max = 100000,
       .integer = true,
       .help = "Closed loop: comma-separated numbers of concurrent users, one load point each (default 1,4,16 when "
               "no --rate)",
       .flag = "--concurrency"},
      {.key = "load.rate",
       .type = T::NumberList,
       .unit = "req/s",
       .min = 0.001,  // below it a schedule outlasts any run (1e-300 overflowed it: all sent at once)
       .max = 1e6,
       .help = "Open loop: comma-separated request rates (req/s), one load point each",
       .flag = "--rate",
       .excludes = "load.concurrency"},
      {.key = "load.stages",
       .type = T::MapList,
       .help = "Stages run in order, each a load point of its own: {rate, duration} or {rate, num_requests} (open "
               "loop, --arrival), {concurrency, num_requests} or {concurrency, duration} (closed loop); a stage's "
               "count or duration replaces --num-requests and --duration. Reported each and all together",
       .excludes = "load.rate"},
      {.key = "load.arrival",
       .default_value = "poisson",
       .allowed = {"constant", "poisson", "gamma"},
       .help = "Open-loop arrivals: constant, poisson or gamma",
       .flag = "--arrival"},
      {.key = "load.burstiness",
       .type = T::Number,
       .default_value = 1.0,
       .min = 0,
       .min_exclusive = true,
       .help = "Gamma arrivals' shape k (1 = Poisson, < 1 burstier)",
       .flag = "--burstiness"},
      {.key = "load.max_concurrency",
       .type = T::Integer,
       .unit = "requests",
       .default_value = 0,
       .min = 0,
       .help = "Open loop: cap on requests in flight (0 = none)",
       .flag = "--max-concurrency"},
      {.key = "load.num_requests",
       .type = T::Integer,
       .unit = "requests",
       .default_value = 0,
       .min = 0,
       .help = "Measured requests per load point (default: max(16, 4 x concurrency), or rate x 10 s; with "
               "--duration: no count limit)",
       .flag = "--num-requests"},
      {.key = "load.duration",
       .type = T::Duration,
       .unit = "s",
       .min = 0,
       .min_exclusive = true,
       .help = "Seconds per load point (with --num-requests: whichever ends first)",
       .flag = "--duration"},
      {.key = "load.warmup",
       .type = T::Integer,
       .unit = "requests",
       .default_value = 0,
       .min = 0,
       .help = "Warm-up requests per load point, sent first and excluded",
       .flag = "--warmup"},
      {.key = "load.ramp_up",
       .type = T::Duration,
       .unit = "s",
       .default_value = 0.0,
       .min = 0,
       .help = "Closed loop: start the users spread over this many seconds, before --duration counts; requests "
               "sent during the ramp are excluded like warm-up (needs --duration)",
       .flag = "--ramp-up",
       .excludes = "load.rate"},
      {.key = "load.abort_after",
       .type = T::Duration,
       .unit = "s",
       .default_value = 5.0,
       .min = 0,
       .help = "Circuit breaker: end a load point, marked aborted, once requests have only failed to reach the "
               "server for this long (0 = never)",
       .flag = "--abort-after"},
      {.key = "load.on_abort",
       .default_value = "stop",
       .allowed = {"stop", "continue"},
       .help = "After an aborted load point: stop the run (exit 1) or continue with the next load point",
       .flag = "--on-abort"},
      // workload
      {.key = "workload.input_tokens",
       .unit = "tokens",
       .default_value = "128",
       .help = "Prompt length in tokens: N, uniform:MIN:MAX, normal:MEAN:STD[:MIN:MAX] or "
               "lognormal:MEAN:STD[:MIN:MAX] (exact with --tokenizer)",
       .flag = "--input-tokens"},
      {.key = "workload.output_tokens",
       .unit = "tokens",
       .default_value = "128",
       .help = "Output length in tokens (max_tokens, with ignore_eos), same forms as --input-tokens; overrides a "
               "dataset's own output lengths",
       .flag = "--output-tokens"},
      {.key = "workload.tokenizer",
       .help = "The model's tokenizer.json (or its directory): exact prompt lengths, and output counted client-side "
               "when the server sends no usage",
       .flag = "--tokenizer"},
      {.key = "workload.dataset",
       .help = "Prompt source: synthetic (default with --tokenizer), random, sharegpt:PATH[,min_tokens=4,"
               "max_prompt=1024,max_total=2048], jsonl:PATH, shared-prefix:groups=G,prompts_per_group=K,"
               "system_prompt_tokens=S,question_tokens=Q, prefix-ratio:R[,prefix_file=PATH], multi-turn[:turns=T] "
               "(see docs/workloads.md)",
       .flag = "--dataset"},
      {.key = "workload.on_bad_line",
       .default_value = "stop",
       .allowed = {"skip", "stop"},
       .help = "A dataset entry that is not valid: stop (error) or skip it",
       .flag = "--on-bad-line"},
      // goodput
      {.key = "slo",
       .unit = "ms",
       .help = "Service-level objectives in ms for goodput, e.g. ttft=500,tpot=50,e2e=10000 (also itl = largest "
               "inter-token gap, ntpot)",
       .flag = "--slo"},
      // gates: conditions that turn a finished run into exit 3 (docs/cli.md, "Exit codes")
      {.key = "gates.min_success_rate",
       .type = T::Number,
       .min = 0,
       .max = 1,
       .help = "Exit 3 when a load point's share of successful requests is below this (0 to 1); without it, a "
               "share below 0.9 is only flagged incomplete",
       .flag = "--min-success-rate"},
      {.key = "gates.client_limited",
       .type = T::Bool,
       .default_value = false,
       .help = "Exit 3 when the client could not keep the requested load (client_limited in the self-check)",
       .flag = "--fail-if-client-limited"},
      // output
      {.key = "output.dir",
       .help = "Directory for requests.jsonl (written as requests finish), summary.json and summary.csv",
       .flag = "--output"},
      {.key = "output.json",
       .type = T::Bool,
       .default_value = false,
       .help = "Print summary.json to stdout instead of the tables",
       .flag = "--json"},
      // MLflow (docs/mlflow.md)
      {.key = "mlflow.uri",
       .help = "MLflow tracking server to upload the results to, one run per load point under a parent run (default: "
               "$MLFLOW_TRACKING_URI); needs --output, where the results stay if MLflow is unreachable",
       .flag = "--mlflow-uri",
       .group = kMlflow},
      {.key = "mlflow.experiment",
       .default_value = "inferbench",
       .help = "MLflow experiment of the runs (created when missing)",
       .flag = "--experiment",
       .group = kMlflow},
      {.key = "mlflow.run_name",
       .help = "Name of the MLflow parent run (default: inferbench <model>); load points are named after it",
       .flag = "--run-name",
       .group = kMlflow},
      {.key = "mlflow.restore_experiment",
       .type = T::Bool,
       .default_value = false,
       .help = "Restore the MLflow experiment when it was deleted (MLflow keeps a deleted experiment's name)",
       .flag = "--mlflow-restore-experiment",
       .group = kMlflow},
      {.key = "output.export",
       .type = T::StringList,
       .allowed = {"llm-d-v0.2", "llm-d-v0.1", "vllm", "llmperf", "csv"},
       .help = "Also write the results in a peer's format under --output/exports/<format> (repeatable): llm-d-v0.2, "
               "llm-d-v0.1, vllm, llmperf, csv",
       .flag = "--export"},
      {.key = "output.metrics_port",
       .type = T::Integer,
       .min = 0,
       .max = 65535,
       .help = "Serve the run's live progress in Prometheus text format at http://127.0.0.1:PORT/metrics while it "
               "runs (0 = any free port, printed on stderr; see docs/live-metrics.md)",
       .flag = "--metrics-port"},
      {.key = "history.path",
       .help = "SQLite file of the run history (default: $XDG_DATA_HOME/inferbench/history.sqlite, else "
               "~/.local/share/inferbench/history.sqlite; see docs/history.md)",
       .flag = "--history"},
      {.key = "history.enabled",
       .type = T::Bool,
       .default_value = true,
       .help = "Do not record the run in the history",
       .flag = "--no-history",
       .flag_inverts = true,
       .excludes = "history.path"},
      {.key = "output.metrics_host",
       .default_value = "127.0.0.1",
       .help = "Address --metrics-port listens on (0.0.0.0 for every interface)",
       .flag = "--metrics-host"},
      // request details
      {.key = "target.api_key",
       .help = "API key sent as a Bearer token (default: $OPENAI_API_KEY); never written out",
       .flag = "--api-key",
       .secret = Secret::Whole},
      {.key = "target.headers",
       .type = T::StringList,
       .help = "Extra request header K=V (repeatable); values are never written out",
       .flag = "--header",
       .secret = Secret::KeyValues},
      {.key = "target.insecure",
       .type = T::Bool,
       .default_value = false,
       .help = "Skip TLS certificate verification",
       .flag = "--insecure"},
      {.key = "target.stream",
       .type = T::Bool,
       .default_value = true,
       .help = "Send non-streaming requests (TTFT then equals E2E)",
       .flag = "--no-stream",
       .flag_inverts = true},
      {.key = "target.ignore_eos",
       .type = T::Bool,
       .default_value = true,
       .help = "Do not send ignore_eos (outputs may end early)",
       .flag = "--no-ignore-eos",
       .flag_inverts = true},
      {.key = "target.extra_body",
       .type = T::Json,
       .help = "JSON object merged into every request body (merge patch)",
       .flag = "--extra-body"},
      // timeouts
      {.key = "timeouts.connect",
       .type = T::Duration,
       .unit = "s",
       .default_value = 10.0,
       .min = 0,
       .min_exclusive = true,
       .help = "Seconds to connect (TCP and TLS)",
       .flag = "--connect-timeout"},
      {.key = "timeouts.first_token",
       .type = T::Duration,
       .unit = "s",
       .default_value = 60.0,
       .min = 0,
       .min_exclusive = true,
       .help = "Seconds from send to the first output token",
       .flag = "--first-token-timeout"},
      {.key = "timeouts.request",
       .type = T::Duration,
       .unit = "s",
       .default_value = 600.0,
       .min = 0,
       .min_exclusive = true,
       .help = "Seconds from send to the end of a response",
       .flag = "--timeout"},
      // client
      {.key = "client.workers",
       .type = T::Integer,
       .unit = "threads",
       .default_value = 1,
       .min = 1,
       .max = 256,
       .help = "Client event-loop threads",
       .flag = "--workers"},
      {.key = "seed",
       .type = T::Integer,
       .default_value = 0,
       .min = 0,
       .help = "Seed of prompts and arrival times",
       .flag = "--seed"},
      // built-in simulator
      {.key = "sim.model_preset",
       .default_value = "Llama-3.1-8B",
       .help = "Engine model of this model (see inferbench sim --help)",
       .flag = "--sim-model-preset",
       .group = kSim},
      {.key = "sim.hardware",
       .default_value = "H100",
       .help = "... on this accelerator",
       .flag = "--sim-hardware",
       .group = kSim},
      {.key = "sim.ttft",
       .type = T::Duration,
       .unit = "ms",
       .default_value = 15.0,
       .min = 0,
       .help = "A fixed latency profile instead: time to first token, ms",
       .flag = "--sim-ttft-ms",
       .group = kSim},
      {.key = "sim.itl",
       .type = T::Duration,
       .unit = "ms",
       .default_value = 4.0,
       .min = 0,
       .help = "A fixed latency profile instead: inter-token latency, ms",
       .flag = "--sim-itl-ms",
       .group = kSim},
      // scale-out
      {.key = "shard.id",
       .help = "This process's slice of a run split over N processes: K/N (0-based K < N), or auto (K and N from "
               "$SLURM_PROCID and $SLURM_NTASKS); needs --output, results go to its shard-K folder",
       .flag = "--shard",
       .group = kScaleOut},
      {.key = "shard.count",
       .type = T::Integer,
       .unit = "shards",
       .min = 1,
       .max = 100000,
       .help = "Split the run over N shards, this one's index K from $JOB_COMPLETION_INDEX (a Kubernetes Indexed Job)",
       .flag = "--shards",
       .excludes = "shard.id",
       .group = kScaleOut},
      {.key = "shard.start_at",
       .help = "Wall-clock instant every shard starts its load at: ISO 8601 in UTC (2026-12-02T16:30:00Z) or Unix "
               "seconds (default: as soon as ready)",
       .flag = "--start-at",
       .group = kScaleOut},
      {.key = "shard.run_id",
       .help = "Id shared by every shard of one run, checked by inferbench merge (default: a hash of the "
               "configuration without the shard and output folder, and $SLURM_JOB_ID)",
       .flag = "--run-id",
       .group = kScaleOut},
      {.key = "shard.processes",
       .type = T::Integer,
       .unit = "processes",
       .default_value = 1,
       .min = 1,
       .max = 256,
       .help = "Run as P shards in child processes of this machine (shard k/P each, one common start), then merge "
               "them into --output",
       .flag = "--processes",
       .group = kScaleOut},
      // server metrics
      {.key = "server_metrics.urls",
       .type = T::StringList,
       .help = "Prometheus /metrics URL of the server, repeatable for replicas (summed); default: the target's "
               "/metrics",
       .flag = "--server-metrics"},
      {.key = "server_metrics.interval",
       .type = T::Duration,
       .unit = "s",
       .default_value = 5.0,
       .min = 0,
       .min_exclusive = true,
       .help = "Longest interval between /metrics scrapes: shortened so that each load point is scraped about 10 "
               "times (not more often than every 0.25 s; every 0.5 s when its length is not known), plus once at "
               "its start and end",
       .flag = "--scrape-interval"},
      {.key = "server_metrics.enabled",
       .type = T::Bool,
       .default_value = true,
       .help = "Do not read the server's /metrics",
       .flag = "--no-server-metrics",
       .flag_inverts = true,
       .excludes = "server_metrics.urls"},
      // launching the server under test
      {.key = "launch.command",
       .help = "Start the server with this shell command (its own process group, output in server.log), wait "
               "until --endpoint (default http://127.0.0.1:8000) answers /health and /v1/models, stop it after "
               "the run. Kept out of outputs (a command line may carry a token)",
       .flag = "--launch",
       .secret = Secret::Whole},
      {.key = "launch.timeout",
       .type = T::Duration,
       .unit = "s",
       .default_value = 600.0,
       .min = 0,
       .min_exclusive = true,
       .help = "Seconds the launched server may take to become ready",
       .flag = "--launch-timeout"},
      {.key = "launch.stop_grace",
       .type = T::Duration,
       .unit = "s",
       .default_value = 10.0,
       .min = 0,
       .help = "Seconds between SIGTERM and SIGKILL when stopping the launched server",
       .flag = "--launch-stop-grace"},
  };
}

// No duration is longer than 30 days: a timeout of 1e10 s overflowed the clock's range and
// made every request time out at once.
std::vector<Setting> with_duration_limits(std::vector<Setting> settings) {
  constexpr double kMaxSeconds = 30.0 * 24 * 3600;
  for (Setting& s : settings) {
    if (s.type == Type::Duration && !s.max) s.max = s.unit == "ms" ? kMaxSeconds * 1000.0 : kMaxSeconds;
  }
  return settings;
}

}  // namespace

const Schema& run_settings() {
  static const Schema schema(with_duration_limits(declare()));
  return schema;
}

}  // namespace inferbench::config
