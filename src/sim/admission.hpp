#pragma once
// Admission of one completions request, before any of its answer is written: parse the body,
// pick the fault to inject (named by the x-inferbench-fault header, else drawn from the
// configured rates), size the answer and start its tokens. A request that ends here (invalid,
// an injected HTTP fault or dropped connection, a full engine queue, a prompt too long) comes
// back as a Refusal for the session to send; nothing about it is written by the admitter.
#include <utility>  // before Asio: awaitable.hpp uses std::exchange without including it

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/clock.hpp"
#include "sim/faults.hpp"
#include "sim/responses.hpp"
#include "sim/server.hpp"
#include "sim/sim_metrics.hpp"
#include "sim/token_source.hpp"
#include "tokenizer/tokenizer.hpp"

namespace inferbench::sim {

// A request answered without tokens.
struct Refusal {
  bool close = false;  // close the connection without a response (status and body unused)
  int status = 0;      // HTTP status
  std::string body;    // an OpenAI-style error body
};

// One admitted request: what it asks for and where its answer's tokens come from.
struct Admitted {
  ParsedRequest request;      // the body as understood (chat, stream, usage, prompt tokens)
  Fault fault = Fault::None;  // the stream fault to inject (always None when not streamed)
  std::uint64_t id = 0;       // the response's number: picks its words; the engine's request id
  std::string id_text;        // the same, as the response's "id" carries it
  OutputLength length;        // how many tokens the answer carries, and per chunk
  TimePoint arrived{};        // when the request was read
  TokenSource tokens;         // the answer's tokens and their due times (session's executor)
};

// Admits the completions requests of all sessions. Thread-safe.
class Admitter {
 public:
  // Every reference must outlive the admitter; `tokenizer` counts prompt tokens (null: words).
  Admitter(const SimOptions& options, const tokenizer::Tokenizer* tokenizer, SimMetrics& metrics, SharedRng& rng,
           TokenSources& sources);

  // Admits one request read at `arrived`: `fault_header` is its x-inferbench-fault value (empty
  // when absent), `session` the executor of the coroutine that will write the answer. Counts
  // the injected fault in /metrics.
  std::variant<Refusal, Admitted> admit(std::string_view body, std::string_view fault_header, bool chat,
                                        TimePoint arrived, const boost::asio::any_io_executor& session);

 private:
  // The header's fault, else one drawn from the configured rates; nullopt for an unknown name.
  std::optional<Fault> choose_fault(std::string_view header);
  Fault draw_fault();
  OutputLength output_length(const ParsedRequest& request) const;

  const SimOptions& opt_;
  const tokenizer::Tokenizer* tokenizer_;
  SimMetrics& metrics_;
  SharedRng& rng_;
  TokenSources& sources_;
  std::atomic<std::uint64_t> next_id_{1};
};

}  // namespace inferbench::sim
