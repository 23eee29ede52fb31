#pragma once
// `inferbench sim`: an OpenAI-compatible HTTP server. Its answers follow either a latency
// profile (fixed or llm-d-inference-sim style TTFT and inter-token latency) or, with a model
// preset, the continuous-batching engine model of sim/model run in real time. It exposes
// vLLM's metric names at /metrics and can inject faults. Runs its own I/O threads; used
// in-process by `inferbench run` and by the tests.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "sim/faults.hpp"

namespace inferbench::sim {

struct SimOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8000;  // 0 = any free port
  std::string model = "inferbench-sim";
  // Latency-profile mode (when model_preset is empty), in llm-d-inference-sim's terms.
  double ttft_ms = 20.0;                // time to first token (constant calculator)
  double ttft_std_ms = 0.0;             // its standard deviation (≤ 30% of the mean)
  double prefill_overhead_ms = 0.0;     // per-token calculator: fixed part of TTFT
  double prefill_per_token_ms = 0.0;    // per-token calculator: per uncached prompt token
  double itl_ms = 5.0;                  // inter-token latency
  double itl_std_ms = 0.0;              // its standard deviation (≤ 30% of the mean)
  double time_factor_under_load = 1.0;  // latency multiplier at max_num_seqs running (≥ 1)
  // Engine mode: the continuous-batching model of a model preset on a hardware preset.
  std::string model_preset;  // e.g. "Llama-3.1-8B"; empty = latency-profile mode
  std::string hardware = "H100";
  std::uint32_t tensor_parallel = 1;
  double time_scale = 1.0;                      // > 1 runs simulated time faster than real time
  std::uint32_t max_num_batched_tokens = 8192;  // token budget per iteration
  std::uint32_t max_waiting = 0;                // waiting-queue limit, HTTP 429 beyond; 0 = none
  bool prefix_caching = true;
  // Both modes.
  std::uint32_t max_num_seqs = 256;                   // engine: running sequences; profile: load-factor scale
  std::int64_t output_tokens = 0;                     // natural answer length (EOS); 0 = always max_tokens
  std::int64_t default_max_tokens = 16;               // when the request names none (OpenAI's default)
  int tokens_per_chunk = 1;                           // tokens carried by one SSE chunk
  std::vector<std::pair<Fault, double>> fault_rates;  // share of requests per fault type
  double startup_delay_s = 0.0;                       // /health/ready answers 503 until then
  std::uint64_t seed = 0;
  int threads = 1;                // I/O threads
  bool io_uring = true;           // batch streamed writes through io_uring when the kernel allows
  bool record_emissions = false;  // keep each stream's true chunk emission times
  std::string trace_path;         // append each stream's emission times (JSON lines) here
  std::string tokenizer_path;     // count prompt tokens with this tokenizer.json (else words)
  // Prompt + max_tokens limit (HTTP 400 beyond), as vLLM's --max-model-len; Llama-3.1's 128k.
  // Engine mode caps it further at what the KV cache holds.
  std::uint32_t max_model_len = 131072;
  double idle_timeout_s = 60.0;  // a kept-alive connection must send a complete header by then
};

// Emission times of one streamed response, keyed by the request's x-request-id header.
struct Emissions {
  TimePoint received{};                     // when the request was read
  std::vector<TimePoint> chunk_times;       // when each output chunk's bytes were handed to the socket
  std::vector<std::uint32_t> chunk_tokens;  // tokens in each chunk
};

class SimServer {
 public:
  // Validates the options; throws inferbench::Error with a one-line reason.
  explicit SimServer(SimOptions options);
  ~SimServer();
  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  // Binds and starts serving on background threads; throws inferbench::Error if it cannot bind.
  void start();
  // Stops accepting, closes connections and joins the threads. Idempotent.
  void stop();
  // The bound port (after start()).
  unsigned short port() const { return port_; }
  const SimOptions& options() const { return options_; }
  // Whether streamed chunks go out through io_uring (after start(); false: one send() each).
  bool uses_io_uring() const;
  // Requests served so far (any outcome).
  std::uint64_t requests_served() const { return served_.load(); }
  // Emission times recorded so far (requires options.record_emissions). Thread-safe.
  std::map<std::string, Emissions> emissions() const;
  // A one-line description of the latency model, for start-up messages.
  std::string describe() const;

  struct Impl;  // the Beast server; defined in server.cpp

 private:
  SimOptions options_;
  unsigned short port_ = 0;
  std::atomic<std::uint64_t> served_{0};
  std::unique_ptr<Impl> impl_;
  std::vector<std::thread> threads_;
};

}  // namespace inferbench::sim
