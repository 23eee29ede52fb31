#pragma once
// The simulator's engine model as a Target, in-process: no HTTP, no sockets, no threads of its
// own. The engine steps on the worker's event loop, so the load generator measures the engine
// model's own throughput and timings (offline runs, capacity planning).
//
// Two clocks:
// - simulated time: iterations run back to back as fast as the CPU allows; every time given to
//   the sink is the engine's virtual time mapped onto Clock from one origin. A closed-loop user
//   submits its next request at the virtual time its last one finished. Open-loop schedules
//   and --duration need real time.
// - real time: an iteration is computed when real time reaches its virtual start and its tokens
//   are delivered, stamped with their due time, when real time reaches its virtual end (the
//   simulator's HTTP server does the same).
#include <memory>
#include <optional>

#include "sim/model/engine.hpp"
#include "target/target.hpp"
#include "tokenizer/tokenizer.hpp"

namespace inferbench::sim {

struct InProcessOptions {
  EngineConfig engine;      // the engine model
  bool real_time = false;   // false: simulated time (see the file comment)
  double time_scale = 1.0;  // real time only: > 1 runs virtual time faster
  // Prompt tokens: counted with this tokenizer when given, else one per word (as `inferbench
  // sim` counts them, so both targets see the same prompts). Must outlive the factory.
  const tokenizer::Tokenizer* tokenizer = nullptr;
};

// Makes the in-process target. One engine serves one worker: a second make() throws Error
// (run it with --workers 1).
class InProcessTargets final : public target::TargetFactory {
 public:
  explicit InProcessTargets(InProcessOptions options);
  std::unique_ptr<target::Target> make(boost::asio::io_context& ioc) const override;

 private:
  InProcessOptions options_;
  mutable bool made_ = false;
};

}  // namespace inferbench::sim
