#pragma once
// One blocking request/response over the keep-alive pool, for callers outside the hot path
// (uploads to a tracking server, one-off API calls): the whole body is collected in memory.
#include <string>

#include "core/clock.hpp"
#include "http/client.hpp"

namespace inferbench::http {

struct CallResult {
  Outcome outcome;   // transport result; Kind::Complete when a response was read
  int status = 0;    // HTTP status when a response came
  std::string body;  // response body, at most `max_body` bytes
};

// Sends `request` on `pool` (driven by `ioc`, which must not be running elsewhere) and waits at
// most `timeout` for the whole response. Never throws for transport problems.
CallResult blocking_call(net::io_context& ioc, ConnectionPool& pool, const Request& request, Duration timeout,
                         std::size_t max_body = std::size_t{16} << 20);

}  // namespace inferbench::http
