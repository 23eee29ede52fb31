#pragma once
// `inferbench sim`: an OpenAI-compatible HTTP server whose answers follow a latency model
// (time to first token, inter-token latency, output length) and which can inject faults.
// Runs its own I/O threads; used in-process by `inferbench run` and by the tests.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"

namespace inferbench::sim {

struct SimOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8000;         // 0 = any free port
  std::string model = "inferbench-sim";
  double ttft_ms = 20.0;              // from reading the request to the first token
  double itl_ms = 5.0;                // between consecutive tokens
  std::int64_t output_tokens = 0;     // natural answer length (EOS); 0 = always max_tokens
  std::int64_t default_max_tokens = 16;  // when the request names none (OpenAI's default)
  int tokens_per_chunk = 1;           // tokens carried by one SSE chunk
  double fail_rate = 0.0;             // share of requests answered with HTTP 500
  double reset_rate = 0.0;            // share of streams cut mid-way (connection closed)
  std::uint64_t seed = 0;
  int threads = 1;                    // I/O threads
  bool record_emissions = false;      // keep each stream's true chunk emission times
};

// Emission times of one streamed response, keyed by the request's x-request-id header.
struct Emissions {
  std::vector<TimePoint> chunk_times;  // when each output chunk's bytes were handed to the socket
};

class SimServer {
 public:
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
  // Requests served so far (any outcome).
  std::uint64_t requests_served() const { return served_.load(); }
  // Emission times recorded so far (requires options.record_emissions). Thread-safe.
  std::map<std::string, Emissions> emissions() const;

  struct Impl;  // the Beast server; public so the session code in server.cpp can name it

 private:
  SimOptions options_;
  unsigned short port_ = 0;
  std::atomic<std::uint64_t> served_{0};
  std::unique_ptr<Impl> impl_;
  std::vector<std::thread> threads_;
  mutable std::mutex emissions_mutex_;
  std::map<std::string, Emissions> emissions_;
  friend struct Impl;
};

}  // namespace inferbench::sim
