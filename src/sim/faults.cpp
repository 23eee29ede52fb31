#include "sim/faults.hpp"

#include <cstdlib>

#include "core/error.hpp"

namespace inferbench::sim {

namespace {
constexpr std::array<std::pair<Fault, std::string_view>, kFaultKinds - 1> kNames = {{
    {Fault::Http400, "http_400"},
    {Fault::Http401, "http_401"},
    {Fault::Http429, "http_429"},
    {Fault::Http500, "http_500"},
    {Fault::Http503, "http_503"},
    {Fault::CloseBeforeResponse, "close_before_response"},
    {Fault::ResetMidStream, "reset_mid_stream"},
    {Fault::ErrorEvent, "error_event"},
    {Fault::MalformedChunk, "malformed_chunk"},
    {Fault::Stall, "stall"},
}};
}  // namespace

std::string_view fault_name(Fault fault) {
  for (const auto& [f, name] : kNames) {
    if (f == fault) return name;
  }
  return "none";
}

std::optional<Fault> parse_fault(std::string_view name) {
  for (const auto& [f, n] : kNames) {
    if (n == name) return f;
  }
  return std::nullopt;
}

int fault_status(Fault fault) {
  switch (fault) {
    case Fault::Http400: return 400;
    case Fault::Http401: return 401;
    case Fault::Http429: return 429;
    case Fault::Http500: return 500;
    case Fault::Http503: return 503;
    default: return 0;
  }
}

std::string fault_names() {
  std::string names;
  for (const auto& [f, n] : kNames) {
    if (!names.empty()) names += ", ";
    names += n;
  }
  return names;
}

std::pair<Fault, double> parse_fault_rate(const std::string& text) {
  const auto eq = text.find('=');
  require(eq != std::string::npos, "invalid --fault '" + text + "': expected TYPE=RATE");
  const auto fault = parse_fault(std::string_view(text).substr(0, eq));
  require(fault.has_value(), "invalid --fault type '" + text.substr(0, eq) + "': expected one of " + fault_names());
  char* end = nullptr;
  const std::string rate_text = text.substr(eq + 1);
  const double rate = std::strtod(rate_text.c_str(), &end);
  require(end != rate_text.c_str() && *end == '\0' && rate >= 0 && rate <= 1,
          "invalid --fault rate '" + rate_text + "': expected a number in [0, 1]");
  return {*fault, rate};
}

}  // namespace inferbench::sim
