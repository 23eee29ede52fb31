#include "loadgen/http_target.hpp"

#include <fmt/format.h>

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "loadgen/response_reader.hpp"
#include "metrics/request_metrics.hpp"

namespace inferbench::loadgen {

namespace {

class HttpTarget final : public target::Target {
 public:
  HttpTarget(boost::asio::io_context& ioc, const HttpTargets& shared)
      : shared_(shared), pool_(ioc, shared.options().client) {}

  boost::asio::awaitable<void> start(const workload::RequestSpec& spec, std::uint64_t request_id,
                                     target::StreamSink& sink) override {
    const HttpTargetOptions& options = shared_.options();
    const http::WireRequest* prepared = shared_.prepared(spec);
    std::optional<http::WireRequest> own;  // a spec outside the workload (per request, not per token)
    if (!prepared) own.emplace(make_http_request(options, spec));
    std::array<char, 48> id_field{};
    const auto id_end = fmt::format_to_n(id_field.data(), id_field.size(), "x-request-id: {}\r\n", request_id);
    const std::int64_t max_chunks =
        spec.max_tokens > 0 ? spec.max_tokens + metrics::output_token_slack(spec.max_tokens) : 0;
    ResponseReader reader(
        sink, decoder_,
        {options.stream, options.first_token_timeout, options.request_timeout, &options.secrets, max_chunks});
    const http::Outcome outcome =
        co_await pool_.exchange(prepared ? *prepared : *own, reader, std::string_view(id_field.data(), id_end.size));
    reader.finish(outcome);
  }

  void shutdown() override { pool_.shutdown(); }

 private:
  const HttpTargets& shared_;
  http::ConnectionPool pool_;
  protocol::ChunkDecoder decoder_;
};

}  // namespace

ApiBase api_base(http::Url url) {
  ApiBase out;
  std::string& path = url.base_path;
  while (!path.empty() && path.back() == '/') path.pop_back();
  const auto strip = [&path](std::string_view suffix) {
    if (!path.ends_with(suffix)) return false;
    path.resize(path.size() - suffix.size());
    return true;
  };
  if (strip("/v1/chat/completions")) {
    out.api = protocol::Api::Chat;
  } else if (strip("/v1/completions")) {
    out.api = protocol::Api::Completions;
  } else if (!strip("/v1/models")) {
    strip("/v1");
  }
  out.url = std::move(url);
  return out;
}

http::Request make_http_request(const HttpTargetOptions& options, const workload::RequestSpec& spec) {
  protocol::RequestBody body;
  body.api = options.api;
  body.model = options.model;
  if (options.api == protocol::Api::Chat) {
    if (spec.messages.empty()) {
      body.messages = {{"user", spec.prompt}};
    } else {
      for (const auto& m : spec.messages) body.messages.emplace_back(m.role, m.content);
    }
  } else {
    require(spec.messages.empty(), "a request with chat messages needs --api chat");
    body.prompt = spec.prompt;
  }
  body.max_tokens = spec.max_tokens;
  body.stream = options.stream;
  body.include_usage = true;
  body.ignore_eos = options.ignore_eos;
  body.extra_body = options.extra_body;
  http::Request request = http::make_request(options.client.url, boost::beast::http::verb::post,
                                             protocol::path_for(options.api), protocol::encode(body), options.headers);
  request.erase("x-request-id");  // a user's header of that name gives way to each request's own
  return request;
}

HttpTargets::HttpTargets(const HttpTargetOptions& options, const std::vector<workload::RequestSpec>& specs)
    : options_(options), specs_(specs) {
  requests_.reserve(specs.size());
  for (const auto& spec : specs) requests_.emplace_back(make_http_request(options, spec));
}

std::unique_ptr<target::Target> HttpTargets::make(boost::asio::io_context& ioc) const {
  return std::make_unique<HttpTarget>(ioc, *this);
}

const http::WireRequest* HttpTargets::prepared(const workload::RequestSpec& spec) const {
  const std::less<const workload::RequestSpec*> before;
  if (specs_.empty() || before(&spec, specs_.data()) || !before(&spec, specs_.data() + specs_.size())) return nullptr;
  return &requests_[static_cast<std::size_t>(&spec - specs_.data())];
}

}  // namespace inferbench::loadgen
