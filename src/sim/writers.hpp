#pragma once
// Writing the answer to an admitted completions request, in one of three ways:
//  - non-streamed: wait until the last token is due, then send the whole body;
//  - streamed through the stream emitter: the plain case (latency profile, no fault), whose
//    whole schedule is known at admission; the one that must scale, because the emitter
//    writes the chunks of all streams from one timer (see stream_emitter.hpp);
//  - streamed chunk by chunk from the session's coroutine: engine tokens, whose due times are
//    only known as the engine runs, and every stream fault to inject.
// All of them run on the session's executor and return whether the connection may serve
// another request.
#include <utility>  // before Asio: awaitable.hpp uses std::exchange without including it

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/status.hpp>
#include <string>
#include <string_view>

#include "sim/admission.hpp"
#include "sim/emission_log.hpp"
#include "sim/output_words.hpp"
#include "sim/sim_metrics.hpp"
#include "sim/stream_emitter.hpp"

namespace inferbench::sim {

// What the writers share, owned by the server; every member outlives every session.
struct WriteContext {
  const std::string& model;  // the served model name, as the bodies carry it
  const OutputWords& words;  // what the answers are made of
  SimMetrics& metrics;       // observes finished responses (profile mode)
  StreamEmitter& emitter;    // writes the plain streamed case
  EmissionLog& log;          // true emission times of streamed responses
};

// Sends one complete response; true when the connection may serve another request.
boost::asio::awaitable<bool> send(boost::beast::tcp_stream& stream, boost::beast::http::status status, std::string body,
                                  bool keep_alive, std::string_view content_type = "application/json");

// Non-streamed: waits for every token, then sends the whole JSON body.
boost::asio::awaitable<bool> write_full(boost::beast::tcp_stream& stream, Admitted& a, bool keep_alive,
                                        const WriteContext& ctx);

// Whether write_emitted() can write `a`: its whole schedule is known, it has chunks and no
// fault is to be injected.
bool emitter_can_write(const Admitted& a);

// Streamed: hands the SSE header and every chunk to the stream emitter, then records the true
// emission times under `request_id` (x-request-id).
boost::asio::awaitable<bool> write_emitted(boost::beast::tcp_stream& stream, Admitted& a, bool keep_alive,
                                           std::string_view request_id, const WriteContext& ctx);

// Streamed: writes the SSE header, then waits for each chunk and writes it from this coroutine,
// injecting a.fault; then records the true emission times under `request_id`.
boost::asio::awaitable<bool> write_chunked(boost::beast::tcp_stream& stream, Admitted& a, bool keep_alive,
                                           std::string_view request_id, const WriteContext& ctx);

}  // namespace inferbench::sim
