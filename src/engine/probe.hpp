#pragma once
// One blocking GET to the server under test, before the run: model discovery (/v1/models)
// and a reachability check that turns an unreachable endpoint into one clear error.
#include <string>
#include <string_view>

#include "engine/target.hpp"
#include "http/client.hpp"

namespace inferbench::engine {

struct ProbeResult {
  http::Outcome outcome;  // transport result
  int status = 0;         // HTTP status when a response came
  std::string body;       // response body (bounded)
};

// GETs `path` from the target with its headers; waits at most `timeout`. Never throws.
ProbeResult http_get(const TargetOptions& target, std::string_view path, Duration timeout);

}  // namespace inferbench::engine
