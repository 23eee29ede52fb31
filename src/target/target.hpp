#pragma once
// The boundary between the load generator and the system under test (docs/architecture.md).
// The load generator starts requests on a Target and learns what happened only through the
// StreamSink it passes; it never knows whether HTTP (loadgen::HttpTarget) or the simulator's
// engine model in-process (sim::InProcessTarget) is behind it. This module sits below both, so
// neither depends on the other.
#include <utility>  // before Asio: awaitable.hpp uses std::exchange without including it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <string_view>

#include "core/clock.hpp"
#include "metrics/request_record.hpp"
#include "workload/request_spec.hpp"

namespace inferbench::target {

// Receives one request's life as it happens, on the worker thread that started it. Every time
// is given by the target: where bytes cross a socket, the kernel's receive time of the read;
// in simulated time, the engine model's virtual time mapped onto Clock.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // The request's first byte is about to be written (a retry on a fresh connection calls it again).
  virtual void on_sent(TimePoint t) = 0;
  // The response header arrived with this status.
  virtual void on_headers(int status, TimePoint t) = 0;
  // One event of the stream arrived, output-bearing or not (a count for diagnostics).
  virtual void on_event() = 0;
  // One output-bearing chunk: `tokens` when the target knows them (0 = unknown), its text.
  // `text` is only valid during the call.
  virtual void on_chunk(TimePoint t, std::uint32_t tokens, std::string_view text) = 0;
  // A non-streamed response: the whole output arrived at once, at `t`.
  virtual void on_whole_output(TimePoint t, std::string_view text) = 0;
  // The token counts the system reported (may come before or after the chunks).
  virtual void on_usage(const metrics::Usage& usage) = 0;
  // The request ended, at `t`: successfully (Failure::None) or with the failure and a one-line
  // detail. Called exactly once, last.
  virtual void on_done(TimePoint t, metrics::Failure failure, std::string_view detail) = 0;
};

// The system under test, bound to one worker's event loop. Used by that worker's thread only.
class Target {
 public:
  virtual ~Target() = default;
  // Sends `spec` as request `request_id` and reports it to `sink` until sink.on_done. Never
  // throws for the system's failures: they end in on_done with a label. `spec` and `sink` must
  // outlive the returned coroutine.
  virtual boost::asio::awaitable<void> start(const workload::RequestSpec& spec, std::uint64_t request_id,
                                             StreamSink& sink) = 0;
  // Ends every request in flight (each ends with Failure::Cancelled) and refuses new ones.
  virtual void shutdown() = 0;
};

// Makes one Target per worker. Called before the run, from the thread that starts it.
class TargetFactory {
 public:
  virtual ~TargetFactory() = default;
  // A target whose coroutines run on `ioc` (one worker's event loop).
  virtual std::unique_ptr<Target> make(boost::asio::io_context& ioc) const = 0;
};

}  // namespace inferbench::target
