#pragma once
// The HTTP target's options: where to send, what to send, how long to wait.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "http/client.hpp"
#include "protocol/openai.hpp"

namespace inferbench::loadgen {

struct HttpTargetOptions {
  http::ClientOptions client;                                // URL, TLS, connect timeout
  std::vector<std::pair<std::string, std::string>> headers;  // sent with every request (auth too)
  protocol::Api api = protocol::Api::Completions;
  std::string model;
  bool stream = true;
  bool ignore_eos = true;                                   // so every request generates exactly max_tokens
  std::optional<nlohmann::json> extra_body;                 // merged into every request body
  Duration first_token_timeout = std::chrono::seconds(60);  // send → first output chunk
  Duration request_timeout = std::chrono::seconds(600);     // send → end of response
  // Values never to be written out (the API key, header values): a server that echoes the
  // request in an error body must not put them into requests.jsonl.
  std::vector<std::string> secrets;
};

}  // namespace inferbench::loadgen
