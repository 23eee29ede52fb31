#include <fmt/core.h>

#include "app/commands.hpp"
#include "app/signals.hpp"
#include "sim/model/presets.hpp"
#include "sim/server.hpp"

namespace inferbench::app {

namespace {

// CLI11's NonNegativeNumber and PositiveNumber say "Value 0 not in range 0.000000 to 1797…"
// (300 digits); these say what is meant.
CLI::Validator bounded(double min, double max, bool min_exclusive = false) {
  const std::string rule =
      max < 1e300 ? fmt::format("from {} to {}", min, max) : fmt::format("{} {}", min_exclusive ? ">" : ">=", min);
  return {[=](std::string& text) -> std::string {
            double v = 0.0;
            if (!CLI::detail::lexical_cast(text, v)) return "expected a number, got '" + text + "'";
            const bool below = min_exclusive ? !(v > min) : !(v >= min);
            if (below || v > max) return fmt::format("must be {}, got {}", rule, text);
            return {};
          },
          rule};
}

const CLI::Validator kNonNegative = bounded(0.0, 1e308);
const CLI::Validator kPositive = bounded(0.0, 1e308, true);

}  // namespace

void add_sim_command(CLI::App& app) {
  auto opts = std::make_shared<sim::SimOptions>();
  auto faults = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand(
      "sim",
      "Serve a simulated OpenAI-compatible model (completions and chat, streaming or not, usage, /v1/models, "
      "/health, /health/ready, /metrics with vLLM's names). Latencies follow a latency profile, or with "
      "--model-preset a continuous-batching engine model of that model on --hardware.");
  cmd->add_option("--host", opts->host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", opts->port, "Port to listen on (0 = any free port)")->capture_default_str();
  cmd->add_option("--model", opts->model, "Model name served at /v1/models")->capture_default_str();

  const char* profile = "Latency profile (llm-d-inference-sim parameters)";
  cmd->add_option("--ttft-ms", opts->ttft_ms, "Time to first token, ms")
      ->capture_default_str()
      ->check(kNonNegative)
      ->group(profile);
  cmd->add_option("--ttft-std-ms", opts->ttft_std_ms, "Standard deviation of TTFT, ms (<= 30% of it)")
      ->capture_default_str()
      ->check(kNonNegative)
      ->group(profile);
  cmd->add_option("--prefill-overhead-ms", opts->prefill_overhead_ms,
                  "Per-token TTFT: fixed part, ms (with --prefill-per-token-ms replaces --ttft-ms)")
      ->capture_default_str()
      ->check(kNonNegative)
      ->group(profile);
  cmd->add_option("--prefill-per-token-ms", opts->prefill_per_token_ms, "Per-token TTFT: ms per prompt token")
      ->capture_default_str()
      ->check(kNonNegative)
      ->group(profile);
  cmd->add_option("--itl-ms", opts->itl_ms, "Inter-token latency, ms")
      ->capture_default_str()
      ->check(kNonNegative)
      ->group(profile);
  cmd->add_option("--itl-std-ms", opts->itl_std_ms, "Standard deviation of the inter-token latency, ms")
      ->capture_default_str()
      ->check(kNonNegative)
      ->group(profile);
  cmd->add_option("--time-factor-under-load", opts->time_factor_under_load,
                  "Latency multiplier when --max-num-seqs requests run (1 = no load effect)")
      ->capture_default_str()
      ->check(bounded(1, 100))
      ->group(profile);

  const char* engine = "Engine model";
  cmd->add_option("--model-preset", opts->model_preset,
                  "Simulate this model with the engine model (" + sim::model_preset_names() + ")")
      ->group(engine);
  cmd->add_option("--hardware", opts->hardware, "Accelerator (" + sim::hardware_preset_names() + ")")
      ->capture_default_str()
      ->group(engine);
  cmd->add_option("--tensor-parallel", opts->tensor_parallel, "Tensor-parallel degree")
      ->capture_default_str()
      ->check(bounded(1, 64))
      ->group(engine);
  cmd->add_option("--time-scale", opts->time_scale, "Run simulated time this many times faster than real time")
      ->capture_default_str()
      ->check(kPositive)
      ->group(engine);
  cmd->add_option("--max-num-batched-tokens", opts->max_num_batched_tokens, "Token budget per iteration")
      ->capture_default_str()
      ->check(kPositive)
      ->group(engine);
  cmd->add_option("--max-waiting", opts->max_waiting, "Waiting-queue limit, HTTP 429 beyond (0 = none)")
      ->capture_default_str()
      ->group(engine);
  cmd->add_flag("!--no-prefix-caching", opts->prefix_caching, "Disable prefix caching")->group(engine);

  cmd->add_option("--max-num-seqs", opts->max_num_seqs,
                  "Engine: running sequences at most; profile: requests at which --time-factor-under-load applies")
      ->capture_default_str()
      ->check(kPositive);
  cmd->add_option("--output-tokens", opts->output_tokens,
                  "Natural answer length in tokens (stops early unless ignore_eos); 0 = always max_tokens")
      ->capture_default_str()
      ->check(kNonNegative);
  cmd->add_option("--tokens-per-chunk", opts->tokens_per_chunk, "Tokens carried by one SSE chunk")
      ->capture_default_str()
      ->check(kPositive);
  cmd->add_option(
      "--fault", *faults,
      "Inject a fault into a share of requests: TYPE=RATE, repeatable; TYPE is one of " + sim::fault_names());
  cmd->add_option("--startup-delay", opts->startup_delay_s, "Seconds during which /health/ready answers 503")
      ->capture_default_str()
      ->check(kNonNegative);
  cmd->add_option("--tokenizer", opts->tokenizer_path,
                  "Count prompt tokens with this Hugging Face tokenizer.json (default: one token per word); "
                  "answers then re-tokenize to exactly their usage count under it");
  cmd->add_option("--trace", opts->trace_path, "Append each stream's true chunk emission times (JSON lines) to FILE");
  cmd->add_option("--seed", opts->seed, "Seed of the random draws")->capture_default_str();
  cmd->add_option("--threads", opts->threads, "I/O threads")->capture_default_str()->check(bounded(1, 1024));
  cmd->add_flag("--no-io-uring{false}", opts->io_uring,
                "Write streamed chunks with one send() each instead of batching them through io_uring "
                "(the fallback where the kernel refuses io_uring)");
  cmd->footer("A request can also ask for a fault with the header x-inferbench-fault: TYPE.");
  cmd->callback([opts, faults] {
    for (const auto& f : *faults) opts->fault_rates.push_back(sim::parse_fault_rate(f));
    sim::SimServer server(*opts);
    server.start();
    fmt::print("inferbench sim: serving model '{}' on http://{}:{} ({}; streams written with {}); Ctrl-C stops\n",
               opts->model, opts->host, server.port(), server.describe(),
               server.uses_io_uring() ? "io_uring" : "send()");
    std::fflush(stdout);
    wait_for_stop_signal();
    server.stop();
    fmt::print("inferbench sim: stopped after {} requests\n", server.requests_served());
  });
}

}  // namespace inferbench::app
