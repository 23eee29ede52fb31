#pragma once
// The system under test over HTTP: OpenAI completions or chat, streamed as SSE, through one
// worker's keep-alive connection pool. Times are taken where bytes cross the socket
// (http/client.hpp); everything after is parsing.
#include <memory>
#include <optional>
#include <vector>

#include "http/client.hpp"
#include "loadgen/http_target_options.hpp"
#include "protocol/openai.hpp"
#include "target/target.hpp"
#include "workload/request_spec.hpp"

namespace inferbench::loadgen {

// An OpenAI API base as users write it, and what it says. The seeds' configs and OpenAI's SDKs
// write the base with `/v1` (`http://host:8000/v1`, `OPENAI_BASE_URL`), some under a root path
// (`http://host:8080/api/v1`), some name the whole endpoint (`…/v1/chat/completions`).
struct ApiBase {
  http::Url url;                     // the base the client appends `/v1/...` to
  std::optional<protocol::Api> api;  // the API the URL named, when it named an endpoint
};
// Strips a trailing `/v1/chat/completions`, `/v1/completions`, `/v1/models` or `/v1` (and a
// trailing `/`) from `url`'s path.
ApiBase api_base(http::Url url);

// Builds the HTTP message of one spec (also done ahead for a whole workload, see HttpTargets),
// without x-request-id: each request adds its own.
http::Request make_http_request(const HttpTargetOptions& options, const workload::RequestSpec& spec);

// Makes the HTTP target of each worker. Every spec of the workload is encoded and serialized
// once, here, before the run; start() then writes the prepared bytes with its own x-request-id.
class HttpTargets final : public target::TargetFactory {
 public:
  // `options` and `specs` must outlive the factory and its targets.
  HttpTargets(const HttpTargetOptions& options, const std::vector<workload::RequestSpec>& specs);
  std::unique_ptr<target::Target> make(boost::asio::io_context& ioc) const override;

  const HttpTargetOptions& options() const { return options_; }
  // The prepared request of `spec` when it is one of the workload's specs, else null.
  const http::WireRequest* prepared(const workload::RequestSpec& spec) const;

 private:
  const HttpTargetOptions& options_;
  const std::vector<workload::RequestSpec>& specs_;
  std::vector<http::WireRequest> requests_;  // requests_[i] is specs_[i] encoded
};

}  // namespace inferbench::loadgen
