#pragma once
// One blocking GET to the server under test, before the run: model discovery (/v1/models)
// and a reachability check that turns an unreachable endpoint into one clear error.
#include <functional>
#include <string>
#include <string_view>

#include "http/client.hpp"
#include "loadgen/http_target_options.hpp"

namespace inferbench::loadgen {

struct ProbeResult {
  http::Outcome outcome;  // transport result
  int status = 0;         // HTTP status when a response came
  std::string body;       // response body (bounded)
};

// GETs `path` from the target with its headers; waits at most `timeout`, and less once
// `stop_requested` says so (Ctrl-C): the outcome is then Cancelled. Never throws.
ProbeResult http_get(const HttpTargetOptions& target, std::string_view path, Duration timeout,
                     const std::function<bool()>& stop_requested = {});

}  // namespace inferbench::loadgen
