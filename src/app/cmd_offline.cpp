// `inferbench offline`: MLPerf's Offline scenario, as the OCI blueprint's offline mode runs vLLM's
// throughput benchmark: every request submitted at once, throughput from the first send to the
// last answer. Default target: the simulator's engine model in-process (no sockets), so the
// number is the engine model's own throughput; or --endpoint, optionally a server --launch starts.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>

#include "app/commands.hpp"
#include "app/launch_support.hpp"
#include "app/results_writer.hpp"
#include "app/signals.hpp"
#include "core/error.hpp"
#include "core/version.hpp"
#include "loadgen/http_target.hpp"
#include "loadgen/probe.hpp"
#include "loadgen/runner.hpp"
#include "metrics/offline.hpp"
#include "protocol/openai.hpp"
#include "report/failure_label.hpp"
#include "report/json.hpp"
#include "sim/in_process_target.hpp"
#include "sim/model/engine.hpp"
#include "workload/workload.hpp"

namespace inferbench::app {

namespace {

struct OfflineFlags {
  std::string endpoint;
  std::string api = "completions";
  std::string api_key;
  std::int64_t input_len = 128;
  std::int64_t output_len = 128;
  std::int64_t num_prompts = 1000;
  std::string model;
  std::string tokenizer;
  std::string backend;
  std::int64_t tensor_parallel_size = 1;
  std::string dtype = "auto";
  std::int64_t max_model_len = 0;
  std::string sim_model_preset = "Llama-3.1-8B";
  std::string sim_hardware = "H100";
  std::uint64_t seed = 0;
  double timeout_s = 3600;
  std::string output_dir;
  std::string output_json;
  bool json = false;
  LaunchFlags launch;
};

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.flush();
  require(static_cast<bool>(out), "cannot write " + path.string());
}

// The result under the OCI blueprint's names, with the labels the user gave.
nlohmann::json result_json(const OfflineFlags& f, const metrics::OfflineThroughput& t, const std::string& target,
                           const std::string& backend, const std::string& model,
                           const std::map<std::string, std::uint64_t>& failures) {
  nlohmann::json j = {{"tool", "inferbench"},
                      {"version", kVersion},
                      {"scenario", "offline"},
                      {"target", target},
                      {"requests_per_second", t.requests_per_second},
                      {"input_tokens_per_second", t.input_tokens_per_second},
                      {"output_tokens_per_second", t.output_tokens_per_second},
                      {"total_tokens_per_second", t.total_tokens_per_second},
                      {"elapsed_time", t.elapsed_time},
                      {"total_input_tokens", t.total_input_tokens},
                      {"total_output_tokens", t.total_output_tokens},
                      {"num_requests", t.num_requests},
                      {"completed", t.completed},
                      {"failed", t.failed},
                      {"failures", failures}};
  j["config"] = {{"backend", backend},
                 {"model", model},
                 {"tokenizer", f.tokenizer},
                 {"input_len", f.input_len},
                 {"output_len", f.output_len},
                 {"num_prompts", f.num_prompts},
                 {"tensor_parallel_size", f.tensor_parallel_size},
                 {"dtype", f.dtype},
                 {"max_model_len", f.max_model_len},
                 {"seed", f.seed}};
  return j;
}

// vLLM's benchmarks/benchmark_throughput.py --output-json document (`vllm bench throughput`).
nlohmann::json vllm_json(const metrics::OfflineThroughput& t) {
  const std::int64_t total = t.total_input_tokens + t.total_output_tokens;
  return {{"elapsed_time", t.elapsed_time},
          {"num_requests", t.num_requests},
          {"total_num_tokens", total},
          {"requests_per_second", t.requests_per_second},
          {"tokens_per_second", t.total_tokens_per_second}};
}

std::string table(const metrics::OfflineThroughput& t) {
  return fmt::format(
      "Offline throughput\n"
      "  requests             {} sent, {} completed, {} failed\n"
      "  elapsed_time         {:.3f} s\n"
      "  total_input_tokens   {}\n"
      "  total_output_tokens  {}\n"
      "  requests_per_second  {:.3f}\n"
      "  input_tokens/s       {:.1f}\n"
      "  output_tokens/s      {:.1f}\n"
      "  total_tokens/s       {:.1f}\n",
      t.num_requests, t.completed, t.failed, t.elapsed_time, t.total_input_tokens, t.total_output_tokens,
      t.requests_per_second, t.input_tokens_per_second, t.output_tokens_per_second, t.total_tokens_per_second);
}

int execute_offline(OfflineFlags f) {
  require(f.input_len >= 1, "invalid --input-len: must be at least 1");
  require(f.output_len >= 1, "invalid --output-len: must be at least 1");
  require(f.num_prompts >= 1 && f.num_prompts <= 1'000'000, "invalid --num-prompts: must be between 1 and 1000000");
  require(f.tensor_parallel_size >= 1 && f.tensor_parallel_size <= 64,
          "invalid --tensor-parallel-size: must be between 1 and 64");
  require(f.max_model_len >= 0, "invalid --max-model-len: must be 0 (unset) or positive");
  // At most 30 days, as run's durations: beyond, the deadline overflows the clock.
  require(f.timeout_s > 0 && f.timeout_s <= 30.0 * 86400, "invalid --timeout: must be between 0 and 2592000 seconds");
  if (f.endpoint.empty() && f.launch.command.empty()) {
    if (const char* env = std::getenv("OPENAI_BASE_URL"); env != nullptr && *env != '\0') f.endpoint = env;
  }
  const bool in_process = f.endpoint.empty() && f.launch.command.empty();

  workload::WorkloadOptions wo;
  wo.input = workload::LengthDist::fixed(f.input_len);
  wo.output = workload::LengthDist::fixed(f.output_len);
  wo.output_given = true;
  wo.chat = f.api == "chat";
  // One tokenizer for the prompts, the in-process engine's count and the output count.
  std::optional<tokenizer::Tokenizer> tok;
  if (!f.tokenizer.empty()) tok = tokenizer::Tokenizer::load(f.tokenizer);
  wo.tokenizer = tok;
  const workload::Workload workload(std::move(wo));
  const auto num = static_cast<std::size_t>(f.num_prompts);
  const auto specs = workload.build(std::min<std::size_t>(num, 10000), f.seed);

  std::unique_ptr<ResultsWriter> writer;
  if (!f.output_dir.empty()) writer = std::make_unique<ResultsWriter>(f.output_dir);
  install_stop_handlers();

  loadgen::HttpTargetOptions http;
  std::unique_ptr<launch::LaunchedServer> server;  // --launch: stopped when this function returns
  std::unique_ptr<target::TargetFactory> targets;
  std::string target_label;
  std::string backend = f.backend;
  std::string model = f.model;
  sim::InProcessOptions sim_options;
  if (in_process) {
    sim_options.engine =
        sim::make_engine_config(f.sim_model_preset, f.sim_hardware, static_cast<std::uint32_t>(f.tensor_parallel_size));
    sim_options.engine.max_model_len = static_cast<std::uint32_t>(f.max_model_len);
    if (tok) sim_options.tokenizer = &*tok;
    target_label = fmt::format("in-process engine model {} on {} (TP {}), simulated time", f.sim_model_preset,
                               f.sim_hardware, f.tensor_parallel_size);
    if (backend.empty()) backend = "inferbench-sim";
    if (model.empty()) model = f.sim_model_preset;
  } else {
    http.api = f.api == "chat" ? protocol::Api::Chat : protocol::Api::Completions;
    http.model = f.model;
    http.request_timeout = from_s(f.timeout_s);
    http.first_token_timeout = from_s(f.timeout_s);
    if (!f.api_key.empty() || std::getenv("OPENAI_API_KEY") != nullptr) {
      const std::string key = f.api_key.empty() ? std::getenv("OPENAI_API_KEY") : f.api_key;
      if (!key.empty()) {
        http.headers.emplace_back("Authorization", "Bearer " + key);
        http.secrets.push_back(key);
      }
    }
    // A launched server listens where --endpoint says, by default where vLLM does.
    const std::string base = f.endpoint.empty() ? std::string(kDefaultLaunchEndpoint) : f.endpoint;
    const loadgen::ApiBase api_base = loadgen::api_base(http::Url::parse(base));
    http.client.url = api_base.url;
    if (api_base.api) http.api = *api_base.api;
    if (!f.launch.command.empty()) {
      server = start_launched_server(f.launch, http, writer ? writer->dir() : std::filesystem::path{});
      if (!server) return 130;
    }
    const auto probe = loadgen::http_get(http, "/v1/models", std::chrono::seconds(30), stop_requested);
    if (probe.outcome.kind == http::Outcome::Kind::Cancelled) return 130;
    require(probe.outcome.kind == http::Outcome::Kind::Complete,
            "cannot reach " + http.client.url.str() + ": " + probe.outcome.detail);
    if (http.model.empty()) {
      const auto first = probe.status == 200 ? protocol::first_model_id(probe.body) : std::nullopt;
      require(first.has_value(), "--model not given and " + http.client.url.str() + "/v1/models lists no model");
      http.model = *first;
    }
    model = http.model;
    target_label = http.client.url.str();
    if (backend.empty()) backend = "openai";
  }
  if (!in_process) {
    targets = std::make_unique<loadgen::HttpTargets>(http, specs);
  } else {
    targets = std::make_unique<sim::InProcessTargets>(sim_options);
  }
  fmt::print(stderr, "inferbench: offline: {} prompts of {} tokens → {} tokens, all at once, against {}\n", num,
             f.input_len, f.output_len, target_label);

  loadgen::LoadPlan plan;
  plan.load = {metrics::LoadSpec::Mode::Closed, static_cast<int>(num), 0.0, "", 1.0};
  plan.num_requests = num;
  plan.abort_after = Duration{};           // a batch is not a stream of users: every request gets its answer
  if (tok) plan.output_tokenizer = &*tok;  // counts output text when a server gives no usage
  loadgen::RunHooks hooks;
  hooks.on_record = [&writer](const metrics::RequestRecord& r) {
    if (writer) writer->write_request(0, r);
  };
  hooks.on_batch_end = [&writer] {
    if (writer) writer->flush();
  };
  hooks.stop_requested = [&writer, &server] {
    return stop_requested() || (writer && writer->write_error()) || (server && server->exited().has_value());
  };
  const loadgen::LoadResult result = loadgen::run_load(*targets, specs, plan, hooks);

  metrics::OfflineThroughput t = metrics::offline_throughput(result.records);
  // Requests cut by Ctrl-C are not in the records: they were sent, and failed as `cancelled`.
  t.num_requests += result.cancelled;
  t.failed += result.cancelled;
  std::map<std::string, std::uint64_t> failures;
  for (const auto& r : result.records) {
    if (!r.ok()) ++failures[report::failure_label(r)];
  }
  if (result.cancelled > 0) failures["cancelled"] += result.cancelled;
  nlohmann::json out = result_json(f, t, target_label, backend, model, failures);
  out["interrupted"] = result.interrupted;
  const int launch_rc = server ? finish_launched_server(*server, out) : 0;
  if (writer) {
    write_file(writer->dir() / "offline.json", report::to_text(out, 2) + "\n");
  }
  if (!f.output_json.empty()) write_file(f.output_json, report::to_text(vllm_json(t), 4) + "\n");
  if (f.json) {
    fmt::print("{}\n", report::to_text(out, 2));
  } else {
    fmt::print("{}", table(t));
  }
  if (writer) fmt::print(stderr, "inferbench: results in {}\n", writer->dir().string());
  if (launch_rc != 0) return launch_rc;
  if (result.interrupted) return 130;
  if (t.completed == 0) {
    fmt::print(stderr, "inferbench: no request succeeded: the run measured nothing (exit 1)\n");
    return 1;
  }
  return 0;
}

}  // namespace

void add_offline_command(CLI::App& app) {
  auto f = std::make_shared<OfflineFlags>();
  auto* cmd = app.add_subcommand(
      "offline",
      "Offline throughput (MLPerf Offline): every prompt submitted at once; without --endpoint, the simulator's "
      "engine model in-process");
  cmd->add_option("--endpoint", f->endpoint, "Base URL of the server (default: the in-process engine model)");
  cmd->add_option("--api", f->api, "completions or chat")
      ->check(CLI::IsMember({"completions", "chat"}))
      ->capture_default_str();
  cmd->add_option("--api-key", f->api_key, "API key (default $OPENAI_API_KEY); never written out");
  cmd->add_option("--input-len", f->input_len, "Prompt tokens per request")->capture_default_str();
  cmd->add_option("--output-len", f->output_len, "Output tokens per request (max_tokens with ignore_eos)")
      ->capture_default_str();
  cmd->add_option("--num-prompts", f->num_prompts, "Requests, all submitted at once")->capture_default_str();
  cmd->add_option("--model", f->model, "Model name (default: the server's first model; in-process: a label)");
  cmd->add_option("--tokenizer", f->tokenizer, "tokenizer.json: exact prompt lengths");
  cmd->add_option("--backend", f->backend, "Label recorded with the result (default inferbench-sim or openai)");
  cmd->add_option("--tensor-parallel-size", f->tensor_parallel_size,
                  "Label; in-process also the engine model's tensor parallelism")
      ->capture_default_str();
  cmd->add_option("--dtype", f->dtype, "Label recorded with the result")->capture_default_str();
  cmd->add_option("--max-model-len", f->max_model_len,
                  "Label (0 = unset); in-process also the engine model's prompt + output limit")
      ->capture_default_str();
  cmd->add_option("--sim-model-preset", f->sim_model_preset, "In-process engine model")->capture_default_str();
  cmd->add_option("--sim-hardware", f->sim_hardware, "In-process accelerator")->capture_default_str();
  cmd->add_option("--seed", f->seed, "Seed of the prompts")->capture_default_str();
  cmd->add_option("--timeout", f->timeout_s, "Seconds a request may take over HTTP")->capture_default_str();
  cmd->add_option("--output", f->output_dir, "Write offline.json and requests.jsonl to this directory");
  cmd->add_option("--output-json", f->output_json, "Also write vLLM's offline throughput JSON to this file");
  cmd->add_flag("--json", f->json, "Print the result as JSON instead of the table");
  add_launch_flags(*cmd, f->launch);
  cmd->callback([f] {
    const int rc = execute_offline(*f);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace inferbench::app
