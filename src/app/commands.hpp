#pragma once
// Each subcommand lives in its own cmd_*.cpp and adds itself to the CLI here.
#include <CLI/CLI.hpp>

namespace inferbench::app {

// Adds `inferbench run` (online benchmark) to `app`.
void add_run_command(CLI::App& app);
// Adds `inferbench replay` (logged traffic or a trace re-sent to a server) to `app`.
void add_replay_command(CLI::App& app);
// Adds `inferbench sim` (simulated OpenAI-compatible server) to `app`.
void add_sim_command(CLI::App& app);
// Adds `inferbench tokenize` (encode / count / decode with a tokenizer.json) to `app`.
void add_tokenize_command(CLI::App& app);
// Adds `inferbench offline` (MLPerf Offline throughput: every prompt at once) to `app`.
void add_offline_command(CLI::App& app);
// Adds `inferbench loadtime` (vLLM start-up log analysis in llm-d's nop categories) to `app`.
void add_loadtime_command(CLI::App& app);

// Adds `inferbench merge` (one result from the shards of a run) to `app`.
void add_merge_command(CLI::App& app);

// Adds `inferbench k8s-job` (a Kubernetes Indexed Job for a sharded run) to `app`.
void add_k8s_job_command(CLI::App& app);
// Adds `inferbench log-mlflow` (upload a results directory to MLflow) to `app`.
void add_log_mlflow_command(CLI::App& app);
// Adds `inferbench export` (results in a peer tool's format) to `app`.
void add_export_command(CLI::App& app);
// Adds `inferbench report` (report.html from result directories) to `app`.
void add_report_command(CLI::App& app);
// Adds `inferbench history` (list recorded runs) and `inferbench compare A B` to `app`.
void add_history_commands(CLI::App& app);
// Adds `inferbench profiles` (list, show, check the built-in profiles) to `app`.
void add_profiles_command(CLI::App& app);
// Adds `inferbench experiment` (a matrix of runs from one file, resumable) to `app`.
void add_experiment_command(CLI::App& app);

}  // namespace inferbench::app
