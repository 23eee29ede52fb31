#pragma once
// Faults the simulator injects: by rate (`--fault TYPE=RATE`) or per request with the
// `x-inferbench-fault: TYPE` header. Each injected fault is counted in /metrics.
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace inferbench::sim {

enum class Fault {
  None,
  Http400,              // context length exceeded (vLLM's message)
  Http401,              // invalid API key
  Http429,              // rate limited / queue full
  Http500,              // internal error
  Http503,              // overloaded / not ready
  CloseBeforeResponse,  // connection closed without a response
  ResetMidStream,       // stream cut half-way
  ErrorEvent,           // an {"error": ...} event after the first chunk, then [DONE]
  MalformedChunk,       // one chunk that is not JSON, half-way
  Stall,                // the first chunk, then nothing until the client gives up
};
inline constexpr std::size_t kFaultKinds = 11;

// The fault's name as used by flags, the header and /metrics labels ("http_429", "stall", ...).
std::string_view fault_name(Fault fault);
// Parses a fault name; nullopt if unknown.
std::optional<Fault> parse_fault(std::string_view name);
// HTTP status of an HTTP fault, 0 for the others.
int fault_status(Fault fault);
// Parses "TYPE=RATE" (RATE in [0,1]); throws inferbench::Error with a one-line reason.
std::pair<Fault, double> parse_fault_rate(const std::string& text);
// All fault names, for help texts.
std::string fault_names();

}  // namespace inferbench::sim
