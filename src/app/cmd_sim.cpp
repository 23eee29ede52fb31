#include <csignal>
#include <fmt/core.h>

#include "app/commands.hpp"
#include "app/signals.hpp"
#include "sim/server.hpp"

namespace inferbench::app {

void add_sim_command(CLI::App& app) {
  auto opts = std::make_shared<sim::SimOptions>();
  auto* cmd = app.add_subcommand("sim", "Serve a simulated OpenAI-compatible model (completions and chat, "
                                        "streaming or not, usage, /v1/models, /health)");
  cmd->add_option("--host", opts->host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", opts->port, "Port to listen on (0 = any free port)")->capture_default_str();
  cmd->add_option("--model", opts->model, "Model name served at /v1/models")->capture_default_str();
  cmd->add_option("--ttft-ms", opts->ttft_ms, "Time to first token, ms")->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--itl-ms", opts->itl_ms, "Inter-token latency, ms")->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--output-tokens", opts->output_tokens,
                  "Natural answer length in tokens (stops early unless ignore_eos); 0 = always max_tokens")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--tokens-per-chunk", opts->tokens_per_chunk, "Tokens carried by one SSE chunk")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--fail-rate", opts->fail_rate, "Share of requests answered with HTTP 500")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--reset-rate", opts->reset_rate, "Share of streams cut mid-way")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--seed", opts->seed, "Seed of the fault draws")->capture_default_str();
  cmd->add_option("--threads", opts->threads, "I/O threads")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->footer(
      "A request can ask for a fault with the header x-inferbench-fault: http_<status>, "
      "close_before_response, reset_mid_stream, error_event, malformed_chunk or stall.");
  cmd->callback([opts] {
    sim::SimServer server(*opts);
    server.start();
    fmt::print("inferbench sim: serving model '{}' on http://{}:{} (ttft {} ms, itl {} ms); Ctrl-C stops\n",
               opts->model, opts->host, server.port(), opts->ttft_ms, opts->itl_ms);
    std::fflush(stdout);
    wait_for_stop_signal();
    server.stop();
    fmt::print("inferbench sim: stopped after {} requests\n", server.requests_served());
  });
}

}  // namespace inferbench::app
